// modpages.js - the moderation pages of a hive, for its mentors and the
// admins, in the admin area: the report queue (reports.js), the guard
// (guard.js), the audit log (audit.js) and the mutes and bans (here); and
// the admins' supervision dashboard (supervision.js).  Each page module
// gives enter(hiveId) to load what it shows and view(hive) to draw it;
// this one draws the frame (the way back, the title, the tabs) and draws
// again when what a page shows changes.

import { h, replaceChildren, avatar } from './dom.js';
import { icon } from './icons.js';
import { errorText } from './forms.js';
import { store, t, hiveOf, watch, userName } from './store.js';
import { request } from './session.js';
import { canModerate, mutedUntil, modErrorText } from './modstate.js';
import { modIcon, toast, timeOf } from './moderation.js';
import * as reports from './reports.js';
import * as guard from './guard.js';
import * as audit from './audit.js';
import * as pairing from './pairing.js';
import * as supervision from './supervision.js';

const TABS = [
  ['reports', 'report.queue', 'flag'],
  ['people', 'mod.people', 'users'],
  ['guard', 'guard.title', 'shield'],
  ['audit', 'audit.title', 'clock'],
  ['pairing', 'pairing.title', 'message'],
];

let root = null;
let shown = null; // "page:hiveId" on screen
let allHives = null; // hive.list, for the admins' hives they are not in
let watching = false;

export function show(el, route, fresh) {
  root = el;
  if (!watching) {
    watching = true;
    watch(['reports', 'mod', 'members', 'hives'], () => {
      if (store.route.name === 'admin' && store.route.page) render();
    });
  }
  const key = `${route.page}:${route.hiveId}`;
  if (fresh || key !== shown) {
    shown = key;
    if (route.page === 'supervision') supervision.enter();
    else {
      if (store.me?.admin && !allHives) loadHives();
      pageModule(route.page)?.enter(route.hiveId);
      if (route.page === 'people') enterPeople(route.hiveId);
    }
  }
  render();
  if (fresh || document.activeElement === document.body) {
    root.querySelector('h1')?.focus({ preventScroll: true });
  }
}

async function loadHives() {
  try {
    allHives = (await request('hive.list')).hives;
  } catch {
    allHives = [];
  }
  render();
}

function pageModule(page) {
  return { reports, guard, audit, pairing }[page] || null;
}

export function hiveInfo(id) {
  return hiveOf(id) || allHives?.find((x) => x.id === id) || null;
}

// Draws the page on screen again (the modules call it when their data
// arrive), keeping the focus on the element that had it.
export function render() {
  if (!root || store.route.name !== 'admin' || !store.route.page) return;
  const focusId = document.activeElement?.id;
  const { page, hiveId } = store.route;
  let content;
  if (page === 'supervision') content = supervision.view();
  else content = hivePage(page, hiveId);
  replaceChildren(root, content);
  if (focusId) document.getElementById(focusId)?.focus?.({ preventScroll: true });
}

function hivePage(page, hiveId) {
  const hive = hiveInfo(hiveId);
  const back = h('a', { class: 'back-link', href: `#/admin/h/${hiveId}` },
    icon('chevronLeft', { size: 16 }), t('mod.backToHive', { name: hive?.name || '' }));
  if (!hive || !canModerate(hiveId)) {
    const waiting = store.me?.admin && !allHives;
    return h('div', { class: 'page page-wide' }, back,
      waiting ? h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') })
        : h('p', { class: 'panel-note', role: 'alert' }, errorText(hive ? 'forbidden' : 'not_found')));
  }
  const tab = TABS.find(([p]) => p === page);
  return h('div', { class: 'page page-wide mod-page', 'aria-labelledby': 'mod-title' }, back,
    h('header', { class: 'page-head' },
      h('span', { class: `hive-badge hive-badge-l hive-c${hive.id % 6}`, 'aria-hidden': 'true' }, [...hive.name][0].toUpperCase()),
      h('div', {},
        h('h1', { class: 'page-title', id: 'mod-title', tabindex: '-1' }, t(tab[1])),
        h('p', { class: 'page-sub' }, t('mod.pageSub', { name: hive.name })))),
    h('nav', { class: 'mod-tabs', 'aria-label': t('mod.tabs') },
      TABS.map(([p, key, ic]) => h('a', {
        class: 'mod-tab', href: `#/admin/h/${hive.id}/${p}`, 'aria-current': p === page ? 'page' : null,
      }, modIcon(ic, { size: 16 }), h('span', {}, t(key)),
      p === 'reports' && store.mod.reports.get(hive.id)?.size
        ? h('span', { class: 'badge badge-mention' }, String(store.mod.reports.get(hive.id).size)) : null))),
    page === 'people' ? peopleView(hive) : pageModule(page).view(hive));
}

// The links of a hive's admin page to its moderation pages.
export function hiveLinks(hive) {
  if (!canModerate(hive.id)) return null;
  const n = store.mod.reports.get(hive.id)?.size || 0;
  return h('section', { class: 'card page-card' },
    h('h2', { class: 'card-title' }, t('mod.title')),
    h('p', { class: 'card-intro' }, t('mod.intro')),
    h('nav', { class: 'mod-links', 'aria-label': t('mod.title') },
      TABS.map(([p, key, ic]) => h('a', { class: 'btn btn-secondary btn-s', href: `#/admin/h/${hive.id}/${p}` },
        modIcon(ic, { size: 15 }), h('span', {}, t(key)),
        p === 'reports' && n ? h('span', { class: 'badge badge-mention' }, String(n)) : null))));
}

// -- Mutes and bans -----------------------------------------------------------

const people = { hiveId: null, mutes: null, bans: null, error: null };

async function enterPeople(hiveId) {
  people.hiveId = hiveId;
  people.mutes = null;
  people.bans = null;
  people.error = null;
  render();
  await loadPeople();
}

async function loadPeople() {
  const hiveId = people.hiveId;
  try {
    const [mutes, bans] = await Promise.all([
      request('mod.mutes', { hive_id: hiveId }),
      request('mod.bans', { hive_id: hiveId }),
    ]);
    if (hiveId !== people.hiveId) return;
    people.mutes = mutes.mutes;
    people.bans = bans.bans;
  } catch (err) {
    people.error = err.code;
  }
  render();
}

function peopleView(hive) {
  if (people.error) return h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } }, errorText(people.error));
  if (!people.mutes) return h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') });
  // The live state of mutes (events) wins over the list loaded.
  const mutes = people.mutes.filter((m) => mutedUntil(hive.id, m.user_id));
  const act = (op, userId, done) => async () => {
    try {
      await request(op, { hive_id: hive.id, user_id: userId });
      toast(done);
    } catch (err) {
      toast(modErrorText(err.code, errorText), { kind: 'bad' });
    }
    await loadPeople();
  };
  return h('div', { class: 'mod-stack' },
    h('section', { class: 'card page-card' },
      h('h2', { class: 'card-title' }, t('mod.mutesTitle')),
      h('p', { class: 'card-intro' }, t('mod.mutesIntro')),
      mutes.length ? h('ul', { class: 'rows', id: 'mute-list' }, mutes.map((m) => h('li', { class: 'row' },
        avatar({ id: m.user_id, display_name: userName(m.user_id) }, { size: 's' }),
        h('span', { class: 'row-main' },
          h('span', { class: 'row-title' }, userName(m.user_id)),
          h('span', { class: 'row-sub' }, t('mod.mutedUntil', { time: timeOf(mutedUntil(hive.id, m.user_id)) }),
            m.automatic ? ` · ${t('audit.automatic')}` : '', m.reason ? ` · ${m.reason}` : '')),
        h('button', {
          class: 'btn btn-secondary btn-s', type: 'button',
          'aria-label': t('mod.unmuteLabel', { name: userName(m.user_id) }),
          onclick: act('mod.unmute', m.user_id, t('mod.unmuted', { name: userName(m.user_id) })),
        }, t('mod.unmute')))))
        : h('p', { class: 'panel-note' }, t('mod.noMutes'))),
    h('section', { class: 'card page-card' },
      h('h2', { class: 'card-title' }, t('mod.bansTitle')),
      h('p', { class: 'card-intro' }, t('mod.bansIntro')),
      people.bans.length ? h('ul', { class: 'rows', id: 'ban-list' }, people.bans.map((b) => h('li', { class: 'row' },
        avatar({ id: b.user_id, display_name: b.display_name }, { size: 's' }),
        h('span', { class: 'row-main' },
          h('span', { class: 'row-title' }, b.display_name),
          h('span', { class: 'row-sub' }, `@${b.handle} · ${t('mod.bannedOn', { time: timeOf(b.created_at) })}`,
            b.reason ? ` · ${b.reason}` : '')),
        h('button', {
          class: 'btn btn-secondary btn-s', type: 'button',
          'aria-label': t('mod.unbanLabel', { name: b.display_name }),
          onclick: act('mod.unban', b.user_id, t('mod.unbanned', { name: b.display_name })),
        }, t('mod.unban')))))
        : h('p', { class: 'panel-note' }, t('mod.noBans'))));
}
