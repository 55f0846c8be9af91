// Issue 8, peer pairing in the browser: a mentor opens the hive's "Peer
// pairing" page among the mentor tools, turns pairing on for a weekday
// and time of their own zone, pairs the learners now and sees the round
// in the history; a learner gets the prompt in a direct conversation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { startServer } from '../lib/server.mjs';
import { cleanEnv, eventually, stopOk } from '../lib/util.mjs';
import { launchBrowser, makeHive, makeUser, openAs, screenshotDir, wsAs } from '../lib/browser.mjs';

describe('peer pairing in the browser', { timeout: 120000 }, () => {
  let server;
  let browser;
  let hiveId;

  before(async () => {
    server = await startServer({ env: cleanEnv() });
    hiveId = Number((await makeHive(server, 'Pairing Hive')).trim());
    await makeUser(server, 'mona', { displayName: 'Mona Mentor', hives: [[String(hiveId), 'mentor']] });
    for (const [h, n] of [['lea', 'Léa'], ['tom', 'Tom'], ['ines', 'Inès'], ['ugo', 'Ugo']]) {
      await makeUser(server, h, { displayName: n, hives: [[String(hiveId), 'learner']] });
    }
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stopOk(server);
  });

  test('a mentor turns pairing on, pairs now and reads the history', async () => {
    const lea = await wsAs(server, 'lea');
    await lea.call('sync');
    const { context, page, problems } = await openAs(browser, server, 'mona', { locale: 'en-US' });
    await page.goto(`${server.url}/#/admin/h/${hiveId}/pairing`);
    const form = page.locator('#pairing-form');
    await form.waitFor();
    assert.match(await form.locator('.pairing-next').textContent(), /off/i);
    // The default prompt shows as the placeholder of an empty field.
    assert.match(await form.locator('textarea[name=prompt]').getAttribute('placeholder'), /peer pairing/);

    await form.locator('input[name=enabled]').check();
    await form.locator('select[name=every_days]').selectOption('14');
    await form.locator('select[name=weekday]').selectOption('3');
    await form.locator('input[name=time]').fill('18:30');
    await form.locator('textarea[name=prompt]').fill('What did you learn this week?');
    await form.locator('button[type=submit]').click();
    await page.locator('#pairing-form .form-msg[data-kind=ok]').waitFor();
    assert.match(await form.locator('.pairing-next').textContent(), /Next round: Wednesday/);
    const { pairing } = await lea.call('pairing.get', { hive_id: hiveId });
    assert.equal(pairing.enabled, true);
    assert.equal(pairing.every_days, 14);
    assert.equal(pairing.prompt, 'What did you learn this week?');
    const next = new Date(pairing.next_at);
    // The browser's zone is the test's (both run here).
    assert.equal(next.getDay(), 3);
    assert.equal(`${next.getHours()}:${next.getMinutes()}`, '18:30');

    await form.getByRole('button', { name: 'Pair now' }).click();
    await page.locator('.pairing-rounds > li').first().waitFor();
    const groups = await page.locator('.pairing-rounds .pairing-groups > li').allTextContents();
    assert.equal(groups.length, 2);
    assert.ok(groups.some((g) => g.includes('Léa')), groups.join(' / '));
    // Léa got the prompt in her conversation with her partner.
    await eventually(() => lea.events.some((e) => e.ev === 'msg.created' &&
      e.data.message.text === 'What did you learn this week?'), { what: 'the prompt reaches Léa' });
    await page.screenshot({ path: path.join(screenshotDir(), 'pairing-mentor.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
    lea.close();
  });
});
