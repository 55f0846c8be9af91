// Issue 8, the meetup runner through the real server and the test clock:
// a whole short meetup (announce, a round with turns and speaker_only, a
// breakout, a poll, feedback, the summary), the mentor's controls, a
// server killed in the middle of a meetup and restarted on the same
// database, and a meetup missed while the server was down.  Also what
// someone opening a meetup in the middle sees (meetup.get's live), the
// timer in meetup.updated after the controls, and the results after.
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

const SEC = 1000;
const MIN = 60 * SEC;

const SCRIPT = {
  title: 'A short meetup',
  steps: [
    { kind: 'announce', title: 'Welcome', text: 'Hello everyone!', duration_s: 30 },
    { kind: 'round', title: 'Introductions', text: 'Twenty seconds each.', duration_s: 60, turn_s: 20, order: 'join', speaker_only: true },
    { kind: 'breakout', title: 'Pairs', text: 'Off you go.', duration_s: 60, group_size: 2, prompt: 'Share one idea each.' },
    { kind: 'poll', title: 'Vote', text: 'A quick poll.', duration_s: 30, question: 'Next topic?', options: ['CSS', 'SQL', 'Git'] },
    { kind: 'feedback', title: 'Feedback', text: 'One question.', duration_s: 30, question: 'Would you recommend it?' },
  ],
};

async function setup(server) {
  const A = await makeHive(server, 'Run A', { mentors: ['mira'], learners: ['ann', 'ben', 'cat', 'dan'] });
  await admin(server, ['create-user', 'root', '--admin', '--password-stdin'], 'correct horse battery staple\n');
  const tok = await loginAll(server, A.handles);
  tok.root = await login(server.port, 'root');
  const cl = {};
  const uid = {};
  for (const h of Object.keys(tok)) {
    cl[h] = await chatClient(server, tok[h].token);
    uid[h] = tok[h].user.id;
  }
  return { A, tok, cl, uid };
}

async function closeAll(cl) {
  for (const c of Object.values(cl)) {
    if (!c.closeInfo) {
      c.assertClean();
      await c.close();
    }
  }
}

describe('running a meetup', { timeout: 120000 }, () => {
  let server;
  let A;
  let cl;
  let uid;
  const now = async () => (await cl.mira.call('ping')).time;
  const advance = async (ms) => {
    await cl.root.call('clock.advance', { ms });
    await barrier(cl.mira);
  };

  before(async () => {
    server = await startServer({ env: cleanEnv(), fakeClock: true, args: ['--session-ttl', '365'] });
    ({ A, cl, uid } = await setup(server));
  });

  after(async () => {
    await closeAll(cl);
    await stopOk(server);
  });

  test('a whole meetup: steps, turns, a trio, a poll, feedback, the summary', async () => {
    const { meetup } = await cl.mira.call('meetup.schedule', { hive_id: A.id, script: JSON.stringify(SCRIPT), start_at: (await now()) + 10 * MIN });
    const id = meetup.id;
    const from = await now();
    // Said going: ann, ben and dan come; mira does not.
    for (const h of ['ann', 'ben', 'dan', 'mira']) await cl[h].call('meetup.rsvp', { meetup_id: id, answer: 'going' });
    await refused(cl.ann, 'meetup.join', { meetup_id: id }, 'invalid_param');
    await advance(10 * MIN);
    await waitCount(cl.ann, 'meetup.step', 1, (d) => d.meetup_id === id && d.step === 0);
    const step0 = received(cl.ann, 'meetup.step', (d) => d.meetup_id === id)[0];
    like(step0.data, { kind: 'announce', title: 'Welcome', text: 'Hello everyone!' });
    assert.equal(step0.data.ends_at - step0.data.started_at, 30 * SEC);
    const channel = step0.data.channel_id;
    assert.ok(channel > 0);

    for (const h of ['ann', 'ben', 'cat', 'dan']) {
      const j = await cl[h].call('meetup.join', { meetup_id: id });
      like(j.meetup, { state: 'running', step: 0 });
    }
    await cl.dan.call('meetup.leave', { meetup_id: id });
    await waitCount(cl.mira, 'meetup.participants', 1, (d) => d.meetup_id === id && d.user_ids.length === 3);

    // The round, in join order: ann, ben, cat; only the speaker posts.
    await advance(30 * SEC);
    const round = received(cl.ann, 'meetup.step', (d) => d.meetup_id === id && d.step === 1)[0];
    assert.ok(round, 'the round started');
    assert.deepEqual(round.data.order, [uid.ann, uid.ben, uid.cat]);
    assert.equal(round.data.ends_at - round.data.started_at, 60 * SEC, 'a full turn each');
    like(round.data, { speaker_only: true, turn_s: 20 });
    await waitCount(cl.ben, 'meetup.turn', 1, (d) => d.meetup_id === id && d.user_id === uid.ann);
    const no = await refused(cl.ben, 'msg.send', { channel_id: channel, text: 'me first' }, 'forbidden');
    assert.equal(no.error.speaker_id, uid.ann);
    await cl.ann.call('msg.send', { channel_id: channel, text: 'I am Ann' });
    await cl.mira.call('msg.send', { channel_id: channel, text: 'Welcome Ann' });
    await advance(20 * SEC);
    await waitCount(cl.ann, 'meetup.turn', 1, (d) => d.meetup_id === id && d.user_id === uid.ben);
    await cl.ben.call('msg.send', { channel_id: channel, text: 'I am Ben' });
    await refused(cl.ann, 'msg.send', { channel_id: channel, text: 'again' }, 'forbidden');
    // Someone who opens the meetup now sees the round and whose turn it
    // is, without the events that said so.
    const mid = (await cl.dan.call('meetup.get', { meetup_id: id })).meetup;
    like(mid.live.step, { step: 1, kind: 'round', speaker_only: true, turn_s: 20, order: [uid.ann, uid.ben, uid.cat] });
    like(mid.live.turn, { position: 1, user_id: uid.ben, ends_at: round.data.started_at + 40 * SEC });
    assert.deepEqual(mid.live.participants, [uid.ann, uid.ben, uid.cat]);
    assert.equal(mid.step_ends_at, round.data.started_at + 60 * SEC);
    // Results so far: nobody is a no-show before the end.
    like((await cl.mira.call('meetup.results', { meetup_id: id })).attendance,
      { going: 4, came: 4, came_going: 3, no_shows: 0, no_show_ids: [] });
    // A late joiner speaks last.
    const late = await cl.dan.call('meetup.join', { meetup_id: id });
    assert.equal(late.meetup.step_ends_at - round.data.started_at, 80 * SEC);
    assert.deepEqual((await cl.dan.call('meetup.get', { meetup_id: id })).meetup.live.step.order,
      [uid.ann, uid.ben, uid.cat, uid.dan]);
    await advance(20 * SEC);
    await waitCount(cl.ann, 'meetup.turn', 1, (d) => d.meetup_id === id && d.user_id === uid.cat);
    // A leaver who has not spoken is taken out: dan leaves again.
    await cl.dan.call('meetup.leave', { meetup_id: id });

    // The breakout: three people, groups of two: one trio.
    await advance(20 * SEC);
    assert.equal(received(cl.ann, 'meetup.turn', (d) => d.meetup_id === id && d.user_id === uid.dan).length, 0);
    await waitCount(cl.ann, 'meetup.breakout', 1, (d) => d.meetup_id === id);
    const bo = received(cl.ann, 'meetup.breakout', (d) => d.meetup_id === id)[0].data;
    assert.equal(bo.prompt, 'Share one idea each.');
    assert.equal(bo.groups.length, 1);
    assert.deepEqual([...bo.groups[0].user_ids].sort((a, b) => a - b), [uid.ann, uid.ben, uid.cat].sort((a, b) => a - b));
    await cl.ann.call('msg.send', { channel_id: bo.groups[0].channel_id, text: 'Hello trio' });
    // Reopened in the middle, the breakout shows one's own group.
    const inGroup = (await cl.ben.call('meetup.get', { meetup_id: id })).meetup.live;
    like(inGroup.step, { kind: 'breakout' });
    like(inGroup.my_group, { group: 0, channel_id: bo.groups[0].channel_id, prompt: 'Share one idea each.' });
    assert.equal(inGroup.my_group.user_ids.length, 3);
    assert.equal(inGroup.turn, undefined);
    assert.equal((await cl.mira.call('meetup.get', { meetup_id: id })).meetup.live.my_group, undefined, 'in no group');

    // The poll.
    await advance(60 * SEC);
    const poll = received(cl.ann, 'meetup.step', (d) => d.meetup_id === id && d.kind === 'poll')[0];
    assert.ok(poll, 'the poll started');
    assert.deepEqual(poll.data.options, ['CSS', 'SQL', 'Git']);
    await cl.ann.call('meetup.answer', { meetup_id: id, step: 3, choices: [1] });
    await cl.ben.call('meetup.answer', { meetup_id: id, step: 3, choices: [1] });
    await cl.cat.call('meetup.answer', { meetup_id: id, step: 3, choices: [2] });
    await refused(cl.cat, 'meetup.answer', { meetup_id: id, step: 3, choices: [0, 1] }, 'invalid_param');
    await refused(cl.cat, 'meetup.answer', { meetup_id: id, step: 2, choices: [0] }, 'invalid_param');
    await refused(cl.mira, 'meetup.answer', { meetup_id: id, step: 3, choices: [0] }, 'forbidden');
    await refused(cl.ann, 'meetup.feedback', { meetup_id: id, nps: 10 }, 'invalid_param');

    // Feedback, then the end.
    await advance(30 * SEC);
    await waitCount(cl.ann, 'meetup.poll_results', 1, (d) => d.meetup_id === id);
    like(received(cl.ann, 'meetup.poll_results', (d) => d.meetup_id === id)[0].data, { counts: [0, 2, 1], answers: 3 });
    await cl.ann.call('meetup.feedback', { meetup_id: id, nps: 10, comment: 'Great' });
    await cl.ben.call('meetup.feedback', { meetup_id: id, nps: 9 });
    await cl.cat.call('meetup.feedback', { meetup_id: id, nps: 3 });
    await advance(30 * SEC);
    await waitCount(cl.ann, 'meetup.updated', 1, (d) => d.meetup.id === id && d.meetup.state === 'ended');
    const over = (await cl.ann.call('meetup.get', { meetup_id: id })).meetup;
    assert.equal(over.state, 'ended');
    assert.equal(over.live, undefined, 'no live state once over');

    const texts = (await fullHistory(cl.ann, channel)).map((m) => m.text);
    assert.ok(texts.some((t) => t.startsWith('Step 1 of 5 - Welcome')), texts.join('|'));
    assert.ok(texts.some((t) => t.startsWith('Step 5 of 5 - Feedback')));
    assert.ok(texts.some((t) => t.startsWith('Poll results: Next topic?') && t.includes('SQL: 2')));
    assert.ok(texts.at(-1).includes('has ended') && texts.at(-1).includes('NPS +33'), texts.at(-1));
    assert.ok(texts.includes('I am Ann') && texts.includes('I am Ben') && !texts.includes('me first'));

    // Its results, for the mentor: ann, ben and dan said going and came,
    // mira said going and did not; cat came without saying.
    const res = await cl.mira.call('meetup.results', { meetup_id: id });
    like(res.meetup, { id, state: 'ended' });
    like(res.attendance, { going: 4, came: 4, came_going: 3, no_shows: 1, rate: 0.75, no_show_ids: [uid.mira] });
    assert.deepEqual(res.attendance.participants.map((p) => p.user_id), [uid.ann, uid.ben, uid.cat, uid.dan]);
    const byId = Object.fromEntries(res.attendance.participants.map((p) => [p.user_id, p]));
    assert.equal(byId[uid.ann].rsvp, 'going');
    assert.equal(byId[uid.cat].rsvp, undefined, 'cat never answered');
    assert.ok(byId[uid.dan].left_at >= byId[uid.dan].joined_at, 'dan left');
    assert.equal(byId[uid.ann].left_at, undefined, 'ann stayed');
    assert.equal(res.polls.length, 1);
    like(res.polls[0], { step: 3, question: 'Next topic?', options: ['CSS', 'SQL', 'Git'], counts: [0, 2, 1], answers: 3 });
    like(res.feedback, { answers: 3, promoters: 2, passives: 0, detractors: 1, comments: ['Great'] });
    assert.ok(Math.abs(res.feedback.nps - 100 / 3) < 1e-9);
    assert.ok(Math.abs(res.feedback.average - 22 / 3) < 1e-9);
    assert.deepEqual(res.feedback.scores, [0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1]);
    assert.deepEqual(await cl.root.call('meetup.results', { meetup_id: id }), res, 'admins read it too');
    await refused(cl.ann, 'meetup.results', { meetup_id: id }, 'forbidden');
    await refused(cl.mira, 'meetup.results', { meetup_id: 424242 }, 'not_found');

    // It is in the hive's past meetups (for everyone), not in the coming ones.
    const past = await cl.ann.call('meetup.list', { hive_id: A.id, past: true });
    assert.ok(past.meetups.some((m) => m.id === id && m.state === 'ended'));
    assert.equal(typeof past.more, 'boolean');
    assert.ok(!(await cl.ann.call('meetup.list', { hive_id: A.id })).meetups.some((m) => m.id === id));

    // What supervision reads of it, per hive and per mentor.
    const report = await cl.root.call('supervision.report', { hive_id: A.id, from, to: (await now()) + 1 });
    like(report.hives[0], { meetups_held: 1, meetup_attendance: 0.75, meetup_no_shows: 1, meetup_no_show_rate: 0.25 });
    assert.ok(Math.abs(report.hives[0].nps - 100 / 3) < 1e-9, `nps ${report.hives[0].nps}`);
    const mira = report.mentors.find((m) => m.user_id === uid.mira);
    like(mira, { meetups_led: 1, meetup_attendance: 0.75, meetup_no_shows: 1, meetup_no_show_rate: 0.25 });
    assert.ok(Math.abs(mira.nps - 100 / 3) < 1e-9, `nps ${mira.nps}`);
  });

  test('the mentor\'s controls: start early, pause, resume, extend, skip, end', async () => {
    const { meetup } = await cl.mira.call('meetup.schedule', { hive_id: A.id, script: JSON.stringify(SCRIPT), start_at: (await now()) + 60 * MIN });
    const id = meetup.id;
    await refused(cl.ann, 'meetup.start', { meetup_id: id }, 'forbidden');
    await refused(cl.mira, 'meetup.pause', { meetup_id: id }, 'invalid_param');
    let r = (await cl.mira.call('meetup.start', { meetup_id: id })).meetup;
    like(r, { state: 'running', step: 0 });
    const t0 = await now();
    assert.equal(r.step_ends_at, t0 + 30 * SEC);
    // Everyone's copy (meetup.updated) carries the timer too.
    const updates = () => received(cl.ann, 'meetup.updated', (d) => d.meetup.id === id).map((e) => e.data.meetup);
    r = (await cl.mira.call('meetup.pause', { meetup_id: id })).meetup;
    like(r, { state: 'paused', paused_left_ms: 30 * SEC });
    assert.equal(r.step_ends_at, undefined, 'no end while paused');
    await waitCount(cl.ann, 'meetup.updated', 1, (d) => d.meetup.id === id && d.meetup.state === 'paused');
    like(updates().at(-1), { state: 'paused', paused_left_ms: 30 * SEC });
    assert.equal(updates().at(-1).step_ends_at, undefined);
    // While paused the time left grows with extend.
    r = (await cl.mira.call('meetup.extend', { meetup_id: id, seconds: 10 })).meetup;
    like(r, { state: 'paused', paused_left_ms: 40 * SEC });
    await advance(5 * MIN);
    const paused = (await cl.ann.call('meetup.get', { meetup_id: id })).meetup;
    like(paused, { step: 0, paused_left_ms: 40 * SEC }, 'a paused meetup waits');
    like(paused.live.step, { step: 0, kind: 'announce' });
    await refused(cl.mira, 'meetup.pause', { meetup_id: id }, 'invalid_param');
    r = (await cl.mira.call('meetup.resume', { meetup_id: id })).meetup;
    like(r, { state: 'running', step: 0, step_ends_at: t0 + 5 * MIN + 40 * SEC });
    assert.equal(r.paused_left_ms, undefined);
    await waitCount(cl.ann, 'meetup.updated', 1, (d) => d.meetup.id === id && d.meetup.step_ends_at === t0 + 5 * MIN + 40 * SEC);
    r = (await cl.mira.call('meetup.extend', { meetup_id: id, seconds: 50 })).meetup;
    assert.equal(r.step_ends_at, t0 + 5 * MIN + 90 * SEC);
    await waitCount(cl.ann, 'meetup.updated', 1, (d) => d.meetup.id === id && d.meetup.step_ends_at === t0 + 5 * MIN + 90 * SEC);
    // The step as meetup.get shows it ends then too.
    assert.equal((await cl.ann.call('meetup.get', { meetup_id: id })).meetup.live.step.ends_at, t0 + 5 * MIN + 90 * SEC);
    await advance(80 * SEC);
    assert.equal((await cl.ann.call('meetup.get', { meetup_id: id })).meetup.step, 0);
    r = (await cl.mira.call('meetup.skip', { meetup_id: id })).meetup;
    like(r, { state: 'running', step: 1 });
    r = (await cl.root.call('meetup.end', { meetup_id: id })).meetup;
    like(r, { state: 'ended' });
    await refused(cl.mira, 'meetup.end', { meetup_id: id }, 'invalid_param');
  });

  test('the meetups over, a page at a time, newest first', async () => {
    const t0 = await now();
    const over = [];
    // Three more meetups over: ended, cancelled, ended; the latest start first.
    for (const [i, how] of ['end', 'cancel', 'end'].entries()) {
      const { meetup } = await cl.mira.call('meetup.schedule', { hive_id: A.id, script: JSON.stringify(SCRIPT), start_at: t0 + (i + 1) * 3600 * SEC });
      if (how === 'cancel') {
        await cl.mira.call('meetup.cancel', { meetup_id: meetup.id });
      } else {
        await cl.mira.call('meetup.start', { meetup_id: meetup.id });
        await cl.mira.call('meetup.end', { meetup_id: meetup.id });
      }
      over.unshift(meetup.id);
    }
    const upcoming = (await cl.mira.call('meetup.schedule', { hive_id: A.id, script: JSON.stringify(SCRIPT), start_at: t0 + 9 * 3600 * SEC })).meetup;
    const all = await cl.ann.call('meetup.list', { hive_id: A.id, past: true, limit: 100 });
    assert.equal(all.more, false);
    assert.deepEqual(all.meetups.slice(0, 3).map((m) => m.id), over);
    assert.ok(all.meetups.every((m) => ['ended', 'missed', 'cancelled'].includes(m.state)));
    assert.ok(!all.meetups.some((m) => m.id === upcoming.id), 'not one to come');
    for (let i = 1; i < all.meetups.length; i++) assert.ok(all.meetups[i - 1].start_at >= all.meetups[i].start_at);
    // Page by page with before, the same list.
    const paged = [];
    let before;
    for (;;) {
      const page = await cl.ann.call('meetup.list', { hive_id: A.id, past: true, limit: 2, ...(before ? { before } : {}) });
      assert.ok(page.meetups.length <= 2);
      paged.push(...page.meetups.map((m) => m.id));
      if (!page.more) break;
      before = page.meetups.at(-1).start_at;
    }
    assert.deepEqual(paged, all.meetups.map((m) => m.id));
    // Without past: only those not over, and no "more".
    const coming = await cl.ann.call('meetup.list', { hive_id: A.id });
    assert.ok(coming.meetups.some((m) => m.id === upcoming.id));
    assert.equal(coming.more, undefined);
    await refused(cl.ann, 'meetup.list', { hive_id: A.id, past: true, limit: 0 }, 'invalid_param');
    await refused(cl.ann, 'meetup.list', { hive_id: A.id, past: true, limit: 101 }, 'invalid_param');
    await cl.mira.call('meetup.cancel', { meetup_id: upcoming.id });
  });
});

describe('a meetup and a restart', { timeout: 120000 }, () => {
  const servers = [];
  after(async () => {
    for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
  });

  test('killed mid-meetup, the server resumes at the right step with the right time left', async () => {
    const env = cleanEnv();
    const first = await startServer({ env, fakeClock: true, args: ['--session-ttl', '365'] });
    servers.push(first);
    let { A, tok, cl } = await setup(first);
    const t0 = (await cl.mira.call('ping')).time;
    const steps = [
      { kind: 'announce', title: 'Welcome', text: 'Hello!', duration_s: 30 },
      { kind: 'open', title: 'Talk', text: 'Talk freely.', duration_s: 300 },
      { kind: 'announce', title: 'Bye', text: 'Bye!', duration_s: 30 },
    ];
    const script = JSON.stringify({ title: 'Restart me', steps });
    const { meetup } = await cl.mira.call('meetup.schedule', { hive_id: A.id, script, start_at: t0 + 10 * MIN });
    const missed = (await cl.mira.call('meetup.schedule', { hive_id: A.id, script, start_at: t0 + 60 * MIN })).meetup;
    await cl.root.call('clock.advance', { ms: 10 * MIN + 40 * SEC });
    const before = (await cl.ann.call('meetup.get', { meetup_id: meetup.id })).meetup;
    like(before, { state: 'running', step: 1 });
    await closeAll(cl);
    first.proc.kill('SIGKILL');
    await first.exited;

    // The test clock starts again from the real time: what matters is
    // that the stored end times rule.
    const second = await startServer({ dir: first.dir, env, fakeClock: true, args: ['--session-ttl', '365'] });
    servers.push(second);
    try {
      cl = {};
      for (const h of ['mira', 'ann', 'root']) cl[h] = await chatClient(second, tok[h].token);
      const t1 = (await cl.mira.call('ping')).time;
      const m = (await cl.ann.call('meetup.get', { meetup_id: meetup.id })).meetup;
      like(m, { state: 'running', step: 1 });
      const ends = t0 + 10 * MIN + 330 * SEC;
      await cl.root.call('clock.advance', { ms: ends - t1 - SEC });
      like((await cl.ann.call('meetup.get', { meetup_id: meetup.id })).meetup, { state: 'running', step: 1 });
      await cl.root.call('clock.advance', { ms: 2 * SEC });
      like((await cl.ann.call('meetup.get', { meetup_id: meetup.id })).meetup, { state: 'running', step: 2 });

      // The other one's whole time passes while the server is down.
      await closeAll(cl);
      second.proc.kill('SIGKILL');
      await second.exited;
    } catch (e) {
      await stopOk(second).catch(() => {});
      throw e;
    }
    const third = await startServer({ dir: first.dir, env, fakeClock: true, args: ['--session-ttl', '365'] });
    servers.push(third);
    try {
      cl = {};
      for (const h of ['mira', 'ann', 'root']) cl[h] = await chatClient(third, tok[h].token);
      const t2 = (await cl.mira.call('ping')).time;
      await cl.root.call('clock.advance', { ms: t0 + 60 * MIN + 361 * SEC - t2 });
      await waitCount(cl.ann, 'meetup.updated', 1, (d) => d.meetup.id === missed.id && d.meetup.state === 'missed');
      const m = (await cl.ann.call('meetup.get', { meetup_id: missed.id })).meetup;
      like(m, { state: 'missed', step: -1 });
      assert.equal(m.channel_id, undefined, 'never opened');
      await closeAll(cl);
    } finally {
      await stopOk(third);
    }
  });
});
