// The envelope of ruche.v1: requests, exactly one reply each, the error
// codes for frames that are not good requests (after which the connection
// stays usable), and the first operations, hello and ping.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { checkRequest, connect } from '../lib/client.mjs';
import { run, stopOk } from '../lib/util.mjs';

let server;
let version;

before(async () => {
  server = await startServer();
  version = (await run(['version'])).stdout.match(/^ruche (\S+)/)[1];
});

after(async () => {
  await stopOk(server);
});

// A connection for one test, closed cleanly at its end.
async function open(t) {
  const c = await connect(server.wsUrl);
  t.after(async () => {
    const { code } = await c.close();
    assert.equal(code, 1000, 'the server answered our close');
    c.assertClean();
  });
  return c;
}

// Sends a raw frame and returns the one reply it gets.
async function replyTo(c, raw) {
  await c.send(raw);
  return c.nextMessage();
}

// After a refused frame: the socket still works and nothing else came.
async function assertStillUsable(c, what) {
  const pong = await c.request('ping');
  assert.equal(pong.ok, true, `${what}: ping after it`);
  assert.equal(c.inbox.length, 0, `${what}: exactly one reply, got also ${JSON.stringify(c.inbox)}`);
  assert.equal(c.closeInfo, null, `${what}: connection still open`);
}

describe('hello and ping', () => {
  test('hello says who the server is and its limits', async (t) => {
    const c = await open(t);
    const reply = await c.request('hello');
    assert.deepEqual(Object.keys(reply).sort(), ['data', 'ok', 're']);
    assert.equal(reply.re, 1);
    assert.equal(reply.ok, true);
    assert.deepEqual(reply.data, {
      server: 'ruche',
      version,
      protocol: 1,
      authenticated: false,
      // The harness turns the request rate off (LOOSE_LIMITS).
      limits: { max_message_bytes: 65536, rate_per_conn: 0, rate_burst: 40 },
    });
  });

  test('hello takes an optional client name of up to 100 characters', async (t) => {
    const c = await open(t);
    for (const client of ['ruche-tests/1.0', '', 'x'.repeat(100), 'é'.repeat(100), '🐝'.repeat(100)]) {
      const reply = await c.request('hello', { client });
      assert.equal(reply.ok, true, `client of ${[...client].length} characters`);
    }
    for (const client of ['x'.repeat(101), 'é'.repeat(101), '🐝'.repeat(101)]) {
      const reply = await c.request('hello', { client }, { check: false });
      assert.equal(reply.ok, false);
      assert.equal(reply.error.code, 'invalid_param');
      assert.match(reply.error.message, /client/);
    }
  });

  test('ping answers with the server clock', async (t) => {
    const c = await open(t);
    const before = Date.now();
    const { time } = await c.call('ping');
    const after = Date.now();
    assert.ok(Number.isInteger(time));
    assert.ok(time >= before - 2000 && time <= after + 2000, `time ${time} near ${before}..${after}`);
  });
});

describe('envelope', () => {
  test('the id is echoed as sent: integer or string', async (t) => {
    const c = await open(t);
    for (const id of [0, 7, -3, 2 ** 53 - 1, 'abc', '', '42', 'x'.repeat(64), 'été 🐝']) {
      const reply = await c.request('ping', {}, { id });
      assert.equal(reply.ok, true, JSON.stringify(id));
      assert.equal(reply.re, id, `re of ${JSON.stringify(id)}`);
      assert.equal(typeof reply.re, typeof id);
    }
  });

  test('exactly one reply per request, even when pipelined', async (t) => {
    const c = await open(t);
    const ids = [];
    for (let i = 0; i < 200; i++) ids.push(i % 2 ? i : `s${i}`);
    const replies = await Promise.all(ids.map((id, i) => c.request(i % 3 ? 'ping' : 'hello', {}, { id })));
    assert.deepEqual(replies.map((r) => r.re), ids);
    assert.ok(replies.every((r) => r.ok));
    assert.equal(await c.quiet(150), true, 'no extra message');
    assert.equal(c.log.length, ids.length, 'as many messages as requests');
  });

  test('field order, whitespace and escapes do not matter', async (t) => {
    const c = await open(t);
    for (const [raw, re] of [
      ['{"op":"ping","id":"first-op"}', 'first-op'],
      [' \n\t{ "id" : 11 , "op" : "ping" } \r\n', 11],
      ['{"id":12,"op":"p\\u0069ng"}', 12],
      ['{"id":"\\u00e9t\\u00e9","op":"ping"}', 'été'],
    ]) {
      const reply = await replyTo(c, raw);
      assert.equal(reply.ok, true, raw);
      assert.equal(reply.re, re, raw);
    }
  });

  test('WebSocket ping control frames are answered with a pong', async (t) => {
    const c = await open(t);
    const pong = new Promise((resolve) => c.ws.once('pong', (data) => resolve(data.toString())));
    c.ws.ping('are you there');
    assert.equal(await pong, 'are you there');
    assert.equal(await c.quiet(50), true, 'and no protocol message');
  });

  test('requests the tests send match the schema', () => {
    assert.equal(checkRequest({ id: 1, op: 'hello', client: 'x' }), null);
    assert.equal(checkRequest({ id: 'a', op: 'ping' }), null);
    assert.notEqual(checkRequest({ id: 1, op: 'ping', extra: 1 }), null);
    assert.notEqual(checkRequest({ id: 1, op: 'hello', client: 5 }), null);
    assert.notEqual(checkRequest({ op: 'ping' }), null);
    assert.notEqual(checkRequest({ id: 1, op: 'no.such.op' }), null);
  });
});

// [what, raw frame, expected code, expected "re"]
const refusals = [
  // Not JSON at all, or broken JSON: bad_json, and no id could be read.
  ['plain text', 'hello', 'bad_json', null],
  ['blank frame', '   ', 'bad_json', null],
  ['unterminated object', '{"id":1,"op":"ping"', 'bad_json', null],
  ['trailing garbage', '{"id":1,"op":"ping"}}', 'bad_json', null],
  ['two objects in one frame', '{"id":1,"op":"ping"}{"id":2,"op":"ping"}', 'bad_json', null],
  ['single quotes', "{'id':1,'op':'ping'}", 'bad_json', null],
  ['trailing comma', '{"id":1,"op":"ping",}', 'bad_json', null],
  ['comment', '{"id":1,"op":"ping"} // hi', 'bad_json', null],
  ['NaN', '{"id":NaN,"op":"ping"}', 'bad_json', null],
  ['raw control character in a string', '{"id":"a\u0001b","op":"ping"}', 'bad_json', null],
  ['duplicate key', '{"id":1,"op":"ping","op":"hello"}', 'bad_json', null],
  ['duplicate id', '{"id":1,"op":"ping","id":2}', 'bad_json', null],
  ['duplicate key in a nested object', '{"id":1,"op":"hello","client":{"a":1,"a":2}}', 'bad_json', null],
  ['nesting too deep', '['.repeat(20000) + ']'.repeat(20000), 'bad_json', null],

  // JSON, but not an object: bad_request.
  ['an array', '[{"id":1,"op":"ping"}]', 'bad_request', null],
  ['an empty array', '[]', 'bad_request', null],
  ['a number', '42', 'bad_request', null],
  ['a string', '"ping"', 'bad_request', null],
  ['null', 'null', 'bad_request', null],
  ['true', 'true', 'bad_request', null],

  // An object without a usable id: bad_request, re null.
  ['empty object', '{}', 'bad_request', null],
  ['no id', '{"op":"ping"}', 'bad_request', null],
  ['null id', '{"id":null,"op":"ping"}', 'bad_request', null],
  ['boolean id', '{"id":true,"op":"ping"}', 'bad_request', null],
  ['fractional id', '{"id":1.5,"op":"ping"}', 'bad_request', null],
  ['exponent id', '{"id":1e3,"op":"ping"}', 'bad_request', null],
  ['object id', '{"id":{"n":1},"op":"ping"}', 'bad_request', null],
  ['array id', '{"id":[1],"op":"ping"}', 'bad_request', null],
  ['id of 65 bytes', `{"id":"${'x'.repeat(65)}","op":"ping"}`, 'bad_request', null],

  // An id but no usable op: bad_request, answered to that id.
  ['no op', '{"id":501}', 'bad_request', 501],
  ['no op, string id', '{"id":"no-op"}', 'bad_request', 'no-op'],
  ['numeric op', '{"id":502,"op":5}', 'bad_request', 502],
  ['null op', '{"id":503,"op":null}', 'bad_request', 503],
  ['object op', '{"id":504,"op":{"name":"ping"}}', 'bad_request', 504],

  // A well-formed request of an operation that does not exist.
  ['unknown op', '{"id":601,"op":"no.such.op"}', 'unknown_op', 601],
  ['empty op', '{"id":602,"op":""}', 'unknown_op', 602],
  ['op in upper case', '{"id":603,"op":"PING"}', 'unknown_op', 603],
  ['op with a space', '{"id":"op-space","op":"ping "}', 'unknown_op', 'op-space'],

  // A known op with bad parameters: invalid_param.
  ['number for a string', '{"id":701,"op":"hello","client":5}', 'invalid_param', 701, 'client'],
  ['null for a string', '{"id":702,"op":"hello","client":null}', 'invalid_param', 702, 'client'],
  ['object for a string', '{"id":703,"op":"hello","client":{}}', 'invalid_param', 703, 'client'],
  ['array for a string', '{"id":704,"op":"hello","client":["a"]}', 'invalid_param', 704, 'client'],
  ['bool for a string', '{"id":705,"op":"hello","client":true}', 'invalid_param', 705, 'client'],
  ['unknown field of hello', '{"id":706,"op":"hello","nickname":"x"}', 'invalid_param', 706, 'nickname'],
  ['unknown field of ping', '{"id":"p-extra","op":"ping","extra":1}', 'invalid_param', 'p-extra', 'extra'],
  ['null unknown field', '{"id":707,"op":"ping","data":null}', 'invalid_param', 707, 'data'],
];

describe('refused frames get one error reply and the connection stays usable', () => {
  for (const [what, raw, code, re, field] of refusals) {
    test(`${what} → ${code}, re ${JSON.stringify(re)}`, async (t) => {
      const c = await open(t);
      const reply = await replyTo(c, raw);
      assert.equal(reply.ok, false, `${what}: ${JSON.stringify(reply)}`);
      assert.equal(reply.error.code, code, `${what}: ${JSON.stringify(reply)}`);
      assert.deepEqual(reply.re, re, `${what}: re`);
      assert.equal(typeof reply.error.message, 'string');
      assert.ok(reply.error.message.length > 0);
      if (field) assert.ok(reply.error.message.includes(field), `message names ${field}: ${reply.error.message}`);
      await assertStillUsable(c, what);
    });
  }

  test('an empty frame → bad_json, re null, also as the first message', async (t) => {
    // A server of its own: this once brought the whole server down.
    const s = await startServer();
    t.after(() => stopOk(s));
    for (const warm of [false, true]) {
      const c = await connect(s.wsUrl);
      if (warm) await c.call('ping');
      const reply = await replyTo(c, '');
      assert.equal(reply.ok, false);
      assert.equal(reply.error.code, 'bad_json');
      assert.equal(reply.re, null);
      await assertStillUsable(c, 'empty frame');
      await c.close();
      c.assertClean();
    }
  });

  test('all of them in a row on one connection, each answered once, in order', async (t) => {
    const c = await open(t);
    for (const [, raw] of refusals) await c.send(raw);
    const replies = [];
    for (let i = 0; i < refusals.length; i++) replies.push(await c.nextMessage());
    for (let i = 0; i < refusals.length; i++) {
      const [what, , code, re] = refusals[i];
      assert.equal(replies[i].ok, false, what);
      assert.equal(replies[i].error.code, code, `${what}: ${JSON.stringify(replies[i])}`);
      assert.deepEqual(replies[i].re, re, `${what}: re`);
    }
    await assertStillUsable(c, 'after every refusal');
  });
});
