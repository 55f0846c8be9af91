// GET /metrics (issue 9, operations): absent unless the operator set a
// token, refused without the right one, and with it a page in the
// Prometheus text format (0.0.4) whose figures follow what the server
// does: requests, events delivered, connections, refusals by code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { runRuche, startServer } from '../lib/server.mjs';
import { httpGet } from '../lib/http.mjs';
import { cleanEnv, eventually, stopOk } from '../lib/util.mjs';
import { channelByName, chatClient, loginAll, makeHive, refused, waitCount } from '../lib/chat-setup.mjs';

const TOKEN = 'metrics-token-4f1c9a7e2b';

// Parses a text exposition page strictly, failing the test on anything
// the format does not allow.  Returns { families: {name: type}, samples:
// {'name{labels}': value} }.
function parsePage(text) {
  assert.ok(text.endsWith('\n'), 'the page ends with a newline');
  const families = {};
  const helped = new Set();
  const samples = {};
  let current = null; // the family whose samples may follow
  const nameRe = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleRe = new RegExp(`^(${nameRe})(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*\\})? (\\S+)$`);
  for (const line of text.slice(0, -1).split('\n')) {
    assert.notEqual(line, '', 'no blank line');
    let m = line.match(new RegExp(`^# HELP (${nameRe}) (.+)$`));
    if (m) {
      assert.ok(!helped.has(m[1]), `one HELP for ${m[1]}`);
      helped.add(m[1]);
      continue;
    }
    m = line.match(new RegExp(`^# TYPE (${nameRe}) (counter|gauge|histogram|summary|untyped)$`));
    if (m) {
      assert.ok(!(m[1] in families), `one TYPE for ${m[1]}`);
      assert.ok(helped.has(m[1]), `HELP before TYPE for ${m[1]}`);
      families[m[1]] = m[2];
      current = m[1];
      continue;
    }
    assert.ok(!line.startsWith('#'), `no other comment: ${line}`);
    m = line.match(sampleRe);
    assert.ok(m, `a sample line: ${line}`);
    const [, name, labels = '', value] = m;
    assert.ok(current, `a sample after a TYPE: ${line}`);
    const type = families[current];
    const ok = type === 'histogram'
      ? [`${current}_bucket`, `${current}_sum`, `${current}_count`].includes(name)
      : name === current;
    assert.ok(ok, `${name} belongs to the family ${current} (${type}) it follows`);
    if (type === 'counter') assert.ok(name.endsWith('_total') || name === current);
    assert.ok(/^(-?\d+(\.\d+)?([eE][-+]?\d+)?|\+Inf|-Inf|NaN)$/.test(value), `a number: ${line}`);
    const key = `${name}${labels}`;
    assert.ok(!(key in samples), `one sample ${key}`);
    samples[key] = Number(value);
  }
  // Histograms: buckets cumulative, +Inf equal to _count.
  for (const [name, type] of Object.entries(families)) {
    if (type !== 'histogram') continue;
    const buckets = Object.entries(samples).filter(([k]) => k.startsWith(`${name}_bucket{`))
      .map(([k, v]) => [k.match(/le="([^"]+)"/)[1], v]);
    assert.ok(buckets.length >= 2, `${name} has buckets`);
    assert.equal(buckets[buckets.length - 1][0], '+Inf', `${name} ends with +Inf`);
    for (let i = 1; i < buckets.length; i++) {
      assert.ok(buckets[i][1] >= buckets[i - 1][1], `${name} buckets are cumulative`);
      if (buckets[i][0] !== '+Inf') assert.ok(Number(buckets[i][0]) > Number(buckets[i - 1][0]), `${name} bounds rise`);
    }
    assert.equal(buckets[buckets.length - 1][1], samples[`${name}_count`], `${name}: +Inf = _count`);
    assert.ok(`${name}_sum` in samples, `${name}_sum`);
  }
  return { families, samples };
}

function getMetrics(server, headers = { authorization: `Bearer ${TOKEN}` }) {
  return httpGet(server.port, '/metrics', { headers });
}

async function page(server) {
  const res = await getMetrics(server);
  assert.equal(res.status, 200, res.body);
  assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  return parsePage(res.body).samples;
}

describe('GET /metrics without a token configured', () => {
  let server;
  before(async () => {
    server = await startServer({ env: cleanEnv() });
  });
  after(() => stopOk(server));

  test('is not there at all, whatever the request carries', async () => {
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }]) {
      const res = await getMetrics(server, headers);
      assert.equal(res.status, 404);
      assert.ok(!res.body.includes('ruche_'), 'no figure leaks');
    }
  });
});

describe('ruche serve --metrics-token', () => {
  test('refuses a token too short to be a secret, without echoing it', async () => {
    const r = await runRuche(['serve', '--listen', '127.0.0.1:0', '--metrics-token', 'short-secret'],
      { env: cleanEnv() });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--metrics-token/);
    assert.ok(!r.stderr.includes('short-secret'), r.stderr);
    const e = await runRuche(['serve', '--listen', '127.0.0.1:0'], { env: cleanEnv({ RUCHE_METRICS_TOKEN: 'a b c d e f g h i' }) });
    assert.equal(e.code, 2, e.stderr);
    assert.match(e.stderr, /RUCHE_METRICS_TOKEN/);
  });
});

describe('GET /metrics with a token', { timeout: 120000 }, () => {
  let server;
  let hive;
  let tok;
  let general;

  before(async () => {
    server = await startServer({ env: cleanEnv({ RUCHE_METRICS_TOKEN: TOKEN }) });
    hive = await makeHive(server, 'Metrics', { mentors: ['mira'], learners: ['lea', 'leo', 'lou'] });
    tok = await loginAll(server, hive.handles);
  });
  after(() => stopOk(server));

  test('answers 401 without the right bearer token', async () => {
    const wrong = [
      {},
      { authorization: TOKEN },
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.toUpperCase()}` },
      { authorization: 'Bearer ' },
      { cookie: `ruche_session=${TOKEN}` },
    ];
    for (const headers of wrong) {
      const res = await getMetrics(server, headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="ruche-metrics"');
      assert.equal(JSON.parse(res.body).error.code, 'unauthenticated');
      assert.ok(!res.body.includes('ruche_'), 'no figure leaks');
    }
  });

  test('serves the page in the text format, every family present', async () => {
    const res = await getMetrics(server);
    assert.equal(res.status, 200);
    const { families } = parsePage(res.body);
    assert.deepEqual(families, {
      ruche_info: 'gauge',
      ruche_uptime_seconds: 'gauge',
      process_resident_memory_bytes: 'gauge',
      ruche_connections: 'gauge',
      ruche_connections_authenticated: 'gauge',
      ruche_outbound_queue_bytes: 'gauge',
      ruche_outbound_queue_max_bytes: 'gauge',
      ruche_outbound_queue_frames: 'gauge',
      ruche_meetups_running: 'gauge',
      ruche_meetups_paused: 'gauge',
      ruche_requests_total: 'counter',
      ruche_errors_total: 'counter',
      ruche_events_delivered_total: 'counter',
      ruche_commits_failed_total: 'counter',
      ruche_commit_batch_size: 'histogram',
      ruche_commit_duration_seconds: 'histogram',
    });
    const s = parsePage(res.body).samples;
    assert.ok(s.process_resident_memory_bytes > 1e6, 'RSS is read');
    assert.ok(s.ruche_uptime_seconds > 0);
    assert.equal(s.ruche_meetups_running, 0);
  });

  test('the figures follow connections, messages and refusals', async () => {
    const s0 = await page(server);
    const c = {};
    for (const h of hive.handles) c[h] = await chatClient(server, tok[h].token);
    const s1 = await page(server);
    assert.equal(s1.ruche_connections, s0.ruche_connections + 4, 'four more connections');
    assert.equal(s1.ruche_connections_authenticated, s0.ruche_connections_authenticated + 4);

    general = await channelByName(c.lea, hive.id, 'general');
    const N = 25;
    for (let i = 0; i < N; i++) await c.lea.call('msg.send', { channel_id: general.id, text: `count me ${i}` });
    await Promise.all(hive.handles.map((h) => waitCount(c[h], 'msg.created', N)));
    const s2 = await page(server);
    const msgOps = (s) => s['ruche_requests_total{op="msg"}'] ?? 0;
    assert.ok(msgOps(s2) - msgOps(s1) >= N, `msg requests grew by ${msgOps(s2) - msgOps(s1)}`);
    // Each message reached the four members, its sender among them.
    assert.ok(s2.ruche_events_delivered_total - s1.ruche_events_delivered_total >= 4 * N,
      `events delivered grew by ${s2.ruche_events_delivered_total - s1.ruche_events_delivered_total}`);
    assert.ok(s2.ruche_commit_duration_seconds_count - s1.ruche_commit_duration_seconds_count >= 1, 'commits timed');
    assert.ok(s2.ruche_commit_batch_size_sum - s1.ruche_commit_batch_size_sum >= N, 'every ack came from a commit');
    assert.ok(s2.ruche_commit_duration_seconds_sum > 0);

    // A learner trying an admin operation: one "forbidden" more; an
    // operation that does not exist: counted as invalid, by its code.
    const forbidden = (s) => s['ruche_errors_total{code="forbidden"}'] ?? 0;
    const unknown = (s) => s['ruche_errors_total{code="unknown_op"}'] ?? 0;
    const invalid = (s) => s['ruche_requests_total{op="invalid"}'] ?? 0;
    await refused(c.leo, 'hive.create', { name: 'Not mine' }, 'forbidden');
    const r = await c.leo.request('no.such_op', {}, { check: false });
    assert.equal(r.error.code, 'unknown_op');
    const s3 = await page(server);
    assert.equal(forbidden(s3), forbidden(s2) + 1, 'the refusal is counted by its code');
    assert.equal(unknown(s3), unknown(s2) + 1);
    assert.equal(invalid(s3), invalid(s2) + 1);
    assert.ok(!Object.keys(s3).some((k) => k.includes('no.such_op') || k.includes('"no"')),
      'an unknown operation never becomes a label');

    await c.lou.close();
    await c.lea.close();
    await eventually(async () => (await page(server)).ruche_connections === s0.ruche_connections + 2,
      { what: 'the gauge follows disconnections' });
    const s4 = await page(server);
    assert.equal(s4.ruche_connections_authenticated, s0.ruche_connections_authenticated + 2);
    await c.leo.close();
    await c.mira.close();
  });

  test('the token never reaches the log', () => {
    assert.ok(!server.stderr.includes(TOKEN) && !server.stdout.includes(TOKEN), 'token not logged');
  });
});
