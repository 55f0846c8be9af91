#!/usr/bin/env node
// Ruche's soak run: the Release server under a steady, moderate load for a
// long time, to show that memory stays flat and nothing is lost.
// `make soak` runs it (SOAK_MINUTES, default 60).
//
//   node scripts/soak.mjs [--minutes N] [--hives N] [--rate R]
//                         [--sample S] [--out DIR]
//
// It starts `ruche serve` on a fresh copy of the benchmark's fixture
// (bench/README.md: 100 hives of 13 members, logged in once), runs the
// benchmark's load generator (ruche-load cohort) at one rate for the
// whole time, in windows of about two minutes, and every --sample seconds
// (30) reads the server's RSS and CPU from /proc and its GET /metrics
// page.  It writes DIR/report.md and DIR/report.json (DIR: build/soak):
// RSS first, last and highest, messages sent, acknowledged and delivered,
// errors, and latency per window.  Loopback only.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const BUILD = process.env.RUCHE_BUILD_DIR
  ? path.resolve(root, process.env.RUCHE_BUILD_DIR) : path.join(root, 'build', 'release');
const RUCHE = process.env.RUCHE_BIN || path.join(BUILD, 'ruche');
const LOAD = process.env.RUCHE_LOAD_BIN || path.join(BUILD, 'bench', 'ruche-load');
const BENCH_DIR = path.join(root, 'build', 'bench');

const log = (...a) => process.stderr.write(`soak: ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? Number(v.toFixed(d)) : null);

function parseArgs(argv) {
  const o = {
    minutes: Number(process.env.SOAK_MINUTES || 60),
    hives: 100,
    rate: 1,
    sample: 30,
    out: path.join(root, 'build', 'soak'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--minutes') o.minutes = Number(v());
    else if (a === '--hives') o.hives = Number(v());
    else if (a === '--rate') o.rate = Number(v());
    else if (a === '--sample') o.sample = Number(v());
    else if (a === '--out') o.out = path.resolve(v());
    else throw new Error(`unknown option ${a}`);
  }
  for (const k of ['minutes', 'hives', 'rate', 'sample']) {
    if (!(o[k] > 0)) throw new Error(`--${k} must be a positive number`);
  }
  return o;
}

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

function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
    p.on('error', reject);
    p.on('close', (code) => resolve(code));
  });
}

// The benchmark's fixture: users made and logged in once (minutes of
// password hashing).  Reused from build/bench when `make bench` made it;
// otherwise the benchmark driver makes one for the soak alone.
async function fixture(hives) {
  const n = Math.max(hives, 100) === 100 ? 100 : hives;
  const ok = (dir) => fs.existsSync(path.join(dir, 'ruche.db')) && fs.existsSync(path.join(dir, 'users.tsv')) &&
    fs.existsSync(path.join(dir, 'meta.json'));
  const shared = path.join(BENCH_DIR, `fixture-${n}`);
  if (ok(shared)) return shared;
  const own = path.join(root, 'build', 'soak', 'bench');
  if (ok(path.join(own, `fixture-${n}`))) return path.join(own, `fixture-${n}`);
  log(`no fixture in ${shared}: making one (about 20 minutes, once)`);
  const code = await run(process.execPath, [path.join(root, 'bench', 'run.mjs'), 'quick', '--kinds', 'ruche',
    '--only', 'fixture', '--hives', String(n)], { RUCHE_BENCH_DIR: own, RUCHE_BUILD_DIR: BUILD });
  if (code !== 0 || !ok(path.join(own, `fixture-${n}`))) throw new Error('making the fixture failed');
  return path.join(own, `fixture-${n}`);
}

function copyDb(src, dst) {
  for (const suffix of ['', '-wal', '-shm']) {
    fs.rmSync(dst + suffix, { force: true });
    if (fs.existsSync(src + suffix)) fs.copyFileSync(src + suffix, dst + suffix);
  }
}

// /proc figures of the server: RSS (KiB), threads, CPU seconds.
function procSample(pid) {
  const out = { rss_kb: null, threads: null, cpu_s: null, fds: null };
  try {
    const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    out.rss_kb = Number((st.match(/VmRSS:\s+(\d+)/) || [])[1]);
    out.threads = Number((st.match(/Threads:\s+(\d+)/) || [])[1]);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.cpu_s = (Number(f[11]) + Number(f[12])) / 100; // utime + stime, USER_HZ
    out.fds = fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    // The server is gone: the report says so.
  }
  return out;
}

function getMetrics(port, token) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', headers: { authorization: `Bearer ${token}` },
      timeout: 25000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? body : null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

// The samples of a Prometheus text page: { 'name{labels}': value }.
function parseMetrics(text) {
  const m = {};
  for (const line of (text || '').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return m;
}

const sumOf = (m, prefix) => Object.entries(m).filter(([k]) => k.startsWith(prefix))
  .reduce((a, [, v]) => a + v, 0);

// A quantile from a cumulative Prometheus histogram: the bound of the
// first bucket that holds it (an upper estimate).
function histQuantile(m, name, q) {
  const b = Object.entries(m).filter(([k]) => k.startsWith(`${name}_bucket{`))
    .map(([k, v]) => [k.match(/le="([^"]+)"/)[1], v])
    .map(([le, v]) => [le === '+Inf' ? Infinity : Number(le), v]).sort((x, y) => x[0] - y[0]);
  const total = b.length ? b[b.length - 1][1] : 0;
  if (!total) return null;
  const hit = b.find(([, v]) => v >= q * total);
  return hit ? hit[0] : null;
}

function summary(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return { min: null, median: null, max: null };
  return { min: v[0], median: v[Math.floor(v.length / 2)], max: v[v.length - 1] };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  for (const bin of [RUCHE, LOAD]) if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: make release builds it`);
  const fx = await fixture(o.hives);
  const work = path.join(o.out, 'work');
  fs.mkdirSync(work, { recursive: true });
  const db = path.join(work, 'ruche.db');
  copyDb(path.join(fx, 'ruche.db'), db);

  // Windows of about two minutes (the generator takes at most 32 rates).
  const total = Math.round(o.minutes * 60);
  const nsteps = Math.min(32, Math.max(1, Math.round(total / 120)));
  const step = total / nsteps;
  const warm = Math.min(5, Math.max(1, Math.floor(step / 6)));
  const measure = Math.max(1, Math.round(step - warm - 1));

  // The token goes through the environment, not argv (ps shows argv).
  const token = crypto.randomBytes(24).toString('hex');
  const logPath = path.join(work, 'ruche.log');
  const fd = fs.openSync(logPath, 'w');
  const srv = spawn(RUCHE, ['serve', '--listen', '127.0.0.1:0', '--db', db, '--log-format', 'json'],
    { stdio: ['ignore', fd, fd], env: { ...process.env, RUCHE_METRICS_TOKEN: token } });
  fs.closeSync(fd);
  children.add(srv);
  const srvExit = new Promise((resolve) => srv.on('exit', (code, signal) => resolve({ code, signal })));
  let port = null;
  for (let i = 0; i < 600 && port === null && srv.exitCode === null; i++) {
    const mm = fs.readFileSync(logPath, 'utf8').match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    if (mm) port = Number(mm[1]);
    else await sleep(50);
  }
  if (port === null) throw new Error(`ruche did not start:\n${fs.readFileSync(logPath, 'utf8').slice(-2000)}`);
  const loop = (fs.readFileSync(logPath, 'utf8').match(/event loop: ([^"\s]+)/) || [])[1] || null;
  const conns = o.hives * 13;
  log(`ruche pid ${srv.pid} on port ${port}; ${o.hives} hives (${conns} connections) at ${o.rate} msg/s ` +
      `per member for ${o.minutes} min: ${nsteps} windows of ${warm} s warm-up + ${measure} s`);

  const t0 = Date.now();
  const samples = [];
  const windows = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const p = procSample(srv.pid);
      const text = await getMetrics(port, token);
      const m = parseMetrics(text);
      samples.push({
        t_s: round((Date.now() - t0) / 1000, 1),
        rss_kb: p.rss_kb,
        threads: p.threads,
        fds: p.fds,
        cpu_s: p.cpu_s,
        metrics_ok: text !== null,
        connections: m.ruche_connections ?? null,
        connections_authenticated: m.ruche_connections_authenticated ?? null,
        requests_total: text ? sumOf(m, 'ruche_requests_total') : null,
        msg_requests_total: m['ruche_requests_total{op="msg"}'] ?? null,
        events_delivered_total: m.ruche_events_delivered_total ?? null,
        errors_total: text ? sumOf(m, 'ruche_errors_total') : null,
        errors: Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith('ruche_errors_total{'))
          .map(([k, v]) => [k.match(/code="([^"]+)"/)[1], v])),
        outq_bytes: m.ruche_outbound_queue_bytes ?? null,
        outq_max_bytes: m.ruche_outbound_queue_max_bytes ?? null,
        commits: m.ruche_commit_duration_seconds_count ?? null,
        commit_p99_s: histQuantile(m, 'ruche_commit_duration_seconds', 0.99),
        commit_batch_p50: histQuantile(m, 'ruche_commit_batch_size', 0.5),
        rss_metric_bytes: m.process_resident_memory_bytes ?? null,
      });
      const s = samples[samples.length - 1];
      log(`t=${s.t_s}s rss ${s.rss_kb} KiB, ${s.connections} conns, ${s.requests_total} requests, ` +
          `${s.events_delivered_total} events, ${s.errors_total} errors`);
      for (let i = 0; i < o.sample * 10 && sampling; i++) await sleep(100);
    }
  })();

  const gen = spawn(LOAD, ['cohort', '--target', `127.0.0.1:${port}`, '--users', path.join(fx, 'users.tsv'),
    '--server-pid', String(srv.pid), '--hives', String(o.hives), '--rates', Array(nsteps).fill(o.rate).join(','),
    '--keep-going', '--retries', '0', '--warm', String(warm), '--measure', String(measure), '--drain', '5',
    '--ramp', '500', '--ping', '20', '--fragment-every', '100', '--max-seconds', String(total + 900),
    '--label', 'soak'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(gen);
  let buf = '';
  gen.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line);
        if (r.type === 'step') windows.push({ ...r, t_s: round((Date.now() - t0) / 1000, 1) });
      } catch {
        log(`unreadable result line: ${line.slice(0, 200)}`);
      }
    }
  });
  gen.stderr.on('data', (d) => process.stderr.write(d));
  const genCode = await new Promise((resolve) => gen.on('close', resolve));
  children.delete(gen);
  sampling = false;
  await sampler;
  // A last look once the load is gone: what stays queued, what memory.
  await sleep(2000);
  const after = { ...procSample(srv.pid), metrics: parseMetrics(await getMetrics(port, token)) };
  srv.kill('SIGTERM');
  const killer = setTimeout(() => srv.kill('SIGKILL'), 15000);
  const exit = await srvExit;
  clearTimeout(killer);
  children.delete(srv);

  const rep = report(o, { nsteps, warm, measure, conns, loop, genCode, exit, samples, windows, after, logPath,
    seconds: (Date.now() - t0) / 1000, fixture: fx });
  fs.writeFileSync(path.join(o.out, 'report.json'), `${JSON.stringify(rep, null, 2)}\n`);
  fs.writeFileSync(path.join(o.out, 'report.md'), markdown(rep));
  for (const l of rep.lines) process.stdout.write(`${l}\n`);
  log(`report: ${path.join(o.out, 'report.md')} and report.json`);
  if (!rep.ok) process.exitCode = 1;
}

function report(o, r) {
  const sum = (f) => r.windows.reduce((a, w) => a + (w[f] || 0), 0);
  const rss = r.samples.map((s) => s.rss_kb).filter((x) => x);
  // The first sample with every connection up is where memory is first
  // comparable; later ones show growth, if any.
  const loaded = r.samples.filter((s) => s.connections_authenticated >= r.conns);
  const rssLoaded = loaded.map((s) => s.rss_kb).filter((x) => x);
  const p99 = summary(r.windows.map((w) => w.p99_ms));
  const sent = sum('sent');
  const expected = sum('expected');
  const delivered = sum('delivered');
  const acked = sum('acks_ok');
  const ackErr = sum('acks_err');
  const lost = sum('lost');
  const last = r.samples[r.samples.length - 1] || {};
  const firstLoaded = loaded[0] || {};
  const lastLoaded = loaded[loaded.length - 1] || {};
  // Memory that grows for good shows in the second half too; what a
  // start-up or a burst took once does not.
  const midT = (firstLoaded.t_s + lastLoaded.t_s) / 2;
  const mid = loaded.find((s) => s.t_s >= midT) || {};
  const rep = {
    started: new Date(Date.now() - r.seconds * 1000).toISOString(),
    seconds: round(r.seconds, 1),
    settings: { minutes: o.minutes, hives: o.hives, connections: r.conns, rate_per_member: o.rate,
      offered_msgs_per_s: r.conns * o.rate, offered_deliveries_per_s: r.conns * o.rate * 12,
      windows: r.nsteps, warm_s: r.warm, measure_s: r.measure, sample_s: o.sample, event_loop: r.loop,
      ruche: RUCHE, fixture: r.fixture },
    rss_kb: {
      first: rss[0] ?? null,
      first_loaded: rssLoaded[0] ?? null,
      last: rss[rss.length - 1] ?? null,
      max: rss.length ? Math.max(...rss) : null,
      after_load: r.after.rss_kb,
      mid: mid.rss_kb ?? null,
      growth_loaded_kb: rssLoaded.length ? rssLoaded[rssLoaded.length - 1] - rssLoaded[0] : null,
      growth_second_half_kb: mid.rss_kb && lastLoaded.rss_kb ? lastLoaded.rss_kb - mid.rss_kb : null,
    },
    messages: {
      sent, acked, ack_errors: ackErr, expected_deliveries: expected, delivered, lost,
      delivery: expected ? delivered / expected : null,
      sent_per_s: round(sum('sent_per_s') / Math.max(1, r.windows.length), 1),
      delivered_per_s: round(sum('delivered_per_s') / Math.max(1, r.windows.length), 1),
      note: 'Counted over the measured windows (warm-ups excluded); the server counters below count everything.',
    },
    server_counters: {
      requests_total: last.requests_total,
      msg_requests_total: last.msg_requests_total,
      events_delivered_total: last.events_delivered_total,
      errors_total: last.errors_total,
      errors: last.errors,
      commits: last.commits,
      commit_p99_s_upper: last.commit_p99_s,
      commit_batch_p50_upper: last.commit_batch_p50,
      outq_bytes_after_load: r.after.metrics.ruche_outbound_queue_bytes ?? null,
    },
    latency_ms: {
      p50_median: summary(r.windows.map((w) => w.p50_ms)).median,
      p99_median: p99.median,
      p99_max: p99.max,
      p999_max: summary(r.windows.map((w) => w.p999_ms)).max,
      max: summary(r.windows.map((w) => w.max_ms)).max,
      ack_p99_median: summary(r.windows.map((w) => w.ack_p99_ms)).median,
    },
    cpu: {
      server_pct_median: summary(r.windows.map((w) => w.server_cpu_pct)).median,
      gen_pct_median: summary(r.windows.map((w) => w.gen_cpu_pct)).median,
      machine_busy_pct_median: summary(r.windows.map((w) => w.machine_busy_pct)).median,
      other_pct_max: summary(r.windows.map((w) => w.other_pct)).max,
    },
    windows_passed: r.windows.filter((w) => w.pass).length,
    windows: r.windows.map((w) => ({ t_s: w.t_s, step: w.step, sent: w.sent, acks_ok: w.acks_ok, acks_err: w.acks_err,
      expected: w.expected, delivered: w.delivered, lost: w.lost, p50_ms: w.p50_ms, p99_ms: w.p99_ms,
      p999_ms: w.p999_ms, max_ms: w.max_ms, server_cpu_pct: w.server_cpu_pct, machine_busy_pct: w.machine_busy_pct,
      server_rss_kb: w.server_rss_kb, pass: w.pass, why: w.why })),
    samples: r.samples,
    generator_exit: r.genCode,
    server_exit: r.exit,
    lines: [],
  };
  rep.ok = r.genCode === 0 && r.exit.code === 0 && r.windows.length === r.nsteps && lost === 0 && ackErr === 0;
  const l = (s) => rep.lines.push(s);
  l(`soak ${rep.ok ? 'ok' : 'FAILED'}: ${r.conns} connections, ${o.rate} msg/s per member, ${r.windows.length}/${r.nsteps} windows, ${round(r.seconds / 60, 1)} min`);
  l(`figure soak_rss_first_loaded_kb = ${rep.rss_kb.first_loaded}`);
  l(`figure soak_rss_last_kb = ${rep.rss_kb.last}`);
  l(`figure soak_rss_max_kb = ${rep.rss_kb.max}`);
  l(`figure soak_rss_growth_second_half_kb = ${rep.rss_kb.growth_second_half_kb}`);
  l(`figure soak_sent = ${sent}`);
  l(`figure soak_acked = ${acked}`);
  l(`figure soak_delivered = ${delivered} of ${expected}`);
  l(`figure soak_lost = ${lost}`);
  l(`figure soak_errors = ${last.errors_total}`);
  l(`figure soak_p99_ms_median = ${round(p99.median)}`);
  l(`figure soak_p99_ms_max = ${round(p99.max)}`);
  return rep;
}

function markdown(rep) {
  const s = rep.settings;
  const fmt = (v, d = 2) => (v === null || v === undefined ? '—' : typeof v === 'number' ? String(round(v, d)) : String(v));
  const o = [];
  o.push(`# Ruche soak run${rep.ok ? '' : ' (FAILED)'}`, '');
  o.push(`${rep.started}, ${fmt(rep.seconds / 60, 1)} minutes: ${s.connections} connections (${s.hives} hives × 13), ` +
    `every member posting ${s.rate_per_member} message/s to its hive's general channel: ${s.offered_msgs_per_s} ` +
    `messages/s and ${s.offered_deliveries_per_s} deliveries/s offered.  ${s.windows} measured windows of ` +
    `${s.measure_s} s (after ${s.warm_s} s of warm-up each), samples every ${s.sample_s} s.  Event loop: ` +
    `${s.event_loop ?? 'unknown'}.  Server and load generator share the machine.`, '');
  o.push('## Memory', '');
  o.push('| RSS | KiB |', '| --- | --- |');
  o.push(`| at the first sample | ${fmt(rep.rss_kb.first)} |`);
  o.push(`| with every connection up | ${fmt(rep.rss_kb.first_loaded)} |`);
  o.push(`| last sample under load | ${fmt(rep.rss_kb.last)} |`);
  o.push(`| highest | ${fmt(rep.rss_kb.max)} |`);
  o.push(`| after the load stopped | ${fmt(rep.rss_kb.after_load)} |`);
  o.push(`| half-way | ${fmt(rep.rss_kb.mid)} |`);
  o.push(`| growth under load: whole run, second half | ${fmt(rep.rss_kb.growth_loaded_kb)}, ` +
    `${fmt(rep.rss_kb.growth_second_half_kb)} |`, '');
  o.push('## Messages', '');
  const m = rep.messages;
  o.push('| sent | acknowledged | ack errors | deliveries expected | delivered | lost | delivery |',
    '| --- | --- | --- | --- | --- | --- | --- |');
  o.push(`| ${m.sent} | ${m.acked} | ${m.ack_errors} | ${m.expected_deliveries} | ${m.delivered} | ${m.lost} | ` +
    `${m.delivery === null ? '—' : `${(100 * m.delivery).toFixed(3)} %`} |`, '');
  o.push(m.note, '');
  const c = rep.server_counters;
  o.push('Server counters at the end (GET /metrics): ' +
    `${fmt(c.requests_total, 0)} requests (${fmt(c.msg_requests_total, 0)} msg.*), ` +
    `${fmt(c.events_delivered_total, 0)} events delivered, ${fmt(c.errors_total, 0)} error replies ` +
    `${JSON.stringify(c.errors || {})}, ${fmt(c.commits, 0)} grouped commits (p99 ≤ ${fmt(c.commit_p99_s_upper, 4)} s, ` +
    `median batch ≤ ${fmt(c.commit_batch_p50_upper, 0)}), ${fmt(c.outq_bytes_after_load, 0)} bytes still queued after the load.`, '');
  o.push('## Latency and CPU', '');
  const lat = rep.latency_ms;
  o.push(`Delivery latency over the windows: p50 median ${fmt(lat.p50_median)} ms, p99 median ${fmt(lat.p99_median)} ms, ` +
    `p99 worst ${fmt(lat.p99_max)} ms, p999 worst ${fmt(lat.p999_max)} ms, max ${fmt(lat.max)} ms; acknowledgement p99 ` +
    `median ${fmt(lat.ack_p99_median)} ms.  Server CPU median ${fmt(rep.cpu.server_pct_median, 1)} % of one core, ` +
    `generator ${fmt(rep.cpu.gen_pct_median, 1)} %, machine busy ${fmt(rep.cpu.machine_busy_pct_median, 1)} % ` +
    `(other work up to ${fmt(rep.cpu.other_pct_max, 1)} %).  ${rep.windows_passed} of ${rep.windows.length} windows ` +
    'passed the benchmark\'s bar (p99 ≤ 50 ms, ≥ 99 % delivered).', '');
  o.push('## Samples', '');
  o.push('| t (s) | RSS KiB | fds | conns (auth) | requests | events delivered | errors | queued bytes (max) | commit p99 ≤ s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const x of rep.samples) {
    o.push(`| ${x.t_s} | ${fmt(x.rss_kb)} | ${fmt(x.fds)} | ${fmt(x.connections)} (${fmt(x.connections_authenticated)}) | ` +
      `${fmt(x.requests_total, 0)} | ${fmt(x.events_delivered_total, 0)} | ${fmt(x.errors_total, 0)} | ` +
      `${fmt(x.outq_bytes, 0)} (${fmt(x.outq_max_bytes, 0)}) | ${fmt(x.commit_p99_s, 4)} |`);
  }
  o.push('', '## Windows', '');
  o.push('| t (s) | sent | acked | delivered / expected | lost | p50 / p99 / p999 ms | server CPU | machine | RSS KiB | pass |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const w of rep.windows) {
    o.push(`| ${w.t_s} | ${w.sent} | ${w.acks_ok} | ${w.delivered} / ${w.expected} | ${w.lost} | ` +
      `${fmt(w.p50_ms)} / ${fmt(w.p99_ms)} / ${fmt(w.p999_ms)} | ${fmt(w.server_cpu_pct, 0)} % | ` +
      `${fmt(w.machine_busy_pct, 0)} % | ${fmt(w.server_rss_kb)} | ${w.pass ? 'yes' : `no: ${w.why}`} |`);
  }
  o.push('', `Server exit: ${JSON.stringify(rep.server_exit)}; generator exit: ${rep.generator_exit}.`, '');
  return `${o.join('\n')}\n`;
}

main().catch((err) => {
  log(`failed: ${err.stack || err.message}`);
  killChildren();
  process.exit(1);
});
