// Starts the real `ruche` binary for a test: a free port, a temporary
// database, and a clean stop that reports how the process ended.
import { spawn } from 'node:child_process';
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
    if (input !== undefined) proc.stdin.end(input);
    else proc.stdin.end();
  });
}

// Starts `ruche serve` and resolves once it prints the URL it listens on.
// options: port (default 0: a free one), dir (reuse a data folder, e.g. to
// restart on the same database), args (more flags), env, fakeClock (true:
// --fake-clock, so that an admin moves time with clock.advance).
export async function startServer({ port = 0, dir, args = [], env = {}, fakeClock = false } = {}) {
  dir = dir || tempDir();
  const dbPath = path.join(dir, 'ruche.db');
  const proc = spawn(
    rucheBin,
    ['serve', '--listen', `127.0.0.1:${port}`, '--db', dbPath, ...(fakeClock ? ['--fake-clock'] : []), ...args],
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
      const m = server.stdout.match(/listening on (http:\/\/\S+?)\/?\n/);
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

  // Sends a signal and waits for the process to end: { code, signal }.
  server.stop = async (signal = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return server.exited;
  };
  return server;
}
