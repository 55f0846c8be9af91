// An accessibility check of the main views with axe-core: the first-admin,
// invite and login pages; the chat with messages and the member list; a
// direct conversation; search results; the profile; the admin pages of
// hives, members and invites; each in the light and the dark theme.  No
// violation of impact "serious" or "critical" is allowed; the others are
// printed for the record.
//
// axe is run with page.evaluate, which the page's strict CSP does not
// govern (an injected <script> element would be refused by script-src
// 'self'), so the CSP stays on for this test as for the others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { startServer } from '../lib/server.mjs';
import {
  launchBrowser, admin, makeUser, makeHive, openAs, openPage, wsAs,
} from '../lib/browser.mjs';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

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

const serious = []; // "view (theme): rule: help: where", for the final assertion

// Runs axe on what the page shows now, in the light and the dark theme.
async function check(page, view) {
  await page.evaluate(axeSource);
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await page.evaluate(() => document.fonts.ready);
    // Transitions settle (reduced motion is on, but a frame goes by).
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const violations = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)})` : ''}`),
      }));
    });
    for (const v of violations) {
      const line = `${view} (${colorScheme}): ${v.id} [${v.impact}] ${v.help}: ${v.nodes.slice(0, 4).join('; ')}`;
      if (v.impact === 'serious' || v.impact === 'critical') {
        serious.push(line);
        console.log(`axe, to fix: ${line}`);
      } else {
        console.log(`axe, for the record: ${line}`);
      }
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function open(url, options) {
  const p = await openPage(browser, url, options);
  contexts.push(p.context);
  p.page.setDefaultTimeout(15000);
  return p;
}

async function person(server, handle, options) {
  const p = await openAs(browser, server, handle, options);
  contexts.push(p.context);
  p.page.setDefaultTimeout(15000);
  return p;
}

test('the main views have no serious accessibility violations', { timeout: 240000 }, async () => {
  const server = await startServer();
  servers.push(server);
  const problems = [];

  // The first-admin page, before anyone has an account.
  const setup = server.stdout.match(/(http:\/\/\S+\/#\/setup\/[A-Za-z0-9_-]{43})\s/);
  assert.ok(setup, 'the server prints a setup link');
  {
    const { page, problems: p } = await open(setup[1]);
    await page.locator('#auth-title', { hasText: 'Set up Ruche' }).waitFor();
    await check(page, 'first admin');
    // A refused form shows its errors next to the fields: check those too.
    await page.fill('input[name=display_name]', 'Ada Admin');
    await page.fill('input[name=password]', 'short');
    await page.click('#view-auth form button[type=submit]');
    await page.locator('.field-error', { hasText: 'at least 10 characters' }).waitFor();
    await check(page, 'first admin, with an error');
    problems.push(...p);
  }

  await makeHive(server, 'Rust 2027', { description: 'Systems programming, together' });
  await makeUser(server, 'ada', { displayName: 'Ada Admin', isAdmin: true });
  await makeUser(server, 'maya', { displayName: 'Maya Mentor', hives: [['Rust 2027', 'mentor']] });
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Rust 2027', 'learner']] });
  await makeUser(server, 'leo', { displayName: 'Léo Dubois', hives: [['Rust 2027', 'learner']] });
  const link = (await admin(server, ['invite', '--hive', 'Rust 2027', '--role', 'learner',
    '--public-url', server.url])).match(/http:\/\/\S+/)[0];

  // The invite page and the login page, logged out.
  {
    const { page, problems: p } = await open(link);
    await page.locator('#auth-title', { hasText: 'Join Rust 2027' }).waitFor();
    await check(page, 'invite');
    await page.goto(`${server.url}/#/login`);
    await page.locator('#auth-title').waitFor();
    await page.fill('input[name=handle]', 'lea');
    await page.fill('input[name=password]', 'not the password');
    await page.click('#view-auth form button[type=submit]');
    await page.locator('.form-msg:visible, .field-error:visible').first().waitFor();
    await check(page, 'login, with an error');
    problems.push(...p);
  }

  // A conversation with what messages can hold.
  const [lea, leo] = await Promise.all([wsAs(server, 'lea'), wsAs(server, 'leo')]);
  const general = (await lea.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'general');
  const say = async (who, text, extra = {}) => (await who.call('msg.send', {
    channel_id: general.id, text, nonce: `${Math.random()}`, ...extra,
  })).message;
  const m1 = await say(lea, 'Good morning! Has anyone finished the **ownership** exercise?');
  await say(lea, 'I am stuck on `borrow checker` errors in part 3');
  const m3 = await say(leo, 'Yes! This helped me: https://doc.rust-lang.org/book/ch04-02-references-and-borrowing.html');
  await say(lea, 'Thanks _a lot_ Léo', { reply_to: m3.id });
  await leo.call('msg.react', { message_id: m3.id, emoji: '🙏', on: true });
  await lea.call('msg.react', { message_id: m1.id, emoji: '👍', on: true });
  const edited = await say(leo, 'Pair session at 6 pm? @maya');
  await leo.call('msg.edit', { message_id: edited.id, text: 'Pair session at 7 pm? @maya' });
  const gone = await say(leo, 'wrong channel, sorry');
  await leo.call('msg.delete', { message_id: gone.id });

  {
    const { page, problems: p } = await person(server, 'maya');
    await page.locator('.tl .msg-text', { hasText: 'Pair session at 7 pm' }).waitFor();
    await page.locator('#side-panel .member', { hasText: 'Léo Dubois' }).waitFor();
    await page.mouse.move(0, 0);
    await check(page, 'chat, with the member list');

    // A direct conversation, started from the member list.
    await page.locator('#side-panel button.member', { hasText: 'Léa Martin' }).click();
    await page.locator('#room-title', { hasText: 'Léa Martin' }).waitFor();
    await page.fill('#composer-input', 'Shall we review your exercise tomorrow?');
    await page.press('#composer-input', 'Enter');
    await page.locator('.tl .msg-text', { hasText: 'review your exercise' }).waitFor();
    await page.locator('.tl .msg-status').waitFor({ state: 'detached' });
    await check(page, 'direct conversation');

    // Search results.
    await page.locator('#channel-list a', { hasText: 'general' }).click();
    await page.click('button[aria-label="Search"]');
    await page.fill('#side-panel input[type=search]', 'borrow');
    await page.press('#side-panel input[type=search]', 'Enter');
    await page.locator('.result').first().waitFor();
    await check(page, 'search results');

    // The profile.
    await page.click('#user-btn');
    await page.click('#user-menu a[href="#/profile"]');
    await page.locator('#profile-title').waitFor();
    await check(page, 'profile');
    problems.push(...p);
  }

  // The admin pages: every hive, then one hive's members and invites.
  {
    const { page, problems: p } = await person(server, 'ada');
    await page.goto(`${server.url}/#/admin`);
    await page.locator('#admin-title', { hasText: 'Manage hives' }).waitFor();
    await page.locator('.hive-card', { hasText: 'Rust 2027' }).waitFor();
    await check(page, 'admin, hives');
    await page.goto(`${server.url}/#/admin/h/1`);
    await page.locator('#admin-title', { hasText: 'Rust 2027' }).waitFor();
    await page.locator('.row', { hasText: 'Léo Dubois' }).waitFor();
    await page.selectOption('select[name=role]', 'mentor');
    await page.click('button:has-text("Create the link")');
    await page.locator('#invite-link').waitFor();
    await page.locator('.rows .tag-active').first().waitFor();
    await check(page, 'admin, members and invites');
    problems.push(...p);
  }

  lea.close();
  leo.close();
  // A refused login logs an error in the console: that one is expected.
  assert.deepEqual(problems.filter((x) => !/status of 40[01]/.test(x)), []);
  assert.equal(serious.length, 0, `serious or critical violations:\n${serious.join('\n')}`);
});
