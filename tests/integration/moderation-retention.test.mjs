// Issue 7, retention and the test clock through the real server: an
// admin sets how long a hive keeps its messages, and once the test clock
// passes it the server purges the old ones with their reactions,
// mentions, search rows and text in the event log, and writes the purge
// to the audit log.  Without --fake-clock, clock.advance does not exist.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { runRuche, startServer } from '../lib/server.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';
import { connect } from '../lib/client.mjs';
import { firstAdmin, login } from '../lib/api.mjs';
import { sqlite } from '../lib/sqlite.mjs';
import {
  admin,
  chatClient,
  fullHistory,
  like,
  loginAll,
  makeHive,
  refused,
} from '../lib/chat-setup.mjs';

const DAY = 86400 * 1000;

describe('retention', { timeout: 120000 }, () => {
  let server;
  let A; // mira (mentor); ann, ben (learners)
  let B; // olga (mentor); bob (learner): no retention
  let tok;
  const cl = {};
  const ch = {};
  const uid = (h) => tok[h].user.id;

  before(async () => {
    // Sessions and the event log outlive the days the clock moves.
    server = await startServer({ env: cleanEnv(), fakeClock: true, args: ['--session-ttl', '365', '--event-retention-days', '3650'] });
    [A, B] = await Promise.all([
      makeHive(server, 'Hive A', { mentors: ['mira'], learners: ['ann', 'ben'] }),
      makeHive(server, 'Hive B', { mentors: ['olga'], learners: ['bob'] }),
    ]);
    await admin(server, ['create-user', 'root', '--admin', '--password-stdin'], 'correct horse battery staple\n');
    const all = [...A.handles, ...B.handles];
    tok = await loginAll(server, all);
    tok.root = await login(server.port, 'root');
    await Promise.all([...all, 'root'].map(async (h) => (cl[h] = await chatClient(server, tok[h].token))));
    for (const x of (await cl.mira.call('channel.list', { hive_id: A.id })).channels) ch[x.name] = x;
    ch.B = (await cl.olga.call('channel.list', { hive_id: B.id })).channels[0];
  });

  after(async () => {
    for (const c of Object.values(cl)) if (!c.closeInfo) await c.close();
    await stopOk(server);
  });

  test('only admins set retention', async () => {
    await refused(cl.mira, 'hive.set_retention', { hive_id: A.id, days: 30 }, 'forbidden', 'a mentor');
    await refused(cl.ann, 'hive.set_retention', { hive_id: A.id, days: 30 }, 'forbidden', 'a learner');
    await refused(cl.root, 'hive.set_retention', { hive_id: 999999, days: 30 }, 'not_found');
    const r = await cl.root.call('hive.set_retention', { hive_id: A.id, days: 30 });
    assert.deepEqual(r, { hive_id: A.id, retention_days: 30 });
  });

  test('messages older than the retention are purged, with all they left behind', async () => {
    const g = ch.general.id;
    const old = (await cl.ann.call('msg.send', { channel_id: g, text: 'zebracorn secrets @ben' })).message;
    const thread = (await cl.ben.call('msg.send', { channel_id: g, text: 'old thread root' })).message;
    await cl.ann.call('msg.send', { channel_id: g, text: 'old reply in thread', thread_id: thread.id });
    await cl.mira.call('msg.react', { message_id: old.id, emoji: '👍' });
    await cl.mira.call('pin.add', { message_id: old.id });
    await cl.ann.call('report.create', { message_id: old.id, reason: 'keep the report' });
    const inB = (await cl.bob.call('msg.send', { channel_id: ch.B.id, text: 'zebracorn in B stays' })).message;
    await cl.root.call('clock.advance', { ms: 20 * DAY });
    const quote = (await cl.ben.call('msg.send', { channel_id: g, text: 'quoting the old one', reply_to: old.id })).message;
    const recent = (await cl.ann.call('msg.send', { channel_id: g, text: 'a recent zebracorn' })).message;
    assert.equal((await fullHistory(cl.ann, g)).length, 4);
    await cl.root.call('clock.advance', { ms: 11 * DAY });
    const hist = await fullHistory(cl.ann, g);
    assert.deepEqual(hist.map((m) => m.id), [quote.id, recent.id], 'only the last 30 days remain');
    assert.equal(hist[0].reply_to, undefined, 'the quote lost what it quoted');
    assert.deepEqual((await cl.ann.call('msg.search', { query: 'zebracorn' })).results.map((r) => r.message_id).sort(),
      [recent.id].sort());
    assert.deepEqual((await cl.bob.call('msg.search', { query: 'zebracorn' })).results.map((r) => r.message_id), [inB.id],
      'another hive keeps everything');
    assert.deepEqual((await cl.ann.call('pin.list', { channel_id: g })).pins, []);
    like((await cl.mira.call('report.list', { hive_id: A.id })).reports[0], { message_id: null, reason: 'keep the report' });
    const entries = (await cl.mira.call('audit.list', { hive_id: A.id, action: 'retention_purge' })).entries;
    assert.equal(entries.length, 1);
    like(entries[0], { actor_id: null, automatic: true });
    like(entries[0].detail, { messages: 3, days: 30 });
    like((await cl.mira.call('audit.list', { hive_id: A.id, action: 'retention_set' })).entries[0],
      { actor_id: uid('root'), detail: { days: 30 } });
    const db = server.dbPath;
    const ids = `(${old.id}, ${thread.id})`;
    assert.deepEqual(sqlite(db, `SELECT count(*) AS n FROM reactions WHERE message_id IN ${ids}`), [{ n: 0 }]);
    assert.deepEqual(sqlite(db, `SELECT count(*) AS n FROM mentions WHERE message_id IN ${ids}`), [{ n: 0 }]);
    const texts = sqlite(db, `SELECT json_extract(data, '$.message.text') AS t FROM events WHERE kind = 'msg.created' AND hive_id = ${A.id} ORDER BY pos`);
    assert.deepEqual(texts.map((r) => r.t), ['', '', '', 'quoting the old one', 'a recent zebracorn']);
  });

  test('days 0 keeps messages forever again', async () => {
    const g = ch.general.id;
    assert.deepEqual(await cl.root.call('hive.set_retention', { hive_id: A.id, days: 0 }), { hive_id: A.id, retention_days: null });
    await cl.root.call('clock.advance', { ms: 31 * DAY });
    assert.equal((await fullHistory(cl.ann, g)).length, 2);
    assert.equal((await fullHistory(cl.bob, ch.B.id)).length, 1);
  });

  test('RUCHE_FAKE_CLOCK=1 starts the test clock too', async () => {
    const other = await startServer({ env: cleanEnv({ RUCHE_FAKE_CLOCK: '1' }) });
    try {
      const { ws } = await firstAdmin(other);
      const { time: t0 } = await ws.call('ping');
      const { time } = await ws.call('clock.advance', { ms: 5 * DAY });
      assert.equal(time, t0 + 5 * DAY, 'the clock stood still, then moved by exactly that');
      await refused(ws, 'clock.advance', { ms: 32 * DAY }, 'invalid_param', 'more than 31 days');
      await ws.close();
    } finally {
      await stopOk(other);
    }
  });

  test('without --fake-clock, clock.advance is an unknown operation', async () => {
    const real = await startServer({ env: cleanEnv() });
    try {
      const c = await connect(real.wsUrl);
      const r = await c.request('clock.advance', { ms: 1000 }, { check: false });
      assert.equal(r.error.code, 'unknown_op');
      await c.close();
    } finally {
      await stopOk(real);
    }
    const help = await runRuche(['serve', '--help']);
    assert.match(help.stdout, /--fake-clock/);
  });
});
