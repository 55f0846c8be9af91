// Getting in, in a real browser: the first admin from the link the server
// prints, a hive and an invite made in the admin pages, a new learner who
// joins through the invite link, someone already logged in who joins a
// second hive, and the errors people see next to the field concerned.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import {
  launchBrowser, screenshotDir, makeUser, makeHive, openPage, logIn, PASSWORD,
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

async function open(url, options) {
  const p = await openPage(browser, url, options);
  contexts.push(p.context);
  p.page.setDefaultTimeout(10000);
  return p;
}

const shot = (page, name) => page.screenshot({ path: path.join(screenshotDir(), `${name}.png`) });
const fieldError = (page, name) => page.locator(`.field:has([name="${name}"]) .field-error`);

test('the first admin sets up a hive, and a learner joins through an invite link', { timeout: 90000 }, async () => {
  const server = await startServer();
  servers.push(server);
  const setup = server.stdout.match(/(http:\/\/\S+\/#\/setup\/([A-Za-z0-9_-]{43}))\s/);
  assert.ok(setup, `the server prints a setup link:\n${server.stdout}`);

  // The setup link: the code leaves the address bar at once.
  const admin = await open(setup[1]);
  await admin.page.locator('#auth-title', { hasText: 'Set up Ruche' }).waitFor();
  assert.equal(await admin.page.evaluate(() => location.hash), '#/setup');
  await shot(admin.page, 'setup-light-desktop');
  await admin.page.fill('input[name=display_name]', 'Ada Admin');
  assert.equal(await admin.page.inputValue('input[name=handle]'), 'ada.admin', 'a handle is suggested');
  await admin.page.fill('input[name=handle]', 'ada');
  await admin.page.fill('input[name=password]', 'short');
  await admin.page.click('#view-auth form button[type=submit]');
  await fieldError(admin.page, 'password').filter({ hasText: 'at least 10 characters' }).waitFor();
  assert.equal(await admin.page.getAttribute('input[name=password]', 'aria-invalid'), 'true');
  await admin.page.fill('input[name=password]', PASSWORD);
  await admin.page.click('#view-auth form button[type=submit]');

  // The admin pages: a hive, then an invite link.
  await admin.page.locator('#admin-title', { hasText: 'Manage hives' }).waitFor();
  await admin.page.fill('input[name=name]', 'Rust 2027');
  await admin.page.fill('textarea[name=description]', 'Systems programming, together');
  await admin.page.fill('input[name=capacity]', '12');
  await admin.page.click('button:has-text("Create the hive")');
  await admin.page.locator('#admin-title', { hasText: 'Rust 2027' }).waitFor();
  assert.match(await admin.page.evaluate(() => location.hash), /^#\/admin\/h\/\d+$/);
  await admin.page.selectOption('select[name=role]', 'learner');
  await admin.page.fill('input[name=max_uses]', '3');
  await admin.page.click('button:has-text("Create the link")');
  const linkBox = admin.page.locator('#invite-link');
  await linkBox.waitFor();
  const link = await linkBox.inputValue();
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/#\/invite\/[A-Za-z0-9_-]{43}$/);
  await admin.page.locator('.rows .tag-active', { hasText: 'Active' }).waitFor();
  await shot(admin.page, 'admin-hive-light-desktop');

  // A new learner opens the link on a phone and makes an account.
  const nina = await open(link, { size: 'phone' });
  await nina.page.locator('#auth-title', { hasText: 'Join Rust 2027' }).waitFor();
  assert.equal(await nina.page.evaluate(() => location.hash), '#/invite');
  await nina.page.locator('.invite-role', { hasText: 'invited as a learner' }).waitFor();
  await shot(nina.page, 'invite-light-phone');
  await nina.page.fill('input[name=display_name]', 'Nina Novice');
  await nina.page.fill('input[name=handle]', 'ada');
  await nina.page.fill('input[name=password]', PASSWORD);
  await nina.page.click('#view-auth form button[type=submit]');
  // The server says the handle is taken: it shows next to the handle.
  await fieldError(nina.page, 'handle').filter({ hasText: 'already taken' }).waitFor();
  await nina.page.fill('input[name=handle]', 'nina');
  await nina.page.click('#view-auth form button[type=submit]');
  await nina.page.locator('#room-title', { hasText: 'general' }).waitFor();
  await nina.page.locator('.hive-btn-name', { hasText: 'Rust 2027' }).waitFor({ state: 'attached' });
  assert.doesNotMatch(await nina.page.evaluate(() => location.href), /[A-Za-z0-9_-]{43}/);
  const box = nina.page.locator('#composer-input');
  await box.fill('Hello, I am new here!');
  await box.press('Enter');
  await nina.page.locator('.tl .msg-text', { hasText: 'Hello, I am new here!' }).waitFor();
  await nina.page.locator('.tl .msg-status').waitFor({ state: 'detached' });

  // The admin sees the new member and joins the hive as its mentor.
  await admin.page.reload();
  await admin.page.locator('.row', { hasText: 'Nina Novice' }).waitFor();
  await admin.page.fill('.form-row input[name=handle]', 'ada');
  await admin.page.locator('.form-row select[name=role]').last().selectOption('mentor');
  await admin.page.click('button:has-text("Add")');
  await admin.page.locator('.row', { hasText: 'Ada Admin' }).locator('.tag-mentor').waitFor();
  await admin.page.click('a.back-link:has-text("All hives")');
  await admin.page.locator('.hive-card', { hasText: 'Rust 2027' }).waitFor();
  await shot(admin.page, 'admin-light-desktop');
  await admin.page.click('a.back-link:has-text("Back to the chat")');
  await admin.page.locator('.tl .msg-text', { hasText: 'Hello, I am new here!' }).waitFor();

  // A revoked link no longer works.
  await admin.page.goto(`${server.url}/#/admin`);
  await admin.page.click('.hive-card:has-text("Rust 2027")');
  await admin.page.click('.rows button:has-text("Revoke")');
  await admin.page.locator('.rows .tag-revoked').waitFor();
  const late = await open(link);
  await late.page.locator('#auth-title', { hasText: 'This link does not work' }).waitFor();
  await late.page.locator('.auth-intro', { hasText: 'cancelled' }).waitFor();

  // Someone already logged in joins a second hive with their account.
  await admin.page.goto(`${server.url}/#/admin`);
  await admin.page.fill('input[name=name]', 'Go 2027');
  await admin.page.click('button:has-text("Create the hive")');
  await admin.page.locator('#admin-title', { hasText: 'Go 2027' }).waitFor();
  await admin.page.click('button:has-text("Create the link")');
  const link2 = await admin.page.locator('#invite-link').inputValue();
  await nina.page.goto(link2);
  await nina.page.locator('#auth-title', { hasText: 'Join Go 2027' }).waitFor();
  await nina.page.click('button:has-text("Join as Nina Novice")');
  await nina.page.locator('.hive-btn-name', { hasText: 'Go 2027' }).waitFor({ state: 'attached' });
  await nina.page.locator('#room-title', { hasText: 'general' }).waitFor();
  const goChannel = await nina.page.evaluate(() => location.hash);

  // She switches between her hives from the menu in the channel drawer.
  await nina.page.click('.room-head .nav-toggle');
  await nina.page.click('.hive-btn');
  await nina.page.locator('#hive-menu a', { hasText: 'Rust 2027' }).click();
  await nina.page.locator('.tl .msg-text', { hasText: 'Hello, I am new here!' }).waitFor();
  assert.notEqual(await nina.page.evaluate(() => location.hash), goChannel);

  // The admin renames the hive, changes its seats, then archives it.
  await admin.page.fill('#view-admin input[name=name] >> nth=0', 'Go 2028');
  await admin.page.locator('#view-admin input[name=capacity]').fill('8');
  await admin.page.click('button:has-text("Save")');
  await admin.page.locator('#admin-title', { hasText: 'Go 2028' }).waitFor();
  await admin.page.locator('.meter-text', { hasText: '1 of 8' }).waitFor();
  await admin.page.locator('#view-admin input[name=capacity]').fill('0');
  await admin.page.click('button:has-text("Save")');
  await fieldError(admin.page, 'capacity').waitFor();
  await admin.page.click('button:has-text("Archive the hive")');
  await admin.page.locator('dialog[open] button[value="ok"]').click();
  await admin.page.locator('#admin-title .tag', { hasText: 'Archived' }).waitFor();
  await nina.page.goto(`${server.url}/${goChannel}`);
  await nina.page.reload();
  await nina.page.locator('.composer-readonly', { hasText: 'archived' }).waitFor();

  // The browser logs the refused sign-up (409) and the dead link (410);
  // nothing else may show.
  const expected = /status of (409 .*\/api\/signup|410 .*\/api\/invite)/;
  for (const p of [admin, nina, late]) {
    assert.deepEqual(p.problems.filter((x) => !expected.test(x)), []);
  }
});

test('login errors are said in plain words, next to the field', { timeout: 60000 }, async () => {
  const server = await startServer();
  servers.push(server);
  await makeHive(server, 'Rust 2027');
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Rust 2027', 'learner']] });
  await makeUser(server, 'leo', { displayName: 'Léo Dubois', hives: [['Rust 2027', 'learner']] });

  const { page, problems } = await open(`${server.url}/`, { colorScheme: 'dark' });
  await page.locator('#auth-title').waitFor();
  // Empty fields are caught before anything is sent.
  await page.click('#view-auth form button[type=submit]');
  await fieldError(page, 'handle').filter({ hasText: 'Enter your handle' }).waitFor();
  await page.fill('input[name=handle]', 'lea');
  await page.fill('input[name=password]', 'not the password');
  await page.click('#view-auth form button[type=submit]');
  await fieldError(page, 'password').filter({ hasText: 'Wrong handle or password' }).waitFor();
  await shot(page, 'login-error-dark-desktop');
  // Too many failures: the server asks to wait, and the page says how long.
  for (let i = 0; i < 5; i++) {
    await page.fill('input[name=password]', `wrong ${i}`);
    await page.click('#view-auth form button[type=submit]');
    await page.locator('#view-auth form button[type=submit]:not([disabled])').waitFor();
  }
  await page.locator('.form-msg', { hasText: /Too many attempts\. Wait \d+/ }).waitFor();

  // Someone else, from a fresh page: in, then out again.
  const fresh = await open(`${server.url}/`, { size: 'phone' });
  await logIn(fresh.page, 'leo');
  await fresh.page.locator('#room-title', { hasText: 'general' }).waitFor();
  await fresh.page.click('#user-btn');
  await fresh.page.click('#logout-btn');
  await fresh.page.locator('#auth-title', { hasText: 'Welcome to Ruche' }).waitFor();
  // The session is gone on the server too: a reload stays logged out.
  await fresh.page.reload();
  await fresh.page.locator('#auth-title', { hasText: 'Welcome to Ruche' }).waitFor();

  assert.deepEqual(problems.filter((p) => !/status of 401|status of 429/.test(p)), []);
  assert.deepEqual(fresh.problems, []);
});
