// The chat in real browsers: a mentor and two learners, each in their own
// browser context (one on a phone-sized screen, one in the dark theme),
// talk live: messages, a reply, an edit, a delete, reactions, mentions,
// typing, unread counts and a direct conversation reach the others; what
// people type is shown as text, never run as markup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import {
  launchBrowser, screenshotDir, makeUser, makeHive, openAs,
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
  // A script that ran would open a dialog: none may.
  p.dialogs = [];
  p.page.on('dialog', (d) => {
    p.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  return p;
}

const msgText = (page, text) => page.locator('.tl .msg-text', { hasText: text });
const msgRow = (page, text) => page.locator('.tl .msg', { has: page.locator('.msg-text', { hasText: text }) });

async function send(page, text) {
  const box = page.locator('#composer-input');
  await box.fill(text);
  // A mention at the end would leave the suggestion list open: Enter
  // would pick from it.  Typing goes through the page's own handlers.
  await box.press('End');
  await page.locator('#mention-list').waitFor({ state: 'hidden' }).catch(() => {});
  await box.press('Enter');
  await msgText(page, text.replace(/\*\*|`/g, '').slice(0, 20)).last().waitFor();
}

// Shows a message's actions (hover on a desktop, a tap on a phone).
async function actions(page, row, isPhone = false) {
  // At the top left, away from links and buttons in the message.
  if (isPhone) await row.tap({ position: { x: 6, y: 6 } });
  else await row.hover({ position: { x: 6, y: 6 } });
  return row.locator('.msg-actions');
}

test('a mentor and two learners chat live', { timeout: 90000 }, async () => {
  const server = await startServer();
  servers.push(server);
  await makeHive(server, 'Rust 2027', { description: 'Systems programming, together' });
  await makeUser(server, 'maya', { displayName: 'Maya Mentor', hives: [['Rust 2027', 'mentor']] });
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Rust 2027', 'learner']] });
  await makeUser(server, 'leo', { displayName: 'Léo Dubois', hives: [['Rust 2027', 'learner']] });

  const [maya, lea, leo] = await Promise.all([
    person(server, 'maya'),
    person(server, 'lea', { colorScheme: 'dark' }),
    person(server, 'leo', { size: 'phone' }),
  ]);
  const everyone = [maya, lea, leo];
  for (const p of everyone) {
    await p.page.locator('#room-title', { hasText: 'general' }).waitFor();
  }
  // The list is a live log for screen readers.
  assert.equal(await maya.page.locator('.tl').getAttribute('role'), 'log');

  // A message with a link, bold and code reaches everyone, formatted.
  await send(maya.page, 'Welcome to **Rust 2027**! Read https://example.com/guide first, then run `cargo test`.');
  for (const p of [lea, leo]) {
    const text = msgText(p.page, 'Welcome to Rust 2027');
    await text.waitFor();
    assert.equal(await text.locator('strong').textContent(), 'Rust 2027');
    assert.equal(await text.locator('code').textContent(), 'cargo test');
    const link = text.locator('a');
    assert.equal(await link.getAttribute('href'), 'https://example.com/guide');
    assert.match(await link.getAttribute('rel'), /noopener/);
    assert.equal(await link.textContent(), 'https://example.com/guide');
  }

  // Typing shows to the others.
  await lea.page.locator('#composer-input').pressSequentially('Hel');
  await maya.page.locator('.typing', { hasText: 'Léa Martin is typing' }).waitFor();

  // Markup is text.
  const evil = '<img src=x onerror=alert(1)> <script>alert(2)</script>';
  await lea.page.locator('#composer-input').fill(evil);
  await lea.page.locator('#composer-input').press('Enter');
  for (const p of everyone) {
    const text = msgText(p.page, '<img src=x onerror=alert(1)>');
    await text.waitFor();
    assert.equal(await text.textContent(), evil);
    assert.equal(await p.page.locator('.tl img, .tl script').count(), 0);
  }
  // The typing mark of Léa goes away with her message.
  await maya.page.locator('.typing', { hasText: 'Léa Martin is typing' }).waitFor({ state: 'detached' });

  // Léo replies (on a phone: a tap shows the message's actions).
  const welcome = msgRow(leo.page, 'Welcome to Rust 2027');
  await (await actions(leo.page, welcome, true)).locator('button[aria-label="Reply"]').click();
  await leo.page.locator('.reply-bar', { hasText: 'Maya Mentor' }).waitFor();
  await send(leo.page, 'Thanks, reading it now');
  for (const p of everyone) {
    const reply = msgRow(p.page, 'Thanks, reading it now');
    await reply.waitFor();
    const quote = reply.locator('.quote');
    assert.equal(await quote.locator('.quote-author').textContent(), 'Maya Mentor');
    assert.match(await quote.locator('.quote-text').textContent(), /^Welcome to Rust 2027/);
  }

  // Léa edits her last message with the Up arrow.
  await send(lea.page, 'I hvae a question');
  await msgText(maya.page, 'I hvae a question').waitFor();
  await lea.page.locator('#composer-input').press('ArrowUp');
  const editor = lea.page.locator('.edit-input');
  await editor.waitFor();
  assert.equal(await editor.inputValue(), 'I hvae a question');
  await editor.fill('I have a question');
  await editor.press('Enter');
  for (const p of everyone) {
    const row = msgRow(p.page, 'I have a question');
    await row.locator('.msg-edited').waitFor();
  }
  assert.equal(await msgText(maya.page, 'I hvae').count(), 0);

  // Léa deletes a message; everyone sees it is gone.
  await send(lea.page, 'oops, wrong channel');
  await msgText(leo.page, 'oops, wrong channel').waitFor();
  const oops = msgRow(lea.page, 'oops, wrong channel');
  await (await actions(lea.page, oops)).locator('button[aria-label="Delete"]').click();
  await lea.page.locator('dialog[open] button[value="ok"]').click();
  for (const p of everyone) {
    await msgText(p.page, 'oops, wrong channel').waitFor({ state: 'detached' });
    await p.page.locator('.tl .msg-gone').first().waitFor();
  }

  // Reactions: Léo adds one from the picker, Maya adds hers by a click.
  await (await actions(leo.page, welcome, true)).locator('button[aria-label="Add a reaction"]').click();
  await leo.page.locator('#emoji-picker button[aria-label="React with 👍"]').click();
  const chip = (p) => msgRow(p.page, 'Welcome to Rust 2027').locator('.reaction', { hasText: '👍' });
  await chip(maya).locator('.reaction-count', { hasText: '1' }).waitFor();
  assert.equal(await chip(maya).getAttribute('aria-pressed'), 'false');
  assert.equal(await chip(leo).getAttribute('aria-pressed'), 'true');
  await chip(maya).click();
  for (const p of everyone) await chip(p).locator('.reaction-count', { hasText: '2' }).waitFor();
  await maya.page.locator('.reaction[aria-pressed="true"]', { hasText: '👍' }).waitFor();
  // And takes it back.
  await chip(maya).click();
  await chip(lea).locator('.reaction-count', { hasText: '1' }).waitFor();

  // Léa goes to #help; a message in #general counts as unread there.
  await lea.page.locator('#channel-list a', { hasText: 'help' }).click();
  await lea.page.locator('#room-title', { hasText: 'help' }).waitFor();
  await send(maya.page, 'Meetup on Friday, everyone');
  const general = lea.page.locator('#channel-list a', { hasText: 'general' });
  await general.locator('.badge', { hasText: '1' }).waitFor();
  assert.equal(await lea.page.title(), '(1) #help · Ruche');

  // A mention, picked from the suggestions with the keyboard.
  const box = maya.page.locator('#composer-input');
  await box.fill('');
  await box.pressSequentially('@le');
  await maya.page.locator('#mention-list [role="option"]', { hasText: '@lea' }).waitFor();
  assert.deepEqual(
    await maya.page.locator('#mention-list [role="option"] .mention-handle').allTextContents(),
    ['@lea', '@leo'],
  );
  await box.press('ArrowDown');
  await box.press('ArrowUp');
  await box.press('Enter');
  assert.equal(await box.inputValue(), '@lea ');
  await box.pressSequentially('can you share your screen?');
  await box.press('Enter');
  await general.locator('.badge', { hasText: '2' }).waitFor();
  await general.click();
  await msgRow(lea.page, 'can you share your screen?').locator('.mention-me', { hasText: '@lea' }).waitFor();
  await general.locator('.badge').waitFor({ state: 'detached' });
  assert.equal(await lea.page.title(), '#general · Ruche');

  // A direct conversation from the member list.
  await lea.page.locator('#side-panel button.member', { hasText: 'Léo Dubois' }).click();
  await lea.page.locator('#room-title', { hasText: 'Léo Dubois' }).waitFor();
  await send(lea.page, 'psst, want to pair on the exercise?');
  const dm = leo.page.locator('#dm-list a', { hasText: 'Léa Martin' });
  await dm.locator('.badge', { hasText: '1' }).waitFor({ state: 'attached' });
  // On the phone, the channel list is a drawer.
  await leo.page.locator('.room-head .nav-toggle').click();
  await dm.click();
  await msgText(leo.page, 'psst, want to pair').waitFor();
  await leo.page.locator('#sidebar').waitFor({ state: 'hidden' });

  // The keyboard alone: from the list, Up focuses the last message, Tab
  // reaches its actions, Enter opens the picker and picks.
  await maya.page.locator('#channel-list a', { hasText: 'general' }).click();
  await maya.page.locator('.scroller').focus();
  await maya.page.keyboard.press('ArrowUp');
  const focused = maya.page.locator('.tl .msg:focus');
  assert.match(await focused.textContent(), /can you share your screen\?/);
  await maya.page.keyboard.press('Tab');
  assert.equal(await maya.page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Add a reaction');
  await maya.page.keyboard.press('Enter');
  await maya.page.locator('#emoji-picker:popover-open').waitFor();
  await maya.page.keyboard.press('Enter');
  await msgRow(maya.page, 'can you share your screen?').locator('.reaction[aria-pressed="true"]', { hasText: '👍' }).waitFor();

  const dir = screenshotDir();
  await maya.page.locator('#channel-list a', { hasText: 'general' }).click();
  await maya.page.screenshot({ path: path.join(dir, 'live-mentor-light-desktop.png') });
  await lea.page.locator('#channel-list a', { hasText: 'general' }).click();
  await lea.page.screenshot({ path: path.join(dir, 'live-learner-dark-desktop.png') });
  await leo.page.screenshot({ path: path.join(dir, 'direct-light-phone.png') });

  for (const p of everyone) {
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.dialogs, []);
  }
});
