// meetups.js - a hive's meetups page (#/h/ID/meetups): the meetups to come
// and those over, each with its start in the reader's time zone, the RSVP
// buttons and their counts, the way into a meetup under way; and for the
// hive's mentors the schedule form: a template or a saved script, the
// script's JSON in an editor that the server validates (its errors listed
// with their paths beside the editor), the start, a recurrence and a cap.
// The meetups over come from the server a page at a time (so they are
// there after a reload), and the mentors open the results of each: who
// came, who said going and never came, the polls, the feedback and NPS.

import { h, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import { errorText } from './forms.js';
import { store, t, hiveOf, watch, userName } from './store.js';
import { request } from './session.js';
import { meet, putMeetup, hiveMeetups, isMentor } from './meetstate.js';

let root = null;
let hiveId = null;
let watching = false;
const page = {
  error: null, // code of a failed load
  formOpen: false,
  templates: null, // template.list
  scripts: null, // script.list
  flash: null, // a line said after an action
  past: new Map(), // hive id -> { more, before, loading } of meetup.list past
  results: new Map(), // meetup id -> meetup.results, or { error }
  open: null, // the meetup id whose results are shown
};
const PAST_PAGE = 20;
// The schedule form's fields, kept across renders so typing is never lost.
let form = null;

export function mount(el) {
  root = el;
}

export function show(route, fresh) {
  if (!watching) {
    watching = true;
    watch(['meetups', 'hives'], () => {
      if (store.route.name === 'meetups') render();
    });
  }
  if (fresh || route.hiveId !== hiveId) {
    hiveId = route.hiveId;
    page.error = null;
    page.formOpen = false;
    page.flash = null;
    page.open = null;
    form = null;
    load(hiveId);
  }
  render();
  if (fresh) root.querySelector('h1')?.focus({ preventScroll: true });
}

async function load(id) {
  try {
    const { meetups } = await request('meetup.list', { hive_id: id });
    for (const m of meetups) putMeetup(m);
    meet.loaded.add(id);
    await loadPast(id, true);
  } catch (err) {
    page.error = err.code;
  }
  render();
}

// The next page of the meetups over (the first one when fresh).
async function loadPast(id, fresh) {
  const p = fresh || !page.past.has(id) ? { more: false, before: null, loading: false } : page.past.get(id);
  if (p.loading) return;
  p.loading = true;
  page.past.set(id, p);
  render();
  try {
    const params = { hive_id: id, past: true, limit: PAST_PAGE };
    if (p.before) params.before = p.before;
    const { meetups, more } = await request('meetup.list', params);
    for (const m of meetups) putMeetup(m);
    p.more = more;
    if (meetups.length) p.before = meetups.at(-1).start_at;
  } catch (err) {
    page.error = err.code;
  } finally {
    p.loading = false;
  }
  render();
}

// A start time in the reader's zone, with the zone named.
export function whenText(ms) {
  return new Intl.DateTimeFormat(store.t?.lang || undefined, {
    weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(ms));
}

function render() {
  if (!root || store.route.name !== 'meetups') return;
  // Drawn again at each event: the focus and the caret stay where they were.
  const focusId = document.activeElement?.id;
  const caret = typeof document.activeElement?.selectionStart === 'number'
    ? document.activeElement.selectionStart : null;
  const hive = hiveOf(hiveId);
  const back = h('a', { class: 'back-link', href: `#/h/${hiveId}` },
    icon('chevronLeft', { size: 16 }), t('nav.backToChat'));
  if (!hive) {
    replaceChildren(root, h('div', { class: 'page page-wide' }, back,
      h('p', { class: 'panel-note', role: 'alert' }, errorText('not_found'))));
    return;
  }
  const mentor = isMentor(hive.id) && !hive.archived;
  const all = hiveMeetups(hive.id);
  const upcoming = all.filter((m) => ['scheduled', 'running', 'paused'].includes(m.state));
  const past = all.filter((m) => !upcoming.includes(m)).reverse();
  const pastPage = page.past.get(hive.id);
  replaceChildren(root, h('div', { class: 'page page-wide meet-page' }, back,
    h('header', { class: 'page-head' },
      h('div', {},
        h('h1', { class: 'page-title', id: 'meet-title', tabindex: '-1' }, t('meet.title')),
        h('p', { class: 'page-sub' }, t('meet.sub', { name: hive.name }))),
      mentor ? h('button', {
        class: 'btn btn-primary page-head-action', type: 'button', id: 'meet-schedule-open',
        'aria-expanded': String(page.formOpen),
        onclick: () => toggleForm(),
      }, icon('plus', { size: 16 }), h('span', {}, t('meet.schedule'))) : null),
    page.flash ? h('p', { class: 'notice', role: 'status' }, icon('check', { size: 16 }), page.flash) : null,
    mentor && page.formOpen ? scheduleForm(hive) : null,
    page.error ? h('p', { class: 'panel-note', role: 'alert' }, errorText(page.error)) : null,
    h('section', { class: 'meet-section', 'aria-labelledby': 'meet-upcoming' },
      h('h2', { class: 'meet-head', id: 'meet-upcoming' }, t('meet.upcoming')),
      !meet.loaded.has(hive.id) && !page.error
        ? h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') })
        : upcoming.length
          ? h('ul', { class: 'meet-list', id: 'meet-list' }, upcoming.map((m) => card(m, mentor)))
          : h('p', { class: 'panel-note' }, t('meet.none'))),
    past.length ? h('section', { class: 'meet-section', 'aria-labelledby': 'meet-past' },
      h('h2', { class: 'meet-head', id: 'meet-past' }, t('meet.past')),
      h('ul', { class: 'meet-list meet-list-past', id: 'meet-list-past' }, past.map((m) => card(m, false, isMentor(hive.id)))),
      pastPage?.more ? h('button', {
        class: 'btn btn-secondary btn-s', type: 'button', id: 'meet-past-more', disabled: pastPage.loading,
        onclick: () => loadPast(hive.id, false),
      }, t('meet.olderPast')) : null) : null));
  const again = focusId ? document.getElementById(focusId) : null;
  if (again && again !== document.activeElement) {
    again.focus({ preventScroll: true });
    if (caret !== null) again.setSelectionRange?.(caret, caret);
  }
}

function card(m, mentor, readsResults = false) {
  const open = ['scheduled', 'running', 'paused'].includes(m.state);
  const shown = readsResults && page.open === m.id;
  const running = m.state === 'running' || m.state === 'paused';
  const r = m.rsvps || { going: 0, maybe: 0, no: 0 };
  return h('li', { class: 'card meet-card', dataset: { meetup: m.id } },
    h('div', { class: 'meet-card-head' },
      h('h3', { class: 'meet-card-title' }, m.title || t('meet.untitled')),
      h('span', { class: `meet-state meet-state-${m.state}` }, t(`meet.state.${m.state}`))),
    h('p', { class: 'meet-when' }, icon('clock', { size: 15 }),
      h('time', { datetime: new Date(m.start_at).toISOString() }, whenText(m.start_at)),
      m.recurrence && m.recurrence !== 'none' ? h('span', { class: 'meet-rec' }, ` · ${t(`meet.rec.${m.recurrence}`)}`) : null,
      m.cap ? h('span', { class: 'meet-rec' }, ` · ${t('meet.capOf', { n: m.cap })}`) : null,
      m.duration_s ? h('span', { class: 'meet-rec' }, ` · ${t('meet.minutes', { n: Math.round(m.duration_s / 60) })}`) : null),
    open ? h('div', { class: 'meet-rsvp', role: 'group', 'aria-label': t('meet.rsvp') },
      ['going', 'maybe', 'no'].map((a) => h('button', {
        class: ['btn', 'btn-s', m.my_rsvp === a ? 'btn-primary' : 'btn-secondary'],
        type: 'button', 'aria-pressed': String(m.my_rsvp === a), dataset: { answer: a },
        id: `meet-rsvp-${m.id}-${a}`,
        onclick: () => rsvp(m, a),
      }, t(`meet.answer.${a}`), h('span', { class: 'meet-count' }, String(r[a] ?? 0))))) : null,
    h('div', { class: 'meet-actions' },
      running && m.channel_id ? h('a', { class: 'btn btn-primary btn-s meet-enter', id: `meet-enter-${m.id}`, href: `#/c/${m.channel_id}` },
        t('meet.enter')) : null,
      mentor && m.state === 'scheduled' ? h('button', {
        class: 'btn btn-secondary btn-s meet-start', type: 'button', onclick: () => control(m, 'meetup.start'),
      }, t('meet.startNow')) : null,
      mentor && m.state === 'scheduled' ? h('button', {
        class: 'btn btn-secondary btn-s meet-cancel', type: 'button', onclick: () => control(m, 'meetup.cancel'),
      }, t('meet.cancel')) : null,
      readsResults && m.state === 'ended' ? h('button', {
        class: 'btn btn-secondary btn-s meet-results-toggle', type: 'button', id: `meet-results-${m.id}`,
        'aria-expanded': String(shown), 'aria-controls': `meet-results-panel-${m.id}`,
        onclick: () => toggleResults(m),
      }, shown ? t('meet.results.hide') : t('meet.results.show')) : null),
    shown ? resultsPanel(m) : null);
}

// -- Results of a meetup over (mentors, admins) ------------------------------

async function toggleResults(m) {
  page.open = page.open === m.id ? null : m.id;
  render();
  if (page.open !== m.id || page.results.has(m.id)) return;
  try {
    page.results.set(m.id, await request('meetup.results', { meetup_id: m.id }));
  } catch (err) {
    page.results.set(m.id, { error: err.code });
  }
  render();
}

function names(ids) {
  return ids.map(userName).join(', ');
}

function resultsPanel(m) {
  const r = page.results.get(m.id);
  const id = `meet-results-panel-${m.id}`;
  if (!r) return h('div', { class: 'meet-results-panel', id }, h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') }));
  if (r.error) return h('div', { class: 'meet-results-panel', id }, h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } }, errorText(r.error)));
  const a = r.attendance;
  const f = r.feedback;
  const pct = (x) => `${Math.round(x * 100)} %`;
  const nps = (v) => (v > 0 ? `+${Math.round(v)}` : String(Math.round(v)));
  return h('div', { class: 'meet-results-panel', id, role: 'region', 'aria-label': t('meet.results.title', { title: m.title || '' }) },
    h('h4', { class: 'meet-results-head' }, t('meet.results.attendance')),
    h('p', { class: 'meet-results-came' }, t('meet.results.came', { n: a.came, going: a.came_going, of: a.going }),
      a.rate !== null ? ` (${pct(a.rate)})` : null),
    a.participants.length ? h('p', { class: 'meet-results-who' }, names(a.participants.map((p) => p.user_id))) : null,
    h('p', { class: ['meet-results-noshows', a.no_shows ? 'sup-warn' : null] },
      a.no_shows ? t('meet.results.noShows', { n: a.no_shows, names: names(a.no_show_ids) }) : t('meet.results.noNoShows')),
    r.polls.length ? h('h4', { class: 'meet-results-head' }, t('meet.results.polls')) : null,
    r.polls.map((p) => {
      const total = p.counts.reduce((x, y) => x + y, 0) || 1;
      return h('div', { class: 'meet-results' },
        h('p', { class: 'meet-poll-q' }, p.question),
        h('ul', {}, p.options.map((o, i) => h('li', { class: 'meet-result' },
          h('span', { class: 'meet-result-label' }, o),
          h('meter', { min: 0, max: total, value: p.counts[i], 'aria-label': o }),
          h('span', { class: 'meet-count' }, String(p.counts[i]))))),
        h('p', { class: 'field-hint' }, store.t.n('room.meet.answers', p.answers)));
    }),
    h('h4', { class: 'meet-results-head' }, t('meet.results.feedback')),
    f.answers ? h('p', { class: 'meet-results-nps' }, t('meet.results.nps', {
      nps: nps(f.nps), n: f.answers, average: f.average.toFixed(1), pro: f.promoters, det: f.detractors,
    })) : h('p', { class: 'panel-note' }, t('meet.results.noFeedback')),
    f.comments.length ? h('ul', { class: 'meet-results-comments', 'aria-label': t('meet.results.comments') },
      f.comments.map((c) => h('li', {}, h('q', {}, c)))) : null);
}

async function rsvp(m, answer) {
  try {
    const res = await request('meetup.rsvp', { meetup_id: m.id, answer });
    putMeetup({ ...meet.byId.get(m.id), my_rsvp: res.answer, rsvps: res.rsvps });
    page.error = null;
  } catch (err) {
    page.error = err.code;
    render();
  }
}

async function control(m, op) {
  try {
    const res = await request(op, { meetup_id: m.id });
    if (res.meetup) putMeetup(res.meetup);
    else putMeetup({ ...m, state: 'cancelled' });
    if (op === 'meetup.start' && res.meetup?.channel_id) location.hash = `#/c/${res.meetup.channel_id}`;
  } catch (err) {
    page.error = err.code;
    render();
  }
}

// -- The schedule form ------------------------------------------------------

function toggleForm() {
  page.formOpen = !page.formOpen;
  page.flash = null;
  if (page.formOpen) loadSources();
  render();
  if (page.formOpen) document.getElementById('meet-source')?.focus();
}

async function loadSources() {
  try {
    const [tpl, lib] = await Promise.all([
      request('template.list'),
      request('script.list', { hive_id: hiveId }),
    ]);
    page.templates = tpl.templates;
    page.scripts = lib.scripts;
  } catch (err) {
    page.error = err.code;
  }
  render();
}

function pad(n) {
  return String(n).padStart(2, '0');
}

function newForm() {
  // Tomorrow at 18:00, the reader's time.
  const d = new Date(Date.now() + 24 * 3600 * 1000);
  const el = (tag, props, ...c) => h(tag, props, ...c);
  const f = {
    source: el('select', { id: 'meet-source', class: 'input', name: 'source' }),
    title: el('input', { id: 'meet-title-input', class: 'input', name: 'title', maxlength: 200 }),
    date: el('input', { id: 'meet-date', class: 'input', type: 'date', name: 'date', required: true,
      value: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` }),
    time: el('input', { id: 'meet-time', class: 'input', type: 'time', name: 'time', required: true, value: '18:00' }),
    recurrence: el('select', { id: 'meet-rec', class: 'input', name: 'recurrence' },
      ['none', 'weekly', 'fortnightly'].map((r) => h('option', { value: r }, t(`meet.rec.${r}`)))),
    cap: el('input', { id: 'meet-cap', class: 'input', type: 'number', name: 'cap', min: 0, max: 1000, value: '0' }),
    script: el('textarea', {
      id: 'meet-script', class: 'input meet-script', name: 'script', rows: 14, spellcheck: 'false',
      'aria-describedby': 'meet-script-hint meet-errors',
    }),
    errors: [],
    message: null,
    chosen: '',
  };
  f.source.addEventListener('change', () => pick(f.source.value));
  f.script.addEventListener('input', () => {
    f.errors = [];
    renderErrors();
  });
  return f;
}

function sourceOptions() {
  const opts = [h('option', { value: '' }, t('meet.source.choose'))];
  if (page.templates?.length) {
    opts.push(h('optgroup', { label: t('meet.source.templates') },
      page.templates.map((x) => h('option', { value: `t:${x.id}` }, x.title))));
  }
  if (page.scripts?.length) {
    opts.push(h('optgroup', { label: t('meet.source.saved') },
      page.scripts.map((x) => h('option', { value: `s:${x.id}` }, x.title))));
  }
  return opts;
}

function pick(value) {
  form.chosen = value;
  render();
  let script = null;
  if (value.startsWith('t:')) script = page.templates?.find((x) => x.id === value.slice(2))?.script;
  if (value.startsWith('s:')) script = page.scripts?.find((x) => String(x.id) === value.slice(2))?.script;
  if (!script) return;
  form.script.value = JSON.stringify(script, null, 2);
  form.title.value = script.title || '';
  form.errors = [];
  renderErrors();
}

// The script text to send: the editor's JSON with the title field's title.
function scriptText() {
  let script;
  try {
    script = JSON.parse(form.script.value);
  } catch {
    return { error: t('meet.error.json') };
  }
  if (script && typeof script === 'object' && !Array.isArray(script) && form.title.value.trim()) {
    script.title = form.title.value.trim();
  }
  return { text: JSON.stringify(script) };
}

function renderErrors() {
  const box = document.getElementById('meet-errors');
  if (!box) return;
  replaceChildren(box, form.errors.length
    ? [h('p', { class: 'meet-errors-head' }, icon('alert', { size: 15 }), t('meet.error.script')),
      h('ul', {}, form.errors.map((e) => h('li', {},
        h('code', { class: 'meet-err-path' }, e.path || '/'), ' ', e.message)))]
    : []);
  box.hidden = !form.errors.length;
}

function showFailure(err) {
  const errors = err.details?.errors;
  if (Array.isArray(errors) && errors.length) {
    form.errors = errors;
    form.message = null;
  } else {
    form.errors = [];
    form.message = err.code === 'invalid_param' && err.message ? err.message : errorText(err.code);
  }
  render();
  renderErrors();
}

async function submit(e) {
  e.preventDefault();
  const s = scriptText();
  if (s.error) {
    form.errors = [{ path: '', message: s.error }];
    form.message = null;
    render();
    renderErrors();
    form.script.focus();
    return;
  }
  const start = new Date(`${form.date.value}T${form.time.value}`).getTime();
  if (!Number.isFinite(start)) {
    form.message = t('meet.error.when');
    render();
    return;
  }
  try {
    const res = await request('meetup.schedule', {
      hive_id: hiveId, script: s.text, start_at: start,
      recurrence: form.recurrence.value, cap: Number(form.cap.value) || 0,
    });
    putMeetup(res.meetup);
    page.formOpen = false;
    page.flash = t('meet.scheduled', { title: res.meetup.title });
    form = null;
    render();
    document.getElementById('meet-title')?.focus();
  } catch (err) {
    showFailure(err);
  }
}

async function deleteScript() {
  const id = Number(form.chosen.slice(2));
  try {
    await request('script.delete', { hive_id: hiveId, script_id: id });
    page.scripts = (page.scripts || []).filter((x) => x.id !== id);
    form.chosen = '';
    form.message = null;
    page.flash = t('meet.deleted');
    render();
    document.getElementById('meet-source')?.focus();
  } catch (err) {
    showFailure(err);
  }
}

async function saveScript() {
  const s = scriptText();
  if (s.error) {
    form.errors = [{ path: '', message: s.error }];
    render();
    renderErrors();
    return;
  }
  try {
    const res = await request('script.save', { hive_id: hiveId, script: s.text });
    page.scripts = [...(page.scripts || []).filter((x) => x.id !== res.script.id), res.script]
      .sort((a, b) => a.title.localeCompare(b.title));
    form.errors = [];
    form.message = null;
    form.chosen = `s:${res.script.id}`;
    page.flash = t('meet.saved', { title: res.script.title });
    render();
  } catch (err) {
    showFailure(err);
  }
}

function labelled(id, label, input, hint) {
  return h('div', { class: 'field' }, h('label', { class: 'label', for: id }, label), input,
    hint ? h('p', { class: 'field-hint', id: `${id}-hint` }, hint) : null);
}

function scheduleForm() {
  if (!form) form = newForm();
  replaceChildren(form.source, sourceOptions());
  form.source.value = form.chosen;
  const msg = form.message ? h('div', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } },
    icon('alert', { size: 16 }), h('span', {}, form.message)) : null;
  const errors = h('div', { class: 'meet-errors', id: 'meet-errors', role: 'alert', hidden: true });
  const el = h('form', { class: 'card meet-form', id: 'meet-form', 'aria-labelledby': 'meet-form-title', onsubmit: submit, novalidate: true },
    h('h2', { class: 'card-title', id: 'meet-form-title' }, t('meet.schedule')),
    msg,
    h('div', { class: 'meet-form-grid' },
      h('div', { class: 'meet-form-fields' },
        labelled('meet-source', t('meet.source'), form.source),
        labelled('meet-title-input', t('meet.field.title'), form.title),
        h('div', { class: 'meet-form-row' },
          labelled('meet-date', t('meet.field.date'), form.date),
          labelled('meet-time', t('meet.field.time'), form.time)),
        h('p', { class: 'field-hint' }, t('meet.zone', { zone: Intl.DateTimeFormat().resolvedOptions().timeZone })),
        h('div', { class: 'meet-form-row' },
          labelled('meet-rec', t('meet.field.recurrence'), form.recurrence),
          labelled('meet-cap', t('meet.field.cap'), form.cap, t('meet.field.capHint')))),
      h('div', { class: 'meet-form-editor' },
        h('div', { class: 'field' }, h('label', { class: 'label', for: 'meet-script' }, t('meet.field.script')),
          form.script, h('p', { class: 'field-hint', id: 'meet-script-hint' }, t('meet.field.scriptHint'))),
        errors)),
    h('div', { class: 'meet-form-actions' },
      h('button', { class: 'btn btn-primary', type: 'submit', id: 'meet-submit' }, t('meet.submit')),
      h('button', { class: 'btn btn-secondary', type: 'button', id: 'meet-save-script', onclick: saveScript },
        t('meet.saveScript')),
      form.chosen.startsWith('s:') ? h('button', {
        class: 'btn btn-secondary', type: 'button', id: 'meet-delete-script', onclick: deleteScript,
      }, t('meet.deleteScript')) : null,
      h('button', { class: 'btn btn-secondary', type: 'button', onclick: () => toggleForm() }, t('meet.close'))));
  queueMicrotask(renderErrors);
  return el;
}
