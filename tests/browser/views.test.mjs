// The profile page, and a screenshot of each main view (chat, channel
// drawer and member list on phones, search, profile, hive management) in
// the light and dark themes, on a desktop (1280x800) and a phone (360x740).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import {
  launchBrowser, screenshotDir, makeUser, makeHive, openAs, logIn, wsAs,
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

const fieldError = (page, name) => page.locator(`.field:has([name="${name}"]) .field-error`);

test('the profile changes your name and your password', { timeout: 60000 }, async () => {
  const server = await startServer();
  servers.push(server);
  await makeHive(server, 'Rust 2027');
  await makeUser(server, 'lea', { displayName: 'Lea', hives: [['Rust 2027', 'learner']] });
  const { page, problems } = await person(server, 'lea');

  await page.click('#user-btn');
  await page.click('#user-menu a[href="#/profile"]');
  await page.locator('#profile-title', { hasText: 'Lea' }).waitFor();
  await page.fill('input[name=display_name]', 'Léa Martin');
  await page.click('button:has-text("Save")');
  await page.locator('.form-msg[data-kind="ok"]', { hasText: 'Saved' }).waitFor();
  await page.locator('#user-btn', { hasText: 'Léa Martin' }).waitFor();

  await page.fill('input[name=old_password]', 'not my password');
  await page.fill('input[name=new_password]', 'a brand new passphrase');
  await page.click('button:has-text("Change password")');
  await fieldError(page, 'old_password').filter({ hasText: 'not your current password' }).waitFor();
  await page.fill('input[name=old_password]', 'correct horse battery staple');
  await page.fill('input[name=new_password]', 'short');
  await page.click('button:has-text("Change password")');
  await fieldError(page, 'new_password').filter({ hasText: 'at least 10' }).waitFor();
  await page.fill('input[name=new_password]', 'a brand new passphrase');
  await page.click('button:has-text("Change password")');
  await page.locator('.form-msg[data-kind="ok"]', { hasText: 'password is changed' }).waitFor();

  // The theme can be chosen here, whatever the system says.
  await page.click('.segment:has-text("Dark")');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.click('.segment:has-text("System")');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined);

  // Out, and in again with the new password; the chat shows the new name.
  await page.click('#view-profile button:has-text("Log out")');
  await logIn(page, 'lea', 'a brand new passphrase');
  await page.locator('#room-title', { hasText: 'general' }).waitFor();
  await page.locator('#side-panel .member-name', { hasText: 'Léa Martin' }).waitFor();
  assert.deepEqual(problems, []);
});

test('a mention while the tab is hidden shows a notification', { timeout: 60000 }, async () => {
  const server = await startServer();
  servers.push(server);
  await makeHive(server, 'Rust 2027');
  await makeUser(server, 'maya', { displayName: 'Maya Mentor', hives: [['Rust 2027', 'mentor']] });
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Rust 2027', 'learner']] });
  const { page, context, problems } = await person(server, 'maya');
  // A stand-in for the browser's notifications (allowed), and a switch
  // for whether the tab is hidden.
  await context.addInitScript(() => {
    window.__notes = [];
    window.__hidden = false;
    Object.defineProperty(Document.prototype, 'visibilityState', {
      get: () => (window.__hidden ? 'hidden' : 'visible'),
    });
    window.Notification = class {
      static permission = 'granted';
      static requestPermission() { return Promise.resolve('granted'); }
      constructor(title, options) { window.__notes.push({ title, body: options.body }); }
      close() {}
    };
  });
  await page.reload();
  await page.locator('#room-title', { hasText: 'general' }).waitFor();
  const lea = await wsAs(server, 'lea');
  const general = (await lea.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'general');
  // Visible: no notification.
  await lea.call('msg.send', { channel_id: general.id, text: '@maya first question', nonce: 'q1' });
  await page.locator('.tl .msg-text', { hasText: 'first question' }).waitFor();
  await page.evaluate(() => { window.__hidden = true; });
  await lea.call('msg.send', { channel_id: general.id, text: '@maya are you there?', nonce: 'q2' });
  await page.waitForFunction(() => window.__notes.length > 0);
  assert.deepEqual(await page.evaluate(() => window.__notes), [
    { title: 'Léa Martin mentioned you in #general', body: '@maya are you there?' },
  ]);
  assert.equal(await page.title(), '(1) #general · Ruche');
  lea.close();
  assert.deepEqual(problems, []);
});

test('screenshots of each view: light and dark, desktop and phone', { timeout: 90000 }, async () => {
  const server = await startServer();
  servers.push(server);
  await makeHive(server, 'Rust 2027', { description: 'Systems programming, together' });
  await makeUser(server, 'maya', { displayName: 'Maya Mentor', hives: [['Rust 2027', 'mentor']] });
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Rust 2027', 'learner']] });
  await makeUser(server, 'leo', { displayName: 'Léo Dubois', hives: [['Rust 2027', 'learner']] });
  await makeUser(server, 'sam', { displayName: 'Sam Okafor', hives: [['Rust 2027', 'learner']] });

  // A conversation to look at.
  const [lea, leo, sam] = await Promise.all(['lea', 'leo', 'sam'].map((x) => wsAs(server, x)));
  const general = (await lea.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'general');
  const say = async (who, text, extra = {}) => (await who.call('msg.send', {
    channel_id: general.id, text, nonce: `${Math.random()}`, ...extra,
  })).message;
  const m1 = await say(lea, 'Good morning! Has anyone finished the **ownership** exercise?');
  await say(lea, 'I am stuck on `borrow checker` errors in part 3 😅');
  const m3 = await say(leo, 'Yes! The trick is to clone less and borrow more. This helped me: https://doc.rust-lang.org/book/ch04-02-references-and-borrowing.html');
  await say(sam, 'Same here, _thanks_ Léo', { reply_to: m3.id });
  await leo.call('msg.react', { message_id: m3.id, emoji: '🙏', on: true });
  await lea.call('msg.react', { message_id: m3.id, emoji: '🙏', on: true });
  await sam.call('msg.react', { message_id: m1.id, emoji: '👍', on: true });
  await say(sam, 'Pair session at 6 pm? @lea @leo');
  await leo.call('typing', { channel_id: general.id });

  const dir = screenshotDir();
  const shot = (page, name) => page.screenshot({ path: path.join(dir, `${name}.png`) });
  const backgrounds = {};
  for (const colorScheme of ['light', 'dark']) {
    for (const size of ['desktop', 'phone']) {
      const tag = `${colorScheme}-${size}`;
      const { page, problems } = await person(server, 'maya', { colorScheme, size });
      await page.locator('.tl .msg-text', { hasText: 'Pair session' }).waitFor();
      await page.evaluate(() => document.fonts.ready);
      await page.mouse.move(0, 0);
      backgrounds[tag] = await page.evaluate(() => getComputedStyle(document.querySelector('.room')).backgroundColor);
      await shot(page, `chat-${tag}`);
      if (size === 'phone') {
        await page.click('.room-head .nav-toggle');
        await page.locator('#sidebar a[aria-current="page"]').waitFor();
        await shot(page, `channels-${tag}`);
        await page.keyboard.press('Escape');
        await page.locator('#sidebar').waitFor({ state: 'hidden' });
        await page.click('button[aria-label="Members"]');
        await page.locator('#side-panel .member', { hasText: 'Sam Okafor' }).waitFor();
        await shot(page, `members-${tag}`);
        await page.click('#side-panel button[aria-label="Close the panel"]');
      }
      await page.click('button[aria-label="Search"]');
      await page.fill('#side-panel input[type=search]', 'borrow');
      await page.press('#side-panel input[type=search]', 'Enter');
      await page.locator('.result').first().waitFor();
      await shot(page, `search-${tag}`);
      await page.click('#user-btn');
      await page.locator('#user-menu').waitFor();
      await shot(page, `menu-${tag}`);
      await page.click('#user-menu a[href="#/profile"]');
      await page.locator('#profile-title').waitFor();
      await shot(page, `profile-${tag}`);
      await page.goto(`${server.url}/#/admin/h/1`);
      await page.locator('#admin-title', { hasText: 'Rust 2027' }).waitFor();
      await page.locator('.row', { hasText: 'Sam Okafor' }).waitFor();
      await shot(page, `manage-${tag}`);
      assert.deepEqual(problems, [], tag);
    }
  }
  assert.notEqual(backgrounds['light-desktop'], backgrounds['dark-desktop'], 'the dark theme applies');
  for (const c of [lea, leo, sam]) c.close();
});
