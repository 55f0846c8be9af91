// Issue 8, scheduled messages and reminders, driven by the test clock:
// a message posted as its author at its time (and a weekly one again a
// week later), the checks of posting applied then (a muted author gets
// schedule.failed and nothing is posted), listing, editing, cancelling,
// reminders of a message, refusals, and both surviving a restart.  The
// events for one user (remind, schedule.failed) are stored for them
// alone: someone offline at that time gets them when they resume.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';
import { login } from '../lib/api.mjs';
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

const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const ARGS = ['--session-ttl', '365'];

async function setup(server) {
  const [A, B] = await Promise.all([
    makeHive(server, 'Sched A', { mentors: ['mira'], learners: ['ann', 'ben'] }),
    makeHive(server, 'Sched B', { mentors: ['olga'] }),
  ]);
  await admin(server, ['create-user', 'root', '--admin', '--password-stdin'], 'correct horse battery staple\n');
  const tok = await loginAll(server, [...A.handles, ...B.handles]);
  tok.root = await login(server.port, 'root');
  const cl = {};
  const uid = {};
  for (const h of Object.keys(tok)) {
    cl[h] = await chatClient(server, tok[h].token);
    uid[h] = tok[h].user.id;
  }
  return { A, B, tok, cl, uid };
}

async function closeAll(cl) {
  for (const c of Object.values(cl)) {
    if (!c.closeInfo) {
      c.assertClean();
      await c.close();
    }
  }
}

const texts = async (c, channelId) => (await fullHistory(c, channelId)).map((m) => m.text);

describe('scheduled messages and reminders', { timeout: 120000 }, () => {
  let server;
  let A;
  let B;
  let cl;
  let uid;
  let tok;
  let general;
  let meetups;
  const now = async () => (await cl.mira.call('ping')).time;
  const advance = async (ms) => {
    await cl.root.call('clock.advance', { ms });
    await barrier(cl.ann);
  };

  before(async () => {
    server = await startServer({ env: cleanEnv(), fakeClock: true, args: ARGS });
    ({ A, B, cl, uid, tok } = await setup(server));
    general = (await channelByName(cl.ann, A.id, 'general')).id;
    meetups = (await channelByName(cl.ann, A.id, 'meetups')).id;
  });

  after(async () => {
    await closeAll(cl);
    await stopOk(server);
  });

  test('a message is posted as its author at its time, then leaves the list', async () => {
    const t0 = await now();
    const { scheduled } = await cl.ann.call('schedule.create', { channel_id: general, text: 'Good morning, hive!', at: t0 + HOUR });
    like(scheduled, { channel_id: general, text: 'Good morning, hive!', at: t0 + HOUR, repeat: 'none' });
    assert.deepEqual((await cl.ann.call('schedule.list')).scheduled.map((s) => s.id), [scheduled.id]);
    // Nobody else sees it.
    assert.deepEqual((await cl.ben.call('schedule.list')).scheduled, []);

    await advance(HOUR - 1000);
    assert.ok(!(await texts(cl.ben, general)).includes('Good morning, hive!'), 'not before its time');
    await advance(1000);
    await waitCount(cl.ben, 'msg.created', 1, (d) => d.message.text === 'Good morning, hive!');
    const posted = received(cl.ben, 'msg.created', (d) => d.message.text === 'Good morning, hive!')[0].data.message;
    assert.equal(posted.author_id, uid.ann);
    assert.deepEqual((await cl.ann.call('schedule.list')).scheduled, []);
    await refused(cl.ann, 'schedule.cancel', { schedule_id: scheduled.id }, 'not_found');
  });

  test('only where the caller may post, in the future, with valid values', async () => {
    const t0 = await now();
    await refused(cl.ann, 'schedule.create', { channel_id: meetups, text: 'News', at: t0 + HOUR }, 'read_only');
    await refused(cl.olga, 'schedule.create', { channel_id: general, text: 'Hi', at: t0 + HOUR }, 'not_found');
    await refused(cl.ann, 'schedule.create', { channel_id: general, text: 'Late', at: t0 - 1 }, 'invalid_param');
    await refused(cl.ann, 'schedule.create', { channel_id: general, text: 'Far', at: t0 + 400 * DAY }, 'invalid_param');
    await refused(cl.ann, 'schedule.create', { channel_id: general, text: 'Often', at: t0 + HOUR, repeat: 'daily' }, 'invalid_param');
    await refused(cl.ann, 'schedule.create', { channel_id: general, text: '   ', at: t0 + HOUR }, 'empty_text');
    // A mentor schedules announcements.
    const { scheduled } = await cl.mira.call('schedule.create', { channel_id: meetups, text: 'Meetup tonight', at: t0 + HOUR });
    await cl.mira.call('schedule.cancel', { schedule_id: scheduled.id });
    assert.deepEqual((await cl.mira.call('schedule.list')).scheduled, []);
  });

  test('edited and cancelled by their author only', async () => {
    const t0 = await now();
    const { scheduled: s } = await cl.ann.call('schedule.create', { channel_id: general, text: 'Draft', at: t0 + HOUR });
    const { scheduled: u } = await cl.ann.call('schedule.update', { schedule_id: s.id, text: 'Final', at: t0 + 2 * HOUR });
    like(u, { id: s.id, text: 'Final', at: t0 + 2 * HOUR, repeat: 'none' });
    await refused(cl.ben, 'schedule.update', { schedule_id: s.id, text: 'Mine now' }, 'not_found');
    await refused(cl.ben, 'schedule.cancel', { schedule_id: s.id }, 'not_found');
    await refused(cl.ann, 'schedule.update', { schedule_id: s.id, at: t0 - 5 }, 'invalid_param');
    const { scheduled: c } = await cl.ann.call('schedule.create', { channel_id: general, text: 'Never', at: t0 + HOUR });
    await cl.ann.call('schedule.cancel', { schedule_id: c.id });
    await advance(2 * HOUR);
    const all = await texts(cl.ben, general);
    assert.ok(all.includes('Final'));
    assert.ok(!all.includes('Draft') && !all.includes('Never'));
  });

  test('a weekly message is posted every week', async () => {
    const t0 = await now();
    const { scheduled: s } = await cl.mira.call('schedule.create', { channel_id: general, text: 'Weekly check-in!', at: t0 + HOUR, repeat: 'weekly' });
    await advance(HOUR);
    await waitCount(cl.ann, 'msg.created', 1, (d) => d.message.text === 'Weekly check-in!');
    like((await cl.mira.call('schedule.list')).scheduled[0], { id: s.id, at: t0 + HOUR + WEEK, repeat: 'weekly' });
    await advance(WEEK);
    await waitCount(cl.ann, 'msg.created', 2, (d) => d.message.text === 'Weekly check-in!');
    await cl.mira.call('schedule.cancel', { schedule_id: s.id });
  });

  test('the rules of posting apply at its time: a muted author is told why', async () => {
    const t0 = await now();
    const { scheduled: s } = await cl.ann.call('schedule.create', { channel_id: general, text: 'While muted', at: t0 + HOUR });
    await cl.mira.call('mod.mute', { hive_id: A.id, user_id: uid.ann, seconds: 3 * 3600 });
    await advance(HOUR);
    await waitCount(cl.ann, 'schedule.failed', 1, (d) => d.schedule_id === s.id);
    like(received(cl.ann, 'schedule.failed', (d) => d.schedule_id === s.id)[0].data,
      { channel_id: general, text: 'While muted', code: 'muted' });
    assert.ok(!(await texts(cl.ben, general)).includes('While muted'));
    assert.deepEqual((await cl.ann.call('schedule.list')).scheduled, []);
    await cl.mira.call('mod.unmute', { hive_id: A.id, user_id: uid.ann });
  });

  test('a reminder brings back a message at its time', async () => {
    const t0 = await now();
    const { message } = await cl.ben.call('msg.send', { channel_id: general, text: 'Read chapter 3 by Friday' });
    const { reminder } = await cl.ann.call('remind.create', { message_id: message.id, at: t0 + DAY });
    // With the message's channel, so that a client can say where it is.
    like(reminder, { message_id: message.id, channel_id: general, at: t0 + DAY });
    assert.deepEqual((await cl.ann.call('remind.list')).reminders.map((r) => [r.id, r.channel_id]),
      [[reminder.id, general]]);
    await refused(cl.olga, 'remind.create', { message_id: message.id, at: t0 + DAY }, 'not_found');
    await refused(cl.ann, 'remind.create', { message_id: message.id, at: t0 }, 'invalid_param');
    await refused(cl.ben, 'remind.cancel', { reminder_id: reminder.id }, 'not_found');
    const { reminder: other } = await cl.ann.call('remind.create', { message_id: message.id, at: t0 + HOUR });
    await cl.ann.call('remind.cancel', { reminder_id: other.id });

    await advance(DAY - 1000);
    assert.equal(received(cl.ann, 'remind').length, 0);
    await advance(1000);
    await waitCount(cl.ann, 'remind', 1);
    const ev = received(cl.ann, 'remind');
    assert.equal(ev.length, 1, 'the cancelled one never fires');
    like(ev[0].data, { reminder_id: reminder.id, at: t0 + DAY });
    like(ev[0].data.message, { id: message.id, text: 'Read chapter 3 by Friday', author_id: uid.ben });
    assert.ok(ev[0].pos > 0, 'stored, with its position');
    assert.equal(received(cl.ben, 'remind').length, 0);
    assert.deepEqual((await cl.ann.call('remind.list')).reminders, []);
  });

  test('someone offline at the time gets their reminder and refusal on resuming', async () => {
    const t0 = await now();
    const { message } = await cl.ben.call('msg.send', { channel_id: general, text: 'Exam on Monday' });
    await cl.ann.call('remind.create', { message_id: message.id, at: t0 + HOUR });
    const { scheduled } = await cl.ann.call('schedule.create', { channel_id: general, text: 'Muted by then', at: t0 + HOUR });
    await cl.mira.call('mod.mute', { hive_id: A.id, user_id: uid.ann, seconds: 3 * 3600 });
    // Ann goes away, knowing where she was.
    const since = (await cl.ann.call('sync', {})).pos;
    await cl.ann.close();
    const benSince = (await cl.ben.call('sync', {})).pos;

    await cl.root.call('clock.advance', { ms: HOUR });
    await barrier(cl.ben);
    assert.equal(received(cl.ben, 'remind').length, 0, 'nobody else gets it');
    // Ben resuming from before does not get Ann's events either.
    const benReplay = await cl.ben.call('sync', { since: benSince });
    assert.ok(!benReplay.events.some((e) => e.ev === 'remind' || e.ev === 'schedule.failed'));

    cl.ann = await chatClient(server, tok.ann.token, since);
    const replay = cl.ann.synced.events;
    const rem = replay.filter((e) => e.ev === 'remind');
    assert.equal(rem.length, 1, 'the reminder missed offline is replayed');
    like(rem[0].data, { at: t0 + HOUR });
    like(rem[0].data.message, { id: message.id, text: 'Exam on Monday' });
    const failed = replay.filter((e) => e.ev === 'schedule.failed');
    assert.equal(failed.length, 1, 'so is the refusal of her scheduled message');
    like(failed[0].data, { schedule_id: scheduled.id, code: 'muted', text: 'Muted by then' });
    assert.ok(rem[0].pos > since && failed[0].pos > since);
    // Resuming from after them replays them no more.
    const again = await cl.ann.call('sync', { since: replay.at(-1).pos });
    assert.ok(!again.events.some((e) => e.ev === 'remind' || e.ev === 'schedule.failed'));
    assert.deepEqual((await cl.ann.call('remind.list')).reminders, []);
    // The message deleted, the stored reminder keeps no copy of its text.
    await cl.ben.call('msg.delete', { message_id: message.id });
    const later = (await cl.ann.call('sync', { since })).events.filter((e) => e.ev === 'remind');
    assert.equal(later.length, 1);
    assert.equal(later[0].data.message.text, '');
    await cl.mira.call('mod.unmute', { hive_id: A.id, user_id: uid.ann });
  });
});

describe('scheduled messages and reminders survive a restart', { timeout: 120000 }, () => {
  const servers = [];
  after(async () => {
    for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
  });

  test('stored, they are posted and fired after the server comes back', async () => {
    const env = cleanEnv();
    const first = await startServer({ env, fakeClock: true, args: ARGS });
    servers.push(first);
    let { A, tok, cl } = await setup(first);
    const general = (await channelByName(cl.ann, A.id, 'general')).id;
    const t0 = (await cl.ann.call('ping')).time;
    const { message } = await cl.ben.call('msg.send', { channel_id: general, text: 'Remember me' });
    await cl.ann.call('schedule.create', { channel_id: general, text: 'From before the restart', at: t0 + 2 * HOUR });
    await cl.ann.call('remind.create', { message_id: message.id, at: t0 + 2 * HOUR });
    await closeAll(cl);
    first.proc.kill('SIGKILL');
    await first.exited;

    const second = await startServer({ dir: first.dir, env, fakeClock: true, args: ARGS });
    servers.push(second);
    try {
      cl = {};
      for (const h of ['ann', 'ben', 'root']) cl[h] = await chatClient(second, tok[h].token);
      assert.equal((await cl.ann.call('schedule.list')).scheduled.length, 1);
      assert.equal((await cl.ann.call('remind.list')).reminders.length, 1);
      const t1 = (await cl.ann.call('ping')).time;
      await cl.root.call('clock.advance', { ms: t0 + 2 * HOUR - t1 });
      await waitCount(cl.ben, 'msg.created', 1, (d) => d.message.text === 'From before the restart');
      await waitCount(cl.ann, 'remind', 1, (d) => d.message.id === message.id);
      assert.deepEqual((await cl.ann.call('schedule.list')).scheduled, []);
      assert.deepEqual((await cl.ann.call('remind.list')).reminders, []);
      await closeAll(cl);
    } finally {
      await stopOk(second);
    }
  });
});
