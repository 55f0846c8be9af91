// The SQLite store as `ruche serve` leaves it: WAL mode, migrations
// recorded in schema_migrations, a clean close, and a clear refusal of a
// database made by a newer ruche (or that is not one at all).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { repoRoot, startServer, tempDir } from '../lib/server.mjs';
import { sqlite } from '../lib/sqlite.mjs';
import { killAfter, run, stopOk } from '../lib/util.mjs';


// Byte 18 and 19 of a SQLite file are its write and read format
// versions: 2 means WAL (https://www.sqlite.org/fileformat.html).
function journalFormat(dbPath) {
  const header = Buffer.alloc(100);
  const fd = fs.openSync(dbPath, 'r');
  try {
    fs.readSync(fd, header, 0, 100, 0);
  } finally {
    fs.closeSync(fd);
  }
  assert.equal(header.subarray(0, 16).toString('latin1'), 'SQLite format 3\0', 'a SQLite file');
  return [header[18], header[19]];
}

// `ruche serve` on an existing database, expected to refuse it.
function serveOnce(dbPath) {
  return run(['serve', '--listen', '127.0.0.1:0', '--db', dbPath], { timeoutMs: 8000 });
}

describe('storage', () => {
  test('the database is in WAL mode and closed cleanly at exit', async (t) => {
    const s = killAfter(t, await startServer());
    try {
      assert.deepEqual(journalFormat(s.dbPath), [2, 2], 'WAL in the file header');
      assert.ok(fs.existsSync(`${s.dbPath}-wal`), 'a -wal file while running');
    } finally {
      await stopOk(s);
    }
    assert.ok(!fs.existsSync(`${s.dbPath}-wal`), 'the last close checkpoints and removes the -wal file');
    assert.deepEqual(journalFormat(s.dbPath), [2, 2], 'still WAL after exit');
  });

  test('every migration is recorded in schema_migrations', async () => {
    const s = await startServer();
    await stopOk(s);
    const rows = sqlite(s.dbPath, 'SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
    assert.ok(rows.length >= 1, 'at least the first migration');
    const known = fs.readdirSync(path.join(repoRoot, 'schema', 'migrations'));
    rows.forEach((row, i) => {
      assert.equal(row.version, i + 1, 'versions 1, 2, 3... without gaps');
      assert.match(row.name, new RegExp(`^${String(i + 1).padStart(4, '0')}_.+\\.sql$`));
      assert.ok(known.includes(row.name), `${row.name} is a file of schema/migrations`);
      assert.ok(Number.isInteger(row.applied_at) && row.applied_at > 1.6e12, 'applied_at in ms');
    });
    assert.equal(rows[0].name, '0001_instance.sql');
  });

  test('a restart on the same database applies nothing twice', async () => {
    const first = await startServer();
    await stopOk(first);
    const before = sqlite(first.dbPath, 'SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
    const second = await startServer({ dir: first.dir });
    await stopOk(second);
    const after = sqlite(first.dbPath, 'SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
    assert.deepEqual(after, before);
    assert.doesNotMatch(second.stderr, /applied schema migration/, 'no migration the second time');
  });

  // A message's place in the search index is its channel, then its id
  // (migration 0013), in 63 bits: the database itself refuses ids that
  // would not fit, rather than index a message where no search looks.
  test('channel ids below 2^23 and message ids below 2^40, refused beyond', async () => {
    const s = await startServer();
    await stopOk(s);
    sqlite(s.dbPath, "INSERT INTO hives(id, name, capacity, created_at) VALUES (9001, 'Keys', 12, 1)");
    assert.throws(() => sqlite(s.dbPath,
      "INSERT INTO channels(id, hive_id, kind, name, created_at) VALUES (8388608, 9001, 'chat', 'far', 1)"),
    /channel ids must stay below 2\^23/);
    sqlite(s.dbPath, "INSERT INTO channels(id, hive_id, kind, name, created_at) VALUES (8388607, 9001, 'chat', 'last', 1)");
    sqlite(s.dbPath, "INSERT INTO users(id, handle, display_name, pw_hash, created_at) VALUES (9001, 'keys', 'Keys', 'x', 1)");
    assert.throws(() => sqlite(s.dbPath,
      'INSERT INTO messages(id, channel_id, author_id, body, created_at) VALUES (1099511627776, 8388607, 9001, \'far\', 1)'),
    /message ids must stay below 2\^40/);
    sqlite(s.dbPath, "INSERT INTO messages(id, channel_id, author_id, body, created_at) VALUES (1099511627775, 8388607, 9001, 'last', 1)");
    // The largest key, 2^63 - 1 (compared in SQL: past 2^53 for JSON).
    assert.deepEqual(sqlite(s.dbPath, 'SELECT key = 9223372036854775807 AS top, body FROM messages_fts_source'),
      [{ top: 1, body: 'last' }]);
  });

  test('a database from a newer ruche is refused with a clear message', async () => {
    const s = await startServer();
    await stopOk(s);
    sqlite(
      s.dbPath,
      "INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, '9999_future.sql', 0)",
    );
    const r = await serveOnce(s.dbPath);
    assert.equal(r.timedOut, false, 'ruche must refuse, not serve');
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /listening/);
    assert.match(r.stderr, /9999/, `names the version found: ${r.stderr}`);
    assert.match(r.stderr, /newer|only knows/i, `says why: ${r.stderr}`);
    const max = sqlite(s.dbPath, 'SELECT max(version) AS v FROM schema_migrations')[0].v;
    assert.equal(max, 9999, 'the database is left as it was');
  });

  test('a file that is not a database is refused with a clear message', async () => {
    const dbPath = path.join(tempDir(), 'not-a-db.db');
    fs.writeFileSync(dbPath, 'this is not a database, just text '.repeat(100));
    const r = await serveOnce(dbPath);
    assert.equal(r.timedOut, false);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^ruche serve: .+/m);
    assert.equal(fs.readFileSync(dbPath, 'utf8').slice(0, 12), 'this is not ', 'left untouched');
  });

  test('a database folder that cannot be made is refused with a clear message', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'plain-file'), '');
    const r = await serveOnce(path.join(dir, 'plain-file', 'sub', 'ruche.db'));
    assert.equal(r.timedOut, false);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /plain-file/, `names the path: ${r.stderr}`);
  });
});
