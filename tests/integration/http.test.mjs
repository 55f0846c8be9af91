// The HTTP side: the client folder served with the right types and
// security headers, nothing outside it (no "..", no encoded dots, no
// symlink out, no hidden file, no listing), and GET /healthz.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { startServer, tempDir } from '../lib/server.mjs';
import { connect } from '../lib/client.mjs';
import { httpGet } from '../lib/http.mjs';
import { eventually, makeTree, run, stopOk } from '../lib/util.mjs';

// A client folder inside a parent that also holds secrets, so that any
// way out of the folder would show.
const SECRET = 'TOP-SECRET-3b1f';
const parent = tempDir('ruche-http-');
const secretFile = path.join(parent, 'secret.txt');
const outsideDir = path.join(parent, 'outside');

const files = {
  'index.html': '<!doctype html><title>Ruche test</title>\n',
  'app.js': 'export const x = 1;\n',
  'mod.mjs': 'export default 2;\n',
  'style.css': 'body { color: red; }\n',
  'data.json': '{"a":1}\n',
  'logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
  'pixel.png': Buffer.from('89504e470d0a1a0a', 'hex'),
  'favicon.ico': Buffer.from([0, 0, 1, 0]),
  'font.woff2': Buffer.from('wOF2'),
  'notes.txt': 'plain text\n',
  'app.webmanifest': '{"name":"Ruche"}\n',
  'blob.xyz': 'unknown kind\n',
  'noext': 'no extension\n',
  'sub/index.html': '<!doctype html><title>sub index</title>\n',
  'sub/deep/page.html': '<!doctype html><title>deep</title>\n',
  'empty/.keep': '',
  '.env': `PASSWORD=${SECRET}\n`,
  '.git/config': `[core] ${SECRET}\n`,
};

const TYPES = {
  '/index.html': 'text/html; charset=utf-8',
  '/app.js': 'text/javascript; charset=utf-8',
  '/mod.mjs': 'text/javascript; charset=utf-8',
  '/style.css': 'text/css; charset=utf-8',
  '/data.json': 'application/json',
  '/logo.svg': 'image/svg+xml',
  '/pixel.png': 'image/png',
  '/favicon.ico': 'image/x-icon',
  '/font.woff2': 'font/woff2',
  '/notes.txt': 'text/plain; charset=utf-8',
  '/app.webmanifest': 'application/manifest+json',
  '/blob.xyz': 'application/octet-stream',
  '/noext': 'application/octet-stream',
};

let server;
let clientDir;

before(async () => {
  fs.writeFileSync(secretFile, `${SECRET}\n`);
  fs.mkdirSync(outsideDir);
  fs.writeFileSync(path.join(outsideDir, 'inside-link-target.txt'), `${SECRET}\n`);
  clientDir = makeTree(files, path.join(parent, 'client'));
  // Symlinks that lead out of the folder, absolute and relative, to a file
  // and to a folder.
  fs.symlinkSync(secretFile, path.join(clientDir, 'escape.txt'));
  fs.symlinkSync('../secret.txt', path.join(clientDir, 'escape-rel.txt'));
  fs.symlinkSync(outsideDir, path.join(clientDir, 'outdir'));
  fs.symlinkSync('/etc/passwd', path.join(clientDir, 'passwd.txt'));
  server = await startServer({ args: ['--client-dir', clientDir] });
});

after(async () => {
  await stopOk(server);
});

// The Content-Security-Policy must be strict: nothing by default, only our
// own origin for scripts and styles, no inline or eval, no framing.
function assertStrictCsp(headers, what) {
  const csp = headers['content-security-policy'];
  assert.ok(csp, `${what}: Content-Security-Policy present`);
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...values] = d.split(/\s+/);
        return [name.toLowerCase(), values];
      }),
  );
  assert.deepEqual(directives.get('default-src'), ["'none'"], `${what}: default-src 'none'`);
  for (const name of ['script-src', 'style-src']) {
    assert.deepEqual(directives.get(name), ["'self'"], `${what}: ${name} 'self' only`);
  }
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], `${what}: no framing`);
  assert.ok(directives.has('base-uri'), `${what}: base-uri restricted`);
  assert.doesNotMatch(csp, /unsafe-|(^|\s)\*|(^|\s)(https?|wss?|blob):(\s|;|$)/i,
    `${what}: no unsafe-*, wildcard or bare scheme in ${csp}`);
  for (const [name, values] of directives) {
    if (name === 'img-src') continue; // data: images are harmless
    assert.ok(!values.includes('data:'), `${what}: no data: in ${name}`);
  }
}

function assertSecurityHeaders(res, what) {
  assertStrictCsp(res.headers, what);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
}

function assertNotFound(res, what) {
  assert.equal(res.status, 404, `${what}: status`);
  assert.ok(!res.body.includes(SECRET), `${what}: no secret in the body`);
  assert.ok(!res.body.includes('root:'), `${what}: no /etc/passwd in the body`);
  assertSecurityHeaders(res, what);
}

describe('static files', () => {
  test('each file is served whole, with its content type', async () => {
    for (const [urlPath, type] of Object.entries(TYPES)) {
      const res = await httpGet(server.port, urlPath);
      assert.equal(res.status, 200, urlPath);
      assert.equal(res.headers['content-type'], type, urlPath);
      assert.deepEqual(res.raw, Buffer.from(files[urlPath.slice(1)]), `${urlPath}: body`);
      assertSecurityHeaders(res, urlPath);
    }
  });

  test('/ and folder/ serve their index.html', async () => {
    const root = await httpGet(server.port, '/');
    assert.equal(root.status, 200);
    assert.equal(root.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(root.body, files['index.html']);
    assertSecurityHeaders(root, '/');
    const sub = await httpGet(server.port, '/sub/');
    assert.equal(sub.status, 200);
    assert.equal(sub.body, files['sub/index.html']);
    const deep = await httpGet(server.port, '/sub/deep/page.html');
    assert.equal(deep.status, 200);
    assert.equal(deep.body, files['sub/deep/page.html']);
  });

  test('a query string does not change the file', async () => {
    const res = await httpGet(server.port, '/app.js?v=123');
    assert.equal(res.status, 200);
    assert.equal(res.body, files['app.js']);
  });

  test('missing files are 404, with the security headers', async () => {
    for (const p of ['/nope.html', '/sub/nope.js', '/nope/', '/index.html/', '/index.htm']) {
      assertNotFound(await httpGet(server.port, p), p);
    }
  });

  test('no directory listing', async () => {
    for (const p of ['/empty/', '/empty', '/sub', '/sub/deep/', '/sub/deep']) {
      const res = await httpGet(server.port, p);
      assertNotFound(res, p);
      assert.ok(!res.body.includes('.keep') && !res.body.includes('page.html'), `${p}: lists nothing`);
    }
  });

  test('hidden files and folders are not served', async () => {
    for (const p of ['/.env', '/.git/config', '/empty/.keep', '/sub/../.env']) {
      assertNotFound(await httpGet(server.port, p), p);
    }
  });

  test('no way out with ".." in the path', async () => {
    for (const p of [
      '/../secret.txt',
      '/../../etc/passwd',
      '/../../../../../../../../etc/passwd',
      '/sub/../../secret.txt',
      '/sub/deep/../../../secret.txt',
      '/..',
      '/../',
    ]) {
      const res = await httpGet(server.port, p);
      if (res.status === 200) {
        // Clamped at the root ("/.." is "/"), which is allowed: it must
        // then be a file of the folder, never the secret.
        assert.ok(!res.body.includes(SECRET) && !res.body.includes('root:'), p);
        assert.equal(res.body, files['index.html'], `${p}: clamped to the index`);
      } else {
        assertNotFound(res, p);
      }
    }
  });

  test('no way out with encoded dots or slashes', async () => {
    for (const p of [
      '/%2e%2e/%2e%2e/etc/passwd',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/.%2e/secret.txt',
      '/%2e./secret.txt',
      '/sub/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/%252e%252e/secret.txt',
      '/..%5csecret.txt',
      '/..\\secret.txt',
      '/%c0%ae%c0%ae/secret.txt',
    ]) {
      assertNotFound(await httpGet(server.port, p), p);
    }
  });

  test('no way out through a symlink', async () => {
    for (const p of ['/escape.txt', '/escape-rel.txt', '/outdir/inside-link-target.txt', '/outdir/', '/passwd.txt']) {
      assertNotFound(await httpGet(server.port, p), p);
    }
  });

  test('absolute file paths name files inside the folder only', async () => {
    for (const p of ['//etc/passwd', secretFile, `/${secretFile}`]) {
      assertNotFound(await httpGet(server.port, p), p);
    }
  });
});

describe('GET /healthz', () => {
  test('200 JSON: status, version, uptime_s, connections', async () => {
    const res = await httpGet(server.port, '/healthz');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^application\/json\b/);
    assertSecurityHeaders(res, '/healthz');
    const body = JSON.parse(res.body);
    assert.deepEqual(Object.keys(body).sort(), ['connections', 'status', 'uptime_s', 'version']);
    assert.equal(body.status, 'ok');
    const v = await run(['version']);
    assert.equal(`ruche ${body.version} (protocol ruche.v1)\n`, v.stdout, 'same version as `ruche version`');
    assert.ok(Number.isInteger(body.uptime_s) && body.uptime_s >= 0, 'uptime_s');
    assert.ok(Number.isInteger(body.connections) && body.connections >= 0, 'connections');
  });

  test('connections counts open WebSockets', async (t) => {
    // A server of its own, so that other tests' sockets do not count.
    const s = await startServer({ args: ['--client-dir', clientDir] });
    t.after(() => stopOk(s));
    const count = async () => JSON.parse((await httpGet(s.port, '/healthz')).body).connections;
    assert.equal(await count(), 0);
    const a = await connect(s.wsUrl);
    const b = await connect(s.wsUrl);
    await eventually(async () => (await count()) === 2, { what: '2 connections' });
    await a.close();
    await eventually(async () => (await count()) === 1, { what: '1 connection' });
    await b.close();
    await eventually(async () => (await count()) === 0, { what: '0 connections' });
  });

  test('uptime_s counts seconds since the start', async () => {
    const res1 = JSON.parse((await httpGet(server.port, '/healthz')).body);
    await eventually(
      async () => JSON.parse((await httpGet(server.port, '/healthz')).body).uptime_s >= res1.uptime_s + 1,
      { timeoutMs: 3000, intervalMs: 100, what: 'uptime_s to grow' },
    );
  });
});
