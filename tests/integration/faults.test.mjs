// Issue 9, faults: the server survives them and loses nothing it
// acknowledged.  A full disk and a read-only database (made with the test
// operation storage.fault of --fake-clock, which has SQLite refuse writes
// exactly as it does then); a client that vanishes in the middle of a
// frame; the clock jumping forwards by days and backwards; and SIGKILL
// while clients send and a meetup runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { cleanEnv, eventually, killAfter, sleep, stopOk } from '../lib/util.mjs';
import { PASSWORD, api, login } from '../lib/api.mjs';
import { httpGet } from '../lib/http.mjs';
import { OP, encodeFrame, rawWebSocket } from '../lib/rawws.mjs';
import {
  admin,
  barrier,
  channelByName,
  chatClient,
  fullHistory,
  like,
  loginAll,
  makeHive,
  received,
  refused,
  waitCount,
} from '../lib/chat-setup.mjs';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const ARGS = ['--session-ttl', '365'];

// A hive with a mentor and learners, an admin (root) for the test
// operations, everyone connected and synced.
async function setup(server, name, learners = ['ann', 'ben']) {
  const hive = await makeHive(server, name, { mentors: ['mira'], learners });
  await admin(server, ['create-user', 'root', '--admin', '--password-stdin'], 'correct horse battery staple\n');
  const tok = await loginAll(server, hive.handles);
  tok.root = await login(server.port, 'root');
  const cl = {};
  for (const h of Object.keys(tok)) cl[h] = await chatClient(server, tok[h].token);
  const general = await channelByName(cl.ann, hive.id, 'general');
  return { hive, tok, cl, general };
}

async function closeAll(cl) {
  for (const c of Object.values(cl)) {
    if (!c.closeInfo) {
      c.assertClean();
      await c.close();
    }
  }
}

// The texts of a channel's messages, oldest first.
async function texts(c, channelId) {
  return (await fullHistory(c, channelId)).map((m) => m.text);
}

describe('storage that refuses writes', { timeout: 120000 }, () => {
  let server;
  let cl;
  let hive;
  let general;
  let tok;

  before(async () => {
    server = await startServer({ env: cleanEnv(), fakeClock: true, args: ARGS });
    ({ cl, hive, general, tok } = await setup(server, 'Faults'));
  });

  after(async () => {
    if (cl) await closeAll(cl);
    await stopOk(server);
  });

  test('a full disk: storage_full, nothing unstored acknowledged, reads go on, writes come back', async () => {
    const before = await texts(cl.ben, general.id);
    await cl.ann.call('msg.send', { channel_id: general.id, text: 'before the disk fills', nonce: 'full-0' });
    await cl.root.call('storage.fault', { fault: 'full' });

    // The database may still have room in its last pages: ann sends
    // until the store refuses; then a burst from two people, some of
    // which may still fit in what a refused turn left free.
    const acked = [];
    const refusedSends = [];
    const note = (s, r) => {
      if (r.ok) {
        assert.equal(r.data.message.text, s.text);
        acked.push(s.text);
      } else {
        assert.equal(r.error.code, 'storage_full', r.error.message);
        refusedSends.push(s);
      }
    };
    for (let i = 1; i <= 2000 && !refusedSends.length; i++) {
      const s = { h: 'ann', text: `filling ${i} ${'x'.repeat(200)}`, nonce: `full-${i}` };
      note(s, await cl.ann.request('msg.send', { channel_id: general.id, text: s.text, nonce: s.nonce }));
    }
    assert.equal(refusedSends.length, 1, 'the store filled up');
    const burst = Array.from({ length: 30 }, (_, k) => ({
      h: k % 2 ? 'ann' : 'ben',
      text: `burst ${k} ${'y'.repeat(300)}`,
      nonce: `burst-${k}`,
    }));
    const replies = await Promise.all(
      burst.map((s) => cl[s.h].request('msg.send', { channel_id: general.id, text: s.text, nonce: s.nonce })),
    );
    burst.forEach((s, k) => note(s, replies[k]));
    assert.ok(refusedSends.length > 20, `most of the burst refused (${refusedSends.length - 1} of 30)`);

    // Reads sent together with refused writes, so in the same turns,
    // are answered: they read only what was stored.  (A read after a
    // write that was stored, then undone with its turn, could not be.)
    const mixed = Array.from({ length: 30 }, (_, k) => ({ k, write: k % 3 === 0 }));
    const mixedReplies = await Promise.all(
      mixed.map(({ k, write }) =>
        write
          ? cl.ann.request('msg.send', { channel_id: general.id, text: `mixed ${k} ${'q'.repeat(400)}`, nonce: `mixed-${k}` })
          : cl[k % 2 ? 'ben' : 'mira'].request('msg.history', { channel_id: general.id, limit: 20 }),
      ),
    );
    let anyAcked = false;
    mixed.forEach(({ k, write }, i) => {
      if (!write) return;
      note({ h: 'ann', text: `mixed ${k} ${'q'.repeat(400)}`, nonce: `mixed-${k}` }, mixedReplies[i]);
      anyAcked ||= mixedReplies[i].ok;
    });
    mixed.forEach(({ write }, i) => {
      const r = mixedReplies[i];
      if (write || r.ok) return;
      assert.ok(anyAcked, `a read refused with ${r.error.code} though nothing was written in its turn`);
    });

    // Reads keep working, and show exactly what was acknowledged.
    await barrier(cl.ben);
    const now = await texts(cl.ben, general.id);
    assert.deepEqual(now.slice(0, before.length + 1), [...before, 'before the disk fills']);
    assert.deepEqual(now.slice(before.length + 1).sort(), [...acked].sort(), 'stored = acknowledged');
    const { channels } = await cl.ben.call('channel.list', { hive_id: hive.id });
    assert.ok(channels.some((ch) => ch.name === 'general'));
    await cl.ben.call('account.me');
    // No one was shown a message that was not stored.
    const shown = received(cl.ben, 'msg.created', (d) => d.message.channel_id === general.id).map((m) => m.data.message.text);
    for (const s of refusedSends) assert.ok(!shown.includes(s.text), `${s.nonce} was never shown`);

    // Space comes back: the same server stores again, and the refused
    // sends, retried with their nonces, are stored once each.
    await cl.root.call('storage.fault', { fault: 'none' });
    for (const s of refusedSends) {
      const { message } = await cl[s.h].call('msg.send', { channel_id: general.id, text: s.text, nonce: s.nonce });
      assert.equal(message.text, s.text);
    }
    const after = await texts(cl.mira, general.id);
    assert.equal(after.length, before.length + 1 + acked.length + refusedSends.length, 'each send stored once');
    assert.deepEqual(new Set(after).size, after.length);
    await cl.mira.call('channel.create', { hive_id: hive.id, name: 'after-full' });
  });

  test('a read-only database: storage_read_only, reads go on, writes come back', async () => {
    const before = await texts(cl.ben, general.id);
    await cl.root.call('storage.fault', { fault: 'read_only' });
    const r = await cl.ann.request('msg.send', { channel_id: general.id, text: 'read-only 1', nonce: 'ro-1' });
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'storage_read_only', r.error.message);
    const burst = await Promise.all(
      ['ann', 'ben', 'mira'].map((h) => cl[h].request('msg.send', { channel_id: general.id, text: `read-only ${h}`, nonce: `ro-${h}` })),
    );
    for (const b of burst) assert.equal(b.ok ? 'ok' : b.error.code, 'storage_read_only');
    await refused(cl.ann, 'account.set_name', { display_name: 'Ann Again' }, 'storage_read_only');

    // Reads, in the same turns as refused writes or not.
    const [hist, list, me] = await Promise.all([
      texts(cl.ben, general.id),
      cl.ann.call('channel.list', { hive_id: hive.id }),
      cl.ann.call('account.me'),
      cl.ben.request('msg.send', { channel_id: general.id, text: 'read-only again', nonce: 'ro-again' }),
    ]);
    assert.deepEqual(hist, before);
    assert.ok(list.channels.length >= 1);
    assert.notEqual(me.user.name, 'Ann Again');
    // Logging in makes a session: refused for now, with 503.
    const res = await api(server.port, 'POST', '/api/login', { body: { handle: 'ben', password: PASSWORD } });
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'storage_read_only');
    // A connection with the session it has logs in and reads.
    const late = await chatClient(server, tok.ben.token);
    assert.deepEqual(await texts(late, general.id), before);
    await late.close();

    await cl.root.call('storage.fault', { fault: 'none' });
    await cl.ann.call('msg.send', { channel_id: general.id, text: 'read-only 1', nonce: 'ro-1' });
    const after = await texts(cl.mira, general.id);
    assert.deepEqual(after, [...before, 'read-only 1']);
  });
});

// The connections the server counts as open, from /healthz.
async function openConnections(server) {
  const r = await httpGet(server.port, '/healthz');
  assert.equal(r.status, 200);
  return JSON.parse(r.body).connections;
}

describe('a client that vanishes in the middle of a frame', { timeout: 120000 }, () => {
  test('the server drops it, keeps serving the others, stores nothing of it, leaks nothing', async (t) => {
    const server = killAfter(t, await startServer({ env: cleanEnv() }));
    const hive = await makeHive(server, 'Vanish', { learners: ['ann', 'ben'] });
    const tok = await loginAll(server, hive.handles);
    const ben = await chatClient(server, tok.ben.token);
    const general = await channelByName(ben, hive.id, 'general');
    const baseline = await openConnections(server);

    // Each way of being cut off: in the header, in the mask, in the
    // payload, between the fragments of a message, and in a frame after
    // a whole one was read in the same write.
    const send = (text, nonce) => JSON.stringify({ id: 2, op: 'msg.send', channel_id: general.id, text, nonce });
    const cuts = [
      (m) => encodeFrame(OP.TEXT, m).subarray(0, 1),
      (m) => encodeFrame(OP.TEXT, m).subarray(0, 4),
      (m) => {
        const f = encodeFrame(OP.TEXT, m);
        return f.subarray(0, Math.floor(f.length / 2));
      },
      (m) => {
        const half = Math.floor(m.length / 2);
        const f = encodeFrame(OP.CONT, m.slice(half));
        return Buffer.concat([encodeFrame(OP.TEXT, m.slice(0, half), { fin: false }), f.subarray(0, f.length - 3)]);
      },
      (m) => {
        const f = encodeFrame(OP.TEXT, m);
        return Buffer.concat([encodeFrame(OP.PING, 'hi'), f.subarray(0, f.length - 1)]);
      },
    ];
    const lost = [];
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        cuts.map(async (cut, i) => {
          const ws = await rawWebSocket(server.port);
          await ws.write(encodeFrame(OP.TEXT, JSON.stringify({ id: 1, op: 'auth', token: tok.ann.token })));
          await eventually(() => ws.frames.some((f) => f.opcode === OP.TEXT), { what: 'the auth reply' });
          const text = `cut ${round}-${i} ${'v'.repeat(i * 300)}`;
          lost.push(text);
          await ws.write(cut(send(text, `cut-${round}-${i}`)));
          await ws.destroy();
        }),
      );
      // Meanwhile the others are served as usual.
      const { message } = await ben.call('msg.send', { channel_id: general.id, text: `still here ${round}` });
      assert.equal(message.text, `still here ${round}`);
    }
    await eventually(async () => (await openConnections(server)) === baseline, {
      timeoutMs: 10000,
      what: 'every cut-off connection closed',
    });
    const history = (await fullHistory(ben, general.id)).map((m) => m.text);
    assert.equal(lost.length, 20);
    assert.deepEqual(history.filter((h) => h.startsWith('cut ')), [], 'nothing of a cut-off frame is stored');
    assert.deepEqual(history.filter((h) => h.startsWith('still here')), ['still here 0', 'still here 1', 'still here 2', 'still here 3']);
    assert.deepEqual(received(ben, 'msg.created', (d) => d.message.text.startsWith('cut ')), [], 'no one saw half a message');
    await ben.close();
    await stopOk(server); // under AddressSanitizer, a leak fails the exit
  });
});

describe('the clock jumps', { timeout: 120000 }, () => {
  test('forwards by days: what fell due is missed or posted once; backwards: nothing breaks', async (t) => {
    const env = cleanEnv();
    const first = killAfter(t, await startServer({ env, fakeClock: true, args: ARGS }));
    let { hive, tok, cl, general } = await setup(first, 'Jumps');
    const t0 = (await cl.mira.call('ping')).time;
    const script = JSON.stringify({
      title: 'While away',
      steps: [
        { kind: 'announce', title: 'Hello', text: 'Hello!', duration_s: 30 },
        { kind: 'open', title: 'Talk', text: 'Talk.', duration_s: 300 },
      ],
    });
    const { meetup } = await cl.mira.call('meetup.schedule', { hive_id: hive.id, script, start_at: t0 + HOUR });
    const { scheduled } = await cl.ann.call('schedule.create', { channel_id: general.id, text: 'weekly while away', at: t0 + 2 * HOUR, repeat: 'weekly' });

    // Three days pass at once.
    const { time } = await cl.root.call('clock.advance', { ms: 3 * DAY });
    assert.ok(time >= t0 + 3 * DAY);
    await barrier(cl.ann);
    const m = (await cl.ann.call('meetup.get', { meetup_id: meetup.id })).meetup;
    like(m, { state: 'missed', step: -1 }, 'a meetup whose whole time passed is missed, not run late');
    assert.deepEqual(received(cl.ann, 'meetup.step', (d) => d.meetup_id === meetup.id), [], 'no step ran');
    await waitCount(cl.ben, 'msg.created', 1, (d) => d.message.text === 'weekly while away');
    const list = (await cl.ann.call('schedule.list')).scheduled;
    const next = list.find((s) => s.id === scheduled.id);
    assert.ok(next && next.at > time, 'the weekly message moved to its next time in the future');
    assert.equal(next.at, t0 + 2 * HOUR + 7 * DAY);
    let history = (await fullHistory(cl.ben, general.id)).map((x) => x.text);
    assert.equal(history.filter((x) => x === 'weekly while away').length, 1, 'posted once, not once per missed day');
    await cl.ann.call('msg.send', { channel_id: general.id, text: 'three days later' });
    await closeAll(cl);
    await stopOk(first);

    // Restarted, the test clock starts again from the real time: three
    // days before what the database has seen.  Sessions stay valid,
    // nothing stored "in the future" fires, timers still work.
    const second = killAfter(t, await startServer({ dir: first.dir, env, fakeClock: true, args: ARGS }));
    try {
      cl = {};
      for (const h of ['mira', 'ann', 'ben', 'root']) cl[h] = await chatClient(second, tok[h].token);
      const t1 = (await cl.mira.call('ping')).time;
      assert.ok(t1 < time - 2 * DAY, 'the clock went back');
      await cl.ann.call('msg.send', { channel_id: general.id, text: 'back in time' });
      await cl.root.call('clock.advance', { ms: HOUR });
      await barrier(cl.ben);
      history = (await fullHistory(cl.ben, general.id)).map((x) => x.text);
      assert.deepEqual(history.slice(-2), ['three days later', 'back in time'], 'order by arrival, not by clock');
      assert.equal(history.filter((x) => x === 'weekly while away').length, 1, 'not posted again');
      assert.equal((await cl.ann.call('schedule.list')).scheduled.find((s) => s.id === scheduled.id)?.at, t0 + 2 * HOUR + 7 * DAY);
      // A meetup scheduled now runs on time.
      const fresh = (await cl.mira.call('meetup.schedule', { hive_id: hive.id, script, start_at: t1 + HOUR + 10 * MIN })).meetup;
      await cl.root.call('clock.advance', { ms: 10 * MIN });
      await waitCount(cl.ann, 'meetup.step', 1, (d) => d.meetup_id === fresh.id && d.step === 0);
      like((await cl.ann.call('meetup.get', { meetup_id: fresh.id })).meetup, { state: 'running', step: 0 });
      assert.equal(second.proc.exitCode, null, 'still running');
      await closeAll(cl);
    } finally {
      await stopOk(second);
    }
  });
});

describe('SIGKILL while clients send and a meetup runs', { timeout: 180000 }, () => {
  test('every acknowledged message is there once; the meetup resumes at its stored step', async (t) => {
    const env = cleanEnv();
    const first = killAfter(t, await startServer({ env, fakeClock: true, args: ARGS }));
    const { hive, tok, cl, general } = await setup(first, 'Killed', ['ann', 'ben', 'cat']);
    const t0 = (await cl.mira.call('ping')).time;
    const steps = [
      { kind: 'announce', title: 'Welcome', text: 'Hello!', duration_s: 30 },
      { kind: 'open', title: 'Talk', text: 'Talk freely.', duration_s: 300 },
      { kind: 'announce', title: 'Bye', text: 'Bye!', duration_s: 30 },
    ];
    const { meetup } = await cl.mira.call('meetup.schedule', { hive_id: hive.id, script: JSON.stringify({ title: 'Under load', steps }), start_at: t0 + 10 * MIN });
    await cl.root.call('clock.advance', { ms: 10 * MIN + 40 * SEC });
    like((await cl.ann.call('meetup.get', { meetup_id: meetup.id })).meetup, { state: 'running', step: 1 });
    for (const h of ['ann', 'ben', 'cat']) await cl[h].call('meetup.join', { meetup_id: meetup.id });

    // ann, ben and cat send with nonces, 8 requests in flight each, into
    // the hive's channel and the meetup's; mira moves the clock meanwhile.
    const meetupChannel = (await cl.ann.call('meetup.get', { meetup_id: meetup.id })).meetup.channel_id;
    const sent = new Map(); // nonce -> { h, text, channel }
    const acked = new Map(); // nonce -> message id
    let killed = false;
    const sender = (h) => async () => {
      for (let k = 0; !killed; k++) {
        const nonce = `${h}-${Math.random().toString(36).slice(2)}-${k}`;
        const channel = k % 3 ? general.id : meetupChannel;
        const text = `kill test ${nonce}`;
        sent.set(nonce, { h, text, channel });
        try {
          const { message } = await cl[h].call('msg.send', { channel_id: channel, text, nonce }, { timeoutMs: 20000 });
          acked.set(nonce, message.id);
        } catch (err) {
          if (!killed) throw err;
          return;
        }
      }
    };
    const sending = Promise.all(['ann', 'ben', 'cat'].flatMap((h) => Array.from({ length: 8 }, sender(h))));
    const ticking = (async () => {
      while (!killed) {
        await cl.root.call('clock.advance', { ms: 100 }).catch(() => {});
        await sleep(5);
      }
    })();
    await Promise.race([
      eventually(() => acked.size >= 300, { timeoutMs: 60000, intervalMs: 5, what: '300 acknowledged sends' }),
      sending.then(() => assert.fail('the senders stopped before the kill')),
    ]);
    killed = true;
    first.proc.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    await Promise.all([sending, ticking]);
    for (const c of Object.values(cl)) await c.closed;
    t.diagnostic(`${sent.size} sends made, ${acked.size} acknowledged before the kill`);

    const second = killAfter(t, await startServer({ dir: first.dir, env, fakeClock: true, args: ARGS }));
    try {
      const again = {};
      for (const h of ['mira', 'ann', 'ben', 'cat', 'root']) again[h] = await chatClient(second, tok[h].token);
      const stored = new Map(); // text -> message
      for (const ch of [general.id, meetupChannel]) {
        for (const m of await fullHistory(again.mira, ch)) {
          if (!m.text.startsWith('kill test ')) continue;
          assert.ok(!stored.has(m.text), `${m.text} stored once`);
          stored.set(m.text, m);
        }
      }
      for (const [nonce, id] of acked) {
        const m = stored.get(sent.get(nonce).text);
        assert.ok(m, `acknowledged ${nonce} is stored`);
        assert.equal(m.id, id);
        assert.equal(m.channel_id, sent.get(nonce).channel);
      }
      for (const text of stored.keys()) assert.ok([...sent.values()].some((s) => s.text === text), 'only what was sent');

      // The meetup goes on from its stored step, and ends on time.
      const m = (await again.ann.call('meetup.get', { meetup_id: meetup.id })).meetup;
      like(m, { state: 'running', step: 1 });
      const t1 = (await again.mira.call('ping')).time;
      await again.root.call('clock.advance', { ms: Math.max(1, m.step_ends_at - t1 + SEC) });
      like((await again.ann.call('meetup.get', { meetup_id: meetup.id })).meetup, { state: 'running', step: 2 });

      // The sends never answered, retried with their nonces: stored once.
      const pending = [...sent].filter(([n]) => !acked.has(n));
      for (const [nonce, s] of pending) {
        const { message } = await again[s.h].call('msg.send', { channel_id: s.channel, text: s.text, nonce });
        const was = stored.get(s.text);
        if (was) assert.equal(message.id, was.id, `retry of stored ${nonce} returns the stored message`);
      }
      let total = 0;
      for (const ch of [general.id, meetupChannel]) {
        total += (await fullHistory(again.mira, ch)).filter((x) => x.text.startsWith('kill test ')).length;
      }
      assert.equal(total, sent.size, 'every send stored exactly once');
      await closeAll(again);
    } finally {
      await stopOk(second);
    }
  });
});
