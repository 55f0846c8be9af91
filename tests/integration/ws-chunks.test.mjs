// libwebsockets hands Ruche a WebSocket message in pieces no larger than
// its per-connection receive buffer (868 bytes, kept small so that idle
// connections cost little), whatever frames the client sent.
// Ruche pieces them together: a long message of multi-byte text arrives
// exactly as sent, in one frame or in fragments cut inside characters,
// and control frames (ping, close) up to their 125-byte limit are still
// read whole, never taken for data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { connect } from '../lib/client.mjs';
import { encodeFrame, OP, rawWebSocket } from '../lib/rawws.mjs';
import { cleanEnv, eventually, stopOk } from '../lib/util.mjs';
import { channelByName, chatClient, loginAll, makeHive, received } from '../lib/chat-setup.mjs';

// Text mixing 1-, 2-, 3- and 4-byte characters, so that the buffer's
// boundaries fall inside characters at every offset: 9,900 bytes, 3,960
// characters (a message holds at most 4,000).
const mixed = (n) => Array.from({ length: n }, (_, i) => `${i % 10}é€🐝`).join('');
const TEXT = mixed(990);

describe('long messages read in pieces', { timeout: 60000 }, () => {
  let server;
  let tok;
  let mira;
  let lea;
  let general;

  before(async () => {
    server = await startServer({ env: cleanEnv() });
    const hive = await makeHive(server, 'Chunks', { mentors: ['mira'], learners: ['lea'] });
    tok = await loginAll(server, ['mira', 'lea']);
    mira = await chatClient(server, tok.mira.token);
    lea = await chatClient(server, tok.lea.token);
    general = await channelByName(mira, hive.id, 'general');
  });

  after(async () => {
    for (const c of [mira, lea]) if (c && !c.closeInfo) await c.close();
    await stopOk(server);
  });

  const arrived = (text) => eventually(() => received(lea, 'msg.created', (d) => d.message.text === text).length === 1,
    { timeoutMs: 10000, what: 'the message reached the other member, intact' });

  test('a long multi-byte message in one frame arrives exactly as sent', async () => {
    assert.equal(Buffer.byteLength(TEXT), 9900);
    const { message } = await mira.call('msg.send', { channel_id: general.id, text: TEXT });
    assert.equal(message.text, TEXT);
    await arrived(TEXT);
  });

  test('the same message in fragments cut inside characters arrives exactly as sent', async () => {
    const text = `fragments: ${TEXT}`;
    const raw = Buffer.from(JSON.stringify({ id: 'frag', op: 'msg.send', channel_id: general.id, text }));
    // 333 bytes: never a multiple of a character's length, nor of a
    // power of two.
    for (let off = 0; off < raw.length; off += 333) {
      await mira.send(raw.subarray(off, off + 333), { binary: false, fin: off + 333 >= raw.length });
    }
    const reply = await mira.nextReply('frag');
    assert.equal(reply.ok, true, JSON.stringify(reply).slice(0, 300));
    assert.equal(reply.data.message.text, text);
    await arrived(text);
  });

  test('short messages between long ones are not held back or mixed up', async () => {
    const texts = ['a', mixed(300), 'b', TEXT, 'c'];
    const replies = await Promise.all(texts.map((text) => mira.call('msg.send', { channel_id: general.id, text })));
    assert.deepEqual(replies.map((r) => r.message.text), texts);
    for (const t of ['a', 'b', 'c']) await arrived(t);
  });
});

describe('control frames are read whole', () => {
  let server;

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await stopOk(server);
  });

  // The first frame the server sent that matches pred, waited for.
  async function frameMatching(ws, pred, what) {
    await eventually(() => ws.frames.some(pred), { timeoutMs: 5000, what });
    return ws.frames.find(pred);
  }

  test('a ping with the longest payload (125 bytes) gets a pong with the same payload', async () => {
    const ws = await rawWebSocket(server.port);
    const payload = Buffer.from('p'.repeat(124) + '!');
    await ws.write(encodeFrame(OP.PING, payload));
    const pong = await frameMatching(ws, (f) => f.opcode === OP.PONG, 'a pong');
    assert.deepEqual(pong.payload, payload);
    // Nothing was taken for a request.
    await ws.write(encodeFrame(OP.TEXT, '{"id":"after","op":"ping"}'));
    const reply = await frameMatching(ws, (f) => f.opcode === OP.TEXT, 'the reply to a request');
    assert.equal(JSON.parse(reply.payload.toString()).re, 'after');
    await ws.destroy();
  });

  test('a close with the longest reason (123 bytes) closes, and is not read as a message', async () => {
    const ws = await rawWebSocket(server.port);
    const close = Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from(`{"id":"x","op":"ping"}${'r'.repeat(101)}`)]);
    assert.equal(close.length, 125);
    await ws.write(Buffer.concat([encodeFrame(OP.TEXT, '{"id":"before","op":"ping"}'), encodeFrame(OP.CLOSE, close)]));
    const answer = await ws.closeFrame();
    assert.equal(answer && answer.code, 1000, `the close is answered: ${JSON.stringify(answer)}`);
    await ws.ended;
    // The close may overtake the reply to the request before it; what
    // must not come is an answer to the close's reason, read as a request.
    const texts = ws.frames.filter((f) => f.opcode === OP.TEXT).map((f) => JSON.parse(f.payload.toString()));
    assert.ok(texts.length <= 1, `at most the one reply: ${JSON.stringify(texts)}`);
    for (const m of texts) assert.equal(m.re, 'before');
    // And the server is still there for others.
    const c = await connect(server.wsUrl);
    assert.equal((await c.request('ping')).ok, true);
    await c.close();
  });
});
