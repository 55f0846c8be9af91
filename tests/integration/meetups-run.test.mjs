// Issue 8, the meetup runner through the real server and the test clock:
// a whole short meetup (announce, a round with turns and speaker_only, a
// breakout, a poll, feedback, the summary), the mentor's controls, a
// server killed in the middle of a meetup and restarted on the same
// database, and a meetup missed while the server was down.
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
    await waitCount(cl.ben, 'meetup.turn', 1, (d) => d.meetup_id === id && d.user_id === uid.ann);
    const no = await refused(cl.ben, 'msg.send', { channel_id: channel, text: 'me first' }, 'forbidden');
    assert.equal(no.error.speaker_id, uid.ann);
    await cl.ann.call('msg.send', { channel_id: channel, text: 'I am Ann' });
    await cl.mira.call('msg.send', { channel_id: channel, text: 'Welcome Ann' });
    await advance(20 * SEC);
    await waitCount(cl.ann, 'meetup.turn', 1, (d) => d.meetup_id === id && d.user_id === uid.ben);
    await cl.ben.call('msg.send', { channel_id: channel, text: 'I am Ben' });
    await refused(cl.ann, 'msg.send', { channel_id: channel, text: 'again' }, 'forbidden');
    // A late joiner speaks last.
    const late = await cl.dan.call('meetup.join', { meetup_id: id });
    assert.equal(late.meetup.step_ends_at - round.data.started_at, 80 * SEC);
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
    assert.equal((await cl.ann.call('meetup.get', { meetup_id: id })).meetup.state, 'ended');

    const texts = (await fullHistory(cl.ann, channel)).map((m) => m.text);
    assert.ok(texts.some((t) => t.startsWith('Step 1 of 5 - Welcome')), texts.join('|'));
    assert.ok(texts.some((t) => t.startsWith('Step 5 of 5 - Feedback')));
    assert.ok(texts.some((t) => t.startsWith('Poll results: Next topic?') && t.includes('SQL: 2')));
    assert.ok(texts.at(-1).includes('has ended') && texts.at(-1).includes('NPS +33'), texts.at(-1));
    assert.ok(texts.includes('I am Ann') && texts.includes('I am Ben') && !texts.includes('me first'));

    // What supervision reads of it.
    const report = await cl.root.call('supervision.report', { hive_id: A.id, from, to: (await now()) + 1 });
    like(report.hives[0], { meetups_held: 1, meetup_attendance: 0.75 });
    assert.ok(Math.abs(report.hives[0].nps - 100 / 3) < 1e-9, `nps ${report.hives[0].nps}`);
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
    r = (await cl.mira.call('meetup.pause', { meetup_id: id })).meetup;
    like(r, { state: 'paused', paused_left_ms: 30 * SEC });
    await advance(5 * MIN);
    assert.equal((await cl.ann.call('meetup.get', { meetup_id: id })).meetup.step, 0, 'a paused meetup waits');
    await refused(cl.mira, 'meetup.pause', { meetup_id: id }, 'invalid_param');
    r = (await cl.mira.call('meetup.resume', { meetup_id: id })).meetup;
    like(r, { state: 'running', step: 0, step_ends_at: t0 + 5 * MIN + 30 * SEC });
    r = (await cl.mira.call('meetup.extend', { meetup_id: id, seconds: 60 })).meetup;
    assert.equal(r.step_ends_at, t0 + 5 * MIN + 90 * SEC);
    await advance(80 * SEC);
    assert.equal((await cl.ann.call('meetup.get', { meetup_id: id })).meetup.step, 0);
    r = (await cl.mira.call('meetup.skip', { meetup_id: id })).meetup;
    like(r, { state: 'running', step: 1 });
    r = (await cl.root.call('meetup.end', { meetup_id: id })).meetup;
    like(r, { state: 'ended' });
    await refused(cl.mira, 'meetup.end', { meetup_id: id }, 'invalid_param');
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
