// Scheduled messages and reminders in a real browser, on a server whose
// clock moves only when the test says so.  A learner asks to be reminded
// of a message in 20 minutes (and cancels another reminder); the clock
// moves on and the reminder's notice appears, its link jumps to the
// message.  She schedules a message from the composer (a past time and a
// time too far ahead are refused beside the fields), finds it listed with
// its time in her zone, moves it an hour later; the clock passes the old
// time (nothing is posted) and then the new one (it is posted in the
// channel and leaves the list).  One whose time comes while she is muted
// is not posted and a notice says why.  A weekly one is cancelled after
// a confirmation.  The page keeps its address over a reload; screenshots
// light and dark, desktop and phone; axe-core finds nothing serious; the
// page logs no error and breaks no CSP rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { startServer } from '../lib/server.mjs';
import {
  launchBrowser, screenshotDir, makeUser, makeHive, openAs, wsAs,
} from '../lib/browser.mjs';

const MIN = 60 * 1000;
const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

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

const msgRow = (page, text) => page.locator('.tl .msg', {
  has: page.locator('.msg-text', { hasText: text }),
});

// "YYYY-MM-DD" and "HH:MM" of an instant in the page's time zone.
function localInputs(page, ms) {
  return page.evaluate((x) => {
    const d = new Date(x);
    const p = (n) => String(n).padStart(2, '0');
    return { date: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`, time: `${p(d.getHours())}:${p(d.getMinutes())}` };
  }, ms);
}

async function waitFor(what, fn, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('scheduling messages and reminders from the page', { timeout: 180000 }, async () => {
  server = await startServer({ fakeClock: true, args: ['--session-ttl', '365'] });
  await makeHive(server, 'Web 2027', { description: 'The web, together' });
  await makeUser(server, 'maya', { displayName: 'Maya Mentor', hives: [['Web 2027', 'mentor']] });
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Web 2027', 'learner']] });
  await makeUser(server, 'root', { displayName: 'Root', isAdmin: true });
  const root = await wsAs(server, 'root');
  const advance = async (ms) => (await root.call('clock.advance', { ms })).time;
  const maya = await wsAs(server, 'maya');
  const leaWs = await wsAs(server, 'lea');
  const general = (await maya.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'general');
  const dir = screenshotDir();
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
      for (const scheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({ path: path.join(dir, `scheduled-${name}-${scheme}-${size}.png`) });
      }
      // Nothing wider than a phone's screen.
      if (size === 'phone') {
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(wide <= 360, `${name}: the page is ${wide} px wide on a phone`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
  };

  const lea = await openAs(browser, server, 'lea');
  contexts.push(lea.context);
  const lp = lea.page;
  lp.setDefaultTimeout(10000);
  await lp.goto(`${server.url}/#/c/${general.id}`);
  await lp.locator('#room-title', { hasText: 'general' }).waitFor();

  // -- Reminders --------------------------------------------------------------
  await maya.call('msg.send', { channel_id: general.id, text: 'Read chapter 3 before Friday', nonce: 'm-1' });
  await maya.call('msg.send', { channel_id: general.id, text: 'Bring a laptop on Monday', nonce: 'm-2' });
  const remindOf = async (text, choice) => {
    const row = msgRow(lp, text);
    await row.waitFor();
    await row.hover({ position: { x: 6, y: 6 } });
    await row.locator('.msg-actions button[aria-label="More actions"]').click();
    const menu = lp.locator('#mod-menu');
    await menu.locator('[role="menuitem"]', { hasText: 'Remind me…' }).click();
    const items = menu.locator('[role="menuitem"]', { hasText: choice });
    await items.waitFor();
    assert.deepEqual(await menu.locator('[role="menuitem"]').allTextContents(),
      ['In 20 minutes', 'In 1 hour', 'In 3 hours', 'Tomorrow at 09:00', 'Next week']);
    await items.click();
    await lp.locator('.toast', { hasText: 'Reminder set for' }).last().waitFor();
  };
  await remindOf('Read chapter 3', 'In 20 minutes');
  await remindOf('Bring a laptop', 'In 1 hour');
  const reminders = (await leaWs.call('remind.list', {})).reminders;
  assert.equal(reminders.length, 2);

  // The list, reached from the user menu.
  await lp.click('#user-btn');
  await lp.click('#scheduled-link');
  await lp.locator('#sched-title').waitFor();
  assert.equal(new URL(lp.url()).hash, '#/scheduled');
  const remindList = lp.locator('#remind-list');
  await remindList.locator('.sched-card').nth(1).waitFor();
  assert.match(await remindList.locator('.sched-card').first().textContent(), /Read chapter 3 before Friday/);
  await shots(lp, 'list-reminders');
  assert.match(await lp.locator('#sched-list, .sched-page .panel-note').first().textContent(), /No message is scheduled/);

  // Cancelling the second one asks first; "keep it" keeps it.
  const second = remindList.locator('.sched-card', { hasText: 'Bring a laptop' });
  await second.locator('.remind-cancel').click();
  await second.getByRole('button', { name: 'Keep it' }).click();
  await second.locator('.remind-cancel').click();
  await second.getByRole('button', { name: 'Yes, cancel it' }).click();
  await lp.locator('.toast', { hasText: 'The reminder is cancelled.' }).waitFor();
  await waitFor('one reminder listed', async () => (await remindList.locator('.sched-card').count()) === 1);
  assert.deepEqual((await leaWs.call('remind.list', {})).reminders.map((r) => r.id), [reminders[0].id]);

  // Not yet due: nothing.  Then past it: a notice that stays, with a
  // link to the message.
  await advance(10 * MIN);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await lp.locator('.toast-remind').count(), 0, 'no reminder before its time');
  await advance(15 * MIN);
  const notice = lp.locator('.toast-remind');
  await notice.waitFor();
  assert.match(await notice.textContent(), /Reminder, in #general: “Read chapter 3 before Friday”/);
  await shots(lp, 'reminder-notice');
  await lp.locator('#remind-list').waitFor({ state: 'detached' });
  assert.match(await lp.locator('.sched-page').textContent(), /No reminder to come/);
  await notice.getByRole('button', { name: 'Show the message' }).click();
  await lp.locator('#room-title', { hasText: 'general' }).waitFor();
  await lp.locator('.tl .msg.msg-highlight', { hasText: 'Read chapter 3 before Friday' }).waitFor();
  assert.equal(await lp.locator('.toast-remind').count(), 0, 'the notice goes once used');

  // -- Scheduled messages --------------------------------------------------------
  const box = lp.locator('#composer-input');
  await box.fill('Stand-up notes are due today');
  await lp.click('#composer-schedule');
  const dialog = lp.locator('#sched-dialog[open]');
  await dialog.waitFor();
  assert.equal(await dialog.locator('textarea[name=text]').inputValue(), 'Stand-up notes are due today');
  assert.equal(await dialog.locator('input[name=time]').inputValue(), '09:00', 'tomorrow at 09:00 by default');
  const tomorrow = await dialog.locator('input[name=date]').inputValue();
  // A time that has passed is refused beside the fields.
  const serverNow = await advance(1);
  const yesterday = await localInputs(lp, serverNow - 24 * 60 * MIN);
  await dialog.locator('input[name=date]').fill(yesterday.date);
  await dialog.locator('button[type=submit]').click();
  await dialog.locator('.field-error', { hasText: 'This time has passed' }).waitFor();
  assert.equal(await dialog.locator('input[name=date]').getAttribute('aria-invalid'), 'true');
  // Two years ahead: the server refuses it, said beside the fields too.
  const far = await localInputs(lp, serverNow + 2 * 366 * 24 * 60 * MIN);
  await dialog.locator('input[name=date]').fill(far.date);
  await dialog.locator('button[type=submit]').click();
  await dialog.locator('.field-error', { hasText: 'at most a year ahead' }).waitFor();
  assert.equal((await leaWs.call('schedule.list', {})).scheduled.length, 0);
  await dialog.locator('input[name=date]').fill(tomorrow);
  await shots(lp, 'dialog');
  await dialog.locator('button[type=submit]').click();
  await lp.locator('.toast', { hasText: 'Scheduled for' }).waitFor();
  await dialog.waitFor({ state: 'detached' }).catch(() => {});
  assert.equal(await lp.locator('#sched-dialog[open]').count(), 0, 'the dialog closes');
  assert.equal(await box.inputValue(), '', 'the composer is emptied');
  let [s] = (await leaWs.call('schedule.list', {})).scheduled;
  assert.equal(s.text, 'Stand-up notes are due today');
  assert.equal(s.repeat, 'none');
  assert.deepEqual(await localInputs(lp, s.at), { date: tomorrow, time: '09:00' });

  // Listed, with its channel and time; the page survives a reload.
  await lp.locator('.toast').getByRole('button', { name: 'See your scheduled messages' }).click();
  const list = lp.locator('#sched-list');
  const card = list.locator('.sched-card', { hasText: 'Stand-up notes are due today' });
  await card.waitFor();
  assert.match(await card.textContent(), /#general/);
  assert.equal(await card.locator('time').getAttribute('datetime'), new Date(s.at).toISOString());
  await lp.reload();
  await card.waitFor();
  assert.equal(new URL(lp.url()).hash, '#/scheduled');

  // Moved an hour later, and made longer.
  await card.locator('.sched-edit').click();
  // While edited, the text is in a field: the card is found by its id.
  const editing = list.locator(`.sched-card[data-schedule="${s.id}"]`);
  const edit = editing.locator('form');
  assert.equal(await edit.locator('textarea[name=text]').inputValue(), 'Stand-up notes are due today');
  assert.ok(await edit.locator('textarea[name=text]').evaluate((el) => el === document.activeElement),
    'the text field has the focus');
  await edit.locator('textarea[name=text]').fill('Stand-up notes are due today, please');
  await edit.locator('input[name=time]').fill('10:00');
  await shots(lp, 'list-edit');
  await edit.locator('button[type=submit]').click();
  await lp.locator('.toast', { hasText: 'Saved' }).waitFor();
  await editing.locator('form').waitFor({ state: 'detached' });
  const oldAt = s.at;
  [s] = (await leaWs.call('schedule.list', {})).scheduled;
  assert.equal(s.at, oldAt + 60 * MIN);
  assert.equal(s.text, 'Stand-up notes are due today, please');
  await list.locator('time', { hasText: '10:00' }).waitFor();

  // Past the old time: nothing yet.  Past the new one: posted, and gone
  // from the list.
  let now = await advance(1);
  now = await advance(oldAt + 30 * MIN - now);
  const history = async () => (await leaWs.call('msg.history', { channel_id: general.id, limit: 20 })).messages
    .map((m) => m.text);
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(!(await history()).some((x) => x.startsWith('Stand-up notes')), 'not posted at the old time');
  await advance(s.at + MIN - now);
  await lp.locator('.sched-page .panel-note', { hasText: 'No message is scheduled' }).waitFor();
  assert.ok((await history()).includes('Stand-up notes are due today, please'));
  await lp.goto(`${server.url}/#/c/${general.id}`);
  await msgRow(lp, 'Stand-up notes are due today, please').waitFor();

  // Refused when its time comes (she was muted in between): not posted,
  // and a notice that stays says why.
  await box.fill('Posted while muted?');
  await lp.click('#composer-schedule');
  await dialog.waitFor();
  await dialog.locator('button[type=submit]').click();
  await dialog.waitFor({ state: 'detached' });
  [s] = (await leaWs.call('schedule.list', {})).scheduled;
  const members = (await maya.call('hive.members', { hive_id: 1 })).members;
  const leaId = members.find((m) => m.handle === 'lea').user_id;
  await maya.call('mod.mute', { hive_id: 1, user_id: leaId, seconds: 3 * 24 * 3600 });
  now = await advance(1);
  await advance(s.at + MIN - now);
  const failed = lp.locator('.toast-bad', { hasText: 'was not posted' });
  await failed.waitFor();
  assert.match(await failed.textContent(), /#general \(“Posted while muted\?”\) was not posted: You are muted/);
  assert.ok(!(await history()).includes('Posted while muted?'));
  await failed.getByRole('button', { name: 'Close' }).click();
  await failed.waitFor({ state: 'detached' });
  await maya.call('mod.unmute', { hive_id: 1, user_id: leaId });

  // A weekly one, cancelled after a confirmation.
  await box.fill('Weekly check-in: how is it going?');
  await lp.click('#composer-schedule');
  await dialog.waitFor();
  await dialog.getByLabel('Repeat every week').check();
  await dialog.locator('button[type=submit]').click();
  await dialog.waitFor({ state: 'detached' });
  [s] = (await leaWs.call('schedule.list', {})).scheduled;
  assert.equal(s.repeat, 'weekly');
  await lp.goto(`${server.url}/#/scheduled`);
  const weekly = list.locator('.sched-card', { hasText: 'Weekly check-in' });
  await weekly.waitFor();
  assert.match(await weekly.textContent(), /every week/);
  await weekly.locator('.sched-cancel').click();
  await weekly.getByRole('button', { name: 'Yes, cancel it' }).click();
  await lp.locator('.sched-page .panel-note', { hasText: 'No message is scheduled' }).waitFor();
  assert.equal((await leaWs.call('schedule.list', {})).scheduled.length, 0);
  await shots(lp, 'list-empty');

  assert.deepEqual(serious, [], serious.join('\n'));
  assert.deepEqual(lea.problems, [], lea.problems.join('\n'));
  for (const c of [root, maya, leaWs]) c.close();
});
