// app.js - the page: strings, the connection, the shell around the views
// (header, connection indicator, user menu, footer), and which view shows.
//
// index.html holds the static shell; each view module builds its own part
// of the page from the store.  The views:
//   loading  until the first hello says who we are
//   auth     login, first admin (#/setup), invites (#/invite)   auth.js
//   chat     hives, channels, messages                           chat.js
//   profile  your account                                        profile.js
//   admin    hives, members and invites                          admin.js
//   meetups  a hive's meetups and the schedule form              meetups.js
//   scheduled  your scheduled messages and reminders             scheduled.js

import { Api } from './api.js';
import { loadStrings, translateTree } from './i18n.js';
import { h, byId, setText, avatar, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import { store, changed, watch, t } from './store.js';
import * as session from './session.js';
import * as router from './router.js';
import * as auth from './auth.js';
import * as chat from './chat.js';
import * as profile from './profile.js';
import * as admin from './admin.js';
import * as notify from './notify.js';
import * as meetups from './meetups.js';
import * as scheduled from './scheduled.js';

const STATE_LABELS = {
  connecting: 'conn.connecting',
  connected: 'conn.connected',
  offline: 'conn.offline',
};

const view = {
  status: byId('conn-status'),
  statusLabel: byId('conn-status').querySelector('.conn-label'),
  banner: byId('conn-banner'),
  bannerText: byId('conn-banner-text'),
  retry: byId('conn-retry'),
  version: byId('server-version'),
  userArea: byId('user-area'),
  userBtn: byId('user-btn'),
  userMenu: byId('user-menu'),
  main: byId('main'),
  views: {
    loading: byId('view-loading'),
    auth: byId('view-auth'),
    chat: byId('view-chat'),
    profile: byId('view-profile'),
    admin: byId('view-admin'),
    // Made here: index.html knows the views that came before it.
    meetups: h('div', { id: 'view-meetups', class: 'view view-page', hidden: true }),
    scheduled: h('div', { id: 'view-scheduled', class: 'view view-page', hidden: true }),
  },
};
byId('view-admin').after(view.views.meetups);
view.views.meetups.after(view.views.scheduled);

// -- Connection indicator and banner ----------------------------------------

function statusLabel() {
  if (store.conn === 'connecting' && store.everConnected) {
    return t('conn.reconnecting');
  }
  return t(STATE_LABELS[store.conn]);
}

function bannerText() {
  if (store.retryAt === null) return t('conn.trying');
  const seconds = Math.max(1, Math.ceil((store.retryAt - Date.now()) / 1000));
  return t('conn.retryIn', { seconds });
}

function renderConn() {
  view.status.dataset.state = store.conn;
  if (!store.t) return; // the text follows once the strings are in
  setText(view.statusLabel, statusLabel());
  // The banner is for a lost connection, not for the very first connect.
  const offline = store.conn === 'offline' ||
    (store.conn === 'connecting' && store.everConnected && store.auth === 'user');
  view.banner.hidden = !offline;
  view.banner.dataset.state = store.conn;
  if (offline) {
    setText(view.bannerText, store.conn === 'offline' ? bannerText() : t('conn.reconnectingBanner'));
  }
  view.retry.hidden = store.conn !== 'offline';
  setText(view.version, store.server?.version || t('server.unknown'));
  if (store.server) {
    view.version.title = `${store.server.server} ${store.server.version}, ` +
      `protocol ${store.server.protocol}`;
  }
}

// While offline, the banner counts down to the next attempt.
let countdown = null;
function tickWhileOffline() {
  if (store.conn === 'offline' && countdown === null) {
    countdown = setInterval(renderConn, 1000);
  } else if (store.conn !== 'offline' && countdown !== null) {
    clearInterval(countdown);
    countdown = null;
  }
}

// -- The user menu -----------------------------------------------------------

function renderUser() {
  const me = store.auth === 'user' ? store.me : null;
  view.userArea.hidden = !me;
  if (!me) return;
  replaceChildren(view.userBtn, avatar(me, { size: 's' }),
    h('span', { class: 'user-btn-name' }, me.display_name),
    icon('chevronDown', { size: 14 }));
  view.userBtn.setAttribute('aria-label', t('nav.account', { name: me.display_name }));
  const manage = me.admin || store.hives.some((x) => x.role === 'mentor');
  replaceChildren(view.userMenu,
    h('div', { class: 'menu-me' }, avatar(me, { size: 'm' }),
      h('div', {}, h('p', { class: 'menu-me-name' }, me.display_name),
        h('p', { class: 'menu-me-handle' }, `@${me.handle}`))),
    h('a', { class: 'menu-item', href: '#/' }, icon('message', { size: 16 }), h('span', {}, t('nav.chat'))),
    h('a', { class: 'menu-item', href: '#/profile' }, icon('user', { size: 16 }), h('span', {}, t('nav.profile'))),
    h('a', { class: 'menu-item', href: '#/scheduled', id: 'scheduled-link' }, icon('clock', { size: 16 }), h('span', {}, t('nav.scheduled'))),
    manage ? h('a', { class: 'menu-item', href: '#/admin' }, icon('shield', { size: 16 }), h('span', {}, t('nav.manage'))) : null,
    h('button', {
      class: 'menu-item menu-item-sep', type: 'button', id: 'logout-btn',
      onclick: () => {
        view.userMenu.hidePopover();
        session.logout();
      },
    }, icon('logout', { size: 16 }), h('span', {}, t('nav.logout'))));
}

// -- Which view ----------------------------------------------------------------

let shown = null;
function whichView() {
  const { route } = store;
  if (route.name === 'setup' || route.name === 'invite') {
    return store.auth === 'unknown' ? 'loading' : 'auth';
  }
  if (store.auth === 'unknown') return 'loading';
  if (store.auth === 'anon') return 'auth';
  if (!store.ready) return 'loading';
  if (route.name === 'login') {
    router.go('#/', { replace: true });
    return 'loading';
  }
  if (route.name === 'profile') return 'profile';
  if (route.name === 'admin') return 'admin';
  if (route.name === 'meetups') return 'meetups';
  if (route.name === 'scheduled') return 'scheduled';
  return 'chat';
}

function renderView() {
  if (!store.t) return;
  const name = whichView();
  for (const [key, el] of Object.entries(view.views)) el.hidden = key !== name;
  document.body.dataset.view = name;
  const changedView = name !== shown;
  shown = name;
  if (name !== 'auth') auth.forget();
  if (store.auth !== 'user') profile.forget();
  if (name === 'auth') {
    auth.render();
    document.title = `${auth.titleFor(store.route)} · ${t('app.name')}`;
    if (store.route.name !== 'setup' && store.route.name !== 'invite') document.title = t('app.name');
  } else if (name === 'chat') {
    chat.show();
  } else if (name === 'profile') {
    profile.render();
    document.title = `${t('profile.title')} · ${t('app.name')}`;
  } else if (name === 'meetups') {
    meetups.show(store.route, changedView);
    document.title = `${t('meet.title')} · ${t('app.name')}`;
  } else if (name === 'scheduled') {
    scheduled.show(changedView);
    document.title = `${t('sched.title')} · ${t('app.name')}`;
  } else if (name === 'admin') {
    admin.show(changedView);
    document.title = `${t('admin.title')} · ${t('app.name')}`;
  } else {
    document.title = t('app.name');
  }
  if (changedView && name !== 'loading' && name !== 'chat' && document.activeElement === document.body) {
    view.main.focus({ preventScroll: true });
  }
  renderUser();
}

async function main() {
  const api = new Api();
  session.init(api);

  api.on('state', (state) => {
    // Who is online is unknown while we are not: it is asked again on
    // resume.
    if (state !== 'connected' && store.presence.size) {
      store.presence.clear();
      changed('presence');
    }
    store.conn = state;
    store.everConnected = api.everConnected;
    store.retryAt = api.retryAt;
    tickWhileOffline();
    changed('conn');
  });
  api.on('retry', (at) => {
    store.retryAt = at;
    changed('conn');
  });
  api.on('hello', (data) => {
    store.server = data;
    changed('conn');
  });

  view.retry.addEventListener('click', () => api.retryNow());
  // Back on the network, or back to the tab: no point waiting out a timer.
  window.addEventListener('online', () => api.retryNow());
  document.addEventListener('visibilitychange', () => {
    const visible = document.visibilityState === 'visible';
    if (visible) api.retryNow();
    session.visibility(visible);
    if (visible) changed('messages', 'all');
  });
  view.userMenu.addEventListener('click', (e) => {
    if (e.target.closest('a')) view.userMenu.hidePopover();
  });

  // Connecting does not wait for the strings: both go over the network.
  const strings = loadStrings();
  api.start();
  store.t = await strings;
  document.documentElement.lang = store.t.lang;
  translateTree(document, store.t);
  document.title = t('app.name');

  auth.mount(view.views.auth);
  chat.mount(view.views.chat);
  profile.mount(view.views.profile);
  admin.mount(view.views.admin);
  meetups.mount(view.views.meetups);
  scheduled.mount(view.views.scheduled);
  scheduled.init();
  notify.init();
  view.views.loading.append(h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') }));

  watch('conn', renderConn);
  watch(['auth', 'route', 'hives'], renderView);
  watch('channels', () => {
    if (shown === 'chat') chat.updateTitle();
  });
  router.start();
  renderConn();
  renderView();
}

main().catch((err) => {
  console.error('ruche: the page failed to start:', err);
});
