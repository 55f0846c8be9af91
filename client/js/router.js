// router.js - the page's address lives in the fragment (#/...):
//
//   #/login                  log in
//   #/setup  #/invite        the first-admin and invite pages; the links
//                            the server prints carry the code (#/setup/CODE,
//                            #/invite/CODE): it is moved out of the address
//                            at once, so it stays out of the history
//   #/c/ID                   a channel or a direct conversation
//   #/h/ID                   a hive (its first channel)
//   #/profile                your account
//   #/admin  #/admin/h/ID    managing hives, members and invites
//
// The code of an invite is kept in sessionStorage (this tab only) until it
// is used, so a reload of the page does not lose it.

import { store, changed } from './store.js';

const CODE_KEY = 'ruche.invite';

export function parse(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [a, b] = parts;
  const id = (x) => (/^\d+$/.test(x || '') ? Number(x) : null);
  switch (a) {
    case undefined: return { name: 'home' };
    case 'login': return { name: 'login' };
    case 'setup': return { name: 'setup', code: b || null };
    case 'invite': return { name: 'invite', code: b || null };
    case 'c': return id(b) ? { name: 'channel', channelId: id(b) } : { name: 'home' };
    case 'h': return id(b) ? { name: 'hive', hiveId: id(b) } : { name: 'home' };
    case 'profile': return { name: 'profile' };
    case 'admin':
      return parts[1] === 'h' && id(parts[2])
        ? { name: 'admin', hiveId: id(parts[2]) }
        : { name: 'admin', hiveId: null };
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
