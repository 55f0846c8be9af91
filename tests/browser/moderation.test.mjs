// Moderation and supervision in real browsers: a mentor and two learners
// of one hive, each in their own context.  A learner reports a message;
// the mentor sees the badge and the queue, removes the message with a
// reason (its author reads the reason, the other learner "removed by a
// mentor"), mutes the author (whose composer says so and whose sends are
// refused), pins a message (the other learner's pin list follows), sets a
// blocked word (the learner's message is refused, the text stays), slows
// and locks a channel, and reads it all in the audit log.  Learners see
// no moderation controls.  An admin reads the supervision dashboard.
// Screenshots of each screen, light and dark, desktop and phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import {
  launchBrowser, screenshotDir, makeUser, makeHive, openAs, wsAs, admin,
} from '../lib/browser.mjs';

let browser;
const servers = [];
const contexts = [];

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await Promise.all(servers.map((s) => s.stop()));
});

async function person(server, handle, options) {
  const p = await openAs(browser, server, handle, options);
  contexts.push(p.context);
  p.page.setDefaultTimeout(10000);
  return p;
}

async function hive() {
  const server = await startServer();
  servers.push(server);
  await makeHive(server, 'Rust 2027', { description: 'Systems programming, together' });
  await makeUser(server, 'maya', { displayName: 'Maya Mentor', hives: [['Rust 2027', 'mentor']] });
  await makeUser(server, 'mo', { displayName: 'Mo Mentor', hives: [['Rust 2027', 'mentor']] });
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Rust 2027', 'learner']] });
  await makeUser(server, 'leo', { displayName: 'Léo Dubois', hives: [['Rust 2027', 'learner']] });
  await makeUser(server, 'ada', { displayName: 'Ada Admin', isAdmin: true });
  return server;
}

const msgRow = (page, text) => page.locator('.tl .msg', {
  has: page.locator('.msg-text', { hasText: text }),
});

async function send(page, text) {
  const box = page.locator('#composer-input');
  await box.fill(text);
  await box.press('Enter');
  await msgRow(page, text).waitFor();
}

// Opens the "more" menu of the message showing text; returns the menu.
async function messageMenu(page, text) {
  const row = msgRow(page, text);
  await row.hover({ position: { x: 6, y: 6 } });
  await row.locator('.msg-actions button[aria-label="More actions"]').click();
  const menu = page.locator('#mod-menu');
  await menu.locator('[role="menuitem"]').first().waitFor();
  return menu;
}

async function menuItems(menu) {
  return menu.locator('[role="menuitem"]').allTextContents();
}

test('a mentor handles a report, removes, mutes, pins, guards, and reads the audit log', { timeout: 180000 }, async () => {
  const server = await hive();
  // An admin who is also a learner of the hive: a mentor's actions on
  // them are refused by the server, and the page says why.
  await admin(server, ['add-member', 'Rust 2027', 'ada', '--role', 'learner']);
  const [maya, lea, leo] = await Promise.all([
    person(server, 'maya'), person(server, 'lea'), person(server, 'leo', { colorScheme: 'dark' }),
  ]);
  for (const p of [maya, lea, leo]) await p.page.locator('#room-title', { hasText: 'general' }).waitFor();
  const mo = await wsAs(server, 'mo');
  const general = (await mo.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'general');
  await mo.call('msg.send', { channel_id: general.id, text: 'Mentors meet at noon', nonce: 'mo-1' });
  await send(lea.page, 'Hello all, the quiz is open');
  await send(leo.page, 'You are all hopeless at this');
  for (const p of [maya, lea]) await msgRow(p.page, 'You are all hopeless').waitFor();

  // Learners see no moderation controls: no report queue, and on a
  // message only "remind me" and "report" (only "remind me" on their own).
  assert.equal(await lea.page.locator('#reports-link').isVisible(), false);
  assert.deepEqual(await menuItems(await messageMenu(lea.page, 'You are all hopeless')),
    ['Remind me…', 'Report to the mentors']);
  await lea.page.keyboard.press('Escape');
  assert.deepEqual(await menuItems(await messageMenu(lea.page, 'Hello all')), ['Remind me…']);
  await lea.page.keyboard.press('Escape');
  assert.equal(await lea.page.locator('#side-panel button[aria-label^="Moderate"]').count(), 0);
  // A mentor has nothing against another mentor but pinning.
  assert.deepEqual(await menuItems(await messageMenu(maya.page, 'Mentors meet at noon')),
    ['Remind me…', 'Report to the mentors', 'Pin to the channel']);
  await maya.page.keyboard.press('Escape');
  assert.equal(await maya.page.locator('#side-panel button[aria-label="Moderate Mo Mentor"]').count(), 0);

  // Léa reports Léo's message, with a reason.
  const menu = await messageMenu(lea.page, 'You are all hopeless');
  await menu.locator('[role="menuitem"]', { hasText: 'Report to the mentors' }).click();
  const dialog = lea.page.locator('#mod-dialog[open]');
  await dialog.locator('button[type=submit]').click();
  await dialog.locator('.field-error', { hasText: 'why you report it' }).waitFor();
  await dialog.locator('textarea[name=reason]').fill('Mocking the others');
  await dialog.locator('button[type=submit]').click();
  await dialog.locator('[role=status]', { hasText: 'The mentors will look at it' }).waitFor();
  await dialog.locator('button', { hasText: 'OK' }).click();

  // Maya sees the badge, live, and the queue with the message in context.
  await maya.page.locator('#reports-badge', { hasText: '1' }).waitFor();
  await maya.page.click('#reports-link');
  const queue = maya.page.locator('#report-queue');
  const report = queue.locator('.report').first();
  await report.locator('.report-reason', { hasText: 'Mocking the others' }).waitFor();
  await report.locator('.report-title', { hasText: 'Reported by Léa Martin' }).waitFor();
  await report.locator('.report-msg-target', { hasText: 'You are all hopeless' }).waitFor();
  await report.locator('.report-msg', { hasText: 'Hello all, the quiz is open' }).waitFor();

  // She removes it with a reason: the report is closed as acted on.
  await report.locator('button', { hasText: 'Remove the message' }).click();
  const mdialog = maya.page.locator('#mod-dialog[open]');
  await mdialog.locator('textarea[name=reason]').fill('Please stay kind');
  await mdialog.locator('button[type=submit]').click();
  await maya.page.locator('.panel-note', { hasText: 'No open report' }).waitFor();
  await maya.page.locator('.report-done .tag-actioned').waitFor();

  // The author reads the reason; the other learner only that a mentor
  // removed it; the reporter hears that it was handled.
  await leo.page.locator('.tl .msg-gone', { hasText: 'Removed by a mentor.' }).waitFor();
  await leo.page.locator('.msg-removal-reason', { hasText: 'Reason given to you: Please stay kind' }).waitFor();
  await lea.page.locator('.tl .msg-gone', { hasText: 'Removed by a mentor.' }).waitFor();
  assert.equal(await lea.page.locator('.msg-removal-reason').count(), 0);
  assert.equal(await msgRow(lea.page, 'You are all hopeless').count(), 0);
  await lea.page.locator('.toast', { hasText: 'handled a message you reported' }).waitFor();

  // Maya mutes Léo from the member list.
  await maya.page.goto(`${server.url}/#/c/${general.id}`);
  await maya.page.locator('#room-title', { hasText: 'general' }).waitFor();
  await maya.page.locator('#reports-link').waitFor();
  assert.equal(await maya.page.locator('#reports-badge').count(), 0);
  await maya.page.click('#side-panel button[aria-label="Moderate Léo Dubois"]');
  assert.deepEqual(await menuItems(maya.page.locator('#mod-menu')),
    ['Mute', 'Remove from the hive', 'Ban from the hive']);
  await maya.page.locator('#mod-menu [role="menuitem"]', { hasText: 'Mute' }).click();
  await mdialog.locator('select[name=duration]').selectOption('custom');
  await mdialog.locator('input[name=minutes]').fill('0');
  await mdialog.locator('button[type=submit]').click();
  await mdialog.locator('.field-error', { hasText: 'from 1 to' }).waitFor();
  await mdialog.locator('select[name=duration]').selectOption('3600');
  await mdialog.locator('textarea[name=reason]').fill('Cool down');
  await mdialog.locator('button[type=submit]').click();
  await maya.page.locator('.toast', { hasText: 'Léo Dubois is muted until' }).waitFor();
  await maya.page.locator('#side-panel .member-muted').waitFor();

  // Léo's composer says so and keeps his text; the server refuses too.
  await leo.page.locator('#composer-mod', { hasText: 'You are muted in this hive until' }).waitFor();
  await leo.page.locator('#composer-input').fill('Sorry everyone');
  await leo.page.locator('#composer-input').press('Enter');
  await leo.page.waitForTimeout(300);
  assert.equal(await leo.page.locator('#composer-input').inputValue(), 'Sorry everyone');
  assert.equal(await msgRow(leo.page, 'Sorry everyone').count(), 0);
  const leoWs = await wsAs(server, 'leo');
  await assert.rejects(leoWs.call('msg.send', { channel_id: general.id, text: 'Let me talk', nonce: 'l-1' }),
    (err) => err.code === 'muted');

  // Pins: Léa's panel follows live.
  await lea.page.click('#pins-btn');
  await lea.page.locator('#side-panel .panel-note', { hasText: 'Nothing is pinned' }).waitFor();
  const pinMenu = await messageMenu(maya.page, 'Hello all, the quiz is open');
  await pinMenu.locator('[role="menuitem"]', { hasText: 'Pin to the channel' }).click();
  await lea.page.locator('#pin-list .pin-text', { hasText: 'Hello all, the quiz is open' }).waitFor();
  await lea.page.locator('#pin-list .pin-when', { hasText: 'pinned by Maya Mentor' }).waitFor();
  // Learners cannot unpin.
  assert.equal(await lea.page.locator('#pin-list button', { hasText: 'Unpin' }).count(), 0);

  // The guard: a blocked word.
  await maya.page.goto(`${server.url}/#/admin/h/1/guard`);
  const words = maya.page.locator('#guard-form textarea[name=blocked_words]');
  await words.fill('Darn\n  heck  ');
  await maya.page.locator('#guard-form button[type=submit]').click();
  await maya.page.locator('#guard-form .form-msg', { hasText: 'The guard is saved' }).waitFor();
  assert.equal(await words.inputValue(), 'darn\nheck');
  await lea.page.locator('#composer-input').fill('Darn, this quiz is hard');
  await lea.page.locator('#composer-input').press('Enter');
  await lea.page.locator('.composer-error', { hasText: 'a word this hive does not allow' }).waitFor();
  assert.equal(await lea.page.locator('#composer-input').inputValue(), 'Darn, this quiz is hard');
  assert.equal(await msgRow(lea.page, 'this quiz is hard').count(), 0);
  assert.equal(await lea.page.locator('.msg-failed').count(), 0);

  // Slow mode (in help, where Léa has not written yet) and lock, from
  // the channel's settings.
  const help = (await mo.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'help');
  await maya.page.goto(`${server.url}/#/c/${help.id}`);
  await maya.page.locator('#room-title', { hasText: 'help' }).waitFor();
  await maya.page.click('#channel-settings');
  const settings = maya.page.locator('#channel-dialog[open]');
  await settings.locator('select[name=slow_mode]').selectOption('30');
  await settings.locator('button[type=submit]').click();
  await settings.waitFor({ state: 'detached' });
  await lea.page.locator('#channel-list a', { hasText: 'help' }).click();
  await lea.page.locator('#composer-mod', { hasText: 'one message every 30 s' }).waitFor();
  await send(lea.page, 'One message only');
  await lea.page.locator('#composer-mod', { hasText: 'you can write again in' }).waitFor();
  assert.equal(await lea.page.locator('.room-compose .send-btn').isDisabled(), true);
  await maya.page.goto(`${server.url}/#/c/${general.id}`);
  await maya.page.locator('#room-title', { hasText: 'general' }).waitFor();
  await lea.page.locator('#channel-list a', { hasText: 'general' }).click();
  await maya.page.click('#channel-settings');
  await settings.locator('input[name=locked]').check();
  await settings.locator('button[type=submit]').click();
  await settings.waitFor({ state: 'detached' });
  await lea.page.locator('.composer-readonly', { hasText: 'Mentors locked this channel' }).waitFor();
  assert.equal(await maya.page.locator('#composer-input').isVisible(), true);

  // Unmute from the member menu: Léo's notice goes.
  await maya.page.click('#side-panel button[aria-label="Moderate Léo Dubois"]');
  await maya.page.locator('#mod-menu [role="menuitem"]', { hasText: 'Unmute' }).click();
  await leo.page.locator('#composer-mod').waitFor({ state: 'hidden' });

  // The server refuses a mentor's action on an admin: said in plain words.
  await maya.page.click('#side-panel button[aria-label="Moderate Ada Admin"]');
  await maya.page.locator('#mod-menu [role="menuitem"]', { hasText: 'Remove from the hive' }).click();
  await mdialog.locator('button[type=submit]').click();
  await mdialog.locator('.form-msg', { hasText: 'never on another mentor or an admin' }).waitFor();
  await mdialog.locator('button', { hasText: 'Cancel' }).click();

  // Ban Léo: he leaves the hive; the ban list lifts it.
  await maya.page.click('#side-panel button[aria-label="Moderate Léo Dubois"]');
  await maya.page.locator('#mod-menu [role="menuitem"]', { hasText: 'Ban from the hive' }).click();
  await mdialog.locator('textarea[name=reason]').fill('Repeated mockery');
  await mdialog.locator('button[type=submit]').click();
  await maya.page.locator('#side-panel .member-name', { hasText: 'Léo Dubois' }).waitFor({ state: 'detached' });
  await leo.page.locator('#channel-list a').first().waitFor({ state: 'detached' });
  await maya.page.goto(`${server.url}/#/admin/h/1/people`);
  const bans = maya.page.locator('#ban-list');
  await bans.locator('.row', { hasText: 'Léo Dubois' }).locator('.row-sub', { hasText: 'Repeated mockery' }).waitFor();
  await bans.locator('button[aria-label="Lift the ban of Léo Dubois"]').click();
  await maya.page.locator('.panel-note', { hasText: 'Nobody is banned' }).waitFor();

  // The audit log has it all, filterable, and downloads with the cookie.
  await maya.page.goto(`${server.url}/#/admin/h/1/audit`);
  const table = maya.page.locator('#audit-table');
  await table.waitFor();
  const actions = await table.locator('td.audit-action').allTextContents();
  for (const a of ['Removed a message', 'Handled a report', 'Muted', 'Pinned', 'Changed the guard',
    'Blocked word refused', 'Slow mode', 'Locked a channel', 'Unmuted', 'Banned', 'Ban lifted']) {
    assert.ok(actions.includes(a), `audit has ${a}: ${actions}`);
  }
  await table.locator('tr[data-action="delete_message"] .audit-reason', { hasText: 'Please stay kind' }).waitFor();
  await table.locator('tr[data-action="blocked_word"] .tag', { hasText: 'Automatic' }).waitFor();
  await maya.page.locator('#audit-filters select[name=action]').selectOption('mute');
  await maya.page.locator('#audit-filters button[type=submit]').click();
  await maya.page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('#audit-table td.audit-action')];
    return cells.length === 1 && cells[0].textContent === 'Muted';
  });
  const csvHref = await maya.page.locator('#audit-csv').getAttribute('href');
  assert.match(csvHref, /^\/api\/hives\/1\/audit\?format=csv&action=mute$/);
  const csv = await maya.page.request.get(`${server.url}${csvHref}`);
  assert.equal(csv.status(), 200);
  const text = await csv.text();
  assert.match(text, /^id,created_at,hive_id,actor_id/);
  assert.match(text, /,mute,/);
  assert.doesNotMatch(text, /delete_message/);
  // A learner gets no audit log.
  const refused = await lea.page.request.get(`${server.url}/api/hives/1/audit?format=json`);
  assert.equal(refused.status(), 403);
  await lea.page.goto(`${server.url}/#/admin/h/1/audit`);
  await lea.page.locator('.panel-note[role=alert]', { hasText: 'not allowed' }).waitFor();

  mo.close();
  leoWs.close();
  assert.deepEqual(maya.problems, []);
  assert.deepEqual(lea.problems, []);
  assert.deepEqual(leo.problems, []);
});

// A second, quiet hive that Maya also leads.
async function secondHive(server) {
  await makeHive(server, 'Go 2027');
  await admin(server, ['add-member', 'Go 2027', 'maya', '--role', 'mentor']);
}

test('an admin reads the supervision dashboard', { timeout: 90000 }, async () => {
  const server = await hive();
  await secondHive(server);
  const [lea, maya] = await Promise.all([wsAs(server, 'lea'), wsAs(server, 'maya')]);
  const general = (await lea.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'general');
  for (let i = 0; i < 3; i++) {
    await lea.call('msg.send', { channel_id: general.id, text: `Question ${i}`, nonce: `q${i}` });
  }
  await maya.call('msg.send', { channel_id: general.id, text: 'Answers at five', nonce: 'a' });
  const ada = await person(server, 'ada');
  const { page } = ada;
  await page.goto(`${server.url}/#/admin`);
  await page.click('#supervision-link');
  const card = page.locator('#sup-hives .sup-card', { hasText: 'Rust 2027' });
  await card.waitFor();
  assert.equal(await card.locator('dd[data-figure="messages"]').textContent(), '4');
  assert.equal(await card.locator('dd[data-figure="activeLearners"]').textContent(), '1 of 2');
  assert.equal(await card.locator('dd[data-figure="nps"]').textContent(), '—');
  // The chart: one bar per day, with a title and a description.
  const chart = card.locator('svg.sup-chart');
  assert.equal(await chart.locator('rect.sup-bar').count(), 30);
  assert.equal(await chart.locator('title').textContent(), 'Messages per day in Rust 2027');
  assert.match(await chart.locator('desc').textContent(), /^4 messages from /);
  assert.equal(await chart.getAttribute('role'), 'img');
  const mentors = page.locator('#sup-mentors');
  await mentors.locator('tbody th', { hasText: 'Maya Mentor' }).waitFor();
  // Another period, and the table behind the charts.
  await page.locator('#sup-period label', { hasText: '7 days' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#sup-hives svg.sup-chart rect.sup-bar').length === 2 * 7);
  await page.locator('.sup-details summary').click();
  assert.equal(await page.locator('#sup-activity tbody tr').count(), 7);
  // Today's row: 4 messages in Rust 2027, none in Go 2027.
  const today = await page.evaluate(() => {
    const heads = [...document.querySelectorAll('#sup-activity thead th')].map((x) => x.textContent);
    const cells = [...document.querySelectorAll('#sup-activity tbody tr:last-child > *')].map((x) => x.textContent);
    return Object.fromEntries(heads.map((name, i) => [name, cells[i]]));
  });
  assert.equal(today['Rust 2027'], '4');
  assert.equal(today['Go 2027'], '0');
  // The hives side by side.
  assert.deepEqual((await page.locator('#sup-compare tbody th').allTextContents()).sort(), ['Go 2027', 'Rust 2027']);
  await page.locator('#sup-hives .sup-card', { hasText: 'Go 2027' }).locator('desc', { hasText: 'No message' }).waitFor({ state: 'attached' });
  // An admin sets how long the hive keeps its messages (from its guard
  // page, which mentors see without this part).
  await page.goto(`${server.url}/#/admin/h/1/guard`);
  const keep = page.locator('#retention-form input[name=retention_days]');
  assert.equal(await keep.inputValue(), '0');
  await keep.fill('365');
  await page.locator('#retention-form button[type=submit]').click();
  await page.locator('#retention-form .form-msg', { hasText: 'older than 365 days' }).waitFor();
  await page.goto(`${server.url}/#/admin/h/1/audit`);
  await page.locator('#audit-table tr[data-action="retention_set"] .audit-detail', { hasText: '365 d' }).waitFor();
  await page.goto(`${server.url}/#/admin/h/1/guard`);
  assert.equal(await keep.inputValue(), '365');

  // A mentor has no supervision, nor the retention.
  const mayaPage = await person(server, 'maya');
  await mayaPage.page.goto(`${server.url}/#/admin/supervision`);
  await mayaPage.page.locator('.form-msg', { hasText: 'not allowed' }).waitFor();
  await mayaPage.page.goto(`${server.url}/#/admin/h/1/guard`);
  await mayaPage.page.locator('#guard-form').waitFor();
  assert.equal(await mayaPage.page.locator('#retention-form').count(), 0);
  for (const c of [lea, maya]) c.close();
  assert.deepEqual(ada.problems, []);
  assert.deepEqual(mayaPage.problems, []);
});

test('screenshots of the moderation screens and the supervision dashboard', { timeout: 240000 }, async () => {
  const server = await hive();
  await secondHive(server);
  const [lea, leo, maya] = await Promise.all(['lea', 'leo', 'maya'].map((x) => wsAs(server, x)));
  const general = (await lea.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'general');
  const say = async (who, text) => (await who.call('msg.send', {
    channel_id: general.id, text, nonce: `${Math.random()}`,
  })).message;
  await say(maya, 'Welcome to week 3! The ownership quiz opens today.');
  const q = await say(lea, 'Is the quiz open book?');
  const bad = await say(leo, 'Only losers need the book, lol');
  await say(lea, 'That is not nice.');
  await lea.call('report.create', { message_id: bad.id, reason: 'Mocking people who ask questions' });
  await maya.call('pin.add', { message_id: q.id });
  await maya.call('guard.set', {
    hive_id: 1, blocked_words: ['loser', 'losers'], new_member_link_limit: 2, new_member_days: 7,
    flood_messages: 5, flood_seconds: 10, flood_mute_seconds: 600,
  });
  await maya.call('mod.slow_mode', { channel_id: general.id, seconds: 10 });
  await maya.call('mod.slow_mode', { channel_id: general.id, seconds: 0 });
  await lea.call('msg.send', { channel_id: general.id, text: 'losers', nonce: 'x' }).catch(() => {});
  // More entries than a page of the audit log holds.
  const w = await say(maya, 'Pin me and unpin me');
  for (let i = 0; i < 30; i++) {
    await maya.call('pin.add', { message_id: w.id });
    await maya.call('pin.remove', { message_id: w.id });
  }

  const dir = screenshotDir();
  const shot = (page, name) => page.screenshot({ path: path.join(dir, `${name}.png`) });
  for (const colorScheme of ['light', 'dark']) {
    for (const size of ['desktop', 'phone']) {
      const tag = `${colorScheme}-${size}`;
      const { page, problems } = await person(server, 'maya', { colorScheme, size });
      await page.goto(`${server.url}/#/c/${general.id}`);
      await page.locator('.hive-btn-name', { hasText: 'Rust 2027' }).waitFor({ state: 'attached' });
      await page.evaluate(() => document.fonts.ready);
      const row = msgRow(page, 'Only losers need the book');
      await row.waitFor();
      await row.click({ position: { x: 40, y: 10 } });
      await row.locator('button[aria-label="More actions"]').click();
      await page.locator('#mod-menu [role="menuitem"]').first().waitFor();
      await shot(page, `mod-menu-${tag}`);
      await page.keyboard.press('Escape');

      await page.goto(`${server.url}/#/admin/h/1/reports`);
      await page.locator('#report-queue .report-msg-target').waitFor();
      await page.mouse.move(0, 0);
      await shot(page, `mod-reports-${tag}`);

      await page.goto(`${server.url}/#/admin/h/1/guard`);
      await page.locator('#guard-form').waitFor();
      await shot(page, `mod-guard-${tag}`);

      await page.goto(`${server.url}/#/admin/h/1/audit`);
      await page.locator('#audit-table').waitFor();
      await shot(page, `mod-audit-${tag}`);
      if (tag === 'light-desktop') {
        // Older pages come with before_id, each entry once.
        const rows = page.locator('#audit-table tbody tr');
        assert.equal(await rows.count(), 50);
        await page.click('#audit-more');
        await page.waitForFunction(() => document.querySelectorAll('#audit-table tbody tr').length > 50);
        const n = await rows.count();
        assert.equal(await page.locator('#audit-more').count(), 0);
        const times = await page.locator('#audit-table tbody tr[data-action="pin"]').count();
        assert.equal(times, 31);
        // pin, guard, slow mode twice, a blocked word, 30 pins and unpins.
        assert.equal(n, 65);
      }
      assert.deepEqual(problems, [], tag);

      const admin = await person(server, 'ada', { colorScheme, size });
      await admin.page.goto(`${server.url}/#/admin/supervision`);
      await admin.page.locator('#sup-hives svg.sup-chart').first().waitFor();
      await admin.page.evaluate(() => document.fonts.ready);
      await admin.page.screenshot({ path: path.join(dir, `supervision-${tag}.png`), fullPage: true });
      assert.deepEqual(admin.problems, [], `supervision ${tag}`);
    }
  }
  for (const c of [lea, leo, maya]) c.close();
});
