// Issue 8, peer pairing, driven by the test clock: a mentor turns it on,
// each week the hive's learners are put two by two into direct
// conversations where the opening prompt arrives, with no pair repeated
// over the rounds while that can be avoided; a trio for an odd count, a
// round skipped (with why) for a hive of one learner; the history for
// mentors only; a round run by hand; weeks missed at once give one
// round, not one per week; and a restart neither loses nor doubles a
// round.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';
import { login } from '../lib/api.mjs';
import {
  admin,
  barrier,
  chatClient,
  fullHistory,
  like,
  loginAll,
  makeHive,
  received,
  refused,
  waitCount,
} from '../lib/chat-setup.mjs';

const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const ARGS = ['--session-ttl', '365'];
const LEARNERS = ['pa', 'pb', 'pc', 'pd', 'pe', 'pf'];
const PROMPT = 'Hello you two! Share what you are stuck on this week, and one thing that helped.';

async function setup(server) {
  const [A, B, C, D] = await Promise.all([
    makeHive(server, 'Pairs A', { mentors: ['mira'], learners: LEARNERS }),
    makeHive(server, 'Pairs B', { mentors: ['olga'] }),
    makeHive(server, 'Pairs Solo', { mentors: ['sam'], learners: ['lone'] }),
    makeHive(server, 'Pairs Trio', { mentors: ['tess'], learners: ['ta', 'tb', 'tc'] }),
  ]);
  await admin(server, ['create-user', 'root', '--admin', '--password-stdin'], 'correct horse battery staple\n');
  const handles = [...A.handles, ...B.handles, ...C.handles, ...D.handles];
  const tok = await loginAll(server, handles);
  tok.root = await login(server.port, 'root');
  const cl = {};
  const uid = {};
  for (const h of Object.keys(tok)) {
    cl[h] = await chatClient(server, tok[h].token);
    uid[h] = tok[h].user.id;
  }
  return { A, B, C, D, tok, cl, uid };
}

async function closeAll(cl) {
  for (const c of Object.values(cl)) {
    if (!c.closeInfo) {
      c.assertClean();
      await c.close();
    }
  }
}

// "a-b" for each pair of people grouped together in a round.
function pairsOf(round) {
  const out = [];
  for (const g of round.groups) {
    const ids = [...g.user_ids].sort((x, y) => x - y);
    for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) out.push(`${ids[i]}-${ids[j]}`);
  }
  return out;
}

// Checks a paired round groups exactly these learners, in pairs (and
// one trio when odd), each group with its conversation.
function assertGroups(round, learnerIds) {
  assert.equal(round.status, 'paired');
  assert.equal(round.reason, null);
  const all = round.groups.flatMap((g) => g.user_ids).sort((x, y) => x - y);
  assert.deepEqual(all, [...learnerIds].sort((x, y) => x - y), 'every learner once, nobody else');
  const sizes = round.groups.map((g) => g.user_ids.length).sort();
  const want = Array(Math.floor(learnerIds.length / 2)).fill(2);
  if (learnerIds.length % 2) want[want.length - 1] = 3;
  assert.deepEqual(sizes, want.sort());
  for (const g of round.groups) assert.ok(Number.isInteger(g.channel_id), 'a conversation per group');
}

describe('peer pairing', { timeout: 180000 }, () => {
  let server;
  let A;
  let B;
  let C;
  let D;
  let cl;
  let uid;
  const now = async () => (await cl.mira.call('ping')).time;
  const advance = async (ms) => {
    await cl.root.call('clock.advance', { ms });
    await barrier(cl.mira);
  };
  const learnerIds = () => LEARNERS.map((h) => uid[h]);
  const history = async () => (await cl.mira.call('pairing.history', { hive_id: A.id })).rounds;

  before(async () => {
    server = await startServer({ env: cleanEnv(), fakeClock: true, args: ARGS });
    ({ A, B, C, D, cl, uid } = await setup(server));
  });

  after(async () => {
    await closeAll(cl);
    await stopOk(server);
  });

  test('off by default, with the default prompt; readable by members only', async () => {
    const { pairing } = await cl.pa.call('pairing.get', { hive_id: A.id });
    like(pairing, { hive_id: A.id, enabled: false, every_days: 7, next_at: null, custom_prompt: false });
    assert.match(pairing.prompt, /peer pairing/);
    await refused(cl.olga, 'pairing.get', { hive_id: A.id }, 'not_found');
    assert.deepEqual(await history(), []);
  });

  test('learners and other mentors may not set, run or read the history', async () => {
    const t0 = await now();
    await refused(cl.pa, 'pairing.set', { hive_id: A.id, enabled: true }, 'forbidden');
    await refused(cl.pa, 'pairing.run', { hive_id: A.id }, 'forbidden');
    await refused(cl.pa, 'pairing.history', { hive_id: A.id }, 'forbidden');
    await refused(cl.olga, 'pairing.set', { hive_id: A.id, enabled: true }, 'not_found');
    await refused(cl.olga, 'pairing.run', { hive_id: A.id }, 'not_found');
    await refused(cl.olga, 'pairing.history', { hive_id: A.id }, 'not_found');
    await refused(cl.mira, 'pairing.set', { hive_id: A.id, enabled: true, every_days: 10 }, 'invalid_param');
    await refused(cl.mira, 'pairing.set', { hive_id: A.id, enabled: true, next_at: t0 - 1 }, 'invalid_param');
    await refused(cl.mira, 'pairing.set', { hive_id: A.id, enabled: true, next_at: t0 + 400 * DAY }, 'invalid_param');
    // Nothing changed, nothing ran.
    like((await cl.mira.call('pairing.get', { hive_id: A.id })).pairing, { enabled: false, next_at: null });
    assert.deepEqual(await history(), []);
    assert.equal(received(cl.pa, 'dm.created').length, 0);
  });

  test('turned on, the first round pairs the learners in DMs with the prompt', async () => {
    const t0 = await now();
    const first = t0 + DAY;
    const { pairing } = await cl.mira.call('pairing.set', {
      hive_id: A.id, enabled: true, every_days: 7, next_at: first, prompt: `  ${PROMPT}  `,
    });
    like(pairing, { enabled: true, every_days: 7, next_at: first, prompt: PROMPT, custom_prompt: true, updated_by: uid.mira });
    // The mentors are told; the learners are not.
    await waitCount(cl.mira, 'pairing.updated', 1, (d) => d.hive_id === A.id && !d.round);
    assert.equal(received(cl.pa, 'pairing.updated').length, 0);

    await advance(DAY - 1000);
    assert.deepEqual(await history(), [], 'not before its time');
    await advance(1000);
    const rounds = await history();
    assert.equal(rounds.length, 1);
    like(rounds[0], { hive_id: A.id, due_at: first, status: 'paired', run_by: null });
    assertGroups(rounds[0], learnerIds());
    // Each learner got the prompt in the conversation with their partner,
    // a normal DM posted for the mentor who set pairing.
    for (const h of LEARNERS) {
      const group = rounds[0].groups.find((g) => g.user_ids.includes(uid[h]));
      await waitCount(cl[h], 'msg.created', 1, (d) => d.message.channel_id === group.channel_id);
      const msg = received(cl[h], 'msg.created', (d) => d.message.channel_id === group.channel_id)[0].data.message;
      like(msg, { text: PROMPT, author_id: uid.mira });
      const { channels } = await cl[h].call('dm.list');
      const dm = channels.find((c) => c.id === group.channel_id);
      assert.ok(dm, `${h} has the DM in dm.list`);
      assert.deepEqual([...dm.members].sort(), [...group.user_ids].sort());
      assert.deepEqual((await fullHistory(cl[h], dm.id)).map((m) => m.text), [PROMPT]);
    }
    // The mentor is not in the learners' conversations.
    assert.equal(received(cl.mira, 'msg.created', (d) => d.message.text === PROMPT).length, 0);
    await waitCount(cl.mira, 'pairing.updated', 1, (d) => d.round?.id === rounds[0].id);
    // The next round is a week on.
    like((await cl.mira.call('pairing.get', { hive_id: A.id })).pairing, { next_at: first + WEEK });
  });

  test('over three rounds, nobody is paired twice with the same person', async () => {
    await advance(WEEK);
    await advance(WEEK);
    const rounds = await history();
    assert.equal(rounds.length, 3);
    assert.ok(rounds[0].id > rounds[1].id && rounds[1].id > rounds[2].id, 'newest first');
    const seen = new Set();
    for (const r of rounds) {
      assertGroups(r, learnerIds());
      for (const p of pairsOf(r)) {
        assert.ok(!seen.has(p), `pair ${p} met again`);
        seen.add(p);
      }
    }
    assert.equal(seen.size, 9);
    // limit cuts the history.
    assert.equal((await cl.mira.call('pairing.history', { hive_id: A.id, limit: 1 })).rounds.length, 1);
  });

  test('a mentor can pair now; the scheduled round keeps its time', async () => {
    const before = (await cl.mira.call('pairing.get', { hive_id: A.id })).pairing;
    const { round } = await cl.mira.call('pairing.run', { hive_id: A.id });
    like(round, { hive_id: A.id, due_at: null, status: 'paired', run_by: uid.mira });
    assertGroups(round, learnerIds());
    const after = (await cl.mira.call('pairing.get', { hive_id: A.id })).pairing;
    assert.equal(after.next_at, before.next_at);
    assert.equal((await history()).length, 4);
    // Admins too, anywhere.
    const { round: r2 } = await cl.root.call('pairing.run', { hive_id: A.id });
    like(r2, { status: 'paired', run_by: uid.root });
    assert.equal((await history()).length, 5);
  });

  test('weeks missed at once give one round, and the next time is in the future', async () => {
    const n0 = (await history()).length;
    await advance(3 * WEEK);
    const rounds = await history();
    assert.equal(rounds.length, n0 + 1, 'one round, not one per missed week');
    const { pairing } = await cl.mira.call('pairing.get', { hive_id: A.id });
    assert.ok(pairing.next_at > (await now()), 'next_at moved past now');
    assert.equal((pairing.next_at - rounds[0].due_at) % WEEK, 0, 'same weekday and time');
  });

  test('turned off, no round runs', async () => {
    await cl.mira.call('pairing.set', { hive_id: A.id, enabled: false });
    const n0 = (await history()).length;
    await advance(2 * WEEK);
    assert.equal((await history()).length, n0);
    // Fortnightly, with the default prompt back.
    const t0 = await now();
    const { pairing } = await cl.mira.call('pairing.set', {
      hive_id: A.id, enabled: true, every_days: 14, next_at: t0 + HOUR, prompt: '',
    });
    like(pairing, { every_days: 14, custom_prompt: false, next_at: t0 + HOUR });
    await advance(HOUR);
    const rounds = await history();
    assert.equal(rounds.length, n0 + 1);
    assert.match(received(cl.pa, 'msg.created').at(-1).data.message.text, /peer pairing/);
    like((await cl.mira.call('pairing.get', { hive_id: A.id })).pairing, { next_at: t0 + HOUR + 2 * WEEK });
  });

  test('one learner: the round is skipped, with why; three: a trio', async () => {
    const { round } = await cl.sam.call('pairing.run', { hive_id: C.id });
    like(round, { hive_id: C.id, status: 'skipped', groups: [] });
    assert.match(round.reason, /fewer than 2 learners/);
    assert.equal(received(cl.lone, 'dm.created').length, 0);

    const { round: trio } = await cl.tess.call('pairing.run', { hive_id: D.id });
    assertGroups(trio, [uid.ta, uid.tb, uid.tc]);
    assert.equal(trio.groups.length, 1);
    for (const h of ['ta', 'tb', 'tc']) {
      await waitCount(cl[h], 'msg.created', 1, (d) => d.message.channel_id === trio.groups[0].channel_id);
    }
    // Hive B has no learner either.
    assert.equal((await cl.olga.call('pairing.history', { hive_id: B.id })).rounds.length, 0);
  });
});

describe('peer pairing survives a restart', { timeout: 180000 }, () => {
  const servers = [];
  after(async () => {
    for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
  });

  test('a round already run is not run again, and the next one comes', async () => {
    const env = cleanEnv();
    const first = await startServer({ env, fakeClock: true, args: ARGS });
    servers.push(first);
    let { A, tok, cl } = await setup(first);
    const t0 = (await cl.mira.call('ping')).time;
    await cl.mira.call('pairing.set', { hive_id: A.id, enabled: true, next_at: t0 + HOUR });
    await cl.root.call('clock.advance', { ms: HOUR });
    const before = (await cl.mira.call('pairing.history', { hive_id: A.id })).rounds;
    assert.equal(before.length, 1);
    await closeAll(cl);
    first.proc.kill('SIGKILL');
    await first.exited;

    // The test clock starts again from the real time, before the round's
    // time: the stored round must not run a second time.
    const second = await startServer({ dir: first.dir, env, fakeClock: true, args: ARGS });
    servers.push(second);
    try {
      cl = {};
      for (const h of ['mira', 'pa', 'root']) cl[h] = await chatClient(second, tok[h].token);
      await cl.root.call('clock.advance', { ms: 2 * HOUR });
      const again = (await cl.mira.call('pairing.history', { hive_id: A.id })).rounds;
      assert.deepEqual(again.map((r) => r.id), before.map((r) => r.id), 'the same one round');
      const { pairing } = (await cl.mira.call('pairing.get', { hive_id: A.id }));
      like(pairing, { enabled: true, next_at: t0 + HOUR + WEEK });
      const t1 = (await cl.mira.call('ping')).time;
      await cl.root.call('clock.advance', { ms: pairing.next_at - t1 });
      const rounds = (await cl.mira.call('pairing.history', { hive_id: A.id })).rounds;
      assert.equal(rounds.length, 2);
      like(rounds[0], { due_at: t0 + HOUR + WEEK, status: 'paired' });
      assert.deepEqual(pairsOf(rounds[0]).filter((p) => pairsOf(rounds[1]).includes(p)), [], 'no repeat across the restart');
      await waitCount(cl.pa, 'msg.created', 1, (d) => rounds[0].groups.some((g) => g.channel_id === d.message.channel_id));
      await closeAll(cl);
    } finally {
      await stopOk(second);
    }
  });
});
