// Threads, channel management, read receipts and the language switch in
// real browsers: a mentor and a learner, each in their own context.  A
// learner replies in a thread and the mentor follows it live (count,
// unread mark, replies, edits, reactions, deletions); the mentor creates,
// renames, moves and archives a channel while the learner's list follows,
// and the learner sees none of these controls; "Seen" shows in direct
// conversations once the others have read; French replaces English at
// once and at the next start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import {
  launchBrowser, screenshotDir, makeUser, makeHive, openAs, wsAs,
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

async function hiveOfThree() {
  const server = await startServer();
  servers.push(server);
  await makeHive(server, 'Rust 2027', { description: 'Systems programming, together' });
  await makeUser(server, 'maya', { displayName: 'Maya Mentor', hives: [['Rust 2027', 'mentor']] });
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Rust 2027', 'learner']] });
  await makeUser(server, 'leo', { displayName: 'Léo Dubois', hives: [['Rust 2027', 'learner']] });
  return server;
}

const msgRow = (scope, text) => scope.locator('.msg', { has: scope.page().locator('.msg-text', { hasText: text }) });
const mainRow = (page, text) => msgRow(page.locator('.tl'), text);
const panel = (page) => page.locator('#thread-panel');
const threadRow = (page, text) => msgRow(panel(page).locator('.thread-list'), text);

async function send(page, text) {
  const box = page.locator('#composer-input');
  await box.fill(text);
  await box.press('Enter');
  await mainRow(page, text).waitFor();
}

// The channel list of the sidebar, in order.
async function channelNames(page) {
  return page.locator('#channel-list .nav-name').allTextContents();
}

test('a learner replies in a thread and the mentor follows it live', { timeout: 120000 }, async () => {
  const server = await hiveOfThree();
  const [maya, lea] = await Promise.all([
    person(server, 'maya'),
    person(server, 'lea', { colorScheme: 'dark' }),
  ]);
  for (const p of [maya, lea]) await p.page.locator('#room-title', { hasText: 'general' }).waitFor();
  await send(maya.page, 'Who brings the projector on Friday?');

  // Léa starts a thread from the message's actions.
  const root = mainRow(lea.page, 'Who brings the projector');
  await root.waitFor();
  await root.hover({ position: { x: 6, y: 6 } });
  await root.locator('.msg-actions button[aria-label="Reply in thread"]').click();
  await panel(lea.page).waitFor();
  assert.match(lea.page.url(), /#\/c\/\d+\/t\/\d+$/);
  await panel(lea.page).locator('.thread-root .msg-text', { hasText: 'Who brings the projector' }).waitFor();
  assert.equal(await panel(lea.page).locator('#thread-title').textContent(), 'Thread');
  const leaBox = panel(lea.page).locator('textarea');
  // The thread's composer: Shift+Enter for a new line, Enter sends.
  await leaBox.focus();
  await leaBox.pressSequentially('Me! I bring it.');
  await leaBox.press('Shift+Enter');
  await leaBox.pressSequentially('And the cables.');
  assert.equal(await leaBox.inputValue(), 'Me! I bring it.\nAnd the cables.');
  await leaBox.press('Enter');
  await threadRow(lea.page, 'Me! I bring it.').waitFor();
  assert.equal(await leaBox.inputValue(), '');
  // The reply stays out of the channel's own list.
  assert.equal(await mainRow(lea.page, 'Me! I bring it.').count(), 0);

  // Maya sees the count, marked unread, without a reload.
  const link = mainRow(maya.page, 'Who brings the projector').locator('.msg-thread');
  await link.filter({ hasText: '1 reply' }).waitFor();
  await maya.page.locator('.msg-thread.msg-thread-unread').waitFor();
  assert.equal(await mainRow(maya.page, 'Me! I bring it.').count(), 0);

  // She opens it: the reply is there, and the mark goes.
  await link.click();
  await threadRow(maya.page, 'Me! I bring it.').waitFor();
  assert.equal(await threadRow(maya.page, 'Me! I bring it.').locator('.msg-text').textContent(),
    'Me! I bring it.\nAnd the cables.');
  await maya.page.locator('.msg-thread.msg-thread-unread').waitFor({ state: 'detached' });
  await panel(maya.page).locator('.thread-count', { hasText: '1 reply' }).waitFor();

  // Live in the open panel: a new reply, an edit, a reaction, a deletion.
  await leaBox.fill('Also the remote');
  await leaBox.press('Enter');
  await threadRow(maya.page, 'Also the remote').waitFor();
  await link.filter({ hasText: '2 replies' }).waitFor();
  // Up in the empty box edits one's last reply, in place.
  await leaBox.press('ArrowUp');
  const editor = panel(lea.page).locator('.edit-input');
  await editor.waitFor();
  assert.equal(await editor.inputValue(), 'Also the remote');
  await editor.fill('Also the remote control');
  await editor.press('Enter');
  await threadRow(maya.page, 'Also the remote control').locator('.msg-edited').waitFor();
  const ws = await wsAs(server, 'lea');
  const rootId = Number(lea.page.url().match(/\/t\/(\d+)$/)[1]);
  const { channels } = await ws.call('channel.list', { hive_id: 1 });
  const general = channels.find((c) => c.name === 'general');
  const replies = (await ws.call('msg.history', { channel_id: general.id, thread_id: rootId })).messages;
  assert.deepEqual(replies.map((m) => m.text), ['Me! I bring it.\nAnd the cables.', 'Also the remote control']);
  await ws.call('msg.edit', { message_id: replies[1].id, text: 'Also the remote, with batteries' });
  await threadRow(maya.page, 'with batteries').locator('.msg-edited').waitFor();
  await ws.call('msg.react', { message_id: replies[0].id, emoji: '🎉', on: true });
  await threadRow(maya.page, 'Me! I bring it.').locator('.reaction', { hasText: '🎉' }).waitFor();
  await ws.call('msg.react', { message_id: rootId, emoji: '👍', on: true });
  await panel(maya.page).locator('.thread-root .reaction', { hasText: '👍' }).waitFor();
  await ws.call('msg.delete', { message_id: replies[1].id });
  await threadRow(maya.page, 'with batteries').waitFor({ state: 'detached' });
  await panel(maya.page).locator('.thread-list .msg-gone').waitFor();

  // Maya answers in the thread; Léa, whose panel is open, sees it.
  const mayaBox = panel(maya.page).locator('textarea');
  await mayaBox.fill('Perfect, thank you Léa');
  await mayaBox.press('Enter');
  await threadRow(lea.page, 'Perfect, thank you').waitFor();

  // A reload keeps the thread open.
  await maya.page.reload();
  await threadRow(maya.page, 'Perfect, thank you').waitFor();
  // Escape closes it, and the address follows.
  await mayaBox.focus();
  await maya.page.keyboard.press('Escape');
  await panel(maya.page).waitFor({ state: 'hidden' });
  assert.match(maya.page.url(), /#\/c\/\d+$/);

  // A reply while the thread is closed marks it unread, and so it stays
  // after a reload (from the marker the server keeps) until it is read.
  await ws.call('msg.send', {
    channel_id: general.id, thread_id: rootId, text: 'See you Friday', nonce: 'friday',
  });
  await maya.page.locator('.msg-thread.msg-thread-unread', { hasText: '4 replies' }).waitFor();
  await maya.page.reload();
  await maya.page.locator('.msg-thread.msg-thread-unread', { hasText: '4 replies' }).waitFor();
  await maya.page.locator('.msg-thread').click();
  await threadRow(maya.page, 'See you Friday').waitFor();
  await maya.page.locator('.msg-thread.msg-thread-unread').waitFor({ state: 'detached' });
  // The marker moved on the server.
  await maya.page.waitForTimeout(300);
  await maya.page.reload();
  await threadRow(maya.page, 'See you Friday').waitFor();
  await maya.page.locator('button[aria-label="Close the thread"]').click();
  await maya.page.locator('.msg-thread', { hasText: '4 replies' }).waitFor();
  assert.equal(await maya.page.locator('.msg-thread.msg-thread-unread').count(), 0);

  // A search result that is a reply in a thread opens its thread.
  await maya.page.locator('.room-tools button[aria-label="Search"]').click();
  await maya.page.fill('#side-panel input[type=search]', 'Friday');
  await maya.page.press('#side-panel input[type=search]', 'Enter');
  await maya.page.locator('#side-panel .result', { hasText: 'See you' }).click();
  await threadRow(maya.page, 'See you Friday').waitFor();
  assert.match(maya.page.url(), new RegExp(`/t/${rootId}$`));

  ws.close();
  assert.deepEqual(maya.problems, []);
  assert.deepEqual(lea.problems, []);
});

test('a mentor manages channels, the learner follows, and sees no controls', { timeout: 120000 }, async () => {
  const server = await hiveOfThree();
  const [maya, lea] = await Promise.all([person(server, 'maya'), person(server, 'lea')]);
  for (const p of [maya, lea]) await p.page.locator('#room-title', { hasText: 'general' }).waitFor();

  // A learner sees neither the "+" nor the settings.
  assert.equal(await lea.page.locator('#channel-add').isVisible(), false);
  assert.equal(await lea.page.locator('#channel-settings').isVisible(), false);
  assert.equal(await maya.page.locator('#channel-settings').isVisible(), true);
  const before = await channelNames(lea.page);

  // Create: the name is checked here, then refused by the server when it
  // is taken; both said next to the field.
  await maya.page.click('#channel-add');
  const dialog = maya.page.locator('#channel-dialog[open]');
  await dialog.waitFor();
  const nameError = dialog.locator('.field:has([name="channel_name"]) .field-error');
  await dialog.locator('[name="channel_name"]').fill('show and tell');
  await dialog.locator('button[type=submit]').click();
  await nameError.filter({ hasText: 'Use only letters' }).waitFor();
  await dialog.locator('[name="channel_name"]').fill('GENERAL');
  await dialog.locator('button[type=submit]').click();
  await nameError.filter({ hasText: 'already has a channel' }).waitFor();
  await dialog.locator('[name="channel_name"]').fill('Projects');
  await dialog.locator('[name="channel_topic"]').fill('Show what you made');
  await dialog.locator('.channel-kind', { hasText: 'Announcements' }).click();
  await dialog.locator('button[type=submit]').click();
  await dialog.waitFor({ state: 'detached' });
  await maya.page.locator('#room-title', { hasText: 'projects' }).waitFor();
  await lea.page.locator('#channel-list .nav-name', { hasText: 'projects' }).waitFor();
  assert.deepEqual(await channelNames(lea.page), [...before, 'projects']);
  // An announcement channel: the learner reads, does not post.
  await lea.page.locator('#channel-list a', { hasText: 'projects' }).click();
  await lea.page.locator('.composer-readonly', { hasText: 'Only mentors post' }).waitFor();

  // Rename and describe it from the header's settings.
  await maya.page.click('#channel-settings');
  await dialog.waitFor();
  await dialog.locator('[name="channel_name"]').fill('showcase');
  await dialog.locator('[name="channel_topic"]').fill('Demos every Friday');
  await dialog.locator('button[type=submit]').click();
  await dialog.waitFor({ state: 'detached' });
  await lea.page.locator('#channel-list .nav-name', { hasText: 'showcase' }).waitFor();
  await lea.page.locator('#room-title', { hasText: 'showcase' }).waitFor();
  await lea.page.locator('.room-topic', { hasText: 'Demos every Friday' }).waitFor();
  assert.equal(await lea.page.locator('#channel-list .nav-name', { hasText: 'projects' }).count(), 0);

  // Move it up one place.
  await maya.page.click('#channel-settings');
  await dialog.locator('button', { hasText: 'Move up' }).click();
  const moved = [...before];
  moved.splice(before.length - 1, 0, 'showcase');
  await lea.page.waitForFunction((want) => [...document.querySelectorAll('#channel-list .nav-name')]
    .map((x) => x.textContent).join(',') === want, moved.join(','));

  // Archive it, after a confirmation: it leaves the learner's list.
  await dialog.locator('button', { hasText: 'Archive the channel' }).click();
  const confirm = maya.page.locator('dialog[open]', { hasText: 'Archive #showcase?' });
  await confirm.locator('button[value="ok"]').click();
  await dialog.waitFor({ state: 'detached' });
  await lea.page.locator('#channel-list .nav-name', { hasText: 'showcase' }).waitFor({ state: 'detached' });
  assert.deepEqual(await channelNames(lea.page), before);
  await maya.page.locator('.composer-readonly', { hasText: 'archived' }).waitFor();
  assert.equal(await maya.page.locator('#channel-settings').isVisible(), false);

  assert.deepEqual(maya.problems, []);
  assert.deepEqual(lea.problems, []);
});

test('a direct conversation shows who has seen your last message', { timeout: 90000 }, async () => {
  const server = await hiveOfThree();
  const [maya, lea] = await Promise.all([person(server, 'maya'), person(server, 'lea')]);
  await maya.page.locator('#room-title', { hasText: 'general' }).waitFor();

  // Maya writes to Léa: no "Seen" until Léa opens the conversation.
  await maya.page.locator('#side-panel button.member', { hasText: 'Léa Martin' }).click();
  await maya.page.locator('#room-title', { hasText: 'Léa Martin' }).waitFor();
  await send(maya.page, 'Did you get the slides?');
  await send(maya.page, 'They are in the help channel');
  await maya.page.waitForTimeout(300);
  assert.equal(await maya.page.locator('.msg-seen').count(), 0);
  await lea.page.locator('#dm-list a', { hasText: 'Maya Mentor' }).click();
  await mainRow(lea.page, 'They are in the help channel').waitFor();
  const seen = mainRow(maya.page, 'They are in the help channel').locator('.msg-seen');
  await seen.filter({ hasText: /^Seen$/ }).waitFor();
  assert.equal(await maya.page.locator('.msg-seen').count(), 1);
  await maya.page.mouse.move(0, 0);
  await maya.page.screenshot({ path: path.join(screenshotDir(), 'direct-seen-light-desktop.png') });

  // A new message moves it once read.
  await send(maya.page, 'Ping me when done');
  await mainRow(lea.page, 'Ping me when done').waitFor();
  await mainRow(maya.page, 'Ping me when done').locator('.msg-seen', { hasText: 'Seen' }).waitFor();
  assert.equal(await maya.page.locator('.msg-seen').count(), 1);

  // In a group conversation it names who has read.
  const leo = await wsAs(server, 'leo');
  const ids = (await leo.call('hive.members', { hive_id: 1 })).members;
  const idOf = (h) => ids.find((m) => m.handle === h).user_id;
  const group = (await leo.call('dm.open', { user_ids: [idOf('maya'), idOf('lea')] })).channel;
  await maya.page.goto(`${server.url}/#/c/${group.id}`);
  await maya.page.locator('#room-title', { hasText: 'Léa Martin, Léo Dubois' }).waitFor();
  await send(maya.page, 'Group call at five?');
  await lea.page.locator('#dm-list a', { hasText: 'Léo Dubois' }).click();
  await mainRow(lea.page, 'Group call at five?').waitFor();
  const groupSeen = mainRow(maya.page, 'Group call at five?').locator('.msg-seen');
  await groupSeen.filter({ hasText: 'Seen by Léa Martin' }).waitFor();
  const last = (await leo.call('msg.history', { channel_id: group.id })).messages.at(-1);
  await leo.call('read.mark', { channel_id: group.id, message_id: last.id });
  await groupSeen.filter({ hasText: 'Seen by Léa Martin, Léo Dubois' }).waitFor();
  // After a reload the receipts come back from the server.
  await maya.page.reload();
  await mainRow(maya.page, 'Group call at five?').locator('.msg-seen', { hasText: 'Seen by Léa Martin, Léo Dubois' })
    .waitFor();

  leo.close();
  assert.deepEqual(maya.problems, []);
  assert.deepEqual(lea.problems, []);
});

test('the language switches to French and stays so', { timeout: 60000 }, async () => {
  const server = await hiveOfThree();
  const lea = await person(server, 'lea');
  const { page } = lea;
  await page.locator('#channels-head', { hasText: 'Channels' }).waitFor();
  await page.click('#user-btn');
  await page.click('#user-menu a[href="#/profile"]');
  await page.locator('#profile-title').waitFor();
  await page.click('.segment:has-text("Français")');
  await page.locator('#profile-title').waitFor();
  await page.locator('.card-title', { hasText: 'Langue' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
  await page.click('a.back-link');
  await page.locator('#channels-head', { hasText: 'Salons' }).waitFor();
  assert.equal(await page.locator('button[aria-label="Membres"]').count(), 1);
  assert.equal(await page.locator('#composer-input').getAttribute('placeholder'), 'Écrire dans #general');

  // A new start (the browser says English) keeps French.
  const again = await lea.context.newPage();
  await again.goto(`${server.url}/`);
  await again.locator('#channels-head', { hasText: 'Salons' }).waitFor();
  await again.close();

  // And back to the browser's language.
  await page.goto(`${server.url}/#/profile`);
  await page.click('.segment:has-text("Navigateur")');
  await page.locator('.card-title', { hasText: 'Language' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assert.deepEqual(lea.problems, []);
});

test('screenshots of the thread panel and the channel dialogs', { timeout: 120000 }, async () => {
  const server = await hiveOfThree();
  const [lea, leo] = await Promise.all(['lea', 'leo'].map((x) => wsAs(server, x)));
  const general = (await lea.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'general');
  const say = async (who, text, extra = {}) => (await who.call('msg.send', {
    channel_id: general.id, text, nonce: `${Math.random()}`, ...extra,
  })).message;
  await say(leo, 'Morning all');
  const root = await say(lea, 'Is the **ownership** quiz due on Friday or Monday?');
  await say(leo, 'Friday, I think. The page says "end of week 3".', { thread_id: root.id });
  const r2 = await say(lea, 'Thanks! And is it open book?', { thread_id: root.id });
  await leo.call('msg.react', { message_id: r2.id, emoji: '👀', on: true });
  await say(leo, 'Yes: you can use `the book` and your notes.', { thread_id: root.id });

  const dir = screenshotDir();
  const shot = (page, name) => page.screenshot({ path: path.join(dir, `${name}.png`) });
  for (const colorScheme of ['light', 'dark']) {
    for (const size of ['desktop', 'phone']) {
      const tag = `${colorScheme}-${size}`;
      const { page, problems } = await person(server, 'maya', { colorScheme, size });
      await page.goto(`${server.url}/#/c/${general.id}/t/${root.id}`);
      await threadRow(page, 'you can use').waitFor();
      await page.evaluate(() => document.fonts.ready);
      await page.mouse.move(0, 0);
      await shot(page, `thread-${tag}`);
      if (size === 'phone') {
        // The way back on a phone.
        await page.click('#thread-panel .thread-back');
        await panel(page).waitFor({ state: 'hidden' });
        await page.click('.room-head .nav-toggle');
      }
      await page.click('#channel-add');
      await page.locator('#channel-dialog[open]').waitFor();
      await shot(page, `channel-new-${tag}`);
      await page.keyboard.press('Escape');
      await page.locator('#channel-dialog[open]').waitFor({ state: 'detached' });
      if (size === 'phone') {
        // The focus is back on the "+", in the drawer: Escape closes it.
        await page.keyboard.press('Escape');
        await page.locator('#sidebar').waitFor({ state: 'hidden' });
      }
      await page.click('#channel-settings');
      await page.locator('#channel-dialog[open]').waitFor();
      await shot(page, `channel-settings-${tag}`);
      await page.keyboard.press('Escape');
      assert.deepEqual(problems, [], tag);
    }
  }
  for (const c of [lea, leo]) c.close();
});
