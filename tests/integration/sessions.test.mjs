// Sessions: POST /api/login and its cookie, the WebSocket logged in by
// that cookie or by the `auth` operation, `unauthenticated` before that,
// logout by token or cookie, a password change that ends the other
// sessions at once, sessions revoked from the command line or expired,
// the sliding expiry, failed logins rate-limited, the Origin rule of the
// API, the export over HTTP, and the password hashing kept off the event
// loop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

import { runRuche, startServer } from '../lib/server.mjs';
import { connect } from '../lib/client.mjs';
import {
  PASSWORD,
  api,
  assertApiError,
  connectAs,
  firstAdmin,
  inviteCode,
  login,
  sessionCookie,
  signup,
} from '../lib/api.mjs';
import { sqlite } from '../lib/sqlite.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';

const TTL_DAYS = 7;
const DAY_MS = 86400 * 1000;
const NEW_PASSWORD = 'another long passphrase';
const ALLOWED_ORIGIN = 'http://dev.example:5173';

// Waits for a client's connection to end: { code, reason, ms }.
async function closedWithin(client, ms) {
  const t0 = Date.now();
  const info = await Promise.race([
    client.closed,
    new Promise((resolve) => setTimeout(() => resolve(null), ms)),
  ]);
  assert.ok(info, `the connection closed within ${ms} ms`);
  client.assertClean();
  return { ...info, ms: Date.now() - t0 };
}

// A raw HTTP request, for bodies and headers api() would not send.
function rawPost(port, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', headers, agent: false, timeout: 3000 },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${path}: no answer in 3000 ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('sessions', () => {
  let server;
  let port;
  let admin;
  let hive;
  let ada; // { token, user }
  let victim;

  before(async () => {
    server = await startServer({
      args: ['--session-ttl', String(TTL_DAYS), '--allow-origin', ALLOWED_ORIGIN],
      env: cleanEnv(),
    });
    port = server.port;
    admin = await firstAdmin(server);
    ({ hive: { id: hive } } = await admin.ws.call('hive.create', { name: 'Sessions' }));
    const [a, v] = await Promise.all([
      inviteCode(admin.ws, hive, 'learner').then((c) => signup(port, c, 'ada', { displayName: 'Ada' })),
      inviteCode(admin.ws, hive, 'learner').then((c) => signup(port, c, 'victim')),
    ]);
    ada = a;
    victim = v;
  });

  after(async () => {
    if (admin?.ws && !admin.ws.closeInfo) await admin.ws.close();
    await stopOk(server);
  });

  describe('login', () => {
    test('answers a token and the user, and sets an HttpOnly SameSite=Strict cookie', async () => {
      const res = await api(port, 'POST', '/api/login', { body: { handle: 'ADA', password: PASSWORD } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.user, ada.user, 'the handle is case-insensitive');
      assert.notEqual(res.body.token, ada.token, 'each login is a new session');
      const cookie = sessionCookie(res);
      assert.ok(cookie, `a session cookie: ${res.headers['set-cookie']}`);
      assert.equal(cookie.value, res.body.token);
      const attrs = cookie.header.split(';').map((s) => s.trim());
      assert.ok(attrs.includes('HttpOnly'), cookie.header);
      assert.ok(attrs.includes('SameSite=Strict'), cookie.header);
      assert.ok(attrs.includes('Path=/'), cookie.header);
      assert.ok(attrs.includes(`Max-Age=${TTL_DAYS * 86400}`), `--session-ttl ${TTL_DAYS}: ${cookie.header}`);
      assert.ok(!attrs.includes('Secure'), 'no Secure flag over plain HTTP');
    });

    test('a wrong password and an unknown handle get the same 401, in about the same time', async () => {
      const time = async (handle) => {
        const t0 = process.hrtime.bigint();
        const res = await api(port, 'POST', '/api/login', { body: { handle, password: 'not the password' } });
        return { res, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
      };
      const wrong = await time('ada');
      const unknown = await time('No Such Handle!');
      for (const r of [wrong, unknown]) assertApiError(r.res, 401, 'bad_credentials');
      assert.deepEqual(unknown.res.body, wrong.res.body);
      // The unknown handle is hashed against too: a lookup alone would
      // answer in a millisecond, a password check takes hundreds.
      assert.ok(
        unknown.ms > wrong.ms * 0.25 && unknown.ms < wrong.ms * 4,
        `unknown ${unknown.ms.toFixed(0)} ms vs wrong password ${wrong.ms.toFixed(0)} ms`,
      );
    });

    test('bad bodies: 400 bad_json or invalid_param', async () => {
      const post = (body) => api(port, 'POST', '/api/login', { body, check: false });
      assertApiError(await post('not json'), 400, 'bad_json');
      assertApiError(await post('[1]'), 400, 'bad_json');
      assertApiError(await post({ handle: 'ada' }), 400, 'invalid_param');
      assertApiError(await post({ handle: 5, password: PASSWORD }), 400, 'invalid_param');
      assertApiError(await post({ password: PASSWORD }), 400, 'invalid_param');
    });

    test('a body over 16384 bytes is 413 too_large', async () => {
      const big = JSON.stringify({ handle: 'ada', password: 'x'.repeat(17000) });
      assertApiError(await api(port, 'POST', '/api/login', { body: big }), 413, 'too_large');
    });

    test('unknown API paths are JSON 404s; other methods 405', async () => {
      assertApiError(await api(port, 'GET', '/api/nothing'), 404, 'not_found');
      assertApiError(await api(port, 'GET', '/api/login'), 404, 'not_found');
      const put = await api(port, 'PUT', '/api/login', { body: {}, check: false });
      assert.equal(put.status, 405);
    });
  });

  describe('the Origin rule of the API', () => {
    test('a cross-site request gets 403 forbidden and does nothing', async () => {
      for (const origin of ['http://evil.example', 'null', `https://127.0.0.1:${port}`]) {
        const res = await api(port, 'POST', '/api/login', {
          origin,
          body: { handle: 'ada', password: PASSWORD },
        });
        assertApiError(res, 403, 'forbidden', origin);
        assert.equal(sessionCookie(res), undefined, 'no cookie');
      }
      const out = await api(port, 'POST', '/api/logout', { origin: 'http://evil.example', token: ada.token, body: {} });
      assertApiError(out, 403, 'forbidden');
      const ex = await api(port, 'GET', '/api/me/export', { origin: 'http://evil.example', token: ada.token });
      assertApiError(ex, 403, 'forbidden');
      // The session is still alive.
      assert.equal((await api(port, 'GET', '/api/me/export', { token: ada.token })).status, 200);
    });

    test('the own origin and --allow-origin pass', async () => {
      for (const origin of [`http://127.0.0.1:${port}`, ALLOWED_ORIGIN]) {
        const res = await api(port, 'POST', '/api/invite', { origin, body: { code: 'x'.repeat(43) } });
        assertApiError(res, 404, 'invite_not_found', origin);
      }
    });
  });

  describe('the WebSocket', () => {
    test('only hello, ping and auth work before logging in', async () => {
      const c = await connect(server.wsUrl);
      assert.equal((await c.call('hello')).authenticated, false);
      await c.call('ping');
      for (const op of ['account.me', 'account.export', 'hive.list', 'invite.list']) {
        const r = await c.request(op);
        assert.equal(r.error?.code, 'unauthenticated', op);
      }
      for (const token of ['', 'short', 'x'.repeat(43), `${ada.token}x`]) {
        const r = await c.request('auth', { token }, { check: token !== '' });
        assert.equal(r.ok, false, `auth ${JSON.stringify(token)}`);
        assert.equal(r.error.code, token === '' ? 'invalid_param' : 'unauthenticated');
      }
      const me = await c.call('auth', { token: ada.token });
      assert.deepEqual(me.user, ada.user);
      assert.deepEqual(
        me.hives.map((h) => [h.id, h.role]),
        [[hive, 'learner']],
      );
      assert.equal((await c.call('hello')).authenticated, true);
      const again = await c.request('auth', { token: ada.token });
      assert.equal(again.error.code, 'already_exists', 'auth once per connection');
      await c.close();
    });

    test('the session cookie (or a Bearer header) sent with the upgrade logs the socket in', async () => {
      const c = await connect(server.wsUrl, {
        headers: { cookie: `theme=dark; ruche_session=${ada.token}; other=1` },
        origin: `http://127.0.0.1:${port}`,
      });
      assert.equal((await c.call('hello')).authenticated, true);
      assert.equal((await c.call('account.me')).user.id, ada.user.id);
      await c.close();

      // So does an Authorization: Bearer header, for clients that set headers.
      const bearer = await connect(server.wsUrl, { headers: { authorization: `Bearer ${ada.token}` } });
      assert.equal((await bearer.call('hello')).authenticated, true);
      await bearer.close();

      // A stale cookie does not refuse the socket: the client can still auth.
      const stale = await connect(server.wsUrl, { headers: { cookie: `ruche_session=${'A'.repeat(43)}` } });
      assert.equal((await stale.call('hello')).authenticated, false);
      assert.equal((await stale.request('account.me')).error.code, 'unauthenticated');
      await stale.call('auth', { token: ada.token });
      await stale.close();
    });

    test('the cookie is refused with a foreign Origin (403 on the upgrade)', async () => {
      const { expectRefused } = await import('../lib/client.mjs');
      const err = await expectRefused(server.wsUrl, {
        headers: { cookie: `ruche_session=${ada.token}` },
        origin: 'http://evil.example',
      });
      assert.equal(err.status, 403);
    });
  });

  describe('ending sessions', () => {
    test('logout by cookie clears the cookie and closes that session\'s sockets with 4001', async () => {
      const s = await login(port, 'ada');
      const ws = await connect(server.wsUrl, { headers: { cookie: `ruche_session=${s.token}` } });
      assert.equal((await ws.call('hello')).authenticated, true);
      const other = await connectAs(server, ada.token);
      const t0 = Date.now();
      const out = await api(port, 'POST', '/api/logout', { cookie: `ruche_session=${s.token}`, body: {} });
      assert.equal(out.status, 200, out.text);
      const cleared = sessionCookie(out);
      assert.equal(cleared.value, '');
      assert.match(cleared.header, /Max-Age=0/);
      assert.match(cleared.header, /HttpOnly/);
      const { code, reason } = await closedWithin(ws, 1000);
      assert.equal(code, 4001);
      assert.equal(reason, 'session ended');
      assert.ok(Date.now() - t0 < 1000);
      assert.equal((await other.call('ping')).time > 0, true, 'another session is untouched');
      await other.close();
      assertApiError(await api(port, 'GET', '/api/me/export', { cookie: `ruche_session=${s.token}` }), 401, 'unauthenticated');
    });

    test('logout without a session is 401 unauthenticated', async () => {
      assertApiError(await api(port, 'POST', '/api/logout', { body: {} }), 401, 'unauthenticated');
      assertApiError(await api(port, 'POST', '/api/logout', { body: {}, token: 'x'.repeat(43) }), 401, 'unauthenticated');
    });

    test('a password change ends the other sessions at once and keeps the current one', async () => {
      const s1 = ada;
      const s2 = await login(port, 'ada');
      const current = await connectAs(server, s1.token);
      const sameSession = await connectAs(server, s1.token);
      const other = await connectAs(server, s2.token);
      const otherByCookie = await connect(server.wsUrl, { headers: { cookie: `ruche_session=${s2.token}` } });

      const short = await current.request('account.set_password', { old_password: PASSWORD, new_password: 'short' });
      assert.equal(short.error.code, 'invalid_param');
      const wrong = await current.request('account.set_password', {
        old_password: 'not my password',
        new_password: NEW_PASSWORD,
      });
      assert.equal(wrong.error.code, 'bad_credentials');
      assert.equal(other.closeInfo, null, 'a refused change ends nothing');

      // The closes leave in the same turn as the reply (the sweep would
      // take 2 s): counted from the reply, not from the request, whose
      // password hashing takes what the machine's load makes it take.
      assert.deepEqual(
        await current.call('account.set_password', { old_password: PASSWORD, new_password: NEW_PASSWORD }),
        {},
      );
      for (const c of [other, otherByCookie]) assert.equal((await closedWithin(c, 1000)).code, 4001);
      // The connection that asked, and others of its session, go on.
      assert.equal((await current.call('account.me')).user.id, ada.user.id);
      assert.equal((await sameSession.call('account.me')).user.id, ada.user.id);
      assertApiError(await api(port, 'GET', '/api/me/export', { token: s2.token }), 401, 'unauthenticated');
      assert.equal((await api(port, 'GET', '/api/me/export', { token: s1.token })).status, 200);

      assertApiError(
        await api(port, 'POST', '/api/login', { body: { handle: 'ada', password: PASSWORD } }),
        401,
        'bad_credentials',
      );
      ada = await login(port, 'ada', NEW_PASSWORD);
      await current.close();
      await sameSession.close();
    });

    test('sessions ended outside a request (`ruche admin reset-password`, expiry) close their sockets within the 2 s sweep', async () => {
      const reset = await connectAs(server, ada.token);
      const expired = await connectAs(server, victim.token);
      const digest = crypto.createHash('sha256').update(victim.token).digest('hex').toUpperCase();
      sqlite(server.dbPath, `UPDATE sessions SET expires_at = ${Date.now() - 1} WHERE hex(token_hash) = '${digest}'`);
      const r = await runRuche(['admin', 'reset-password', 'ada', '--password-stdin', '--db', server.dbPath], {
        input: `${PASSWORD}\n`,
        env: cleanEnv(),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await closedWithin(reset, 3500)).code, 4001, 'reset-password');
      assert.equal((await closedWithin(expired, 3500)).code, 4001, 'expired');
      // And the tokens are refused from then on.
      for (const token of [ada.token, victim.token]) {
        assertApiError(await api(port, 'GET', '/api/me/export', { token }), 401, 'unauthenticated');
        const c = await connect(server.wsUrl);
        assert.equal((await c.request('auth', { token })).error.code, 'unauthenticated');
        await c.close();
      }
      ada = await login(port, 'ada', PASSWORD);
    });

    test('the expiry slides forward when the session is used', async () => {
      const s = await login(port, 'ada');
      const row = () =>
        sqlite(server.dbPath, 'SELECT id, last_seen_at, expires_at FROM sessions ORDER BY id DESC LIMIT 1')[0];
      const fresh = row();
      assert.ok(Math.abs(fresh.expires_at - (fresh.last_seen_at + TTL_DAYS * DAY_MS)) < 1000, 'ttl of --session-ttl days');
      // As if last used an hour ago, with a day left.
      const now = Date.now();
      sqlite(
        server.dbPath,
        `UPDATE sessions SET last_seen_at = ${now - 3600e3}, expires_at = ${now + DAY_MS} WHERE id = ${fresh.id}`,
      );
      assert.equal((await api(port, 'GET', '/api/me/export', { token: s.token })).status, 200);
      const slid = row();
      assert.ok(slid.last_seen_at >= now - 1000, 'last_seen_at moved');
      assert.ok(slid.expires_at >= now + TTL_DAYS * DAY_MS - 5000, `expires_at slid to now + ttl: ${slid.expires_at - now}`);
    });
  });

  describe('the export over HTTP', () => {
    test('GET /api/me/export with a Bearer token or the cookie: an attachment', async () => {
      for (const auth of [{ token: ada.token }, { cookie: `ruche_session=${ada.token}` }]) {
        const res = await api(port, 'GET', '/api/me/export', auth);
        assert.equal(res.status, 200, res.text);
        assert.match(res.headers['content-disposition'], /^attachment; filename="ruche-export\.json"$/);
        assert.equal(res.body.user.id, ada.user.id);
        assert.equal(res.body.format, 'ruche-export/1');
        assert.ok(res.body.sessions.length >= 1);
        assert.ok(!res.text.includes(ada.token), 'no token in the export');
      }
      assertApiError(await api(port, 'GET', '/api/me/export'), 401, 'unauthenticated');
    });
  });

  describe('rate limits and the worker threads', () => {
    test('concurrent wrong passwords: at most 5 of 7 are checked, then 429 with Retry-After; the loop stays free', async () => {
      const c = await connect(server.wsUrl);
      const results = Promise.all(
        Array.from({ length: 7 }, (_, i) =>
          api(port, 'POST', '/api/login', { body: { handle: 'victim', password: `parallel guess ${i}` } }),
        ),
      );
      // While the worker threads hash, the event loop answers at once.
      await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      await c.call('ping');
      const pingMs = Date.now() - t0;
      const answers = await results;
      const hashingMs = Date.now() - t0;
      await c.close();

      const locked = await api(port, 'POST', '/api/login', { body: { handle: 'VICTIM', password: PASSWORD } });
      assertApiError(locked, 429, 'rate_limited', 'the right password, any case of the handle, once locked');
      const retry = Number(locked.headers['retry-after']);
      assert.ok(retry > 14 * 60 && retry <= 15 * 60, `Retry-After ${retry}: the rest of the 15 minutes`);
      assert.equal(sessionCookie(locked), undefined, 'no cookie for a refused login');
      assert.ok((await login(port, 'ada')).token, 'another account logs in');
      // Were the hashing on the event loop, the ping would wait for it.
      assert.ok(
        pingMs < 1000 && pingMs * 3 < hashingMs,
        `ping answered in ${pingMs} ms while logins hashed for ${hashingMs} ms`,
      );

      const tried = answers.filter((x) => x.status === 401).length;
      const limited = answers.filter((x) => x.status === 429).length;
      assert.equal(tried + limited, 7);
      assert.ok(tried <= 5, `${tried} of 7 concurrent guesses were checked (at most 5 may be)`);
    });
  });
});

describe('POST requests without a body', () => {
  let s;
  before(async () => {
    s = await startServer({ env: cleanEnv() });
  });
  after(async () => {
    await stopOk(s);
  });

  test('a POST with neither Content-Length nor a body is answered (RFC 9112: its body is empty)', async () => {
    const answer = await new Promise((resolve, reject) => {
      const sock = net.connect(s.port, '127.0.0.1', () =>
        sock.write(`POST /api/logout HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\n\r\n`),
      );
      let text = '';
      sock.setTimeout(1500, () => {
        sock.destroy();
        resolve(text);
      });
      sock.on('data', (d) => (text += d));
      sock.on('end', () => resolve(text));
      sock.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 401 /, `an answer within 1.5 s: ${JSON.stringify(answer.slice(0, 100))}`);
  });

  test('Content-Length: 0 (what fetch() sends for a body-less POST) is answered, and the server lives', async () => {
    const res = await rawPost(s.port, '/api/logout', { 'content-length': '0' });
    assert.equal(res.status, 401, res.text);
    const h = await api(s.port, 'GET', '/healthz', { check: false });
    assert.equal(h.status, 200);
  });
});
