// Issue 9, `ruche backup`, `ruche restore` and `ruche check`: a backup
// taken while a client writes without pause is sound and holds every
// message acknowledged before it began; it restores into a new place,
// where a server starts on it; restore refuses a database in use, an
// existing one without --force, and a damaged backup; check finds a
// damaged file and says so with exit status 1.  `ruche optimize` merges
// the search index of a stopped server's database into one piece.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { startServer, tempDir } from '../lib/server.mjs';
import { cleanEnv, eventually, killAfter, run, stopOk } from '../lib/util.mjs';
import { sqlite } from '../lib/sqlite.mjs';
import { channelByName, chatClient, fullHistory, loginAll, makeHive } from '../lib/chat-setup.mjs';

const PAGE = 4096;

describe('backup, restore and check', { timeout: 180000 }, () => {
  test('--help of each command', async () => {
    for (const cmd of ['backup', 'restore', 'check', 'optimize']) {
      const r = await run([cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: ruche ${cmd} `));
      assert.match(r.stdout, /--db PATH/);
    }
    const top = await run(['--help']);
    for (const cmd of ['backup', 'restore', 'check', 'optimize']) assert.match(top.stdout, new RegExp(`\\n  ${cmd} `));
    const bad = await run(['backup']);
    assert.equal(bad.code, 2, 'a missing DEST is a usage error');
    assert.match(bad.stderr, /missing DEST/);
    assert.equal((await run(['check', '--db'])).code, 2);
    assert.equal((await run(['restore', 'a', 'b'])).code, 2);
    assert.equal((await run(['optimize', 'extra'])).code, 2);
    assert.equal((await run(['optimize', '--force'])).code, 2);
  });

  test('a PostgreSQL store is PostgreSQL\'s tools\' to back up: refused, said so', async () => {
    const where = 'postgres://ruche:s3cret@127.0.0.1/ruche';
    for (const args of [['backup', '--db', where, 'x.db'], ['check', '--db', where], ['restore', 'x.db', '--db', where],
      ['optimize', '--db', where]]) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /pg_dump/);
      assert.ok(!r.stderr.includes('s3cret'));
    }
    // RUCHE_STORE too.
    const r = await run(['check'], { env: { RUCHE_STORE: where } });
    assert.equal(r.code, 2, r.stderr);
  });

  test('a backup while a client writes; check, restore, and a server on the copy', async (t) => {
    const env = cleanEnv();
    const server = killAfter(t, await startServer({ env }));
    const work = tempDir('ruche-backup-');
    const dest = path.join(work, 'copy.db');
    let second;
    try {
      const hive = await makeHive(server, 'Backup', { learners: ['ann', 'ben'] });
      const tok = await loginAll(server, hive.handles);
      const ann = await chatClient(server, tok.ann.token);
      const general = await channelByName(ann, hive.id, 'general');

      // ann writes without pause, 8 sends in flight, until told to stop.
      const acked = new Set();
      const sent = new Set();
      let stop = false;
      let k = 0;
      const writer = async () => {
        while (!stop) {
          const text = `backup test ${k++} ${'z'.repeat(120)}`;
          sent.add(text);
          await ann.call('msg.send', { channel_id: general.id, text, nonce: `n${k}` }, { timeoutMs: 20000 });
          acked.add(text);
        }
      };
      const writing = Promise.all(Array.from({ length: 8 }, writer));
      await eventually(() => acked.size >= 300, { timeoutMs: 60000, what: '300 messages' });

      const ackedBefore = new Set(acked);
      const backup = await run(['backup', '--db', server.dbPath, dest], { timeoutMs: 60000 });
      // check reads the live database too, writes going on.
      const live = await run(['check', '--db', server.dbPath], { timeoutMs: 60000 });
      assert.equal(live.code, 0, live.stdout + live.stderr);
      assert.match(live.stdout, /\nok\n$/);
      assert.match(live.stdout, /^search index: not checked while a server uses the database$/m);
      const duringBackup = acked.size - ackedBefore.size;
      await eventually(() => acked.size >= ackedBefore.size + duringBackup + 50, { timeoutMs: 30000, what: 'writes after the backup' });
      stop = true;
      await writing;
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(backup.stdout, /^backed up .* to .*copy\.db \(\d+ bytes\)\n$/);
      t.diagnostic(`${ackedBefore.size} acknowledged before the backup, ${duringBackup} during it, ${acked.size} in all`);

      // The copy is sound.
      const check = await run(['check', '--db', dest]);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /^integrity: ok\nforeign keys: ok\nsearch index: ok\nschema version: \d+ \(this ruche knows up to \d+\)\nok\n$/);
      assert.deepEqual(fs.readdirSync(work), ['copy.db'], 'no temporary file left beside the copy');

      // A second backup to the same place is refused, then made with
      // --force (elsewhere: the first copy is restored below).
      const other = path.join(work, 'other.db');
      assert.equal((await run(['backup', '--db', server.dbPath, other])).code, 0);
      const again = await run(['backup', '--db', server.dbPath, other]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /exists.*\(already_exists\)/);
      assert.equal((await run(['backup', '--db', server.dbPath, other, '--force'])).code, 0);
      const itself = await run(['backup', '--db', server.dbPath, server.dbPath, '--force']);
      assert.equal(itself.code, 1);
      assert.match(itself.stderr, /is the database itself/);
      const nothing = await run(['backup', '--db', path.join(work, 'nothing.db'), path.join(work, 'x.db')]);
      assert.equal(nothing.code, 1);
      assert.match(nothing.stderr, /no such database/);
      assert.ok(!fs.existsSync(path.join(work, 'nothing.db')), 'backup creates no database');

      // Restore refuses the running server's database, even with --force.
      const busy = await run(['restore', dest, '--db', server.dbPath, '--force']);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /in use/);
      assert.match(busy.stderr, /\(busy\)/);

      // Restored into a new place, the copy serves.
      const newDir = tempDir('ruche-restored-');
      const restored = await run(['restore', dest, '--db', path.join(newDir, 'ruche.db')]);
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(restored.stdout, /^restored /);
      const exists = await run(['restore', dest, '--db', path.join(newDir, 'ruche.db')]);
      assert.equal(exists.code, 1, 'an existing database is not replaced without --force');
      assert.match(exists.stderr, /--force/);
      await ann.close();
      await stopOk(server);

      second = killAfter(t, await startServer({ dir: newDir, env }));
      const ann2 = await chatClient(second, tok.ann.token); // the session is in the copy
      const history = await fullHistory(ann2, general.id);
      const texts = history.map((m) => m.text);
      assert.equal(new Set(texts).size, texts.length, 'no message twice');
      for (const text of texts) assert.ok(sent.has(text), 'every message of the copy was sent');
      for (const text of ackedBefore) assert.ok(texts.includes(text), `acknowledged before the backup: ${text.slice(0, 20)}`);
      assert.ok(texts.length <= acked.size - 50, 'the copy is the database as it was during the backup, not later');
      t.diagnostic(`${texts.length} messages in the copy`);
      await ann2.call('msg.send', { channel_id: general.id, text: 'after the restore' });
      await ann2.close();
    } finally {
      if (second) await stopOk(second);
    }
  });

  test('optimize: the search index in one piece, refused while the server runs; searches unchanged', async (t) => {
    const env = cleanEnv();
    const server = killAfter(t, await startServer({ env }));
    let second;
    try {
      const hive = await makeHive(server, 'Optimize', { learners: ['ann'] });
      const tok = await loginAll(server, hive.handles);
      const ann = await chatClient(server, tok.ann.token);
      const general = await channelByName(ann, hive.id, 'general');
      // Each search indexes the messages waiting: a piece each round.
      const kestrels = [];
      for (let round = 0; round < 5; round++) {
        kestrels.unshift((await ann.call('msg.send', { channel_id: general.id, text: `kestrel round ${round}` })).message.id);
        await ann.call('msg.send', { channel_id: general.id, text: `filler ${round}` });
        const r = await ann.call('msg.search', { query: 'kestrel' });
        assert.deepEqual(r.results.map((m) => m.message_id), kestrels);
      }
      kestrels.unshift((await ann.call('msg.send', { channel_id: general.id, text: 'kestrel still waiting' })).message.id);
      const busy = await run(['optimize', '--db', server.dbPath]);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /in use.*\(busy\)/);
      await ann.close();
      await stopOk(server);

      const pieces = () => sqlite(server.dbPath, 'SELECT count(DISTINCT segid) AS n FROM messages_fts_idx')[0].n;
      const before = pieces();
      assert.ok(before >= 4, `pieces before: ${before}`);
      const r = await run(['optimize', '--db', server.dbPath], { timeoutMs: 60000 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `optimized the search index of ${server.dbPath}: ${before} pieces, now 1\n`);
      assert.equal(pieces(), 1);
      assert.equal(sqlite(server.dbPath, 'SELECT count(*) AS n FROM messages_fts_pending')[0].n, 0, 'nothing waits');
      const check = await run(['check', '--db', server.dbPath]);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /^search index: ok$/m);

      second = killAfter(t, await startServer({ dir: path.dirname(server.dbPath), env }));
      const ann2 = await chatClient(second, tok.ann.token);
      const found = await ann2.call('msg.search', { query: 'kestrel' });
      assert.deepEqual(found.results.map((m) => m.message_id), kestrels);
      assert.equal(found.results[0].excerpt, '[kestrel] still waiting');
      await ann2.close();
    } finally {
      if (second) await stopOk(second);
    }
  });

  test('check and restore refuse a damaged file', async (t) => {
    const env = cleanEnv();
    const server = killAfter(t, await startServer({ env }));
    const hive = await makeHive(server, 'Damage', { learners: ['ann'] });
    const tok = await loginAll(server, hive.handles);
    const ann = await chatClient(server, tok.ann.token);
    const general = await channelByName(ann, hive.id, 'general');
    for (let i = 0; i < 40; i++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) => ann.call('msg.send', { channel_id: general.id, text: `page filler ${i}-${j} ${'w'.repeat(200)}` })),
      );
    }
    await ann.close();
    await stopOk(server); // a clean stop folds the write-ahead log in

    const good = await run(['check', '--db', server.dbPath]);
    assert.equal(good.code, 0, good.stdout);
    const work = tempDir('ruche-damage-');
    const damaged = path.join(work, 'damaged.db');
    fs.copyFileSync(server.dbPath, damaged);
    // Whole pages in the middle of the file are overwritten with junk.
    const size = fs.statSync(damaged).size;
    const pages = size / PAGE;
    assert.ok(pages > 40, `${pages} pages`);
    const fd = fs.openSync(damaged, 'r+');
    fs.writeSync(fd, Buffer.alloc(4 * PAGE, 0xa5), 0, 4 * PAGE, Math.floor(pages / 2) * PAGE);
    fs.closeSync(fd);

    const bad = await run(['check', '--db', damaged]);
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, /^problem: integrity: /m);
    assert.match(bad.stdout, /^FAILED: \d+ problems? in .*damaged\.db\n$/m);
    assert.doesNotMatch(bad.stdout, /^ok$/m);

    // A search index that no longer matches the messages is a problem
    // too: here one message is taken out of the index behind its back.
    const stale = path.join(work, 'stale.db');
    fs.copyFileSync(server.dbPath, stale);
    sqlite(stale, "INSERT INTO messages_fts(messages_fts, rowid, body) SELECT 'delete', key, body FROM messages_fts_source " +
      "WHERE body <> '' ORDER BY key DESC LIMIT 1");
    const off = await run(['check', '--db', stale]);
    assert.equal(off.code, 1, off.stdout);
    assert.match(off.stdout, /^integrity: ok\nforeign keys: ok\nproblem: search index: /);

    // A sound SQLite file that is not Ruche's says so.
    const other = path.join(work, 'other.db');
    sqlite(other, 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    const foreign = await run(['check', '--db', other]);
    assert.equal(foreign.code, 1, foreign.stdout);
    assert.match(foreign.stdout, /^problem: schema version: cannot read \(no such table: schema_migrations\): not a Ruche database\?$/m);
    const opt = await run(['optimize', '--db', other]);
    assert.equal(opt.code, 1, opt.stderr);
    assert.match(opt.stderr, /other\.db has no schema version: not a Ruche database\? \(invalid/);

    const target = path.join(work, 'target.db');
    const r = await run(['restore', damaged, '--db', target]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /fails its check: nothing was changed/);
    assert.ok(!fs.existsSync(target), 'nothing restored');

    // What restore is for: a sound backup replaces the damaged file.
    const backupFile = path.join(work, 'sound.db');
    assert.equal((await run(['backup', '--db', server.dbPath, backupFile])).code, 0);
    const before = fs.readFileSync(damaged);
    const refusedRestore = await run(['restore', backupFile, '--db', damaged]);
    assert.equal(refusedRestore.code, 1, 'not without --force');
    assert.deepEqual(fs.readFileSync(damaged), before, 'left as it was');
    const fixed = await run(['restore', backupFile, '--db', damaged, '--force']);
    assert.equal(fixed.code, 0, fixed.stderr);
    const recheck = await run(['check', '--db', damaged]);
    assert.equal(recheck.code, 0, recheck.stdout);

    // Not a database at all, and no file at all.
    const junk = path.join(work, 'junk.db');
    fs.writeFileSync(junk, 'this is not a database, only words '.repeat(200));
    const j = await run(['check', '--db', junk]);
    assert.equal(j.code, 1);
    assert.match(j.stdout, /FAILED/);
    const none = await run(['check', '--db', path.join(work, 'none.db')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no such database/);
    assert.ok(!fs.existsSync(path.join(work, 'none.db')), 'check creates nothing');
  });
});
