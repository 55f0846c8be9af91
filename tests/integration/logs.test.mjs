// --log-format json (issue 9, operations): one JSON object per line, and,
// in either format, no secret and no message text in the log, even at
// the debug level, through a flow that handles every kind of secret:
// passwords (right, wrong and changed), session tokens (bearer and
// cookie), an invite code, an iCalendar feed token, the metrics token,
// and the text of messages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { api, connectAs, login, setupCode, signup } from '../lib/api.mjs';
import { httpGet } from '../lib/http.mjs';
import { rawWebSocket } from '../lib/rawws.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';

const METRICS_TOKEN = 'log-test-metrics-token-81d0c3';
const LEVELS = new Set(['error', 'warn', 'info', 'debug']);

// Runs the flow against a server started with args and returns the
// secrets it went through: {name: value}.
async function flow(server) {
  const secrets = {
    adminPassword: 'Admin-Secret-Pass-7c2e91',
    learnerPassword: 'Learner-Secret-Pass-5b8d03',
    newPassword: 'Changed-Secret-Pass-0a4f66',
    wrongPassword: 'Wrong-Secret-Pass-3e9a17',
    metricsToken: METRICS_TOKEN,
    text: 'confidential-message-text-42b7',
    editText: 'confidential-edited-text-9c1d',
  };
  const { code } = setupCode(server);
  const adm = await signup(server.port, code, 'boss', { password: secrets.adminPassword });
  secrets.adminToken = adm.token;
  const a = await connectAs(server, adm.token);
  const { hive } = await a.call('hive.create', { name: 'Log hive' });
  const inv = await a.call('invite.create', { hive_id: hive.id, role: 'learner' });
  secrets.invite = inv.code;
  const learner = await signup(server.port, inv.code, 'lina', { password: secrets.learnerPassword });
  secrets.signupToken = learner.token;

  // A wrong password, then the right one over HTTP (a new session).
  const bad = await api(server.port, 'POST', '/api/login', { body: { handle: 'lina', password: secrets.wrongPassword } });
  assert.equal(bad.status, 401);
  const s = await login(server.port, 'lina', secrets.learnerPassword);
  secrets.loginToken = s.token;

  const c = await connectAs(server, s.token);
  await c.call('sync');
  const { channels } = await c.call('channel.list', { hive_id: hive.id });
  const general = channels.find((ch) => ch.name === 'general');
  const { message } = await c.call('msg.send', { channel_id: general.id, text: secrets.text });
  await c.call('msg.edit', { message_id: message.id, text: secrets.editText });
  // A request the protocol refuses, carrying a secret in a bad field.
  const r = await c.request('msg.send', { channel_id: 'x', text: secrets.text }, { check: false });
  assert.equal(r.ok, false);
  // The feed token, used, and offered as a WebSocket path.
  const { url } = await c.call('ics.url');
  secrets.feed = url.match(/\/ics\/([^/]+)\.ics$/)[1];
  assert.equal((await httpGet(server.port, `/ics/${secrets.feed}.ics`)).status, 200);
  await assert.rejects(rawWebSocket(server.port, { path: `/ics/${secrets.feed}.ics` }));
  // The session as a cookie, and the metrics page with its token.
  const exp = await api(server.port, 'GET', '/api/me/export', { cookie: `ruche_session=${s.token}` });
  assert.equal(exp.status, 200, exp.text);
  assert.equal((await httpGet(server.port, '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 200);
  assert.equal((await httpGet(server.port, '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}!` } })).status, 401);
  // A password change, then the logout of that session.
  await c.call('account.set_password', { old_password: secrets.learnerPassword, new_password: secrets.newPassword });
  await c.close();
  await a.close();
  const out = await api(server.port, 'POST', '/api/logout', { token: s.token });
  assert.equal(out.status, 200, out.text);
  return secrets;
}

function assertNoSecret(text, secrets, where) {
  for (const [name, value] of Object.entries(secrets)) {
    assert.ok(!text.includes(value), `${where} shows the ${name}`);
  }
}

describe('--log-format json', { timeout: 120000 }, () => {
  let server;
  let secrets;

  before(async () => {
    server = await startServer({
      args: ['--log-format', 'json', '--log-level', 'debug'],
      env: cleanEnv({ RUCHE_METRICS_TOKEN: METRICS_TOKEN }),
    });
    secrets = await flow(server);
    await stopOk(server);
  });

  after(() => stopOk(server));

  test('every line of the log is one JSON object: ts, level, msg', () => {
    const lines = server.stderr.split('\n');
    assert.equal(lines.pop(), '', 'the log ends with a newline');
    assert.ok(lines.length > 10, `the flow was logged (${lines.length} lines)`);
    for (const line of lines) {
      let o;
      assert.doesNotThrow(() => (o = JSON.parse(line)), `not JSON: ${line}`);
      assert.deepEqual(Object.keys(o), ['ts', 'level', 'msg'], line);
      assert.match(o.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(!Number.isNaN(Date.parse(o.ts)));
      assert.ok(LEVELS.has(o.level), line);
      assert.equal(typeof o.msg, 'string');
      assert.ok(o.msg.length > 0);
    }
    const msgs = lines.map((l) => JSON.parse(l).msg);
    // What the flow did is there, by ids: logins, the refusal, the stop.
    assert.ok(msgs.some((m) => /user \d+ logged in/.test(m)), 'logins are logged');
    assert.ok(msgs.some((m) => /login refused/.test(m)), 'the wrong password is logged, not the password');
    assert.ok(msgs.some((m) => /refused a WebSocket upgrade/.test(m)), 'the refused upgrade is logged');
    assert.ok(msgs.some((m) => /^stopped$/.test(m)), 'the stop is logged');
    assert.ok(JSON.parse(lines[0]).level === 'info' || JSON.parse(lines[0]).level === 'debug');
  });

  test('no secret and no message text in the log', () => {
    assertNoSecret(server.stderr, secrets, 'the JSON log');
    // Nor the first-admin code, which the server prints once, on
    // standard output, for the operator, and never in the log.
    assertNoSecret(server.stderr, { setup: setupCode(server).code }, 'the JSON log');
    assertNoSecret(server.stdout, secrets, 'standard output');
  });
});

describe('--log-format text', { timeout: 120000 }, () => {
  test('keeps no secret either, and is not JSON', async () => {
    const server = await startServer({
      args: ['--log-level', 'debug'],
      env: cleanEnv({ RUCHE_LOG_FORMAT: 'text', RUCHE_METRICS_TOKEN: METRICS_TOKEN }),
    });
    let secrets;
    try {
      secrets = await flow(server);
    } finally {
      await stopOk(server);
    }
    const lines = server.stderr.trim().split('\n');
    assert.ok(lines.length > 10);
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn |info |debug) /, line);
    assertNoSecret(server.stderr, secrets, 'the text log');
  });

  test('a bad format is refused at start', async () => {
    const r = await startServer({ args: ['--log-format', 'xml'], env: cleanEnv() }).then(
      () => assert.fail('started'), (err) => err.message);
    assert.match(r, /--log-format/);
  });
});
