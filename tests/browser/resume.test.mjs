// The chat page stays whole: after the server restarts it catches up on
// what it missed, without losing or doubling a message, and sends what was
// written while offline; it pages back into long histories without the
// view jumping, and search jumps to a message far in the past.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer } from '../lib/server.mjs';
import {
  launchBrowser, screenshotDir, makeUser, makeHive, openAs, wsAs, PASSWORD,
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
  p.page.setDefaultTimeout(15000);
  return p;
}

const texts = (page) => page.locator('.tl .msg:not(.msg-sending):not(.msg-failed) .msg-text').allTextContents();
const count = (list, text) => list.filter((x) => x === text).length;
const shot = (page, name) => page.screenshot({ path: path.join(screenshotDir(), `${name}.png`) });

// A socket logged in with a token kept from an earlier login (no new
// password check, so it is quick right after a restart).
async function socketWithToken(server, token) {
  const ws = new WebSocket(server.wsUrl, 'ruche.v1');
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let id = 0;
  const waiting = new Map();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (waiting.has(m.re)) {
      waiting.get(m.re)(m);
      waiting.delete(m.re);
    }
  });
  const call = (op, params = {}) => new Promise((resolve, reject) => {
    id += 1;
    waiting.set(id, (m) => (m.ok ? resolve(m.data) : reject(new Error(m.error.code))));
    ws.send(JSON.stringify({ id, op, ...params }));
  });
  await call('auth', { token });
  return { call, close: () => ws.close() };
}

test('after a server restart the page catches up, losing and doubling nothing', { timeout: 90000 }, async () => {
  const first = await startServer();
  servers.push(first);
  await makeHive(first, 'Rust 2027');
  for (const [handle, name] of [['lea', 'Léa Martin'], ['leo', 'Léo Dubois'], ['bot', 'Bot']]) {
    await makeUser(first, handle, { displayName: name, hives: [['Rust 2027', 'learner']] });
  }
  const [lea, leo] = await Promise.all([person(first, 'lea'), person(first, 'leo', { colorScheme: 'dark' })]);
  const login = await (await fetch(`${first.url}/api/login`, {
    method: 'POST', body: JSON.stringify({ handle: 'bot', password: PASSWORD }),
  })).json();
  const bot = await socketWithToken(first, login.token);
  const general = (await bot.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'general');
  for (const n of [1, 2, 3]) {
    await bot.call('msg.send', { channel_id: general.id, text: `before ${n}`, nonce: `b${n}` });
  }
  for (const p of [lea, leo]) await p.page.locator('.tl .msg-text', { hasText: 'before 3' }).waitFor();
  bot.close();

  // The server goes away: the pages say so, and a message written now
  // waits to be sent.
  assert.deepEqual(await first.stop(), { code: 0, signal: null });
  for (const p of [lea, leo]) await p.page.locator('#conn-banner').waitFor({ state: 'visible' });
  const box = lea.page.locator('#composer-input');
  await box.fill('written while offline');
  await box.press('Enter');
  await lea.page.locator('.msg-failed', { hasText: 'written while offline' }).waitFor();
  await lea.page.locator('.msg-failed .msg-status', { hasText: 'you are offline' }).waitFor();
  await shot(lea.page, 'offline-light-desktop');

  // It comes back; someone posts at once, before the pages reconnect.
  const second = await startServer({ port: first.port, dir: first.dir });
  servers.push(second);
  const bot2 = await socketWithToken(second, login.token);
  for (const n of [1, 2, 3]) {
    await bot2.call('msg.send', { channel_id: general.id, text: `while away ${n}`, nonce: `w${n}` });
  }
  for (const p of [lea, leo]) {
    await p.page.locator('#conn-status[data-state="connected"]').waitFor();
    await p.page.locator('#conn-banner').waitFor({ state: 'hidden' });
    await p.page.locator('.tl .msg-text', { hasText: 'while away 3' }).waitFor();
    await p.page.locator('.tl .msg-text', { hasText: 'written while offline' }).waitFor();
  }
  await lea.page.locator('.msg-failed, .msg-sending').waitFor({ state: 'detached' });
  await bot2.call('msg.send', { channel_id: general.id, text: 'after', nonce: 'a1' });
  for (const p of [lea, leo]) await p.page.locator('.tl .msg-text', { hasText: /^after$/ }).waitFor();

  const expected = ['before 1', 'before 2', 'before 3', 'written while offline',
    'while away 1', 'while away 2', 'while away 3', 'after'];
  for (const p of [lea, leo]) {
    const seen = await texts(p.page);
    for (const text of expected) assert.equal(count(seen, text), 1, `${text} once in ${JSON.stringify(seen)}`);
    // The replayed messages keep their order.
    const away = seen.filter((x) => x.startsWith('while away') || x.startsWith('before') || x === 'after');
    assert.deepEqual(away, expected.filter((x) => x !== 'written while offline'));
  }
  // What the page shows is what the server stored: a reload shows the same.
  const live = await texts(leo.page);
  await leo.page.reload();
  await leo.page.locator('.tl .msg-text', { hasText: /^after$/ }).waitFor();
  assert.deepEqual(await texts(leo.page), live);
  bot2.close();

  // While the server was away, Chromium logs each refused connection.
  for (const p of [lea, leo]) {
    assert.deepEqual(p.problems.filter((x) => !/WebSocket connection to '[^']+' failed/.test(x)), []);
  }
});

test('history pages back without jumping, and search jumps to an old message', { timeout: 90000 }, async () => {
  const server = await startServer();
  servers.push(server);
  await makeHive(server, 'Rust 2027');
  await makeUser(server, 'lea', { displayName: 'Léa Martin', hives: [['Rust 2027', 'learner']] });
  await makeUser(server, 'bot', { displayName: 'Chatty Bot', hives: [['Rust 2027', 'learner']] });
  const bot = await wsAs(server, 'bot');
  const general = (await bot.call('channel.list', { hive_id: 1 })).channels.find((c) => c.name === 'general');
  const N = 160;
  for (let n = 1; n <= N; n++) {
    const text = n === 7 ? 'The secret word is pineapple' : `Message number ${n}`;
    await bot.call('msg.send', { channel_id: general.id, text, nonce: `n${n}` });
  }
  bot.close();

  const { page, problems } = await person(server, 'lea');
  await page.locator('.tl .msg-text', { hasText: `Message number ${N}` }).waitFor();
  assert.equal(await page.locator('.tl .msg-text', { hasText: 'Message number 2' }).count(), 0);

  // Up to the top: older messages load above, and what was on screen
  // stays where it was.
  for (let round = 0; round < 4; round++) {
    const before = await page.locator('.tl .msg').count();
    const anchor = await page.evaluate(() => {
      const s = document.querySelector('.scroller');
      s.scrollTop = 0;
      const el = document.querySelector('.tl .msg');
      return { key: el.dataset.key, top: el.getBoundingClientRect().top };
    });
    if (await page.locator('.tl-start').count()) break;
    await page.waitForFunction((n) => document.querySelectorAll('.tl .msg').length > n, before);
    await page.locator('.tl-loading').waitFor({ state: 'detached' });
    const after = await page.evaluate(
      (key) => document.querySelector(`.tl [data-key="${key}"]`).getBoundingClientRect().top, anchor.key,
    );
    assert.ok(Math.abs(after - anchor.top) < 3, `no jump: ${anchor.top} -> ${after}`);
  }
  await page.locator('.tl-start', { hasText: 'Welcome to #general' }).waitFor();
  assert.equal(await page.locator('.tl .msg').count(), N);

  // Search from a fresh page, so the old message is not loaded yet.
  await page.reload();
  await page.locator('.tl .msg-text', { hasText: `Message number ${N}` }).waitFor();
  await page.click('button[aria-label="Search"]');
  const input = page.locator('#side-panel input[type=search]');
  await input.fill('pineapple');
  await input.press('Enter');
  const result = page.locator('.result', { hasText: 'pineapple' });
  await result.waitFor();
  assert.equal(await result.locator('mark').first().textContent(), 'pineapple');
  await shot(page, 'search-light-desktop');
  await result.click();
  const target = page.locator('.tl .msg', { hasText: 'The secret word is pineapple' });
  await target.waitFor();
  await page.waitForFunction(() => {
    const el = document.querySelector('.msg-highlight');
    if (!el) return false;
    const r = el.getBoundingClientRect();
    const s = document.querySelector('.scroller').getBoundingClientRect();
    return r.top >= s.top && r.bottom <= s.bottom;
  });
  // The newest messages are a click away.
  await page.click('.jump-latest');
  await page.locator('.tl .msg-text', { hasText: `Message number ${N}` }).waitFor();
  await page.locator('.jump-latest').waitFor({ state: 'hidden' });

  assert.deepEqual(problems, []);
});
