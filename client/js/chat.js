// chat.js - the chat screen: the hive switcher and channel list, the
// conversation (messages.js, composer.js), and the side panel with the
// members and their presence, or the search; or, in its place, an open
// thread (thread.js).

import { h, avatar, replaceChildren, setText, attr } from './dom.js';
import { icon } from './icons.js';
import { formatExcerpt } from './format.js';
import { errorText } from './forms.js';
import {
  store, watch, t, userName, channelLabel, hiveOf, hiveChannels,
  directChannels,
} from './store.js';
import {
  openChannel, jumpTo, openDirect, search, clearSearch, hooks,
} from './session.js';
import { go } from './router.js';
import * as messages from './messages.js';
import * as composer from './composer.js';
import * as thread from './thread.js';
import * as receipts from './receipts.js';
import { canManageChannels, openCreate, openSettings } from './channels.js';
import { formatShortDate } from './messages.js';
import { memberMoreButton, modIcon } from './moderation.js';
import { canModerate, openReports, mutedUntil } from './modstate.js';
import * as pins from './pins.js';
import * as meetroom from './meetroom.js';

let v = null;
let pendingJump = null; // { cid, mid } to show once the channel opens

export function mount(root) {
  // Sidebar: hive switcher, channels, direct messages.
  const hiveBtn = h('button', {
    class: 'hive-btn', type: 'button', popovertarget: 'hive-menu',
    'aria-haspopup': 'true',
  });
  const hiveMenu = h('div', { class: 'menu hive-menu', id: 'hive-menu', popover: 'auto' });
  const channelList = h('ul', { class: 'nav-list', id: 'channel-list' });
  const dmList = h('ul', { class: 'nav-list', id: 'dm-list' });
  // The mentors' way to the report queue, with the count of open reports.
  const reportsLink = h('a', { class: 'nav-item nav-reports', id: 'reports-link', hidden: true });
  // The hive's meetups page.
  const meetupsLink = h('a', { class: 'nav-item nav-meetups', id: 'meetups-link', hidden: true });
  const sidebar = h('nav', { class: 'sidebar', id: 'sidebar', 'aria-label': t('nav.label') },
    h('div', { class: 'hive-switch' }, hiveBtn, hiveMenu),
    reportsLink,
    meetupsLink,
    h('div', { class: 'nav-scroll' },
      h('div', { class: 'nav-head-row', id: 'channels-head' },
        h('h2', { class: 'nav-head' }, t('nav.channels')),
        h('button', {
          class: 'icon-btn icon-btn-s nav-add', type: 'button', id: 'channel-add', hidden: true,
          'aria-label': t('channel.new'), title: t('channel.new'),
          onclick: () => {
            const hiveId = currentHiveId();
            if (canManageChannels(hiveId)) openCreate(hiveId);
          },
        }, icon('plus', { size: 16 }))),
      channelList,
      h('h2', { class: 'nav-head', id: 'dms-head' }, t('nav.direct')),
      dmList,
      h('p', { class: 'nav-empty', id: 'dm-empty', hidden: true }, t('nav.directEmpty'))));

  // The conversation.
  const navToggle = h('button', {
    class: 'icon-btn nav-toggle', type: 'button', 'aria-label': t('nav.open'),
    'aria-controls': 'sidebar', 'aria-expanded': 'false',
    onclick: () => setNav(!store.ui.nav),
  }, icon('menu'));
  const title = h('h1', { class: 'room-title', id: 'room-title' });
  const topic = h('p', { class: 'room-topic' });
  const searchBtn = h('button', {
    class: 'icon-btn', type: 'button', 'aria-label': t('search.open'), title: t('search.open'),
    'aria-controls': 'side-panel', onclick: () => togglePanel('search'),
  }, icon('search'));
  const membersBtn = h('button', {
    class: 'icon-btn', type: 'button', 'aria-label': t('members.open'), title: t('members.open'),
    'aria-controls': 'side-panel', onclick: () => togglePanel('members'),
  }, icon('users'));
  const settingsBtn = h('button', {
    class: 'icon-btn', type: 'button', id: 'channel-settings', hidden: true,
    'aria-label': t('channel.settings'), title: t('channel.settings'),
    onclick: () => {
      const ch = store.channels.get(store.route.channelId);
      if (ch && ch.kind !== 'direct' && canManageChannels(ch.hive_id)) openSettings(ch);
    },
  }, icon('edit'));
  const pinsBtn = h('button', {
    class: 'icon-btn', type: 'button', id: 'pins-btn', hidden: true,
    'aria-label': t('pin.open'), title: t('pin.open'),
    'aria-controls': 'side-panel', onclick: () => togglePanel('pins'),
  }, modIcon('pin', { size: 18 }));
  const head = h('header', { class: 'room-head' }, navToggle,
    h('div', { class: 'room-heading' }, title, topic),
    h('div', { class: 'room-tools' }, settingsBtn, pinsBtn, searchBtn, membersBtn));
  const body = h('div', { class: 'room-body' });
  // The banner of a meetup's channel (meetroom.js).
  const meetBanner = h('div', { class: 'meet-room', id: 'meet-room', hidden: true });
  const typing = h('p', { class: 'typing', 'aria-live': 'polite' });
  const compose = h('div', { class: 'room-compose' });
  const empty = h('div', { class: 'room-empty', hidden: true });
  const room = h('section', { class: 'room', 'aria-labelledby': 'room-title' },
    head, meetBanner, body, typing, compose, empty);

  // The side panel.
  const panel = h('aside', { class: 'panel', id: 'side-panel' });
  const scrim = h('div', { class: 'scrim', onclick: () => closeDrawers() });

  const el = h('div', { class: 'chat' }, sidebar, room, panel, scrim);
  root.append(el);
  v = {
    root, el, sidebar, hiveBtn, hiveMenu, channelList, dmList, navToggle, title, topic,
    searchBtn, membersBtn, body, typing, compose, empty, room, panel, scrim, head, settingsBtn,
    pinsBtn, reportsLink, meetupsLink, meetBanner,
  };
  messages.mount(body);
  composer.mount(compose);
  thread.mount(el);
  receipts.mount(body);
  // The member list shows beside the conversation when there is room;
  // on narrower screens it floats over it, so it starts closed.
  if (!window.matchMedia('(min-width: 1101px)').matches) store.ui.panel = null;

  hooks.isReading = messages.isReading;
  sidebar.addEventListener('click', (e) => {
    if (e.target.closest('a')) setNav(false);
  });
  hiveMenu.addEventListener('click', (e) => {
    if (e.target.closest('a')) hiveMenu.hidePopover();
  });
  el.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    if (store.ui.nav || (isNarrow() && store.ui.panel && !thread.isOpen())) {
      closeDrawers();
    } else if (thread.isOpen()) {
      e.preventDefault();
      thread.close();
    }
  });

  watch(['hives', 'channels', 'members', 'presence', 'route', 'auth', 'reports'], () => renderChrome());
  watch(['messages', 'pending', 'route', 'channels', 'members', 'auth'], (details, topics) => {
    if (!isShown()) return;
    const all = topics.has('route') || topics.has('members') || topics.has('pending') ||
      topics.has('auth');
    messages.render(all ? new Set(['all']) : details);
  });
  watch(['route', 'channels', 'composer', 'auth', 'mod', 'meetups'], (d, topics) => {
    if (isShown()) composer.render(topics.has('route') || topics.has('composer'));
  });
  watch(['typing', 'route', 'members'], () => renderTyping());
  watch(['meetups', 'route', 'channels', 'members'], () => {
    if (isShown()) meetroom.render(v.meetBanner, store.channels.get(store.route.channelId) || null);
  });
  watch(['search', 'route', 'members', 'presence', 'channels', 'auth', 'pins', 'mod'], () => renderPanel());
}

function isShown() {
  return store.auth === 'user' && store.ready && v && !v.root.hidden;
}

function isNarrow() {
  return window.matchMedia('(max-width: 760px)').matches;
}

function setNav(open) {
  store.ui.nav = open;
  v.el.classList.toggle('nav-open', open);
  v.navToggle.setAttribute('aria-expanded', String(open));
  if (open) v.sidebar.querySelector('[aria-current="page"], a, button')?.focus();
}

function togglePanel(name) {
  // The members or the search take the place of an open thread.
  if (thread.isOpen()) {
    store.ui.panel = name;
    thread.close();
  } else {
    store.ui.panel = store.ui.panel === name ? null : name;
  }
  renderPanel();
  if (store.ui.panel === 'search') v.panel.querySelector('input')?.focus();
}

function closeDrawers() {
  if (store.ui.nav) {
    setNav(false);
    v.navToggle.focus();
  }
  if (isNarrow() && store.ui.panel) {
    store.ui.panel = null;
    renderPanel();
  }
}

// Picks the channel to show for the route; returns it (or null).
export function resolveRoute() {
  const r = store.route;
  if (r.name === 'channel') {
    const ch = store.channels.get(r.channelId);
    if (ch) {
      if (ch.kind !== 'direct') store.lastHiveId = ch.hive_id;
      return ch;
    }
  }
  let hiveId = r.name === 'hive' ? r.hiveId : store.lastHiveId;
  if (!hiveOf(hiveId)) hiveId = store.hives[0]?.id ?? null;
  if (r.name === 'channel' && store.channels.size) {
    // A channel we cannot see (removed, or never ours): go home.
    go(hiveId ? `#/h/${hiveId}` : '#/', { replace: true });
    return null;
  }
  if (hiveId !== null) {
    const first = hiveChannels(hiveId)[0];
    store.lastHiveId = hiveId;
    if (first) {
      go(`#/c/${first.id}`, { replace: true });
      return null;
    }
  }
  return null;
}

// Called by app.js when the route points into the chat.
export function show() {
  const ch = resolveRoute();
  if (!ch) {
    renderChrome();
    messages.render(new Set(['all']));
    composer.render();
    renderPanel();
    return;
  }
  if (pendingJump && pendingJump.cid === ch.id) {
    const { cid, mid } = pendingJump;
    pendingJump = null;
    jumpTo(cid, mid);
  } else {
    openChannel(ch.id);
  }
  renderChrome();
  messages.render(new Set(['all']));
  composer.render(true);
  renderTyping();
  renderPanel();
  meetroom.render(v.meetBanner, ch);
}

// -- The sidebar and the header ------------------------------------------------

function currentHiveId() {
  const ch = store.channels.get(store.route.channelId);
  if (ch && ch.kind !== 'direct') return ch.hive_id;
  if (store.route.name === 'hive') return store.route.hiveId;
  return hiveOf(store.lastHiveId) ? store.lastHiveId : store.hives[0]?.id ?? null;
}

function hiveBadge(hive, size = '') {
  // The letter is drawn by the style sheet (as avatars' initials are).
  return h('span', {
    class: `hive-badge ${size} hive-c${(hive?.id || 0) % 6}`, 'aria-hidden': 'true',
    dataset: { letter: [...(hive?.name || '?')][0].toUpperCase() },
  });
}

function badge(n, mentioned) {
  if (!n && !mentioned) return null;
  return h('span', { class: mentioned ? 'badge badge-mention' : 'badge', 'aria-hidden': 'true' },
    mentioned && !n ? '@' : n > 99 ? '99+' : String(n));
}

function navItem(ch, iconName, label, extra = null) {
  const current = store.route.channelId === ch.id;
  const n = ch.unread || 0;
  const mentioned = store.mentioned.has(ch.id);
  const sr = [
    n ? store.t.n('nav.unread', n) : '',
    mentioned ? t('nav.mentioned') : '',
  ].filter(Boolean).join(', ');
  return h('li', {},
    h('a', {
      class: ['nav-item', (n || mentioned) && 'nav-unread'],
      href: `#/c/${ch.id}`,
      'aria-current': current ? 'page' : null,
      dataset: { channel: ch.id },
    },
    extra || icon(iconName, { size: 16, className: 'nav-icon' }),
    h('span', { class: 'nav-name' }, label),
    sr ? h('span', { class: 'sr-only' }, `, ${sr}`) : null,
    badge(n, mentioned)));
}

function presenceOf(id) {
  return store.presence.get(id) || 'offline';
}

function renderChrome() {
  if (!isShown()) return;
  const hiveId = currentHiveId();
  const hive = hiveOf(hiveId);
  const ch = store.channels.get(store.route.channelId) || null;

  // Hive switcher.
  replaceChildren(v.hiveBtn,
    hiveBadge(hive),
    h('span', { class: 'hive-btn-text' },
      h('span', { class: 'hive-btn-name' }, hive?.name || t('hive.none')),
      hive ? ' ' : null,
      hive ? h('span', { class: 'hive-btn-role' }, t(`role.${hive.role}`)) : null),
    icon('chevronDown', { size: 16, className: 'hive-btn-chev' }));
  attr(v.hiveBtn, 'aria-label', t('hive.switch', {
    name: hive ? `${hive.name}, ${t(`role.${hive.role}`)}` : t('hive.none'),
  }));
  replaceChildren(v.hiveMenu,
    h('p', { class: 'menu-head' }, t('hive.yours')),
    store.hives.length
      ? h('ul', { class: 'menu-list' }, store.hives.map((x) => {
        const unread = hiveChannels(x.id).reduce((n, c) => n + (c.unread || 0), 0);
        return h('li', {}, h('a', {
          class: 'menu-item', href: `#/h/${x.id}`, 'aria-current': x.id === hiveId ? 'true' : null,
        }, hiveBadge(x, 'hive-badge-s'), h('span', { class: 'menu-item-text' }, x.name),
        unread ? h('span', { class: 'badge' }, String(unread)) : null,
        x.id === hiveId ? icon('check', { size: 15, className: 'menu-check' }) : null));
      }))
      : h('p', { class: 'menu-empty' }, t('hive.noneYet')),
    canManage() ? h('a', { class: 'menu-item menu-item-sep', href: '#/admin' },
      icon('shield', { size: 16 }), h('span', {}, t('nav.manage'))) : null);

  // Channels of the hive.
  const chans = hive ? hiveChannels(hive.id) : [];
  replaceChildren(v.channelList, chans.map((c) => navItem(c, c.kind === 'announce' ? 'announce' : 'hash', c.name)));
  document.getElementById('channels-head').hidden = !hive;
  document.getElementById('channel-add').hidden = !hive || !canManageChannels(hive.id);
  v.settingsBtn.hidden = !ch || ch.kind === 'direct' || ch.archived || !canManageChannels(ch.hive_id);
  v.pinsBtn.hidden = !ch || ch.kind === 'direct';
  renderReportsLink(hive);
  v.meetupsLink.hidden = !hive;
  if (hive) {
    v.meetupsLink.href = `#/h/${hive.id}/meetups`;
    replaceChildren(v.meetupsLink, icon('clock', { size: 16, className: 'nav-icon' }),
      h('span', { class: 'nav-name' }, t('meet.title')));
  }

  // Direct conversations.
  const dms = directChannels();
  replaceChildren(v.dmList, dms.map((c) => {
    const others = (c.members || []).filter((id) => id !== store.me.id);
    const first = others[0] ?? store.me.id;
    const extra = others.length > 1
      ? h('span', { class: 'avatar avatar-xs avatar-group', 'aria-hidden': 'true' }, String(others.length))
      : avatar({ id: first, display_name: userName(first) }, { size: 'xs', presence: presenceOf(first) });
    return navItem(c, 'message', channelLabel(c), extra);
  }));
  document.getElementById('dm-empty').hidden = dms.length > 0;

  // The header.
  v.empty.hidden = Boolean(ch);
  v.head.hidden = !ch;
  v.body.hidden = !ch;
  v.compose.hidden = !ch;
  v.typing.hidden = !ch;
  if (!ch) renderEmpty(hive);
  if (ch) {
    const direct = ch.kind === 'direct';
    replaceChildren(v.title,
      direct
        ? icon('message', { size: 18, className: 'room-icon' })
        : icon(ch.kind === 'announce' ? 'announce' : 'hash', { size: 18, className: 'room-icon' }),
      h('span', { class: 'room-name' }, channelLabel(ch)));
    setText(v.topic, direct ? t('room.direct') : ch.topic || '');
    v.topic.hidden = !direct && !ch.topic;
  }
  updateTitle();
  renderPanelButtons();
}

function renderReportsLink(hive) {
  const show = Boolean(hive && !hive.archived && canModerate(hive.id));
  v.reportsLink.hidden = !show;
  if (!show) return;
  const n = openReports(hive.id);
  v.reportsLink.href = `#/admin/h/${hive.id}/reports`;
  replaceChildren(v.reportsLink, modIcon('flag', { className: 'nav-icon' }),
    h('span', { class: 'nav-name' }, t('report.queue')),
    n ? h('span', { class: 'sr-only' }, `, ${store.t.n('report.open', n)}`) : null,
    n ? h('span', { class: 'badge badge-mention', id: 'reports-badge', 'aria-hidden': 'true' }, String(n)) : null);
}

function canManage() {
  return store.me?.admin || store.hives.some((x) => x.role === 'mentor');
}

function renderEmpty(hive) {
  const flash = store.flash;
  const admin = store.me?.admin;
  replaceChildren(v.empty,
    h('button', {
      class: 'icon-btn nav-toggle nav-toggle-empty', type: 'button', 'aria-label': t('nav.open'),
      onclick: () => setNav(true),
    }, icon('menu')),
    h('div', { class: 'empty' },
      h('div', { class: 'auth-art', 'aria-hidden': 'true' },
        ...[0, 1, 2, 3, 4, 5, 6].map((i) => h('span', { class: `hex hex-${i}` }))),
      h('h1', { class: 'empty-title', id: 'room-title' },
        hive ? t('room.noChannels') : t('room.noHive.title')),
      h('p', { class: 'empty-body' }, hive ? '' : admin ? t('room.noHive.admin') : t('room.noHive.body')),
      flash ? h('p', { class: 'notice notice-wait', role: 'status' }, icon('clock', { size: 16 }), flash) : null,
      admin ? h('a', { class: 'btn btn-primary', href: '#/admin' }, t('room.noHive.manage')) : null));
}

export function updateTitle() {
  const ch = store.channels.get(store.route.channelId);
  let base = t('app.name');
  if (ch && store.route.name === 'channel') {
    base = `${ch.kind === 'direct' ? '' : '#'}${channelLabel(ch)} · ${t('app.name')}`;
  }
  let n = 0;
  for (const c of store.channels.values()) n += c.unread || 0;
  const title = n ? `(${n > 99 ? '99+' : n}) ${base}` : base;
  if (document.title !== title) document.title = title;
}

// -- Typing ---------------------------------------------------------------------

function renderTyping() {
  if (!v) return;
  const cid = store.route.channelId;
  const who = [...(store.typing.get(cid)?.entries() || [])]
    .filter(([, until]) => until > Date.now())
    .map(([id]) => userName(id));
  let text = '';
  if (who.length === 1) text = t('typing.one', { a: who[0] });
  else if (who.length === 2) text = t('typing.two', { a: who[0], b: who[1] });
  else if (who.length > 2) text = t('typing.many');
  v.typing.classList.toggle('typing-on', Boolean(text));
  replaceChildren(v.typing, text ? [h('span', { class: 'typing-dots', 'aria-hidden': 'true' },
    h('span'), h('span'), h('span')), h('span', {}, text)] : []);
}

// -- The side panel: members or search ------------------------------------------

function renderPanelButtons() {
  const which = thread.isOpen() ? null : store.ui.panel;
  v.membersBtn.setAttribute('aria-pressed', String(which === 'members'));
  v.searchBtn.setAttribute('aria-pressed', String(which === 'search'));
  v.pinsBtn.setAttribute('aria-pressed', String(which === 'pins'));
  v.el.classList.toggle('panel-open', Boolean(which));
}

let panelShown = null;
function renderPanel() {
  if (!isShown()) return;
  thread.render();
  renderPanelButtons();
  // An open thread takes the side panel's place.
  const which = thread.isOpen() ? null : store.ui.panel;
  v.panel.hidden = !which;
  if (!which) {
    panelShown = null;
    return;
  }
  if (which === 'members') renderMembers();
  else if (which === 'pins') pins.render(v.panel, store.channels.get(store.route.channelId), panelHead);
  else renderSearch(panelShown !== 'search');
  panelShown = which;
}

function panelHead(title, count) {
  return h('div', { class: 'panel-head' },
    h('h2', { class: 'panel-title', id: 'panel-title' }, title,
      count !== undefined ? h('span', { class: 'panel-count' }, String(count)) : null),
    h('button', {
      class: 'icon-btn icon-btn-s', type: 'button', 'aria-label': t('panel.close'), title: t('panel.close'),
      onclick: () => {
        store.ui.panel = null;
        renderPanel();
      },
    }, icon('x', { size: 16 })));
}

function memberButton(m, hiveId) {
  const me = m.user_id === store.me.id;
  const status = presenceOf(m.user_id);
  const muted = hiveId ? mutedUntil(hiveId, m.user_id) : null;
  const content = [
    avatar({ id: m.user_id, display_name: m.display_name }, { presence: status }),
    h('span', { class: 'member-text' },
      h('span', { class: 'member-name' }, m.display_name, me ? h('span', { class: 'member-you' }, ` ${t('members.you')}`) : null),
      h('span', { class: 'member-handle' }, `@${m.handle}`)),
    h('span', { class: 'sr-only' }, `, ${t(`presence.${status}`)}`),
    muted ? h('span', { class: 'tag tag-muted member-muted' }, t('mod.mutedTag')) : null,
  ];
  if (me) return h('li', {}, h('div', { class: 'member' }, content));
  const more = hiveId ? memberMoreButton(hiveId, m) : null;
  return h('li', { class: more ? 'member-row' : null }, h('button', {
    class: 'member', type: 'button', title: t('members.message', { name: m.display_name }),
    onclick: async () => {
      try {
        const c = await openDirect([m.user_id]);
        if (isNarrow()) store.ui.panel = null;
        go(`#/c/${c.id}`);
      } catch (err) {
        console.warn('ruche: dm.open:', err.code);
      }
    },
  }, content, icon('message', { size: 15, className: 'member-dm' })), more);
}

function renderMembers() {
  const ch = store.channels.get(store.route.channelId);
  let list;
  let title = t('members.title');
  if (ch?.kind === 'direct') {
    list = (ch.members || []).map((id) => ({
      user_id: id, handle: store.users.get(id)?.handle || '?', display_name: userName(id), role: null,
    }));
    title = t('members.inConversation');
  } else {
    list = store.members.get(currentHiveId()) || [];
  }
  const rank = { online: 0, away: 1, offline: 2 };
  const sorted = [...list].sort((a, b) => rank[presenceOf(a.user_id)] - rank[presenceOf(b.user_id)] ||
    a.display_name.localeCompare(b.display_name));
  const groups = ch?.kind === 'direct'
    ? [[null, sorted]]
    : [['mentor', sorted.filter((m) => m.role === 'mentor')],
      ['learner', sorted.filter((m) => m.role === 'learner')]];
  v.panel.setAttribute('aria-labelledby', 'panel-title');
  const online = list.filter((m) => presenceOf(m.user_id) !== 'offline').length;
  replaceChildren(v.panel, panelHead(title, list.length),
    h('p', { class: 'panel-sub' }, store.t.n('members.online', online)),
    h('div', { class: 'panel-scroll' },
      groups.filter(([, g]) => g.length).map(([role, g]) => h('section', { class: 'member-group' },
        role ? h('h3', { class: 'member-group-title' }, `${t(`role.${role}s`)} — ${g.length}`) : null,
        h('ul', { class: 'member-list' }, g.map((m) => memberButton(m, ch?.kind === 'direct' ? null : currentHiveId())))))));
}

let searchInput = null;
function renderSearch(fresh) {
  const s = store.search;
  if (fresh || !searchInput || !v.panel.contains(searchInput)) {
    searchInput = h('input', {
      class: 'input search-input', type: 'search', name: 'q', 'aria-label': t('search.label'),
      placeholder: t('search.placeholder'), autocomplete: 'off', value: s.query,
    });
    const form = h('form', { class: 'search-form', role: 'search' },
      icon('search', { size: 16, className: 'search-icon' }), searchInput);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = searchInput.value.trim();
      if (q) search(q);
      else clearSearch();
    });
    v.panel.setAttribute('aria-labelledby', 'panel-title');
    replaceChildren(v.panel, panelHead(t('search.title')), form,
      h('div', { class: 'panel-scroll search-results', 'aria-live': 'polite' }));
  }
  const results = v.panel.querySelector('.search-results');
  if (s.loading) {
    replaceChildren(results, h('div', { class: 'tl-loading' }, h('span', { class: 'spinner spinner-s' }), t('search.searching')));
    return;
  }
  if (s.error) {
    replaceChildren(results, h('p', { class: 'panel-note' }, errorText(s.error)));
    return;
  }
  if (!s.results) {
    replaceChildren(results, h('p', { class: 'panel-note' }, t('search.hint')));
    return;
  }
  if (!s.results.length) {
    replaceChildren(results, h('p', { class: 'panel-note' }, t('search.none', { q: s.query })));
    return;
  }
  replaceChildren(results,
    h('p', { class: 'panel-sub' }, store.t.n('search.count', s.results.length)),
    h('ul', { class: 'result-list' }, s.results.map((r) => {
      const c = store.channels.get(r.channel_id);
      const where = c ? (c.kind === 'direct' ? channelLabel(c) : `#${c.name}`) : '?';
      return h('li', {}, h('button', {
        class: 'result', type: 'button',
        onclick: () => {
          if (isNarrow()) store.ui.panel = null;
          if (r.thread_id) showThread(r.channel_id, r.thread_id);
          else showMessage(r.channel_id, r.message_id);
        },
      },
      h('span', { class: 'result-meta' },
        h('span', { class: 'result-where' }, where),
        h('span', { class: 'result-who' }, userName(r.author_id)),
        r.created_at ? h('span', { class: 'result-when' }, formatShortDate(r.created_at)) : null),
      h('span', { class: 'result-text' }, formatExcerpt(r.excerpt))));
    })));
}

// Opens a thread, its root shown in the channel: a search result that
// is a reply in a thread.
function showThread(cid, rootId) {
  if (store.route.channelId === cid && store.route.name === 'channel') jumpTo(cid, rootId);
  else pendingJump = { cid, mid: rootId };
  store.ui.panel = null;
  thread.openThreadFor({ channel_id: cid, thread_id: rootId });
}

// Opens a channel at a message (search results, notifications).
export function showMessage(cid, mid) {
  if (store.route.channelId === cid && store.route.name === 'channel') {
    jumpTo(cid, mid);
    renderPanel();
    return;
  }
  pendingJump = { cid, mid };
  go(`#/c/${cid}`);
}

