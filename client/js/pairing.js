// pairing.js - a hive's peer pairing, for its mentors and the admins, as a
// page of the hive's mentor tools (modpages.js): on or off, weekly or
// fortnightly, the weekday and time of the rounds in the reader's own
// time zone (the server keeps UTC), the opening prompt, "Pair now", and
// the history of rounds with who was paired with whom.

import { h } from './dom.js';
import { field, formMessage, submitButton, errorText } from './forms.js';
import { store, t, userName } from './store.js';
import { request } from './session.js';
import { modErrorText } from './modstate.js';
import { render } from './modpages.js';
import { toast } from './moderation.js';

const PROMPT_MAX = 2000;
const HISTORY_LIMIT = 20;

const state = {
  hiveId: null, pairing: null, rounds: null, names: new Map(), error: null, form: null,
};

export function enter(hiveId) {
  state.hiveId = hiveId;
  state.pairing = null;
  state.rounds = null;
  state.error = null;
  state.form = null;
  state.names = new Map();
  load();
}

async function load() {
  const hiveId = state.hiveId;
  try {
    const [get, hist, members] = await Promise.all([
      request('pairing.get', { hive_id: hiveId }),
      request('pairing.history', { hive_id: hiveId, limit: HISTORY_LIMIT }),
      request('hive.members', { hive_id: hiveId }),
    ]);
    if (hiveId !== state.hiveId) return;
    state.pairing = get.pairing;
    state.rounds = hist.rounds;
    // Names of the members, for an admin who is not in the hive.
    state.names = new Map(members.members.map((m) => [m.user_id, m.display_name]));
  } catch (err) {
    state.error = err.code;
  }
  render();
}

async function reloadHistory() {
  const hiveId = state.hiveId;
  try {
    const hist = await request('pairing.history', { hive_id: hiveId, limit: HISTORY_LIMIT });
    if (hiveId === state.hiveId) state.rounds = hist.rounds;
  } catch {
    // The list stays as it was; the next visit reloads it.
  }
  render();
}

// The form is built once per visit, so that re-renders keep what is typed.
export function view(hive) {
  if (state.error) {
    return h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } }, errorText(state.error));
  }
  if (!state.pairing) return h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') });
  if (!state.form) state.form = pairingForm(hive, state.pairing);
  return h('div', { class: 'mod-stack' }, state.form, historyCard());
}

const lang = () => store.t?.lang || undefined;

// Weekday names in the reader's language, Monday first: [[day, name]]
// with day as Date.getDay() counts (0 is Sunday).
function weekdays() {
  const fmt = new Intl.DateTimeFormat(lang(), { weekday: 'long' });
  // 2024-01-01 was a Monday.
  return [1, 2, 3, 4, 5, 6, 0].map((d) => [String(d), fmt.format(new Date(2024, 0, d === 0 ? 7 : d))]);
}

function two(n) {
  return String(n).padStart(2, '0');
}

function whenText(ms) {
  return new Intl.DateTimeFormat(lang(), {
    weekday: 'long', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(ms));
}

// The next time after now on that local weekday at that local time.
function nextLocal(day, hhmm, now = Date.now()) {
  const [hh, mm] = hhmm.split(':').map(Number);
  const d = new Date(now);
  d.setHours(hh, mm, 0, 0);
  d.setDate(d.getDate() + ((day - d.getDay() + 7) % 7));
  while (d.getTime() <= now) d.setDate(d.getDate() + 7);
  return d.getTime();
}

function pairingForm(hive, p) {
  // The weekday and time of the next round, else Monday 09:00 local.
  const next = p.next_at ? new Date(p.next_at) : null;
  const enabledId = `pairing-on-${hive.id}`;
  const enabled = h('input', { type: 'checkbox', id: enabledId, name: 'enabled', checked: p.enabled });
  const enabledEl = h('div', { class: 'field field-check' },
    h('label', { class: 'check', for: enabledId }, enabled,
      h('span', {}, h('span', { class: 'label' }, t('pairing.enabled')),
        h('span', { class: 'field-hint' }, t('pairing.enabledHint')))));
  const cadence = field({
    name: 'every_days', label: t('pairing.cadence'), value: String(p.every_days),
    options: [['7', t('pairing.weekly')], ['14', t('pairing.fortnightly')]],
  });
  const day = field({
    name: 'weekday', label: t('pairing.weekday'), value: String(next ? next.getDay() : 1), options: weekdays(),
  });
  const time = field({
    name: 'time', label: t('pairing.time'), type: 'time',
    value: next ? `${two(next.getHours())}:${two(next.getMinutes())}` : '09:00',
    hint: t('pairing.zone', { zone: Intl.DateTimeFormat().resolvedOptions().timeZone }),
  });
  const prompt = field({
    name: 'prompt', label: t('pairing.prompt'), type: 'textarea', required: false,
    value: p.custom_prompt ? p.prompt : '', hint: t('pairing.promptHint', { n: PROMPT_MAX }),
  });
  prompt.input.rows = 6;
  // The default prompt shows where the mentor's own would go.
  prompt.input.placeholder = p.custom_prompt ? '' : p.prompt;
  const nextEl = h('p', { class: 'card-intro pairing-next' });
  const showNext = (q) => {
    nextEl.textContent = q.enabled && q.next_at ? t('pairing.next', { when: whenText(q.next_at) }) : t('pairing.off');
  };
  showNext(p);
  const msg = formMessage();
  const btn = submitButton(t('action.save'), { wide: false });
  const now = h('button', { type: 'button', class: 'btn btn-secondary' }, h('span', { class: 'btn-label' }, t('pairing.now')));
  const form = h('form', { class: 'card page-card pairing-form', novalidate: true, id: 'pairing-form' },
    h('h2', { class: 'card-title' }, t('pairing.title')),
    h('p', { class: 'card-intro' }, t('pairing.intro')),
    nextEl, msg.el, enabledEl,
    h('div', { class: 'form-grid guard-grid guard-grid-3' }, cadence.el, day.el, time.el),
    prompt.el,
    h('div', { class: 'form-actions' }, btn, now));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    const text = prompt.value().trim();
    if ([...text].length > PROMPT_MAX) {
      prompt.setError(t('pairing.promptTooLong', { n: PROMPT_MAX }));
      prompt.input.focus();
      return;
    }
    if (!/^\d{2}:\d{2}$/.test(time.value())) {
      time.setError(t('pairing.timeBad'));
      time.input.focus();
      return;
    }
    const params = {
      hive_id: hive.id,
      enabled: enabled.checked,
      every_days: Number(cadence.value()),
      next_at: nextLocal(Number(day.value()), time.value()),
      prompt: text,
    };
    btn.busy(true);
    try {
      const r = await request('pairing.set', params);
      state.pairing = r.pairing;
      showNext(r.pairing);
      prompt.input.placeholder = r.pairing.custom_prompt ? '' : r.pairing.prompt;
      msg.set(t('pairing.saved'), 'ok');
    } catch (err) {
      msg.set(modErrorText(err.code, errorText));
    } finally {
      btn.busy(false);
    }
  });
  now.addEventListener('click', async () => {
    msg.set(null);
    now.disabled = true;
    try {
      const { round } = await request('pairing.run', { hive_id: hive.id });
      toast(round.status === 'paired'
        ? t('pairing.ran', { n: round.groups.length }) : t('pairing.skipped'));
      await reloadHistory();
    } catch (err) {
      msg.set(modErrorText(err.code, errorText));
    } finally {
      now.disabled = false;
    }
  });
  return form;
}

function historyCard() {
  const rounds = state.rounds || [];
  return h('section', { class: 'card page-card pairing-history', 'aria-labelledby': 'pairing-history-title' },
    h('h2', { class: 'card-title', id: 'pairing-history-title' }, t('pairing.history')),
    rounds.length === 0
      ? h('p', { class: 'card-intro' }, t('pairing.noRounds'))
      : h('ol', { class: 'pairing-rounds' }, rounds.map(roundItem)));
}

// A learner's name; one who left the hive may be known to the store only.
function nameOf(id) {
  return state.names.get(id) || userName(id);
}

function roundItem(r) {
  const when = h('time', { datetime: new Date(r.ran_at).toISOString() }, whenText(r.ran_at));
  const how = r.due_at ? t('pairing.scheduled') : t('pairing.byHand', { name: r.run_by ? nameOf(r.run_by) : '' });
  if (r.status !== 'paired') {
    return h('li', { class: 'pairing-round' },
      h('p', {}, when, ' · ', how),
      h('p', { class: 'field-hint' }, t('pairing.skippedWhy', { reason: r.reason || '' })));
  }
  return h('li', { class: 'pairing-round' },
    h('p', {}, when, ' · ', how),
    h('ul', { class: 'pairing-groups' }, r.groups.map((g) => h('li', {},
      g.user_ids.map((id) => nameOf(id)).join(' · ')))));
}
