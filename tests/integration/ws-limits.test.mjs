// What closes a WebSocket: a message over the size limit (1009), whether
// in one frame or many fragments; text that is not UTF-8 (1007); a binary
// frame (1003).  A message up to the limit, however fragmented, works.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { connect } from '../lib/client.mjs';
import { encodeFrame, OP, rawWebSocket } from '../lib/rawws.mjs';
import { stopOk } from '../lib/util.mjs';

const LIMIT = 65536; // the default --max-message-bytes
let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await stopOk(server);
});

// A valid ping request of exactly n bytes (padded with JSON whitespace).
function pingOfSize(n, id = 1) {
  const core = `{"id":${JSON.stringify(id)},"op":"ping"}`;
  assert.ok(n >= core.length);
  return core + ' '.repeat(n - core.length);
}

// A hello whose client string holds bytes (a Buffer) as they are, valid
// UTF-8 or not.
function helloWithBytes(bytes, id = 1) {
  return Buffer.concat([
    Buffer.from(`{"id":${id},"op":"hello","client":"`),
    Buffer.from(bytes),
    Buffer.from('"}'),
  ]);
}

// Expects the server to close c with code; the server must stay up.
async function assertClosedWith(c, code, what) {
  let timer;
  const closed = await Promise.race([
    c.closed,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), 5000);
    }),
  ]);
  clearTimeout(timer);
  assert.ok(closed, `${what}: the server did not close the connection`);
  assert.equal(closed.code, code, `${what}: close code (reason ${JSON.stringify(closed.reason)})`);
  assert.deepEqual(c.violations, [], `${what}: protocol violations`);
}

// The server is still up and answering on a fresh connection.
async function assertServerUp(srv = server) {
  const c = await connect(srv.wsUrl);
  assert.equal((await c.request('ping')).ok, true);
  await c.close();
}

describe(`message size (limit ${LIMIT} bytes)`, () => {
  test('a message of exactly the limit works', async () => {
    const c = await connect(server.wsUrl);
    await c.send(pingOfSize(LIMIT, 'big'));
    const reply = await c.nextReply('big');
    assert.equal(reply.ok, true);
    assert.equal((await c.request('ping')).ok, true, 'and the next one too');
    await c.close();
  });

  test('a message of exactly the limit in 16 fragments works', async () => {
    const c = await connect(server.wsUrl);
    const msg = pingOfSize(LIMIT, 'frag');
    const n = 16;
    const size = LIMIT / n;
    for (let i = 0; i < n; i++) {
      await c.send(msg.slice(i * size, (i + 1) * size), { fin: i === n - 1 });
    }
    assert.equal((await c.nextReply('frag')).ok, true);
    assert.equal((await c.request('ping')).ok, true, 'the buffer is reset for the next message');
    await c.close();
  });

  test('many messages near the limit in a row work', async () => {
    const c = await connect(server.wsUrl);
    for (let i = 0; i < 20; i++) await c.send(pingOfSize(LIMIT - i, `n${i}`));
    for (let i = 0; i < 20; i++) assert.equal((await c.nextReply(`n${i}`)).ok, true);
    await c.close();
  });

  test('one byte over the limit closes with 1009', async () => {
    const c = await connect(server.wsUrl);
    c.send(pingOfSize(LIMIT + 1)).catch(() => {});
    await assertClosedWith(c, 1009, 'limit + 1');
    await assertServerUp();
  });

  test('a 2 MB frame closes with 1009', async () => {
    const c = await connect(server.wsUrl);
    c.send(pingOfSize(2 * 1024 * 1024)).catch(() => {});
    await assertClosedWith(c, 1009, '2 MB');
    await assertServerUp();
  });

  // A client sends its whole message: the fragments go on well past the
  // point where the server has seen enough.
  test('fragments that add up to more than the limit close with 1009', async () => {
    const c = await connect(server.wsUrl);
    const chunk = ' '.repeat(8192);
    const sends = [c.send('{"id":1,"op":"ping"}', { fin: false })];
    for (let total = 20; total <= 2 * LIMIT; total += chunk.length) sends.push(c.send(chunk, { fin: false }));
    sends.push(c.send(' ', { fin: true }));
    for (const s of sends) s.catch(() => {});
    await assertClosedWith(c, 1009, 'fragments');
    await assertServerUp();
  });

  test('many small fragments over the limit close with 1009', async () => {
    const c = await connect(server.wsUrl);
    const sends = [c.send('{"id":1,"op":"ping"}', { fin: false })];
    for (let total = 20; total <= 2 * LIMIT; total += 1024) sends.push(c.send(' '.repeat(1024), { fin: false }));
    sends.push(c.send(' ', { fin: true }));
    for (const s of sends) s.catch(() => {});
    await assertClosedWith(c, 1009, '1 KB fragments');
    await assertServerUp();
  });

  // The same, written by hand in one go so that the timing of a client
  // library cannot hide what the server sends: it must be a close frame
  // with 1009 before the connection ends.
  test('fragments over the limit, in one write: a close frame with 1009', async () => {
    for (const size of [8192, 1000, 30000]) {
      const ws = await rawWebSocket(server.port);
      const frames = [encodeFrame(OP.TEXT, '{"id":1,"op":"ping"}', { fin: false })];
      for (let total = 20; total <= 2 * LIMIT; total += size) {
        frames.push(encodeFrame(OP.CONT, Buffer.alloc(size, 0x20), { fin: false }));
      }
      frames.push(encodeFrame(OP.CONT, ' ', { fin: true }));
      await ws.write(Buffer.concat(frames));
      const close = await ws.closeFrame();
      assert.deepEqual(close && close.code, 1009, `fragments of ${size} bytes: got ${JSON.stringify(close)}`);
      await ws.destroy();
    }
    await assertServerUp();
  });

  test('a limit set with --max-message-bytes is the one enforced and announced', async (t) => {
    const s = await startServer({ args: ['--max-message-bytes', '2048'] });
    t.after(() => stopOk(s));
    const c = await connect(s.wsUrl);
    assert.equal((await c.call('hello')).limits.max_message_bytes, 2048);
    await c.send(pingOfSize(2048, 'at'));
    assert.equal((await c.nextReply('at')).ok, true);
    await c.send(pingOfSize(1024, 'f'), { fin: false });
    await c.send(' '.repeat(1024), { fin: true });
    assert.equal((await c.nextReply('f')).ok, true, '2048 bytes in two fragments');
    c.send(pingOfSize(2049)).catch(() => {});
    await assertClosedWith(c, 1009, '2049 bytes');

    const d = await connect(s.wsUrl);
    await d.send(pingOfSize(1024), { fin: false });
    d.send(' '.repeat(1025), { fin: true }).catch(() => {});
    await assertClosedWith(d, 1009, '2049 bytes in two fragments');
    await assertServerUp(s);
  });
});

describe('UTF-8', () => {
  const invalid = [
    ['a byte that never appears in UTF-8', [0xff]],
    ['a lone continuation byte', [0x80]],
    ['an overlong "/"', [0xc0, 0xaf]],
    ['an overlong NUL', [0xc0, 0x80]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ];
  for (const [what, bytes] of invalid) {
    test(`${what} closes with 1007`, async () => {
      const c = await connect(server.wsUrl, { wsOptions: { skipUTF8Validation: true } });
      c.send(helloWithBytes(bytes), { binary: false }).catch(() => {});
      await assertClosedWith(c, 1007, what);
    });
  }

  test('a message that ends in the middle of a character closes with 1007', async () => {
    const c = await connect(server.wsUrl, { wsOptions: { skipUTF8Validation: true } });
    c.send(Buffer.from([0x7b, 0xe2, 0x82]), { binary: false }).catch(() => {});
    await assertClosedWith(c, 1007, 'truncated at the end');
  });

  test('invalid UTF-8 in a later fragment closes with 1007', async () => {
    const c = await connect(server.wsUrl, { wsOptions: { skipUTF8Validation: true } });
    await c.send('{"id":1,"op":"hello","client":"', { fin: false });
    c.send(Buffer.from([0x61, 0xff, 0x22, 0x7d]), { binary: false, fin: true }).catch(() => {});
    await assertClosedWith(c, 1007, 'bad fragment');
  });

  test('a character split across two fragments is fine', async () => {
    const c = await connect(server.wsUrl, { wsOptions: { skipUTF8Validation: true } });
    for (const ch of ['é', '€', '🐝']) {
      const full = Buffer.from(`{"id":"${ch}","op":"hello","client":"a${ch}b"}`);
      const cut = full.indexOf(Buffer.from(`a${ch}b`)) + 2; // inside the character
      await c.send(full.subarray(0, cut), { binary: false, fin: false });
      await c.send(full.subarray(cut), { binary: false, fin: true });
      const reply = await c.nextReply(ch);
      assert.equal(reply.ok, true, ch);
    }
    await c.close();
  });

  test('valid multi-byte text works, up to 4-byte characters', async () => {
    const c = await connect(server.wsUrl);
    assert.equal((await c.request('hello', { client: 'Zoë 🐝 日本 ℝ' })).ok, true);
    await c.close();
  });
});

describe('binary frames', () => {
  test('a binary frame closes with 1003', async () => {
    const c = await connect(server.wsUrl);
    c.send(Buffer.from('{"id":1,"op":"ping"}'), { binary: true }).catch(() => {});
    await assertClosedWith(c, 1003, 'binary');
  });

  test('a binary message in fragments closes with 1003', async () => {
    const c = await connect(server.wsUrl);
    c.send(Buffer.from('{"id":1,'), { binary: true, fin: false }).catch(() => {});
    c.send(Buffer.from('"op":"ping"}'), { binary: true, fin: true }).catch(() => {});
    await assertClosedWith(c, 1003, 'binary fragments');
  });

  test('an empty binary frame closes with 1003', async () => {
    const c = await connect(server.wsUrl);
    c.send(Buffer.alloc(0), { binary: true }).catch(() => {});
    await assertClosedWith(c, 1003, 'empty binary');
    await assertServerUp();
  });
});
