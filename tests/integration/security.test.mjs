// Issue 9, security review of the HTTP side: cross-site requests on every
// endpoint of the HTTP API, session fixation, the timing of failed logins,
// the Content-Security-Policy of every HTML page, and no secret in the
// logs.  The WebSocket upgrade's Origin rule is tested in full by
// ws-handshake.test.mjs (own origin, allowed ones, look-alikes, `null`);
// here one refusal shows it holds next to the HTTP API.  Runs over TLS too
// (integration-tls.security).
//
// The rule for a request without Origin but with the session cookie: it
// passes.  Browsers send Origin on every POST and on every cross-site
// request that is not a plain navigation, and the cookie is
// SameSite=Strict, so a request another site makes a browser send either
// has a foreign Origin (refused) or carries no cookie.  A request with
// neither comes from a client that is not a browser, which cannot be
// steered by another site.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  PASSWORD,
  api,
  assertApiError,
  connectAs,
  firstAdmin,
  inviteCode,
  login,
  sessionCookie,
  setupCode,
  signup,
} from '../lib/api.mjs';
import { createUsers } from '../lib/chat-setup.mjs';
import { connect, expectRefused } from '../lib/client.mjs';
import { httpGet } from '../lib/http.mjs';
import { repoRoot, startServer } from '../lib/server.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';

const FOREIGN = ['https://evil.example', 'null'];

describe('cross-site requests on the HTTP API', () => {
  let server;
  let port;
  let admin; // { token, user, ws }
  let hive;

  before(async () => {
    server = await startServer({ env: cleanEnv() });
    port = server.port;
    admin = await firstAdmin(server);
    hive = (await admin.ws.call('hive.create', { name: 'Guarded' })).hive.id;
  });
  after(async () => {
    if (admin?.ws && !admin.ws.closeInfo) await admin.ws.close();
    await stopOk(server);
  });

  // A request to the API with the given Origin (undefined: none).
  const call = (method, p, origin, opts = {}) => api(port, method, p, { ...opts, origin });

  test('POST /api/login: refused cross-site, and no session is opened', async () => {
    for (const origin of FOREIGN) {
      const res = await call('POST', '/api/login', origin, { body: { handle: 'admin', password: PASSWORD } });
      assertApiError(res, 403, 'forbidden', `login from ${origin}`);
      assert.equal(sessionCookie(res), undefined, 'no cookie');
      assert.equal(res.body.token, undefined, 'no token');
    }
    for (const origin of [server.origin, undefined]) {
      const res = await call('POST', '/api/login', origin, { body: { handle: 'admin', password: PASSWORD } });
      assert.equal(res.status, 200, `login from ${origin ?? 'no Origin'}: ${res.text}`);
    }
  });

  test('POST /api/signup: refused cross-site, and the invite is not used', async () => {
    const code = await inviteCode(admin.ws, hive, 'learner', { max_uses: 1 });
    const body = { code, handle: 'lena', display_name: 'Lena', password: PASSWORD };
    for (const origin of FOREIGN) {
      const res = await call('POST', '/api/signup', origin, { body });
      assertApiError(res, 403, 'forbidden', `signup from ${origin}`);
      assert.equal(sessionCookie(res), undefined);
    }
    const ok = await call('POST', '/api/signup', server.origin, { body });
    assert.equal(ok.status, 200, `the single-use invite still works: ${ok.text}`);
    assert.equal(ok.body.user.handle, 'lena');
  });

  test('POST /api/logout: refused cross-site, and the session goes on', async () => {
    const { token } = await login(port, 'admin');
    const cookie = `ruche_session=${token}`;
    for (const origin of FOREIGN) {
      const res = await call('POST', '/api/logout', origin, { cookie, body: {} });
      assertApiError(res, 403, 'forbidden', `logout from ${origin}`);
      assert.equal(sessionCookie(res), undefined, 'the cookie is not cleared');
    }
    const still = await call('GET', '/api/me/export', undefined, { cookie });
    assert.equal(still.status, 200, 'the session is still open');
    // No Origin, with the cookie: a client that is not a browser (above).
    const out = await call('POST', '/api/logout', undefined, { cookie, body: {} });
    assert.equal(out.status, 200, out.text);
    assertApiError(await call('GET', '/api/me/export', undefined, { cookie }), 401, 'unauthenticated');
  });

  test('POST /api/invite, GET /api/me/export, GET /api/hives/ID/audit, GET /ics/: refused cross-site', async () => {
    const { token } = await login(port, 'admin');
    const cookie = `ruche_session=${token}`;
    const code = await inviteCode(admin.ws, hive, 'learner');
    const { url } = await admin.ws.call('ics.url');
    const feed = new URL(url).pathname;
    const requests = [
      ['POST', '/api/invite', { body: { code } }],
      ['GET', '/api/me/export', { cookie }],
      ['GET', `/api/hives/${hive}/audit`, { cookie }],
      ['GET', `/api/hives/${hive}/audit?format=csv`, { cookie, check: false }],
      ['GET', feed, { check: false }],
    ];
    for (const [method, p, opts] of requests) {
      for (const origin of FOREIGN) {
        const res = await call(method, p, origin, opts);
        assert.equal(res.status, 403, `${method} ${p} from ${origin}: ${res.text}`);
        assert.equal(JSON.parse(res.text).error.code, 'forbidden');
      }
      for (const origin of [server.origin, undefined]) {
        const res = await call(method, p, origin, opts);
        assert.equal(res.status, 200, `${method} ${p} from ${origin ?? 'no Origin'}: ${res.text.slice(0, 200)}`);
      }
    }
  });

  test('an origin that only looks like ours is foreign', async () => {
    const own = new URL(server.origin);
    const other = own.protocol === 'https:' ? 'http:' : 'https:';
    for (const origin of [
      `${other}//${own.host}`, // another scheme
      `${own.protocol}//localhost:${own.port}`, // Host says 127.0.0.1
      `${own.protocol}//127.0.0.1:${Number(own.port) + 1}`,
      `${server.origin}.evil.example`,
    ]) {
      const res = await call('POST', '/api/login', origin, { body: { handle: 'admin', password: PASSWORD } });
      assertApiError(res, 403, 'forbidden', origin);
    }
  });

  test('the WebSocket upgrade applies the same rule (ws-handshake.test.mjs has all cases)', async () => {
    const refused = await expectRefused(server.wsUrl, { origin: 'https://evil.example', headers: { cookie: `ruche_session=${admin.token}` } });
    assert.equal(refused.status, 403);
  });
});

describe('session fixation', () => {
  let server;
  let port;

  before(async () => {
    server = await startServer({ env: cleanEnv() });
    port = server.port;
    await (await firstAdmin(server)).ws.close();
    await createUsers(server, ['ada', 'mallory']);
  });
  after(() => stopOk(server));

  const handleOf = async (token) => {
    const res = await api(port, 'GET', '/api/me/export', { cookie: `ruche_session=${token}` });
    return res.status === 200 ? res.body.user.handle : res.status;
  };

  test('a session id chosen before login is not adopted: login issues a new one', async () => {
    const chosen = 'A'.repeat(43);
    const res = await api(port, 'POST', '/api/login', {
      cookie: `ruche_session=${chosen}`,
      body: { handle: 'ada', password: PASSWORD },
    });
    assert.equal(res.status, 200, res.text);
    const set = sessionCookie(res);
    assert.notEqual(res.body.token, chosen);
    assert.equal(set.value, res.body.token, 'the cookie carries the new session');
    assert.equal(await handleOf(chosen), 401, 'the chosen id opens nothing');
    assert.equal(await handleOf(res.body.token), 'ada');
  });

  test("an attacker's own session planted in a browser stays the attacker's", async () => {
    const mallory = await login(port, 'mallory');
    const res = await api(port, 'POST', '/api/login', {
      cookie: `ruche_session=${mallory.token}`,
      token: mallory.token,
      body: { handle: 'ada', password: PASSWORD },
    });
    assert.equal(res.status, 200, res.text);
    assert.notEqual(res.body.token, mallory.token);
    assert.equal(sessionCookie(res).value, res.body.token);
    assert.equal(await handleOf(mallory.token), 'mallory', 'the planted session did not become ada');
    assert.equal(await handleOf(res.body.token), 'ada');
  });

  test('each login and each signup opens a session of its own', async () => {
    const tokens = new Set();
    for (let i = 0; i < 3; i++) tokens.add((await login(port, 'ada')).token);
    assert.equal(tokens.size, 3);
    const admin = await login(port, 'admin');
    const ws = await connectAs(server, admin.token);
    const hive = (await ws.call('hive.create', { name: 'Fixation' })).hive.id;
    const code = await inviteCode(ws, hive, 'learner');
    await ws.close();
    const res = await api(port, 'POST', '/api/signup', {
      cookie: `ruche_session=${admin.token}`,
      body: { code, handle: 'newcomer', display_name: 'Newcomer', password: PASSWORD },
    });
    assert.equal(res.status, 200, res.text);
    assert.notEqual(res.body.token, admin.token);
    assert.equal(sessionCookie(res).value, res.body.token);
    assert.equal(await handleOf(res.body.token), 'newcomer');
    assert.equal(await handleOf(admin.token), 'admin');
  });
});

describe('timing of failed logins', () => {
  let server;
  let port;
  const ACCOUNTS = ['tia', 'tom', 'tess', 'theo', 'tara'];

  before(async () => {
    server = await startServer({ env: cleanEnv() });
    port = server.port;
    await createUsers(server, ACCOUNTS);
  });
  after(() => stopOk(server));

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
  };

  // Milliseconds one refused login takes, seen by the client.
  async function timed(body, expect) {
    const t0 = process.hrtime.bigint();
    const res = await api(port, 'POST', '/api/login', { body, check: false });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(res.status, expect, res.text);
    return ms;
  }

  test('an unknown handle takes as long as a wrong password (the KDF runs for both)', async (t) => {
    // Ten of each, interleaved so that load on the machine hits both
    // alike; two tries per account stay under the per-account limit, and
    // twenty failures under the per-address one.
    const wrong = [];
    const unknown = [];
    const quick = [];
    for (let i = 0; i < 10; i++) {
      unknown.push(await timed({ handle: `nobody${i}`, password: 'not the password' }, 401));
      wrong.push(await timed({ handle: ACCOUNTS[i % ACCOUNTS.length], password: 'not the password' }, 401));
      // The cost of a request that hashes nothing: the baseline.
      quick.push(await timed({ handle: 'tia' }, 400));
    }
    const [u, w, q] = [median(unknown), median(wrong), median(quick)];
    const why = `medians: unknown ${u.toFixed(1)} ms, wrong password ${w.toFixed(1)} ms, no hashing ${q.toFixed(1)} ms`;
    t.diagnostic(why);
    assert.ok(w > 2 * q, `a wrong password costs a hashing: ${why}`);
    assert.ok(u > 2 * q, `an unknown handle costs a hashing too: ${why}`);
    assert.ok(u / w > 0.5 && u / w < 2, `comparable times: ${why}`);
  });
});

describe('Content-Security-Policy', () => {
  let server;
  before(async () => {
    server = await startServer({ env: cleanEnv() });
  });
  after(() => stopOk(server));

  // The directives of a policy: { 'script-src': ["'self'"], ... }.
  const directives = (csp) =>
    Object.fromEntries(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([name, ...values]) => [name.toLowerCase(), values]),
    );

  test('every HTML page has a policy without unsafe-inline or unsafe-eval', async () => {
    const clientDir = path.join(repoRoot, 'client');
    const pages = ['/'];
    const walk = (dir) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.html')) pages.push('/' + path.relative(clientDir, p).split(path.sep).join('/'));
      }
    };
    walk(clientDir);
    assert.ok(pages.includes('/index.html'), `pages: ${pages}`);
    for (const p of pages) {
      const res = await httpGet(server.port, p);
      assert.equal(res.status, 200, p);
      assert.match(res.headers['content-type'], /^text\/html/, p);
      const csp = res.headers['content-security-policy'];
      assert.ok(csp, `${p} has a policy`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|unsafe-hashes|\*/, `${p}: ${csp}`);
      const d = directives(csp);
      assert.deepEqual(d['default-src'], ["'none'"], `${p}: default-src`);
      assert.deepEqual(d['script-src'], ["'self'"], `${p}: script-src`);
      assert.deepEqual(d['style-src'], ["'self'"], `${p}: style-src`);
      assert.deepEqual(d['frame-ancestors'], ["'none'"], `${p}: frame-ancestors`);
      assert.deepEqual(d['base-uri'], ["'none'"], `${p}: base-uri`);
      // The page itself must live with that policy: no inline script,
      // style, or event handler that the browser would block.
      const html = res.body;
      for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        assert.match(m[1], /\bsrc=/, `${p}: a script with a src`);
        assert.equal(m[2].trim(), '', `${p}: no inline script`);
      }
      assert.doesNotMatch(html, /<style\b/i, `${p}: no <style> element`);
      assert.doesNotMatch(html, /\sstyle\s*=/i, `${p}: no style attribute`);
      assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${p}: no inline event handler`);
      assert.doesNotMatch(html, /javascript:/i, `${p}: no javascript: URL`);
    }
  });

  test('every other answer carries the policy too', async () => {
    for (const p of ['/healthz', '/nope', '/ws', '/api/nope', '/js/app.js']) {
      const res = await httpGet(server.port, p);
      const csp = res.headers['content-security-policy'];
      assert.ok(csp, `${p} (${res.status}) has a policy`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, p);
    }
  });
});

describe('no secret in the logs', () => {
  test('a setup, invite, signup, login, calendar and logout flow at --log-level debug', async () => {
    const server = await startServer({ args: ['--log-level', 'debug'], env: cleanEnv() });
    const port = server.port;
    const secrets = {}; // what -> value
    let stopped = false;
    try {
      const setup = setupCode(server).code;
      const admin = await firstAdmin(server);
      secrets['admin session'] = admin.token;
      const hive = (await admin.ws.call('hive.create', { name: 'Quiet' })).hive.id;
      secrets['invite code'] = await inviteCode(admin.ws, hive, 'learner');
      const info = await api(port, 'POST', '/api/invite', { body: { code: secrets['invite code'] } });
      assert.equal(info.status, 200, info.text);
      const PW2 = 'another long secret phrase';
      const lea = await signup(port, secrets['invite code'], 'lea', { password: PW2 });
      secrets['signup session'] = lea.token;
      secrets['password'] = PASSWORD;
      secrets['second password'] = PW2;
      const wrongPw = 'a wrong guess of a password';
      assertApiError(
        await api(port, 'POST', '/api/login', { body: { handle: 'lea', password: wrongPw } }),
        401,
        'bad_credentials',
      );
      secrets['wrong password'] = wrongPw;
      const s = await login(port, 'lea', PW2);
      secrets['login session'] = s.token;
      const ws = await connectAs(server, s.token);
      const { url } = await ws.call('ics.url');
      secrets['calendar token'] = /\/ics\/([A-Za-z0-9_-]{43})\.ics$/.exec(url)[1];
      assert.equal((await httpGet(port, new URL(url).pathname)).status, 200);
      assert.equal((await httpGet(port, `/ics/${'B'.repeat(43)}.ics`)).status, 404);
      secrets['unknown calendar token'] = 'B'.repeat(43);
      await ws.close();
      await admin.ws.close();
      // A wrong token given to auth, and a logout by cookie.
      secrets['wrong auth token'] = 'C'.repeat(43);
      const c = await connect(server.wsUrl);
      assert.equal((await c.request('auth', { token: secrets['wrong auth token'] })).ok, false);
      await c.close();
      const out = await api(port, 'POST', '/api/logout', { cookie: `ruche_session=${s.token}`, body: {} });
      assert.equal(out.status, 200, out.text);
      await stopOk(server);
      stopped = true;

      const logs = server.stderr;
      assert.match(logs, / debug /, 'debug lines were written');
      assert.match(logs, /logged in/, 'the flow was logged');
      for (const [what, value] of Object.entries(secrets)) {
        assert.ok(!logs.includes(value), `the ${what} is not in the log`);
        assert.ok(!server.stdout.includes(value), `the ${what} is not on standard output`);
      }
      assert.doesNotMatch(logs, /scrypt\$/, 'no password hash in the log');
      // The first-admin link is printed on purpose, once, on standard
      // output (for the operator), and never in the log.
      assert.equal(server.stdout.split(setup).length - 1, 1, 'the setup link is printed once');
      assert.ok(!logs.includes(setup), 'the setup code is not in the log');
    } finally {
      if (!stopped) await server.stop('SIGKILL');
    }
  });
});
