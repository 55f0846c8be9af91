// Fixtures for the chat tests: people and hives made with `ruche admin`
// on a running server's database (the fastest route: no invite round
// trips), logged in over HTTP, and WebSocket clients that have called
// `sync`, plus small helpers to read what a client received.
import assert from 'node:assert/strict';

import { runRuche } from './server.mjs';
import { PASSWORD, connectAs, login } from './api.mjs';
import { eventually } from './util.mjs';

// Runs `ruche admin ARGS... --db <the server's db>` and returns stdout;
// throws with stderr when it fails.
export async function admin(server, args, input) {
  const r = await runRuche(['admin', ...args, '--db', server.dbPath], {
    input,
    env: { RUCHE_LOG_LEVEL: 'error' },
  });
  assert.equal(r.code, 0, `ruche admin ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// Makes a hive with its people, all at once (each `create-user` hashes
// its password in its own process):
//   await makeHive(server, 'Web', { mentors: ['mira'], learners: ['l01', ...] })
// -> { id, name, handles: [...], role: {handle: role} }
export async function makeHive(server, name, { mentors = [], learners = [], capacity } = {}) {
  const args = ['create-hive', name];
  if (capacity) args.push('--capacity', String(capacity));
  const id = Number((await admin(server, args)).trim());
  assert.ok(id > 0, `create-hive ${name} printed its id`);
  await createUsers(server, [...mentors, ...learners]);
  // One at a time: the learner cap is checked against the mentors.
  for (const h of mentors) await admin(server, ['add-member', String(id), h, '--role', 'mentor']);
  for (const h of learners) await admin(server, ['add-member', String(id), h, '--role', 'learner']);
  const role = {};
  for (const h of mentors) role[h] = 'mentor';
  for (const h of learners) role[h] = 'learner';
  return { id, name, handles: [...mentors, ...learners], role };
}

// Creates accounts (password PASSWORD) in parallel: {handle: user id}.
export async function createUsers(server, handles) {
  const ids = {};
  await Promise.all(
    handles.map(async (h) => {
      const out = await admin(server, ['create-user', h, '--password-stdin'], `${PASSWORD}\n`);
      ids[h] = Number(out.split('\t')[0]);
    }),
  );
  return ids;
}

// Adds an existing account to a hive.
export function addMember(server, hiveId, handle, role) {
  return admin(server, ['add-member', String(hiveId), handle, '--role', role]);
}

// Logs people in over HTTP, in parallel: {handle: {token, user}}.
export async function loginAll(server, handles) {
  const out = {};
  await Promise.all(
    handles.map(async (h) => {
      out[h] = await login(server.port, h);
    }),
  );
  return out;
}

// A client logged in with token that has started live events with
// `sync` (since: none, or a position to resume from).  Its `sync` reply
// is client.synced.
export async function chatClient(server, token, since) {
  const c = await connectAs(server, token);
  c.synced = await c.call('sync', since === undefined ? {} : { since });
  return c;
}

// The events named ev that client received so far (in order), as the
// whole message { ev, pos, data }.
export function received(c, ev, pred = () => true) {
  return c.log.filter((m) => m.ev === ev && pred(m.data, m));
}

// Waits until client received at least n events ev matching pred.
export function waitCount(c, ev, n, pred, { timeoutMs = 15000 } = {}) {
  return eventually(() => received(c, ev, pred).length >= n, {
    timeoutMs,
    intervalMs: 10,
    what: `${n} ${ev} events (have ${received(c, ev, pred).length})`,
  });
}

// A channel of a hive by name, as channel.list returns it.
export async function channelByName(c, hiveId, name) {
  const { channels } = await c.call('channel.list', { hive_id: hiveId });
  const ch = channels.find((x) => x.name === name);
  assert.ok(ch, `hive ${hiveId} has a channel ${name}: ${JSON.stringify(channels)}`);
  return ch;
}

// Every message of a channel (or a thread), oldest first, paging back
// with `before` 100 at a time.
export async function fullHistory(c, channelId, { threadId } = {}) {
  const all = [];
  let before;
  for (;;) {
    const params = { channel_id: channelId, limit: 100 };
    if (threadId) params.thread_id = threadId;
    if (before) params.before = before;
    const page = await c.call('msg.history', params);
    all.unshift(...page.messages);
    if (!page.more_before || page.messages.length === 0) break;
    before = page.messages[0].id;
  }
  return all;
}

// Asserts a request is refused with code; returns the reply.
export async function refused(c, op, params, code, what = op) {
  const reply = await c.request(op, params, { check: false });
  assert.equal(reply.ok, false, `${what}: expected ${code}, got ${JSON.stringify(reply).slice(0, 300)}`);
  assert.equal(reply.error.code, code, `${what}: ${reply.error.message}`);
  return reply;
}

// A round trip on c: once it returns, every frame the server queued to c
// before it has arrived (account.me is answered through the same outbox as events).
export async function barrier(c) {
  await c.call('account.me');
}

// Asserts obj has (at least) the fields of want, with those values: the
// protocol may add fields without breaking a test.
export function like(obj, want, message) {
  const got = {};
  for (const k of Object.keys(want)) got[k] = obj?.[k];
  assert.deepEqual(got, want, message);
}
