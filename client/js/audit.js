// audit.js - a hive's audit log, for its mentors and the admins: every
// moderation action, by a person or automatic, newest first, with
// filters (action, who acted, on whom, a period), older pages on demand
// (before_id), and the same filtered log to download as CSV or JSON
// from the HTTP API (the session cookie goes with the link; no token in
// the address).

import { h } from './dom.js';
import { icon } from './icons.js';
import { field, errorText } from './forms.js';
import { store, t, userName } from './store.js';
import { request } from './session.js';
import { render } from './modpages.js';
import { durationText, timeOf } from './moderation.js';

export const ACTIONS = [
  'delete_message', 'mute', 'unmute', 'kick', 'ban', 'unban', 'slow_mode', 'lock', 'unlock',
  'pin', 'unpin', 'resolve_report', 'guard_set', 'blocked_word', 'link_limit', 'flood_mute',
  'retention_set', 'retention_purge',
];
const PAGE = 50;
const DAY = 86400000;

const state = {
  hiveId: null,
  filters: {}, // action, actor ('auto' or an id), target, since, until (yyyy-mm-dd)
  entries: null,
  more: false,
  loadingMore: false,
  error: null,
  members: [],
  form: null,
};

export function enter(hiveId) {
  state.hiveId = hiveId;
  state.filters = {};
  state.entries = null;
  state.error = null;
  state.form = null;
  state.members = store.members.get(hiveId) || [];
  if (!store.members.has(hiveId)) {
    request('hive.members', { hive_id: hiveId })
      .then((r) => {
        state.members = r.members;
        state.form = null;
        render();
      })
      .catch(() => {});
  }
  load();
}

// The filters as audit.list parameters (and, without paging, as the
// query of the export).
function params() {
  const f = state.filters;
  const p = { hive_id: state.hiveId };
  if (f.action) p.action = f.action;
  if (f.actor === 'auto') p.automatic = true;
  else if (f.actor) p.actor_id = Number(f.actor);
  if (f.target) p.target_id = Number(f.target);
  if (f.since) p.since = new Date(`${f.since}T00:00`).getTime();
  if (f.until) p.until = new Date(`${f.until}T00:00`).getTime() + DAY;
  return p;
}

async function load(more = false) {
  const hiveId = state.hiveId;
  const p = { ...params(), limit: PAGE };
  if (more) {
    p.before_id = state.entries.at(-1).id;
    state.loadingMore = true;
    render();
  }
  try {
    const r = await request('audit.list', p);
    if (hiveId !== state.hiveId) return;
    state.entries = more ? [...state.entries, ...r.entries] : r.entries;
    state.more = r.more;
    state.error = null;
  } catch (err) {
    state.error = err.code;
    if (!more) state.entries = [];
  } finally {
    state.loadingMore = false;
  }
  render();
}

function exportHref(format) {
  const p = params();
  const q = new URLSearchParams({ format });
  for (const [k, v] of Object.entries(p)) {
    if (k === 'hive_id') continue;
    q.set(k, k === 'automatic' ? '1' : String(v));
  }
  return `/api/hives/${state.hiveId}/audit?${q}`;
}

export function view() {
  if (!state.form) state.form = filterForm();
  const list = state.entries;
  return h('div', { class: 'mod-stack' },
    state.form,
    h('div', { class: 'audit-downloads' },
      h('a', { class: 'btn btn-secondary btn-s', href: exportHref('csv'), download: 'ruche-audit.csv', id: 'audit-csv' },
        icon('arrowDown', { size: 15 }), h('span', {}, t('audit.csv'))),
      h('a', { class: 'btn btn-secondary btn-s', href: exportHref('json'), download: 'ruche-audit.json', id: 'audit-json' },
        icon('arrowDown', { size: 15 }), h('span', {}, t('audit.json')))),
    state.error ? h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } }, errorText(state.error)) : null,
    list === null ? h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') })
      : list.length ? table(list)
        : h('p', { class: 'panel-note' }, t('audit.none')),
    state.more ? h('button', {
      class: 'btn btn-secondary audit-more', type: 'button', id: 'audit-more', disabled: state.loadingMore,
      onclick: () => load(true),
    }, t('audit.older')) : null);
}

function filterForm() {
  const people = [...state.members].sort((a, b) => a.display_name.localeCompare(b.display_name));
  const action = field({
    name: 'action', label: t('audit.filter.action'), value: '',
    options: [['', t('audit.filter.any')], ...ACTIONS.map((a) => [a, t(`audit.action.${a}`)])],
  });
  const actor = field({
    name: 'actor', label: t('audit.filter.actor'), value: '',
    options: [['', t('audit.filter.anyone')], ['auto', t('audit.automatic')],
      ...people.filter((m) => m.role === 'mentor').map((m) => [String(m.user_id), m.display_name])],
  });
  const target = field({
    name: 'target', label: t('audit.filter.target'), value: '',
    options: [['', t('audit.filter.anyone')], ...people.map((m) => [String(m.user_id), m.display_name])],
  });
  const since = field({ name: 'since', label: t('audit.filter.since'), type: 'date', required: false });
  const until = field({ name: 'until', label: t('audit.filter.until'), type: 'date', required: false });
  const form = h('form', { class: 'card page-card audit-filters', id: 'audit-filters', role: 'search', 'aria-label': t('audit.filters') },
    h('div', { class: 'audit-filter-grid' }, action.el, actor.el, target.el, since.el, until.el),
    h('div', { class: 'form-actions' },
      h('button', { class: 'btn btn-quiet btn-s', type: 'reset' }, t('audit.clear')),
      h('button', { class: 'btn btn-primary btn-s', type: 'submit' }, t('audit.apply'))));
  const apply = () => {
    state.filters = {
      action: action.value(), actor: actor.value(), target: target.value(),
      since: since.value(), until: until.value(),
    };
    state.entries = null;
    render();
    load();
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply();
  });
  form.addEventListener('reset', () => setTimeout(apply));
  return form;
}

function table(list) {
  return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': 'audit-caption' },
    h('table', { class: 'table audit-table', id: 'audit-table' },
      h('caption', { class: 'sr-only', id: 'audit-caption' }, t('audit.title')),
      h('thead', {}, h('tr', {}, ['when', 'who', 'action', 'target', 'reason', 'detail']
        .map((k) => h('th', { scope: 'col' }, t(`audit.col.${k}`))))),
      h('tbody', {}, list.map((e) => h('tr', { dataset: { action: e.action } },
        h('td', { class: 'audit-when' }, h('time', { datetime: new Date(e.created_at).toISOString() }, timeOf(e.created_at))),
        h('td', {}, e.automatic ? h('span', { class: 'tag tag-muted' }, t('audit.automatic')) : userName(e.actor_id)),
        h('td', { class: 'audit-action' }, t(`audit.action.${e.action}`)),
        h('td', {}, e.target_user_id ? userName(e.target_user_id) : ''),
        h('td', { class: 'audit-reason' }, e.reason || ''),
        h('td', { class: 'audit-detail' }, detailText(e.detail || {})))))));
}

// The facts of an action, in words.
function detailText(d) {
  const out = [];
  if (d.seconds !== undefined) out.push(durationText(d.seconds));
  if (d.until) out.push(t('audit.until', { time: timeOf(d.until) }));
  if (d.word) out.push(`“${d.word}”`);
  if (d.links !== undefined) out.push(t('audit.links', { n: d.links, max: d.limit }));
  if (d.within_seconds !== undefined) out.push(t('audit.flood', { n: d.messages, s: d.within_seconds }));
  else if (d.messages !== undefined) out.push(t('audit.purged', { n: d.messages }));
  if (d.outcome) out.push(t(`report.status.${d.outcome}`));
  if (d.days !== undefined) out.push(d.days ? t('time.days', { n: d.days }) : t('audit.forever'));
  return out.join(' · ');
}
