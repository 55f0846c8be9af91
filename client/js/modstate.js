// modstate.js - what the page knows about moderation, kept current by the
// server's events: the mutes running in each hive (to show the composer's
// notice and the members' state), the pins of each channel, the open
// reports of the hives the person moderates (the queue's badge), and the
// slow-mode wait after one's own message.
//
// session.js hands the moderation events to onEvent() and calls load()
// after a (re)load of the hives; views watch the topics 'mod' (mutes,
// slow mode), 'pins' (with the channel id) and 'reports' (with the hive id).

import { store, changed, hiveOf, t } from './store.js';
import { request } from './session.js';

store.mod = {
  mutes: new Map(), // hive id -> Map(user id -> until, ms)
  pins: new Map(), // channel id -> { list: [pin], loaded, loading, error }
  reports: new Map(), // hive id -> Map(report id -> report), open ones
  slowUntil: new Map(), // channel id -> when one may post again, ms
  handled: [], // report ids of one's own reports handled lately
};

// Whether the person moderates a hive: its mentors, and admins.
export function canModerate(hiveId) {
  const hive = hiveOf(hiveId);
  if (!hive && !store.me?.admin) return false;
  return Boolean(store.me?.admin || hive?.role === 'mentor');
}

// The role of a member of a hive ('mentor', 'learner') or null.
export function memberRole(hiveId, userId) {
  return store.members.get(hiveId)?.find((m) => m.user_id === userId)?.role || null;
}

// Whether the person may act on userId in hiveId: a mentor acts on
// learners only, an admin on anyone but themselves.  The server checks it
// again (an admin who is a learner of the hive is refused there).
export function canActOn(hiveId, userId) {
  if (!canModerate(hiveId) || userId === store.me?.id) return false;
  if (store.me?.admin) return true;
  return memberRole(hiveId, userId) === 'learner';
}

// -- Mutes ----------------------------------------------------------------

const muteTimers = new Map();

function setMute(hiveId, userId, until) {
  if (!store.mod.mutes.has(hiveId)) store.mod.mutes.set(hiveId, new Map());
  const key = `${hiveId}:${userId}`;
  clearTimeout(muteTimers.get(key));
  muteTimers.delete(key);
  if (until && until > Date.now()) {
    store.mod.mutes.get(hiveId).set(userId, until);
    // The server ends it and says so; the page does not wait for that
    // to let the person write again.
    const ms = Math.min(until - Date.now() + 500, 2 ** 31 - 1);
    muteTimers.set(key, setTimeout(() => setMute(hiveId, userId, null), ms));
  } else {
    store.mod.mutes.get(hiveId).delete(userId);
  }
  changed('mod');
  changed('members');
}

// The server said the person is muted (a refused send).
export function noteMuted(hiveId, until) {
  setMute(hiveId, store.me?.id, until);
}

// When userId's mute in hiveId ends (ms), or null.
export function mutedUntil(hiveId, userId = store.me?.id) {
  const until = store.mod.mutes.get(hiveId)?.get(userId);
  return until && until > Date.now() ? until : null;
}

// -- Slow mode ------------------------------------------------------------

const slowTimers = new Map();

export function setSlow(cid, until) {
  clearTimeout(slowTimers.get(cid));
  if (until > Date.now()) {
    store.mod.slowUntil.set(cid, until);
    slowTimers.set(cid, setTimeout(() => setSlow(cid, 0), until - Date.now() + 50));
  } else {
    store.mod.slowUntil.delete(cid);
  }
  changed('mod');
}

export function slowUntil(cid) {
  const until = store.mod.slowUntil.get(cid);
  return until && until > Date.now() ? until : null;
}

// Slow mode binds learners only.
export function slowApplies(ch) {
  return Boolean(ch && ch.kind !== 'direct' && ch.slow_mode_seconds > 0 &&
    !canModerate(ch.hive_id));
}

// -- Pins -------------------------------------------------------------------

export function pinsOf(cid) {
  if (!store.mod.pins.has(cid)) {
    store.mod.pins.set(cid, { list: [], loaded: false, loading: null, error: null });
  }
  return store.mod.pins.get(cid);
}

export function loadPins(cid, { force = false } = {}) {
  const p = pinsOf(cid);
  if ((p.loaded && !force) || p.loading) return p.loading || Promise.resolve();
  p.error = null;
  p.loading = request('pin.list', { channel_id: cid })
    .then((r) => {
      p.list = r.pins;
      p.loaded = true;
    })
    .catch((err) => {
      p.error = err.code || 'unknown';
    })
    .finally(() => {
      p.loading = null;
      changed('pins', cid);
    });
  changed('pins', cid);
  return p.loading;
}

export function isPinned(m) {
  return pinsOf(m.channel_id).list.some((x) => x.message_id === m.id);
}

// -- Reports ----------------------------------------------------------------

export function openReports(hiveId) {
  return store.mod.reports.get(hiveId)?.size || 0;
}

function putReport(r) {
  if (!store.mod.reports.has(r.hive_id)) store.mod.reports.set(r.hive_id, new Map());
  const open = store.mod.reports.get(r.hive_id);
  if (r.status === 'open') open.set(r.id, r);
  else open.delete(r.id);
  changed('reports', r.hive_id);
}

// A report resolved here: the queue follows at once (the event may come
// after the reply).
export function reportResolved(r) {
  putReport(r);
}

// -- Loading and events --------------------------------------------------------

// After the hives are (re)loaded: the open reports and the mutes of the
// hives the person moderates.  Failures leave the badge empty.
export async function load() {
  // One's own mutes come with the hives (muted_until), from the start.
  for (const x of store.hives) if (x.muted_until) setMute(x.id, store.me?.id, x.muted_until);
  const hives = store.hives.filter((x) => canModerate(x.id) && !x.archived);
  store.mod.reports.clear();
  await Promise.all(hives.map(async (x) => {
    try {
      const [reports, mutes] = await Promise.all([
        request('report.list', { hive_id: x.id, status: 'open' }),
        request('mod.mutes', { hive_id: x.id }),
      ]);
      store.mod.reports.set(x.id, new Map(reports.reports.map((r) => [r.id, r])));
      for (const m of mutes.mutes) setMute(x.id, m.user_id, m.until);
    } catch {
      // the badge shows what the events bring
    }
    changed('reports', x.id);
  }));
  // Pins seen before a gap may be stale: load them again when shown.
  for (const p of store.mod.pins.values()) p.loaded = false;
  changed('pins');
}

export function reset() {
  store.mod.mutes.clear();
  store.mod.pins.clear();
  store.mod.reports.clear();
  store.mod.slowUntil.clear();
  store.mod.handled = [];
}

// Hooks the views set: a notice for one's own handled report.
export const modHooks = {
  onHandled: () => {},
};

export function onEvent(ev, d) {
  switch (ev) {
    case 'mod.muted': return setMute(d.hive_id, d.user_id, d.until);
    case 'mod.unmuted': return setMute(d.hive_id, d.user_id, null);
    case 'member.left': // kicked or banned: the server ended any mute
      setMute(d.hive_id, d.user_id, null);
      return undefined;
    case 'pin.added': {
      const p = pinsOf(d.pin.channel_id);
      p.list = [d.pin, ...p.list.filter((x) => x.message_id !== d.pin.message_id)];
      return changed('pins', d.pin.channel_id);
    }
    case 'pin.removed': {
      const p = pinsOf(d.channel_id);
      p.list = p.list.filter((x) => x.message_id !== d.message_id);
      return changed('pins', d.channel_id);
    }
    case 'report.created':
    case 'report.resolved':
      return putReport(d.report);
    case 'report.handled':
      store.mod.handled.push(d.report_id);
      return modHooks.onHandled(d);
    default: return undefined;
  }
}

// The words for a refusal of the moderation operations: the server's
// `forbidden` said in terms of who may act on whom.
export function modErrorText(code, errorText) {
  if (code === 'forbidden') return t('mod.error.forbidden');
  return errorText(code);
}
