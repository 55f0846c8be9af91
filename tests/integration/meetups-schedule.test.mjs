// Issue 8, scheduling meetups through the real server: the templates,
// each hive's library of scripts (validated, errors with their paths),
// scheduling from a template, a library script or a script's text,
// RSVPs with a cap, cancelling, and the reminders a day and 15 minutes
// before the start, driven by the test clock.
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

const SCRIPT = {
  title: 'Tuesday check-in',
  steps: [
    { kind: 'announce', title: 'Welcome', text: 'Hello everyone!', duration_s: 30 },
    { kind: 'open', title: 'News', text: 'What is new this week?', duration_s: 300 },
  ],
};

describe('scheduling meetups', { timeout: 120000 }, () => {
  let server;
  let A; // mira (mentor); ann, ben, cat (learners)
  let B; // olga (mentor)
  const cl = {};
  const uid = {};
  const tokens = {};
  const now = async () => (await cl.mira.call('ping')).time;

  before(async () => {
    server = await startServer({ env: cleanEnv(), fakeClock: true, args: ['--session-ttl', '365'] });
    [A, B] = await Promise.all([
      makeHive(server, 'Meet A', { mentors: ['mira'], learners: ['ann', 'ben', 'cat'] }),
      makeHive(server, 'Meet B', { mentors: ['olga'] }),
    ]);
    await admin(server, ['create-user', 'root', '--admin', '--password-stdin'], 'correct horse battery staple\n');
    const tok = await loginAll(server, [...A.handles, ...B.handles]);
    tok.root = await login(server.port, 'root');
    for (const h of Object.keys(tok)) {
      cl[h] = await chatClient(server, tok[h].token);
      uid[h] = tok[h].user.id;
      tokens[h] = tok[h].token;
    }
  });

  after(async () => {
    for (const c of Object.values(cl)) {
      if (!c.closeInfo) {
        c.assertClean();
        await c.close();
      }
    }
    await stopOk(server);
  });

  test('the templates shipped with Ruche are listed with their scripts', async () => {
    const { templates } = await cl.ann.call('template.list');
    const ids = templates.map((t) => t.id);
    for (const id of ['1-2-4-all', 'troika-consulting', 'weekly-check-in', 'retrospective']) assert.ok(ids.includes(id), id);
    for (const t of templates) assert.ok(t.script.steps.length >= 1, `${t.id} has steps`);
  });

  test('the library: scripts validated, with every error and its path', async () => {
    const bad = JSON.stringify({
      title: '',
      steps: [
        { kind: 'debate', title: 'x', text: 'y', duration_s: 60 },
        { kind: 'poll', title: 'Q', text: 'Vote', duration_s: 60, question: 'Which?', options: ['only one'] },
      ],
    });
    const r = await refused(cl.mira, 'script.save', { hive_id: A.id, script: bad }, 'invalid_param');
    const paths = r.error.errors.map((e) => e.path);
    assert.ok(paths.includes('title'), JSON.stringify(r.error.errors));
    assert.ok(paths.includes('steps[0].kind'), JSON.stringify(r.error.errors));
    assert.ok(paths.includes('steps[1].options'), JSON.stringify(r.error.errors));
    assert.match(r.error.message, /^invalid script: \d+ problems: /);
    assert.match(r.error.message, /steps\[0\]\.kind: unknown kind "debate"/);
    await refused(cl.mira, 'script.save', { hive_id: A.id, script: '{"title": "x", "title": "y"' }, 'invalid_param');

    const { script } = await cl.mira.call('script.save', { hive_id: A.id, script: JSON.stringify(SCRIPT) });
    like(script, { hive_id: A.id, title: 'Tuesday check-in', created_by: uid.mira });
    assert.equal(script.script.description, '', 'stored normalised: defaults filled in');
    const renamed = { ...SCRIPT, title: 'Wednesday check-in' };
    const upd = await cl.mira.call('script.save', { hive_id: A.id, script_id: script.id, script: JSON.stringify(renamed) });
    like(upd.script, { id: script.id, title: 'Wednesday check-in' });
    const { scripts } = await cl.mira.call('script.list', { hive_id: A.id });
    assert.deepEqual(scripts.map((s) => s.title), ['Wednesday check-in']);

    // Learners do not keep the library; another hive's mentor does not see it.
    await refused(cl.ann, 'script.list', { hive_id: A.id }, 'forbidden');
    await refused(cl.ann, 'script.save', { hive_id: A.id, script: JSON.stringify(SCRIPT) }, 'forbidden');
    await refused(cl.olga, 'script.list', { hive_id: A.id }, 'not_found');
    await refused(cl.olga, 'script.save', { hive_id: B.id, script_id: script.id, script: JSON.stringify(SCRIPT) }, 'not_found');
    await refused(cl.olga, 'script.delete', { hive_id: B.id, script_id: script.id }, 'not_found');
    await refused(cl.olga, 'meetup.schedule', { hive_id: B.id, script_id: script.id, start_at: (await now()) + DAY }, 'not_found');

    // A meetup keeps its copy when the library script goes.
    const { meetup } = await cl.mira.call('meetup.schedule', { hive_id: A.id, script_id: script.id, start_at: (await now()) + 3 * DAY });
    await cl.mira.call('script.delete', { hive_id: A.id, script_id: script.id });
    assert.deepEqual((await cl.mira.call('script.list', { hive_id: A.id })).scripts, []);
    await refused(cl.mira, 'script.delete', { hive_id: A.id, script_id: script.id }, 'not_found');
    const got = (await cl.ann.call('meetup.get', { meetup_id: meetup.id })).meetup;
    assert.equal(got.script.title, 'Wednesday check-in');
    await cl.mira.call('meetup.cancel', { meetup_id: meetup.id });
  });

  test('scheduling: from a template or a text; refusals change nothing', async () => {
    const t0 = await now();
    await refused(cl.ann, 'meetup.schedule', { hive_id: A.id, template_id: 'weekly-check-in', start_at: t0 + DAY }, 'forbidden');
    await refused(cl.olga, 'meetup.schedule', { hive_id: A.id, template_id: 'weekly-check-in', start_at: t0 + DAY }, 'not_found');
    await refused(cl.mira, 'meetup.schedule', { hive_id: A.id, template_id: 'no-such-template', start_at: t0 + DAY }, 'not_found');
    let r = await refused(cl.mira, 'meetup.schedule', { hive_id: A.id, template_id: 'weekly-check-in', start_at: t0 - MIN }, 'invalid_param');
    assert.match(r.error.message, /future/);
    r = await refused(cl.mira, 'meetup.schedule', { hive_id: A.id, start_at: t0 + DAY }, 'invalid_param');
    assert.match(r.error.message, /exactly one/);
    await refused(cl.mira, 'meetup.schedule', {
      hive_id: A.id, template_id: 'weekly-check-in', script: JSON.stringify(SCRIPT), start_at: t0 + DAY,
    }, 'invalid_param');
    await refused(cl.mira, 'meetup.schedule', {
      hive_id: A.id, template_id: 'weekly-check-in', start_at: t0 + DAY, recurrence: 'daily',
    }, 'invalid_param');
    r = await refused(cl.mira, 'meetup.schedule', { hive_id: A.id, script: '{"title": "T", "steps": []}', start_at: t0 + DAY }, 'invalid_param');
    assert.deepEqual(r.error.errors.map((e) => e.path), ['steps']);
    assert.deepEqual((await cl.mira.call('meetup.list', { hive_id: A.id })).meetups, []);

    const later = (await cl.mira.call('meetup.schedule', {
      hive_id: A.id, template_id: 'weekly-check-in', start_at: t0 + 5 * DAY, recurrence: 'weekly',
    })).meetup;
    like(later, { hive_id: A.id, recurrence: 'weekly', cap: 0, state: 'scheduled', step: -1, created_by: uid.mira });
    assert.ok(later.script.steps.length > 1 && later.duration_s > 0);
    const sooner = (await cl.root.call('meetup.schedule', {
      hive_id: A.id, script: JSON.stringify(SCRIPT), start_at: t0 + 4 * DAY, cap: 5,
    })).meetup;
    like(sooner, { title: 'Tuesday check-in', duration_s: 330, cap: 5, rsvps: { going: 0, maybe: 0, no: 0 } });

    // Members hear of it, stored (with a position) for resuming.
    await waitCount(cl.ann, 'meetup.scheduled', 1, (d) => d.meetup.id === sooner.id);
    const ev = received(cl.ann, 'meetup.scheduled', (d) => d.meetup.id === sooner.id)[0];
    assert.ok(ev.pos > 0);
    assert.equal(ev.data.meetup.script, undefined, 'events leave the script out');
    await barrier(cl.olga);
    assert.equal(received(cl.olga, 'meetup.scheduled').length, 0, 'not to other hives');

    const { meetups } = await cl.ann.call('meetup.list', { hive_id: A.id });
    assert.deepEqual(meetups.map((m) => m.id), [sooner.id, later.id], 'by start time');
    await refused(cl.olga, 'meetup.list', { hive_id: A.id }, 'not_found');
    await refused(cl.olga, 'meetup.get', { meetup_id: later.id }, 'not_found');
    for (const m of [later, sooner]) await cl.mira.call('meetup.cancel', { meetup_id: m.id });
  });

  test('RSVPs: counts for everyone, the cap holds', async () => {
    const { meetup } = await cl.mira.call('meetup.schedule', {
      hive_id: A.id, template_id: 'weekly-check-in', start_at: (await now()) + 3 * DAY, cap: 2,
    });
    const id = meetup.id;
    await refused(cl.olga, 'meetup.rsvp', { meetup_id: id, answer: 'going' }, 'not_found');
    await refused(cl.ann, 'meetup.rsvp', { meetup_id: id, answer: 'perhaps' }, 'invalid_param');
    assert.deepEqual(await cl.ann.call('meetup.rsvp', { meetup_id: id, answer: 'going' }),
      { meetup_id: id, answer: 'going', rsvps: { going: 1, maybe: 0, no: 0 } });
    await cl.ben.call('meetup.rsvp', { meetup_id: id, answer: 'going' });
    const full = await refused(cl.cat, 'meetup.rsvp', { meetup_id: id, answer: 'going' }, 'forbidden');
    assert.match(full.error.message, /full/);
    await cl.ann.call('meetup.rsvp', { meetup_id: id, answer: 'going' }); // again: still one seat
    await cl.cat.call('meetup.rsvp', { meetup_id: id, answer: 'maybe' });
    await cl.ann.call('meetup.rsvp', { meetup_id: id, answer: 'no' });
    const last = await cl.cat.call('meetup.rsvp', { meetup_id: id, answer: 'going' });
    assert.deepEqual(last.rsvps, { going: 2, maybe: 0, no: 1 });

    await waitCount(cl.mira, 'meetup.rsvp', 1, (d) => d.meetup_id === id && d.rsvps.going === 2 && d.rsvps.no === 1);
    const mine = (await cl.ann.call('meetup.list', { hive_id: A.id })).meetups.find((m) => m.id === id);
    like(mine, { my_rsvp: 'no', rsvps: { going: 2, maybe: 0, no: 1 } });
    assert.equal((await cl.ben.call('meetup.get', { meetup_id: id })).meetup.my_rsvp, 'going');
    await cl.mira.call('meetup.cancel', { meetup_id: id });
  });

  test('cancelling: only before the start, by the hive\'s mentors', async () => {
    const { meetup } = await cl.mira.call('meetup.schedule', {
      hive_id: A.id, template_id: 'retrospective', start_at: (await now()) + 2 * DAY,
    });
    await cl.ann.call('meetup.rsvp', { meetup_id: meetup.id, answer: 'going' });
    await refused(cl.ann, 'meetup.cancel', { meetup_id: meetup.id }, 'forbidden');
    await refused(cl.olga, 'meetup.cancel', { meetup_id: meetup.id }, 'not_found');
    await cl.mira.call('meetup.cancel', { meetup_id: meetup.id });
    await waitCount(cl.ann, 'meetup.updated', 1, (d) => d.meetup.id === meetup.id && d.meetup.state === 'cancelled');
    assert.equal((await cl.ann.call('meetup.list', { hive_id: A.id })).meetups.length, 0);
    assert.equal((await cl.ann.call('meetup.get', { meetup_id: meetup.id })).meetup.state, 'cancelled');
    await refused(cl.mira, 'meetup.cancel', { meetup_id: meetup.id }, 'invalid_param');
    await refused(cl.ben, 'meetup.rsvp', { meetup_id: meetup.id, answer: 'going' }, 'invalid_param');
  });

  test('reminders a day and 15 minutes before, once each, to those going, offline too', async () => {
    const meetups = await channelByName(cl.mira, A.id, 'meetups');
    const reminders = async () => (await fullHistory(cl.ann, meetups.id)).filter((m) => m.text.startsWith('Reminder:'));
    const before = (await reminders()).length;
    const t0 = await now();
    const start = t0 + 2 * DAY;
    const { meetup } = await cl.mira.call('meetup.schedule', { hive_id: A.id, template_id: 'weekly-check-in', start_at: start });
    // Scheduled 10 minutes ahead: no reminder at all, its time has come.
    const soon = (await cl.mira.call('meetup.schedule', { hive_id: A.id, script: JSON.stringify(SCRIPT), start_at: t0 + 10 * MIN })).meetup;
    await cl.ann.call('meetup.rsvp', { meetup_id: meetup.id, answer: 'going' });
    await cl.ben.call('meetup.rsvp', { meetup_id: meetup.id, answer: 'going' });
    await cl.cat.call('meetup.rsvp', { meetup_id: meetup.id, answer: 'maybe' });
    await cl.ann.call('meetup.rsvp', { meetup_id: soon.id, answer: 'going' });
    const dayOf = (c) => received(c, 'meetup.reminder', (d) => d.meetup_id === meetup.id && d.minutes_before === 1440);
    const soonOf = (c) => received(c, 'meetup.reminder', (d) => d.meetup_id === meetup.id && d.minutes_before === 15);

    await cl.root.call('clock.advance', { ms: DAY - MIN });
    await barrier(cl.ann);
    assert.equal(dayOf(cl.ann).length, 0, 'not before its time');
    assert.equal(received(cl.ann, 'meetup.reminder', (d) => d.meetup_id === soon.id).length, 0, 'none for a meetup scheduled late');

    // Ben is offline when the day's reminder goes out.
    const benSince = (await cl.ben.call('sync', {})).pos;
    await cl.ben.close();
    await cl.root.call('clock.advance', { ms: 2 * MIN });
    await waitCount(cl.ann, 'meetup.reminder', 1, (d) => d.meetup_id === meetup.id);
    like(dayOf(cl.ann)[0].data, { hive_id: A.id, title: meetup.title, start_at: start });
    assert.ok(dayOf(cl.ann)[0].pos > 0, 'stored, for Ann alone');
    cl.ben = await chatClient(server, tokens.ben, benSince);
    const missed = cl.ben.synced.events.filter((e) => e.ev === 'meetup.reminder');
    assert.equal(missed.length, 1, 'Ben gets it on resuming');
    like(missed[0].data, { meetup_id: meetup.id, minutes_before: 1440, start_at: start });
    assert.notEqual(missed[0].pos, dayOf(cl.ann)[0].pos, 'one event each');
    await barrier(cl.cat);
    await barrier(cl.mira);
    assert.equal(received(cl.cat, 'meetup.reminder').length, 0, 'maybe: no event');
    assert.equal(received(cl.mira, 'meetup.reminder').length, 0, 'no answer: no event');
    const catReplay = await cl.cat.call('sync', { since: benSince });
    assert.ok(!catReplay.events.some((e) => e.ev === 'meetup.reminder'), 'nor in a replay');
    let posted = await reminders();
    assert.equal(posted.length, before + 1);
    like(posted.at(-1), { author_id: uid.mira });
    assert.match(posted.at(-1).text, /starts in 24 hours/);

    await cl.root.call('clock.advance', { ms: DAY - 15 * MIN }); // 14 minutes before
    await waitCount(cl.ann, 'meetup.reminder', 1, (d) => d.meetup_id === meetup.id && d.minutes_before === 15);
    posted = await reminders();
    assert.equal(posted.length, before + 2);
    assert.match(posted.at(-1).text, /starts in 15 minutes/);

    await cl.root.call('clock.advance', { ms: 10 * MIN });
    await barrier(cl.ann);
    assert.equal(dayOf(cl.ann).length, 1, 'each reminder once');
    assert.equal(soonOf(cl.ann).length, 1, 'each reminder once');
    assert.equal((await reminders()).length, before + 2);
  });
});
