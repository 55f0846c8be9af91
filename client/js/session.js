// session.js - the signed-in session: what the page loads from the
// server, the events it applies, and the actions people take.
//
// The socket (api.js) says hello after each connect.  When the hello says
// the socket is authenticated (by the HttpOnly session cookie), the first
// time we load the account, its hives, channels and members, and start the
// event stream with `sync`; after a reconnect we `sync` from the last
// position applied, so nothing is missed and nothing applied twice
// (events at or before that position are ignored).  When the server says
// it cannot replay from there (a gap), everything is loaded again.
//
// A sent message is shown at once as pending, with a nonce; the server
// stores a nonce once, so a send is retried safely after a drop and the
// pending copy gives way to the stored message when either the reply or
// the msg.created event arrives (whichever comes first: the event carries
// no nonce, so it takes the oldest pending copy of the same text).

import { ApiError } from './api.js';
import { uuid } from './dom.js';
import { store, changed, hiveChannels } from './store.js';
import { go } from './router.js';
import * as mod from './modstate.js';
import * as meetstate from './meetstate.js';

let api = null;
export function init(theApi) {
  api = theApi;
  api.onEvent('*', (data, frame) => onEvent(frame));
  api.on('hello', (hello) => {
    onHello(hello).catch((err) => console.warn('ruche: session start failed:', err));
  });
}

export function request(op, params, options) {
  return api.request(op, params, options);
}

// -- HTTP: login, signup, invites, logout --------------------------------

// POST a JSON body to /api/...: { ok, status, data, error, retryAfter }.
// error is { code, message } from the server, or { code: 'offline' }.
export async function post(path, body) {
  let res;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
      credentials: 'same-origin',
    });
  } catch {
    return { ok: false, status: 0, error: { code: 'offline', message: '' } };
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  const retryAfter = Number(res.headers.get('retry-after')) || null;
  if (!res.ok) {
    const error = data?.error || { code: `http_${res.status}`, message: '' };
    return { ok: false, status: res.status, data, error, retryAfter };
  }
  return { ok: true, status: res.status, data, error: null, retryAfter };
}

// After a login or signup the cookie is set: a fresh socket carries it.
export function loggedIn() {
  store.sessionEnded = false;
  api.reconnect();
}

export async function logout() {
  await post('/api/logout', {});
  resetSession();
  store.auth = 'anon';
  changed('auth');
  // Whoever logs in next starts from the top, not from this page.
  if (!['login', 'setup', 'invite'].includes(store.route.name)) go('#/', { replace: true });
  api.reconnect();
}

function resetSession() {
  store.me = null;
  store.hives = [];
  store.ready = false;
  store.channels.clear();
  store.users.clear();
  store.members.clear();
  store.presence.clear();
  store.typing.clear();
  store.timelines.clear();
  store.quotes.clear();
  store.pending = [];
  store.mentioned.clear();
  store.lastPos = null;
  store.ui.replyTo = null;
  store.ui.editing = null;
  store.search = { query: '', results: null, loading: false, error: null };
  resetThreads();
  mod.reset();
}

// -- Starting and resuming ----------------------------------------------

let syncing = false; // a sync is in flight: live events wait in `held`
let held = [];
let booting = null;

async function onHello(hello) {
  if (!hello.authenticated) {
    const wasUser = store.auth === 'user';
    resetSession();
    store.sessionEnded = wasUser;
    store.auth = 'anon';
    changed('auth');
    return;
  }
  try {
    if (store.auth === 'user' && store.ready && store.lastPos !== null) {
      await resume();
    } else {
      await boot();
    }
  } catch (err) {
    // The session ended between the hello and our requests: log in again.
    // Other failures (a dropped socket) are retried at the next hello.
    if (err.code === 'unauthenticated') {
      resetSession();
      store.sessionEnded = true;
      store.auth = 'anon';
      changed('auth');
    } else {
      throw err;
    }
  }
}

// Loads the whole session: account, hives, event stream, channels.
function boot() {
  if (!booting) {
    booting = (async () => {
      try {
        const me = await api.request('account.me');
        store.me = me.user;
        store.users.set(me.user.id, me.user);
        store.hives = me.hives || [];
        await startSync(null);
        await loadEverything();
        store.auth = 'user';
        store.ready = true;
        mod.load().catch(() => {});
        changed('auth');
        changed('hives');
        changed('channels');
        changed('members');
      } finally {
        booting = null;
      }
    })();
  }
  return booting;
}

// Channels, direct conversations, members and presence of every hive.
async function loadEverything() {
  const hiveIds = store.hives.map((h) => h.id);
  const [channelLists, dms, memberLists, presences] = await Promise.all([
    Promise.all(hiveIds.map((id) => api.request('channel.list', { hive_id: id }))),
    api.request('dm.list'),
    Promise.all(hiveIds.map((id) => api.request('hive.members', { hive_id: id }))),
    Promise.all(hiveIds.map((id) => api.request('presence.list', { hive_id: id })
      .catch(() => ({ presence: [] })))),
  ]);
  const keep = new Map(store.channels);
  store.channels.clear();
  for (const list of channelLists) {
    for (const c of list.channels) store.channels.set(c.id, { ...keep.get(c.id), ...c });
  }
  for (const c of dms.channels) store.channels.set(c.id, { ...keep.get(c.id), ...c });
  for (const c of dms.channels) seenFrom(c);
  store.members.clear();
  hiveIds.forEach((id, i) => setMembers(id, memberLists[i].members));
  for (const p of presences) for (const x of p.presence) store.presence.set(x.user_id, x.status);
}

function setMembers(hiveId, members) {
  store.members.set(hiveId, members);
  for (const m of members) {
    store.users.set(m.user_id, {
      id: m.user_id, handle: m.handle, display_name: m.display_name,
    });
  }
}

// Starts (since null) or resumes the event stream.  Live events that
// arrive meanwhile are held and applied after the replayed ones.
async function startSync(since) {
  syncing = true;
  held = [];
  let gap = false;
  try {
    let pos = since;
    for (;;) {
      const r = await api.request('sync', pos === null ? {} : { since: pos });
      if (r.gap) {
        gap = true;
        store.lastPos = r.pos;
        break;
      }
      for (const ev of r.events) apply(ev);
      if (store.lastPos === null || r.pos > store.lastPos) store.lastPos = r.pos;
      pos = r.pos;
      if (!r.more) break;
    }
  } finally {
    syncing = false;
    const waiting = held;
    held = [];
    for (const ev of waiting) apply(ev);
  }
  return gap;
}

// After a reconnect: replay what was missed, then refresh what events do
// not carry (presence) and send what was waiting.
async function resume() {
  const gap = await startSync(store.lastPos);
  if (gap) {
    // The server cannot say what we missed: start over from the top.
    const me = await api.request('account.me');
    store.me = me.user;
    store.hives = me.hives || [];
    await loadEverything();
    for (const [cid, tl] of store.timelines) {
      if (tl.loaded) store.timelines.set(cid, newTimeline());
    }
    threadsAfterGap();
    mod.load().catch(() => {});
    changed('hives');
    changed('channels');
    changed('members');
    const cid = store.route.channelId;
    if (cid) openChannel(cid);
  } else {
    const ids = store.hives.map((h) => h.id);
    const lists = await Promise.all(ids.map((id) => api.request('presence.list', { hive_id: id })
      .catch(() => ({ presence: [] }))));
    store.presence.clear();
    for (const p of lists) for (const x of p.presence) store.presence.set(x.user_id, x.status);
    changed('presence');
  }
  store.typing.clear();
  changed('typing');
  for (const p of store.pending) {
    if (p.state === 'failed' && ['offline', 'disconnected', 'timeout'].includes(p.error)) {
      trySend(p);
    }
  }
  retryThreadSends();
}

// Hives changed (joined through an invite, created by an admin):
// reload the account's hives and everything under them.
export async function reloadHives() {
  const me = await api.request('account.me');
  store.me = me.user;
  store.hives = me.hives || [];
  // A sync also renews the subscription to the (new) list of hives.
  await startSync(store.lastPos);
  await loadEverything();
  mod.load().catch(() => {});
  changed('hives');
  changed('channels');
  changed('members');
  changed('presence');
}

// -- Events --------------------------------------------------------------

function onEvent(frame) {
  if (store.auth !== 'user' && !booting) return;
  if (syncing && typeof frame.pos === 'number') {
    held.push(frame);
    return;
  }
  apply(frame);
}

// Hooks the views set: is the person looking at this channel's newest
// messages right now?  And what to do on a mention.
export const hooks = {
  isReading: () => false,
  isReadingThread: () => false,
  onMention: () => {},
  // A send the hive's rules refused (muted, slow mode, guard): true when
  // the view took the text back, so the pending copy goes.
  onRefused: () => false,
  // The events of scheduled messages and reminders (scheduled.js), and
  // a message of one's own that came (a scheduled one posted).
  onRemind: () => {},
  onScheduleFailed: () => {},
  onOwnMessage: () => {},
};

// After one's own message in a slow-moded channel: the wait starts.
function slowModeSent(cid) {
  const ch = store.channels.get(cid);
  if (mod.slowApplies(ch)) mod.setSlow(cid, Date.now() + ch.slow_mode_seconds * 1000);
}

function apply(frame) {
  if (typeof frame.pos === 'number') {
    if (store.lastPos !== null && frame.pos <= store.lastPos) return;
    store.lastPos = frame.pos;
  }
  const d = frame.data || {};
  switch (frame.ev) {
    case 'msg.created': return messageCreated(d.message);
    case 'msg.edited': return messageChanged(d.message);
    case 'msg.deleted': return messageDeleted(d.message_id, d.channel_id, d);
    case 'reaction.added': return reaction(d, true);
    case 'reaction.removed': return reaction(d, false);
    case 'thread.updated': return threadUpdated(d);
    case 'channel.created':
    case 'channel.updated':
    case 'dm.created': return channelChanged(d.channel);
    case 'typing': return typing(d);
    case 'presence':
      store.presence.set(d.user_id, d.status);
      return changed('presence');
    case 'mention': return mention(d);
    case 'read': return read(d);
    case 'hive.removed': return hiveRemoved(d.hive_id);
    case 'hive.updated': return hiveUpdated(d.hive);
    case 'member.joined': return memberJoined(d);
    case 'member.left':
      mod.onEvent(frame.ev, d);
      return refreshMembers(d.hive_id);
    case 'member.updated': return refreshMembers(d.hive_id);
    case 'user.updated': return userRenamed(d);
    case 'mod.muted':
    case 'mod.unmuted':
    case 'pin.added':
    case 'pin.removed':
    case 'report.created':
    case 'report.resolved':
    case 'report.handled': return mod.onEvent(frame.ev, d);
    case 'meetup.scheduled':
    case 'meetup.updated':
    case 'meetup.rsvp':
    case 'meetup.step':
    case 'meetup.turn':
    case 'meetup.breakout':
    case 'meetup.poll_results':
    case 'meetup.participants':
    case 'meetup.reminder': return meetstate.onEvent(frame.ev, d);
    case 'remind': return hooks.onRemind(d);
    case 'schedule.failed': return hooks.onScheduleFailed(d);
    default: return undefined;
  }
}

export function newTimeline() {
  return {
    messages: [], // oldest first, top-level messages only
    byId: new Map(),
    loaded: false,
    loading: null, // the promise of the page being loaded
    moreBefore: false,
    moreAfter: false, // a window into the past (after a jump)
    olderLoading: false,
    newerLoading: false,
    error: null,
  };
}

export function timeline(cid) {
  if (!store.timelines.has(cid)) store.timelines.set(cid, newTimeline());
  return store.timelines.get(cid);
}

// Puts a message into its place (by id); replaces a copy already there.
function insert(tl, m) {
  const old = tl.byId.get(m.id);
  if (old) {
    Object.assign(old, m, { reactions: m.reactions || old.reactions });
    return false;
  }
  const msg = { reactions: [], ...m };
  tl.byId.set(m.id, msg);
  const list = tl.messages;
  let i = list.length;
  while (i > 0 && list[i - 1].id > m.id) i--;
  list.splice(i, 0, msg);
  return true;
}

function removePending(nonce) {
  const i = store.pending.findIndex((p) => p.nonce === nonce);
  if (i >= 0) {
    store.pending.splice(i, 1);
    changed('pending');
  }
}

// One's own message came back as an event before the reply to msg.send:
// it stands for the oldest copy still sending with the same place and
// text, which then goes.  The reply that follows finds nothing to remove.
function claimPending(list, m) {
  const text = m.text?.trim();
  const i = list.findIndex((p) => p.state === 'sending' && p.channel_id === m.channel_id
    && (p.thread_id || 0) === (m.thread_id || 0) && p.text.trim() === text);
  if (i >= 0) list.splice(i, 1);
  return i >= 0;
}

function messageCreated(m) {
  if (!m) return;
  const ch = store.channels.get(m.channel_id);
  if (m.nonce && m.author_id === store.me?.id) removePending(m.nonce);
  else if (m.author_id === store.me?.id && !m.thread_id && claimPending(store.pending, m)) changed('pending');
  // A reply in a thread: its root's count follows thread.updated.
  if (m.thread_id) return threadReplyCreated(m);
  if (m.author_id !== store.me?.id) seenBy(m.channel_id, m.author_id, m.id);
  else hooks.onOwnMessage(m);
  const tl = store.timelines.get(m.channel_id);
  if (tl && tl.loaded && !tl.moreAfter) {
    insert(tl, m);
    changed('messages', m.channel_id);
  }
  const who = store.typing.get(m.channel_id);
  if (who?.delete(m.author_id)) changed('typing');
  if (!ch) {
    if (!store.ready) return;
    // A conversation we have not heard of yet (its dm.created came
    // before we loaded, or the list is stale): fetch the list again.
    refreshDirects();
    return;
  }
  ch.last_activity = m.created_at;
  // Someone we do not know yet: a new member (no event says so).
  if (!store.users.has(m.author_id) && ch.kind !== 'direct') refreshMembers(ch.hive_id);
  if (m.author_id !== store.me?.id) {
    if (hooks.isReading(m.channel_id)) markRead(m.channel_id);
    else ch.unread = (ch.unread || 0) + 1;
  } else {
    // Writing in a channel reads it.
    ch.unread = 0;
    ch.last_read_id = Math.max(ch.last_read_id || 0, m.id);
  }
  changed('channels');
}

function messageChanged(m) {
  if (!m) return;
  const tl = store.timelines.get(m.channel_id);
  const old = tl?.byId.get(m.id);
  if (old) {
    Object.assign(old, m, { reactions: old.reactions });
    changed('messages', m.channel_id);
  }
  const q = store.quotes.get(m.id);
  if (q) Object.assign(q, m);
  for (const x of threadCopies(m.id, old)) Object.assign(x, m, { reactions: x.reactions });
}

// d: the event, which says when a mentor removed it (and, to its author,
// why).
function messageDeleted(id, cid, d = {}) {
  const tl = store.timelines.get(cid);
  const old = tl?.byId.get(id);
  if (old) {
    old.deleted = true;
    old.text = '';
    old.reactions = [];
    if (d.removed_by_mentor) old.removed_by_mentor = true;
    if (typeof d.reason === 'string') old.removal_reason = d.reason;
    changed('messages', cid);
  }
  const q = store.quotes.get(id);
  if (q) {
    q.deleted = true;
    q.text = '';
  }
  for (const x of threadCopies(id, old)) Object.assign(x, { deleted: true, text: '', reactions: [] });
  if (store.ui.editing === id) store.ui.editing = null;
}

function reaction(d, on) {
  const tl = store.timelines.get(d.channel_id);
  const m = tl?.byId.get(d.message_id);
  for (const x of threadCopies(d.message_id, m)) reactOn(x, d, on);
  if (!m) return;
  reactOn(m, d, on);
  changed('messages', d.channel_id);
}

// Applies a reaction event to one copy of a message.
function reactOn(m, d, on) {
  const list = m.reactions || (m.reactions = []);
  let r = list.find((x) => x.emoji === d.emoji);
  if (!r) {
    r = { emoji: d.emoji, count: 0, mine: false };
    list.push(r);
  }
  r.count = d.count;
  if (d.user_id === store.me?.id) r.mine = on;
  if (r.count <= 0) list.splice(list.indexOf(r), 1);
}

function channelChanged(c) {
  if (!c) return;
  const old = store.channels.get(c.id);
  store.channels.set(c.id, { unread: 0, last_read_id: 0, ...old, ...c });
  changed('channels');
}

const typingTimers = new Map();
function typing(d) {
  if (d.user_id === store.me?.id) return;
  if (!store.typing.has(d.channel_id)) store.typing.set(d.channel_id, new Map());
  const ms = d.expires_in_ms || 6000;
  store.typing.get(d.channel_id).set(d.user_id, Date.now() + ms);
  const key = `${d.channel_id}:${d.user_id}`;
  clearTimeout(typingTimers.get(key));
  typingTimers.set(key, setTimeout(() => {
    typingTimers.delete(key);
    const who = store.typing.get(d.channel_id);
    if (who && (who.get(d.user_id) || 0) <= Date.now() + 50) {
      who.delete(d.user_id);
      changed('typing');
    }
  }, ms));
  changed('typing');
}

function mention(d) {
  if (!hooks.isReading(d.channel_id)) {
    store.mentioned.add(d.channel_id);
    changed('channels');
  }
  hooks.onMention(d);
}

function read(d) {
  if (d.user_id !== store.me?.id) return receipt(d);
  if (threadRead(d)) return;
  const ch = store.channels.get(d.channel_id);
  if (!ch) return;
  if ((ch.last_read_id || 0) >= d.message_id) return;
  const tl = store.timelines.get(d.channel_id);
  const newest = tl?.messages.at(-1)?.id || 0;
  // An id we do not hold may be a reply in a thread (its marker moved,
  // not the channel's): the server's counts tell.
  if (tl?.loaded && !tl.moreAfter && d.message_id >= newest && tl.byId.has(d.message_id)) {
    ch.last_read_id = d.message_id;
    ch.unread = 0;
    store.mentioned.delete(d.channel_id);
  } else {
    refreshUnread(ch);
  }
  changed('channels');
}

function hiveRemoved(hiveId) {
  store.hives = store.hives.filter((h) => h.id !== hiveId);
  for (const c of hiveChannels(hiveId)) store.channels.delete(c.id);
  store.members.delete(hiveId);
  changed('hives');
  changed('channels');
}

function hiveUpdated(hive) {
  const i = store.hives.findIndex((h) => h.id === hive.id);
  if (i < 0) return;
  store.hives[i] = { ...store.hives[i], ...hive }; // keeps the caller's role
  changed('hives');
}

// Someone came into a hive.  When it is this user (an invite accepted in
// another tab, an admin adding them), the hive itself is new here.
function memberJoined(d) {
  if (d.member.user_id === store.me?.id && !store.hives.some((h) => h.id === d.hive_id)) {
    reloadHives().catch(() => {});
    return;
  }
  refreshMembers(d.hive_id);
}

function userRenamed(d) {
  const u = store.users.get(d.user_id);
  if (u) u.display_name = d.display_name;
  for (const list of store.members.values()) {
    for (const m of list) if (m.user_id === d.user_id) m.display_name = d.display_name;
  }
  if (store.me?.id === d.user_id) store.me = { ...store.me, display_name: d.display_name };
  changed('members');
}

const memberTimers = new Map();
function refreshMembers(hiveId) {
  if (memberTimers.has(hiveId)) return;
  memberTimers.set(hiveId, setTimeout(async () => {
    try {
      const r = await api.request('hive.members', { hive_id: hiveId });
      setMembers(hiveId, r.members);
      changed('members');
    } catch {
      // names show as "someone" until the next reload
    } finally {
      memberTimers.delete(hiveId);
    }
  }, 100));
}

let directsTimer = null;
function refreshDirects() {
  clearTimeout(directsTimer);
  directsTimer = setTimeout(async () => {
    try {
      const r = await api.request('dm.list');
      for (const c of r.channels) channelChanged(c);
      for (const c of r.channels) seenFrom(c);
    } catch {
      // the next event or reconnect tries again
    }
  }, 100);
}

async function refreshUnread(ch) {
  try {
    const list = ch.kind === 'direct'
      ? (await api.request('dm.list')).channels
      : (await api.request('channel.list', { hive_id: ch.hive_id })).channels;
    for (const c of list) {
      const old = store.channels.get(c.id);
      if (old) Object.assign(old, { unread: c.unread, last_read_id: c.last_read_id ?? old.last_read_id });
    }
    changed('channels');
  } catch {
    // stale counts until the next change
  }
}

// -- Reading -------------------------------------------------------------

const PAGE = 50;

// Makes sure the channel's newest messages are loaded.
export function openChannel(cid) {
  const tl = timeline(cid);
  if (tl.loaded || tl.loading) return tl.loading || Promise.resolve();
  return loadPage(cid, { limit: PAGE }, (r) => {
    tl.messages = [];
    tl.byId.clear();
    for (const m of r.messages) insert(tl, m);
    tl.moreBefore = r.more_before;
    tl.moreAfter = false;
  });
}

function loadPage(cid, params, fill) {
  const tl = timeline(cid);
  tl.error = null;
  // Only the last page asked for fills the timeline (a jump may overtake
  // the opening of the channel).
  const seq = (tl.seq = (tl.seq || 0) + 1);
  tl.loading = api.request('msg.history', { channel_id: cid, ...params })
    .then((r) => {
      if (seq !== tl.seq) return;
      fill(r);
      tl.loaded = true;
      noteRoots(cid, r.messages);
    })
    .catch((err) => {
      if (seq === tl.seq) tl.error = err.code || 'unknown';
    })
    .finally(() => {
      if (seq === tl.seq) tl.loading = null;
      changed('messages', cid);
    });
  changed('messages', cid);
  return tl.loading;
}

export async function loadOlder(cid) {
  const tl = timeline(cid);
  if (!tl.loaded || !tl.moreBefore || tl.olderLoading) return;
  const oldest = tl.messages[0];
  if (!oldest) return;
  tl.olderLoading = true;
  changed('messages', cid);
  try {
    const r = await api.request('msg.history', { channel_id: cid, before: oldest.id, limit: PAGE });
    for (const m of r.messages) insert(tl, m);
    tl.moreBefore = r.more_before;
    noteRoots(cid, r.messages);
  } catch (err) {
    console.warn('ruche: older messages:', err.code);
  } finally {
    tl.olderLoading = false;
    changed('messages', cid);
  }
}

export async function loadNewer(cid) {
  const tl = timeline(cid);
  if (!tl.loaded || !tl.moreAfter || tl.newerLoading) return;
  const newest = tl.messages.at(-1);
  tl.newerLoading = true;
  changed('messages', cid);
  try {
    const r = await api.request('msg.history', {
      channel_id: cid, after: newest ? newest.id : 0, limit: PAGE,
    });
    for (const m of r.messages) insert(tl, m);
    tl.moreAfter = r.more_after;
    noteRoots(cid, r.messages);
  } catch (err) {
    console.warn('ruche: newer messages:', err.code);
  } finally {
    tl.newerLoading = false;
    changed('messages', cid);
  }
}

// Shows the messages around one (a search result, a quoted message).
export function jumpTo(cid, mid) {
  const tl = timeline(cid);
  if (tl.loaded && !tl.loading && tl.byId.has(mid)) {
    store.ui.highlight = mid;
    changed('messages', cid);
    return Promise.resolve();
  }
  store.ui.highlight = mid;
  return loadPage(cid, { around: mid, limit: PAGE }, (r) => {
    tl.messages = [];
    tl.byId.clear();
    for (const m of r.messages) insert(tl, m);
    tl.moreBefore = r.more_before;
    tl.moreAfter = r.more_after;
  });
}

// Back to the newest messages after a jump into the past.
export function jumpToLatest(cid) {
  const tl = timeline(cid);
  if (!tl.moreAfter) return Promise.resolve();
  tl.loaded = false;
  return openChannel(cid);
}

// The message a reply quotes: from the timeline, or fetched once.
const quoteLoads = new Set();
export function quoted(cid, id) {
  const m = store.timelines.get(cid)?.byId.get(id) || store.quotes.get(id);
  if (m) return m;
  if (!quoteLoads.has(id) && api.state === 'connected') {
    quoteLoads.add(id);
    api.request('msg.history', { channel_id: cid, around: id, limit: 1 })
      .then((r) => {
        const found = r.messages.find((x) => x.id === id);
        store.quotes.set(id, found || { id, missing: true });
        changed('messages', cid);
      })
      .catch(() => quoteLoads.delete(id));
  }
  return null;
}

const readTimers = new Map();
// Moves the read marker to the newest message loaded (soon, once).
export function markRead(cid) {
  const ch = store.channels.get(cid);
  const tl = store.timelines.get(cid);
  if (!ch || !tl?.loaded || tl.moreAfter) return;
  const newest = tl.messages.at(-1);
  const hadUnread = ch.unread || store.mentioned.has(cid);
  ch.unread = 0;
  store.mentioned.delete(cid);
  if (hadUnread) changed('channels');
  if (!newest || newest.id <= (ch.last_read_id || 0)) return;
  if (readTimers.has(cid)) return;
  readTimers.set(cid, setTimeout(() => {
    readTimers.delete(cid);
    const last = store.timelines.get(cid)?.messages.at(-1);
    if (!last || last.id <= (ch.last_read_id || 0) || api.state !== 'connected') return;
    ch.last_read_id = last.id;
    api.request('read.mark', { channel_id: cid, message_id: last.id })
      .catch(() => {});
  }, 300));
}

// -- Writing -------------------------------------------------------------

export function sendMessage(cid, text, replyTo = null) {
  const p = {
    nonce: uuid(),
    channel_id: cid,
    text,
    reply_to: replyTo,
    author_id: store.me.id,
    created_at: Date.now(),
    state: 'sending',
    error: null,
  };
  store.pending.push(p);
  changed('pending');
  trySend(p);
  return p;
}

async function trySend(p) {
  p.state = 'sending';
  p.error = null;
  changed('pending');
  const params = { channel_id: p.channel_id, text: p.text, nonce: p.nonce };
  if (p.reply_to) params.reply_to = p.reply_to;
  try {
    const r = await api.request('msg.send', params);
    removePending(p.nonce);
    messageCreated({ ...r.message });
    slowModeSent(p.channel_id);
  } catch (err) {
    if (!store.pending.includes(p)) return;
    if (err instanceof ApiError && hooks.onRefused(p, err)) {
      removePending(p.nonce);
      return;
    }
    p.state = 'failed';
    p.error = err instanceof ApiError ? err.code : 'unknown';
    changed('pending');
  }
}

export function retrySend(nonce) {
  const p = store.pending.find((x) => x.nonce === nonce);
  if (p && p.state === 'failed') trySend(p);
}

export function discardSend(nonce) {
  removePending(nonce);
}

export async function editMessage(id, cid, text) {
  const r = await api.request('msg.edit', { message_id: id, text });
  messageChanged(r.message);
  return r.message;
}

export async function deleteMessage(id, cid) {
  await api.request('msg.delete', { message_id: id });
  messageDeleted(id, cid);
}

export async function react(m, emoji, on) {
  await api.request('msg.react', { message_id: m.id, emoji, on });
}

let lastTyping = { cid: null, at: 0 };
export function sendTyping(cid) {
  const now = Date.now();
  if (lastTyping.cid === cid && now - lastTyping.at < 3000) return;
  if (api.state !== 'connected') return;
  lastTyping = { cid, at: now };
  api.request('typing', { channel_id: cid }).catch(() => {});
}

export function typingStopped() {
  lastTyping = { cid: null, at: 0 };
}

export async function openDirect(userIds) {
  const r = await api.request('dm.open', { user_ids: userIds });
  channelChanged(r.channel);
  return r.channel;
}

let searchSeq = 0;
export async function search(query) {
  const seq = ++searchSeq;
  store.search = { query, results: null, loading: true, error: null };
  changed('search');
  try {
    const r = await api.request('msg.search', { query, limit: 30 });
    if (seq !== searchSeq) return;
    store.search = { query, results: r.results, loading: false, error: null };
  } catch (err) {
    if (seq !== searchSeq) return;
    store.search = { query, results: null, loading: false, error: err.code || 'unknown' };
  }
  changed('search');
}

export function clearSearch() {
  searchSeq++;
  store.search = { query: '', results: null, loading: false, error: null };
  changed('search');
}

let awayTimer = null;
// Away a little while after the tab is hidden, online as soon as it is back.
export function visibility(visible) {
  clearTimeout(awayTimer);
  if (store.auth !== 'user' || api.state !== 'connected') return;
  if (visible) {
    if (store.awaySent) {
      store.awaySent = false;
      api.request('presence.set', { status: 'online' }).catch(() => {});
    }
  } else {
    awayTimer = setTimeout(() => {
      if (api.state !== 'connected') return;
      store.awaySent = true;
      api.request('presence.set', { status: 'away' }).catch(() => {});
    }, 60000);
  }
}

// -- Threads ---------------------------------------------------------------
//
// The server keeps a thread's replies out of its channel's history, so
// they live apart from the timeline: store.threads maps a root's id to a
// Thread (newThread below), loaded when its panel opens and kept current
// by the events.  store.threadUnread holds the roots whose thread has
// replies by others after the person's marker.  History gives that marker
// on the root (thread_last_read_id) but not the id of the newest reply, so
// each root with replies is checked once with a page after the marker;
// live replies keep the mark current from then on.

store.threads = new Map();
store.threadUnread = new Set();
// Direct conversation id -> Map(user id -> the last message they read),
// from live `read` events and their own messages: a read receipt.
store.receipts = new Map();
const threadChecked = new Set(); // roots checked, or being checked
const ownThreadMarks = new Set(); // thread replies marked read here

function resetThreads() {
  store.threads.clear();
  store.threadUnread.clear();
  store.receipts.clear();
  threadChecked.clear();
  ownThreadMarks.clear();
}

function newThread(cid, rootId) {
  return {
    cid,
    rootId,
    root: null, // a copy of the root, for when the timeline holds none
    messages: [], // the replies, oldest first
    byId: new Map(),
    loaded: false,
    loading: null, // the promise of the load under way
    error: null,
    pending: [], // replies sent and not acknowledged yet
    lastRead: 0, // the person's marker in the thread
  };
}

export function threadOf(rootId) {
  return store.threads.get(rootId) || null;
}

// A thread's root: the timeline's copy when it holds one, as the list and
// the panel then show the same object.
export function threadRoot(th) {
  return store.timelines.get(th.cid)?.byId.get(th.rootId) || th.root;
}

// Loads a thread, its root and every reply, unless it is loaded.
export function openThread(cid, rootId) {
  let th = store.threads.get(rootId);
  if (!th || th.cid !== cid) {
    th = newThread(cid, rootId);
    store.threads.set(rootId, th);
  }
  if (th.loaded || th.loading) return th.loading || Promise.resolve();
  th.error = null;
  th.loading = (async () => {
    try {
      let root = store.timelines.get(cid)?.byId.get(rootId);
      if (!root) {
        const r = await api.request('msg.history', { channel_id: cid, around: rootId, limit: 1 });
        root = r.messages.find((x) => x.id === rootId);
      }
      if (!root || root.thread_id) throw new ApiError('not_found', '');
      // Threads are short: every reply, a hundred at a time.
      const replies = [];
      let before = null;
      for (;;) {
        const params = { channel_id: cid, thread_id: rootId, limit: 100 };
        if (before) params.before = before;
        const r = await api.request('msg.history', params);
        replies.unshift(...r.messages);
        if (!r.more_before || !r.messages.length) break;
        before = r.messages[0].id;
      }
      th.root = { reactions: [], ...root };
      th.messages = [];
      th.byId.clear();
      for (const m of replies) insert(th, m);
      th.lastRead = Math.max(th.lastRead, root.thread_last_read_id || 0);
      th.loaded = true;
      threadChecked.add(rootId);
    } catch (err) {
      th.error = err.code || 'unknown';
    } finally {
      th.loading = null;
      changed('threads', rootId);
    }
  })();
  changed('threads', rootId);
  return th.loading;
}

// The copies of a message that threads hold (roots and replies), but
// `except`, which the caller updates itself.
function threadCopies(id, except) {
  const out = [];
  for (const th of store.threads.values()) {
    if (th.root?.id === id && th.root !== except) out.push(th.root);
    const x = th.byId.get(id);
    if (x && x !== except) out.push(x);
  }
  if (out.length) changed('threads');
  return out;
}

function threadReplyCreated(m) {
  const rootId = m.thread_id;
  const th = store.threads.get(rootId);
  const mine = m.author_id === store.me?.id;
  if (th) {
    const i = m.nonce && mine ? th.pending.findIndex((p) => p.nonce === m.nonce) : -1;
    if (i >= 0) th.pending.splice(i, 1);
    else if (mine && !m.nonce) claimPending(th.pending, m);
    if (th.loaded) insert(th, m);
    changed('threads', rootId);
  }
  if (hooks.isReadingThread(rootId)) {
    markThreadRead(rootId);
  } else if (!mine) {
    store.threadUnread.add(rootId);
    changed('threads', rootId);
  }
  seenBy(m.channel_id, m.author_id, m.id);
}

// A thread got a reply: its root counts one more, wherever it is shown.
function threadUpdated(d) {
  const bump = (x) => {
    x.reply_count = (x.reply_count || 0) + 1;
    x.last_reply_at = d.last_reply_at;
  };
  for (const [cid, tl] of store.timelines) {
    const m = tl.byId.get(d.message_id);
    if (m) {
      bump(m);
      changed('messages', cid);
    }
  }
  for (const x of threadCopies(d.message_id)) if (x.id === d.message_id && !x.thread_id) bump(x);
  changed('threads', d.message_id);
}

// Moves the person's marker in a thread to its newest reply.
export function markThreadRead(rootId) {
  if (store.threadUnread.delete(rootId)) changed('threads', rootId);
  const th = store.threads.get(rootId);
  if (!th?.loaded || api.state !== 'connected') return;
  const last = th.messages.at(-1);
  if (!last || last.id <= th.lastRead) return;
  th.lastRead = last.id;
  ownThreadMarks.add(last.id);
  api.request('read.mark', { channel_id: th.cid, message_id: last.id }).catch(() => {});
}

// Our own `read` event, for a reply of a thread (marked here or on another
// device): true when it was one.
function threadRead(d) {
  if (ownThreadMarks.has(d.message_id)) return true;
  for (const th of store.threads.values()) {
    if (!th.byId.has(d.message_id)) continue;
    th.lastRead = Math.max(th.lastRead, d.message_id);
    if ((th.messages.at(-1)?.id || 0) <= d.message_id && store.threadUnread.delete(th.rootId)) {
      changed('threads', th.rootId);
    }
    return true;
  }
  return false;
}

// Roots with replies in a page of history: do they have unread ones?
function noteRoots(cid, list) {
  for (const m of list) {
    if (!m.reply_count || m.thread_id || threadChecked.has(m.id)) continue;
    threadChecked.add(m.id);
    checkThread(cid, m);
  }
}

async function checkThread(cid, m) {
  const since = m.thread_last_read_id || 0;
  const params = { channel_id: cid, thread_id: m.id, limit: 100 };
  if (since) params.after = since;
  try {
    const r = await api.request('msg.history', params);
    const unread = r.messages.some((x) => x.id > since && !x.deleted &&
      x.author_id !== store.me?.id);
    if (unread && !hooks.isReadingThread(m.id)) store.threadUnread.add(m.id);
    changed('threads', m.id);
  } catch {
    threadChecked.delete(m.id); // asked again with the next page
  }
}

// The server could not replay what we missed: threads load again.
function threadsAfterGap() {
  for (const th of store.threads.values()) th.loaded = false;
  threadChecked.clear();
  store.threadUnread.clear();
  const { channelId, threadId } = store.route;
  if (channelId && threadId) openThread(channelId, threadId);
  changed('threads');
}

export function sendThreadReply(cid, rootId, text) {
  const th = store.threads.get(rootId);
  if (!th) return null;
  const p = {
    nonce: uuid(),
    channel_id: cid,
    thread_id: rootId,
    text,
    author_id: store.me.id,
    created_at: Date.now(),
    state: 'sending',
    error: null,
  };
  th.pending.push(p);
  trySendThread(th, p);
  return p;
}

async function trySendThread(th, p) {
  p.state = 'sending';
  p.error = null;
  changed('threads', th.rootId);
  try {
    const r = await api.request('msg.send', {
      channel_id: p.channel_id, thread_id: p.thread_id, text: p.text, nonce: p.nonce,
    });
    const i = th.pending.indexOf(p);
    if (i >= 0) th.pending.splice(i, 1);
    messageCreated({ ...r.message });
  } catch (err) {
    if (!th.pending.includes(p)) return;
    p.state = 'failed';
    p.error = err instanceof ApiError ? err.code : 'unknown';
    changed('threads', th.rootId);
  }
}

export function retryThreadSend(rootId, nonce) {
  const th = store.threads.get(rootId);
  const p = th?.pending.find((x) => x.nonce === nonce);
  if (p && p.state === 'failed') trySendThread(th, p);
}

export function discardThreadSend(rootId, nonce) {
  const th = store.threads.get(rootId);
  const i = th ? th.pending.findIndex((x) => x.nonce === nonce) : -1;
  if (i < 0) return;
  th.pending.splice(i, 1);
  changed('threads', rootId);
}

function retryThreadSends() {
  for (const th of store.threads.values()) {
    for (const p of th.pending) {
      if (p.state === 'failed' && ['offline', 'disconnected', 'timeout'].includes(p.error)) {
        trySendThread(th, p);
      }
    }
  }
}

// -- Read receipts ---------------------------------------------------------

// Someone else's `read` event: in a direct conversation, a read receipt.
function receipt(d) {
  // A reply of a thread moves the thread's marker, not the conversation's.
  for (const th of store.threads.values()) if (th.byId.has(d.message_id)) return;
  seenBy(d.channel_id, d.user_id, d.message_id);
}

// What dm.list says the others have read: receipts after a reload.
function seenFrom(direct) {
  for (const r of direct.reads || []) seenBy(direct.id, r.user_id, r.message_id);
}

// In a direct conversation, uid has read up to message mid (they marked
// it read, or wrote it: writing comes after reading).
function seenBy(cid, uid, mid) {
  if (uid === store.me?.id || store.channels.get(cid)?.kind !== 'direct') return;
  if (!store.receipts.has(cid)) store.receipts.set(cid, new Map());
  const seen = store.receipts.get(cid);
  if ((seen.get(uid) || 0) >= mid) return;
  seen.set(uid, mid);
  changed('receipts', cid);
}

// -- Managing channels (mentors of the hive and admins) --------------------

export async function createChannel(hiveId, { name, topic, kind }) {
  const r = await api.request('channel.create', { hive_id: hiveId, name, topic, kind });
  channelChanged(r.channel);
  return r.channel;
}

// fields: any of name, topic, position.
export async function updateChannel(cid, fields) {
  const r = await api.request('channel.update', { channel_id: cid, ...fields });
  channelChanged(r.channel);
  return r.channel;
}

export async function archiveChannel(cid) {
  await api.request('channel.archive', { channel_id: cid });
  const ch = store.channels.get(cid);
  if (ch && !ch.archived) {
    ch.archived = true;
    changed('channels');
  }
}
