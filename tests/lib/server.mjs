// Starts the real `ruche` binary for a test: a free port, a temporary
// database, and a clean stop that reports how the process ended.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');

// ctest passes the binary it built; by hand, the debug build is the default.
export const rucheBin =
  process.env.RUCHE_BIN || path.join(repoRoot, 'build', 'debug', 'ruche');

// A new empty folder under the system's temporary folder.
export function tempDir(prefix = 'ruche-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// RUCHE_TEST_TLS=1 runs the suite over TLS: startServer() serves HTTPS and
// WSS with a self-signed certificate, and the helpers (api, httpGet,
// connect, rawWebSocket) speak TLS to it, trusting that certificate only.
export const testTls = process.env.RUCHE_TEST_TLS === '1';

let tlsPair;

// A certificate for 127.0.0.1 and localhost, made once per test process
// by scripts/make-cert.sh: { cert, key (file paths), ca (the PEM text) }.
export function tlsFiles() {
  if (!tlsPair) {
    const dir = tempDir('ruche-tls-');
    execFileSync(path.join(repoRoot, 'scripts', 'make-cert.sh'), [dir], { stdio: 'ignore' });
    const cert = path.join(dir, 'cert.pem');
    tlsPair = { cert, key: path.join(dir, 'key.pem'), ca: fs.readFileSync(cert) };
  }
  return tlsPair;
}

// Servers started here that speak TLS, by port: the certificate (PEM) a
// client must trust to reach them.  For the helpers that are given a port
// rather than a URL.
const tlsPorts = new Map();

// True when the server started here on port serves HTTPS.
export function isTlsPort(port) {
  return tlsPorts.has(Number(port));
}

// The options node:https, node:tls and ws need to trust the certificate
// of the server on port (tlsFiles() for a port not started here).
export function tlsClientOptions(port) {
  return { ca: tlsPorts.get(Number(port)) ?? tlsFiles().ca };
}

// RUCHE_TEST_PG (ctest's integration-pg.* entries) runs the suite on
// PostgreSQL: the address of a scratch database (scripts/pg-scratch.sh),
// where each data folder gets a schema of its own.
export const testPg = process.env.RUCHE_TEST_PG || '';

// The database of a data folder: its SQLite file, or on PostgreSQL the
// address of the folder's schema (made once, kept in the folder, so that
// a restart on the same folder finds the same database).
function storeOf(dir) {
  if (!testPg) return path.join(dir, 'ruche.db');
  const file = path.join(dir, 'pg-url');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  const schema = `t_${path.basename(dir).replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;
  execFileSync('psql', [testPg, '-qc',
    `SET client_min_messages = warning; DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`]);
  const url = `${testPg}${testPg.includes('?') ? '&' : '?'}options=-csearch_path%3D${schema}`;
  fs.writeFileSync(file, url);
  return url;
}

// Runs `ruche ARGS...` to completion: { code, stdout, stderr }.
export function runRuche(args, { env = {}, input } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(rucheBin, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    // A command refused at once may exit before reading its input: the
    // broken pipe is not the test's concern, its exit code and output are.
    proc.stdin.on('error', (err) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    if (input !== undefined) proc.stdin.end(input);
    else proc.stdin.end();
  });
}

// The per-connection limits are off in tests but those of limits.test.mjs:
// many tests flood one socket, open many from loopback, or keep one open
// without logging in, on purpose (docs/limits.md has the defaults).
export const LOOSE_LIMITS = [
  '--rate-per-conn', '0', '--max-conns-per-ip', '0', '--idle-timeout', '0', '--auth-timeout', '0',
];

// Starts `ruche serve` and resolves once it prints the URL it listens on.
// options: port (default 0: a free one), dir (reuse a data folder, e.g. to
// restart on the same database), args (more flags), env, fakeClock (true:
// --fake-clock, so that an admin moves time with clock.advance), tls
// (serve HTTPS and WSS with tlsFiles(); default: testTls, unless args has
// its own --tls-cert), serverLimits (true: the server's own per-connection
// limits; by default LOOSE_LIMITS, before args, which may set their own).
export async function startServer({
  port = 0,
  dir,
  args = [],
  env = {},
  fakeClock = false,
  serverLimits = false,
  tls = testTls && !args.includes('--tls-cert'),
} = {}) {
  dir = dir || tempDir();
  const dbPath = storeOf(dir);
  const tlsArgs = tls ? ['--tls-cert', tlsFiles().cert, '--tls-key', tlsFiles().key] : [];
  const proc = spawn(
    rucheBin,
    ['serve', '--listen', `127.0.0.1:${port}`, '--db', dbPath, ...(fakeClock ? ['--fake-clock'] : []),
      ...(serverLimits ? [] : LOOSE_LIMITS), ...tlsArgs, ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = {
    proc,
    dir,
    dbPath,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) =>
      proc.on('exit', (code, signal) => resolve({ code, signal })),
    ),
  };
  proc.stdout.on('data', (d) => (server.stdout += d));
  proc.stderr.on('data', (d) => (server.stderr += d));

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`ruche did not start in time:\n${server.stderr}`));
    }, 15000);
    const check = () => {
      const m = server.stdout.match(/listening on (https?:\/\/\S+?)\/?\n/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout.on('data', check);
    server.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`ruche exited (${code ?? signal}) before listening:\n${server.stderr}`));
    });
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${rucheBin}: ${err.message}`));
    });
  });
  server.url = url;
  server.port = Number(new URL(url).port);
  server.wsUrl = url.replace(/^http/, 'ws') + '/ws';
  // The Origin a page served by this server sends: its scheme and Host.
  server.origin = url;
  server.tls = url.startsWith('https:');
  if (server.tls) {
    const i = args.indexOf('--tls-cert');
    const cert = tls ? tlsFiles().cert : i >= 0 ? args[i + 1] : env.RUCHE_TLS_CERT;
    tlsPorts.set(server.port, cert ? fs.readFileSync(cert) : tlsFiles().ca);
  } else {
    tlsPorts.delete(server.port);
  }

  // Sends a signal and waits for the process to end: { code, signal }.
  server.stop = async (signal = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return server.exited;
  };
  return server;
}
