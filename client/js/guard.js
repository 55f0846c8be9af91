// guard.js - a hive's automatic guard, set by its mentors: blocked words
// (one per line), a link limit for new members, and the flood rule (more
// than N messages in S seconds mutes the learner for M seconds).  The
// rules bind learners only; every refusal and automatic mute goes to the
// audit log.

import { h } from './dom.js';
import { field, formMessage, submitButton, errorText } from './forms.js';
import { store, t } from './store.js';
import { request } from './session.js';
import { modErrorText } from './modstate.js';
import { render } from './modpages.js';
import { toast } from './moderation.js';

const WORDS_MAX = 200;
const WORD_MAX = 64;

const state = {
  hiveId: null, guard: null, error: null, form: null, retentionForm: null,
};

export function enter(hiveId) {
  state.hiveId = hiveId;
  state.guard = null;
  state.error = null;
  state.form = null;
  state.retentionForm = null;
  load();
}

async function load() {
  const hiveId = state.hiveId;
  try {
    const r = await request('guard.get', { hive_id: hiveId });
    if (hiveId !== state.hiveId) return;
    state.guard = r.guard;
  } catch (err) {
    state.error = err.code;
  }
  render();
}

// The form is built once per visit, so that re-renders keep what is typed.
export function view(hive) {
  if (state.error) {
    return h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } }, errorText(state.error));
  }
  if (!state.guard) return h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') });
  if (!state.form) state.form = guardForm(hive, state.guard);
  // The hive says its retention (null: messages are kept forever).
  if (store.me?.admin && hive && !state.retentionForm) {
    state.retentionForm = retentionForm(hive, hive.retention_days ?? 0);
  }
  return h('div', { class: 'mod-stack' }, state.form, store.me?.admin ? state.retentionForm : null);
}

// Admins only: how long the hive keeps its messages.
function retentionForm(hive, days) {
  const f = number('retention_days', t('guard.retentionDays'), days || 0, 3650, t('guard.retentionHint'));
  const msg = formMessage();
  const btn = submitButton(t('action.save'), { wide: false, kind: 'secondary' });
  const form = h('form', { class: 'card page-card', novalidate: true, id: 'retention-form' },
    h('h2', { class: 'card-title' }, t('guard.retentionTitle')),
    h('p', { class: 'card-intro' }, t('guard.retentionIntro')),
    msg.el, f.el, h('div', { class: 'form-actions' }, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    const n = Number(f.value());
    if (!/^\d+$/.test(f.value().trim()) || n > 3650) {
      f.setError(t('guard.numberBad', { max: 3650 }));
      f.input.focus();
      return;
    }
    btn.busy(true);
    try {
      const r = await request('hive.set_retention', { hive_id: hive.id, days: n });
      // An admin outside the hive gets no hive.updated: keep the list's
      // copy of the hive current by hand.
      hive.retention_days = r.retention_days;
      msg.set(n ? t('guard.retentionSaved', { n }) : t('guard.retentionForever'), 'ok');
    } catch (err) {
      msg.set(modErrorText(err.code, errorText));
    } finally {
      btn.busy(false);
    }
  });
  return form;
}

function number(name, label, value, max, hint) {
  return field({
    name, label, type: 'number', value: String(value), min: 0, max, inputmode: 'numeric', hint,
  });
}

function guardForm(hive, g) {
  const words = field({
    name: 'blocked_words', label: t('guard.words'), type: 'textarea', required: false,
    value: g.blocked_words.join('\n'), hint: t('guard.wordsHint', { n: WORDS_MAX }),
  });
  words.input.rows = 6;
  words.input.spellcheck = false;
  const links = number('new_member_link_limit', t('guard.links'), g.new_member_link_limit, 50, t('guard.linksHint'));
  const days = number('new_member_days', t('guard.days'), g.new_member_days, 365, t('guard.daysHint'));
  const floodN = number('flood_messages', t('guard.floodMessages'), g.flood_messages, 100);
  const floodS = number('flood_seconds', t('guard.floodSeconds'), g.flood_seconds, 3600);
  const floodM = number('flood_mute_seconds', t('guard.floodMute'), g.flood_mute_seconds, 7 * 86400,
    t('guard.floodMuteHint'));
  const msg = formMessage();
  const btn = submitButton(t('guard.save'), { wide: false });
  const form = h('form', { class: 'form guard-form', novalidate: true, id: 'guard-form' },
    msg.el,
    h('section', { class: 'card page-card' },
      h('h2', { class: 'card-title' }, t('guard.wordsTitle')),
      h('p', { class: 'card-intro' }, t('guard.wordsIntro')), words.el),
    h('section', { class: 'card page-card' },
      h('h2', { class: 'card-title' }, t('guard.linksTitle')),
      h('p', { class: 'card-intro' }, t('guard.linksIntro')),
      h('div', { class: 'form-grid guard-grid' }, links.el, days.el)),
    h('fieldset', { class: 'card page-card guard-flood' },
      h('legend', { class: 'card-title' }, t('guard.floodTitle')),
      h('p', { class: 'card-intro' }, t('guard.floodIntro')),
      h('div', { class: 'guard-grid guard-grid-3' }, floodN.el, floodS.el, floodM.el)),
    h('div', { class: 'form-actions' }, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    const list = [...new Set(words.value().split('\n').map((w) => w.trim()).filter(Boolean))];
    if (list.length > WORDS_MAX) {
      words.setError(t('guard.wordsTooMany', { n: WORDS_MAX }));
      words.input.focus();
      return;
    }
    const long = list.find((w) => [...w].length > WORD_MAX);
    if (long) {
      words.setError(t('guard.wordTooLong', { word: long, n: WORD_MAX }));
      words.input.focus();
      return;
    }
    const nums = [[links, 50], [days, 365], [floodN, 100], [floodS, 3600], [floodM, 7 * 86400]];
    for (const [f, max] of nums) {
      const n = Number(f.value());
      if (!/^\d+$/.test(f.value().trim()) || n > max) {
        f.setError(t('guard.numberBad', { max }));
        f.input.focus();
        return;
      }
    }
    btn.busy(true);
    try {
      const r = await request('guard.set', {
        hive_id: hive.id,
        blocked_words: list,
        new_member_link_limit: Number(links.value()),
        new_member_days: Number(days.value()),
        flood_messages: Number(floodN.value()),
        flood_seconds: Number(floodS.value()),
        flood_mute_seconds: Number(floodM.value()),
      });
      state.guard = r.guard;
      // The server keeps the words trimmed, in lower case, once each.
      words.input.value = r.guard.blocked_words.join('\n');
      msg.set(t('guard.saved'), 'ok');
      toast(t('guard.saved'));
    } catch (err) {
      msg.set(modErrorText(err.code, errorText));
    } finally {
      btn.busy(false);
    }
  });
  return form;
}
