// Meetups in real browsers, on a server whose clock moves only when the
// test says so: a mentor schedules a short meetup from the form (a
// template's script shows in the editor; a wrong script is refused with
// its errors listed by path), three learners answer going, the mentor
// starts it early, and everyone goes through it: the welcome, a round
// with its turns (only the speaker may post), a breakout in trios and
// back, a poll with its results, the feedback and the end with its
// summary.  Learners see no mentor controls.  Screenshots of the meetups
// page, the schedule form and the live room, light and dark, desktop and
// phone.
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
  title: 'Friday circle',
  description: 'A short meetup to meet each other.',
  steps: [
    { kind: 'announce', title: 'Welcome', text: 'Hello everyone, settle in.', duration_s: 30 },
    { kind: 'round', title: 'Introductions', text: 'Twenty seconds each: who are you?', duration_s: 40, turn_s: 20, order: 'join', speaker_only: true },
    { kind: 'breakout', title: 'Pairs', text: 'Off you go.', duration_s: 60, group_size: 2, prompt: 'Share one thing you learned this week.' },
    { kind: 'poll', title: 'Vote', text: 'A quick poll.', duration_s: 30, question: 'Next topic?', options: ['CSS', 'SQL', 'Git'] },
    { kind: 'feedback', title: 'Feedback', text: 'One question before we go.', duration_s: 30, question: 'Would you recommend this meetup?' },
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

async function person(handle, options) {
  const p = await openAs(browser, server, handle, options);
  contexts.push(p.context);
  p.page.setDefaultTimeout(10000);
  return p;
}

const banner = (page) => page.locator('#meet-room');

test('a mentor and three learners go through a whole short meetup', { timeout: 240000 }, async () => {
  server = await startServer({ fakeClock: true, args: ['--session-ttl', '365'] });
  await makeHive(server, 'Web 2027', { description: 'The web, together' });
  await makeUser(server, 'maya', { displayName: 'Maya Mentor', hives: [['Web 2027', 'mentor']] });
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Web 2027', 'learner']] });
  await makeUser(server, 'leo', { displayName: 'Léo Dubois', hives: [['Web 2027', 'learner']] });
  await makeUser(server, 'lou', { displayName: 'Lou Petit', hives: [['Web 2027', 'learner']] });
  await makeUser(server, 'root', { displayName: 'Root', isAdmin: true });
  const root = await wsAs(server, 'root');
  const advance = (ms) => root.call('clock.advance', { ms });
  const dir = screenshotDir();
  // Each screen four ways: light and dark, desktop and a 360 px phone;
  // and axe-core finds no serious or critical problem in it, either theme.
  const serious = [];
  const shots = async (page, name) => {
    await page.evaluate(axeSource);
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      const found = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
      });
      serious.push(...found.map((x) => `${name} (${scheme}): ${x}`));
    }
    for (const [size, vp] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 360, height: 740 }]]) {
      await page.setViewportSize(vp);
      // On a phone the member list floats over the room: closed for the picture.
      if (size === 'phone' && await page.locator('#side-panel:not([hidden]) .panel-head button').isVisible()) {
        await page.click('#side-panel .panel-head button');
      }
      for (const scheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({ path: path.join(dir, `meetups-${name}-${scheme}-${size}.png`) });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
  };

  const maya = await person('maya');
  const learners = { lea: await person('lea'), leo: await person('leo'), lou: await person('lou') };
  const all = [maya, ...Object.values(learners)];

  // The mentor opens the hive's meetups from the sidebar: none planned.
  const mp = maya.page;
  await mp.click('#meetups-link');
  await mp.locator('#meet-title').waitFor();
  assert.match(await mp.locator('.meet-page').textContent(), /No meetup is planned yet/);

  // The schedule form: a template fills the editor and the title.
  await mp.click('#meet-schedule-open');
  await mp.locator('#meet-source optgroup option').first().waitFor({ state: 'attached' });
  const template = await mp.locator('#meet-source optgroup option').first().getAttribute('value');
  await mp.selectOption('#meet-source', template);
  const prefilled = JSON.parse(await mp.inputValue('#meet-script'));
  assert.ok(prefilled.steps.length > 1, 'the template\'s script is in the editor');
  assert.equal(await mp.inputValue('#meet-title-input'), prefilled.title);

  // A wrong script: the server's errors are listed with their paths.
  const wrong = structuredClone(SCRIPT);
  wrong.steps[0].kind = 'debate';
  wrong.steps[3].options = ['Only one'];
  await mp.fill('#meet-script', JSON.stringify(wrong, null, 2));
  await mp.fill('#meet-title-input', 'Friday circle');
  await mp.click('#meet-submit');
  const errors = mp.locator('#meet-errors');
  await errors.locator('li').first().waitFor();
  const errText = await errors.textContent();
  assert.match(errText, /steps\[0\]\.kind/);
  assert.match(errText, /steps\[3\]\.options/);
  await shots(mp, 'schedule-form');
  // Not JSON at all: said before anything is sent.
  await mp.fill('#meet-script', '{"title": ');
  await mp.click('#meet-submit');
  await errors.getByText('This is not valid JSON.').waitFor();

  // The right script, saved in the library and then scheduled.
  await mp.fill('#meet-script', JSON.stringify(SCRIPT, null, 2));
  await mp.click('#meet-save-script');
  await mp.getByText('“Friday circle” is saved in the hive’s scripts.').waitFor();
  assert.ok(await mp.locator('#meet-source option', { hasText: 'Friday circle' }).count() >= 1);
  // A saved script is picked again, and a spare copy deleted.
  await mp.click('#meet-save-script');
  await mp.waitForFunction(() => document.querySelectorAll('#meet-source option').length > 0 &&
    [...document.querySelectorAll('#meet-source option')].filter((o) => o.textContent === 'Friday circle').length === 2);
  const saved = await mp.locator('#meet-source option', { hasText: 'Friday circle' }).last().getAttribute('value');
  await mp.selectOption('#meet-source', saved);
  assert.equal(JSON.parse(await mp.inputValue('#meet-script')).steps.length, 5);
  await mp.click('#meet-delete-script');
  await mp.getByText('The script is deleted from the hive’s library.').waitFor();
  assert.equal(await mp.locator('#meet-source option', { hasText: 'Friday circle' }).count(), 1);
  await mp.fill('#meet-cap', '10');
  await mp.click('#meet-submit');
  const card = (page) => page.locator('.meet-card', { hasText: 'Friday circle' });
  await card(mp).waitFor();
  assert.equal(await mp.locator('#meet-form').count(), 0, 'the form closes');
  assert.match(await card(mp).textContent(), /10 places/);

  // The learners answer going; everyone sees the counts.
  for (const { page } of Object.values(learners)) {
    await page.click('#meetups-link');
    await card(page).waitFor();
    assert.equal(await page.locator('#meet-schedule-open').count(), 0, 'no schedule button for learners');
    assert.equal(await card(page).locator('.meet-start, .meet-cancel').count(), 0);
  }
  await learners.lea.page.click('.meet-card button[data-answer="maybe"]');
  await learners.lea.page.locator('.meet-card button[data-answer="maybe"][aria-pressed="true"]').waitFor();
  for (const [handle, { page }] of Object.entries(learners)) {
    if (handle === 'lou') {
      // By keyboard: the answer is taken and the focus stays on it.
      await page.focus('.meet-card button[data-answer="going"]');
      await page.keyboard.press('Enter');
    } else {
      await page.click('.meet-card button[data-answer="going"]');
    }
    await page.locator('.meet-card button[data-answer="going"][aria-pressed="true"]').waitFor();
  }
  assert.equal(await learners.lou.page.evaluate(() => document.activeElement?.dataset.answer), 'going');
  const going = mp.locator('.meet-card button[data-answer="going"] .meet-count');
  await mp.waitForFunction(() => document.querySelector('.meet-card button[data-answer="going"] .meet-count')?.textContent === '3');
  assert.equal(await going.textContent(), '3');
  assert.equal(await mp.locator('.meet-card button[data-answer="maybe"] .meet-count').textContent(), '0');
  await shots(learners.lea.page, 'list');

  // Fifteen minutes before the start, those going are reminded.
  const startAt = Date.parse(await card(mp).locator('time').getAttribute('datetime'));
  const serverNow = (await root.call('ping')).time;
  await advance(startAt - 15 * 60 * SEC - serverNow);
  for (const { page } of Object.values(learners)) {
    await page.locator('.toast', { hasText: 'Reminder: “Friday circle” starts in 15 minutes.' }).waitFor();
  }
  assert.equal(await mp.locator('.toast', { hasText: 'Reminder' }).count(), 0, 'the mentor did not say going');

  // The mentor starts it early and lands in its channel.
  await mp.click('.meet-card .meet-start');
  await banner(mp).locator('.meet-step-title', { hasText: 'Welcome' }).waitFor();
  assert.match(await banner(mp).textContent(), /Step 1 of 5/);
  await banner(mp).locator('.meet-countdown').waitFor();
  assert.match(await banner(mp).locator('.meet-countdown').textContent(), /0:(30|29|28) left/);

  // The learners open it from its card and join, in this order.
  for (const handle of ['lea', 'leo', 'lou']) {
    const { page } = learners[handle];
    await page.click('.meet-card .meet-enter');
    await banner(page).locator('.meet-step-title', { hasText: 'Welcome' }).waitFor();
    assert.equal(await banner(page).locator('.meet-controls').count(), 0, 'no controls for learners');
    await page.click('#meet-join');
    await page.locator('#meet-join', { hasText: 'Leave' }).waitFor();
  }
  await banner(mp).getByText('3 here').waitFor();
  await shots(mp, 'room-welcome');

  // The round: Léa speaks first, and only she may post.
  await advance(30 * SEC);
  for (const p of all) await banner(p.page).locator('.meet-step-title', { hasText: 'Introductions' }).waitFor();
  assert.deepEqual(await banner(mp).locator('.meet-order li').allTextContents(), ['Léa Martin', 'Léo Dubois', 'Lou Petit']);
  await banner(learners.lea.page).getByText('Your turn to speak.').waitFor();
  await banner(learners.leo.page).locator('.meet-speaker.is-speaking', { hasText: 'Léa Martin' }).waitFor();
  await banner(learners.leo.page).getByText('Only Léa Martin may post during this turn.').waitFor();
  // Léo's composer says so too, and does not send; Léa posts.
  await learners.leo.page.locator('#composer-mod', { hasText: 'Only Léa Martin may post during this turn of the meetup.' }).waitFor();
  assert.equal(await learners.leo.page.locator('.room-compose .send-btn').isDisabled(), true);
  const box = learners.lea.page.locator('#composer-input');
  await box.fill('I am Léa, I love CSS');
  await box.press('Enter');
  for (const p of all) await p.page.locator('.tl .msg-text', { hasText: 'I am Léa, I love CSS' }).waitFor();
  await shots(learners.leo.page, 'room-round');
  await advance(20 * SEC);
  await banner(learners.leo.page).getByText('Your turn to speak.').waitFor();
  await banner(learners.lea.page).getByText('Only Léo Dubois may post during this turn.').waitFor();
  await advance(20 * SEC);
  await banner(mp).locator('.meet-speaker.is-speaking', { hasText: 'Lou Petit' }).waitFor();

  // The breakout: three people in pairs make one trio.
  await advance(20 * SEC);
  for (const p of Object.values(learners)) {
    await banner(p.page).getByText('Share one thing you learned this week.').waitFor();
    await banner(p.page).locator('#meet-breakout-link').waitFor();
  }
  assert.match(await banner(learners.lea.page).textContent(), /Your group: (Léo Dubois, Lou Petit|Lou Petit, Léo Dubois)/);
  const meetupUrl = learners.lea.page.url();
  await learners.lea.page.click('#meet-breakout-link');
  await banner(learners.lea.page).getByText('Breakout of the meetup Friday circle').waitFor();
  await banner(learners.lea.page).locator('a', { hasText: 'Back to the meetup' }).click();
  assert.equal(learners.lea.page.url(), meetupUrl);

  // The poll, and back together.
  await advance(60 * SEC);
  for (const p of Object.values(learners)) {
    await banner(p.page).locator('.meet-step-title', { hasText: 'Vote' }).waitFor();
    await banner(p.page).getByText('Back together: everyone is in the meetup again.').waitFor();
  }
  // Answering without a choice is said, not sent.
  await learners.lou.page.click('#meet-poll-send');
  await banner(learners.lou.page).getByText('Choose an answer first.').waitFor();
  const picks = { lea: 'SQL', leo: 'SQL', lou: 'Git' };
  for (const [handle, option] of Object.entries(picks)) {
    const { page } = learners[handle];
    await banner(page).getByLabel(option).check();
    await page.click('#meet-poll-send');
    await banner(page).getByText('Your answer is in.').waitFor();
  }
  await shots(learners.lou.page, 'room-poll');

  // The mentor pauses, resumes and gives five more minutes.
  await mp.click('#meet-ctl-pause');
  for (const p of all) await banner(p.page).getByText('The mentor paused the meetup.').waitFor();
  await mp.click('#meet-ctl-resume');
  await banner(mp).locator('#meet-ctl-pause').waitFor();
  await mp.click('#meet-ctl-extend');
  await mp.waitForFunction(() => /^[5-6]:\d\d left$/.test(document.querySelector('#meet-room .meet-countdown')?.textContent || ''));

  // Feedback, with the poll's results.
  await mp.click('#meet-ctl-skip');
  for (const p of all) {
    await banner(p.page).locator('.meet-step-title', { hasText: 'Feedback' }).waitFor();
    await banner(p.page).locator('#meet-results').waitFor();
  }
  const counts = await banner(mp).locator('#meet-results .meet-count').allTextContents();
  assert.deepEqual(counts, ['0', '2', '1']);
  await learners.lea.page.click('#meet-feedback-send');
  await banner(learners.lea.page).getByText('Choose a number from 0 to 10 first.').waitFor();
  for (const [handle, nps] of [['lea', 10], ['leo', 9], ['lou', 3]]) {
    const { page } = learners[handle];
    await page.click(`.meet-nps-btn[data-nps="${nps}"]`);
    assert.equal(await page.getAttribute(`.meet-nps-btn[data-nps="${nps}"]`, 'aria-pressed'), 'true');
    if (handle === 'lea') await page.fill('#meet-comment', 'Lovely');
    await page.click('#meet-feedback-send');
    await banner(page).getByText('Thank you for your feedback.').waitFor();
  }
  await shots(learners.lea.page, 'room-feedback');

  // The end: everyone reads the summary.
  await advance(30 * SEC);
  for (const p of all) {
    await banner(p.page).locator('.meet-ended').waitFor();
    await p.page.locator('.tl .msg-text', { hasText: 'NPS +33' }).waitFor();
  }
  assert.equal(await banner(mp).locator('.meet-controls').count(), 0, 'no controls once over');
  await shots(learners.leo.page, 'room-ended');

  // The meetups page lists it as over.
  await learners.leo.page.click('#meetups-link');
  await learners.leo.page.locator('#meet-past').waitFor();
  await learners.leo.page.locator('.meet-list-past .meet-card', { hasText: 'Friday circle' }).waitFor();

  assert.deepEqual(serious, [], serious.join('\n'));
  for (const p of all) assert.deepEqual(p.problems, [], `${p.page.url()}: ${p.problems.join('\n')}`);
  root.close();
});
