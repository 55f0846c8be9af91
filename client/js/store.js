// store.js - everything the page knows, in one object, and the one way to
// say it changed.
//
// Modules read `store` freely and change it only through the functions of
// session.js (data from the server) or through small view state (which
// panel is open).  After a change they call changed('topic'); the views
// that asked for that topic re-render once, after the current task, however
// many changes it made.  Topics: conn, auth, route, hives, channels,
// members, presence, typing, pending, messages (with the channel id in
// the detail set), search, admin; and for moderation (modstate.js): mod
// (mutes, slow mode), pins (channel id), reports (hive id); and for
// meetups (meetstate.js): meetups.

export const store = {
  t: null, // translator, once the strings are loaded

  // The connection (api.js) and the server's hello.
  conn: 'connecting', // 'connecting' | 'connected' | 'offline'
  everConnected: false,
  server: null,
  retryAt: null,

  // Who is here: 'unknown' until the first hello, then 'anon' or 'user'.
  auth: 'unknown',
  sessionEnded: false, // a session that was on is gone (logged out elsewhere)
  me: null, // { id, handle, display_name, admin }
  hives: [], // my hives: { id, name, description, role, capacity, ... }
  ready: false, // channels and members loaded after login

  channels: new Map(), // id -> channel, hive channels and direct ones
  users: new Map(), // user id -> { id, handle, display_name }
  members: new Map(), // hive id -> [{ user_id, handle, display_name, role }]
  presence: new Map(), // user id -> 'online' | 'away' | 'offline'
  typing: new Map(), // channel id -> Map(user id -> expires at, ms)
  timelines: new Map(), // channel id -> Timeline (see session.js)
  quotes: new Map(), // message id -> message, for replies to older ones
  pending: [], // sends not yet acknowledged: { nonce, channel_id, ... }
  mentioned: new Set(), // channel ids with a mention not seen yet
  lastPos: null, // position of the last event applied
  lastHiveId: null, // the hive last looked at

  route: { name: 'home' },
  ui: {
    panel: 'members', // side panel: 'members' | 'search' | null
    nav: false, // phone: the channel list drawer is open
    highlight: null, // message id to flash after a jump
    atBottom: true, // the message list shows its newest message
    replyTo: null, // message the composer replies to
    editing: null, // message id being edited inline
  },
  search: { query: '', results: null, loading: false, error: null },
};

const listeners = new Map(); // topic -> Set of fn(detail)
const dirty = new Map(); // topic -> Set of details
let scheduled = false;

// fn(details) runs after topics change; details is a Set of what was
// passed to changed() (e.g. channel ids for 'messages').
export function watch(topics, fn) {
  for (const topic of [].concat(topics)) {
    if (!listeners.has(topic)) listeners.set(topic, new Set());
    listeners.get(topic).add(fn);
  }
}

export function changed(topic, detail) {
  if (!dirty.has(topic)) dirty.set(topic, new Set());
  if (detail !== undefined) dirty.get(topic).add(detail);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(flush);
  }
}

function flush() {
  scheduled = false;
  const batch = new Map(dirty);
  dirty.clear();
  // A view watching several topics runs once, with every detail.
  const calls = new Map();
  for (const [topic, details] of batch) {
    for (const fn of listeners.get(topic) || []) {
      if (!calls.has(fn)) calls.set(fn, { topics: new Set(), details: new Set() });
      calls.get(fn).topics.add(topic);
      for (const d of details) calls.get(fn).details.add(d);
    }
  }
  for (const [fn, { topics, details }] of calls) {
    try {
      fn(details, topics);
    } catch (err) {
      console.error('ruche: a view failed to render:', err);
    }
  }
}

// -- Questions many views ask -------------------------------------------

export function t(key, vars) {
  return store.t ? store.t(key, vars) : key;
}

export function userName(id) {
  const u = store.users.get(id);
  if (u) return u.display_name || u.handle;
  if (id === store.me?.id) return store.me.display_name;
  return t('user.unknown');
}

export function hiveOf(id) {
  return store.hives.find((h) => h.id === id) || null;
}

export function myRole(hiveId) {
  return hiveOf(hiveId)?.role || 'none';
}

// A channel's label: "general" for hive channels, the other people's
// names for direct conversations.
export function channelLabel(ch) {
  if (!ch) return '';
  if (ch.kind !== 'direct') return ch.name;
  const others = (ch.members || []).filter((id) => id !== store.me?.id);
  if (!others.length) return userName(store.me?.id);
  return others.map(userName).join(', ');
}

export function canPost(ch) {
  if (!ch || ch.archived) return false;
  if (ch.kind !== 'direct' && hiveOf(ch.hive_id)?.archived) return false;
  const leads = store.me?.admin || myRole(ch.hive_id) === 'mentor';
  // Mentors locked the channel: read-only for learners.
  if (ch.kind !== 'direct' && ch.locked && !leads) return false;
  if (ch.kind !== 'announce') return true;
  return leads;
}

// Hive channels of a hive, in their order; archived ones left out.
export function hiveChannels(hiveId) {
  return [...store.channels.values()]
    .filter((c) => c.kind !== 'direct' && c.hive_id === hiveId && !c.archived)
    .sort((a, b) => a.position - b.position || a.id - b.id);
}

export function directChannels() {
  return [...store.channels.values()]
    .filter((c) => c.kind === 'direct')
    .sort((a, b) => (b.last_activity || b.id) - (a.last_activity || a.id));
}

export function totalUnread() {
  let n = 0;
  for (const c of store.channels.values()) if (!c.archived) n += c.unread || 0;
  return n;
}
