#!/usr/bin/env node
// Ruche's benchmark driver: starts the servers on loopback, prepares their
// users, runs the load generator (bench/load, built as ruche-load) against
// each, and writes what it measured to build/bench/report.md and
// build/bench/report.json.  `make bench-quick` and `make bench` run it.
//
//   node bench/run.mjs quick|full [--runs N] [--only cohort,equal,idle,writes,history,cluster]
//                                 [--kinds ruche,inspircd,node_ws]
//                                 [--rebuild-fixture] [--hives N] [--perf]
//                                 [--history-messages N]
//
// The history workload (full profile, or --only history) keeps its own
// fixture of 10 million messages in build/bench/history-10m/ (see
// bench/history.mjs); --history-messages N builds and uses a smaller one.
//
// The cluster workload (bench/cluster.mjs) runs only when --only names it
// (`make bench-cluster`): 1, 2 and 3 nodes on PostgreSQL with a Redis bus.
//
// --perf records a CPU profile of each server during the equal-load runs
// (perf record -e cpu-clock) into build/bench/profile-KIND.txt.
//
// Everything listens on and connects to 127.0.0.0/8 only.  See
// bench/README.md for what each workload measures and how to read it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterWorkload } from './cluster.mjs';
import { historyWorkload } from './history.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const BUILD = process.env.RUCHE_BUILD_DIR || path.join(root, 'build', 'release');
const RUCHE = process.env.RUCHE_BIN || path.join(BUILD, 'ruche');
const LOAD = process.env.RUCHE_LOAD_BIN || path.join(BUILD, 'bench', 'ruche-load');
const NODE_PEER = path.join(here, 'peers', 'node-ws-server.mjs');
const INSPIRCD = process.env.INSPIRCD_BIN || '/usr/sbin/inspircd';
const OUT = process.env.RUCHE_BENCH_DIR || path.join(root, 'build', 'bench');
const PASSWORD = 'correct horse battery staple';
const LEARNERS = 12; // and one mentor: 13 members a hive
const FIXTURE_VERSION = 1;
const FIXTURE_MAX_AGE_DAYS = 25; // sessions last 30 days from their last use

// The servers: how the driver starts each, and which protocol the
// generator speaks to it.  ruche_normal is Ruche with --sync normal (no
// fsync per grouped commit), to show what durability costs.  inspircd is
// InspIRCd 3 (Debian's package), spoken to in IRC over plain TCP.
const KINDS = {
  ruche: { load: 'ruche' },
  ruche_normal: { load: 'ruche', sync: 'normal' },
  // InspIRCd finishes a client's registration on its once-a-second
  // tick, so each connection takes ~1 s to set up: more of them at once.
  inspircd: { load: 'irc', args: ['--max-pending', '2000'] },
  node_ws: { load: 'node_ws' },
};
// The peers Ruche is compared with, in the order of the ratio lines.
const PEERS = ['inspircd', 'node_ws'];

// What each profile runs.  Rates are messages per second per member.
const PROFILES = {
  quick: {
    kinds: ['ruche', 'inspircd', 'node_ws'],
    fixtureHives: 100,
    // Three servers in under 4 minutes on a quiet machine: fewer and
    // shorter windows than the full run.
    cohort: { hives: 20, rates: [2, 4, 8, 16, 32, 64, 128, 256], refine: 1, warm: 1, measure: 3, drain: 2, runs: 1, retries: 1, quietMs: 5000 },
    equal: { hives: 100, rate: 4, warm: 2, measure: 3, drain: 8, steps: 2, runs: 1, retries: 1, quietMs: 5000 },
    cluster: { hives: 20, nodes: [1, 2, 3], rates: [1, 2, 4, 8, 16, 32], refine: 1, warm: 2, measure: 4, drain: 3, retries: 1, quietMs: 5000 },
  },
  full: {
    kinds: ['ruche', 'ruche_normal', 'inspircd', 'node_ws'],
    fixtureHives: 100,
    // Two runs of each (three took 24 minutes once the history and the
    // 19,000-connection step came in): the whole under 20 minutes.
    cohort: { hives: 100, rates: [0.5, 1, 2, 4, 8, 16, 32, 64, 128], refine: 2, warm: 2, measure: 6, drain: 3, runs: 2, retries: 2, quietMs: 60000 },
    cluster: { hives: 100, nodes: [1, 2, 3], rates: [0.5, 1, 2, 4, 8, 16], refine: 2, warm: 2, measure: 6, drain: 3, retries: 2, quietMs: 30000 },
    // Two windows a run.
    equal: { hives: 100, rate: 4, warm: 3, measure: 8, drain: 20, steps: 2, runs: 2, retries: 2, quietMs: 60000 },
    // Then once per server as many connections as the open-file limit
    // allows (idleMax), at most maxConns.
    idle: { conns: 10000, settle: 3, measure: 5, runs: 2, quietMs: 60000, maxConns: 60000 },
    // 10 million messages; pages then searches from 10 readers at fixed
    // rates, after three timed starts of the server on that database.
    history: {
      messages: 10_000_000, starts: 3, conns: 10, pageRate: 200, searchRate: 20, warm: 2, measure: 20, drain: 10,
      quietMs: 30000,
    },
    writes: {
      runs: 3,
      quietMs: 60000,
      warm: 2,
      measure: 6,
      drain: 5,
      configs: [
        { name: 'one', writers: 1, window: 64 },
        { name: 'many', writers: 100, window: 8 },
      ],
      sync: ['full', 'normal'],
    },
  },
};

// ---- Small helpers ------------------------------------------------------

const log = (...a) => process.stderr.write(`bench: ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? null : Number(v.toFixed(d)));

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Median of each numeric field over rows, with its min and max.
function summarize(rows, fields) {
  const out = {};
  for (const f of fields) {
    const vals = rows.map((r) => r[f]).filter((x) => typeof x === 'number');
    out[f] = median(vals);
    out[`${f}_min`] = vals.length ? Math.min(...vals) : null;
    out[`${f}_max`] = vals.length ? Math.max(...vals) : null;
  }
  out.samples = rows.length;
  return out;
}

function parseArgs(argv) {
  const opts = { profile: argv[0], runs: undefined, only: null, kinds: null, rebuild: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') opts.runs = Number(argv[++i]);
    else if (a === '--only') opts.only = argv[++i].split(',');
    else if (a === '--kinds') opts.kinds = argv[++i].split(',');
    else if (a === '--rebuild-fixture') opts.rebuild = true;
    else if (a === '--hives') opts.hives = Number(argv[++i]);
    else if (a === '--perf') opts.perf = true;
    else if (a === '--history-messages') opts.historyMessages = Number(argv[++i]);
    else throw new Error(`unknown option ${a}`);
  }
  if (!PROFILES[opts.profile]) throw new Error('usage: node bench/run.mjs quick|full [options]');
  opts.kinds = opts.kinds || PROFILES[opts.profile].kinds;
  for (const k of opts.kinds) if (!KINDS[k]) throw new Error(`unknown kind ${k}: ${Object.keys(KINDS).join(', ')}`);
  return opts;
}

// Runs a command to its end: { code, stdout, stderr }.
function run(cmd, args, { input, env } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) {
      p.stdin.on('error', () => {}); // it may exit before reading
      p.stdin.end(input);
    }
  });
}

// Runs fn over items, at most n at once.
async function pool(items, n, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

// ---- A quiet machine ----------------------------------------------------
//
// The machine may be shared (other builds, other tests).  Before each run
// the driver waits, a bounded time, for it to be mostly idle, and records
// how busy it was when the run started.

function cpuTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

async function busyPct(ms) {
  const a = cpuTicks();
  await sleep(ms);
  const b = cpuTicks();
  return b.total > a.total ? (100 * (b.busy - a.busy)) / (b.total - a.total) : 0;
}

let quietWaits = [];
async function waitQuiet(maxMs, limitPct = 25) {
  const t0 = Date.now();
  let busy = await busyPct(1000);
  while (busy > limitPct && Date.now() - t0 < maxMs) busy = await busyPct(1000);
  quietWaits.push({ waited_s: (Date.now() - t0) / 1000, busy_pct: round(busy, 1) });
  if (busy > limitPct) log(`the machine is ${busy.toFixed(0)} % busy with other work; measuring anyway`);
  return busy;
}

// ---- Servers ------------------------------------------------------------

const children = new Set();
function killChildren() {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killChildren();
    process.exit(130);
  });
}

// Starts a server whose log goes to logPath, and waits for the line that
// gives its port: { proc, pid, port, stop() }.
async function startProcess(cmd, args, logPath, portRe, env = {}, fixedPort = null) {
  const fd = fs.openSync(logPath, 'w');
  const proc = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  fs.closeSync(fd);
  children.add(proc);
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  let port = null;
  for (let i = 0; i < 600 && port === null; i++) {
    if (proc.exitCode !== null) break;
    const m = fs.readFileSync(logPath, 'utf8').match(portRe);
    if (m) port = fixedPort ?? Number(m[1]);
    else await sleep(50);
  }
  if (port === null) {
    proc.kill('SIGKILL');
    throw new Error(`${cmd} did not start:\n${fs.readFileSync(logPath, 'utf8').slice(-2000)}`);
  }
  return { proc, pid: proc.pid, port, stop: stopper(proc, exited) };
}

// Stops a server: SIGTERM, then SIGKILL if it is not gone in 15 s.
function stopper(proc, exited) {
  return async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
    const r = await exited;
    clearTimeout(t);
    children.delete(proc);
    return r;
  };
}

function copyDb(src, dst) {
  for (const suffix of ['', '-wal', '-shm']) {
    fs.rmSync(dst + suffix, { force: true });
    if (fs.existsSync(src + suffix)) fs.copyFileSync(src + suffix, dst + suffix);
  }
}

// Ruche's event loop as its log says ("libev" or "poll()"), for the report.
let rucheLoop = null;

// The load comes from one address, thousands of sockets at a rate of its
// choosing, and ruche-load does not answer pings: the per-connection
// limits (docs/limits.md) would measure themselves, so they are off.
const RUCHE_BENCH_LIMITS = ['--max-conns-per-ip', '0', '--rate-per-conn', '0', '--idle-timeout', '0',
  '--auth-timeout', '0'];

// A Ruche server on a fresh copy of the fixture's database.
async function startRuche(fixture, { sync } = {}) {
  const dir = path.join(OUT, 'work');
  fs.mkdirSync(dir, { recursive: true });
  const db = path.join(dir, 'ruche.db');
  copyDb(fixture.db, db);
  const args = ['serve', '--listen', '127.0.0.1:0', '--db', db, ...RUCHE_BENCH_LIMITS];
  if (sync) args.push('--sync', sync);
  const logPath = path.join(dir, 'ruche.log');
  const srv = await startProcess(RUCHE, args, logPath, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  rucheLoop = (fs.readFileSync(logPath, 'utf8').match(/event loop: (\S+)/) || [])[1] || rucheLoop;
  return srv;
}

async function startNode() {
  const dir = path.join(OUT, 'work');
  fs.mkdirSync(dir, { recursive: true });
  return startProcess(process.execPath, [NODE_PEER], path.join(dir, 'node-ws.log'), /listening on (\d+)/);
}

// A port free on loopback now (InspIRCd cannot be asked for port 0).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// InspIRCd's configuration for the benchmark: one client port on
// loopback, and every limit that would get in the way of a load test out
// of the way, as one would for a trusted bench: no flood control (no
// command rate, no fake lag, a huge penalty threshold), no per-IP or
// per-class connection limits, send and receive queues far above what a
// run queues, no DNS or ident lookups, no MOTD, no modules beyond the
// core ones.  Chat is the core PRIVMSG to a channel, as Ruche's is a
// message to a hive's channel.
function inspircdConf(dir, port) {
  return `# Written by bench/run.mjs for one run; see bench/README.md.
<server name="bench.ruche.local" description="Ruche benchmark peer" network="bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="${port}" type="clients">
<connect name="bench" allow="*" maxchans="100" timeout="60" pingfreq="10m"
         hardsendq="64M" softsendq="64M" recvq="64M" threshold="1000000000"
         commandrate="4000000000" fakelag="no" localmax="1000000"
         globalmax="1000000" maxconnwarn="no" resolvehostnames="no"
         useident="no" usednsbl="no" limit="1000000">
<channels users="100" opers="100">
<performance netbuffersize="65536" somaxconn="1024" softlimit="1000000"
             clonesonconnect="no" quietbursts="yes">
<options syntaxhints="no" announcets="no">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default"
     target="${path.join(dir, 'inspircd-ircd.log')}">
`;
}

async function startInspircd() {
  if (!fs.existsSync(INSPIRCD)) {
    throw new Error(`${INSPIRCD} is missing: scripts/setup.sh bench installs Debian's inspircd (make bench does)`);
  }
  const dir = path.join(OUT, 'work');
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = path.join(dir, 'inspircd.conf');
  fs.writeFileSync(conf, inspircdConf(dir, port));
  const args = ['--config', conf, '--nofork', '--nopid'];
  // It refuses root unless told; a container often runs as root.
  if (process.getuid?.() === 0) args.push('--runasroot');
  return startProcess(INSPIRCD, args, path.join(dir, 'inspircd.log'), /is now running/, {}, port);
}

async function startServer(kind, fixture, quietMs) {
  const k = KINDS[kind];
  await waitQuiet(quietMs);
  if (k.load === 'ruche') return startRuche(fixture, { sync: k.sync });
  return k.load === 'irc' ? startInspircd() : startNode();
}

// Runs ruche-load: { code, results (parsed JSON lines) }.
function load(mode, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(LOAD, [mode, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(p);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    let errTail = '';
    p.stderr.on('data', (d) => {
      process.stderr.write(d);
      errTail = (errTail + d).slice(-2000);
    });
    p.on('error', reject);
    p.on('close', (code) => {
      children.delete(p);
      const results = [];
      for (const line of out.split('\n')) {
        if (!line.trim()) continue;
        try {
          results.push(JSON.parse(line));
        } catch {
          log(`unreadable result line: ${line.slice(0, 200)}`);
        }
      }
      resolve({ code, results, stderr: errTail });
    });
  });
}

// ---- The fixture: users, hives and their sessions, made once ------------
//
// Every password costs ~0.4 s of CPU to hash (scrypt), once when the user
// is created and once when they log in, so 1,300 users cost minutes.  They
// are made once, logged in once (through the generator's login mode), and
// the database, sessions included, is kept in build/bench/fixture-N and
// copied for every run.

const handleOf = (hive, i) => `c${String(hive).padStart(3, '0')}${i === 0 ? 'm' : `l${String(i).padStart(2, '0')}`}`;

function fixtureOk(dir, hives) {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    const ageDays = (Date.now() - Date.parse(meta.created)) / 86400e3;
    return meta.version === FIXTURE_VERSION && meta.hives === hives && ageDays < FIXTURE_MAX_AGE_DAYS &&
      fs.existsSync(path.join(dir, 'ruche.db')) && fs.existsSync(path.join(dir, 'users.tsv'));
  } catch {
    return false;
  }
}

// Runs `ruche admin`; an error whose code is in `fine` (e.g. the user
// exists already, when an interrupted fixture is resumed) is no error.
async function admin(db, args, input, fine = []) {
  const r = await run(RUCHE, ['admin', ...args, '--db', db], { input, env: { RUCHE_LOG_LEVEL: 'error' } });
  if (r.code !== 0 && !fine.some((code) => r.stderr.includes(`(${code})`))) {
    throw new Error(`ruche admin ${args.join(' ')}: ${r.stderr}`);
  }
  return r.stdout;
}

async function fixture(hives, rebuild) {
  const dir = path.join(OUT, `fixture-${hives}`);
  const out = { dir, db: path.join(dir, 'ruche.db'), users: path.join(dir, 'users.tsv'), hives };
  if (!rebuild && fixtureOk(dir, hives)) {
    log(`fixture: reusing ${dir}`);
    return out;
  }
  const t0 = Date.now();
  const tmp = `${dir}.tmp`;
  // An interrupted build left its database in tmp: go on from there
  // (--rebuild-fixture starts afresh).
  if (rebuild) fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const db = path.join(tmp, 'ruche.db');
  log(`fixture: making ${hives} hives of ${LEARNERS + 1} members in ${tmp}; every password takes ` +
      'about 0.4 s of CPU to hash, twice (create, then log in): this takes minutes, once');

  const rows = [];
  const existing = fs.existsSync(db) ? (await admin(db, ['list-hives'])).split('\n').filter(Boolean).length : 0;
  for (let k = 1; k <= hives; k++) {
    if (k > existing) {
      const id = Number((await admin(db, ['create-hive', `cohort-${String(k).padStart(3, '0')}`])).trim());
      if (id !== k) throw new Error(`hive ${k} got id ${id}: the fixture needs a fresh database`);
    }
    for (let i = 0; i <= LEARNERS; i++) rows.push({ handle: handleOf(k, i), hive: k, channel: 3 * k - 2, mentor: i === 0 });
  }
  let made = 0;
  const conc = Math.max(2, os.cpus().length + 1);
  await pool(rows, conc, async (r) => {
    await admin(db, ['create-user', r.handle, '--password-stdin'], `${PASSWORD}\n`, ['handle_taken']);
    if (++made % 100 === 0) log(`fixture: ${made}/${rows.length} users, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });
  const byHive = Array.from({ length: hives }, (_, k) => rows.filter((r) => r.hive === k + 1));
  await pool(byHive, 3, async (members) => {
    for (const r of members) {
      await admin(db, ['add-member', String(r.hive), r.handle, '--role', r.mentor ? 'mentor' : 'learner'],
        undefined, ['already_member']);
    }
  });
  const plain = path.join(tmp, 'users-plain.tsv');
  fs.writeFileSync(plain, rows.map((r) => `${r.handle}\t${r.hive}\t${r.channel}\n`).join(''));

  log(`fixture: logging ${rows.length} users in through ruche-load`);
  const srv = await startProcess(RUCHE, ['serve', '--listen', '127.0.0.1:0', '--db', db, ...RUCHE_BENCH_LIMITS],
    path.join(tmp, 'ruche.log'), /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const r = await load('login', ['--target', `127.0.0.1:${srv.port}`, '--users', plain,
    '--out', path.join(tmp, 'users.tsv'), '--server-pid', String(srv.pid),
    '--login-concurrency', '4', '--max-seconds', '7200']);
  await srv.stop();
  if (r.code !== 0) throw new Error('logging the fixture users in failed');
  const loginResult = r.results.find((x) => x.type === 'login');
  fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify({
    version: FIXTURE_VERSION, hives, members: LEARNERS + 1, created: new Date().toISOString(),
    seconds: (Date.now() - t0) / 1000, login: loginResult,
  }, null, 2));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  log(`fixture: ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return out;
}

// ---- Workloads ----------------------------------------------------------

const common = (srv, fx, kind = 'ruche') => ['--target', `127.0.0.1:${srv.port}`, '--users', fx.users,
  '--server-pid', String(srv.pid), '--kind', KINDS[kind].load, ...(KINDS[kind].args || [])];

async function cohort(kind, fx, p) {
  const runs = [];
  for (let i = 0; i < p.runs; i++) {
    const srv = await startServer(kind, fx, p.quietMs);
    try {
      const r = await load('cohort', [...common(srv, fx, kind), '--hives', String(p.hives),
        '--rates', p.rates.join(','), '--refine', String(p.refine), '--warm', String(p.warm),
        '--measure', String(p.measure), '--drain', String(p.drain), '--fragment-every', '50', '--retries', String(p.retries),
        '--ping', '5', '--max-seconds', '900', '--label', `cohort-${i + 1}`]);
      if (r.code !== 0) throw new Error(`cohort ${kind} run ${i + 1} failed (exit ${r.code})`);
      const steps = r.results.filter((x) => x.type === 'step');
      const passing = steps.filter((s) => s.pass);
      const best = passing.reduce((a, s) => (!a || s.delivered_per_s > a.delivered_per_s ? s : a), null);
      runs.push({ steps, best });
    } finally {
      await srv.stop();
    }
  }
  // The run whose best is the median stands for the workload.
  const sorted = [...runs].sort((a, b) => (a.best?.delivered_per_s ?? 0) - (b.best?.delivered_per_s ?? 0));
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    hives: p.hives,
    runs,
    best_delivered_per_s: median(runs.map((r) => r.best?.delivered_per_s ?? 0)),
    best: mid.best,
  };
}

const STEP_FIELDS = ['delivered_per_s', 'received_per_s', 'delivery', 'p50_ms', 'p99_ms', 'p999_ms', 'max_ms', 'ack_p99_ms',
  'server_cpu_pct', 'gen_cpu_pct', 'machine_busy_pct', 'steal_pct', 'other_pct', 'server_rss_kb', 'cpu_us_per_delivery',
  'lag_p99_ms'];

// Samples the server's stacks while a run goes on (perf, software clock:
// works where hardware counters do not).  Returns stop(), which writes the
// report next to the others.
function perfRecord(kind, pid, n) {
  const data = path.join(OUT, `perf-${kind}-${n}.data`);
  const p = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '999', '-g', '-p', String(pid), '-o', data],
    { stdio: ['ignore', 'ignore', 'ignore'] });
  children.add(p);
  const done = new Promise((resolve) => p.on('close', resolve));
  return async () => {
    p.kill('SIGINT');
    await done;
    children.delete(p);
    const r = await run('perf', ['report', '-i', data, '--stdio', '--no-children', '--percent-limit', '0.5',
      '--sort', 'symbol', '-g', 'none']);
    fs.writeFileSync(path.join(OUT, `profile-${kind}.txt`), r.stdout);
    log(`profile: ${path.join(OUT, `profile-${kind}.txt`)}`);
  };
}

async function equalLoad(kind, fx, p, perf) {
  const steps = [];
  for (let i = 0; i < p.runs; i++) {
    const srv = await startServer(kind, fx, p.quietMs);
    const stopPerf = perf && i === 0 ? perfRecord(kind, srv.pid, i + 1) : null;
    try {
      const r = await load('cohort', [...common(srv, fx, kind), '--hives', String(p.hives),
        '--rates', Array(p.steps).fill(p.rate).join(','), '--keep-going', '--warm', String(p.warm),
        '--measure', String(p.measure), '--drain', String(p.drain), '--ramp', '500', '--retries', String(p.retries),
        '--max-seconds', '600', '--label', `equal-${i + 1}`]);
      if (r.code !== 0) throw new Error(`equal load ${kind} run ${i + 1} failed (exit ${r.code})`);
      steps.push(...r.results.filter((x) => x.type === 'step'));
    } finally {
      if (stopPerf) await stopPerf();
      await srv.stop();
    }
  }
  // A window that failed while other work took the machine was run
  // again by the generator; the figures come from the others.
  const kept = steps.filter((s) => !s.retried);
  return { hives: p.hives, rate: p.rate, steps, median: summarize(kept, STEP_FIELDS), all_pass: kept.every((s) => s.pass) };
}

// Each run is tried a second time, on a fresh server, when one of its
// connections failed: a peer that resets one of 10,000 connections while
// they open (InspIRCd did, once in a few runs) has its run done again and
// the failure recorded, rather than the whole bench stopped.
async function idle(kind, fx, p) {
  const rows = [];
  const failed = [];
  for (let i = 0; i < p.runs; i++) {
    for (let attempt = 1; ; attempt++) {
      const srv = await startServer(kind, fx, p.quietMs);
      let r;
      try {
        r = await load('idle', [...common(srv, fx, kind), '--conns', String(p.conns),
          '--ramp', '2000', '--settle', String(p.settle), '--measure', String(p.measure),
          '--max-seconds', '300', '--label', `idle-${i + 1}`]);
      } finally {
        await srv.stop();
      }
      if (r.code === 0) {
        rows.push(...r.results.filter((x) => x.type === 'idle'));
        break;
      }
      const why = (r.stderr.match(/ruche-load: [^\n]*(failed|bound)[^\n]*/g) || []).pop() || `exit ${r.code}`;
      if (attempt === 2) throw new Error(`idle ${kind} run ${i + 1} failed twice: ${failed.at(-1)}; then: ${why}`);
      log(`idle ${kind} run ${i + 1}, attempt ${attempt}, failed: ${why}; once more`);
      failed.push(why);
    }
  }
  return { conns: p.conns, rows, failed_attempts: failed, median: summarize(rows, ['rss_per_conn_bytes', 'rss_after_kb', 'rss_before_kb',
    'server_cpu_pct', 'setup_seconds', 'setup_server_cpu_pct', 'gen_cpu_pct', 'machine_busy_pct']) };
}

// Descriptors a process keeps beside its connections (listening socket,
// database files, pipes, logs, the event loop's own), with room to spare.
const FD_SPARE = 1000;

// The open-file limit (soft, hard) that the servers and the generator
// inherit from the driver: Node raises its own soft limit to the hard one.
async function fdLimit() {
  const r = await run('sh', ['-c', 'ulimit -Sn; ulimit -Hn']);
  const [soft, hard] = r.stdout.trim().split(/\s+/).map((x) => (x === 'unlimited' ? Infinity : Number(x)));
  return { soft, hard };
}

// The idle workload once more, with as many connections as the open-file
// limit lets both a server and the generator hold (each a connection per
// descriptor; one generator process is enough, as it has the server's
// limit).  One run per server, tried a second time if a connection
// failed (at this scale a listen queue can overflow on a busy machine);
// a server that cannot hold them all gets its failure reported, not the
// bench stopped.
async function idleMax(kind, fx, p, conns) {
  const failed = [];
  for (let attempt = 1; attempt <= 2; attempt++) {
    const srv = await startServer(kind, fx, p.quietMs);
    try {
      const r = await load('idle', [...common(srv, fx, kind), '--conns', String(conns),
        '--ramp', '2000', '--settle', String(p.settle), '--measure', String(p.measure),
        '--max-seconds', '240', '--label', `idle-max-${attempt}`]);
      const row = r.results.find((x) => x.type === 'idle');
      if (r.code === 0 && row) return { conns, ok: true, failed_attempts: failed, ...row };
      const why = (r.stderr.match(/ruche-load: [^\n]*(failed|bound)[^\n]*/g) || []).pop() || `exit ${r.code}`;
      log(`idle ${kind} at ${conns} connections, attempt ${attempt}, failed: ${why}`);
      failed.push(why);
    } finally {
      await srv.stop();
    }
  }
  return { conns, ok: false, why: failed.join('; then: '), failed_attempts: failed };
}

async function writes(fx, p) {
  const out = [];
  for (const sync of p.sync) {
    for (const cfg of p.configs) {
      const rows = [];
      for (let i = 0; i < p.runs; i++) {
        await waitQuiet(p.quietMs);
        const srv = await startRuche(fx, { sync });
        try {
          const r = await load('writes', [...common(srv, fx), '--writers', String(cfg.writers),
            '--window', String(cfg.window), '--warm', String(p.warm), '--measure', String(p.measure),
            '--drain', String(p.drain), '--max-seconds', '300', '--label', `writes-${sync}-${cfg.name}-${i + 1}`]);
          if (r.code !== 0) throw new Error(`writes ${sync} ${cfg.name} failed (exit ${r.code})`);
          rows.push(...r.results.filter((x) => x.type === 'writes'));
        } finally {
          await srv.stop();
        }
      }
      out.push({ sync, ...cfg, rows, median: summarize(rows, ['acks_per_s', 'ack_p50_ms', 'ack_p99_ms',
        'server_cpu_pct', 'gen_cpu_pct', 'machine_busy_pct']) });
    }
  }
  return out;
}

// CPU µs per delivery at each rate of the cohort steps, median over runs,
// and whether the step passed in most runs: { rate: { kind: {...} } }.
function byRate(cohortRep) {
  const out = {};
  for (const [kind, c] of Object.entries(cohortRep || {})) {
    const steps = c.runs.flatMap((r) => r.steps).filter((s) => !s.retried);
    for (const rate of [...new Set(steps.map((s) => s.rate))]) {
      const at = steps.filter((s) => s.rate === rate);
      out[rate] ??= {};
      out[rate][kind] = {
        cpu_us_per_delivery: median(at.map((s) => s.cpu_us_per_delivery)),
        server_cpu_pct: median(at.map((s) => s.server_cpu_pct)),
        p99_ms: median(at.map((s) => s.p99_ms)),
        delivered_per_s: median(at.map((s) => s.delivered_per_s)),
        pass: at.filter((s) => s.pass).length * 2 > at.length,
      };
    }
  }
  return out;
}

// ---- Report -------------------------------------------------------------

async function machine() {
  const git = await run('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).catch(() => ({ stdout: '' }));
  const dirty = await run('git', ['-C', root, 'status', '--porcelain', '--', 'server', 'include']).catch(() => ({ stdout: '' }));
  let model = '';
  try {
    model = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || '';
  } catch {}
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpu_model: model,
    kernel: os.release(),
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    commit: git.stdout.trim() + (dirty.stdout.trim() ? ' (server/ or include/ modified)' : ''),
    ruche_bin: RUCHE,
  };
}

const fmt = (v, d = 2) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));

function stepRow(kind, s) {
  if (!s) return `| ${kind} | no passing step | | | | | | | | |`;
  return `| ${kind} | ${fmt(s.rate, 2)} | ${fmt(s.delivered_per_s, 0)} | ${fmt(100 * s.delivery, 2)} % | ` +
    `${fmt(s.p50_ms)} / ${fmt(s.p99_ms)} / ${fmt(s.p999_ms)} | ${fmt(s.server_cpu_pct, 0)} % | ` +
    `${fmt(s.cpu_us_per_delivery, 1)} | ${fmt(s.server_rss_kb / 1024, 1)} | ${fmt(s.gen_cpu_pct, 0)} % | ` +
    `${fmt(s.machine_busy_pct, 0)} % (steal ${fmt(s.steal_pct, 0)} %) |`;
}

function markdown(rep) {
  const m = rep.machine;
  const L = [];
  L.push(`# Ruche benchmark (${rep.profile})`, '');
  L.push(`${m.date} — ${m.cpus} × ${m.cpu_model}, Linux ${m.kernel}, ${m.memory_gb} GiB, Node ${m.node}, ` +
    `Ruche at ${m.commit || '?'} (Release, event loop ${rep.ruche_loop || '?'}).  ` +
    `Server and load generator share the ${m.cpus} cores; ` +
    'every figure comes with the server\'s CPU (% of one core), the generator\'s own CPU and the machine\'s ' +
    'busy share (all cores; anything above server + generator is other work on the machine, including ' +
    'hypervisor steal).  Loopback only.', '');
  L.push('## Headline', '');
  for (const line of rep.lines) L.push(`    ${line}`);
  L.push('');
  if (rep.cohort) {
    L.push(`## Cohort fan-out (${Object.values(rep.cohort)[0].hives} hives × 13, open loop)`, '');
    if (rep.chart) L.push(`![p99 latency against offered load](${rep.chart})`, '');
    L.push('Each member posts ~100-byte messages to its hive\'s `general` at a per-member rate, stepped up until ' +
      'p99 passes 50 ms or fewer than 99 % of deliveries arrive.  Best passing step of the median run; ' +
      'a delivery is one message reaching one other member (the copy back to the sender is not counted).', '');
    L.push('| server | rate/member | deliveries/s | delivered | p50 / p99 / p999 ms | server CPU | CPU µs/delivery | RSS MiB | generator CPU | machine busy |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const k of Object.keys(rep.cohort)) L.push(stepRow(k, rep.cohort[k].best));
    L.push('', 'Every step:', '');
    L.push('| server | run | rate | deliveries/s | delivered | p50 / p99 / p999 ms | server CPU | generator CPU | machine busy | send lag p99 ms | pass |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const k of Object.keys(rep.cohort)) {
      rep.cohort[k].runs.forEach((r, i) => {
        for (const s of r.steps) {
          L.push(`| ${k} | ${i + 1} | ${fmt(s.rate)} | ${fmt(s.delivered_per_s, 0)} | ${fmt(100 * s.delivery)} % | ` +
            `${fmt(s.p50_ms)} / ${fmt(s.p99_ms)} / ${fmt(s.p999_ms)} | ${fmt(s.server_cpu_pct, 0)} % | ` +
            `${fmt(s.gen_cpu_pct, 0)} % | ${fmt(s.machine_busy_pct, 0)} % | ${fmt(s.lag_p99_ms)} | ${s.pass ? 'yes' : `no (${s.why})`} |`);
        }
      });
    }
    L.push('');
    const rates = Object.keys(rep.by_rate || {}).map(Number).sort((a, b) => a - b);
    const kinds = Object.keys(rep.cohort);
    if (rates.length) {
      L.push('CPU µs per delivery at the rates every server was stepped through (median over runs; * = failed in most runs):', '');
      L.push(`| rate/member | ${kinds.map((k) => `${k}: deliveries/s, server CPU, µs/delivery`).join(' | ')} |`);
      L.push(`| --- | ${kinds.map(() => '---').join(' | ')} |`);
      for (const r of rates) {
        const row = rep.by_rate[r];
        L.push(`| ${fmt(r)} | ${kinds.map((k) => (row[k] ? `${fmt(row[k].delivered_per_s, 0)}, ${fmt(row[k].server_cpu_pct, 0)} %, ` +
          `${fmt(row[k].cpu_us_per_delivery, 1)}${row[k].pass ? '' : ' *'}` : '–')).join(' | ')} |`);
      }
      L.push('');
    }
  }
  if (rep.equal) {
    const any = Object.values(rep.equal)[0];
    L.push(`## Efficiency at equal load (${any.hives} hives × 13 at ${any.rate} msg/s/member)`, '');
    L.push('Median over every measured window (min–max in brackets).  CPU µs per delivery = the server\'s CPU time ' +
      'from the start of a window until every message of the window has arrived (the drain), divided by every ' +
      'delivery read in that time: while a server keeps up, that is its CPU % of one core × 10,000 ÷ deliveries/s; ' +
      'when it falls behind, it still counts all the work and all the CPU.  "Caught up" says the drain did finish.  ' +
      'A server whose CPU is near 100 % in the window is past what it can sustain: its latency then grows with time ' +
      'and says little.', '');
    L.push('| server | deliveries/s | delivered | p50 ms | p99 ms | p999 ms | server CPU | CPU µs/delivery | caught up | RSS MiB | generator CPU | machine busy | windows |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [k, e] of Object.entries(rep.equal)) {
      const s = e.median;
      const rng = (f, d = 2) => `${fmt(s[f], d)} (${fmt(s[`${f}_min`], d)}–${fmt(s[`${f}_max`], d)})`;
      const caught = e.steps.filter((x) => !x.retried && x.caught_up).length;
      L.push(`| ${k} | ${fmt(s.delivered_per_s, 0)} | ${fmt(100 * s.delivery)} % | ${rng('p50_ms')} | ${rng('p99_ms')} | ` +
        `${rng('p999_ms')} | ${rng('server_cpu_pct', 0)} % | ${rng('cpu_us_per_delivery', 1)} | ${caught}/${s.samples} | ${fmt(s.server_rss_kb / 1024, 1)} | ` +
        `${rng('gen_cpu_pct', 0)} % | ${rng('machine_busy_pct', 0)} % | ${s.samples}${e.all_pass ? '' : ' (some failed)'} |`);
    }
    L.push('');
  }
  if (rep.idle) {
    L.push('## Idle connections', '');
    L.push('Connections that logged in (ruche: `auth` + `sync`; inspircd: registered and joined its hive\'s channel; node_ws: joined a room) and stay silent.  RSS per connection = VmRSS after − before, ÷ connections.  A run in which a connection failed is done once more.', '');
    L.push('| server | connections | RSS before MiB | RSS after MiB | bytes/connection | set-up s | server CPU while idle | generator CPU | machine busy |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [k, e] of Object.entries(rep.idle)) {
      const s = e.median;
      const again = e.failed_attempts.length ? ` (${e.failed_attempts.length} run(s) tried twice)` : '';
      L.push(`| ${k} | ${e.conns}${again} | ${fmt(s.rss_before_kb / 1024, 1)} | ${fmt(s.rss_after_kb / 1024, 1)} | ${fmt(s.rss_per_conn_bytes, 0)} | ` +
        `${fmt(s.setup_seconds, 1)} | ${fmt(s.server_cpu_pct, 1)} % | ${fmt(s.gen_cpu_pct, 1)} % | ${fmt(s.machine_busy_pct, 0)} % |`);
    }
    L.push('');
  }
  if (rep.idle_max) {
    const im = rep.idle_max;
    L.push('## Idle connections: as many as the machine allows', '');
    L.push(`The idle workload once per server with ${im.conns} connections: the open-file limit every process here inherits ` +
      `(${im.fd_limit.soft}, hard ${im.fd_limit.hard}) less ${FD_SPARE} kept for the rest; the generator holds as many in one process.  ` +
      'One run each, a second when a connection failed.', '');
    L.push('| server | connections | RSS before MiB | RSS after MiB | bytes/connection | set-up s | server CPU in set-up | server CPU while idle | machine busy |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [k, r] of Object.entries(im.servers)) {
      if (!r.ok) {
        L.push(`| ${k} | ${r.conns}: **failed** (${r.why.replace(/\|/g, '/')}) | | | | | | | |`);
        continue;
      }
      const again = r.failed_attempts.length ? ' (second try)' : '';
      L.push(`| ${k} | ${r.conns}${again} | ${fmt(r.rss_before_kb / 1024, 1)} | ${fmt(r.rss_after_kb / 1024, 1)} | ${fmt(r.rss_per_conn_bytes, 0)} | ` +
        `${fmt(r.setup_seconds, 1)} | ${fmt(r.setup_server_cpu_pct, 0)} % | ${fmt(r.server_cpu_pct, 1)} % | ${fmt(r.machine_busy_pct, 0)} % |`);
    }
    L.push('');
  }
  if (rep.writes) {
    L.push('## Writes (Ruche only: acknowledged means stored)', '');
    L.push('Clients that only send (no `sync`), keeping a window of `msg.send` in flight; acknowledgements per second.', '');
    L.push('| --sync | clients × in flight | acks/s | ack p50 / p99 ms | server CPU | generator CPU | machine busy |');
    L.push('| --- | --- | --- | --- | --- | --- | --- |');
    for (const w of rep.writes) {
      const s = w.median;
      L.push(`| ${w.sync} | ${w.writers} × ${w.window} | ${fmt(s.acks_per_s, 0)} (${fmt(s.acks_per_s_min, 0)}–${fmt(s.acks_per_s_max, 0)}) | ` +
        `${fmt(s.ack_p50_ms)} / ${fmt(s.ack_p99_ms)} | ${fmt(s.server_cpu_pct, 0)} % | ${fmt(s.gen_cpu_pct, 0)} % | ${fmt(s.machine_busy_pct, 0)} % |`);
    }
    L.push('');
  }
  if (rep.history) {
    const hi = rep.history;
    const f = hi.fixture;
    L.push('## History (Ruche only: a large database)', '');
    L.push(`${fmt(f.messages / 1e6, 1)} million messages over ${f.hives} hives (database ${fmt(f.db_bytes / 2 ** 30, 2)} GiB, ` +
      `built in ${fmt(f.build_seconds, 0)} s on ${f.created.slice(0, 10)}; bench/history.mjs).  ` +
      `${hi.page?.readers ?? '?'} readers (${f.readers.map((x) => `${x.handle}: ${x.hives} hive${x.hives > 1 ? 's' : ''}`).join(', ')}) ` +
      'send, at a fixed total rate, first `msg.history` pages of 50 messages (half the newest page, half the page before a random message), ' +
      'then `msg.search` of one or two words drawn evenly on a log scale of their rank (common and rare alike).  ' +
      `Start-up: from spawning \`ruche serve\` on a fresh copy of the database (warm page cache) to its first HTTP answer; ` +
      `median of ${hi.startup_ms.length}: ${hi.startup_ms.map((x) => fmt(x, 0)).join(', ')} ms.`, '');
    L.push('| op | rate /s | answers | errors | p50 ms | p99 ms | p999 ms | max ms | server CPU | generator CPU | machine busy |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of [hi.page, hi.search].filter(Boolean)) {
      L.push(`| ${r.op} | ${fmt(r.rate, 0)} | ${r.answered} | ${r.errors} | ${fmt(r.p50_ms)} | ${fmt(r.p99_ms)} | ${fmt(r.p999_ms)} | ` +
        `${fmt(r.max_ms)} | ${fmt(r.server_cpu_pct, 0)} % | ${fmt(r.gen_cpu_pct, 0)} % | ${fmt(r.machine_busy_pct, 0)} % |`);
    }
    L.push(`| start-up | | ${hi.startup_ms.length} | | ${fmt(hi.startup_median_ms, 0)} (median) | | | ${fmt(Math.max(...hi.startup_ms), 0)} | | | |`);
    L.push('');
  }
  if (rep.cluster) {
    const c = rep.cluster;
    L.push('## Cluster (bench/cluster.mjs, docs/operations.md)', '');
    L.push(`The cohort fan-out of ${c.hives} hives × 13 against: one node on SQLite; one node on PostgreSQL without a bus ` +
      '(pg_alone); 1, 2 and 3 nodes on PostgreSQL with a Redis bus, each hive\'s members spread over the nodes.  PostgreSQL, ' +
      'Redis, every node and the generator share the machine\'s cores: the figures say what the cluster costs, not how it ' +
      'scales on more machines.  Server CPU is the first node\'s.', '');
    L.push('| setup | nodes | best passing deliveries/s | p50 ms | p99 ms | first node CPU | generator CPU | machine busy |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [k, v] of Object.entries(c.setups)) {
      const b = v.best;
      L.push(`| ${k} | ${v.nodes} | ${b ? fmt(b.delivered_per_s, 0) : 'none passed'} | ${fmt(b?.p50_ms)} | ${fmt(b?.p99_ms)} | ` +
        `${fmt(b?.server_cpu_pct, 0)} % | ${fmt(b?.gen_cpu_pct, 0)} % | ${fmt(b?.machine_busy_pct, 0)} % |`);
    }
    L.push('');
  }
  L.push('## Notes', '');
  L.push('- Ruche and node_ws send each message back to its sender too (IRC does not); Ruche also answers each send (the ack, after the grouped commit), the peers do not, and they store nothing.');
  L.push('- inspircd is InspIRCd 3 from Debian, driven in IRC over plain TCP (not its m_websocket module), with flood control, connection limits and DNS/ident lookups off (build/bench/work/inspircd.conf).  It keeps Nagle\'s algorithm on, which holds small writes back by up to ~40 ms: that shows in its latency even at low load.');
  L.push('- Ruche runs with its defaults (`--sync full`: every grouped commit is fsynced before anyone sees it), on a copy of a prepared database.');
  L.push('- Latency runs from the sender\'s clock just before its write to the receiver\'s clock when the frame is read: both ends share one clock.  "Send lag" is how late the generator sent against its schedule; when it grows, the generator (or the machine) is the limit.');
  L.push('- A busy share well above server + generator means other work ran on the machine during the window: compare such figures with care.');
  if (rep.quiet_waits?.length) {
    L.push(`- Before each run the driver waited (bounded) for the machine to be under 25 % busy; at the starts it was ${rep.quiet_waits.map((q) => `${fmt(q.busy_pct, 0)} %`).join(', ')}.`);
  }
  L.push('');
  return L.join('\n');
}

// ---- Chart ----------------------------------------------------------------
//
// p99 latency against offered load (deliveries per second the senders
// asked for), one line per server through its cohort steps (median over
// runs at each rate), a diamond at its equal-load point; both axes
// logarithmic.  Hand-built SVG text, no library.

const COLORS = { ruche: '#d9480f', ruche_normal: '#f59f00', inspircd: '#1971c2', node_ws: '#2f9e44' };
const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function chartSeries(rep) {
  const series = [];
  for (const k of Object.keys(rep.cohort || {})) {
    const steps = rep.cohort[k].runs.flatMap((r) => r.steps).filter((s) => !s.retried);
    const pts = [...new Set(steps.map((s) => s.rate))].sort((a, b) => a - b).map((rate) => {
      const at = steps.filter((s) => s.rate === rate);
      return { x: median(at.map((s) => s.offered_per_s)), y: median(at.map((s) => s.p99_ms)) };
    }).filter((p) => p.x > 0 && p.y > 0);
    const e = rep.equal?.[k]?.steps?.filter((s) => !s.retried) || [];
    const eq = e.length ? { x: median(e.map((s) => s.offered_per_s)), y: median(e.map((s) => s.p99_ms)) } : null;
    series.push({ kind: k, pts, eq: eq && eq.x > 0 && eq.y > 0 ? eq : null });
  }
  for (const k of Object.keys(rep.equal || {})) {
    if (series.some((s) => s.kind === k)) continue;
    const e = rep.equal[k].steps.filter((s) => !s.retried);
    const eq = { x: median(e.map((s) => s.offered_per_s)), y: median(e.map((s) => s.p99_ms)) };
    if (eq.x > 0 && eq.y > 0) series.push({ kind: k, pts: [], eq });
  }
  return series;
}

// Tick values 1, 2, 5 × 10^n between lo and hi.
function logTicks(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

const tickLabel = (v) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(Number(v.toPrecision(3))));

function chartSvg(rep, p99Limit = 50) {
  const series = chartSeries(rep);
  const all = series.flatMap((s) => [...s.pts, ...(s.eq ? [s.eq] : [])]);
  if (!all.length) return null;
  const W = 760;
  const H = 460;
  const m = { l: 70, r: 150, t: 40, b: 60 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const x0 = 10 ** Math.floor(Math.log10(Math.min(...all.map((p) => p.x))));
  const x1 = 10 ** Math.ceil(Math.log10(Math.max(...all.map((p) => p.x))));
  const y0 = 10 ** Math.floor(Math.log10(Math.min(p99Limit, ...all.map((p) => p.y))));
  const y1 = 10 ** Math.ceil(Math.log10(Math.max(p99Limit * 2, ...all.map((p) => p.y))));
  const X = (v) => m.l + (pw * Math.log10(v / x0)) / Math.log10(x1 / x0);
  const Y = (v) => m.t + ph - (ph * Math.log10(v / y0)) / Math.log10(y1 / y0);
  const f = (v) => v.toFixed(1);
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
    'font-family="sans-serif" font-size="12">');
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  o.push(`<text x="${m.l}" y="22" font-size="15" font-weight="bold">p99 latency against offered load ` +
    `(${esc(rep.profile)}, ${esc(rep.machine.date.slice(0, 10))})</text>`);
  for (const v of logTicks(x0, x1)) {
    o.push(`<line x1="${f(X(v))}" y1="${m.t}" x2="${f(X(v))}" y2="${m.t + ph}" stroke="#e9ecef"/>`);
    o.push(`<text x="${f(X(v))}" y="${m.t + ph + 16}" text-anchor="middle">${tickLabel(v)}</text>`);
  }
  for (const v of logTicks(y0, y1)) {
    o.push(`<line x1="${m.l}" y1="${f(Y(v))}" x2="${m.l + pw}" y2="${f(Y(v))}" stroke="#e9ecef"/>`);
    o.push(`<text x="${m.l - 6}" y="${f(Y(v) + 4)}" text-anchor="end">${tickLabel(v)}</text>`);
  }
  o.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#868e96"/>`);
  o.push(`<line x1="${m.l}" y1="${f(Y(p99Limit))}" x2="${m.l + pw}" y2="${f(Y(p99Limit))}" stroke="#c92a2a" ` +
    'stroke-dasharray="6 4"/>');
  o.push(`<text x="${m.l + pw - 4}" y="${f(Y(p99Limit) - 5)}" text-anchor="end" fill="#c92a2a">` +
    `p99 limit ${p99Limit} ms</text>`);
  o.push(`<text x="${m.l + pw / 2}" y="${H - 18}" text-anchor="middle">offered deliveries per second (log)</text>`);
  o.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">p99 latency, ms (log)</text>`);
  series.forEach((s, i) => {
    const c = COLORS[s.kind] || ['#7048e8', '#0c8599', '#e8590c'][i % 3];
    if (s.pts.length) {
      o.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${s.pts.map((p) => `${f(X(p.x))},${f(Y(p.y))}`).join(' ')}"/>`);
      for (const p of s.pts) o.push(`<circle cx="${f(X(p.x))}" cy="${f(Y(p.y))}" r="3.5" fill="${c}"/>`);
    }
    if (s.eq) {
      const cx = X(s.eq.x);
      const cy = Y(s.eq.y);
      o.push(`<path d="M${f(cx)} ${f(cy - 7)} L${f(cx + 7)} ${f(cy)} L${f(cx)} ${f(cy + 7)} L${f(cx - 7)} ${f(cy)} Z" ` +
        `fill="none" stroke="${c}" stroke-width="2"/>`);
    }
    const ly = m.t + 14 + 20 * i;
    o.push(`<line x1="${m.l + pw + 14}" y1="${ly - 4}" x2="${m.l + pw + 36}" y2="${ly - 4}" stroke="${c}" stroke-width="3"/>`);
    o.push(`<text x="${m.l + pw + 42}" y="${ly}">${esc(s.kind)}</text>`);
  });
  const ly = m.t + 14 + 20 * series.length + 10;
  o.push(`<text x="${m.l + pw + 14}" y="${ly}" fill="#495057">line: cohort steps</text>`);
  o.push(`<text x="${m.l + pw + 14}" y="${ly + 16}" fill="#495057">◇: equal load</text>`);
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}

// ---- History: what the history workload needs of the driver --------------

// What bench/cluster.mjs needs of the driver.
function clusterContext() {
  return {
    out: OUT,
    root,
    log,
    run,
    load,
    freePort,
    waitQuiet,
    ruche: RUCHE,
    // A node: --listen on a free port, the benchmark's limits, args.
    startRuche: (args, logPath) => startProcess(RUCHE, ['serve', '--listen', '127.0.0.1:0', ...RUCHE_BENCH_LIMITS,
      ...args], logPath, /listening on http:\/\/127\.0\.0\.1:(\d+)/),
    // A fresh copy of the fixture's SQLite database: its path.
    copyFixtureDb(fx) {
      const dir = path.join(OUT, 'work');
      fs.mkdirSync(dir, { recursive: true });
      copyDb(fx.db, path.join(dir, 'ruche.db'));
      return path.join(dir, 'ruche.db');
    },
  };
}

function historyContext() {
  return {
    out: OUT,
    log,
    run,
    load,
    net,
    freePort,
    waitQuiet,
    ruche: RUCHE,
    password: PASSWORD,
    benchLimits: RUCHE_BENCH_LIMITS,
    admin: (db, args, input, fine) => admin(db, args, input, fine),
    // A server whose port its log gives (the fixture's logins).
    startRuche: (db, logPath) => startProcess(RUCHE, ['serve', '--listen', '127.0.0.1:0', '--db', db,
      ...RUCHE_BENCH_LIMITS], logPath, /listening on http:\/\/127\.0\.0\.1:(\d+)/),
    // A server started and left to come up: the caller times it.
    spawnRuche(args, logPath) {
      const fd = fs.openSync(logPath, 'w');
      const proc = spawn(RUCHE, args, { stdio: ['ignore', fd, fd] });
      fs.closeSync(fd);
      children.add(proc);
      const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
      return { proc, pid: proc.pid, stop: stopper(proc, exited) };
    },
  };
}

// ---- Main ---------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const prof = structuredClone(PROFILES[opts.profile]);
  if (opts.runs) for (const w of ['cohort', 'equal', 'idle', 'writes']) if (prof[w]) prof[w].runs = opts.runs;
  // --hives N: a smaller fixture and workloads (a slow machine, or a try).
  if (opts.hives) {
    prof.fixtureHives = opts.hives;
    for (const w of ['cohort', 'equal']) if (prof[w]) prof[w].hives = Math.min(prof[w].hives, opts.hives);
  }
  const want = (w) => prof[w] && (!opts.only || opts.only.includes(w)) && (w !== 'cluster' || opts.only);
  for (const bin of [RUCHE, LOAD]) if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: build it first (make bench-quick does)`);
  fs.mkdirSync(OUT, { recursive: true });
  const t0 = Date.now();
  // The history workload has a fixture of its own.
  const fx = ['cohort', 'equal', 'idle', 'writes', 'cluster'].some(want) ?
    await fixture(prof.fixtureHives, opts.rebuild) : null;
  const rep = { profile: opts.profile, machine: await machine(), lines: [] };

  if (want('cohort')) {
    rep.cohort = {};
    for (const k of opts.kinds) {
      log(`cohort ${k}: ${prof.cohort.hives} hives, rates ${prof.cohort.rates.join(', ')} per member`);
      rep.cohort[k] = await cohort(k, fx, prof.cohort);
    }
  }
  if (want('equal')) {
    rep.equal = {};
    for (const k of opts.kinds) {
      log(`equal load ${k}: ${prof.equal.hives} hives at ${prof.equal.rate}/s per member`);
      rep.equal[k] = await equalLoad(k, fx, prof.equal, opts.perf);
    }
  }
  if (want('idle')) {
    rep.idle = {};
    // Durability does not change what an idle connection costs.
    for (const k of opts.kinds.filter((x) => !KINDS[x].sync)) {
      log(`idle ${k}: ${prof.idle.conns} connections`);
      rep.idle[k] = await idle(k, fx, prof.idle);
    }
    if (prof.idle.maxConns) {
      const limit = await fdLimit();
      const conns = Math.min(prof.idle.maxConns, limit.soft - FD_SPARE);
      rep.idle_max = { conns, fd_limit: limit, servers: {} };
      for (const k of opts.kinds.filter((x) => !KINDS[x].sync)) {
        log(`idle ${k}: ${conns} connections, as many as the open-file limit (${limit.soft}) allows`);
        rep.idle_max.servers[k] = await idleMax(k, fx, prof.idle, conns);
      }
    }
  }
  if (want('writes') && opts.kinds.includes('ruche')) {
    log('writes: ruche');
    rep.writes = await writes(fx, prof.writes);
  }
  if (want('history') && opts.kinds.includes('ruche')) {
    if (opts.historyMessages) prof.history.messages = opts.historyMessages;
    log(`history: ruche on ${prof.history.messages} messages`);
    rep.history = await historyWorkload(historyContext(), prof.history, opts.rebuild);
  }

  if (want('cluster')) {
    log(`cluster: ${prof.cluster.hives} hives, ${prof.cluster.nodes.join(', ')} nodes`);
    rep.cluster = await clusterWorkload(clusterContext(), fx, prof.cluster);
  }

  // The lines `make bench-quick` prints, and the figures behind them.
  const fig = {};
  const line = (s) => rep.lines.push(s);
  for (const k of opts.kinds) {
    if (rep.equal?.[k]) {
      fig[`cpu_us_per_delivery ${k}`] = rep.equal[k].median.cpu_us_per_delivery;
      fig[`p99_ms_equal_load ${k}`] = rep.equal[k].median.p99_ms;
      fig[`server_cpu_pct_equal_load ${k}`] = rep.equal[k].median.server_cpu_pct;
      fig[`gen_cpu_pct_equal_load ${k}`] = rep.equal[k].median.gen_cpu_pct;
      fig[`machine_busy_pct_equal_load ${k}`] = rep.equal[k].median.machine_busy_pct;
    }
    if (rep.cohort?.[k]) {
      fig[`cohort_delivered_per_s ${k}`] = rep.cohort[k].best_delivered_per_s;
      fig[`cohort_p99_ms ${k}`] = rep.cohort[k].best?.p99_ms ?? null;
      fig[`cohort_server_cpu_pct ${k}`] = rep.cohort[k].best?.server_cpu_pct ?? null;
      fig[`cohort_gen_cpu_pct ${k}`] = rep.cohort[k].best?.gen_cpu_pct ?? null;
      fig[`cohort_machine_busy_pct ${k}`] = rep.cohort[k].best?.machine_busy_pct ?? null;
    }
    if (rep.idle?.[k]) fig[`idle_rss_per_conn_bytes ${k}`] = rep.idle[k].median.rss_per_conn_bytes;
    const most = rep.idle_max?.servers[k];
    if (most) fig[`max_conns ${k}`] = most.ok ? most.conns : null;
  }
  for (const w of rep.writes || []) fig[`writes_acks_per_s_${w.sync}_${w.name} ruche`] = w.median.acks_per_s;
  if (rep.history) {
    fig['history_page_p99_ms ruche'] = rep.history.page?.p99_ms ?? null;
    fig['history_search_p99_ms ruche'] = rep.history.search?.p99_ms ?? null;
    fig['startup_ms ruche'] = rep.history.startup_median_ms;
  }
  const ratio = (a, b) => (a && b ? a / b : null);
  rep.by_rate = byRate(rep.cohort);
  // Every ratio is written so that above 1 is in Ruche's favour.
  rep.ratios = {};
  for (const peer of PEERS) {
    if (rep.cohort?.ruche && rep.cohort?.[peer]) {
      rep.ratios[`cohort_delivered_per_s ruche/${peer}`] =
        ratio(fig['cohort_delivered_per_s ruche'], fig[`cohort_delivered_per_s ${peer}`]);
    }
    if (rep.equal?.ruche && rep.equal?.[peer]) {
      rep.ratios[`cpu_us_per_delivery ${peer}/ruche`] =
        ratio(fig[`cpu_us_per_delivery ${peer}`], fig['cpu_us_per_delivery ruche']);
    }
    if (rep.idle?.ruche && rep.idle?.[peer]) {
      rep.ratios[`idle_kb_per_conn ${peer}/ruche`] =
        ratio(fig[`idle_rss_per_conn_bytes ${peer}`], fig['idle_rss_per_conn_bytes ruche']);
    }
  }
  // The CPU ratio where both servers keep up: the highest cohort rate
  // that both passed (the equal-load point may be past both).
  for (const peer of PEERS) {
    const both = Object.keys(rep.by_rate).map(Number).sort((a, b) => b - a)
      .find((r) => rep.by_rate[r].ruche?.pass && rep.by_rate[r][peer]?.pass);
    if (both !== undefined) {
      const row = rep.by_rate[both];
      rep.ratios[`cpu_us_per_delivery_at_${round(both, 2)}_per_s ${peer}/ruche`] =
        ratio(row[peer].cpu_us_per_delivery, row.ruche.cpu_us_per_delivery);
    }
  }
  if (rep.cluster) {
    Object.assign(rep.ratios, rep.cluster.ratios);
    for (const [k, v] of Object.entries(rep.cluster.figures)) fig[k] = v;
  }
  for (const [k, v] of Object.entries(rep.ratios)) line(`ratio ${k} = ${fmt(v)}`);
  for (const [k, v] of Object.entries(fig)) {
    const [name, kind] = k.split(' ');
    line(`figure ${name} ${kind} = ${name === 'max_conns' && v !== null ? v : fmt(v)}`);
  }
  rep.figures = fig;
  rep.quiet_waits = quietWaits;
  rep.ruche_loop = rucheLoop;
  rep.seconds = (Date.now() - t0) / 1000;

  const svg = chartSvg(rep);
  if (svg) {
    rep.chart = 'p99-latency.svg';
    fs.writeFileSync(path.join(OUT, rep.chart), svg);
  }
  fs.writeFileSync(path.join(OUT, 'report.json'), `${JSON.stringify(rep, null, 2)}\n`);
  fs.writeFileSync(path.join(OUT, 'report.md'), markdown(rep));
  for (const l of rep.lines) process.stdout.write(`${l}\n`);
  log(`report: ${path.join(OUT, 'report.md')} and report.json (${rep.seconds.toFixed(0)} s)`);
}

main().catch((err) => {
  log(`failed: ${err.stack || err.message}`);
  killChildren();
  process.exit(1);
});
