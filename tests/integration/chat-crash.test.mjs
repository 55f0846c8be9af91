// Acknowledged means stored: the server is killed with SIGKILL while
// clients send as fast as they can, restarted on the same database, and
// every acknowledged message is there, once; every message anyone saw is
// there; a retry of the sends left unanswered stores each one once; and a
// client resumes from the position it had before the crash, without a gap.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { cleanEnv, eventually, killAfter, stopOk } from '../lib/util.mjs';
import { channelByName, chatClient, fullHistory, loginAll, makeHive } from '../lib/chat-setup.mjs';

describe('a crash while clients send', { timeout: 120000 }, () => {
  test('every acknowledged message survives SIGKILL, none twice', async (t) => {
    const env = cleanEnv();
    const first = killAfter(t, await startServer({ env }));
    const hive = await makeHive(first, 'Crash', { learners: ['ann', 'ben', 'cat', 'dan'] });
    const tok = await loginAll(first, hive.handles);
    const cl = {};
    await Promise.all(hive.handles.map(async (h) => (cl[h] = await chatClient(first, tok[h].token))));
    const general = await channelByName(cl.ann, hive.id, 'general');

    // ann, ben and cat send with nonces, 16 requests in flight each;
    // dan only watches.
    const sent = new Map(); // nonce -> text
    const acked = new Map(); // nonce -> message id
    let killed = false;
    const sender = async (h) => {
      const c = cl[h];
      let k = 0;
      const one = async () => {
        while (!killed) {
          const nonce = `${h}-${k++}`;
          const text = `crash test ${nonce}`;
          sent.set(nonce, text);
          try {
            const { message } = await c.call('msg.send', { channel_id: general.id, text, nonce }, { timeoutMs: 20000 });
            assert.equal(message.nonce, nonce);
            acked.set(nonce, message.id);
          } catch (err) {
            if (!killed) throw err;
            return; // the connection went down with the server
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, one));
    };
    const sending = Promise.all(['ann', 'ben', 'cat'].map(sender));
    await Promise.race([
      eventually(() => acked.size >= 300, { timeoutMs: 30000, intervalMs: 5, what: '300 acknowledged sends' }),
      sending.then(() => assert.fail('the senders stopped before the kill')),
    ]);
    killed = true;
    first.proc.kill('SIGKILL');
    const { signal } = await first.exited;
    assert.equal(signal, 'SIGKILL');
    await sending;
    const seen = cl.dan.log.filter((m) => m.ev === 'msg.created').map((m) => m.data.message.id);
    const lastPos = Math.max(cl.dan.synced.pos, ...cl.dan.log.filter((m) => m.pos).map((m) => m.pos));
    for (const c of Object.values(cl)) await c.closed;
    assert.ok(acked.size >= 300, `${acked.size} sends acknowledged before the kill`);
    t.diagnostic(`${sent.size} sends made, ${acked.size} acknowledged, ${seen.length} seen by dan`);

    const server = await startServer({ dir: first.dir, env });
    try {
      const again = {};
      for (const h of hive.handles) again[h] = await chatClient(server, tok[h].token); // sessions survive
      const history = await fullHistory(again.dan, general.id);
      const ids = history.map((m) => m.id);
      assert.equal(new Set(ids).size, ids.length, 'no message twice');
      // The nonce is the author's own retry key and is not shown to
      // others: each text is unique, so it tells the sends apart.
      const nonceOf = new Map([...sent].map(([nonce, text]) => [text, nonce]));
      const byNonce = new Map();
      for (const m of history) {
        const nonce = nonceOf.get(m.text);
        assert.ok(nonce, `message ${m.id} is one of the sends, stored as sent`);
        assert.ok(!byNonce.has(nonce), `nonce ${nonce} stored once`);
        byNonce.set(nonce, m);
      }
      for (const [nonce, id] of acked) {
        assert.equal(byNonce.get(nonce)?.id, id, `acknowledged ${nonce} (id ${id}) is stored`);
      }
      const stored = new Set(ids);
      for (const id of seen) assert.ok(stored.has(id), `message ${id}, shown to dan, is stored`);

      // Resuming from before the crash: the position is known, and what
      // comes after it is what dan had not seen.
      const replayed = [];
      for (let since = lastPos; ; ) {
        const r = await again.dan.call('sync', { since });
        assert.equal(r.gap, false, 'a position given before the crash is still known');
        replayed.push(...r.events.filter((e) => e.ev === 'msg.created').map((e) => e.data.message.id));
        if (!r.more) break;
        since = r.pos;
      }
      assert.deepEqual(
        [...seen, ...replayed].sort((a, b) => a - b),
        [...ids].sort((a, b) => a - b),
        'seen live + replayed = stored, no gap and no duplicate',
      );

      // The clients retry what was never answered: stored once each.
      const pending = [...sent.keys()].filter((n) => !acked.has(n));
      const retried = await Promise.all(
        pending.map((nonce) => {
          const h = nonce.split('-')[0];
          return again[h].call('msg.send', { channel_id: general.id, text: sent.get(nonce), nonce });
        }),
      );
      for (const [i, nonce] of pending.entries()) {
        const was = byNonce.get(nonce);
        if (was) assert.equal(retried[i].message.id, was.id, `retry of stored ${nonce} returns the stored message`);
      }
      const after = await fullHistory(again.dan, general.id);
      assert.equal(after.length, sent.size, 'every send stored exactly once');
      assert.equal(new Set(after.map((m) => m.text)).size, sent.size);
      for (const c of Object.values(again)) {
        await c.close();
        assert.deepEqual(c.violations, []);
      }
    } finally {
      await stopOk(server);
    }
  });
});
