// Issue 9, TLS: `ruche serve --tls-cert PEM --tls-key PEM` serves HTTPS and
// WSS on its port, with TLS 1.2 and 1.3 only and forward-secret AEAD
// ciphers only, HSTS on every response and Secure session cookies; plain
// HTTP to that port is dropped, and a half or broken TLS setup stops the
// start with a clear error.
//
// Refusals are proved against a control: a Node TLS server that accepts
// anything is shown to accept the very same client offer, so that a
// refusal is the server's doing and not a client that offered nothing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';

import { PASSWORD, api, firstAdmin, login, sessionCookie, setupCode } from '../lib/api.mjs';
import { connect, expectRefused } from '../lib/client.mjs';
import { httpGet } from '../lib/http.mjs';
import { OP, encodeFrame, rawWebSocket } from '../lib/rawws.mjs';
import { repoRoot, startServer, tempDir } from '../lib/server.mjs';
import { cleanEnv, run, sleep, stopOk } from '../lib/util.mjs';

const MAKE_CERT = path.join(repoRoot, 'scripts', 'make-cert.sh');

// A pair from scripts/make-cert.sh: { cert, key (paths), pem, keyPem }.
function makePair(...flags) {
  const dir = tempDir('ruche-tls-');
  execFileSync(MAKE_CERT, [...flags, dir], { stdio: 'ignore' });
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  return { cert, key, pem: fs.readFileSync(cert), keyPem: fs.readFileSync(key) };
}

// A TLS handshake with 127.0.0.1:port.  Resolves { protocol, cipher, alpn }
// once it succeeded, or { error } with the error's code.
function handshake(port, pem, options = {}) {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ca: pem, ...options });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ error: 'timeout' });
    }, 5000);
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const out = { protocol: sock.getProtocol(), cipher: sock.getCipher().name, alpn: sock.alpnProtocol };
      sock.destroy();
      resolve(out);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      resolve({ error: err.code || err.message });
    });
  });
}

// A TLS server that takes any version and cipher Node can speak, with the
// same certificate: the control for every refusal below.
async function lenientServer(pair) {
  const srv = tls.createServer(
    { key: pair.keyPem, cert: pair.pem, minVersion: 'TLSv1', ciphers: 'ALL:@SECLEVEL=0' },
    (s) => s.end(),
  );
  srv.on('tlsClientError', () => {});
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return srv;
}

// True when this machine's openssl can offer cipher at all.
function opensslKnows(cipher) {
  return spawnSync('openssl', ['ciphers', `${cipher}:@SECLEVEL=0`]).status === 0;
}

// One handshake by `openssl s_client` offering only cipher over TLS 1.2:
// { status, out } (out: stdout and stderr).
function sClient(port, cipher) {
  const r = spawnSync(
    'openssl',
    ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', `${cipher}:@SECLEVEL=0`],
    { input: '', timeout: 10000 },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('ruche serve over TLS', () => {
  let rsa; // the TLS server's pair: RSA, so that RSA-only suites can be offered
  let server; // over TLS
  let plain; // the same server without TLS, for comparison
  let control;

  before(async () => {
    rsa = makePair('--rsa');
    server = await startServer({ args: ['--tls-cert', rsa.cert, '--tls-key', rsa.key], env: cleanEnv() });
    plain = await startServer({ tls: false, env: cleanEnv() });
    control = await lenientServer(rsa);
  });
  after(async () => {
    control?.close();
    await stopOk(server);
    await stopOk(plain);
  });

  test('prints an https:// address and first-admin link', () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(setupCode(server).base, server.url);
    assert.match(plain.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('TLS 1.2 and 1.3 are accepted, with forward-secret AEAD ciphers and HTTP/1.1', async () => {
    const v12 = await handshake(server.port, rsa.pem, { maxVersion: 'TLSv1.2' });
    assert.equal(v12.protocol, 'TLSv1.2', JSON.stringify(v12));
    assert.match(v12.cipher, /^ECDHE-RSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
    const v13 = await handshake(server.port, rsa.pem, { minVersion: 'TLSv1.3' });
    assert.equal(v13.protocol, 'TLSv1.3', JSON.stringify(v13));
    assert.match(v13.cipher, /^TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$/);
    // WebSocket frames are written raw: HTTP/2 must never be chosen.
    const alpn = await handshake(server.port, rsa.pem, { ALPNProtocols: ['h2', 'http/1.1'] });
    assert.equal(alpn.alpn, 'http/1.1', JSON.stringify(alpn));
    // The certificate is checked (not skipped): a client that does not
    // trust it is refused by its own check.
    const untrusted = await handshake(server.port, makePair().pem);
    assert.match(untrusted.error, /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/, JSON.stringify(untrusted));
  });

  for (const version of ['TLSv1', 'TLSv1.1']) {
    test(`${version} is refused`, async () => {
      const offer = { minVersion: version, maxVersion: version, ciphers: 'ALL:@SECLEVEL=0' };
      const ok = await handshake(control.address().port, rsa.pem, offer);
      assert.equal(ok.protocol, version, `the client can speak ${version}: ${JSON.stringify(ok)}`);
      const refused = await handshake(server.port, rsa.pem, offer);
      assert.equal(refused.error, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', JSON.stringify(refused));
    });
  }

  // Suites Node can still offer that fall short: no forward secrecy
  // (static RSA key exchange) or no AEAD (CBC with SHA-1 or SHA-2).
  const WEAK = ['AES128-SHA', 'AES256-SHA256', 'AES128-GCM-SHA256', 'AES256-GCM-SHA384',
    'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-RSA-AES256-SHA384'];
  test('ciphers without forward secrecy or without AEAD are refused', async () => {
    for (const cipher of WEAK) {
      const offer = { maxVersion: 'TLSv1.2', ciphers: `${cipher}:@SECLEVEL=0` };
      const ok = await handshake(control.address().port, rsa.pem, offer);
      assert.equal(ok.cipher, cipher, `the client can use ${cipher}: ${JSON.stringify(ok)}`);
      const refused = await handshake(server.port, rsa.pem, offer);
      assert.equal(refused.error, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', `${cipher}: ${JSON.stringify(refused)}`);
    }
  });

  // 3DES, RC4, NULL, anonymous and export suites: Node cannot offer them
  // at all, so openssl s_client does (the command scripts/make-cert.sh
  // needs too), for those this machine's OpenSSL still has: at least the
  // NULL and anonymous ones.
  test('3DES, RC4, NULL, anonymous and export ciphers are refused', () => {
    const candidates = ['DES-CBC3-SHA', 'ECDHE-RSA-DES-CBC3-SHA', 'RC4-SHA', 'ECDHE-RSA-RC4-SHA', 'NULL-SHA256',
      'ECDHE-RSA-NULL-SHA', 'AECDH-AES128-SHA', 'ADH-AES128-GCM-SHA256', 'EXP-RC4-MD5', 'EXP-DES-CBC-SHA'];
    const tried = [];
    for (const cipher of candidates.filter(opensslKnows)) {
      const r = sClient(server.port, cipher);
      assert.notEqual(r.status, 0, `${cipher} was accepted:\n${r.out}`);
      assert.match(r.out, /alert handshake failure/, `${cipher}: the server refused it:\n${r.out}`);
      tried.push(cipher);
    }
    assert.ok(tried.includes('NULL-SHA256') && tried.includes('AECDH-AES128-SHA'), `tried ${tried}`);
  });

  test('every HTTPS response carries Strict-Transport-Security; plain HTTP ones do not', async () => {
    const port = server.port;
    const answers = {
      'GET /': await httpGet(port, '/'),
      'GET /index.html': await httpGet(port, '/index.html'),
      'GET /healthz': await httpGet(port, '/healthz'),
      'GET /nope': await httpGet(port, '/nope'),
      'GET /ws': await httpGet(port, '/ws'),
      'DELETE /': await httpGet(port, '/', { method: 'DELETE' }),
      'GET /api/nope': await api(port, 'GET', '/api/nope'),
      'POST /api/login': await api(port, 'POST', '/api/login', { body: { handle: 'nobody', password: 'wrong password' } }),
      'GET /api/me/export': await api(port, 'GET', '/api/me/export'),
      'GET /ics/x.ics': await httpGet(port, '/ics/x.ics'),
    };
    const statuses = Object.values(answers).map((r) => r.status);
    for (const s of [200, 401, 404, 405, 426]) assert.ok(statuses.includes(s), `a ${s} among ${statuses}`);
    for (const [what, res] of Object.entries(answers)) {
      const hsts = res.headers['strict-transport-security'];
      assert.ok(hsts, `${what} (${res.status}) has HSTS`);
      const age = Number(/^max-age=(\d+)$/.exec(hsts)?.[1]);
      assert.ok(age >= 365 * 86400, `${what}: HSTS lasts a year or more: ${hsts}`);
    }
    // An upgrade refused (wrong Origin) is an HTTPS response too.
    const refused = await expectRefused(server.wsUrl, { origin: 'https://evil.example' });
    assert.equal(refused.status, 403);
    assert.ok(refused.headers['strict-transport-security'], 'a refused upgrade has HSTS');

    for (const p of ['/', '/healthz', '/nope']) {
      const res = await httpGet(plain.port, p);
      assert.equal(res.headers['strict-transport-security'], undefined, `plain HTTP ${p} has no HSTS`);
    }
  });

  test('the session cookie is Secure over TLS, and not over plain HTTP', async () => {
    const attrsOf = (c) => c.header.split(';').map((a) => a.trim());
    await (await firstAdmin(server)).ws.close();
    const res = await api(server.port, 'POST', '/api/login', { body: { handle: 'admin', password: PASSWORD } });
    assert.equal(res.status, 200, res.text);
    const cookie = sessionCookie(res);
    assert.ok(cookie, 'login sets the session cookie');
    const attrs = attrsOf(cookie);
    assert.ok(attrs.includes('Secure'), cookie.header);
    assert.ok(attrs.includes('HttpOnly') && attrs.includes('SameSite=Strict'), cookie.header);
    const out = await api(server.port, 'POST', '/api/logout', { cookie: `ruche_session=${cookie.value}`, body: {} });
    assert.equal(out.status, 200, out.text);
    const cleared = sessionCookie(out);
    assert.ok(cleared && cleared.value === '', 'logout clears the cookie');
    assert.ok(attrsOf(cleared).includes('Secure'), cleared.header);

    await (await firstAdmin(plain)).ws.close();
    const p = await api(plain.port, 'POST', '/api/login', { body: { handle: 'admin', password: PASSWORD } });
    const pc = sessionCookie(p);
    assert.ok(pc, 'login over plain HTTP sets the cookie too');
    assert.ok(!attrsOf(pc).includes('Secure'), pc.header);
  });

  test('WSS carries the protocol; the own origin is https://<Host>', async () => {
    const { token } = await login(server.port, 'admin');
    assert.match(server.wsUrl, /^wss:\/\//);
    const c = await connect(server.wsUrl, { origin: server.origin });
    await c.call('auth', { token });
    const pong = await c.request('ping');
    assert.equal(pong.ok, true);
    await c.close();
    // Over TLS a page of this server has an https:// origin; the same
    // host with http:// is another origin, and refused.
    const http1 = await expectRefused(server.wsUrl, { origin: `http://127.0.0.1:${server.port}` });
    assert.equal(http1.status, 403);

    // Frames written by hand through TLS, split across writes and
    // batched, come back as frames: the raw write path works over TLS.
    const raw = await rawWebSocket(server.port);
    const a = encodeFrame(OP.TEXT, JSON.stringify({ id: 1, op: 'ping' }));
    const b = encodeFrame(OP.TEXT, JSON.stringify({ id: 2, op: 'ping' }));
    await raw.write(a.subarray(0, 3));
    await sleep(20);
    await raw.write(Buffer.concat([a.subarray(3), b]));
    for (let i = 0; i < 100 && raw.frames.filter((f) => f.opcode === OP.TEXT).length < 2; i++) await sleep(20);
    const replies = raw.frames.filter((f) => f.opcode === OP.TEXT).map((f) => JSON.parse(f.payload));
    assert.deepEqual(replies.map((r) => [r.re, r.ok]), [[1, true], [2, true]]);
    await raw.write(encodeFrame(OP.CLOSE, Buffer.from([0x03, 0xe8])));
    assert.deepEqual(await raw.closeFrame(), { code: 1000, reason: '' });
    await raw.destroy();
  });

  test('plain HTTP to the TLS port fails cleanly, and the server goes on', async () => {
    // A plain HTTP client gets no HTTP answer, and no hang.
    const err = await new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: server.port, path: '/healthz', agent: false, timeout: 5000 }, (res) =>
        resolve(new Error(`answered ${res.statusCode}`)),
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve(e));
    });
    assert.notEqual(err.message, 'timeout', 'the server drops the connection at once');
    assert.doesNotMatch(err.message, /^answered/, 'no HTTP answer in clear text');

    // Bytes that are not TLS at all: the connection is closed.
    const closed = await new Promise((resolve) => {
      const sock = net.connect(server.port, '127.0.0.1', () => sock.write('\x00\x01garbage\r\n\r\n'));
      const timer = setTimeout(() => {
        sock.destroy();
        resolve(false);
      }, 5000);
      sock.on('error', () => {});
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    assert.ok(closed, 'a connection speaking no TLS is closed');

    const health = await httpGet(server.port, '/healthz');
    assert.equal(health.status, 200);
    assert.equal(server.proc.exitCode, null, 'still running');
  });
});

describe('TLS settings', () => {
  let pair;
  let dir;
  before(() => {
    pair = makePair();
    dir = tempDir();
  });
  const base = () => ['serve', '--listen', '127.0.0.1:0', '--db', path.join(dir, 'r.db')];

  test('--tls-cert and --tls-key go together, from flags or the environment', async () => {
    const cases = [
      { args: ['--tls-cert', pair.cert] },
      { args: ['--tls-key', pair.key] },
      { env: { RUCHE_TLS_CERT: pair.cert } },
      { env: { RUCHE_TLS_KEY: pair.key }, args: [] },
    ];
    for (const c of cases) {
      const r = await run([...base(), ...(c.args ?? [])], { env: c.env, timeoutMs: 10000 });
      assert.equal(r.code, 2, `${JSON.stringify(c)}: a usage error\n${r.stderr}`);
      assert.match(r.stderr, /--tls-cert and --tls-key go together/);
      assert.doesNotMatch(r.stdout, /listening/);
    }
  });

  test('an unreadable certificate or key stops the start, naming the file', async () => {
    const missing = path.join(dir, 'missing.pem');
    for (const [args, what] of [
      [['--tls-cert', missing, '--tls-key', pair.key], 'certificate'],
      [['--tls-cert', pair.cert, '--tls-key', missing], 'key'],
    ]) {
      const r = await run([...base(), ...args], { timeoutMs: 10000 });
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.includes(`cannot read the TLS ${what} '${missing}': No such file or directory`), r.stderr);
      assert.doesNotMatch(r.stdout, /listening/);
    }
  });

  test('files that are not a certificate and its key stop the start', async () => {
    const other = makePair();
    for (const args of [
      ['--tls-cert', pair.key, '--tls-key', pair.cert], // swapped
      ['--tls-cert', pair.cert, '--tls-key', other.key], // not its key
    ]) {
      const r = await run([...base(), ...args], { timeoutMs: 10000 });
      assert.notEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, /cannot listen on 127\.0\.0\.1:0 with TLS: .* a PEM certificate and its private key/);
      assert.doesNotMatch(r.stdout, /listening/);
    }
  });

  test('RUCHE_TLS_CERT and RUCHE_TLS_KEY serve HTTPS', async (t) => {
    const s = await startServer({ tls: false, env: cleanEnv({ RUCHE_TLS_CERT: pair.cert, RUCHE_TLS_KEY: pair.key }) });
    t.after(() => stopOk(s));
    assert.match(s.url, /^https:/);
    const res = await httpGet(s.port, '/healthz');
    assert.equal(res.status, 200);
    assert.ok(res.headers['strict-transport-security']);
  });

  test('--help documents the TLS options', async () => {
    const r = await run(['serve', '--help']);
    assert.equal(r.code, 0);
    for (const s of ['--tls-cert PEM', '--tls-key PEM', 'RUCHE_TLS_CERT', 'RUCHE_TLS_KEY', 'make-cert.sh']) {
      assert.ok(r.stdout.includes(s), `--help mentions ${s}`);
    }
  });

  test('scripts/make-cert.sh makes a pair for localhost and 127.0.0.1, key private', () => {
    const p = makePair();
    const x509 = new crypto.X509Certificate(p.pem);
    assert.match(x509.subjectAltName, /DNS:localhost/);
    assert.match(x509.subjectAltName, /IP Address:127\.0\.0\.1/);
    assert.equal(x509.checkPrivateKey(crypto.createPrivateKey(p.keyPem)), true);
    assert.equal(fs.statSync(p.key).mode & 0o077, 0, 'the key is readable by its owner only');
    const bad = spawnSync(MAKE_CERT, ['--nope']);
    assert.equal(bad.status, 2);
  });
});
