// The history workload of Ruche's benchmark (bench/README.md): a database
// of 10 million messages over 1,000 hives, built once and kept in
// build/bench/history-10m/, and what the driver (run.mjs) measures on it:
// the latency of a 50-message history page and of a full-text search
// (ruche-load's history mode), and how long the server takes to start on
// that database.
//
// The database holds the rows Ruche itself writes for a message sent with
// msg.send (schema/migrations/0003_chat.sql, server/store_sqlite.c): the
// message, its entry in the full-text index messages_fts, and its
// msg.created event for the messages still inside the event log's
// retention.  Hives and users are made with `ruche admin` and the users
// logged in through the generator, like the cohort fixture; only the
// messages go in with SQL (Debian's sqlite3), in one transaction, with the
// messages' indexes and the index trigger dropped during the load and
// rebuilt at the end, which is several times faster than row by row.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'schema', 'migrations');

// The migrations the server applies: a fixture made before a new one is
// made again, or each start would measure the migration.
function migrations() {
  return fs.readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort();
}

export const HISTORY_FIXTURE_VERSION = 1;

// ---- Texts ----------------------------------------------------------------
//
// Words people write in a learning hive (the commonest), then made-up
// words from syllables, up to VOCAB words in all.  Word k (from 0) is
// drawn with a probability proportional to 1 / (k + 2.7) (Zipf, as in
// natural text), so a few words are in most messages and most words in
// few: search meets both long and short lists of matches.

const COMMON = `the to and a i you it of is in that for on this we
have be can with are my do so at not what but just if me your it's all
was about will get there how they one like up out thanks know no yes
think from help some when question would need could time work did good
an or code now please here been anyone today see make try also then
project because exercise more other tomorrow meetup mentor week which
should them our use where still why hive thank first chapter great idea
stuck review deadline slides notes link test problem error function
file answer learn learning example again next last want really pair
understand later class session start done working book read write
course homework solution javascript python data database server client
page step module loop variable array string list value method object
lesson video call share screen group team task issue bug fix feature
branch commit merge version install run build deploy check sure maybe
morning evening afternoon monday tuesday wednesday thursday friday
weekend break lunch coffee hello hi everyone right new old better best
quick easy hard simple question's nice cool awesome yeah okay ok`.split(/\s+/).filter((w) => w && !w.includes("'"));

const VOCAB = 50000;
const SYL = ['ba', 'ce', 'di', 'fo', 'gu', 'ha', 'je', 'ki', 'lo', 'mu', 'na', 're', 'si', 'to', 'vu', 'wa',
  'xe', 'yo', 'ze', 'an', 'el', 'in', 'or', 'ul', 'ter', 'pra', 'sco', 'ble', 'mon', 'ris'];

// A small, seeded generator (mulberry32): the same seed gives the same
// database.
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function vocabulary() {
  const words = [...new Set(COMMON)];
  const seen = new Set(words);
  const rnd = prng(7);
  while (words.length < VOCAB) {
    const n = 2 + Math.floor(rnd() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += SYL[Math.floor(rnd() * SYL.length)];
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

// 2^20 slots, each word filling a share proportional to its probability:
// drawing a slot draws a word (the rarest words get at least one slot).
function zipfTable(n) {
  const size = 1 << 20;
  const table = new Uint32Array(size);
  let h = 0;
  for (let k = 0; k < n; k++) h += 1 / (k + 2.7);
  let pos = 0;
  let acc = 0;
  for (let k = 0; k < n && pos < size; k++) {
    acc += 1 / (k + 2.7) / h;
    const end = Math.max(pos + 1, Math.min(size, Math.round(acc * size)));
    table.fill(k, pos, end);
    pos = end;
  }
  table.fill(n - 1, pos);
  return table;
}

const ENDS = ['', '', '', '.', '.', '?', '!', ' :)'];

// ---- Running sqlite3 ---------------------------------------------------------

function sqlite(db, sql, { env } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn('sqlite3', ['-batch', '-bail', db], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sqlite3 ${db}: ${err || `exit ${code}`}`))));
    p.stdin.end(sql);
  });
}

// ---- The fixture ---------------------------------------------------------------

export const HISTORY = {
  hives: 1000,
  messages: 10_000_000,
  days: 365, // the history spans a year, up to the build
  eventDays: 4, // msg.created events kept for the newest days
  // Who reads: learners in one hive each, mentors in five each.
  learners: 5,
  mentors: 5,
  mentorHives: 5,
};

// The users and the hives they read: [{ handle, mentor, hives: [k] }].
export function historyReaders(h = HISTORY) {
  const out = [];
  const step = Math.floor(h.hives / (h.learners + h.mentors * h.mentorHives));
  let next = 1;
  for (let i = 1; i <= h.learners; i++) {
    out.push({ handle: `h${String(i).padStart(2, '0')}l`, mentor: false, hives: [next] });
    next += step;
  }
  for (let i = 1; i <= h.mentors; i++) {
    const hives = [];
    for (let j = 0; j < h.mentorHives; j++, next += step) hives.push(next);
    out.push({ handle: `h${String(i).padStart(2, '0')}m`, mentor: true, hives });
  }
  return out;
}

export function historyFixtureOk(dir, h = HISTORY, maxAgeDays = 25) {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    const ageDays = (Date.now() - Date.parse(meta.created)) / 86400e3;
    return meta.version === HISTORY_FIXTURE_VERSION && meta.messages === h.messages && meta.hives === h.hives &&
      JSON.stringify(meta.migrations) === JSON.stringify(migrations()) && ageDays < maxAgeDays && fs.existsSync(path.join(dir, 'ruche.db')) && fs.existsSync(path.join(dir, 'users.tsv'));
  } catch {
    return false;
  }
}

// Writes the messages' rows (channel, author, time, text; tab-separated)
// into `out`, a stream, respecting its back-pressure.
async function writeMessages(out, h, channels, authors, tEnd, log) {
  const words = vocabulary();
  const table = zipfTable(words.length);
  const rnd = prng(20261126);
  const span = h.days * 86400e3;
  // A hive's general channel is the busiest, its announcements the quietest.
  const pick = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2];
  const batch = [];
  let bytes = 0;
  for (let i = 0; i < h.messages; i++) {
    const hive = channels[Math.floor(rnd() * channels.length)];
    const channel = hive[pick[Math.floor(rnd() * pick.length)]];
    const author = authors[Math.floor(rnd() * authors.length)];
    const at = Math.round(tEnd - span + (span * (i + rnd())) / h.messages);
    const want = 50 + Math.floor(rnd() * rnd() * 151); // 50-200 bytes, short ones commoner
    let t = words[table[Math.floor(rnd() * table.length)]];
    t = t[0].toUpperCase() + t.slice(1);
    while (t.length < want - 8) t += ` ${words[table[Math.floor(rnd() * table.length)]]}`;
    t += ENDS[Math.floor(rnd() * ENDS.length)];
    bytes += t.length;
    batch.push(`${channel}\t${author}\t${at}\t${t}\n`);
    if (batch.length === 20000) {
      if (!out.write(batch.join(''))) await new Promise((r) => out.once('drain', r));
      batch.length = 0;
      if ((i + 1) % 1_000_000 === 0) log(`history fixture: ${(i + 1) / 1e6}M messages written`);
    }
  }
  if (batch.length) out.write(batch.join(''));
  await new Promise((r) => out.end(r));
  return bytes;
}

// The SQL that loads the rows of `fifo` as messages.  The indexes of
// messages and the trigger that indexes each new text are dropped first
// and made again, from their own text in sqlite_master, after the load:
// the schema ends as Ruche's migrations left it.  The search index is
// made in the order of its keys and optimized as migration 0013 makes it.
function loadSql(fifo, schema, h, tEnd) {
  const since = tEnd - h.eventDays * 86400e3;
  return `
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -1000000;
PRAGMA foreign_keys = OFF;
CREATE TEMP TABLE raw(channel_id INTEGER, author_id INTEGER, created_at INTEGER, body TEXT);
.mode tabs
.import ${fifo} raw
BEGIN;
${schema.map((s) => `DROP ${s.type.toUpperCase()} ${s.name};`).join('\n')}
INSERT INTO messages(id, channel_id, author_id, body, created_at)
  SELECT rowid, channel_id, author_id, body, created_at FROM temp.raw ORDER BY rowid;
DROP TABLE temp.raw;
${schema.map((s) => `${s.sql};`).join('\n')}
INSERT INTO messages_fts(rowid, body) SELECT key, body FROM messages_fts_source ORDER BY key;
INSERT INTO messages_fts(messages_fts) VALUES ('optimize');
INSERT INTO events(hive_id, channel_id, kind, data, created_at)
  SELECT c.hive_id, NULL, 'msg.created',
    json_object('message', json_object('id', m.id, 'channel_id', m.channel_id,
      'author_id', m.author_id, 'text', m.body, 'created_at', m.created_at,
      'deleted', json('false'), 'reply_count', 0)), m.created_at
  FROM messages m JOIN channels c ON c.id = m.channel_id
  WHERE m.created_at >= ${since} ORDER BY m.id;
COMMIT;
PRAGMA journal_mode = WAL;
`;
}

// Builds the fixture in dir (through dir.tmp).  ctx gives what the
// driver has: admin(db, args, input, fine), startRuche(db, logPath),
// load(mode, args), password, benchLimits, log.
export async function buildHistoryFixture(dir, ctx, h = HISTORY) {
  const { admin, log } = ctx;
  const t0 = Date.now();
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const db = path.join(tmp, 'ruche.db');
  log(`history fixture: ${h.hives} hives, ${h.messages / 1e6}M messages in ${tmp} (minutes, once)`);

  // Hives, users and members, as an operator makes them.
  for (let k = 1; k <= h.hives; k++) {
    await admin(db, ['create-hive', `history-${String(k).padStart(4, '0')}`]);
  }
  const readers = historyReaders(h);
  await Promise.all(readers.map((r) => admin(db, ['create-user', r.handle, '--password-stdin'], `${ctx.password}\n`)));
  for (const r of readers) {
    for (const k of r.hives) await admin(db, ['add-member', `history-${String(k).padStart(4, '0')}`, r.handle, '--role', r.mentor ? 'mentor' : 'learner']);
  }
  const chanRows = (await sqlite(db, "SELECT h.name, c.hive_id, c.id FROM channels c JOIN hives h ON h.id = c.hive_id WHERE c.hive_id IS NOT NULL ORDER BY c.hive_id, c.position, c.id;"))
    .trim().split('\n').map((l) => l.split('|'));
  const byHive = new Map();
  for (const [name, hive, id] of chanRows) {
    const k = Number(name.slice('history-'.length));
    if (!byHive.has(k)) byHive.set(k, { hive: Number(hive), ids: [] });
    byHive.get(k).ids.push(Number(id));
  }
  const userIds = new Map((await sqlite(db, 'SELECT handle, id FROM users;')).trim().split('\n')
    .map((l) => l.split('|')).map(([hd, id]) => [hd, Number(id)]));

  // Log the readers in (tokens for the generator) while the database is
  // small: one login a reader (each costs a password hash), then one line
  // of users.tsv for every channel the reader can open.
  const plain = path.join(tmp, 'users-plain.tsv');
  const first = new Map(readers.map((r) => [r.handle, byHive.get(r.hives[0])]));
  fs.writeFileSync(plain, readers.map((r) => `${r.handle}\t${first.get(r.handle).hive}\t${first.get(r.handle).ids[0]}\n`).join(''));
  const srv = await ctx.startRuche(db, path.join(tmp, 'ruche.log'));
  const logged = path.join(tmp, 'users-login.tsv');
  const r = await ctx.load('login', ['--target', `127.0.0.1:${srv.port}`, '--users', plain,
    '--out', logged, '--login-concurrency', '4', '--max-seconds', '600']);
  await srv.stop();
  if (r.code !== 0) throw new Error('logging the history readers in failed');
  const tokens = new Map(fs.readFileSync(logged, 'utf8').trim().split('\n').map((l) => l.split('\t'))
    .map((f) => [f[0], f[3]]));
  const lines = [];
  for (const rd of readers) {
    if (!tokens.get(rd.handle)) throw new Error(`no token for ${rd.handle}`);
    for (const k of rd.hives) {
      for (const c of byHive.get(k).ids) lines.push(`${rd.handle}\t${byHive.get(k).hive}\t${c}\t${tokens.get(rd.handle)}\n`);
    }
  }
  fs.writeFileSync(path.join(tmp, 'users.tsv'), lines.join(''));

  // The messages.
  const t1 = Date.now();
  const schema = (await sqlite(db, "SELECT type, name FROM sqlite_master WHERE tbl_name = 'messages' AND sql IS NOT NULL AND (type = 'index' OR name = 'messages_fts_insert') ORDER BY name;"))
    .trim().split('\n').filter(Boolean).map((l) => {
      const [type, name] = l.split('|');
      return { type, name };
    });
  // The text of each, whole (it may span lines).
  for (const s of schema) s.sql = (await sqlite(db, `SELECT sql FROM sqlite_master WHERE name = '${s.name}';`)).trim();
  const fifo = path.join(tmp, 'messages.fifo');
  await new Promise((resolve, reject) => spawn('mkfifo', [fifo]).on('close', (c) => (c === 0 ? resolve() : reject(new Error('mkfifo failed')))));
  const tEnd = Date.now();
  const channels = [...byHive.values()].map((x) => x.ids);
  const authors = [...userIds.values()];
  const loading = sqlite(db, loadSql(fifo, schema, h, tEnd), { env: { SQLITE_TMPDIR: tmp } });
  const bytes = await writeMessages(fs.createWriteStream(fifo), h, channels, authors, tEnd, log);
  log(`history fixture: texts written (${(bytes / 1e6).toFixed(0)} MB) in ${((Date.now() - t1) / 1000).toFixed(0)} s; ` +
      'indexing');
  await loading;
  fs.rmSync(fifo);
  const loadSeconds = (Date.now() - t1) / 1000;
  const t2 = Date.now();
  const check = await ctx.run(ctx.ruche, ['check', '--db', db]);
  if (check.code !== 0) throw new Error(`ruche check refused the history fixture: ${check.stdout}${check.stderr}`);
  const words = vocabulary();
  fs.writeFileSync(path.join(tmp, 'words.txt'), `${words.join('\n')}\n`);
  const maxId = Number((await sqlite(db, 'SELECT max(id) FROM messages;')).trim());
  const meta = {
    version: HISTORY_FIXTURE_VERSION, hives: h.hives, messages: h.messages, max_id: maxId, migrations: migrations(),
    created: new Date().toISOString(), text_bytes: bytes, readers,
    seconds: (Date.now() - t0) / 1000, load_seconds: loadSeconds, check_seconds: (Date.now() - t2) / 1000,
    db_bytes: fs.statSync(db).size,
  };
  fs.writeFileSync(path.join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  log(`history fixture: ready in ${meta.seconds.toFixed(0)} s (${(meta.db_bytes / 2 ** 30).toFixed(2)} GiB; ` +
      `messages ${loadSeconds.toFixed(0)} s, check ${meta.check_seconds.toFixed(0)} s)`);
  return meta;
}

// ---- The workload -----------------------------------------------------------

// Copies the fixture's database for one server: the server writes to its
// database at start (its WAL, housekeeping), the fixture stays as built.
// The copy is then written out (sync): 3 GiB left dirty would be written
// back by the kernel while the server is timed, and one full run's search
// p99 came out 2-10 times its value on a calm disk.
async function copyDb(src, dst, run) {
  for (const s of ['', '-wal', '-shm']) fs.rmSync(dst + s, { force: true });
  for (const [cmd, args] of [['cp', ['--reflink=auto', src, dst]], ['sync', [dst]]]) {
    const r = await run(cmd, args);
    if (r.code !== 0) throw new Error(`${cmd} ${dst}: ${r.stderr}`);
  }
}

// Asks GET /healthz until the server answers: { ms } from spawn to the
// first answer.
async function timeStart(ctx, db, logPath) {
  const port = await ctx.freePort();
  const t0 = process.hrtime.bigint();
  const srv = await ctx.spawnRuche(['serve', '--listen', `127.0.0.1:${port}`, '--db', db, ...ctx.benchLimits], logPath);
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = ctx.net.connect({ host: '127.0.0.1', port }, () => {
        s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      });
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('error', () => resolve(false));
      s.on('close', () => resolve(/^HTTP\/1\.1 200/.test(got)));
    });
    if (ok) break;
    if (srv.proc.exitCode !== null) throw new Error(`ruche stopped at start:\n${fs.readFileSync(logPath, 'utf8').slice(-2000)}`);
    if (process.hrtime.bigint() - t0 > 60_000_000_000n) throw new Error('ruche did not answer within 60 s of its start');
    await new Promise((r) => setTimeout(r, 2));
  }
  return { srv, port, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

// The whole workload: the fixture (made once), three timed starts on a
// copy of it, then pages and searches against the last server started.
// p: { messages, starts, conns, pageRate, searchRate, warm, measurePage,
// measureSearch, drain }.
export async function historyWorkload(ctx, p, rebuild) {
  const h = { ...HISTORY, messages: p.messages };
  const dir = path.join(ctx.out, h.messages === 10_000_000 ? 'history-10m' : `history-${h.messages}`);
  let meta;
  if (!rebuild && historyFixtureOk(dir, h)) {
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    ctx.log(`history fixture: reusing ${dir}`);
  } else {
    meta = await buildHistoryFixture(dir, ctx, h);
  }
  const work = path.join(ctx.out, 'work');
  fs.mkdirSync(work, { recursive: true });
  const db = path.join(work, 'history.db');
  const starts = [];
  let last = null;
  try {
    for (let i = 0; i < p.starts; i++) {
      await copyDb(path.join(dir, 'ruche.db'), db, ctx.run);
      if (i === 0) await ctx.waitQuiet(p.quietMs);
      const s = await timeStart(ctx, db, path.join(work, 'history-ruche.log'));
      starts.push(s.ms);
      ctx.log(`history: start ${i + 1} answered after ${s.ms.toFixed(0)} ms`);
      if (i < p.starts - 1) await s.srv.stop();
      else last = s;
    }
    await ctx.waitQuiet(p.quietMs);
    const r = await ctx.load('history', ['--target', `127.0.0.1:${last.port}`, '--users', path.join(dir, 'users.tsv'),
      '--server-pid', String(last.srv.pid), '--conns', String(p.conns), '--words', path.join(dir, 'words.txt'),
      '--max-id', String(meta.max_id), '--page-rate', String(p.pageRate), '--search-rate', String(p.searchRate),
      '--warm', String(p.warm), '--measure', String(p.measure), '--drain', String(p.drain),
      '--max-seconds', '900', '--label', 'history']);
    if (r.code !== 0) throw new Error(`history run failed (exit ${r.code})`);
    const page = r.results.find((x) => x.type === 'history' && x.op === 'page');
    const search = r.results.find((x) => x.type === 'history' && x.op === 'search');
    return {
      fixture: {
        dir, hives: meta.hives, messages: meta.messages, db_bytes: meta.db_bytes, text_bytes: meta.text_bytes,
        build_seconds: meta.seconds, load_seconds: meta.load_seconds, created: meta.created,
        readers: meta.readers.map((x) => ({ handle: x.handle, hives: x.hives.length })),
      },
      startup_ms: starts,
      startup_median_ms: [...starts].sort((a, b) => a - b)[Math.floor(starts.length / 2)],
      page,
      search,
    };
  } finally {
    if (last) await last.srv.stop();
  }
}
