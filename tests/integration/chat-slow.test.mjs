// The outbound queue's bound (4096 frames or 4 MiB per connection): a
// consumer that stops reading is cut off (close 4008 "too slow: resume",
// or its connection dropped) while the others keep receiving everything,
// the server's memory stays bounded, and the consumer catches up by
// resuming, page by page.  The bound must not cut off those who do read:
// a resume over large messages, or a burst of large messages by someone
// else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import { startServer } from '../lib/server.mjs';
import { connectAs } from '../lib/api.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';
import { channelByName, chatClient, loginAll, makeHive, received, waitCount } from '../lib/chat-setup.mjs';

const rssKb = (pid) => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m)[1]);
const CUT_OFF = /cutting it off/g;
const cutOffs = (server) => (server.stderr.match(CUT_OFF) || []).length;
const BIG = '🐝'.repeat(4000); // 4000 characters, 16000 bytes: the largest message

// Resumes from since, following "more": every event replayed.
async function resume(c, since) {
  const events = [];
  let pages = 0;
  for (let pos = since; ; ) {
    const r = await c.call('sync', { since: pos }, { timeoutMs: 30000 });
    assert.equal(r.gap, false);
    events.push(...r.events);
    pages++;
    if (!r.more) break;
    assert.ok(r.pos > pos, 'a page with more moves forward');
    pos = r.pos;
  }
  return { events, pages };
}
const createdIds = (events) => events.filter((e) => e.ev === 'msg.created').map((e) => e.data.message.id);

describe('the outbound queue bound', { timeout: 120000 }, () => {
  let server;
  let hive;
  let tok;
  let general;

  before(async () => {
    // AddressSanitizer keeps freed memory in quarantine (256 MB by
    // default), which would hide what the RSS check measures: keep it small.
    const asan = [process.env.ASAN_OPTIONS, 'quarantine_size_mb=16'].filter(Boolean).join(':');
    server = await startServer({ env: cleanEnv({ ASAN_OPTIONS: asan }) });
    hive = await makeHive(server, 'Slow', { learners: ['sam', 'fay', 'sly', 'zed'] });
    tok = await loginAll(server, hive.handles);
  });

  after(() => stopOk(server));

  test('cuts off a consumer that stops reading; the others keep receiving; memory stays bounded', async (t) => {
    const t0 = Date.now();
    const lap = (what) => t.diagnostic(`${what}: ${Date.now() - t0} ms`);
    const sam = await chatClient(server, tok.sam.token);
    const fay = await chatClient(server, tok.fay.token);
    const sly = await chatClient(server, tok.sly.token);
    general = await channelByName(sam, hive.id, 'general');
    const since = sly.synced.pos;
    const cutBefore = cutOffs(server);
    sly.ws._socket.pause(); // reads nothing from now on

    const text = (k) => `${String(k).padStart(6, '0')} ${'abcdefghij'.repeat(390)}`; // ~3.9 KB
    let k = 0;
    const acked = [];
    const sendBatch = async (n) => {
      const batch = Array.from({ length: n }, () =>
        sam.call('msg.send', { channel_id: general.id, text: text(k++) }, { timeoutMs: 30000 }),
      );
      for (const r of await Promise.all(batch)) acked.push(r.message.id);
    };
    // Warm up, then take the baseline.
    await sendBatch(50);
    const base = rssKb(server.proc.pid);
    let peak = base;

    // Send until the server cuts sly off (the kernel's socket buffers
    // hold some before its queue fills).
    const MAX = 20000;
    while (cutOffs(server) === cutBefore && k < MAX) {
      await sendBatch(100);
      peak = Math.max(peak, rssKb(server.proc.pid));
    }
    assert.equal(cutOffs(server), cutBefore + 1, `the server cut the slow consumer off within ${MAX} messages:\n${server.stderr}`);
    const atCut = k;
    lap('cut off');
    // The others keep going after the cut.
    await sendBatch(200);
    peak = Math.max(peak, rssKb(server.proc.pid));
    t.diagnostic(`cut off after ${atCut} messages of ~4 KB; RSS ${base >> 10} MB -> peak ${peak >> 10} MB`);
    assert.ok(peak - base < 100 * 1024, `RSS grew by ${(peak - base) >> 10} MB (under 100 MB)`);

    // fay read everything, once, in order.
    await waitCount(fay, 'msg.created', acked.length, undefined, { timeoutMs: 30000 });
    assert.deepEqual(received(fay, 'msg.created').map((e) => e.data.message.id), acked);
    assert.equal(cutOffs(server), cutBefore + 1, 'only the slow consumer was cut off');

    // sly learns it was cut off: a 4008 close after what was already in
    // flight, or a dropped connection.
    sly.ws._socket.resume();
    const { code, reason } = await sly.closed;
    t.diagnostic(`sly: close ${code} ${reason}, ${received(sly, 'msg.created').length} messages before`);
    assert.ok(code === 4008 || code === 1006, `closed with 4008 or dropped, got ${code} ${reason}`);
    if (code === 4008) assert.equal(reason, 'too slow: resume');
    const gotLive = received(sly, 'msg.created').map((e) => e.data.message.id);
    assert.deepEqual(gotLive, acked.slice(0, gotLive.length), 'what it got before the cut is in order');
    assert.ok(gotLive.length < acked.length, 'it did not get everything live');
    assert.deepEqual(sly.violations, []);

    // It catches up by resuming, following "more".
    const back = await connectAs(server, tok.sly.token);
    const { events, pages } = await resume(back, since);
    assert.deepEqual(createdIds(events), acked, 'every message, once, in order');
    if (acked.length > 1000) assert.ok(pages > 1, 'more than 1000 events come in pages');
    lap('caught up');

    // Live again after the catch-up.
    const { message } = await sam.call('msg.send', { channel_id: general.id, text: 'still there?' });
    await back.waitFor((m) => m.ev === 'msg.created' && m.data.message.id === message.id);
    for (const c of [sam, fay, back]) await c.close();
  });

  test('a resume over large messages is not cut off', async () => {
    const sam = await chatClient(server, tok.sam.token);
    const zed = await chatClient(server, tok.zed.token);
    const since = zed.synced.pos;
    await zed.close();
    // 300 messages of 16 KB (4.8 MB), sent 10 at a time.
    const acked = [];
    for (let b = 0; b < 30; b++) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, () => sam.call('msg.send', { channel_id: general.id, text: BIG }, { timeoutMs: 30000 })),
      );
      acked.push(...batch.map((r) => r.message.id));
    }
    const cutBefore = cutOffs(server);
    const back = await connectAs(server, tok.zed.token);
    let got;
    try {
      got = await resume(back, since);
    } catch (err) {
      assert.fail(
        `chat_sync() pages by count only (CHAT_SYNC_MAX 1000 events), so a page of large messages ` +
          `outgrows the 4 MiB queue and the client is cut off on every retry (${err.message}):\n` +
          server.stderr.split('\n').filter((l) => l.includes('cutting it off')).slice(-1).join(''),
      );
    }
    assert.deepEqual(createdIds(got.events), acked, 'every large message, once, in order');
    assert.equal(cutOffs(server), cutBefore);
    await back.close();
    await sam.close();
  });

  test('a burst of large messages by others does not cut off a member who reads', async (t) => {
    const fay = await chatClient(server, tok.fay.token);
    const senders = [await chatClient(server, tok.sam.token), await chatClient(server, tok.zed.token)];
    const cutBefore = cutOffs(server);
    // sam and zed send 200 messages of 16 KB each, pipelined at once
    // (6.4 MB of requests).  They may be cut off themselves (they asked
    // for 6.4 MB of replies and events at once); fay only reads.
    const replies = await Promise.allSettled(
      senders.flatMap((c) =>
        Array.from({ length: 200 }, () => c.call('msg.send', { channel_id: general.id, text: BIG }, { timeoutMs: 30000 })),
      ),
    );
    const acked = replies.filter((r) => r.status === 'fulfilled').map((r) => r.value.message.id);
    t.diagnostic(`${acked.length} of 400 sends acknowledged; ${cutOffs(server) - cutBefore} connections cut off`);
    for (const id of acked) {
      if (fay.closeInfo) break;
      await fay.waitFor((m) => m.ev === 'msg.created' && m.data.message.id === id, 30000).catch(() => {});
    }
    assert.equal(
      fay.closeInfo,
      null,
      `fay, reading all along, was closed ${JSON.stringify(fay.closeInfo)}: conn_send() counts what one ` +
        `loop pass queues (every event of a burst read at once), not how far behind the reader is:\n` +
        server.stderr.split('\n').filter((l) => l.includes('cutting it off')).slice(-3).join('\n'),
    );
    for (const c of [fay, ...senders]) if (!c.closeInfo) await c.close();
  });
});
