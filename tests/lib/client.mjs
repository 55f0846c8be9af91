// A client of Ruche's WebSocket protocol (ruche.v1) for tests.
//
// Every message the server sends is checked against
// schema/protocol.schema.json; a reply to a request made with request() is
// also checked against that operation's '<op>.reply' schema, and an event
// against '<ev>.event' when the schema has one.  A message that fails, a
// frame that is not JSON, a binary frame, or a second reply to the same
// request is a protocol violation: it is recorded in client.violations
// (schema failures also in client.schemaErrors), every pending request or
// wait is rejected, and every later request() / nextMessage() / waitFor()
// throws, so the test fails even if it never looks.
//
//   const c = await connect(server.wsUrl);
//   const reply = await c.request('ping');          // { re, ok, data }
//   const data = await c.call('hello', { client: 'test' }); // data, or throws
//   c.send('not json');                              // raw text (or Buffer)
//   const msg = await c.nextMessage();               // unclaimed messages
//   await c.close();                                 // { code, reason }
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import Ajv2020 from 'ajv/dist/2020.js';

import { repoRoot, tlsClientOptions } from './server.mjs';

export const SUBPROTOCOL = 'ruche.v1';
export const DEFAULT_TIMEOUT_MS = 5000;

// The protocol schema, compiled once per process.
export const schemaPath = path.join(repoRoot, 'schema', 'protocol.schema.json');
export const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
export const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
ajv.addSchema(schema);
const validateServerMessage = ajv.compile({ $ref: `${schema.$id}#/$defs/serverMessage` });
const validateAnyRequest = ajv.compile({ $ref: `${schema.$id}#/$defs/request` });
const defValidators = new Map();

// The validator of one of the schema's $defs, or null when there is none.
export function defValidator(name) {
  if (!defValidators.has(name)) {
    defValidators.set(
      name,
      Object.hasOwn(schema.$defs, name)
        ? ajv.compile({ $ref: `${schema.$id}#/$defs/${name}` })
        : null,
    );
  }
  return defValidators.get(name);
}

function explain(validate) {
  return ajv.errorsText(validate.errors, { separator: '; ' });
}

// Checks a message as the server must send it: null when valid, else why.
export function checkServerMessage(msg) {
  return validateServerMessage(msg) ? null : explain(validateServerMessage);
}

// Checks a request as a well-behaved client sends it: null or why.
export function checkRequest(req) {
  return validateAnyRequest(req) ? null : explain(validateAnyRequest);
}

// Thrown for an upgrade the server refused: status, headers and body.
export class UpgradeRefused extends Error {
  constructor(status, headers, body) {
    super(`WebSocket upgrade refused: HTTP ${status}: ${body.trim()}`);
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

// Thrown (and used to reject) when the server broke the protocol.
export class ProtocolViolation extends Error {}

export class Client {
  constructor(ws, upgradeHeaders) {
    this.ws = ws;
    this.upgradeHeaders = upgradeHeaders; // headers of the 101 response
    this.protocol = ws.protocol;
    this.extensions = ws.extensions;
    this.nextId = 1;
    this.log = []; // every message received, in order (parsed)
    this.inbox = []; // messages no request() claimed, oldest first
    this.pending = new Map(); // id -> { op, resolve, reject, timer }
    this.answered = new Map(); // id -> op, for requests already answered
    this.waiters = []; // { pred, resolve, reject, timer }
    this.schemaErrors = []; // { message, errors }
    this.violations = []; // every protocol violation, as text
    this.closeInfo = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        const err = new Error(`connection closed (${code} ${this.closeInfo.reason})`);
        err.closeInfo = this.closeInfo;
        this.failAll(err);
        resolve(this.closeInfo);
      });
    });
    ws.on('error', () => {}); // 'close' follows and says how it ended
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
  }

  // Records a protocol violation and fails whatever is waiting.
  violation(text) {
    this.violations.push(text);
    this.failAll(new ProtocolViolation(text));
  }

  failAll(err) {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters = [];
  }

  // Throws when the server has broken the protocol on this connection.
  assertClean() {
    if (this.violations.length) {
      throw new ProtocolViolation(
        `server broke the protocol:\n  ${this.violations.join('\n  ')}`,
      );
    }
  }

  receive(data, isBinary) {
    const text = data.toString();
    if (isBinary) {
      this.violation(`binary frame from the server: ${text.slice(0, 200)}`);
      return;
    }
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      this.violation(`frame is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    this.log.push(msg);
    const why = checkServerMessage(msg);
    if (why) {
      this.schemaErrors.push({ message: msg, errors: why });
      this.violation(`message does not match the schema (${why}): ${text.slice(0, 300)}`);
      return;
    }
    if ('re' in msg && msg.re !== null) {
      const key = JSON.stringify(msg.re);
      if (this.answered.has(key)) {
        this.violation(`second reply to request ${key}: ${text.slice(0, 200)}`);
        return;
      }
      const p = this.pending.get(key);
      if (p) {
        this.pending.delete(key);
        this.answered.set(key, p.op);
        clearTimeout(p.timer);
        if (msg.ok) {
          const v = defValidator(`${p.op}.reply`);
          if (v && !v(msg.data)) {
            const errs = explain(v);
            this.schemaErrors.push({ message: msg, errors: errs });
            const err = new ProtocolViolation(
              `reply to ${p.op} does not match ${p.op}.reply (${errs}): ${text.slice(0, 300)}`,
            );
            this.violations.push(err.message);
            p.reject(err);
            this.failAll(err);
            return;
          }
        }
        p.resolve(msg);
        return;
      }
    }
    if ('ev' in msg) {
      const v = defValidator(`${msg.ev}.event`);
      if (v && !v(msg.data)) {
        const errs = explain(v);
        this.schemaErrors.push({ message: msg, errors: errs });
        this.violation(`event ${msg.ev} does not match ${msg.ev}.event (${errs})`);
        return;
      }
    }
    const i = this.waiters.findIndex((w) => w.pred(msg));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.resolve(msg);
      return;
    }
    this.inbox.push(msg);
  }

  // Sends a raw frame: a string (text), a Buffer (binary unless
  // opts.binary is false) or an object (sent as JSON text).  opts go to
  // ws.send(), e.g. { fin: false } for a fragment.  Resolves once written.
  send(raw, opts = {}) {
    this.assertClean();
    const data = typeof raw === 'string' || Buffer.isBuffer(raw) ? raw : JSON.stringify(raw);
    // A raw request may reuse an id on purpose: its reply is then not a
    // second reply to the earlier request().
    try {
      const id = JSON.parse(data)?.id;
      if (id !== undefined) this.answered.delete(JSON.stringify(id));
    } catch {
      // not JSON, or a fragment: nothing to forget
    }
    return new Promise((resolve, reject) => {
      this.ws.send(data, opts, (err) => (err ? reject(err) : resolve()));
    });
  }

  // Sends {id, op, ...params} and resolves with the reply (ok or not).
  // opts: id (default: the next integer), timeoutMs, check (default true:
  // a request of a known operation must match its schema, so that tests
  // cannot drift from the documented protocol; pass false to send
  // deliberately wrong requests).
  request(op, params = {}, { id, timeoutMs = DEFAULT_TIMEOUT_MS, check = true } = {}) {
    try {
      this.assertClean();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closeInfo) {
      return Promise.reject(new Error(`connection closed (${this.closeInfo.code})`));
    }
    if (id === undefined) id = this.nextId++;
    const req = { id, op, ...params };
    if (check && defValidator(`${op}.request`)) {
      const why = checkRequest(req);
      if (why) return Promise.reject(new Error(`test sends an invalid ${op} request: ${why}`));
    }
    const key = JSON.stringify(id);
    if (this.pending.has(key)) return Promise.reject(new Error(`id ${key} is in use`));
    this.answered.delete(key);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`no reply to ${op} (id ${key}) in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, { op, resolve, reject, timer });
      this.ws.send(JSON.stringify(req), (err) => {
        if (err && this.pending.has(key)) {
          clearTimeout(timer);
          this.pending.delete(key);
          reject(err);
        }
      });
    });
  }

  // As request(), but resolves with data and throws on an error reply.
  async call(op, params = {}, opts = {}) {
    const reply = await this.request(op, params, opts);
    if (!reply.ok) {
      const err = new Error(`${op} failed: ${reply.error.code}: ${reply.error.message}`);
      err.reply = reply;
      err.code = reply.error.code;
      throw err;
    }
    return reply.data;
  }

  // The first unclaimed message matching pred (oldest first), waiting up
  // to timeoutMs for it to arrive.
  waitFor(pred, timeoutMs = DEFAULT_TIMEOUT_MS) {
    try {
      this.assertClean();
    } catch (err) {
      return Promise.reject(err);
    }
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    if (this.closeInfo) {
      return Promise.reject(new Error(`connection closed (${this.closeInfo.code})`));
    }
    return new Promise((resolve, reject) => {
      const w = { pred, resolve, reject };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no matching message in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  // The next unclaimed message, whatever it is.
  nextMessage(timeoutMs = DEFAULT_TIMEOUT_MS) {
    return this.waitFor(() => true, timeoutMs);
  }

  // The next unclaimed reply whose 're' is re (null for unreadable frames).
  nextReply(re, timeoutMs = DEFAULT_TIMEOUT_MS) {
    return this.waitFor((m) => 're' in m && m.re === re, timeoutMs);
  }

  // Resolves true if no unclaimed message arrives within ms.
  async quiet(ms = 100) {
    if (this.inbox.length) return false;
    try {
      await this.nextMessage(ms);
      return false;
    } catch (err) {
      if (err instanceof ProtocolViolation) throw err;
      return true;
    }
  }

  // Starts a normal close and resolves with how the connection ended;
  // rejects if the server broke the protocol on this connection, so that a
  // test that only closes at its end still fails on a bad message.
  async close(code = 1000, reason = '') {
    if (!this.closeInfo && this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    const info = await this.closed;
    this.assertClean();
    return info;
  }

  // Drops the TCP connection without a close handshake.
  terminate() {
    this.ws.terminate();
    return this.closed;
  }
}

// Opens a WebSocket to wsUrl and resolves with a Client once it is open.
// Rejects with UpgradeRefused when the server answers the upgrade with an
// HTTP error.  options: origin, protocol (a string, an array, or null for
// none), headers, timeoutMs, and wsOptions passed to ws (e.g.
// { skipUTF8Validation: true }; ws offers permessage-deflate by default).
// A wss:// URL trusts the certificate of the server started on its port
// (server.mjs tlsClientOptions).
export function connect(wsUrl, options = {}) {
  const {
    origin,
    protocol = SUBPROTOCOL,
    headers = {},
    timeoutMs = DEFAULT_TIMEOUT_MS,
    wsOptions = {},
  } = options;
  const opts = {
    headers,
    handshakeTimeout: timeoutMs,
    ...(wsUrl.startsWith('wss:') ? tlsClientOptions(new URL(wsUrl).port) : {}),
    ...wsOptions,
  };
  if (origin !== undefined) opts.origin = origin;
  const ws =
    protocol === null || protocol === undefined
      ? new WebSocket(wsUrl, opts)
      : new WebSocket(wsUrl, protocol, opts);
  return new Promise((resolve, reject) => {
    let upgradeHeaders = {};
    ws.on('upgrade', (res) => {
      upgradeHeaders = res.headers;
    });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        reject(new UpgradeRefused(res.statusCode, res.headers, body));
        req.destroy();
      });
    });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      resolve(new Client(ws, upgradeHeaders));
    });
  });
}

// Resolves with the UpgradeRefused of an upgrade the server must refuse;
// rejects if the socket opens instead.
export async function expectRefused(wsUrl, options = {}) {
  let client;
  try {
    client = await connect(wsUrl, options);
  } catch (err) {
    if (err instanceof UpgradeRefused) return err;
    throw err;
  }
  await client.close();
  throw new Error(`the upgrade was accepted (${JSON.stringify(options)})`);
}
