// Issue 8, each user's iCalendar feed: ics.url makes a secret feed URL
// once, ics.revoke replaces it (the old one then answers 404), and the
// feed, read by a real iCalendar parser (ical.js), lists the meetups of
// the user's hives - times in UTC, the weekly or fortnightly rule of a
// series, cancelled ones marked - with RFC 5545's escaping and folding.
// The secret never shows in the server's output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ICAL from 'ical.js';

import { startServer } from '../lib/server.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';
import { httpGet } from '../lib/http.mjs';
import { chatClient, loginAll, makeHive, refused } from '../lib/chat-setup.mjs';

const MIN = 60 * 1000;
const DAY = 24 * 60 * MIN;
const FEED_RE = /^http:\/\/127\.0\.0\.1:\d+\/ics\/([A-Za-z0-9_-]{43})\.ics$/;

// A title and a description that need every escape, and a description
// long enough (with multi-octet characters) to be folded.
const TITLE = 'Café, cake; and \\ more';
const DESCRIPTION = 'Bring one question.\nThen: pairs; groups, all. ' + 'Échange à plusieurs – '.repeat(8);
const SCRIPT = JSON.stringify({
  title: TITLE,
  description: DESCRIPTION,
  steps: [
    { kind: 'announce', title: 'Welcome', text: 'Hello!', duration_s: 60 },
    { kind: 'open', title: 'Talk', text: 'What is new?', duration_s: 1740 },
  ],
});

function parse(text) {
  const cal = new ICAL.Component(ICAL.parse(text));
  return cal.getAllSubcomponents('vevent').map((v) => ({
    uid: v.getFirstPropertyValue('uid'),
    summary: v.getFirstPropertyValue('summary'),
    description: v.getFirstPropertyValue('description'),
    start: v.getFirstPropertyValue('dtstart'),
    end: v.getFirstPropertyValue('dtend'),
    rrule: v.getFirstPropertyValue('rrule'),
    status: v.getFirstPropertyValue('status'),
  }));
}

describe('the iCalendar feed', { timeout: 120000 }, () => {
  let server;
  let A; // mira (mentor), ann (learner)
  let B; // olga (mentor), bob (learner)
  const cl = {};
  const now = async () => (await cl.mira.call('ping')).time;
  const feedPath = (url) => new URL(url).pathname;

  before(async () => {
    server = await startServer({ env: cleanEnv(), fakeClock: true });
    [A, B] = await Promise.all([
      makeHive(server, 'Ics A', { mentors: ['mira'], learners: ['ann'] }),
      makeHive(server, 'Ics B', { mentors: ['olga'], learners: ['bob'] }),
    ]);
    const tok = await loginAll(server, [...A.handles, ...B.handles]);
    for (const h of Object.keys(tok)) cl[h] = await chatClient(server, tok[h].token);
  });

  after(async () => {
    for (const c of Object.values(cl)) {
      c.assertClean();
      await c.close();
    }
    await stopOk(server);
  });

  test('ics.url gives the URL once; ics.revoke replaces it', async () => {
    const first = await cl.ann.call('ics.url');
    assert.match(first.url, FEED_RE);
    assert.equal(typeof first.created_at, 'number');
    // Only the secret's digest is kept: the URL cannot be shown again.
    const again = await cl.ann.call('ics.url');
    assert.equal(again.url, null);
    assert.equal(again.created_at, first.created_at);

    const ok = await httpGet(server.port, feedPath(first.url));
    assert.equal(ok.status, 200);
    assert.match(ok.headers['content-type'], /^text\/calendar/);

    const next = await cl.ann.call('ics.revoke');
    assert.match(next.url, FEED_RE);
    assert.notEqual(next.url, first.url);
    const old = await httpGet(server.port, feedPath(first.url));
    assert.equal(old.status, 404);
    assert.doesNotMatch(old.body, /BEGIN:VCALENDAR/);
    assert.equal((await httpGet(server.port, feedPath(next.url))).status, 200);

    // Tokens of another shape, or made up, open nothing.
    for (const p of ['/ics/abc.ics', `/ics/${'A'.repeat(43)}.ics`, `/ics/${FEED_RE.exec(next.url)[1]}`]) {
      assert.equal((await httpGet(server.port, p)).status, 404, p);
    }
    // Neither URL ever appears in what the server prints.
    for (const u of [first.url, next.url]) {
      const token = FEED_RE.exec(u)[1];
      assert.ok(!server.stdout.includes(token) && !server.stderr.includes(token), 'token in the logs');
    }
  });

  test('the feed lists the meetups of the user\'s hives, parsed by ical.js', async () => {
    const t0 = await now();
    const start = t0 + 2 * DAY;
    const { meetup: series } = await cl.mira.call('meetup.schedule', {
      hive_id: A.id, script: SCRIPT, start_at: start, recurrence: 'fortnightly',
    });
    const { meetup: weekly } = await cl.mira.call('meetup.schedule', {
      hive_id: A.id, template_id: 'weekly-check-in', start_at: t0 + 3 * DAY, recurrence: 'weekly',
    });
    const { meetup: once } = await cl.mira.call('meetup.schedule', {
      hive_id: A.id, template_id: 'weekly-check-in', start_at: t0 + 4 * DAY,
    });
    await cl.mira.call('meetup.cancel', { meetup_id: once.id });
    const { meetup: other } = await cl.olga.call('meetup.schedule', {
      hive_id: B.id, template_id: 'weekly-check-in', start_at: t0 + DAY,
    });

    const { url } = await cl.ann.call('ics.revoke');
    const res = await httpGet(server.port, feedPath(url));
    assert.equal(res.status, 200);
    // RFC 5545 on the wire: CRLF only, no line over 75 octets.
    assert.ok(res.body.endsWith('\r\n'));
    assert.doesNotMatch(res.body.replace(/\r\n/g, ''), /[\r\n]/);
    const lines = res.raw.toString('latin1').split('\r\n');
    for (const l of lines) assert.ok(l.length <= 75, `line of ${l.length} octets`);
    assert.ok(lines.some((l) => l.startsWith(' ')), 'the long description is folded');

    const events = parse(res.body);
    const byUid = Object.fromEntries(events.map((e) => [e.uid, e]));
    assert.equal(events.length, 3, 'only hive A\'s meetups');
    assert.equal(byUid[`meetup-${other.id}@127.0.0.1`], undefined);

    const s = byUid[`meetup-${series.id}@127.0.0.1`];
    assert.ok(s, 'the fortnightly meetup');
    assert.equal(s.summary, TITLE);
    assert.equal(s.description, DESCRIPTION);
    assert.ok(s.start.isUtc !== false && s.start.zone.tzid === 'UTC');
    assert.equal(s.start.toJSDate().getTime(), Math.floor(start / 1000) * 1000);
    assert.equal(s.end.toJSDate().getTime() - s.start.toJSDate().getTime(), 30 * MIN);
    assert.equal(s.rrule.freq, 'WEEKLY');
    assert.equal(s.rrule.interval, 2);
    assert.equal(s.status, 'CONFIRMED');

    const w = byUid[`meetup-${weekly.id}@127.0.0.1`];
    assert.equal(w.rrule.freq, 'WEEKLY');
    assert.equal(w.rrule.interval, 1);

    const c = byUid[`meetup-${once.id}@127.0.0.1`];
    assert.equal(c.status, 'CANCELLED');
    assert.equal(c.rrule, null);

    // Bob's feed has hive B's meetup only.
    const bob = await cl.bob.call('ics.url');
    const theirs = parse((await httpGet(server.port, feedPath(bob.url))).body);
    assert.deepEqual(theirs.map((e) => e.uid), [`meetup-${other.id}@127.0.0.1`]);
  });

});
