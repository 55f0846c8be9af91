// The `ruche` command line: subcommands, help, `serve` flags and their
// environment variables, and how bad input is refused (one line on stderr,
// exit code 2).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { rucheBin, tempDir } from '../lib/server.mjs';
import { connect, expectRefused } from '../lib/client.mjs';
import { httpGet } from '../lib/http.mjs';
import { cleanEnv, makeTree, run } from '../lib/util.mjs';

const VERSION_LINE = /^ruche (\d+\.\d+\.\d+\S*) \(protocol ruche\.v1\)\n$/;

// A refusal: exit 2, nothing on stdout, exactly one line on stderr.
function assertUsageError(r, mention) {
  assert.equal(r.timedOut, false, 'ruche kept running instead of refusing');
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '', 'nothing on stdout');
  assert.match(r.stderr, /^[^\n]+\n$/, `one line on stderr, got ${JSON.stringify(r.stderr)}`);
  if (mention) assert.ok(r.stderr.includes(mention), `stderr names ${mention}: ${r.stderr}`);
}

// Starts `ruche serve ARGS` with exactly env (no flags added) and waits
// for its "listening on" line.  Resolves { url, port, proc, out, stop }.
function serve(args, { env = {}, cwd } = {}) {
  const proc = spawn(rucheBin, ['serve', ...args], {
    env: cleanEnv(env),
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  proc.stdout.on('data', (d) => (out.stdout += d));
  proc.stderr.on('data', (d) => (out.stderr += d));
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    const r = await exited;
    clearTimeout(timer);
    assert.deepEqual(r, { code: 0, signal: null }, `ruche serve did not stop cleanly:\n${out.stderr}`);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`ruche serve did not start:\n${out.stderr}`));
    }, 10000);
    proc.stdout.on('data', () => {
      const m = out.stdout.match(/listening on (http:\/\/(\S+?):(\d+))\/?\n/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], host: m[2], port: Number(m[3]), proc, out, exited, stop });
      }
    });
    exited.then((r) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`ruche serve exited ${r.code}:\n${out.stderr}`), { exit: r, out }));
    });
  });
}

describe('ruche (no subcommand)', () => {
  test('--help, -h and help print the usage on stdout and exit 0', async () => {
    for (const arg of ['--help', '-h', 'help']) {
      const r = await run([arg]);
      assert.equal(r.code, 0, arg);
      assert.match(r.stdout, /^Usage: ruche COMMAND/, arg);
      assert.match(r.stdout, /\bserve\b/);
      assert.match(r.stdout, /\bversion\b/);
      assert.equal(r.stderr, '');
    }
  });

  test('no arguments prints the usage on stderr and exits 2', async () => {
    const r = await run([]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Usage: ruche/);
  });

  test('an unknown command is one line on stderr, exit 2', async () => {
    assertUsageError(await run(['frobnicate']), 'frobnicate');
    assertUsageError(await run(['--frobnicate']), '--frobnicate');
  });
});

describe('ruche version', () => {
  test('prints the version and the protocol, exit 0', async () => {
    const r = await run(['version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, VERSION_LINE);
    assert.equal(r.stderr, '');
  });

  test('--help prints its usage, exit 0', async () => {
    const r = await run(['version', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: ruche version/);
    assert.equal(r.stderr, '');
  });

  test('refuses arguments and unknown flags', async () => {
    assertUsageError(await run(['version', 'extra']));
    assertUsageError(await run(['version', '--nope']));
  });
});

describe('ruche serve: help and refusals', () => {
  test('--help and -h describe every option and its variable, exit 0', async () => {
    for (const arg of ['--help', '-h']) {
      const r = await run(['serve', arg], { timeoutMs: 5000 });
      assert.equal(r.timedOut, false, 'serve --help must not start a server');
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^Usage: ruche serve/);
      for (const word of [
        '--listen', 'RUCHE_LISTEN', '127.0.0.1:8080',
        '--db', 'RUCHE_DB', './var/ruche.db',
        '--store', 'RUCHE_STORE', 'postgres://',
        '--bus', 'RUCHE_BUS', 'redis://',
        '--client-dir', 'RUCHE_CLIENT_DIR',
        '--log-level', 'RUCHE_LOG_LEVEL',
        '--allow-origin', 'RUCHE_ALLOW_ORIGIN',
        '--max-message-bytes', 'RUCHE_MAX_MESSAGE_BYTES',
        '--help',
      ]) {
        assert.ok(r.stdout.includes(word), `serve --help mentions ${word}`);
      }
    }
  });

  test('--help wins over other flags and does not start a server', async () => {
    const r = await run(['serve', '--listen', '127.0.0.1:0', '--help'], { timeoutMs: 5000 });
    assert.equal(r.timedOut, false);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: ruche serve/);
  });

  // Safe flags so that a value accepted by mistake does not bind 8080 nor
  // write ./var; the case under test comes last and wins.
  const base = () => ['--listen', '127.0.0.1:0', '--db', path.join(tempDir(), 'r.db')];

  const badFlags = [
    [['--nope'], '--nope'],
    [['--nope=1'], '--nope'],
    [['-x'], '-x'],
    [['stray'], 'stray'],
    [['--listen'], '--listen'], // missing value
    [['--listen', 'localhost'], '--listen'],
    [['--listen', '127.0.0.1:99999'], '--listen'],
    [['--listen', '127.0.0.1:-1'], '--listen'],
    [['--listen', '127.0.0.1:http'], '--listen'],
    [['--listen', ':8080'], '--listen'],
    [['--listen', '::1:8080'], '--listen'],
    [['--db', ''], '--db'],
    [['--client-dir', ''], '--client-dir'],
    [['--log-level', 'loud'], '--log-level'],
    [['--log-level', ''], '--log-level'],
    [['--allow-origin', 'ftp://example.org'], '--allow-origin'],
    [['--allow-origin', 'example.org'], '--allow-origin'],
    [['--max-message-bytes', '1023'], '--max-message-bytes'],
    [['--max-message-bytes', '16777217'], '--max-message-bytes'],
    [['--max-message-bytes', '-5'], '--max-message-bytes'],
    [['--max-message-bytes', '64k'], '--max-message-bytes'],
    [['--max-message-bytes', '99999999999999999999999'], '--max-message-bytes'],
    [['--max-message-bytes=abc'], '--max-message-bytes'],
    [['--store', ''], '--store'],
    [['--bus', 'http://127.0.0.1:6379'], '--bus'],
    [['--bus', ''], '--bus'],
    // A cluster's nodes share PostgreSQL; an SQLite file is one node's.
    [['--bus', 'redis://127.0.0.1:6379'], 'PostgreSQL'],
  ];
  for (const [flags, mention] of badFlags) {
    test(`refuses ${JSON.stringify(flags)}: one line on stderr, exit 2`, async () => {
      assertUsageError(await run(['serve', ...base(), ...flags], { timeoutMs: 5000 }), mention);
    });
  }

  test('a bad database address is refused without echoing it (it may hold a password)', async () => {
    const r = await run(['serve', ...base(), '--store', `postgres://ruche:s3cret@127.0.0.1/${'x'.repeat(1100)}`],
      { timeoutMs: 5000 });
    assertUsageError(r, '--store');
    assert.ok(!r.stderr.includes('s3cret'), r.stderr);
  });

  test('a PostgreSQL that cannot be reached: one line, no password, exit 1', async () => {
    const r = await run(['serve', '--listen', '127.0.0.1:0', '--store',
      'postgresql://ruche:s3cret@/ruche?host=/nonexistent&connect_timeout=2'], { timeoutMs: 10000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot connect to PostgreSQL/);
    assert.ok(!r.stderr.includes('s3cret'), r.stderr);
  });

  test('refuses a client folder that does not exist', async () => {
    const missing = path.join(tempDir(), 'no-such-client');
    assertUsageError(await run(['serve', ...base(), '--client-dir', missing], { timeoutMs: 5000 }));
  });

  const badEnv = [
    ['RUCHE_LISTEN', 'nowhere'],
    ['RUCHE_LISTEN', '127.0.0.1:70000'],
    ['RUCHE_DB', ''],
    ['RUCHE_CLIENT_DIR', ''],
    ['RUCHE_LOG_LEVEL', 'chatty'],
    ['RUCHE_ALLOW_ORIGIN', 'gopher://example.org'],
    ['RUCHE_MAX_MESSAGE_BYTES', '12'],
    ['RUCHE_MAX_MESSAGE_BYTES', 'lots'],
  ];
  for (const [name, value] of badEnv) {
    test(`refuses ${name}=${JSON.stringify(value)}: one line naming it, exit 2`, async () => {
      // No --listen/--db flags here: they would hide a bad RUCHE_LISTEN or
      // RUCHE_DB.  A value accepted by mistake still cannot bind 8080 nor
      // write ./var, thanks to the other variables and the cwd.
      const env = { RUCHE_LISTEN: '127.0.0.1:0', RUCHE_DB: path.join(tempDir(), 'r.db'), [name]: value };
      assertUsageError(await run(['serve'], { env, cwd: tempDir(), timeoutMs: 5000 }), name);
    });
  }

  test('refuses a RUCHE_CLIENT_DIR that does not exist', async () => {
    const env = {
      RUCHE_LISTEN: '127.0.0.1:0',
      RUCHE_DB: path.join(tempDir(), 'r.db'),
      RUCHE_CLIENT_DIR: path.join(tempDir(), 'missing'),
    };
    assertUsageError(await run(['serve'], { env, timeoutMs: 5000 }));
  });

  test('an address already in use is a clear error and a non-zero exit', async (t) => {
    const blocker = net.createServer();
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const { port } = blocker.address();
    const r = await run(['serve', '--listen', `127.0.0.1:${port}`, '--db', path.join(tempDir(), 'r.db')], {
      timeoutMs: 5000,
    });
    assert.equal(r.timedOut, false);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(String(port)), `stderr names the address: ${r.stderr}`);
  });
});

describe('ruche serve: settings', () => {
  const client = () => makeTree({ 'index.html': '<!doctype html><title>env client</title>\n' });

  test('every setting can come from its RUCHE_* variable', async (t) => {
    const dir = tempDir();
    const db = path.join(dir, 'deep', 'er', 'ruche.db');
    const s = await serve([], {
      env: {
        RUCHE_LISTEN: '127.0.0.1:0',
        RUCHE_DB: db,
        RUCHE_CLIENT_DIR: client(),
        RUCHE_LOG_LEVEL: 'debug',
        RUCHE_ALLOW_ORIGIN: 'https://one.example, https://two.example',
        RUCHE_MAX_MESSAGE_BYTES: '4096',
      },
      cwd: dir,
    });
    t.after(() => s.stop());
    assert.equal(s.host, '127.0.0.1');
    assert.ok(s.port > 0);
    assert.ok(fs.existsSync(db), 'RUCHE_DB is used and its folders created');
    const page = await httpGet(s.port, '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /env client/, 'RUCHE_CLIENT_DIR is served');
    const wsUrl = `ws://127.0.0.1:${s.port}/ws`;
    for (const origin of ['https://one.example', 'https://two.example']) {
      const c = await connect(wsUrl, { origin });
      const hello = await c.call('hello');
      assert.equal(hello.limits.max_message_bytes, 4096, 'RUCHE_MAX_MESSAGE_BYTES');
      await c.close();
    }
    await expectRefused(wsUrl, { origin: 'https://three.example' });
    assert.match(s.out.stderr, / debug /, 'RUCHE_LOG_LEVEL=debug shows debug lines');
  });

  test('a flag wins over its variable; --name=value works', async (t) => {
    const dir = tempDir();
    const s = await serve(
      ['--listen=127.0.0.1:0', `--db=${path.join(dir, 'flag.db')}`, '--max-message-bytes=2048'],
      {
        env: {
          RUCHE_LISTEN: '127.0.0.1:1', // would fail to bind if used
          RUCHE_DB: path.join(dir, 'env.db'),
          RUCHE_MAX_MESSAGE_BYTES: '8192',
        },
      },
    );
    t.after(() => s.stop());
    assert.notEqual(s.port, 1, 'RUCHE_LISTEN is overridden by --listen');
    assert.ok(fs.existsSync(path.join(dir, 'flag.db')));
    assert.ok(!fs.existsSync(path.join(dir, 'env.db')), 'RUCHE_DB is overridden by --db');
    const c = await connect(`ws://127.0.0.1:${s.port}/ws`);
    assert.equal((await c.call('hello')).limits.max_message_bytes, 2048);
    await c.close();
  });

  test('--allow-origin is repeatable', async (t) => {
    const s = await serve([
      '--listen', '127.0.0.1:0',
      '--db', path.join(tempDir(), 'r.db'),
      '--allow-origin', 'https://a.example',
      '--allow-origin', 'http://b.example:8000',
    ]);
    t.after(() => s.stop());
    const wsUrl = `ws://127.0.0.1:${s.port}/ws`;
    for (const origin of ['https://a.example', 'http://b.example:8000']) {
      await (await connect(wsUrl, { origin })).close();
    }
    await expectRefused(wsUrl, { origin: 'http://b.example' });
  });

  test('the database defaults to ./var/ruche.db, its folder created', async (t) => {
    const cwd = tempDir();
    const s = await serve(['--listen', '127.0.0.1:0'], { cwd });
    t.after(() => s.stop());
    assert.ok(fs.statSync(path.join(cwd, 'var')).isDirectory());
    assert.ok(fs.statSync(path.join(cwd, 'var', 'ruche.db')).isFile());
  });

  test('listens on 127.0.0.1:8080 by default', async (t) => {
    // Only when 8080 is free: other programs (or test runs) may hold it.
    const probe = net.createServer();
    const free = await new Promise((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(8080, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) return t.skip('port 8080 is in use');
    let s;
    try {
      s = await serve([], { cwd: tempDir() });
    } catch (err) {
      if (/cannot listen/.test(err.out?.stderr ?? '')) return t.skip('port 8080 was taken meanwhile');
      throw err;
    }
    t.after(() => s.stop());
    assert.equal(s.url, 'http://127.0.0.1:8080');
    assert.equal((await httpGet(8080, '/healthz')).status, 200);
  });

  test('listens on IPv6 with [addr]:port', async (t) => {
    const probe = net.createServer();
    const v6 = await new Promise((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(0, '::1', () => probe.close(() => resolve(true)));
    });
    if (!v6) return t.skip('no IPv6 loopback here');
    const s = await serve(['--listen', '[::1]:0', '--db', path.join(tempDir(), 'r.db')]);
    t.after(() => s.stop());
    assert.match(s.url, /^http:\/\/\[::1\]:\d+$/);
  });

  test('--log-level error keeps info lines out of stderr', async (t) => {
    const s = await serve(['--listen', '127.0.0.1:0', '--db', path.join(tempDir(), 'r.db'), '--log-level', 'error']);
    t.after(() => s.proc.exitCode === null && s.proc.signalCode === null && s.proc.kill('SIGKILL'));
    const c = await connect(`ws://127.0.0.1:${s.port}/ws`);
    await c.call('ping');
    await c.close();
    await s.stop();
    assert.doesNotMatch(s.out.stderr, / (info|debug|warn) /, s.out.stderr);
  });
});
