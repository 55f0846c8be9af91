// api.js - the one WebSocket to the Ruche server (subprotocol ruche.v1).
//
// What it gives the rest of the client:
//   - request(op, params) -> a promise of the reply's data, matched by id;
//     it rejects with an ApiError whose code is the server's error code, or
//     one of ours: "offline" (no socket), "disconnected" (the socket closed
//     before the reply), "timeout", "too_big".
//   - on(type, fn) for the connection's own news: 'state' (the new state),
//     'hello' (the server's hello data, after each connect) and 'retry'
//     (when the next attempt starts, in ms since the epoch, or null once
//     it has started); onEvent(name | '*', fn) for events the server
//     pushes.  Both return a function that removes the listener.
//   - the connection state: "connecting", "connected" or "offline".
//
// It says hello after every connect and reports "connected" only once the
// server has answered, so "connected" means "requests will be served".
// When the socket drops it reconnects by itself, waiting longer after each
// failure (exponential backoff with jitter, so that a restarted server is
// not hit by every client in the same instant), and starts over from the
// shortest wait once a hello succeeds.

export const SUBPROTOCOL = 'ruche.v1';
export const CLIENT_NAME = 'ruche-web/0.1';

export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 10000;
const REQUEST_TIMEOUT_MS = 15000;
// The share of the server's request rate we use: frames bunched on the way
// must still find a token waiting.
const RATE_MARGIN = 0.9;
// An attempt whose socket has not opened by then is given up and retried
// (a dropped SYN can otherwise keep a browser waiting for minutes).
const CONNECT_TIMEOUT_MS = 10000;
// A quiet socket is probed now and then: a half-open TCP connection (a
// laptop that slept, a NAT that forgot us) would otherwise look "connected"
// forever.
const HEARTBEAT_EVERY_MS = 30000;
const HEARTBEAT_TIMEOUT_MS = 10000;

// Closing codes we send ourselves (4000-4999 are for applications).
const CLOSE_NORMAL = 1000;
const CLOSE_NO_HEARTBEAT = 4000;
const CLOSE_BAD_HELLO = 4001;
const CLOSE_CONNECT_TIMEOUT = 4002;

export class ApiError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'ApiError';
    this.code = code;
  }
}

// The wait before reconnect attempt number `attempt` (0 for the first):
// the ceiling doubles from BACKOFF_MIN_MS up to BACKOFF_MAX_MS, and the
// wait is drawn between half the ceiling and the ceiling ("equal jitter":
// spread out, yet never an immediate retry loop).
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

// The socket's URL for a page served by Ruche: same host, /ws.
export function defaultUrl(loc = globalThis.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws`;
}

export class Api {
  // options: url, WebSocket (a constructor, for tests), random.
  constructor({ url = defaultUrl(), WebSocket = globalThis.WebSocket,
    random = Math.random } = {}) {
    this.url = url;
    this.WebSocket = WebSocket;
    this.random = random;

    this.state = 'offline';
    this.server = null; // the last hello reply's data
    this.limits = { max_message_bytes: 65536 };
    this.tokens = 0; // of the request rate: see takeToken()
    this.tokensAt = 0;
    this.retryAt = null; // when the next attempt starts (ms since epoch)
    this.everConnected = false;

    this.socket = null;
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject, timer }
    this.listeners = new Map(); // 'state' | 'hello' | 'retry' -> Set of fn
    this.eventListeners = new Map(); // event name | '*' -> Set of fn
    this.attempt = 0;
    this.retryTimer = null;
    this.heartbeatTimer = null;
    this.connectTimer = null;
    this.stopped = true;
  }

  // Starts connecting (and keeps reconnecting until close()).
  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  // Closes the socket for good: no more reconnects.
  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
    if (this.socket) this.socket.close(CLOSE_NORMAL);
    this.dropSocket('closed by the page');
    this.setState('offline');
  }

  // Drops the socket and opens a new one at once (after a login or a
  // logout: the new socket carries the new session cookie, or none).
  reconnect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.dropSocket('reconnecting');
    if (socket) socket.close(CLOSE_NORMAL);
    this.attempt = 0;
    this.connect({ eager: true });
  }

  // Tries now instead of waiting for the backoff timer.
  retryNow() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect({ eager: true });
  }

  on(type, fn) {
    return subscribe(this.listeners, type, fn);
  }

  // fn(data, event) for each pushed event named `name`, or every event
  // with '*'.  event is the whole frame ({ ev, pos, data }).
  onEvent(name, fn) {
    return subscribe(this.eventListeners, name, fn);
  }

  // Sends {id, op, ...params} and resolves with the reply's data.
  request(op, params = {}, { timeout = REQUEST_TIMEOUT_MS } = {}) {
    if (this.state !== 'connected') {
      return Promise.reject(new ApiError('offline', 'not connected'));
    }
    return this.send(op, params, timeout);
  }

  send(op, params, timeout) {
    const socket = this.socket;
    if (!socket || socket.readyState !== this.WebSocket.OPEN) {
      return Promise.reject(new ApiError('offline', 'not connected'));
    }
    const id = this.nextId++;
    const { id: _id, op: _op, ...rest } = params;
    const frame = JSON.stringify({ id, op, ...rest });
    if (new TextEncoder().encode(frame).length > this.limits.max_message_bytes) {
      return Promise.reject(new ApiError('too_big', 'message too large'));
    }
    const wait = this.takeToken();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ApiError('timeout', `no reply to ${op}`));
      }, timeout + wait);
      this.pending.set(id, { resolve, reject, timer });
      if (!wait) socket.send(frame);
      else {
        setTimeout(() => {
          // Gone meanwhile: closed() has rejected it already.
          if (this.pending.has(id) && socket.readyState === this.WebSocket.OPEN) socket.send(frame);
        }, wait);
      }
    });
  }

  // The wait (ms) before the next request may leave, taking its token: the
  // server allows limits.rate_per_conn requests a second per connection,
  // in bursts of limits.rate_burst, and refuses the rest (rate_limited).
  // Pacing ourselves a little below that keeps a burst (loading every
  // hive at boot) from being refused.  0 when there is no limit.
  takeToken() {
    const rate = (this.limits.rate_per_conn || 0) * RATE_MARGIN;
    if (!rate) return 0;
    const burst = Math.max(1, (this.limits.rate_burst || 1) - 1);
    const now = Date.now();
    this.tokens = Math.min(burst, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    this.tokens -= 1; // below 0: a debt, paid by waiting
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / rate);
  }

  // -- internals ---------------------------------------------------------

  emit(type, value) {
    for (const fn of this.listeners.get(type) || []) callSafely(fn, value);
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }

  // eager: the user asked, so show "connecting" even after failures.
  connect({ eager = false } = {}) {
    this.retryAt = null;
    this.emit('retry', null);
    // After a failed attempt the page stays "offline" through the quiet
    // retries behind it, instead of flickering at every attempt.
    if (eager || this.attempt === 0) this.setState('connecting');

    let socket;
    try {
      socket = new this.WebSocket(this.url, SUBPROTOCOL);
    } catch (err) {
      console.warn('ruche: cannot open the socket:', err);
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.connectTimer = setTimeout(
      () => this.abandon(socket, CLOSE_CONNECT_TIMEOUT),
      CONNECT_TIMEOUT_MS,
    );
    socket.onopen = () => this.opened(socket);
    socket.onmessage = (e) => this.received(socket, e.data);
    socket.onclose = (e) => this.closed(socket, e);
    // An error is always followed by close, which does the work.
    socket.onerror = () => {};
  }

  async opened(socket) {
    clearTimeout(this.connectTimer);
    this.connectTimer = null;
    let hello;
    try {
      hello = await this.send('hello', { client: CLIENT_NAME }, REQUEST_TIMEOUT_MS);
    } catch (err) {
      if (socket !== this.socket) return;
      console.warn('ruche: hello failed:', err);
      this.abandon(socket, CLOSE_BAD_HELLO);
      return;
    }
    if (socket !== this.socket) return;
    this.server = hello;
    if (hello && hello.limits) this.limits = { ...this.limits, ...hello.limits };
    // A new connection starts with a full bucket on the server too, less
    // the hello (and one for the margin).
    this.tokens = Math.max(0, (this.limits.rate_burst || 0) - 2);
    this.tokensAt = Date.now();
    this.attempt = 0;
    this.everConnected = true;
    this.armHeartbeat();
    this.setState('connected');
    this.emit('hello', hello);
  }

  received(socket, text) {
    if (socket !== this.socket) return;
    this.armHeartbeat();
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      console.warn('ruche: unreadable frame from the server');
      return;
    }
    if (msg === null || typeof msg !== 'object') return;
    if ('re' in msg) this.replied(msg);
    else if (typeof msg.ev === 'string') this.pushed(msg);
  }

  replied(msg) {
    const waiter = this.pending.get(msg.re);
    if (!waiter) {
      // re: null answers a frame the server could not read at all.
      if (msg.ok === false) console.warn('ruche: server error:', msg.error);
      return;
    }
    this.pending.delete(msg.re);
    clearTimeout(waiter.timer);
    if (msg.ok) waiter.resolve(msg.data);
    else {
      const e = msg.error || {};
      // Some errors carry details beside the code (muted: until).
      waiter.reject(Object.assign(new ApiError(e.code || 'unknown', e.message), { details: e }));
    }
  }

  pushed(msg) {
    const named = this.eventListeners.get(msg.ev) || [];
    const all = this.eventListeners.get('*') || [];
    for (const fn of [...named, ...all]) callSafely(fn, msg.data, msg);
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    this.dropSocket(`socket closed (${event.code})`);
    if (this.stopped) return;
    this.scheduleRetry();
  }

  // Gives up on a socket at once: a half-open connection could take a long
  // time to finish the closing handshake, and we need not wait for it.
  abandon(socket, code) {
    if (socket !== this.socket) return;
    socket.close(code);
    this.closed(socket, { code });
  }

  // Forgets the socket and fails every request still waiting on it.
  dropSocket(reason) {
    const socket = this.socket;
    this.socket = null;
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    clearTimeout(this.connectTimer);
    this.connectTimer = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
    }
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new ApiError('disconnected', reason));
      this.pending.delete(id);
    }
  }

  scheduleRetry() {
    const wasConnected = this.state === 'connected';
    const delay = backoffDelay(this.attempt, this.random);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    // Right after losing a working connection we are "connecting" again
    // (the first retry is quick); once a retry has failed, "offline".
    this.setState(wasConnected ? 'connecting' : 'offline');
    this.emit('retry', this.retryAt);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  // (Re)starts the heartbeat clock: a ping after a quiet spell, and a
  // fresh socket if even that gets no answer.
  armHeartbeat() {
    clearTimeout(this.heartbeatTimer);
    const socket = this.socket;
    this.heartbeatTimer = setTimeout(async () => {
      try {
        await this.send('ping', {}, HEARTBEAT_TIMEOUT_MS);
      } catch (err) {
        if (socket === this.socket && err.code === 'timeout') {
          console.warn('ruche: no answer to ping; reconnecting');
          this.abandon(socket, CLOSE_NO_HEARTBEAT);
        }
      }
    }, HEARTBEAT_EVERY_MS);
  }
}

function subscribe(map, key, fn) {
  if (!map.has(key)) map.set(key, new Set());
  map.get(key).add(fn);
  return () => map.get(key).delete(fn);
}

// One listener's bug must not stop the others or the socket.
function callSafely(fn, ...args) {
  try {
    fn(...args);
  } catch (err) {
    console.error('ruche: listener failed:', err);
  }
}
