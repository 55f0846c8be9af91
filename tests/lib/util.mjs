// Small helpers shared by the integration tests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { rucheBin, tempDir } from './server.mjs';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The environment without any RUCHE_* setting, so that the tests' own
// environment cannot change what the server does.
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RUCHE_')) env[k] = v;
  return { ...env, ...extra };
}

// Stops a server started with startServer() and checks that it ended
// cleanly: exit code 0, no signal.  Under AddressSanitizer a leak makes the
// exit code non-zero, so this is also the leak check.  A server that has
// not exited after timeoutMs is killed and the test fails (never hangs).
export async function stopOk(server, signal = 'SIGTERM', { timeoutMs = 10000 } = {}) {
  if (!server) return; // it never started: that failure is reported already
  let timer;
  const hung = new Promise((resolve) => {
    timer = setTimeout(() => resolve('hung'), timeoutMs);
  });
  const result = await Promise.race([server.stop(signal), hung]);
  clearTimeout(timer);
  if (result === 'hung') {
    server.proc.kill('SIGKILL');
    await server.exited;
    assert.fail(`ruche did not exit within ${timeoutMs} ms of ${signal}:\n${server.stderr}`);
  }
  const { code, signal: sig } = result;
  assert.equal(sig, null, `ruche died of ${sig}:\n${server.stderr}`);
  assert.equal(code, 0, `ruche exited ${code}:\n${server.stderr}`);
}

// A safety net for a test that stops its server itself: if the test fails
// before it does, the server is killed at the end of the test instead of
// keeping the test process (and the whole run) alive.
export function killAfter(t, server) {
  t.after(() => {
    if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
  });
  return server;
}

// Runs `ruche ARGS...` with a clean environment (plus env), killing it
// after timeoutMs: { code, signal, stdout, stderr, timedOut }.
export function run(args, { env = {}, cwd, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(rucheBin, args, { env: cleanEnv(env), cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, timeoutMs);
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

// Writes files into a new temporary folder: { 'a/b.txt': 'text', ... }.
export function makeTree(files, dir = tempDir('ruche-client-')) {
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

// Polls fn until it returns a truthy value, or fails after timeoutMs.
export async function eventually(fn, { timeoutMs = 5000, intervalMs = 20, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}
