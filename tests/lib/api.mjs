// Ruche's HTTP API (/api/login, /api/logout, /api/invite, /api/signup,
// /api/me/export) for tests, and the steps most tests start with: the
// first admin from the printed setup link, sign-ups from invite codes,
// logins, and WebSocket clients logged in with a token.
//
// Every JSON body the server answers is checked against the schema, as
// client.mjs does for WebSocket messages: a success against
// '$defs/api.<endpoint>.reply', an error against '$defs/api.error'.  A body
// that does not match throws, so that a test cannot pass on an
// undocumented answer.  Request bodies are checked against
// 'api.<endpoint>.request' too, unless { check: false } (for tests that
// send wrong bodies on purpose).
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';

import { connect, defValidator, ajv } from './client.mjs';
import { isTlsPort, tlsClientOptions } from './server.mjs';

export const PASSWORD = 'correct horse battery staple';
export const CODE_RE = /^[A-Za-z0-9_-]{43}$/;

const ENDPOINTS = {
  'POST /api/login': 'login',
  'POST /api/logout': 'logout',
  'POST /api/invite': 'invite',
  'POST /api/signup': 'signup',
  'GET /api/me/export': 'export',
};

// Thrown when an answer of the API does not match the schema.
export class ApiSchemaError extends Error {}

function schemaCheck(name, value, what) {
  const v = defValidator(name);
  if (!v) throw new ApiSchemaError(`the schema has no $defs/${name}`);
  if (!v(value)) {
    throw new ApiSchemaError(
      `${what} does not match ${name} (${ajv.errorsText(v.errors, { separator: '; ' })}): ${JSON.stringify(value).slice(0, 300)}`,
    );
  }
}

// A request to the HTTP API: { status, headers, body (parsed JSON, or the
// text when not JSON), text }.
// opts: body (an object, sent as JSON; a string is sent as it is), token
// (Authorization: Bearer), cookie (a Cookie header value), origin,
// headers, check (default true), timeoutMs, tls (HTTPS; default: when the
// server on port was started over TLS).
export function api(port, method, urlPath, opts = {}) {
  const { body, token, cookie, origin, headers = {}, check = true, timeoutMs = 30000, tls = isTlsPort(port) } = opts;
  const endpoint = ENDPOINTS[`${method} ${urlPath}`];
  if (check && endpoint && body !== undefined && typeof body === 'object') {
    const reqDef = `api.${endpoint}.request`;
    if (defValidator(reqDef)) {
      const v = defValidator(reqDef);
      if (!v(body)) {
        return Promise.reject(
          new Error(`test sends an invalid ${reqDef}: ${ajv.errorsText(v.errors)} (pass check: false)`),
        );
      }
    }
  }
  const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const h = { ...headers };
  if (data !== undefined) h['content-type'] = 'application/json';
  if (token) h.authorization = `Bearer ${token}`;
  if (cookie) h.cookie = cookie;
  if (origin) h.origin = origin;
  return new Promise((resolve, reject) => {
    const req = (tls ? https : http).request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method,
        headers: h,
        agent: false,
        timeout: timeoutMs,
        ...(tls ? tlsClientOptions(port) : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: left as text, and the checks below say so
          }
          const out = { status: res.statusCode, headers: res.headers, body: parsed, text };
          try {
            if (urlPath.startsWith('/api/') && check) {
              assert.equal(typeof parsed, 'object', `${method} ${urlPath}: a JSON body, got ${text.slice(0, 200)}`);
              assert.match(res.headers['content-type'] || '', /^application\/json/);
              if (res.statusCode >= 400) schemaCheck('api.error', parsed, `${method} ${urlPath} ${res.statusCode}`);
              else if (endpoint) schemaCheck(`api.${endpoint}.reply`, parsed, `${method} ${urlPath} ${res.statusCode}`);
            }
          } catch (err) {
            reject(err);
            return;
          }
          resolve(out);
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

// Asserts an API error: its status and code.
export function assertApiError(res, status, code, what = '') {
  assert.equal(res.status, status, `${what} status (body ${res.text})`);
  assert.equal(res.body?.error?.code, code, `${what} code (body ${res.text})`);
}

// The first-admin code of the link `ruche serve` printed.
export function setupCode(server) {
  const m = server.stdout.match(/(https?:\/\/\S+)\/#\/setup\/([A-Za-z0-9_-]{43})\s/);
  assert.ok(m, `ruche serve printed a setup link:\n${server.stdout}`);
  return { base: m[1], code: m[2] };
}

// POST /api/signup that must succeed: the body { token, user, waitlisted }.
export async function signup(port, code, handle, { displayName, password = PASSWORD, waitlist } = {}) {
  const body = { code, handle, display_name: displayName ?? handle, password };
  if (waitlist !== undefined) body.waitlist = waitlist;
  const res = await api(port, 'POST', '/api/signup', { body });
  assert.equal(res.status, 200, `signup ${handle}: ${res.text}`);
  return res.body;
}

// POST /api/login that must succeed: { token, user }.
export async function login(port, handle, password = PASSWORD) {
  const res = await api(port, 'POST', '/api/login', { body: { handle, password } });
  assert.equal(res.status, 200, `login ${handle}: ${res.text}`);
  return res.body;
}

// A WebSocket client logged in with token (through the `auth` operation).
export async function connectAs(server, token) {
  const c = await connect(server.wsUrl);
  await c.call('auth', { token });
  return c;
}

// The first admin, from the printed setup link: { token, user, ws }.
export async function firstAdmin(server, handle = 'admin') {
  const { code } = setupCode(server);
  const s = await signup(server.port, code, handle, { displayName: 'The Admin' });
  assert.equal(s.user.admin, true, 'the setup link makes an admin');
  return { ...s, ws: await connectAs(server, s.token) };
}

// Creates an invite code through `adminWs` (any client allowed to).
export async function inviteCode(ws, hiveId, role, extra = {}) {
  const { code } = await ws.call('invite.create', { hive_id: hiveId, role, ...extra });
  return code;
}

// The value of the session cookie a response sets, or undefined.
export function sessionCookie(res) {
  const set = [].concat(res.headers['set-cookie'] || []);
  for (const c of set) {
    const m = c.match(/^ruche_session=([^;]*)/);
    if (m) return { value: m[1], header: c };
  }
  return undefined;
}
