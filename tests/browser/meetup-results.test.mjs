// Meetups in real browsers, the parts that do not rely on having seen
// every event: a learner who opens a meetup in the middle of a round
// (nothing replayed: the page starts from nothing) sees the step, whose
// turn it is and that only the speaker may post; their countdown follows
// a pause, a resume and more time given by the mentor elsewhere; and
// after the meetup the mentor, on a page loaded afresh, finds it among
// the meetups over and reads its results: who came, who said going and
// never came, the poll and the NPS.  Learners get no results button.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { startServer } from '../lib/server.mjs';
import {
  launchBrowser, screenshotDir, makeUser, makeHive, openAs, wsAs,
} from '../lib/browser.mjs';

const SEC = 1000;
const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const SCRIPT = {
  title: 'Tuesday circle',
  steps: [
    { kind: 'announce', title: 'Welcome', text: 'Hello everyone.', duration_s: 30 },
    { kind: 'round', title: 'Introductions', text: 'Twenty seconds each.', duration_s: 40, turn_s: 20, order: 'join', speaker_only: true },
    { kind: 'poll', title: 'Vote', text: 'A quick poll.', duration_s: 30, question: 'Next topic?', options: ['CSS', 'SQL'] },
    { kind: 'feedback', title: 'Feedback', text: 'One question.', duration_s: 30, question: 'Would you recommend it?', comment_prompt: 'One thing to change?' },
  ],
};

let browser;
let server;
const contexts = [];

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.stop();
});

async function person(handle) {
  const p = await openAs(browser, server, handle);
  contexts.push(p.context);
  p.page.setDefaultTimeout(10000);
  return p;
}

const banner = (page) => page.locator('#meet-room');

test('joining in the middle, countdowns after the controls, and the results after', { timeout: 180000 }, async () => {
  server = await startServer({ fakeClock: true, args: ['--session-ttl', '365'] });
  await makeHive(server, 'Data 2027');
  await makeUser(server, 'maya', { displayName: 'Maya Mentor', hives: [['Data 2027', 'mentor']] });
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Data 2027', 'learner']] });
  await makeUser(server, 'leo', { displayName: 'Léo Dubois', hives: [['Data 2027', 'learner']] });
  await makeUser(server, 'lou', { displayName: 'Lou Petit', hives: [['Data 2027', 'learner']] });
  await makeUser(server, 'root', { displayName: 'Root', isAdmin: true });
  const root = await wsAs(server, 'root');
  const ws = { maya: await wsAs(server, 'maya'), lea: await wsAs(server, 'lea'), leo: await wsAs(server, 'leo'), lou: await wsAs(server, 'lou') };
  const advance = (ms) => root.call('clock.advance', { ms });
  const hiveId = (await ws.maya.call('account.me')).hives[0].id;

  // Scheduled, answered going by all three learners, started early.
  const t0 = (await root.call('ping')).time;
  const { meetup } = await ws.maya.call('meetup.schedule', { hive_id: hiveId, script: JSON.stringify(SCRIPT), start_at: t0 + 3600 * SEC });
  for (const h of ['lea', 'leo', 'lou']) await ws[h].call('meetup.rsvp', { meetup_id: meetup.id, answer: 'going' });
  const started = (await ws.maya.call('meetup.start', { meetup_id: meetup.id })).meetup;
  for (const h of ['lea', 'leo']) await ws[h].call('meetup.join', { meetup_id: meetup.id });
  await advance(30 * SEC); // the round: Léa first

  // Léo opens the meetup now, from nothing: the round, Léa's turn, and
  // only she may post.
  const leo = await person('leo');
  await leo.page.goto(`${server.url}/#/c/${started.channel_id}`);
  await banner(leo.page).locator('.meet-step-title', { hasText: 'Introductions' }).waitFor();
  await banner(leo.page).locator('.meet-speaker.is-speaking', { hasText: 'Léa Martin' }).waitFor();
  await banner(leo.page).getByText('Only Léa Martin may post during this turn.').waitFor();
  assert.deepEqual(await banner(leo.page).locator('.meet-order li').allTextContents(), ['Léa Martin', 'Léo Dubois (you)']);
  await banner(leo.page).getByText('2 here').waitFor();
  assert.match(await banner(leo.page).locator('.meet-step .meet-countdown').textContent(), /^0:(40|39|38) left$/);

  // The mentor pauses, resumes and adds five minutes from elsewhere:
  // Léo's countdown follows from meetup.updated alone.
  await ws.maya.call('meetup.pause', { meetup_id: meetup.id });
  await banner(leo.page).getByText('The mentor paused the meetup.').waitFor();
  await advance(60 * SEC);
  await ws.maya.call('meetup.resume', { meetup_id: meetup.id });
  await banner(leo.page).locator('.meet-step .meet-countdown').waitFor();
  await ws.maya.call('meetup.extend', { meetup_id: meetup.id, seconds: 300 });
  await leo.page.waitForFunction(() => /^5:(40|39|38) left$/.test(document.querySelector('#meet-room .meet-step .meet-countdown')?.textContent || ''));
  // The turn's end moved with the pause too: Léa still has about 20 s.
  await leo.page.waitForFunction(() => /^0:(20|19|18) left$/.test(document.querySelector('#meet-room .meet-turn .meet-countdown')?.textContent || ''));

  // The rest over the protocol: a poll, feedback, the end.  Lou never came.
  await ws.maya.call('meetup.skip', { meetup_id: meetup.id });
  await ws.lea.call('meetup.answer', { meetup_id: meetup.id, step: 2, choices: [1] });
  await ws.leo.call('meetup.answer', { meetup_id: meetup.id, step: 2, choices: [1] });
  await ws.maya.call('meetup.skip', { meetup_id: meetup.id });
  await ws.lea.call('meetup.feedback', { meetup_id: meetup.id, nps: 10, comment: 'Lovely round' });
  await ws.leo.call('meetup.feedback', { meetup_id: meetup.id, nps: 8 });
  await ws.maya.call('meetup.end', { meetup_id: meetup.id });
  await banner(leo.page).locator('.meet-ended').waitFor();

  // The mentor, on a page loaded afresh, finds it among the meetups over.
  const maya = await person('maya');
  await maya.page.goto(`${server.url}/#/h/${hiveId}/meetups`);
  const pastCard = maya.page.locator('#meet-list-past .meet-card', { hasText: 'Tuesday circle' });
  await pastCard.waitFor();
  await pastCard.locator('.meet-results-toggle').click();
  const panel = maya.page.locator(`#meet-results-panel-${meetup.id}`);
  await panel.locator('.meet-results-came').waitFor();
  assert.match(await panel.locator('.meet-results-came').textContent(), /2 came; 2 of the 3 who said going \(67 %\)/);
  assert.match(await panel.locator('.meet-results-noshows').textContent(), /Said going but did not come \(1\): Lou Petit/);
  assert.deepEqual(await panel.locator('.meet-results .meet-count').allTextContents(), ['0', '2']);
  assert.match(await panel.locator('.meet-results-nps').textContent(), /NPS \+50 from 2 answers \(average 9\.0/);
  assert.deepEqual(await panel.locator('.meet-results-comments li').allTextContents(), ['Lovely round']);
  assert.equal(await pastCard.locator('.meet-results-toggle').getAttribute('aria-expanded'), 'true');

  // No serious accessibility problem in the results, light or dark.
  await maya.page.evaluate(axeSource);
  for (const scheme of ['light', 'dark']) {
    await maya.page.emulateMedia({ colorScheme: scheme });
    const found = await maya.page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
    });
    assert.deepEqual(found, [], `${scheme}: ${found.join('\n')}`);
    await maya.page.screenshot({ path: path.join(screenshotDir(), `meetup-results-${scheme}-desktop.png`) });
  }

  // A learner sees the meetup over, without the results.
  await leo.page.goto(`${server.url}/#/h/${hiveId}/meetups`);
  await leo.page.locator('#meet-list-past .meet-card', { hasText: 'Tuesday circle' }).waitFor();
  assert.equal(await leo.page.locator('.meet-results-toggle').count(), 0);

  for (const p of [leo, maya]) assert.deepEqual(p.problems, [], `${p.page.url()}: ${p.problems.join('\n')}`);
  for (const c of Object.values(ws)) c.close();
  root.close();
});
