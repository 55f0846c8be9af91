// supervision.js - the admins' supervision dashboard: over the last 7, 30
// or 90 days, how each hive is doing (who took part, how much was said,
// questions in "help" left unanswered, reports and how fast they were
// resolved, moderation, meetups and NPS) and what each mentor did, from
// supervision.report.  Activity is drawn as small bar charts, one per
// hive, in inline SVG made with DOM calls (no chart library); each chart
// has a title and a description, and the same numbers are in a table.

import { h, svg } from './dom.js';
import { icon } from './icons.js';
import { errorText } from './forms.js';
import { store, t } from './store.js';
import { request } from './session.js';
import { render } from './modpages.js';
import { durationText } from './moderation.js';

const DAY = 86400000;
const PERIODS = [7, 30, 90];

const state = {
  days: 30,
  report: null,
  error: null,
  seq: 0,
};

export function enter() {
  load();
}

// The period ends at the end of today (UTC days, as the report counts).
function period(days) {
  const to = Math.floor(Date.now() / DAY) * DAY + DAY;
  return { from: to - days * DAY, to };
}

async function load() {
  const seq = ++state.seq;
  state.report = null;
  state.error = null;
  render();
  try {
    const r = await request('supervision.report', period(state.days));
    if (seq !== state.seq) return;
    state.report = r;
  } catch (err) {
    if (seq !== state.seq) return;
    state.error = err.code || 'unknown';
  }
  render();
}

export function view() {
  const back = h('a', { class: 'back-link', href: '#/admin' }, icon('chevronLeft', { size: 16 }), t('admin.allHives'));
  const head = h('header', { class: 'page-head' },
    h('div', {},
      h('h1', { class: 'page-title', id: 'sup-title', tabindex: '-1' }, t('sup.title')),
      h('p', { class: 'page-sub' }, t('sup.intro'))));
  if (!store.me?.admin) {
    return h('div', { class: 'page page-wide' }, back, head,
      h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } }, errorText('forbidden')));
  }
  const r = state.report;
  let body;
  if (state.error) {
    body = h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } },
      state.error === 'unknown_op' ? t('sup.unavailable') : errorText(state.error));
  } else if (!r) {
    body = h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') });
  } else {
    body = [
      h('p', { class: 'sup-range', id: 'sup-range' }, t('sup.range', { from: day(r.from), to: day(r.to - 1) })),
      h('section', { class: 'sup-section', 'aria-labelledby': 'sup-hives-title' },
        h('h2', { class: 'mod-section-title', id: 'sup-hives-title' }, t('sup.hives'),
          h('span', { class: 'panel-count' }, String(r.hives.length))),
        r.hives.length ? h('ul', { class: 'sup-grid', id: 'sup-hives' }, r.hives.map((x) => hiveCard(x, r)))
          : h('p', { class: 'panel-note' }, t('sup.noHives'))),
      r.hives.length > 1 ? hiveTable(r) : null,
      r.hives.length ? activityTable(r) : null,
      h('section', { class: 'sup-section', 'aria-labelledby': 'sup-mentors-title' },
        h('h2', { class: 'mod-section-title', id: 'sup-mentors-title' }, t('sup.mentors'),
          h('span', { class: 'panel-count' }, String(r.mentors.length))),
        r.mentors.length ? mentorTable(r) : h('p', { class: 'panel-note' }, t('sup.noMentors'))),
    ];
  }
  return h('div', { class: 'page page-wide sup-page', 'aria-labelledby': 'sup-title' }, back, head,
    periodPicker(), body);
}

function periodPicker() {
  return h('fieldset', { class: 'sup-period' },
    h('legend', { class: 'label' }, t('sup.period')),
    h('div', { class: 'segmented', id: 'sup-period' }, PERIODS.map((d) => h('label', { class: 'segment' },
      h('input', {
        type: 'radio', name: 'sup-period', value: String(d), checked: d === state.days,
        id: `sup-period-${d}`,
        onchange: () => {
          state.days = d;
          load();
        },
      }),
      h('span', {}, t('sup.days', { n: d }))))));
}

// -- Formatting ----------------------------------------------------------------

function day(ms, opts = { day: 'numeric', month: 'short' }) {
  return new Intl.DateTimeFormat(store.t?.lang || 'en', { ...opts, timeZone: 'UTC' }).format(new Date(ms));
}

function num(n) {
  return new Intl.NumberFormat(store.t?.lang || 'en').format(n);
}

function orDash(v, f) {
  return v === null || v === undefined ? t('sup.none') : f(v);
}

function pct(x) {
  return `${Math.round(x * 100)} %`;
}

// -- One hive ----------------------------------------------------------------------

function hiveCard(x, r) {
  const id = `sup-hive-${x.hive_id}`;
  const figures = [
    ['activeLearners', t('sup.ofLearners', { n: num(x.active_learners), max: num(x.learners) })],
    ['messages', num(x.messages)],
    ['help', t('sup.helpFigure', { n: num(x.help_questions), late: num(x.help_unanswered) }),
      x.help_unanswered > 0 ? 'sup-warn' : null],
    ['reports', t('sup.reportsFigure', { open: num(x.reports_opened), done: num(x.reports_resolved) })],
    ['resolveTime', orDash(x.resolve_median_ms, (ms) => durationText(Math.round(ms / 1000)))],
    ['modActions', t('sup.modFigure', { n: num(x.mod_actions), auto: num(x.auto_actions) })],
    ['meetups', num(x.meetups_held)],
    ['attendance', orDash(x.meetup_attendance, pct)],
    ['noShows', orDash(x.meetup_no_show_rate, (v) => t('sup.noShowFigure', { n: num(x.meetup_no_shows), rate: pct(v) })),
      x.meetup_no_show_rate > 0.5 ? 'sup-warn' : null],
    ['nps', orDash(x.nps, npsText)],
  ];
  return h('li', { class: 'card sup-card', id, 'aria-labelledby': `${id}-name` },
    h('div', { class: 'sup-card-head' },
      h('span', { class: `hive-badge hive-c${x.hive_id % 6}`, 'aria-hidden': 'true' }, [...x.name][0]?.toUpperCase() || '?'),
      h('h3', { class: 'sup-card-name', id: `${id}-name` }, x.name),
      x.archived ? h('span', { class: 'tag tag-muted' }, t('admin.archived')) : null),
    chart(x, r, `${id}-chart`),
    h('dl', { class: 'sup-figures' }, figures.map(([key, value, cls]) => h('div', { class: ['sup-figure', cls] },
      h('dt', {}, t(`sup.f.${key}`)), h('dd', { dataset: { figure: key } }, value)))));
}

// Messages per day of one hive, as bars; the busiest day sets the scale.
const W = 300;
const H = 64;

function chart(x, r, id) {
  const days = x.activity || [];
  const max = Math.max(1, ...days.map((d) => d.messages));
  const total = days.reduce((n, d) => n + d.messages, 0);
  const busiest = days.reduce((b, d) => (d.messages > (b?.messages ?? -1) ? d : b), null);
  const step = W / Math.max(1, days.length);
  const gap = days.length > 45 ? 0.5 : 1.5;
  const title = t('sup.chartTitle', { name: x.name });
  const desc = total
    ? t('sup.chartDesc', {
      n: num(total), from: day(r.from), to: day(r.to - 1),
      day: day(busiest.day), max: num(busiest.messages),
    })
    : t('sup.chartEmpty', { from: day(r.from), to: day(r.to - 1) });
  const graph = svg('svg', {
    class: 'sup-chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none',
    role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`, id,
  },
  svg('title', { id: `${id}-title` }),
  svg('desc', { id: `${id}-desc` }),
  svg('line', { class: 'sup-chart-grid', x1: 0, y1: 0.5, x2: W, y2: 0.5 }),
  svg('line', { class: 'sup-chart-base', x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5 }),
  ...days.map((d, i) => {
    const bh = d.messages ? Math.max(1.5, (d.messages / max) * (H - 2)) : 0;
    return svg('rect', {
      class: 'sup-bar', x: (i * step + gap / 2).toFixed(2), y: (H - 1 - bh).toFixed(2),
      width: Math.max(0.5, step - gap).toFixed(2), height: bh.toFixed(2),
    });
  }));
  graph.querySelector('title').textContent = title;
  graph.querySelector('desc').textContent = desc;
  return h('figure', { class: 'sup-chart-wrap' },
    h('div', { class: 'sup-chart-scale', 'aria-hidden': 'true' }, h('span', {}, num(max)), h('span', {}, '0')),
    graph,
    h('figcaption', { class: 'sup-chart-caption' },
      h('span', {}, day(r.from)), h('span', { class: 'sup-chart-label' }, t('sup.perDay')), h('span', {}, day(r.to - 1))));
}

// The numbers of the charts, as a table (one row per day, one column per
// hive), folded away by default.
function activityTable(r) {
  const days = r.hives[0]?.activity.map((d) => d.day) || [];
  return h('details', { class: 'sup-details' },
    h('summary', {}, t('sup.tableSummary')),
    h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': 'sup-activity-caption' },
      h('table', { class: 'table sup-table', id: 'sup-activity' },
        h('caption', { id: 'sup-activity-caption' }, t('sup.tableCaption')),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('sup.day')),
          r.hives.map((x) => h('th', { scope: 'col' }, x.name)))),
        h('tbody', {}, days.map((d, i) => h('tr', {},
          h('th', { scope: 'row' }, day(d, { weekday: 'short', day: 'numeric', month: 'short' })),
          r.hives.map((x) => h('td', { class: 'num' }, num(x.activity[i]?.messages ?? 0)))))))));
}

// Every hive side by side, to compare them at a glance.
function hiveTable(r) {
  const cols = ['hive', 'activeLearners', 'messages', 'helpLate', 'reports', 'resolveTime', 'modActions', 'nps'];
  return h('section', { class: 'sup-section', 'aria-labelledby': 'sup-compare-title' },
    h('h2', { class: 'mod-section-title', id: 'sup-compare-title' }, t('sup.compare')),
    h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': 'sup-compare-title' },
      h('table', { class: 'table sup-table', id: 'sup-compare' },
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c === 'hive' ? null : 'num' },
          t(`sup.c.${c}`))))),
        h('tbody', {}, r.hives.map((x) => h('tr', {},
          h('th', { scope: 'row' }, x.name),
          h('td', { class: 'num' }, t('sup.ofLearners', { n: num(x.active_learners), max: num(x.learners) })),
          h('td', { class: 'num' }, num(x.messages)),
          h('td', { class: ['num', x.help_unanswered > 0 && 'sup-warn'] }, num(x.help_unanswered)),
          h('td', { class: 'num' }, `${num(x.reports_resolved)} / ${num(x.reports_opened)}`),
          h('td', { class: 'num' }, orDash(x.resolve_median_ms, (ms) => durationText(Math.round(ms / 1000)))),
          h('td', { class: 'num' }, num(x.mod_actions + x.auto_actions)),
          h('td', { class: 'num' }, orDash(x.nps, (v) => String(Math.round(v))))))))));
}

// An NPS with its sign, rounded.
function npsText(v) {
  return v > 0 ? `+${Math.round(v)}` : String(Math.round(v));
}

// -- Mentors ----------------------------------------------------------------------------

function mentorTable(r) {
  const names = new Map(r.hives.map((x) => [x.hive_id, x.name]));
  const cols = ['mentor', 'hives', 'messages', 'helpAnswers', 'reportsResolved', 'resolveTime', 'modActions',
    'meetupsLed', 'attendance', 'noShows', 'nps'];
  return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': 'sup-mentors-caption' },
    h('table', { class: 'table sup-table', id: 'sup-mentors' },
      h('caption', { class: 'sr-only', id: 'sup-mentors-caption' }, t('sup.mentors')),
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c === 'mentor' || c === 'hives' ? null : 'num' },
        t(`sup.m.${c}`))))),
      h('tbody', {}, r.mentors.map((m) => h('tr', {},
        h('th', { scope: 'row' }, m.display_name),
        h('td', {}, m.hive_ids.map((id) => names.get(id) || `#${id}`).join(', ')),
        h('td', { class: 'num' }, num(m.messages)),
        h('td', { class: 'num' }, num(m.help_answers)),
        h('td', { class: 'num' }, num(m.reports_resolved)),
        h('td', { class: 'num' }, orDash(m.resolve_median_ms, (ms) => durationText(Math.round(ms / 1000)))),
        h('td', { class: 'num' }, num(m.mod_actions)),
        h('td', { class: 'num' }, num(m.meetups_led ?? 0)),
        h('td', { class: 'num' }, orDash(m.meetup_attendance, pct)),
        h('td', { class: 'num' }, orDash(m.meetup_no_show_rate, pct)),
        h('td', { class: 'num' }, orDash(m.nps, npsText)))))));
}
