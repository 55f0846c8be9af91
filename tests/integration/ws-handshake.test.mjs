// Opening the WebSocket: the path, the ruche.v1 subprotocol, the Origin
// rule, and no compression.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { connect, expectRefused } from '../lib/client.mjs';
import { stopOk } from '../lib/util.mjs';

const ALLOWED = 'https://chat.example.org';
const ALLOWED_TOO = 'http://localhost:5173';
let server;

before(async () => {
  server = await startServer({ args: ['--allow-origin', ALLOWED, '--allow-origin', ALLOWED_TOO] });
});

after(async () => {
  await stopOk(server);
});

// Opens, checks the socket works, closes.
async function assertOpens(options, what) {
  const c = await connect(server.wsUrl, options);
  assert.equal(c.protocol, 'ruche.v1', `${what}: subprotocol`);
  const reply = await c.request('ping');
  assert.equal(reply.ok, true, `${what}: ping`);
  await c.close();
}

describe('upgrade', () => {
  test('/ws with subprotocol ruche.v1 opens, and the server names the subprotocol', async () => {
    const c = await connect(server.wsUrl);
    assert.equal(c.protocol, 'ruche.v1');
    assert.equal(c.upgradeHeaders['sec-websocket-protocol'], 'ruche.v1');
    await c.close();
  });

  test('ruche.v1 is picked from a list of offered subprotocols', async () => {
    await assertOpens({ protocol: ['chat.v9', 'ruche.v1'] }, 'offered second');
  });

  test('no subprotocol: 400', async () => {
    const err = await expectRefused(server.wsUrl, { protocol: null });
    assert.equal(err.status, 400);
  });

  test('other subprotocols only: 400', async () => {
    for (const protocol of ['chat', 'ruche.v2', ['ruche', 'v1'], 'ruche.v1x']) {
      const err = await expectRefused(server.wsUrl, { protocol });
      assert.equal(err.status, 400, JSON.stringify(protocol));
    }
  });

  test('a path other than /ws: 404', async () => {
    const base = server.wsUrl.replace(/\/ws$/, '');
    for (const p of ['/', '/wss', '/ws/', '/ws/x', '/api/ws', '/WS', '/index.html']) {
      const err = await expectRefused(base + p);
      assert.equal(err.status, 404, p);
    }
  });

  test('a query string on /ws is ignored', async () => {
    await assertOpens({}, 'plain');
    const c = await connect(`${server.wsUrl}?v=1`);
    await c.close();
  });

  test('no compression is negotiated even when the client offers it', async () => {
    // ws offers permessage-deflate by default; offer it explicitly too.
    const c = await connect(server.wsUrl, {
      wsOptions: { perMessageDeflate: { clientNoContextTakeover: true } },
    });
    assert.equal(c.extensions, '');
    assert.equal(c.upgradeHeaders['sec-websocket-extensions'], undefined);
    await c.close();
    const raw = await connect(server.wsUrl, {
      wsOptions: { perMessageDeflate: false },
      headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits, x-webkit-deflate-frame' },
    });
    assert.equal(raw.upgradeHeaders['sec-websocket-extensions'], undefined);
    await raw.close();
  });
});

describe('Origin', () => {
  test('no Origin (not a browser): allowed', async () => {
    await assertOpens({}, 'no Origin');
  });

  test('the server\'s own origin http://<Host>: allowed', async () => {
    await assertOpens({ origin: `http://127.0.0.1:${server.port}` }, 'own origin');
  });

  test('an origin given with --allow-origin: allowed', async () => {
    await assertOpens({ origin: ALLOWED }, ALLOWED);
    await assertOpens({ origin: ALLOWED_TOO }, ALLOWED_TOO);
  });

  test('a foreign origin: 403', async () => {
    const own = `127.0.0.1:${server.port}`;
    for (const origin of [
      'http://evil.example',
      `http://localhost:${server.port}`, // Host says 127.0.0.1
      `https://${own}`, // wrong scheme
      'http://127.0.0.1', // wrong port
      `http://${own}.evil.example`,
      `http://evil.example/${own}`,
      `${ALLOWED}.evil.example`,
      `${ALLOWED}:8443`,
      'http://chat.example.org', // allowed with https only
      'http://localhost:5174',
      'null',
    ]) {
      const err = await expectRefused(server.wsUrl, { origin });
      assert.equal(err.status, 403, JSON.stringify(origin));
    }
  });

  test('the Origin is compared with the Host the client sent', async () => {
    await assertOpens(
      { origin: 'http://ruche.test:1234', headers: { Host: 'ruche.test:1234' } },
      'Origin matches Host',
    );
    const err = await expectRefused(server.wsUrl, {
      origin: `http://127.0.0.1:${server.port}`,
      headers: { Host: 'ruche.test:1234' },
    });
    assert.equal(err.status, 403);
  });
});
