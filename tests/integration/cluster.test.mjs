// Issue 10 through real servers: three Ruche nodes on one PostgreSQL
// database (RUCHE_TEST_PG, a scratch server) and one Redis bus, each on
// its own port.  People spread over the nodes chat in one hive and see one
// history, every message once and in one order; typing crosses nodes; a
// node killed with SIGKILL loses nothing acknowledged and its people
// resume on another node with nothing missed or doubled; with the bus
// down, messages still arrive (nodes read the store every second).  And a
// meetup runs on exactly one node, and goes on at the right step on
// another when that node dies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';

import { startServer, tempDir, testPg } from '../lib/server.mjs';
import { connectAs, login } from '../lib/api.mjs';
import { cleanEnv, eventually, sleep, stopOk } from '../lib/util.mjs';
import {
  admin, barrier, channelByName, chatClient, fullHistory, makeHive, received, waitCount,
} from '../lib/chat-setup.mjs';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

// A Redis server of the test's own, nothing kept on disk.
async function startRedis(port) {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1',
    '--save', '', '--appendonly', 'no', '--dir', tempDir('ruche-redis-')],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  await eventually(() => out.includes('Ready to accept connections'), {
    timeoutMs: 10000, what: `redis-server on ${port}: ${out}`,
  });
  return proc;
}

function stopRedis(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.on('exit', resolve);
    proc.kill('SIGKILL');
  });
}

const LEARNERS = ['l1', 'l2', 'l3', 'l4', 'l5', 'l6'];
const NODES = 3;

describe('three nodes, one hive', { skip: !testPg && 'needs RUCHE_TEST_PG (ctest cluster.*)', timeout: 180000 }, () => {
  const dir = tempDir('ruche-cluster-');
  const nodes = [];
  const cl = {}; // handle -> client
  const nodeOf = {}; // handle -> node index
  const fromKilled = new Set(); // those who were on the node killed
  let redisPort;
  let redis;
  let hive;
  let general;
  let tok;

  const startNode = () => startServer({
    dir, env: cleanEnv(), args: ['--bus', `redis://127.0.0.1:${redisPort}`],
  });

  before(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    for (let i = 0; i < NODES; i++) nodes.push(await startNode());
    hive = await makeHive(nodes[0], 'Cluster', { mentors: ['mira'], learners: LEARNERS });
    tok = {};
    for (const [i, h] of hive.handles.entries()) {
      nodeOf[h] = i % NODES;
      tok[h] = await login(nodes[nodeOf[h]].port, h);
      cl[h] = await chatClient(nodes[nodeOf[h]], tok[h].token);
    }
    general = await channelByName(cl.mira, hive.id, 'general');
  });

  after(async () => {
    for (const c of Object.values(cl)) if (c && !c.closeInfo) await c.close();
    for (const n of nodes) if (n.proc.exitCode === null && !n.proc.signalCode) await stopOk(n);
    if (redis) await stopRedis(redis);
  });

  // The msg.created events a client received, as message ids in order.
  const createdIds = (c) => received(c, 'msg.created').map((m) => m.data.message.id);

  test('every message reaches everyone once, in one order, whichever node took it', async () => {
    const sends = [];
    for (let round = 0; round < 4; round++) {
      for (const h of hive.handles) {
        sends.push(cl[h].call('msg.send', {
          channel_id: general.id, text: `${h} says ${round}`, nonce: `${h}-${round}`,
        }));
      }
    }
    const acks = await Promise.all(sends);
    const want = acks.length;
    for (const h of hive.handles) {
      await eventually(() => createdIds(cl[h]).length >= want, {
        timeoutMs: 15000, what: `${h} on node ${nodeOf[h]} got ${want} messages (${createdIds(cl[h]).length})`,
      });
    }
    const order = createdIds(cl.mira);
    assert.equal(new Set(order).size, want, 'once each');
    for (const h of hive.handles) assert.deepEqual(createdIds(cl[h]), order, `${h} saw the same order`);
    // The events came in position order, and that is history's order.
    const pos = received(cl.l1, 'msg.created').map((m) => m.pos);
    assert.deepEqual(pos, [...pos].sort((a, b) => a - b));
    const history = (await fullHistory(cl.l2, general.id)).map((m) => m.id);
    assert.deepEqual(history.slice(-want), order, 'one history, read on any node');
  });

  test('a send retried on another node is stored once', async () => {
    const h = hive.handles.find((x) => nodeOf[x] === 0);
    const again = await connectAs(nodes[2], tok[h].token);
    try {
      const params = { channel_id: general.id, text: 'said once, sent twice', nonce: 'retry-elsewhere' };
      const first = await cl[h].call('msg.send', params);
      const second = await again.call('msg.send', params);
      assert.equal(second.message.id, first.message.id, 'the retry answers with the stored message');
      await sleep(1500); // a second read of the store by every node
      assert.equal(createdIds(cl.mira).filter((id) => id === first.message.id).length, 1);
      const texts = (await fullHistory(cl.l2, general.id)).filter((m) => m.text === params.text);
      assert.equal(texts.length, 1);
    } finally {
      await again.close();
    }
  });

  test('typing crosses nodes, and is not stored', async () => {
    await cl.l1.call('typing', { channel_id: general.id });
    for (const h of ['l2', 'l3', 'mira']) {
      const e = await cl[h].waitFor((x) => x.ev === 'typing' && x.data.user_id === tok.l1.user.id);
      assert.equal(e.pos, undefined);
    }
    await sleep(300);
    assert.equal(received(cl.l4, 'typing').length, 1, 'once, though three nodes heard it');
    assert.equal(received(cl.l1, 'typing').length, 0, 'not to the typist');
  });

  test('presence is the whole cluster\'s: online on any node is online', async () => {
    const status = async (h) => (await cl.mira.call('presence.list', { hive_id: hive.id })).presence
      .find((p) => p.user_id === tok[h].user.id).status;
    for (const h of hive.handles) assert.equal(await status(h), 'online', `${h} on node ${nodeOf[h]}`);
    // l3 opens a second connection on another node, then closes the first:
    // still online, and nobody was told otherwise.
    const other = nodes[(nodeOf.l3 + 1) % NODES];
    const second = await chatClient(other, tok.l3.token);
    const offline = (c) => received(c, 'presence').filter((m) => m.data.user_id === tok.l3.user.id && m.data.status === 'offline');
    await cl.l3.close();
    second.log.unshift(...cl.l3.log); // one person's story, for the tests after
    cl.l3 = second;
    nodeOf.l3 = (nodeOf.l3 + 1) % NODES;
    await sleep(800);
    assert.equal(await status('l3'), 'online');
    assert.equal(offline(cl.mira).length, 0, 'no offline for someone still on another node');
    // Away on its only connection: away for all, told across nodes.
    await cl.l3.call('presence.set', { status: 'away' });
    await cl.l1.waitFor((m) => m.ev === 'presence' && m.data.user_id === tok.l3.user.id && m.data.status === 'away');
    assert.equal(await status('l3'), 'away');
    await cl.l3.call('presence.set', { status: 'online' });
    await cl.l1.waitFor((m) => m.ev === 'presence' && m.data.user_id === tok.l3.user.id && m.data.status === 'online');
  });

  test('a node killed: nothing acknowledged is lost, its people resume elsewhere', async () => {
    const victim = 1;
    const onVictim = hive.handles.filter((h) => nodeOf[h] === victim);
    const last = {};
    for (const h of onVictim) last[h] = cl[h].log.filter((m) => m.pos).at(-1)?.pos ?? cl[h].synced.pos;
    const before = createdIds(cl.mira).length;
    // A message acknowledged by the victim just before it dies.
    const ack = await cl[onVictim[0]].call('msg.send', { channel_id: general.id, text: 'last words', nonce: 'last' });
    nodes[victim].proc.kill('SIGKILL');
    await new Promise((r) => nodes[victim].proc.once('exit', r));
    // Meanwhile the others go on talking.
    const during = [];
    for (const h of hive.handles.filter((x) => nodeOf[x] !== victim)) {
      during.push((await cl[h].call('msg.send', { channel_id: general.id, text: `${h} while it was down`, nonce: `${h}-down` })).message.id);
    }
    // Its people come back on another node, from where they were.
    const target = (victim + 1) % NODES;
    for (const h of onVictim) {
      const c = await connectAs(nodes[target], tok[h].token);
      const r = await c.call('sync', { since: last[h] });
      const ids = r.events.filter((e) => e.ev === 'msg.created').map((e) => e.data.message.id);
      // What it had not seen: the last words (which it may have seen live)
      // and everything sent while it was away, once each, in order.
      const seen = new Set(createdIds(cl[h]));
      const missing = [ack.message.id, ...during].filter((id) => !seen.has(id));
      assert.deepEqual(ids.filter((id) => !seen.has(id)), missing, `${h} resumed without a gap`);
      assert.equal(new Set(ids).size, ids.length, `${h}: no duplicate`);
      assert.ok(ids.every((id) => !seen.has(id) || id === ack.message.id), `${h}: nothing it already had but maybe the last words`);
      cl[h] = c;
      nodeOf[h] = target;
      fromKilled.add(h);
    }
    await eventually(() => createdIds(cl.mira).length >= before + 1 + during.length, {
      timeoutMs: 10000, what: 'mira saw the last words and the rest',
    });
    const history = (await fullHistory(cl.mira, general.id)).map((m) => m.id);
    assert.ok(history.includes(ack.message.id), 'the acknowledged message survived its node');
  });

  test('with the bus down, messages still arrive, from the store', async () => {
    await stopRedis(redis);
    redis = null;
    const from = hive.handles.find((h) => nodeOf[h] === 0);
    const to = hive.handles.find((h) => nodeOf[h] !== 0);
    const sent = await cl[from].call('msg.send', { channel_id: general.id, text: 'no bus', nonce: 'no-bus' });
    await eventually(() => createdIds(cl[to]).includes(sent.message.id), {
      timeoutMs: 5000, what: `${to} on node ${nodeOf[to]} got the message without the bus`,
    });
    // The bus back: bells ring again.
    redis = await startRedis(redisPort);
    await sleep(1200);
    const again = await cl[from].call('msg.send', { channel_id: general.id, text: 'bus back', nonce: 'bus-back' });
    await eventually(() => createdIds(cl[to]).includes(again.message.id), {
      timeoutMs: 5000, what: 'the message after the bus came back',
    });
    assert.equal(createdIds(cl[to]).filter((id) => id === again.message.id).length, 1);
  });

  test('a node stopped cleanly: the others hear at once who left with it', async () => {
    const n = NODES - 1;
    // Those who came from the killed node still count there until its
    // rows lapse (20 s): the others are only on this node.
    const only = hive.handles.filter((h) => nodeOf[h] === n && !fromKilled.has(h));
    assert.ok(only.length > 0, `someone is on node ${n} only`);
    await stopOk(nodes[n]);
    const watcher = hive.handles.find((h) => nodeOf[h] !== n);
    for (const h of only) {
      await cl[watcher].waitFor((m) => m.ev === 'presence' && m.data.user_id === tok[h].user.id &&
        m.data.status === 'offline', 5000);
    }
  });
});

const SEC = 1000;
const MIN = 60 * SEC;
const SCRIPT = {
  title: 'Three steps',
  steps: [
    { kind: 'announce', title: 'One', text: 'First.', duration_s: 60 },
    { kind: 'announce', title: 'Two', text: 'Second.', duration_s: 60 },
    { kind: 'announce', title: 'Three', text: 'Third.', duration_s: 60 },
  ],
};

describe('a meetup outlives the node running it', { skip: !testPg && 'needs RUCHE_TEST_PG (ctest cluster.*)', timeout: 180000 }, () => {
  const dir = tempDir('ruche-cluster-');
  const nodes = [];
  const roots = []; // an admin client on each node, to move its test clock
  const cl = {};
  let redis;
  let redisPort;
  let hive;
  let tok;

  before(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    for (let i = 0; i < NODES; i++) {
      nodes.push(await startServer({
        dir, env: cleanEnv(), fakeClock: true,
        args: ['--bus', `redis://127.0.0.1:${redisPort}`, '--session-ttl', '365'],
      }));
    }
    hive = await makeHive(nodes[0], 'Meet', { mentors: ['mira'], learners: ['ann', 'ben'] });
    await admin(nodes[0], ['create-user', 'root', '--admin', '--password-stdin'], 'correct horse battery staple\n');
    tok = {};
    for (const h of ['root', ...hive.handles]) tok[h] = await login(nodes[0].port, h);
    for (const n of nodes) roots.push(await chatClient(n, tok.root.token));
    // Everyone on node 1 or 2; which node runs the meetup is the lease's.
    for (const [i, h] of hive.handles.entries()) cl[h] = await chatClient(nodes[1 + (i % 2)], tok[h].token);
  });

  after(async () => {
    for (const c of [...Object.values(cl), ...roots]) if (c && !c.closeInfo) await c.close();
    for (const n of nodes) if (n.proc.exitCode === null && !n.proc.signalCode) await stopOk(n);
    if (redis) await stopRedis(redis);
  });

  const alive = () => nodes.map((n, i) => i).filter((i) => nodes[i].proc.exitCode === null && !nodes[i].proc.signalCode);
  const runners = () => alive().filter((i) => nodes[i].stderr.lastIndexOf('this node runs meetups') >
    nodes[i].stderr.lastIndexOf('another node runs meetups'));
  // Every live node's test clock moves on together, and runs what fell due.
  const advance = async (ms) => {
    for (const i of alive()) await roots[i].call('clock.advance', { ms });
    for (const h of hive.handles) await barrier(cl[h]);
  };
  const steps = (c, id, step) => received(c, 'meetup.step', (d) => d.meetup_id === id && d.step === step);

  test('exactly one node runs it; killed, another takes over at the right step', async () => {
    await eventually(() => runners().length === 1, { timeoutMs: 10000, what: 'one node holds the lease' });
    const start = (await cl.mira.call('ping')).time + 10 * MIN;
    const { meetup } = await cl.mira.call('meetup.schedule', { hive_id: hive.id, script: JSON.stringify(SCRIPT), start_at: start });
    const id = meetup.id;
    // (The nodes' test clocks started some milliseconds apart.)
    await advance(10 * MIN + 5 * SEC);
    await waitCount(cl.ann, 'meetup.step', 1, (d) => d.meetup_id === id && d.step === 0);
    await advance(60 * SEC);
    await waitCount(cl.ben, 'meetup.step', 1, (d) => d.meetup_id === id && d.step === 1);
    await sleep(500);
    assert.equal(steps(cl.ann, id, 1).length, 1, 'step two once: one node ran it');

    // The runner dies; its people (if any) come back on a survivor.
    const [dead] = runners();
    nodes[dead].proc.kill('SIGKILL');
    await new Promise((r) => nodes[dead].proc.once('exit', r));
    for (const h of hive.handles) {
      if (!cl[h].closeInfo && !(await cl[h].request('ping', {}, { check: false }).then(() => false, () => true))) continue;
      const last = cl[h].log.filter((m) => m.pos).at(-1)?.pos;
      const c = await chatClient(nodes[alive()[0]], tok[h].token, last);
      c.log.unshift(...cl[h].log);
      cl[h] = c;
    }
    await eventually(() => runners().length === 1, {
      timeoutMs: 15000, what: 'a survivor took the lease over',
    });
    assert.notEqual(runners()[0], dead);
    // Time goes on: the meetup goes on from step two, to its end.
    await advance(60 * SEC);
    await waitCount(cl.ann, 'meetup.step', 1, (d) => d.meetup_id === id && d.step === 2);
    await sleep(500);
    assert.equal(steps(cl.ann, id, 2).length, 1, 'step three once');
    assert.equal(steps(cl.ann, id, 1).length, 1, 'step two was not run again');
    const got = await cl.mira.call('meetup.get', { meetup_id: id });
    assert.equal(got.meetup.step, 2);
    assert.equal(got.meetup.state, 'running');
  });
});
