// SIGINT and SIGTERM stop the server cleanly: every open WebSocket gets a
// close frame with 1001 (going away), and the process exits 0 (under
// AddressSanitizer: without a leak).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { connect } from '../lib/client.mjs';
import { rawWebSocket } from '../lib/rawws.mjs';
import { killAfter, stopOk } from '../lib/util.mjs';

for (const signal of ['SIGTERM', 'SIGINT']) {
  describe(signal, () => {
    test('with no connection: exits 0 at once', async (t) => {
      const s = killAfter(t, await startServer());
      const t0 = Date.now();
      await stopOk(s, signal);
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    });

    test('open WebSockets are closed with 1001, then exit 0', async (t) => {
      const s = killAfter(t, await startServer());
      const clients = [];
      for (let i = 0; i < 3; i++) clients.push(await connect(s.wsUrl));
      // One of them busy: requests in flight when the signal comes.
      for (let i = 0; i < 20; i++) clients[0].request('ping').catch(() => {});
      await clients[1].call('ping');
      const t0 = Date.now();
      await stopOk(s, signal);
      for (const c of clients) {
        const closed = await c.closed;
        assert.equal(closed.code, 1001, `close code (reason ${JSON.stringify(closed.reason)})`);
        assert.deepEqual(c.violations, []);
      }
      assert.ok(Date.now() - t0 < 3000, `shutdown took ${Date.now() - t0} ms`);
    });
  });
}

describe('shutdown edge cases', () => {
  test('a peer that never answers the close does not hold the exit', async (t) => {
    const s = killAfter(t, await startServer());
    const raw = await rawWebSocket(s.port); // reads, but never replies
    const t0 = Date.now();
    await stopOk(s);
    const elapsed = Date.now() - t0;
    const close = await raw.closeFrame(1000);
    assert.equal(close && close.code, 1001, `it was sent 1001 (got ${JSON.stringify(close)})`);
    assert.ok(elapsed < 6000, `exit took ${elapsed} ms`);
    await raw.destroy();
  });

  test('a connection opened during shutdown is refused or closed with 1001', async (t) => {
    const s = killAfter(t, await startServer());
    const holder = await rawWebSocket(s.port); // keeps the server busy closing
    s.proc.kill('SIGTERM');
    let late;
    try {
      late = await connect(s.wsUrl, { timeoutMs: 2000 });
    } catch {
      // refused (503) or the listener is gone: both fine
    }
    if (late) {
      const closed = await late.closed;
      assert.equal(closed.code, 1001);
    }
    await holder.destroy();
    await stopOk(s);
  });
});
