// The cluster workload of Ruche's benchmark (docs/operations.md): the
// cohort fan-out against 1, 2 and 3 nodes sharing one PostgreSQL database
// and a Redis bus, a hive's members spread over the nodes (ruche-load
// sends client i to node i mod n), beside the same load on one node alone
// on PostgreSQL (no bus) and on SQLite.  What it reports: the highest
// passing step's deliveries per second for each, and the overhead of the
// cluster against a single node.  On this machine every node, PostgreSQL,
// Redis and the load generator share two cores, so more nodes cannot mean
// more throughput here: the figures say what the cluster costs.
//
// Run by bench/run.mjs (`--only cluster`, or `make bench-cluster`).  The
// users are the benchmark's fixture (build/bench/fixture-N), copied from
// its SQLite file into a scratch PostgreSQL (scripts/pg-scratch.sh in
// build/bench/cluster/pg), sessions included, so that nobody logs in again.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// What stands for NULL in the CSV that goes from SQLite to PostgreSQL.
const NULL_MARK = '@@null@@';

// The tables the cohort needs, in the order their references allow.
const TABLES = ['users', 'sessions', 'hives', 'memberships', 'channels'];

function psql(url, sql, input) {
  return new Promise((resolve, reject) => {
    const p = spawn('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qtAc', sql], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`psql: ${err}`))));
    if (input !== undefined) {
      p.stdin.on('error', () => {});
      p.stdin.end(input);
    } else {
      p.stdin.end();
    }
  });
}

function sqliteCsv(db, sql) {
  return new Promise((resolve, reject) => {
    const p = spawn('sqlite3', ['-csv', '-cmd', `.nullvalue ${NULL_MARK}`, db, sql], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    let err = '';
    p.stdout.on('data', (d) => chunks.push(d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`sqlite3: ${err}`))));
  });
}

// Copies the fixture's people, hives and sessions into PostgreSQL (whose
// schema a `ruche admin` run made): the same rows, the same ids.
async function copyFixture(ctx, fx, url) {
  // A copy of the fixture, brought to this binary's schema first (the
  // fixture is kept as it was made).
  const db = ctx.copyFixtureDb(fx);
  const r = await ctx.run(ctx.ruche, ['admin', 'list-hives', '--db', db], { env: { RUCHE_LOG_LEVEL: 'error' } });
  if (r.code !== 0) throw new Error(`ruche admin on the fixture: ${r.stderr}`);
  for (const t of TABLES) {
    const cols = (await psql(url, 'SELECT string_agg(column_name || \':\' || data_type, \',\' ORDER BY ordinal_position) ' +
      `FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${t}'`)).split(',')
      .map((c) => c.split(':'));
    const names = cols.map(([n]) => n);
    const select = cols.map(([n, type]) => (type === 'bytea' ? `'\\x' || hex(${n})` : n)).join(', ');
    const csv = await sqliteCsv(db, `SELECT ${select} FROM ${t}`);
    await psql(url, `\\copy ${t}(${names.join(', ')}) FROM STDIN WITH (FORMAT csv, NULL '${NULL_MARK}')`, csv);
    if (names.includes('id')) {
      await psql(url, `SELECT setval(pg_get_serial_sequence('${t}', 'id'), coalesce(max(id), 1)) FROM ${t}`);
    }
  }
  ctx.log(`cluster: fixture copied into PostgreSQL (${TABLES.join(', ')})`);
}

function startRedis(ctx, dir, port) {
  return new Promise((resolve, reject) => {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10000);
    p.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(t);
        resolve({ proc: p, stop: () => new Promise((r) => { p.once('exit', r); p.kill('SIGTERM'); }) });
      }
    });
    p.on('error', reject);
  });
}

// One setup's cohort run: { best (the highest passing step), steps }.
async function cohortOn(ctx, fx, p, servers, label) {
  const targets = servers.flatMap((s) => ['--target', `127.0.0.1:${s.port}`]);
  const r = await ctx.load('cohort', [...targets, '--users', fx.users, '--server-pid', String(servers[0].pid),
    '--hives', String(p.hives), '--rates', p.rates.join(','), '--refine', String(p.refine), '--warm', String(p.warm),
    '--measure', String(p.measure), '--drain', String(p.drain), '--retries', String(p.retries), '--ping', '5',
    '--max-seconds', '600', '--label', label]);
  if (r.code !== 0) throw new Error(`cluster ${label} failed (exit ${r.code}): ${r.stderr}`);
  const steps = r.results.filter((x) => x.type === 'step');
  const best = steps.filter((s) => s.pass).reduce((a, s) => (!a || s.delivered_per_s > a.delivered_per_s ? s : a), null);
  return { best, steps };
}

export async function clusterWorkload(ctx, fx, p) {
  const dir = path.join(ctx.out, 'cluster');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const pgDir = path.join(dir, 'pg');
  const url = (await ctx.run(path.join(ctx.root, 'scripts', 'pg-scratch.sh'), ['fresh', pgDir])).stdout.trim();
  const stopPg = () => ctx.run(path.join(ctx.root, 'scripts', 'pg-scratch.sh'), ['stop', pgDir]);
  const redisPort = await ctx.freePort();
  const redis = await startRedis(ctx, dir, redisPort);
  const rep = { hives: p.hives, rates: p.rates, setups: {} };
  try {
    // The schema first (a `ruche admin` command migrates), then the rows.
    const r = await ctx.run(ctx.ruche, ['admin', 'list-hives', '--store', url], { env: { RUCHE_LOG_LEVEL: 'error' } });
    if (r.code !== 0) throw new Error(`ruche admin on PostgreSQL: ${r.stderr}`);
    await copyFixture(ctx, fx, url);
    const setups = [
      { name: 'sqlite', nodes: 1, store: null },
      { name: 'pg_alone', nodes: 1, store: url, bus: false },
      ...p.nodes.map((n) => ({ name: `pg_cluster_${n}`, nodes: n, store: url, bus: true })),
    ];
    for (const s of setups) {
      await ctx.waitQuiet(p.quietMs);
      // A fresh SQLite copy, or the shared database as the last run left it.
      const servers = [];
      try {
        for (let i = 0; i < s.nodes; i++) {
          const args = s.store ? ['--store', s.store] : ['--db', ctx.copyFixtureDb(fx)];
          if (s.bus) args.push('--bus', `redis://127.0.0.1:${redisPort}`);
          servers.push(await ctx.startRuche(args, path.join(dir, `${s.name}-${i + 1}.log`)));
        }
        ctx.log(`cluster ${s.name}: ${s.nodes} node(s), ${p.hives} hives, rates ${p.rates.join(', ')} per member`);
        rep.setups[s.name] = { nodes: s.nodes, ...(await cohortOn(ctx, fx, p, servers, `cluster-${s.name}`)) };
      } finally {
        for (const srv of servers) await srv.stop();
      }
    }
  } finally {
    await redis.stop();
    await stopPg();
  }
  const best = (k) => rep.setups[k]?.best?.delivered_per_s ?? null;
  rep.figures = {};
  for (const k of Object.keys(rep.setups)) rep.figures[`cluster_delivered_per_s ${k}`] = best(k);
  // Above 1: the cluster keeps up with the lone node as well as that.
  rep.ratios = {
    'cluster_delivered_per_s pg_cluster_1/sqlite': best('pg_cluster_1') && best('sqlite') ? best('pg_cluster_1') / best('sqlite') : null,
    'cluster_delivered_per_s pg_cluster_1/pg_alone': best('pg_cluster_1') && best('pg_alone') ? best('pg_cluster_1') / best('pg_alone') : null,
  };
  for (const n of p.nodes.filter((x) => x > 1)) {
    rep.ratios[`cluster_delivered_per_s pg_cluster_${n}/pg_cluster_1`] =
      best(`pg_cluster_${n}`) && best('pg_cluster_1') ? best(`pg_cluster_${n}`) / best('pg_cluster_1') : null;
  }
  return rep;
}
