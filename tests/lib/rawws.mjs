// A WebSocket spoken by hand over a TCP socket, for the cases a real
// client library will not produce or hides: frames split or batched at
// will, a peer that never answers a close, and seeing exactly which frames
// (if any) the server sent before it dropped the connection.
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

import { isTlsPort, tlsClientOptions } from './server.mjs';

export const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

// One client frame (masked, as RFC 6455 requires of clients).
export function encodeFrame(opcode, payload, { fin = true } = {}) {
  const p = Buffer.from(payload);
  let hdr;
  if (p.length < 126) {
    hdr = Buffer.alloc(2);
    hdr[1] = 0x80 | p.length;
  } else if (p.length < 65536) {
    hdr = Buffer.alloc(4);
    hdr[1] = 0x80 | 126;
    hdr.writeUInt16BE(p.length, 2);
  } else {
    hdr = Buffer.alloc(10);
    hdr[1] = 0x80 | 127;
    hdr.writeBigUInt64BE(BigInt(p.length), 2);
  }
  hdr[0] = (fin ? 0x80 : 0) | opcode;
  const mask = crypto.randomBytes(4);
  for (let i = 0; i < p.length; i++) p[i] ^= mask[i & 3];
  return Buffer.concat([hdr, mask, p]);
}

// Splits server frames off the front of buf: { frames, rest }.
function decodeFrames(buf) {
  const frames = [];
  for (;;) {
    if (buf.length < 2) break;
    let len = buf[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (buf.length < 4) break;
      len = buf.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (buf.length < 10) break;
      len = Number(buf.readBigUInt64BE(2));
      off = 10;
    }
    if (buf[1] & 0x80) off += 4; // servers must not mask; tolerate it
    if (buf.length < off + len) break;
    frames.push({ fin: !!(buf[0] & 0x80), opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len) });
    buf = buf.subarray(off + len);
  }
  return { frames, rest: buf };
}

export class RawWebSocket {
  constructor(sock) {
    this.sock = sock;
    this.frames = []; // every frame the server sent
    this.buf = Buffer.alloc(0);
    this.listeners = [];
    this.ended = new Promise((resolve) => sock.on('close', resolve));
    sock.on('error', () => {}); // 'close' follows
    sock.on('data', (d) => {
      const { frames, rest } = decodeFrames(Buffer.concat([this.buf, d]));
      this.buf = rest;
      this.frames.push(...frames);
      for (const l of this.listeners) l();
    });
  }

  // Writes bytes (frames made with encodeFrame, one or many at once).
  write(bytes) {
    return new Promise((resolve) => {
      if (this.sock.destroyed) return resolve(false);
      this.sock.write(bytes, (err) => resolve(!err));
    });
  }

  // The server's close frame as { code, reason }, or null when the TCP
  // connection ended without one.  Gives up (rejects) after timeoutMs.
  async closeFrame(timeoutMs = 5000) {
    const find = () => this.frames.find((f) => f.opcode === OP.CLOSE);
    const ended = this.ended.then(() => 'ended');
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no close frame nor end in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      while (!find()) {
        const more = new Promise((resolve) => this.listeners.push(resolve));
        if ((await Promise.race([more, ended, timeout])) === 'ended') break;
        this.listeners = [];
      }
    } finally {
      clearTimeout(timer);
      this.listeners = [];
    }
    const f = find();
    if (!f) return null;
    return {
      code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005,
      reason: f.payload.subarray(2).toString(),
    };
  }

  destroy() {
    this.sock.destroy();
    return this.ended;
  }
}

// A socket to the server on 127.0.0.1:port, TLS when that server speaks
// it (server.mjs), for tests that write bytes by hand.  onConnect runs
// once bytes can be written (after the TLS handshake over TLS).
export function connectSocket(port, onConnect, { tls: useTls = isTlsPort(port) } = {}) {
  if (useTls) return tls.connect({ port, host: '127.0.0.1', ...tlsClientOptions(port) }, onConnect);
  return net.connect(port, '127.0.0.1', onConnect);
}

// Opens a TCP connection to 127.0.0.1:port and upgrades it by hand.
// Resolves with a RawWebSocket once the server answered 101; rejects with
// the status line otherwise.  Over TLS (tls: default when the server on
// port was started over TLS) the same bytes go through a TLS socket: the
// frames are split and batched as written, within TLS records.
export function rawWebSocket(port, { path = '/ws', protocol = 'ruche.v1', headers = {}, tls: useTls = isTlsPort(port) } = {}) {
  return new Promise((resolve, reject) => {
    let sock;
    let head = Buffer.alloc(0);
    const onData = (d) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      const status = head.subarray(0, head.indexOf('\r\n')).toString();
      if (!/^HTTP\/1\.1 101 /.test(status)) {
        sock.destroy();
        reject(new Error(`upgrade refused: ${status}`));
        return;
      }
      const ws = new RawWebSocket(sock);
      const rest = head.subarray(end + 4);
      if (rest.length) sock.emit('data', rest);
      resolve(ws);
    };
    sock = connectSocket(port, () => {
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
      ];
      if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      sock.write(lines.join('\r\n') + '\r\n\r\n');
    }, { tls: useTls });
    sock.on('data', onData);
    sock.on('error', reject);
  });
}
