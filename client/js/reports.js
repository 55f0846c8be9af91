// reports.js - the mentors' report queue of a hive: each open report with
// the reported message in its context (the messages around it), who
// reported it and why, and what to do: dismiss it, or act (remove the
// message, mute its author) and mark it actioned.  Open reports are live
// (report.created and report.resolved, through modstate.js); resolved
// ones are listed below, newest first.

import { h, avatar } from './dom.js';
import { icon } from './icons.js';
import { plainText } from './format.js';
import { errorText } from './forms.js';
import { store, t, userName, watch, channelLabel } from './store.js';
import { request } from './session.js';
import { canActOn, reportResolved, mutedUntil, modErrorText } from './modstate.js';
import { openRemove, openMute, toast, timeOf } from './moderation.js';
import { showMessage } from './chat.js';
import { render } from './modpages.js';

const state = {
  hiveId: null,
  resolved: null, // reports resolved, newest first
  error: null,
  contexts: new Map(), // report id -> { messages, error } or null (loading)
  busy: new Set(), // report ids being resolved
};

let watching = false;
let reloadTimer = null;

export function enter(hiveId) {
  if (!watching) {
    watching = true;
    // A report resolved elsewhere moves to the resolved list.
    watch('reports', (details) => {
      if (state.hiveId === null || !details.has(state.hiveId)) return;
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(loadResolved, 300);
    });
  }
  state.hiveId = hiveId;
  state.resolved = null;
  state.error = null;
  state.contexts.clear();
  loadResolved();
}

async function loadResolved() {
  const hiveId = state.hiveId;
  try {
    const r = await request('report.list', { hive_id: hiveId });
    if (hiveId !== state.hiveId) return;
    state.resolved = r.reports.filter((x) => x.status !== 'open');
    // The open ones are the live list's; reports opened while the page
    // loaded are added there too.
    const open = store.mod.reports.get(hiveId) || new Map();
    for (const x of r.reports) if (x.status === 'open' && !open.has(x.id)) open.set(x.id, x);
    store.mod.reports.set(hiveId, open);
    state.error = null;
  } catch (err) {
    state.error = err.code;
  }
  render();
}

// The reported message and up to two on each side of it.
async function loadContext(r) {
  state.contexts.set(r.id, null);
  try {
    const res = await request('msg.history', { channel_id: r.channel_id, around: r.message_id, limit: 5 });
    state.contexts.set(r.id, { messages: res.messages, error: null });
  } catch (err) {
    state.contexts.set(r.id, { messages: [], error: err.code });
  }
  render();
}

async function resolve(r, outcome) {
  state.busy.add(r.id);
  render();
  try {
    const res = await request('report.resolve', { report_id: r.id, outcome });
    reportResolved(res.report);
    toast(outcome === 'dismissed' ? t('report.dismissedDone') : t('report.actionedDone'));
  } catch (err) {
    toast(err.code === 'already_exists' ? t('report.already') : modErrorText(err.code, errorText),
      { kind: 'bad' });
  } finally {
    state.busy.delete(r.id);
    render();
  }
}

export function view(hive) {
  if (state.error) {
    return h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } }, errorText(state.error));
  }
  const open = [...(store.mod.reports.get(hive.id)?.values() || [])].sort((a, b) => b.id - a.id);
  return h('div', { class: 'mod-stack' },
    h('section', { class: 'mod-section', 'aria-labelledby': 'reports-open-title' },
      h('h2', { class: 'mod-section-title', id: 'reports-open-title' },
        t('report.openTitle'), h('span', { class: 'panel-count' }, String(open.length))),
      open.length
        ? h('ul', { class: 'report-list', id: 'report-queue' }, open.map((r) => reportCard(hive, r)))
        : h('p', { class: 'panel-note' }, t('report.none'))),
    h('section', { class: 'mod-section', 'aria-labelledby': 'reports-done-title' },
      h('h2', { class: 'mod-section-title', id: 'reports-done-title' }, t('report.resolvedTitle')),
      state.resolved === null
        ? h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') })
        : state.resolved.length
          ? h('ul', { class: 'rows report-done' }, state.resolved.slice(0, 50).map((r) => h('li', { class: 'row' },
            h('span', { class: `tag tag-${r.status}` }, t(`report.status.${r.status}`)),
            h('span', { class: 'row-main' },
              h('span', { class: 'row-title' }, r.reason),
              h('span', { class: 'row-sub' }, t('report.resolvedBy', {
                name: userName(r.resolved_by), time: timeOf(r.resolved_at || r.created_at),
              }))))))
          : h('p', { class: 'panel-note' }, t('report.noneResolved'))));
}

function reportCard(hive, r) {
  if (r.message_id && !state.contexts.has(r.id)) loadContext(r);
  const ctx = state.contexts.get(r.id);
  const ch = store.channels.get(r.channel_id);
  const where = ch ? `#${channelLabel(ch)}` : '';
  const reported = ctx?.messages.find((m) => m.id === r.message_id) || null;
  const busy = state.busy.has(r.id);
  const author = r.author_id;
  const actioned = () => resolve(r, 'actioned');
  const id = `report-${r.id}`;
  return h('li', { class: 'card report', id, 'aria-labelledby': `${id}-title` },
    h('div', { class: 'report-head' },
      icon('alert', { size: 16, className: 'report-icon' }),
      h('h3', { class: 'report-title', id: `${id}-title` },
        t('report.by', { name: userName(r.reporter_id), time: timeOf(r.created_at) })),
      where ? h('span', { class: 'report-where' }, where) : null),
    h('blockquote', { class: 'report-reason' }, h('span', { class: 'sr-only' }, `${t('report.reason')}: `), r.reason),
    h('div', { class: 'report-context', 'aria-label': t('report.context') },
      !r.message_id ? h('p', { class: 'panel-note' }, t('report.purged'))
        : !ctx ? h('div', { class: 'tl-loading', role: 'status' }, h('span', { class: 'spinner spinner-s' }), t('msg.loading'))
          : ctx.error ? h('p', { class: 'panel-note' }, errorText(ctx.error))
            : h('ol', { class: 'report-msgs' }, ctx.messages.map((m) => h('li', {
              class: ['report-msg', m.id === r.message_id && 'report-msg-target'],
            },
            avatar({ id: m.author_id, display_name: userName(m.author_id) }, { size: 's' }),
            h('div', { class: 'report-msg-main' },
              h('p', { class: 'report-msg-head' },
                h('span', { class: 'report-msg-author' }, userName(m.author_id)),
                h('span', { class: 'report-msg-time' }, timeOf(m.created_at)),
                m.id === r.message_id ? h('span', { class: 'tag tag-bad' }, t('report.reported')) : null),
              h('p', { class: ['report-msg-text', m.deleted && 'msg-gone'], dir: 'auto' },
                m.deleted ? (m.removed_by_mentor ? t('msg.removedByMentor') : t('msg.deleted'))
                  : plainText(m.text, 400))))))),
    h('div', { class: 'report-actions' },
      r.message_id ? h('button', {
        class: 'btn btn-quiet btn-s', type: 'button', onclick: () => showMessage(r.channel_id, r.message_id),
      }, t('report.showInChannel')) : null,
      h('button', {
        class: 'btn btn-secondary btn-s', type: 'button', disabled: busy, id: `${id}-dismiss`,
        onclick: () => resolve(r, 'dismissed'),
      }, t('report.dismiss')),
      reported && !reported.deleted && canActOn(hive.id, author) ? h('button', {
        class: 'btn btn-danger btn-s', type: 'button', disabled: busy, id: `${id}-remove`,
        onclick: async () => {
          await openRemove(reported, { after: actioned });
          state.contexts.delete(r.id);
          render();
        },
      }, t('report.removeAndClose')) : null,
      author && canActOn(hive.id, author) && !mutedUntil(hive.id, author) ? h('button', {
        class: 'btn btn-secondary btn-s', type: 'button', disabled: busy, id: `${id}-mute`,
        onclick: () => openMute(hive.id, author, { after: actioned }),
      }, t('report.muteAndClose', { name: userName(author) })) : null,
      h('button', {
        class: 'btn btn-primary btn-s', type: 'button', disabled: busy, id: `${id}-actioned`,
        onclick: actioned,
      }, t('report.markActioned'))));
}
