// Issue 7, reports, the automatic guard and the audit log through the
// real server: reports reach the mentors live and in a queue, the
// reporter learns only that theirs was handled; blocked words, the link
// limit of new members and the flood rule fire with their audit
// entries; the audit log filters, exports as CSV and JSON, and refuses
// any change even from sqlite3.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';
import { api, assertApiError, login } from '../lib/api.mjs';
import { defValidator } from '../lib/client.mjs';
import { sqlite } from '../lib/sqlite.mjs';
import {
  admin,
  barrier,
  chatClient,
  fullHistory,
  like,
  loginAll,
  makeHive,
  received,
  refused,
  waitCount,
} from '../lib/chat-setup.mjs';

describe('reports, guard and audit', { timeout: 120000 }, () => {
  let server;
  let A; // mira, mona (mentors); ann, ben, cat, dan (learners)
  let B; // olga (mentor); bob (learner)
  let tok;
  const cl = {};
  const ch = {};
  const uid = (h) => tok[h].user.id;

  before(async () => {
    server = await startServer({ env: cleanEnv(), fakeClock: true });
    [A, B] = await Promise.all([
      makeHive(server, 'Hive A', { mentors: ['mira', 'mona'], learners: ['ann', 'ben', 'cat', 'dan'] }),
      makeHive(server, 'Hive B', { mentors: ['olga'], learners: ['bob'] }),
    ]);
    await admin(server, ['create-user', 'root', '--admin', '--password-stdin'], 'correct horse battery staple\n');
    const all = [...A.handles, ...B.handles];
    tok = await loginAll(server, all);
    tok.root = await login(server.port, 'root');
    await Promise.all([...all, 'root'].map(async (h) => (cl[h] = await chatClient(server, tok[h].token))));
    for (const x of (await cl.mira.call('channel.list', { hive_id: A.id })).channels) ch[x.name] = x;
  });

  after(async () => {
    for (const c of Object.values(cl)) if (!c.closeInfo) await c.close();
    await stopOk(server);
  });

  async function audit(params = {}) {
    return (await cl.mira.call('audit.list', { hive_id: A.id, ...params })).entries;
  }

  test('reports reach the mentors; the reporter learns it was handled, not how', async () => {
    const { message } = await cl.ben.call('msg.send', { channel_id: ch.general.id, text: 'report me' });
    const { report } = await cl.ann.call('report.create', { message_id: message.id, reason: 'unkind' });
    like(report, { message_id: message.id, hive_id: A.id, channel_id: ch.general.id, status: 'open', reason: 'unkind' });
    assert.equal(report.reporter_id, undefined, 'the reply does not name people');
    const mine = (d) => d.report.id === report.id;
    for (const h of ['mira', 'mona', 'root']) await waitCount(cl[h], 'report.created', 1, mine);
    like(received(cl.mira, 'report.created', mine)[0].data.report, { reporter_id: uid('ann'), author_id: uid('ben') });
    // Twice by the same person: the same report, no new event.
    const again = await cl.ann.call('report.create', { message_id: message.id, reason: 'still unkind' });
    assert.equal(again.report.id, report.id);
    const other = (await cl.cat.call('report.create', { message_id: message.id, reason: 'rude' })).report;
    await waitCount(cl.mira, 'report.created', 1, (d) => d.report.id === other.id);
    await barrier(cl.mira);
    assert.equal(received(cl.mira, 'report.created', mine).length, 1);
    await barrier(cl.ben);
    assert.equal(received(cl.ben, 'report.created').length, 0, 'learners get no report events');
    // A learner sees only their own reports, never who else reported.
    const annList = (await cl.ann.call('report.list', { hive_id: A.id })).reports;
    assert.deepEqual(annList.map((r) => r.id), [report.id]);
    assert.equal(annList[0].reporter_id, undefined);
    const queue = (await cl.mira.call('report.list', { hive_id: A.id, status: 'open' })).reports;
    assert.deepEqual(queue.map((r) => [r.id, r.reporter_id]), [[other.id, uid('cat')], [report.id, uid('ann')]]);
    // Refusals.
    await refused(cl.ann, 'report.resolve', { report_id: report.id, outcome: 'dismissed' }, 'forbidden', 'a learner resolving');
    await refused(cl.olga, 'report.resolve', { report_id: report.id, outcome: 'dismissed' }, 'not_found', 'another hive');
    await refused(cl.bob, 'report.create', { message_id: message.id, reason: 'x' }, 'not_found', 'a message he cannot read');
    // Resolution.
    const done = (await cl.mira.call('report.resolve', { report_id: report.id, outcome: 'dismissed', note: 'banter' })).report;
    like(done, { status: 'dismissed', resolved_by: uid('mira'), note: 'banter' });
    assert.ok(done.resolved_at >= done.created_at);
    await waitCount(cl.ann, 'report.handled', 1, (d) => d.report_id === report.id);
    like(received(cl.ann, 'report.handled')[0].data, { report_id: report.id, hive_id: A.id });
    await waitCount(cl.mona, 'report.resolved', 1, (d) => d.report.id === report.id && d.report.status === 'dismissed');
    const annAfter = (await cl.ann.call('report.list', { hive_id: A.id })).reports[0];
    like(annAfter, { status: 'handled' });
    assert.equal(annAfter.note, undefined, 'not how');
    await refused(cl.mira, 'report.resolve', { report_id: report.id, outcome: 'actioned' }, 'already_exists');
    await cl.mira.call('mod.delete', { message_id: message.id, reason: 'reported' });
    await cl.mona.call('report.resolve', { report_id: other.id, outcome: 'actioned' });
    assert.deepEqual((await cl.mira.call('report.list', { hive_id: A.id, status: 'open' })).reports, []);
    const entries = await audit({ action: 'resolve_report' });
    assert.deepEqual(entries.map((e) => [e.actor_id, e.detail.outcome, e.detail.report_id]),
      [[uid('mona'), 'actioned', other.id], [uid('mira'), 'dismissed', report.id]]);
  });

  test('guard: blocked words are refused to learners, with an automatic audit entry', async () => {
    const g = ch.general.id;
    const set = await cl.mira.call('guard.set', { hive_id: A.id, blocked_words: ['Darn', ' bad phrase ', 'darn'] });
    like(set.guard, { blocked_words: ['darn', 'bad phrase'], flood_messages: 0, new_member_days: 0 });
    like((await cl.mona.call('guard.get', { hive_id: A.id })).guard, { blocked_words: ['darn', 'bad phrase'] });
    const before = await fullHistory(cl.ann, g);
    await refused(cl.ann, 'msg.send', { channel_id: g, text: 'this is DARN annoying' }, 'blocked_word');
    await refused(cl.ann, 'msg.send', { channel_id: g, text: 'what a Bad  phrase'.replace('  ', ' ') }, 'blocked_word');
    assert.deepEqual(await fullHistory(cl.ann, g), before, 'nothing stored');
    const ok = (await cl.ann.call('msg.send', { channel_id: g, text: 'darned socks are fine' })).message;
    await refused(cl.ann, 'msg.edit', { message_id: ok.id, text: 'darn socks' }, 'blocked_word', 'an edit is no way around');
    await cl.mira.call('msg.send', { channel_id: g, text: 'mentors may say darn' });
    const [e] = await audit({ action: 'blocked_word', automatic: true });
    like(e, { actor_id: null, automatic: true, target_user_id: uid('ann'), channel_id: g });
    assert.ok(['darn', 'bad phrase'].includes(e.detail.word));
    assert.equal((await audit({ action: 'blocked_word' })).length, 3);
    await refused(cl.mira, 'guard.set', { hive_id: A.id, blocked_words: [''] }, 'invalid_param', 'an empty word');
    await cl.mira.call('guard.set', { hive_id: A.id, blocked_words: [] });
    await cl.ann.call('msg.send', { channel_id: g, text: 'darn, allowed again' });
  });

  test('guard: new members may post only so many links', async () => {
    const g = ch.general.id;
    await cl.mira.call('guard.set', { hive_id: A.id, new_member_days: 7, new_member_link_limit: 1 });
    const two = 'see https://example.org and www.example.com';
    await refused(cl.ben, 'msg.send', { channel_id: g, text: two }, 'link_limit');
    await cl.ben.call('msg.send', { channel_id: g, text: 'just http://example.org' });
    await cl.mira.call('msg.send', { channel_id: g, text: two });
    like((await audit({ action: 'link_limit' }))[0], { automatic: true, target_user_id: uid('ben'), detail: { links: 2, limit: 1 } });
    await cl.root.call('clock.advance', { ms: 8 * 86400 * 1000 });
    await cl.ben.call('msg.send', { channel_id: g, text: two });
  });

  test('guard: a flooding learner is muted automatically; a mentor undoes it', async () => {
    const g = ch.help.id;
    await cl.root.call('clock.advance', { ms: 61 * 1000 }); // earlier posts age out
    await cl.mira.call('guard.set', { hive_id: A.id, flood_messages: 3, flood_seconds: 60, flood_mute_seconds: 300 });
    for (let i = 1; i <= 3; i++) await cl.dan.call('msg.send', { channel_id: g, text: `spam ${i}` });
    const r = await refused(cl.dan, 'msg.send', { channel_id: g, text: 'spam 4' }, 'muted');
    const { time } = await cl.root.call('clock.advance', { ms: 1 });
    assert.equal(r.error.until, time - 1 + 300 * 1000);
    await waitCount(cl.ann, 'mod.muted', 1, (d) => d.user_id === uid('dan') && d.automatic === true);
    const [e] = await audit({ action: 'flood_mute' });
    like(e, { actor_id: null, automatic: true, target_user_id: uid('dan'), detail: { messages: 4, within_seconds: 60, seconds: 300, until: r.error.until } });
    await refused(cl.dan, 'msg.send', { channel_id: g, text: 'still muted' }, 'muted');
    await cl.mona.call('mod.unmute', { hive_id: A.id, user_id: uid('dan') });
    like((await audit({ action: 'unmute' }))[0], { actor_id: uid('mona'), target_user_id: uid('dan') });
    await cl.root.call('clock.advance', { ms: 61 * 1000 });
    await cl.dan.call('msg.send', { channel_id: g, text: 'calm now' });
    await cl.mira.call('guard.set', { hive_id: A.id, flood_messages: 0 });
  });

  test('audit.list filters and pages; only mentors of the hive and admins read it', async () => {
    const all = await audit({ limit: 500 });
    assert.ok(all.length >= 10);
    for (const e of all) assert.equal(e.hive_id, A.id);
    const byMira = await audit({ actor_id: uid('mira') });
    assert.ok(byMira.length > 0 && byMira.every((e) => e.actor_id === uid('mira')));
    const auto = await audit({ automatic: true });
    assert.ok(auto.length >= 4 && auto.every((e) => e.automatic && e.actor_id === null));
    const onDan = await audit({ target_id: uid('dan') });
    assert.ok(onDan.every((e) => e.target_user_id === uid('dan')));
    const page1 = await cl.mira.call('audit.list', { hive_id: A.id, limit: 3 });
    assert.equal(page1.entries.length, 3);
    assert.equal(page1.more, true);
    const page2 = await cl.mira.call('audit.list', { hive_id: A.id, limit: 3, before_id: page1.entries[2].id });
    assert.deepEqual([...page1.entries, ...page2.entries].map((e) => e.id), all.slice(0, 6).map((e) => e.id));
    const last = all[0].created_at;
    assert.ok((await audit({ since: last + 1 })).length === 0);
    assert.deepEqual((await audit({ until: last + 1 })).map((e) => e.id), all.map((e) => e.id));
    await refused(cl.olga, 'audit.list', { hive_id: A.id }, 'not_found');
    await refused(cl.ann, 'audit.list', { hive_id: A.id }, 'forbidden');
    assert.ok((await cl.root.call('audit.list', { hive_id: A.id })).entries.length > 0);
  });

  test('the audit log is append-only, even for sqlite3', () => {
    const [{ n }] = sqlite(server.dbPath, 'SELECT count(*) AS n FROM audit_log');
    assert.ok(n > 0);
    assert.throws(() => sqlite(server.dbPath, "UPDATE audit_log SET reason = 'edited'"), /append-only/);
    assert.throws(() => sqlite(server.dbPath, 'DELETE FROM audit_log'), /append-only/);
    assert.deepEqual(sqlite(server.dbPath, "SELECT count(*) AS n FROM audit_log WHERE reason = 'edited'"), [{ n: 0 }]);
    assert.deepEqual(sqlite(server.dbPath, 'SELECT count(*) AS n FROM audit_log'), [{ n }]);
  });

  test('the audit log exports as CSV (quoted, formula-safe) and JSON', async () => {
    const reason = '=HYPERLINK("http://x"), then "more"\nline two';
    await cl.mira.call('mod.mute', { hive_id: A.id, user_id: uid('cat'), seconds: 60, reason });
    const path = `/api/hives/${A.id}/audit`;
    const csv = await api(server.port, 'GET', `${path}?format=csv&action=mute`, { token: tok.mira.token, check: false });
    assert.equal(csv.status, 200, csv.text);
    assert.match(csv.headers['content-type'], /^text\/csv/);
    assert.match(csv.headers['content-disposition'], /attachment; filename="ruche-audit.csv"/);
    const lines = csv.text.split('\r\n');
    assert.equal(lines[0], 'id,created_at,hive_id,actor_id,automatic,action,target_user_id,message_id,channel_id,reason,detail');
    assert.ok(csv.text.includes(`,no,mute,${uid('cat')},,,"'=HYPERLINK(""http://x""), then ""more""\nline two",`), csv.text);
    assert.ok(csv.text.endsWith('\r\n'));
    const json = await api(server.port, 'GET', `${path}?format=json&target_id=${uid('cat')}`, { token: tok.root.token });
    assert.equal(json.status, 200);
    assert.ok(Array.isArray(json.body) && json.body.length >= 1);
    const v = defValidator('api.audit.reply');
    assert.ok(v(json.body), JSON.stringify(v.errors));
    like(json.body[0], { action: 'mute', reason, target_user_id: uid('cat') });
    // The browser's way: the session cookie.
    const full = await api(server.port, 'GET', path, { cookie: `ruche_session=${tok.mira.token}` });
    assert.equal(full.body.length, (await audit({ limit: 500 })).length, 'JSON by default, every entry');
    assertApiError(await api(server.port, 'GET', path, { token: tok.ann.token }), 403, 'forbidden', 'a learner');
    assertApiError(await api(server.port, 'GET', path, { token: tok.olga.token }), 404, 'not_found', 'another hive');
    assertApiError(await api(server.port, 'GET', path), 401, 'unauthenticated', 'no session');
    assertApiError(await api(server.port, 'GET', `${path}?format=xml`, { token: tok.mira.token }), 400, 'invalid_param');
    await barrier(cl.mira);
    for (const c of Object.values(cl)) c.assertClean();
  });
});
