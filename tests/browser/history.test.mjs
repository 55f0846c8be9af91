// A channel with ten thousand messages in its history: the page keeps
// only the rows near the view in the DOM, shows every message once and in
// order while one scrolls up to the very first, does not move what is on
// screen when older pages arrive above it, still sticks to the bottom,
// announces a message that arrives (and nothing paged in), edits one's
// own last message with Up, and jumps to an old search result.
// No timings are asserted (the machine is shared): DOM size and order are
// what is checked.
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

const N = 10000;
const SECRET = 123; // the message search finds, far back in the history
const MAX_ROWS = 200; // rows (messages and day lines) the page may hold at once

// Sends N messages from several people at once, a few requests in flight
// each: message n says "History line n" (one says the secret word, and
// some reply to an earlier one).  Returns the ids, oldest first.
async function fill(people, channelId) {
  const ids = new Map();
  let next = 1;
  await Promise.all(people.map(async (c) => {
    const inflight = new Set();
    while (next <= N) {
      const n = next++;
      const text = n === SECRET ? 'The secret word is pineapple' : `History line ${n}`;
      const params = { channel_id: channelId, text, nonce: `h${n}` };
      if (n % 997 === 0 && ids.has(n - 600)) params.reply_to = ids.get(n - 600);
      const p = c.call('msg.send', params).then((r) => {
        ids.set(n, r.message.id);
        inflight.delete(p);
      });
      inflight.add(p);
      if (inflight.size >= 32) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }));
  const sorted = [...ids.values()].sort((a, b) => a - b);
  assert.equal(sorted.length, N);
  return { sorted, secretId: ids.get(SECRET) };
}

// What the page holds and shows (run in the page): the ids of the
// messages in the DOM (in order) and of those in view, the number of rows,
// how many messages are loaded, and the message at the top of the view
// (the first one whose bottom is in view) with its place on screen.
async function probe() {
  const s = document.querySelector('.scroller');
  const v = s.getBoundingClientRect();
  const dom = [];
  const shown = [];
  let anchor = null;
  for (const el of document.querySelectorAll('.tl .msg')) {
    const id = Number(el.dataset.id);
    dom.push(id);
    const r = el.getBoundingClientRect();
    if (r.bottom > v.top && r.top < v.bottom) shown.push(id);
    if (!anchor && r.bottom > v.top + 1 && r.top < v.bottom) anchor = { id, top: r.top };
  }
  const { store } = await import('/js/store.js');
  const tl = store.timelines.get(store.route.channelId);
  return {
    dom,
    shown,
    anchor,
    rows: document.querySelectorAll('.tl > [data-key]').length,
    loaded: tl.messages.length,
    loading: tl.olderLoading,
    atTop: Boolean(document.querySelector('.tl-start')),
  };
}

// One step up, a little less than the height of the view (run in the
// page): what the page showed as the scroll was handled (before the older
// messages it asked for can arrive), two frames later, and once they are
// in; and where the message at the top of the view at first is then.
async function stepUp() {
  const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const s = document.querySelector('.scroller');
  const to = Math.max(0, s.scrollTop - s.clientHeight * 0.9);
  const early = to === s.scrollTop ? await window.probe() : await new Promise((resolve) => {
    s.addEventListener('scroll', () => resolve(window.probe()), { once: true });
    s.scrollTop = to;
  });
  await frames();
  const a = await window.probe();
  let b = a;
  if (early.loading || a.loading) {
    const { store } = await import('/js/store.js');
    for (let i = 0; i < 1000 && store.timelines.get(store.route.channelId).olderLoading; i++) {
      await frames();
    }
    await frames();
    b = await window.probe();
  }
  const el = early.anchor && document.querySelector(`.tl [data-id="${early.anchor.id}"]`);
  return { early, a, b, anchorTop: el ? el.getBoundingClientRect().top : null };
}

// The two functions above, for the page's own use.
async function installProbe(page) {
  await page.evaluate(`window.probe = ${probe}; window.stepUp = ${stepUp}`);
}

function snapshot(page) {
  return page.evaluate(() => window.probe());
}

// The DOM holds a run of consecutive messages of the history, in order.
function assertRun(sorted, where, ids, what) {
  if (!ids.length) return;
  const at = where.get(ids[0]);
  assert.ok(at !== undefined, `${what}: message ${ids[0]} is one of the channel's`);
  assert.deepEqual(ids, sorted.slice(at, at + ids.length), `${what}: consecutive, in order, once each`);
}

test('ten thousand messages: a bounded page, every message once, no jumps', { timeout: 280000 }, async () => {
  const server = await startServer();
  servers.push(server);
  await makeHive(server, 'Rust 2027');
  const authors = ['ana', 'ben', 'chloe', 'dan'];
  await Promise.all([...authors, 'lea'].map((x) => makeUser(server, x, {
    displayName: x[0].toUpperCase() + x.slice(1), hives: [['Rust 2027', 'learner']],
  })));
  const people = await Promise.all(authors.map((x) => wsAs(server, x)));
  const general = (await people[0].call('channel.list', { hive_id: 1 })).channels
    .find((c) => c.name === 'general');
  const { sorted, secretId } = await fill(people, general.id);
  const where = new Map(sorted.map((id, i) => [id, i]));

  const p = await openAs(browser, server, 'lea');
  contexts.push(p.context);
  const { page, problems } = p;
  page.setDefaultTimeout(20000);
  // A tall window: fewer steps up the history (the page holds more rows).
  await page.setViewportSize({ width: 1280, height: 1600 });
  await page.locator('.tl .msg-text', { hasText: `History line ${N}` }).waitFor();
  await installProbe(page);

  // Up, a little less than a screen at a time, to the very first message.
  const start = await snapshot(page);
  assert.ok(start.rows <= MAX_ROWS);
  assert.equal(start.shown.at(-1), sorted.at(-1), 'the newest message is in view');
  let prevTop = where.get(start.shown[0]); // the topmost message in view
  const seen = new Set(start.shown);
  let loadsChecked = 0;
  let maxRows = 0;
  for (let step = 0; ; step++) {
    assert.ok(step < 5000, 'reaches the first message');
    const { early, a, b, anchorTop } = await page.evaluate(() => window.stepUp());
    for (const snap of [a, b]) {
      maxRows = Math.max(maxRows, snap.rows);
      assert.ok(snap.rows <= MAX_ROWS, `step ${step}: ${snap.rows} rows in the page`);
      assertRun(sorted, where, snap.dom, `step ${step}`);
      assertRun(sorted, where, snap.shown, `step ${step}, in view`);
      for (const id of snap.shown) seen.add(id);
    }
    if (early.anchor) {
      assert.ok(anchorTop !== null && Math.abs(anchorTop - early.anchor.top) < 3,
        `step ${step}: message ${early.anchor.id} stays in place (${early.anchor.top} -> ${anchorTop}) while ${early.loaded} -> ${b.loaded} loaded`);
      if (b.loaded > early.loaded) loadsChecked++;
    }
    // Nothing skipped between two steps: the view moved less than its height.
    if (a.shown.length) {
      const lowest = where.get(a.shown.at(-1));
      assert.ok(lowest >= prevTop - 1,
        `step ${step}: the view did not skip messages (${sorted[prevTop]} was at the top, now ${a.shown[0]}..${a.shown.at(-1)})`);
      prevTop = where.get(b.shown[0] ?? a.shown[0]);
    }
    if (b.atTop && b.shown.includes(sorted[0])) {
      console.log(`history: ${step + 1} steps up, ${loadsChecked} pages loaded under a watched message, at most ${maxRows} rows in the page`);
      break;
    }
  }
  assert.equal(seen.size, N, 'every message was on screen');
  assert.ok(loadsChecked >= 50, `older pages arrived under a watched message (${loadsChecked})`);
  assert.ok(maxRows > 40, `the page held the rows around the view (${maxRows})`);
  // What paging brought in was never read out.
  assert.equal(await page.locator('.announcer > *').count(), 0);
  await page.screenshot({ path: path.join(screenshotDir(), 'history-top-light-desktop.png') });

  // Down to the newest again, all ten thousand loaded: a message that
  // arrives there is in view and said; one's own can be edited with Up.
  await page.click('.jump-latest');
  await page.locator('.jump-latest').waitFor({ state: 'hidden' });
  await people[1].call('msg.send', { channel_id: general.id, text: 'Fresh news from Ben', nonce: 'fresh' });
  await page.locator('.announcer', { hasText: 'Ben: Fresh news from Ben' }).waitFor({ state: 'attached' });
  const lastInView = (text) => page.waitForFunction((want) => {
    // After a jump to the latest, the timeline is empty until its page comes.
    const el = [...document.querySelectorAll('.tl .msg')].at(-1);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    const v = document.querySelector('.scroller').getBoundingClientRect();
    return el.textContent.includes(want) && r.bottom <= v.bottom + 1 && r.top >= v.top;
  }, text);
  await lastInView('Fresh news from Ben');
  await page.fill('#composer-input', 'My line at the end');
  await page.press('#composer-input', 'Enter');
  await lastInView('My line at the end');
  await page.press('#composer-input', 'ArrowUp');
  const editor = page.locator('.tl .edit-input');
  await editor.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('edit-input')), true);
  await editor.fill('My line at the end, edited');
  await editor.press('Enter');
  await page.locator('.tl .msg', { hasText: 'My line at the end, edited' }).locator('.msg-edited').waitFor();
  let snap = await snapshot(page);
  assert.ok(snap.rows <= MAX_ROWS, `${snap.rows} rows at the bottom`);
  assert.equal(snap.loaded, N + 2);
  assertRun(sorted, where, snap.dom.slice(0, -2), 'at the bottom');
  assert.equal(snap.dom.at(-3), sorted.at(-1));
  assert.equal(await page.locator('.announcer > *').count(), 1, 'only the new message of someone else was said');

  // Search from a fresh page: the old message is far from what is loaded.
  await page.reload();
  await page.locator('.tl .msg-text', { hasText: 'My line at the end, edited' }).waitFor();
  await installProbe(page);
  await page.click('button[aria-label="Search"]');
  const input = page.locator('#side-panel input[type=search]');
  await input.fill('pineapple');
  await input.press('Enter');
  await page.locator('.result', { hasText: 'pineapple' }).click();
  await page.waitForFunction((id) => {
    const el = document.querySelector(`.tl [data-id="${id}"]`);
    if (!el?.classList.contains('msg-highlight')) return false;
    const r = el.getBoundingClientRect();
    const s = document.querySelector('.scroller').getBoundingClientRect();
    return r.top >= s.top && r.bottom <= s.bottom;
  }, secretId);
  snap = await snapshot(page);
  assert.ok(snap.rows <= MAX_ROWS, `${snap.rows} rows after the jump`);
  assertRun(sorted, where, snap.dom, 'around the search result');
  assert.ok(snap.shown.includes(secretId));
  await page.click('.jump-latest');
  await lastInView('My line at the end, edited');

  for (const c of people) c.close();
  assert.deepEqual(problems, []);
});
