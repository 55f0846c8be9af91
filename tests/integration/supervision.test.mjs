// Supervision (issue 7, item 6): the admins' report on each hive and each
// mentor over a period, through the protocol (supervision.report) and the
// command line (ruche admin report).  The server runs on the test clock,
// so that "a question left a day without an answer" and "a report open
// for an hour" are exact.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, runRuche } from '../lib/server.mjs';
import { firstAdmin } from '../lib/api.mjs';
import { channelByName, chatClient, loginAll, makeHive, refused } from '../lib/chat-setup.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

describe('supervision', () => {
  let server;
  let admin;
  let comets;
  let nebula;
  let from;
  let to;
  const c = {};
  const sent = { comets: 0, nebula: 0, mira: 0 };

  async function say(who, channel, text, extra = {}) {
    const r = await c[who].call('msg.send', { channel_id: channel.id, text, ...extra });
    sent[channel.hive] += 1;
    if (who === 'mira') sent.mira += 1;
    return r.message;
  }

  before(async () => {
    server = await startServer({ fakeClock: true, env: cleanEnv() });
    admin = await firstAdmin(server);
    comets = await makeHive(server, 'Comets', { mentors: ['mira'], learners: ['lea', 'luc', 'lou', 'lin'] });
    nebula = await makeHive(server, 'Nebula', { mentors: ['max'], learners: ['nia'] });
    const tokens = await loginAll(server, ['mira', 'lea', 'luc', 'lou', 'max', 'nia']);
    for (const h of Object.keys(tokens)) c[h] = await chatClient(server, tokens[h].token);
    c.ids = Object.fromEntries(Object.entries(tokens).map(([h, t]) => [h, t.user.id]));

    const now = Date.now(); // the test clock started at the real time
    from = now - DAY;
    to = now + 3 * DAY;

    const help = { ...(await channelByName(c.lea, comets.id, 'help')), hive: 'comets' };
    const general = { ...(await channelByName(c.lea, comets.id, 'general')), hive: 'comets' };
    const nGeneral = { ...(await channelByName(c.nia, nebula.id, 'general')), hive: 'nebula' };

    // Four questions in help: one answered by the mentor in its thread,
    // one by another learner quoting it, one never, and one asked after
    // the day went by (not yet a day old when the report is read).
    const q1 = await say('lea', help, 'How do I run the tests?');
    await say('mira', help, 'make test, from the top folder', { thread_id: q1.id });
    await say('luc', help, 'Why does my build fail?');
    const q3 = await say('lou', help, 'Where are the slides?');
    await say('lea', help, 'In the meetups channel', { reply_to: q3.id });
    await say('mira', general, 'Welcome everyone');
    const rude = await say('lea', general, 'That was a silly question');
    // lin posts nothing: a learner, but not an active one.

    // A report, resolved an hour later; a mute: two human actions at least.
    const { report } = await c.luc.call('report.create', { message_id: rude.id, reason: 'unkind' });
    await admin.ws.call('clock.advance', { ms: HOUR });
    await c.mira.call('report.resolve', { report_id: report.id, outcome: 'dismissed' });
    await c.mira.call('mod.mute', { hive_id: comets.id, user_id: c.ids.luc, seconds: 600, reason: 'cool down' });

    await admin.ws.call('clock.advance', { ms: DAY });
    await say('lou', help, 'And the recording?');
    await say('nia', nGeneral, 'Hello Nebula');
    await say('nia', nGeneral, 'Anyone here?');
  });

  after(async () => {
    for (const x of [admin?.ws, c.mira, c.lea, c.luc, c.lou, c.max, c.nia]) if (x && !x.closeInfo) await x.close();
    await stopOk(server);
  });

  const report = (params) => admin.ws.call('supervision.report', { from, to, ...params });

  test('per hive: participation, help questions, reports, moderation, activity per day', async () => {
    const r = await report();
    assert.equal(r.from, from);
    assert.equal(r.to, to);
    const h = r.hives.find((x) => x.hive_id === comets.id);
    assert.ok(h, 'every hive is in the report');
    assert.equal(h.name, 'Comets');
    assert.equal(h.learners, 4);
    assert.equal(h.active_learners, 3, 'lea, luc and lou posted; lin did not');
    assert.equal(h.messages, sent.comets);
    assert.equal(h.help_questions, 4);
    assert.equal(h.help_unanswered, 1, "luc's question waited a day; the last one is not a day old");
    assert.equal(h.reports_opened, 1);
    assert.equal(h.reports_resolved, 1);
    assert.equal(h.resolve_median_ms, HOUR);
    // What the audit log holds for the hive, by people and by the guard.
    const { entries } = await c.mira.call('audit.list', { hive_id: comets.id, limit: 500 });
    const human = entries.filter((e) => e.actor_id).length;
    assert.ok(human >= 2, `the report's resolution and the mute are audited: ${JSON.stringify(entries)}`);
    assert.equal(h.mod_actions, human);
    assert.equal(h.auto_actions, entries.length - human);
    assert.equal(h.meetups_held, 0);
    assert.equal(h.meetup_attendance, null);
    assert.equal(h.meetup_no_shows, 0);
    assert.equal(h.meetup_no_show_rate, null);
    assert.equal(h.nps, null);
    // One entry per UTC day of the period, zero-filled, adding up.
    const firstDay = from - (from % DAY);
    assert.equal(h.activity.length, Math.ceil((to - firstDay) / DAY));
    h.activity.forEach((d, i) => assert.equal(d.day, firstDay + i * DAY));
    assert.equal(h.activity.reduce((n, d) => n + d.messages, 0), sent.comets);
    assert.ok(h.activity.filter((d) => d.messages > 0).length >= 1);

    const n = r.hives.find((x) => x.hive_id === nebula.id);
    assert.equal(n.messages, 2);
    assert.equal(n.active_learners, 1);
    assert.equal(n.help_questions, 0);
    assert.equal(n.reports_opened, 0);
    assert.equal(n.resolve_median_ms, null);
  });

  test('per mentor: their messages, help answers, reports and actions in their hives', async () => {
    const r = await report();
    const mira = r.mentors.find((m) => m.user_id === c.ids.mira);
    assert.deepEqual(mira.hive_ids, [comets.id]);
    assert.equal(mira.messages, sent.mira);
    assert.equal(mira.help_answers, 1);
    assert.equal(mira.reports_resolved, 1);
    assert.equal(mira.resolve_median_ms, HOUR);
    assert.equal(mira.mod_actions, r.hives.find((x) => x.hive_id === comets.id).mod_actions);
    const max = r.mentors.find((m) => m.user_id === c.ids.max);
    assert.deepEqual(
      { ...max, display_name: undefined },
      { user_id: c.ids.max, display_name: undefined, hive_ids: [nebula.id], messages: 0, help_answers: 0,
        reports_resolved: 0, resolve_median_ms: null, mod_actions: 0, meetups_led: 0, meetup_attendance: null,
        meetup_no_shows: 0, meetup_no_show_rate: null, nps: null },
    );
  });

  test('one hive: only it and its mentors; a period before everything: zeros', async () => {
    const r = await report({ hive_id: nebula.id });
    assert.deepEqual(r.hives.map((h) => h.hive_id), [nebula.id]);
    assert.deepEqual(r.mentors.map((m) => m.user_id), [c.ids.max]);
    const old = await admin.ws.call('supervision.report', { from: from - 10 * DAY, to: from - 9 * DAY });
    const h = old.hives.find((x) => x.hive_id === comets.id);
    assert.equal(h.messages, 0);
    assert.equal(h.help_questions, 0);
    assert.equal(h.reports_opened, 0);
    // Every day the period touches: two, as it starts within a day.
    assert.deepEqual(h.activity.map((d) => d.messages), from % DAY ? [0, 0] : [0]);
  });

  test('refusals: not an admin, an empty or reversed or too long period, no such hive', async () => {
    await refused(c.mira, 'supervision.report', { from, to }, 'forbidden');
    await refused(c.lea, 'supervision.report', { from, to }, 'forbidden');
    await refused(admin.ws, 'supervision.report', { from: to, to: from }, 'invalid_param');
    await refused(admin.ws, 'supervision.report', { from, to: from }, 'invalid_param');
    await refused(admin.ws, 'supervision.report', { from, to: from + 367 * DAY }, 'invalid_param');
    await refused(admin.ws, 'supervision.report', { from, to, hive_id: 424242 }, 'not_found');
    await refused(admin.ws, 'supervision.report', { to }, 'invalid_param');
  });

  test('ruche admin report: the same figures, as lines or JSON', async () => {
    // The command reads the real clock; the test clock went a day and an
    // hour ahead, so ask for the days up to the day after tomorrow.
    const until = new Date(to).toISOString().slice(0, 10);
    const env = { ...cleanEnv(), RUCHE_LOG_LEVEL: 'error' };
    const json = await runRuche(['admin', 'report', '--db', server.dbPath, '--until', until, '--days', '6',
      '--json'], { env });
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout);
    const h = doc.hives.find((x) => x.hive_id === comets.id);
    assert.equal(h.messages, sent.comets);
    assert.equal(h.help_questions, 4);
    // By the real clock of the command no question is a day old yet.
    assert.equal(h.help_unanswered, 0);
    assert.equal(h.resolve_median_ms, HOUR);

    const text = await runRuche(['admin', 'report', '--db', server.dbPath, '--until', until, '--days', '6',
      '--hive', 'Comets'], { env });
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trim().split('\n').map((l) => l.split('\t'));
    const hive = lines.find((l) => l[0] === 'hive');
    assert.deepEqual(hive.slice(0, 3), ['hive', String(comets.id), 'Comets']);
    assert.equal(hive[3], '4'); // learners
    assert.equal(hive[4], '3'); // active
    assert.equal(hive[5], String(sent.comets));
    assert.equal(hive[10], '3600'); // median time to resolve, in seconds
    assert.deepEqual(hive.slice(13), ['0', '-', '-', '0']); // meetups, attendance, NPS, no-shows
    const mentor = lines.find((l) => l[0] === 'mentor');
    assert.deepEqual(mentor.slice(0, 4), ['mentor', String(c.ids.mira), 'mira', String(comets.id)]);
    // Led, attendance, no-show rate, NPS: no meetup yet.
    assert.deepEqual(mentor.slice(9), ['0', '-', '-', '-']);
    assert.equal(lines.length, 2);

    const bad = await runRuche(['admin', 'report', '--db', server.dbPath, '--days', '400'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--days/);
    const missing = await runRuche(['admin', 'report', '--db', server.dbPath, '--hive', 'Nowhere'], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /\(not_found\)$/m);
  });
});
