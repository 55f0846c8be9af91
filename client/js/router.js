// router.js - the page's address lives in the fragment (#/...):
//
//   #/login                  log in
//   #/setup  #/invite        the first-admin and invite pages; the links
//                            the server prints carry the code (#/setup/CODE,
//                            #/invite/CODE): it is moved out of the address
//                            at once, so it stays out of the history
//   #/c/ID                   a channel or a direct conversation
//   #/c/ID/t/ROOT            the same, with the thread under message ROOT open
//   #/h/ID                   a hive (its first channel)
//   #/h/ID/meetups           a hive's meetups (meetups.js)
//   #/profile                your account
//   #/scheduled              your scheduled messages and reminders
//   #/admin  #/admin/h/ID    managing hives, members and invites
//   #/admin/h/ID/reports     a hive's report queue (and /guard, /audit,
//                            /people, /pairing: its guard, audit log, mutes
//                            and bans, peer pairing)
//   #/admin/supervision      the admins' supervision dashboard
//
// The code of an invite is kept in sessionStorage (this tab only) until it
// is used, so a reload of the page does not lose it.

import { store, changed } from './store.js';

const CODE_KEY = 'ruche.invite';
const MOD_PAGES = ['reports', 'guard', 'audit', 'people', 'pairing'];

export function parse(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [a, b] = parts;
  const id = (x) => (/^\d+$/.test(x || '') ? Number(x) : null);
  switch (a) {
    case undefined: return { name: 'home' };
    case 'login': return { name: 'login' };
    case 'setup': return { name: 'setup', code: b || null };
    case 'invite': return { name: 'invite', code: b || null };
    case 'c':
      if (!id(b)) return { name: 'home' };
      return {
        name: 'channel',
        channelId: id(b),
        threadId: parts[2] === 't' && id(parts[3]) ? id(parts[3]) : null,
      };
    case 'h':
      if (!id(b)) return { name: 'home' };
      return parts[2] === 'meetups' ? { name: 'meetups', hiveId: id(b) } : { name: 'hive', hiveId: id(b) };
    case 'profile': return { name: 'profile' };
    case 'scheduled': return { name: 'scheduled' };
    case 'admin':
      // #/admin/h/ID/reports|guard|audit|people|pairing: a hive's
      // mentor tools;
      // #/admin/supervision: the admins' supervision.
      if (parts[1] === 'supervision') return { name: 'admin', hiveId: null, page: 'supervision' };
      return parts[1] === 'h' && id(parts[2])
        ? { name: 'admin', hiveId: id(parts[2]), page: MOD_PAGES.includes(parts[3]) ? parts[3] : null }
        : { name: 'admin', hiveId: null, page: null };
    default: return { name: 'home' };
  }
}

// The invite or setup code in hand: { kind: 'setup' | 'invite', code }.
export function pendingCode() {
  try {
    return JSON.parse(sessionStorage.getItem(CODE_KEY) || 'null');
  } catch {
    return null;
  }
}

export function forgetCode() {
  sessionStorage.removeItem(CODE_KEY);
}

function readRoute() {
  const route = parse(location.hash);
  if ((route.name === 'setup' || route.name === 'invite') && route.code) {
    sessionStorage.setItem(CODE_KEY, JSON.stringify({ kind: route.name, code: route.code }));
    // The code leaves the address bar and the history entry at once.
    history.replaceState(null, '', `#/${route.name}`);
    route.code = null;
  }
  return route;
}

export function go(hash, { replace = false } = {}) {
  if (location.hash === hash) return;
  if (replace) {
    history.replaceState(null, '', hash);
    update();
  } else {
    location.hash = hash;
  }
}

function update() {
  store.route = readRoute();
  changed('route');
}

export function start() {
  window.addEventListener('hashchange', update);
  update();
}
