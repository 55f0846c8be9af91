// Each limit of docs/limits.md firing, set small with its flag (or its
// RUCHE_* variable), and the normal case passing under the defaults: the
// request rate of a connection (rate_limited, then 1008), connections per
// address (1013), failed logins per account and per address (429), the
// auth and idle timeouts (4002, after a ping), the handshake timeout
// (slow-loris), the outbound queue (4008), the message size (1009) and the
// caps on hives, channels and members (limit_reached).  The message size
// is tested at length in ws-limits.test.mjs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';

import { isTlsPort, startServer, tlsClientOptions } from '../lib/server.mjs';
import { connect } from '../lib/client.mjs';
import { api, assertApiError, connectAs, firstAdmin, login } from '../lib/api.mjs';
import { createUsers } from '../lib/chat-setup.mjs';
import { httpGet } from '../lib/http.mjs';
import { eventually, run, sleep, stopOk } from '../lib/util.mjs';

// A server with the server's own limits (not the harness's loose ones),
// changed by args; stopped after the test.
async function limited(t, args = [], env = {}) {
  const s = await startServer({ serverLimits: true, args, env });
  t.after(() => stopOk(s));
  return s;
}

// The close of c, or null if the server has not closed it in timeoutMs.
async function closedWithin(c, timeoutMs) {
  let timer;
  const closed = await Promise.race([
    c.closed,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return closed;
}

// The server still answers on a new connection.
async function assertServerUp(s) {
  const c = await connect(s.wsUrl);
  assert.equal((await c.request('ping')).ok, true);
  await c.close();
}

// A request frame (raw text) of a ping with this id.
const ping = (id) => JSON.stringify({ id, op: 'ping' });

describe('configuration', () => {
  const flags = [
    ['--rate-per-conn', 'RUCHE_RATE_PER_CONN', 'default 20'],
    ['--rate-burst', 'RUCHE_RATE_BURST', 'default 40'],
    ['--max-conns-per-ip', 'RUCHE_MAX_CONNS_PER_IP', 'default 256'],
    ['--login-fails-per-account', 'RUCHE_LOGIN_FAILS_PER_ACCOUNT', 'default 5'],
    ['--login-fails-per-address', 'RUCHE_LOGIN_FAILS_PER_ADDRESS', 'default 30'],
    ['--login-window', 'RUCHE_LOGIN_WINDOW', 'default 900'],
    ['--idle-timeout', 'RUCHE_IDLE_TIMEOUT', 'default 120'],
    ['--handshake-timeout', 'RUCHE_HANDSHAKE_TIMEOUT', 'default 10'],
    ['--auth-timeout', 'RUCHE_AUTH_TIMEOUT', 'default 30'],
    ['--max-outq-bytes', 'RUCHE_MAX_OUTQ_BYTES', 'default 4194304'],
    ['--max-hives', 'RUCHE_MAX_HIVES', 'default 1000'],
    ['--max-channels-per-hive', 'RUCHE_MAX_CHANNELS_PER_HIVE', 'default 50'],
    ['--max-members-per-hive', 'RUCHE_MAX_MEMBERS_PER_HIVE', 'default 100'],
    ['--max-message-bytes', 'RUCHE_MAX_MESSAGE_BYTES', 'default 65536'],
  ];

  test('serve --help gives each limit with its variable and default', async () => {
    const r = await run(['serve', '--help'], { timeoutMs: 5000 });
    assert.equal(r.code, 0);
    const text = r.stdout.replace(/\s+/g, ' ');
    for (const [flag, env, dflt] of flags) {
      const at = text.indexOf(`${flag} `);
      assert.ok(at >= 0, `--help mentions ${flag}`);
      const next = text.indexOf(' --', at + flag.length);
      const entry = text.slice(at, next < 0 ? undefined : next);
      assert.ok(entry.includes(env), `${flag}: its variable ${env} (${entry})`);
      assert.ok(entry.includes(dflt), `${flag}: ${dflt} (${entry})`);
    }
    for (const line of r.stdout.split('\n')) assert.ok(line.length <= 80, `80 columns: ${line}`);
  });

  // Out of range or not a number: one line naming the flag, exit 2.
  const bad = [
    ['--rate-per-conn', '-1'], ['--rate-per-conn', 'fast'], ['--rate-burst', '0'],
    ['--max-conns-per-ip', '-3'], ['--login-fails-per-account', '0'],
    ['--login-fails-per-address', '0'], ['--login-window', '0'], ['--login-window', '86401'],
    ['--idle-timeout', '86401'], ['--handshake-timeout', '0'], ['--handshake-timeout', '301'],
    ['--auth-timeout', '3601'], ['--max-outq-bytes', '4095'], ['--max-outq-bytes', '1073741825'],
    ['--max-hives', '0'], ['--max-channels-per-hive', '0'], ['--max-members-per-hive', '0'],
  ];
  for (const [flag, value] of bad) {
    test(`refuses ${flag} ${value}`, async () => {
      const r = await run(['serve', '--listen', '127.0.0.1:0', '--db', '/nonexistent/r.db', flag, value], {
        timeoutMs: 5000,
      });
      assert.equal(r.code, 2, `exit 2 (stderr ${r.stderr})`);
      assert.ok(r.stderr.includes(flag), `names ${flag}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    });
  }

  test('refuses a bad value in a variable, naming it', async () => {
    const r = await run(['serve', '--listen', '127.0.0.1:0', '--db', '/nonexistent/r.db'], {
      env: { RUCHE_MAX_CONNS_PER_IP: 'many' },
      timeoutMs: 5000,
    });
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes('RUCHE_MAX_CONNS_PER_IP'), r.stderr);
  });
});

describe('requests per connection (token bucket)', () => {
  test('under the defaults, a burst of 40 requests all pass', async (t) => {
    const s = await limited(t);
    const c = await connect(s.wsUrl);
    const replies = await Promise.all(Array.from({ length: 40 }, () => c.request('ping')));
    assert.ok(replies.every((r) => r.ok), 'every request of the burst passes');
    await c.close();
  });

  test('over the rate: rate_limited with retry_after_ms, the connection stays open', async (t) => {
    const s = await limited(t, ['--rate-per-conn', '1', '--rate-burst', '3']);
    const c = await connect(s.wsUrl);
    const replies = await Promise.all(Array.from({ length: 4 }, () => c.request('ping')));
    assert.deepEqual(replies.slice(0, 3).map((r) => r.ok), [true, true, true], 'the burst passes');
    const refused = replies[3];
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'rate_limited');
    assert.ok(refused.error.retry_after_ms > 0 && refused.error.retry_after_ms <= 1000,
      `retry_after_ms within one token's time: ${refused.error.retry_after_ms}`);
    // A frame that is not a request is refused too, with re null.
    await c.send('not json');
    const anon = await c.nextMessage();
    assert.equal(anon.re, null);
    assert.equal(anon.error.code, 'rate_limited');
    await sleep(refused.error.retry_after_ms + 50);
    assert.equal((await c.request('ping')).ok, true, 'after the wait, a request passes');
    assert.equal(c.closeInfo, null, 'still open');
    await c.close();
  });

  test('far over the rate, ignoring the refusals: closed with 1008', async (t) => {
    const s = await limited(t, ['--rate-per-conn', '1', '--rate-burst', '3']);
    const c = await connect(s.wsUrl);
    const frames = Array.from({ length: 300 }, (_, i) => ping(i));
    for (const f of frames) c.send(f).catch(() => {});
    const closed = await closedWithin(c, 10000);
    assert.ok(closed, 'the server closed the connection');
    assert.equal(closed.code, 1008, `close code (reason ${closed.reason})`);
    const refusals = c.log.filter((m) => m.ok === false && m.error.code === 'rate_limited');
    // 80 refusals (CONN_ABUSE_SECONDS at 1 a second) before the close.
    assert.ok(refusals.length >= 70 && refusals.length <= 85, `refusals before the close: ${refusals.length}`);
    assert.deepEqual(c.violations, []);
    // Another connection from the same address is not punished.
    await assertServerUp(s);
  });

  test('RUCHE_RATE_PER_CONN and RUCHE_RATE_BURST set it too', async (t) => {
    const s = await limited(t, [], { RUCHE_RATE_PER_CONN: '1', RUCHE_RATE_BURST: '2' });
    const c = await connect(s.wsUrl);
    const replies = await Promise.all(Array.from({ length: 3 }, () => c.request('ping')));
    assert.deepEqual(replies.map((r) => r.ok), [true, true, false]);
    await c.close();
  });
});

describe('the browser client paces itself', () => {
  test('api.js sends a burst at the rate hello announced: nothing is refused', async (t) => {
    const s = await limited(t, ['--rate-per-conn', '20', '--rate-burst', '5']);
    const { Api } = await import('../../client/js/api.js');
    // A browser's WebSocket; over TLS, one that trusts the test certificate.
    const Socket = class extends WebSocket {
      constructor(url, protocols) {
        super(url, protocols, url.startsWith('wss:') ? tlsClientOptions(s.port) : {});
      }
    };
    const api = new Api({ url: s.wsUrl, WebSocket: Socket });
    api.start();
    t.after(() => api.close());
    await eventually(() => api.state === 'connected', { what: 'connected' });
    assert.equal(api.limits.rate_per_conn, 20);
    assert.equal(api.limits.rate_burst, 5);
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => api.request('ping')));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(refused.map((r) => r.reason.code), [], 'no request refused');
    // 3 at once, then the other 27 at 90 % of 20 a second.
    assert.ok(Date.now() - started >= 1000, `paced: ${Date.now() - started} ms`);
  });
});

describe('connections per address', () => {
  test('past --max-conns-per-ip, a new WebSocket is closed with 1013', async (t) => {
    const s = await limited(t, ['--max-conns-per-ip', '3']);
    const open = [];
    for (let i = 0; i < 3; i++) {
      const c = await connect(s.wsUrl);
      assert.equal((await c.request('ping')).ok, true, `connection ${i + 1} works`);
      open.push(c);
    }
    const extra = await connect(s.wsUrl);
    const closed = await closedWithin(extra, 5000);
    assert.ok(closed, 'the fourth is closed');
    assert.equal(closed.code, 1013);
    assert.equal(closed.reason, 'too many connections from your address');
    // Once one closes, there is room again.
    await open.pop().close();
    await eventually(async () => {
      const c = await connect(s.wsUrl);
      const r = await c.request('ping').catch(() => null);
      await c.close();
      return r && r.ok;
    }, { what: 'a connection once one is free' });
    for (const c of open) await c.close();
  });
});

describe('behind a reverse proxy', () => {
  // Three sockets "from" an address, through the proxy's X-Forwarded-For.
  const via = (s, addr) => connect(s.wsUrl, { headers: { 'X-Forwarded-For': `203.0.113.9, ${addr}` } });
  const works = async (c) => (await c.request('ping').catch(() => ({ ok: false }))).ok;

  test('with --trusted-proxy, each client behind it has its own count', async (t) => {
    const s = await limited(t, ['--max-conns-per-ip', '2', '--trusted-proxy', '127.0.0.1']);
    const a = [await via(s, '10.0.0.1'), await via(s, '10.0.0.1')];
    for (const c of a) assert.equal(await works(c), true);
    const third = await via(s, '10.0.0.1');
    const closed = await closedWithin(third, 5000);
    assert.ok(closed, 'a third from 10.0.0.1 is closed');
    assert.equal(closed.code, 1013);
    // Another client of the same proxy is not held back by the first.
    const b = await via(s, '10.0.0.2');
    assert.equal(await works(b), true, '10.0.0.2 has room');
    for (const c of [...a, b]) await c.close();
  });

  test('without it, X-Forwarded-For is ignored: a client cannot spread itself', async (t) => {
    const s = await limited(t, ['--max-conns-per-ip', '2']);
    const a = [await via(s, '10.0.0.1'), await via(s, '10.0.0.2')];
    for (const c of a) assert.equal(await works(c), true);
    const closed = await closedWithin(await via(s, '10.0.0.3'), 5000);
    assert.ok(closed, 'a third from loopback is closed, whatever it claims');
    assert.equal(closed.code, 1013);
    for (const c of a) await c.close();
  });

  test('failed logins count per client behind a trusted proxy', async (t) => {
    const s = await limited(t, [
      '--trusted-proxy', '127.0.0.1', '--login-fails-per-account', '100',
      '--login-fails-per-address', '2', '--login-window', '60',
    ]);
    await createUsers(s, ['ada']);
    const tryAs = (addr, password) => api(s.port, 'POST', '/api/login', {
      body: { handle: 'ada', password },
      headers: { 'X-Forwarded-For': addr },
    });
    for (let i = 0; i < 2; i++) assertApiError(await tryAs('10.0.0.1', 'wrong password here'), 401, 'bad_credentials');
    assertApiError(await tryAs('10.0.0.1', 'correct horse battery staple'), 429, 'rate_limited', '10.0.0.1 is held');
    const other = await tryAs('10.0.0.2', 'correct horse battery staple');
    assert.equal(other.status, 200, '10.0.0.2 logs in');
  });

  test('--trusted-proxy takes IP addresses only', async () => {
    const r = await run(['serve', '--trusted-proxy', 'proxy.example.org', '--db', '/nonexistent/x.db']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /trusted-proxy/);
  });
});

describe('failed logins', () => {
  test('per account, then per address: 429 rate_limited with Retry-After', async (t) => {
    const s = await limited(t, [
      '--login-fails-per-account', '2', '--login-fails-per-address', '4', '--login-window', '60',
    ]);
    await createUsers(s, ['ada', 'bob', 'cyd']);
    const bad = (handle) => api(s.port, 'POST', '/api/login', { body: { handle, password: 'wrong password here' } });
    for (let i = 0; i < 2; i++) assertApiError(await bad('ada'), 401, 'bad_credentials', `ada try ${i + 1}`);
    const held = await api(s.port, 'POST', '/api/login', {
      body: { handle: 'ada', password: 'correct horse battery staple' },
    });
    assertApiError(held, 429, 'rate_limited', 'ada, right password, past the account limit');
    const wait = Number(held.headers['retry-after']);
    assert.ok(wait > 0 && wait <= 60, `Retry-After within the window: ${wait}`);
    // bob is another account: two more failures, from the same address.
    for (let i = 0; i < 2; i++) assertApiError(await bad('bob'), 401, 'bad_credentials', `bob try ${i + 1}`);
    // The address has 4 failures: even cyd, never wrong, must wait.
    const cyd = await api(s.port, 'POST', '/api/login', {
      body: { handle: 'cyd', password: 'correct horse battery staple' },
    });
    assertApiError(cyd, 429, 'rate_limited', 'cyd, past the address limit');
  });

  test('under the defaults, a wrong password then the right one logs in', async (t) => {
    const s = await limited(t);
    await createUsers(s, ['dee']);
    const r = await api(s.port, 'POST', '/api/login', { body: { handle: 'dee', password: 'not the password' } });
    assertApiError(r, 401, 'bad_credentials');
    assert.ok((await login(s.port, 'dee')).token);
  });
});

describe('timeouts', () => {
  test('a WebSocket that does not log in within --auth-timeout is closed with 4002', async (t) => {
    const s = await limited(t, ['--auth-timeout', '2', '--idle-timeout', '0']);
    const first = await firstAdmin(s);
    await first.ws.close();
    const { token } = first;
    const anon = await connect(s.wsUrl);
    const user = await connectAs(s, token);
    const started = Date.now();
    const closed = await closedWithin(anon, 8000);
    assert.ok(closed, 'the anonymous socket is closed');
    assert.equal(closed.code, 4002);
    assert.equal(closed.reason, 'log in sooner');
    assert.ok(Date.now() - started >= 1000, 'not before its time');
    await sleep(1500);
    assert.equal((await user.request('ping')).ok, true, 'a logged-in socket stays');
    await user.close();
  });

  test('a silent WebSocket gets a ping at half --idle-timeout, and 4002 if it does not answer', async (t) => {
    const s = await limited(t, ['--idle-timeout', '3', '--auth-timeout', '0']);
    const mute = await connect(s.wsUrl, { wsOptions: { autoPong: false } }); // answers no ping
    const lively = await connect(s.wsUrl); // ws answers pings by itself
    const pings = [];
    mute.ws.on('ping', () => pings.push(Date.now()));
    const started = Date.now();
    const closed = await closedWithin(mute, 10000);
    assert.ok(closed, 'the mute client is closed');
    assert.deepEqual(closed, { code: 4002, reason: 'idle' });
    assert.equal(pings.length, 1, 'one ping came before the close');
    assert.ok(pings[0] - started >= 1000, `the ping came after half the silence: ${pings[0] - started} ms`);
    assert.ok(Date.now() - started >= 2500, 'the close after all of it');
    assert.equal(lively.closeInfo, null, 'a client answering pings stays open, silent as it is');
    assert.equal((await lively.request('ping')).ok, true);
    await lively.close();
  });

  test('a client that drips its HTTP request is dropped after --handshake-timeout', async (t) => {
    const s = await limited(t, ['--handshake-timeout', '2']);
    // Over TLS (RUCHE_TEST_TLS=1), the lines drip once the TLS handshake
    // is done; sending nothing at all then means no handshake.
    const overTls = isTlsPort(s.port);
    const drip = (lines) => new Promise((resolve) => {
      const started = Date.now();
      const sock = overTls && lines.length
        ? tls.connect({ port: s.port, host: '127.0.0.1', ...tlsClientOptions(s.port) })
        : net.connect(s.port, '127.0.0.1');
      let timer;
      sock.once(overTls && lines.length ? 'secureConnect' : 'connect', () => {
        let i = 0;
        timer = setInterval(() => {
          if (i < lines.length) sock.write(lines[i++]);
        }, 300);
      });
      sock.on('error', () => {});
      sock.on('close', () => {
        clearInterval(timer);
        resolve(Date.now() - started);
      });
      setTimeout(() => {
        sock.destroy();
      }, 15000);
    });
    const headers = ['GET /ws HTTP/1.1\r\n', 'Host: 127.0.0.1\r\n'];
    for (let i = 0; i < 60; i++) headers.push(`X-Slow-${i}: a\r\n`);
    const [dripping, silent] = await Promise.all([drip(headers), drip([])]);
    assert.ok(dripping >= 1500 && dripping < 8000, `dripping headers: dropped after ${dripping} ms`);
    assert.ok(silent >= 1500 && silent < 8000, `sending nothing: dropped after ${silent} ms`);
    const ok = await httpGet(s.port, '/healthz');
    assert.equal(ok.status, 200, 'a whole request is answered');
  });
});

describe('outbound queue bytes', () => {
  // A page of history bigger than the queue allows, for a client of a
  // server with a small --max-outq-bytes.
  async function historyPage(s) {
    const { ws } = await firstAdmin(s);
    const { hive } = await ws.call('hive.create', { name: 'Queue' });
    const { channels } = await ws.call('channel.list', { hive_id: hive.id });
    const channel = channels.find((ch) => ch.name === 'general');
    await ws.call('hive.add_member', { hive_id: hive.id, handle: 'admin', role: 'mentor' });
    for (let i = 0; i < 6; i++) await ws.call('msg.send', { channel_id: channel.id, text: `${i} ${'x'.repeat(1000)}` });
    return { ws, channel };
  }

  test('a reply over --max-outq-bytes closes with 4008', async (t) => {
    const s = await limited(t, ['--max-outq-bytes', '4096']);
    const { ws, channel } = await historyPage(s);
    ws.send(JSON.stringify({ id: 'h', op: 'msg.history', channel_id: channel.id, limit: 10 })).catch(() => {});
    const closed = await closedWithin(ws, 5000);
    assert.ok(closed, 'closed');
    assert.equal(closed.code, 4008);
    assert.equal(closed.reason, 'too slow: resume');
    await assertServerUp(s);
  });

  test('under the default, the same page is sent', async (t) => {
    const s = await limited(t);
    const { ws, channel } = await historyPage(s);
    const page = await ws.call('msg.history', { channel_id: channel.id, limit: 10 });
    assert.equal(page.messages.length, 6);
    await ws.close();
  });
});

describe('message size', () => {
  test('RUCHE_MAX_MESSAGE_BYTES is announced and enforced (1009)', async (t) => {
    const s = await limited(t, [], { RUCHE_MAX_MESSAGE_BYTES: '2048' });
    const c = await connect(s.wsUrl);
    assert.equal((await c.call('hello')).limits.max_message_bytes, 2048);
    const core = ping('big');
    await c.send(core + ' '.repeat(2048 - core.length));
    assert.equal((await c.nextReply('big')).ok, true, 'exactly the limit passes');
    c.send(core + ' '.repeat(2049 - core.length)).catch(() => {});
    const closed = await closedWithin(c, 5000);
    assert.equal(closed && closed.code, 1009);
  });
});

describe('caps on hives, channels and members', () => {
  test('each cap refuses with limit_reached, naming the limit and its value', async (t) => {
    const s = await limited(t, ['--max-hives', '2', '--max-channels-per-hive', '4', '--max-members-per-hive', '2']);
    const { ws } = await firstAdmin(s);
    const refusal = async (op, params, limit, max) => {
      const r = await ws.request(op, params);
      assert.equal(r.ok, false, `${op} is refused`);
      assert.equal(r.error.code, 'limit_reached', `${op}: ${JSON.stringify(r.error)}`);
      assert.equal(r.error.limit, limit);
      assert.equal(r.error.max, max);
    };

    // Hives: two open at most; an archived one leaves room.
    const { hive: a } = await ws.call('hive.create', { name: 'Alpha' });
    const { hive: b } = await ws.call('hive.create', { name: 'Beta' });
    await refusal('hive.create', { name: 'Gamma' }, 'hives', 2);
    await ws.call('hive.archive', { hive_id: b.id });
    await ws.call('hive.create', { name: 'Gamma' });

    // Channels: a hive starts with 3; a fourth, then no more.
    const { channel } = await ws.call('channel.create', { hive_id: a.id, name: 'fourth' });
    await refusal('channel.create', { hive_id: a.id, name: 'fifth' }, 'channels_per_hive', 4);
    await ws.call('channel.archive', { channel_id: channel.id });
    await ws.call('channel.create', { hive_id: a.id, name: 'fifth' });

    // Members: two, learners and mentors alike.
    await createUsers(s, ['m1', 'l1', 'l2']);
    await ws.call('hive.add_member', { hive_id: a.id, handle: 'm1', role: 'mentor' });
    await ws.call('hive.add_member', { hive_id: a.id, handle: 'l1', role: 'learner' });
    await refusal('hive.add_member', { hive_id: a.id, handle: 'l2', role: 'learner' }, 'members_per_hive', 2);
    await ws.call('hive.remove_member', { hive_id: a.id, user_id: (await ws.call('hive.members', { hive_id: a.id }))
      .members.find((m) => m.handle === 'l1').user_id });
    await ws.call('hive.add_member', { hive_id: a.id, handle: 'l2', role: 'learner' });
    await ws.close();
  });
});
