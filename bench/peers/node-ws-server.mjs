// node_ws: the do-it-yourself peer of Ruche's benchmark.  A room broadcast
// server on Node.js and the `ws` package, the way one would write it in an
// afternoon: rooms stand for hives, nothing is stored, nobody logs in.
//
//   client -> {"room": R}              join room R; answered {"joined": R}
//   client -> {"room": R, "text": T}   sent to every member of R, the
//                                      sender included, as {"room":R,"text":T}
//
// The message is serialised once and the same buffer goes to every member
// (as Ruche encodes an event once).  Compression is off, as in Ruche.  A
// client may only post to a room it joined.
//
// Usage: node node-ws-server.mjs [--port N] (default 0: a free port)
// Listens on 127.0.0.1 only and prints "listening on PORT" once ready.
// SIGTERM or SIGINT stops it.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// The project's only npm dependencies live in tests/node_modules.
const require = createRequire(path.join(here, '..', '..', 'tests', 'package.json'));
const { WebSocketServer } = require('ws');

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : 0;

const rooms = new Map(); // room -> Set of sockets

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  perMessageDeflate: false,
  maxPayload: 65536,
  backlog: 4096,
});

function join(ws, room) {
  let members = rooms.get(room);
  if (!members) {
    members = new Set();
    rooms.set(room, members);
  }
  members.add(ws);
  ws.rooms.add(room);
}

wss.on('connection', (ws) => {
  ws.rooms = new Set();
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.close(1003, 'text only');
      return;
    }
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      ws.close(1007, 'not JSON');
      return;
    }
    if (m === null || typeof m !== 'object' || m.room === undefined) return;
    const room = m.room;
    if (m.text === undefined) {
      join(ws, room);
      ws.send(JSON.stringify({ joined: room }));
      return;
    }
    if (typeof m.text !== 'string' || !ws.rooms.has(room)) return;
    const frame = Buffer.from(JSON.stringify({ room, text: m.text }));
    for (const member of rooms.get(room)) {
      if (member.readyState === 1) member.send(frame, { binary: false });
    }
  });
  ws.on('close', () => {
    for (const room of ws.rooms) {
      const members = rooms.get(room);
      members.delete(ws);
      if (members.size === 0) rooms.delete(room);
    }
  });
  ws.on('error', () => {});
});

wss.on('listening', () => {
  process.stdout.write(`listening on ${wss.address().port}\n`);
});

function stop() {
  for (const ws of wss.clients) ws.terminate();
  wss.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
