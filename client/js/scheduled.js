// scheduled.js - messages written now and posted later, and reminders of
// messages (#/scheduled): the composer's "Schedule…" dialog, the
// "Remind me…" choices of a message's menu, the page listing both with
// their edit and cancel, and the notices of the remind and
// schedule.failed events (stored for the user alone, so a reload or a
// night offline still brings them through sync).
//
// Times are chosen in the reader's time zone and sent as UTC instants.
// The server's clock may differ from the reader's (a wrong laptop clock):
// each create reply carries the server's created_at, and the difference
// is kept so that "in 20 minutes" means 20 minutes on the server.

import { h, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import { plainText } from './format.js';
import { errorText, formMessage, submitButton } from './forms.js';
import { store, t, watch, changed, channelLabel } from './store.js';
import { request, hooks } from './session.js';
import { toast } from './moderation.js';
import { showMessage } from './chat.js';
import { whenText } from './meetups.js';
import * as notify from './notify.js';

const MAX_CHARS = 4000;
const MIN = 60 * 1000;

const sched = {
  list: null, // schedule.list, by time
  reminders: null, // remind.list, by time
  error: null,
  loading: false,
  editing: null, // the id of the scheduled message whose form is open
  confirming: null, // 'schedule-ID' | 'remind-ID' awaiting a yes
};
// What is known of the message of a reminder: id -> { channel_id, text }.
const known = new Map();
let skew = 0; // the server's clock minus ours, in ms
let root = null;
let watching = false;

function now() {
  return Date.now() + skew;
}

function learnClock(createdAt) {
  if (typeof createdAt === 'number') skew = createdAt - Date.now();
}

// A time the server has already reached (a message's created_at, a
// reminder's at): its clock is at least there.
function clockAtLeast(ms) {
  if (typeof ms === 'number') skew = Math.max(skew, ms - Date.now());
}

function pad(n) {
  return String(n).padStart(2, '0');
}

// "YYYY-MM-DD" and "HH:MM" of an instant, in the reader's zone.
function dateValue(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function timeValue(d) {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// The instant of a date and time input pair, or null when unreadable.
function instantOf(date, time) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || '');
  const n = /^(\d{2}):(\d{2})/.exec(time || '');
  if (!m || !n) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(n[1]), Number(n[2]));
  return Number.isNaN(d.getTime()) ? null : d.getTime();
}

// Tomorrow at 09:00 in the reader's zone.
function tomorrowNine() {
  const d = new Date(now());
  d.setDate(d.getDate() + 1);
  d.setHours(9, 0, 0, 0);
  return d.getTime();
}

function channelName(cid) {
  const ch = store.channels.get(cid);
  if (!ch) return t('sched.unknownChannel');
  return ch.kind === 'direct' ? channelLabel(ch) : `#${ch.name}`;
}

function sortByAt(list) {
  return list.sort((a, b) => a.at - b.at || a.id - b.id);
}

function putScheduled(s) {
  if (!sched.list) return;
  sched.list = sortByAt([...sched.list.filter((x) => x.id !== s.id), s]);
}

function dropScheduled(id) {
  if (sched.list) sched.list = sched.list.filter((x) => x.id !== id);
}

function dropReminder(id) {
  if (sched.reminders) sched.reminders = sched.reminders.filter((x) => x.id !== id);
}

async function load() {
  if (sched.loading) return;
  sched.loading = true;
  try {
    const [s, r] = await Promise.all([request('schedule.list'), request('remind.list')]);
    sched.list = sortByAt(s.scheduled);
    sched.reminders = sortByAt(r.reminders);
    sched.error = null;
  } catch (err) {
    sched.error = err.code;
  } finally {
    sched.loading = false;
  }
  changed('scheduled');
}

// -- The date, time and repeat fields (the dialog and the edit form) --------

let nextId = 1;

function whenFields(at, repeat) {
  const id = `sched-${nextId++}`;
  const d = new Date(at);
  const date = h('input', {
    id: `${id}-date`, class: 'input', type: 'date', name: 'date', required: true,
    value: dateValue(d), 'aria-describedby': `${id}-error`,
  });
  const time = h('input', {
    id: `${id}-time`, class: 'input', type: 'time', name: 'time', required: true,
    value: timeValue(d), 'aria-describedby': `${id}-error`,
  });
  const weekly = h('input', { type: 'checkbox', id: `${id}-weekly`, name: 'weekly', checked: repeat === 'weekly' });
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true },
    icon('alert', { size: 14 }), h('span'));
  const el = h('div', { class: 'sched-when' },
    h('div', { class: 'sched-when-row' },
      h('div', { class: 'field' }, h('label', { class: 'label', for: date.id }, t('sched.date')), date),
      h('div', { class: 'field' }, h('label', { class: 'label', for: time.id }, t('sched.time')), time)),
    error,
    h('div', { class: 'field field-check' },
      h('label', { class: 'check', for: weekly.id }, weekly,
        h('span', {}, h('span', { class: 'label' }, t('sched.weekly')),
          h('span', { class: 'field-hint' }, t('sched.weeklyHint'))))));
  const setError = (text) => {
    error.hidden = !text;
    error.lastChild.textContent = text || '';
    for (const x of [date, time]) {
      if (text) x.setAttribute('aria-invalid', 'true');
      else x.removeAttribute('aria-invalid');
    }
  };
  for (const x of [date, time]) x.addEventListener('input', () => setError(null));
  return {
    el, date, time, weekly, setError,
    at: () => instantOf(date.value, time.value),
    repeat: () => (weekly.checked ? 'weekly' : 'none'),
  };
}

// Checks a time before it is sent: the server says the same.
function checkAt(when) {
  const at = when.at();
  if (at === null) {
    when.setError(t('sched.badTime'));
    when.date.focus();
    return null;
  }
  if (at <= now()) {
    when.setError(t('sched.past'));
    when.date.focus();
    return null;
  }
  return at;
}

function textField(value) {
  const id = `sched-text-${nextId++}`;
  const input = h('textarea', {
    id, class: 'input sched-text', name: 'text', rows: 3, dir: 'auto', maxlength: MAX_CHARS,
    'aria-describedby': `${id}-error`, value,
  });
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true },
    icon('alert', { size: 14 }), h('span'));
  const setError = (text) => {
    error.hidden = !text;
    error.lastChild.textContent = text || '';
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  input.addEventListener('input', () => setError(null));
  return {
    el: h('div', { class: 'field' }, h('label', { class: 'label', for: id }, t('sched.text')), input, error),
    input, setError,
  };
}

// Where a refusal of the server belongs: beside the text, the time, or
// above the form.
function showRefusal(err, text, when, msg) {
  const code = err.code || 'unknown';
  const long = [...text.input.value.trim()].length > MAX_CHARS;
  if (code === 'empty_text' || (code === 'too_large' && long)) {
    text.setError(code === 'too_large' ? t('composer.tooLong', { n: MAX_CHARS }) : errorText(code));
    text.input.focus();
  } else if (code === 'invalid_param') {
    when.setError(t('sched.badTimeServer'));
    when.date.focus();
  } else if (code === 'read_only') {
    msg.set(t('sched.readOnly'));
  } else if (code === 'too_large') {
    msg.set(t('sched.tooMany'));
  } else {
    msg.set(errorText(code));
  }
}

// -- The composer's "Schedule…" dialog --------------------------------------

let dialog = null;

function theDialog() {
  if (!dialog) {
    dialog = h('dialog', { class: 'dialog sched-dialog', id: 'sched-dialog', 'aria-labelledby': 'sched-dialog-title' });
    document.body.append(dialog);
  }
  return dialog;
}

// Opens the dialog for the channel cid with the composer's text; done()
// is called once it is scheduled (the composer then empties).
export function openScheduleDialog(cid, draft, done) {
  const el = theDialog();
  const text = textField(draft || '');
  const when = whenFields(tomorrowNine(), 'none');
  const msg = formMessage();
  const btn = submitButton(t('sched.submit'), { wide: false });
  const form = h('form', { class: 'dialog-body form', novalidate: true, id: 'sched-form' },
    h('h2', { class: 'dialog-title', id: 'sched-dialog-title' }, t('sched.dialogTitle')),
    h('p', { class: 'dialog-text' }, t('sched.dialogIntro', { where: channelName(cid) })),
    msg.el, text.el, when.el,
    h('div', { class: 'dialog-actions' },
      h('button', { class: 'btn btn-quiet', type: 'button', onclick: () => el.close() }, t('action.cancel')),
      btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    const body = text.input.value.trim();
    if (!body) {
      text.setError(errorText('empty_text'));
      text.input.focus();
      return;
    }
    if ([...body].length > MAX_CHARS) {
      text.setError(t('composer.tooLong', { n: MAX_CHARS }));
      text.input.focus();
      return;
    }
    const at = checkAt(when);
    if (at === null) return;
    btn.busy(true);
    try {
      const r = await request('schedule.create', {
        channel_id: cid, text: body, at, repeat: when.repeat(),
      });
      learnClock(r.scheduled.created_at);
      putScheduled(r.scheduled);
      changed('scheduled');
      el.close();
      done?.();
      toast(t('sched.done', { when: whenText(r.scheduled.at) }), {
        action: { label: t('sched.seeAll'), run: () => { location.hash = '#/scheduled'; } },
      });
    } catch (err) {
      showRefusal(err, text, when, msg);
    } finally {
      btn.busy(false);
    }
  });
  replaceChildren(el, form);
  if (!el.open) el.showModal();
  (draft ? when.date : text.input).focus();
}

// -- "Remind me…" of a message ------------------------------------------------

// The choices of the menu: [key, instant].
export function remindChoices() {
  const n = now();
  const nextWeek = new Date(tomorrowNine());
  nextWeek.setDate(nextWeek.getDate() + 6);
  return [
    ['in20', n + 20 * MIN],
    ['in1h', n + 60 * MIN],
    ['in3h', n + 180 * MIN],
    ['tomorrow', tomorrowNine()],
    ['nextWeek', nextWeek.getTime()],
  ].map(([key, at]) => ({ key, at, label: t(`remind.${key}`) }));
}

export async function remindMe(m, at) {
  try {
    const r = await request('remind.create', { message_id: m.id, at });
    learnClock(r.reminder.created_at);
    known.set(m.id, { channel_id: m.channel_id, text: m.text });
    if (sched.reminders) sched.reminders = sortByAt([...sched.reminders, r.reminder]);
    changed('scheduled');
    toast(t('remind.done', { when: whenText(r.reminder.at) }));
  } catch (err) {
    toast(err.code === 'too_large' ? t('remind.tooMany') : errorText(err.code || 'unknown'), { kind: 'bad' });
  }
}

// -- The events ---------------------------------------------------------------

function onRemind(d) {
  const m = d.message || {};
  clockAtLeast(d.at);
  dropReminder(d.reminder_id);
  changed('scheduled');
  const text = m.deleted || !m.text ? t('remind.gone') : plainText(m.text, 160);
  const where = m.channel_id ? channelName(m.channel_id) : '';
  const jump = m.channel_id && !m.deleted ? () => showMessage(m.channel_id, m.id) : null;
  toast(t('remind.notice', { where, text }), {
    sticky: true,
    action: jump ? { label: t('remind.show'), run: jump } : null,
    className: 'toast-remind',
  });
  if (document.visibilityState !== 'visible' && notify.permission() === 'granted') {
    try {
      const n = new Notification(t('remind.title', { where }), {
        body: text, tag: `ruche-remind-${d.reminder_id}`, icon: 'favicon.svg',
      });
      n.onclick = () => {
        window.focus();
        jump?.();
        n.close();
      };
    } catch (err) {
      console.warn('ruche: notification:', err);
    }
  }
}

function onScheduleFailed(d) {
  // Its time came: the server's clock is past it.
  clockAtLeast(sched.list?.find((s) => s.id === d.schedule_id)?.at);
  // A weekly one is still there, at its next week: the list is asked again.
  if (sched.list) load();
  toast(t('sched.failed', {
    where: channelName(d.channel_id), text: plainText(d.text || '', 80), why: errorText(d.code || 'unknown'),
  }), { kind: 'bad', sticky: true });
}

// A scheduled message of ours that was posted: off the list (a weekly
// one moves on, so the list is asked again).  The message's time is the
// server's, which is what the list's times are measured by.
function onOwnPosted(m) {
  clockAtLeast(m.created_at);
  if (!sched.list || typeof m.created_at !== 'number') return;
  if (sched.list.some((s) => s.channel_id === m.channel_id && s.at <= m.created_at)) load();
}

// The events can come (replayed by sync) before the page has its
// strings: they wait for init().
let early = [];
hooks.onRemind = (d) => early.push(() => onRemind(d));
hooks.onScheduleFailed = (d) => early.push(() => onScheduleFailed(d));

export function init() {
  hooks.onRemind = onRemind;
  hooks.onScheduleFailed = onScheduleFailed;
  hooks.onOwnMessage = onOwnPosted;
  for (const run of early) run();
  early = [];
}

// -- The page -------------------------------------------------------------------

export function mount(el) {
  root = el;
}

export function show(fresh) {
  if (!watching) {
    watching = true;
    watch(['scheduled', 'channels'], () => {
      if (store.route.name === 'scheduled') render();
    });
  }
  if (fresh) {
    sched.editing = null;
    sched.confirming = null;
    load();
  }
  render();
  if (fresh) root.querySelector('h1')?.focus({ preventScroll: true });
}

function render() {
  if (!root || store.route.name !== 'scheduled') return;
  const focusKey = root.contains(document.activeElement) ? document.activeElement.dataset?.focusKey : null;
  const loading = (sched.list === null || sched.reminders === null) && !sched.error;
  const spinner = () => h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') });
  // The edit form keeps what was typed: it is not drawn again.
  const keep = sched.editing ? root.querySelector(`#sched-edit-${sched.editing}`) : null;
  const typing = keep?.contains(document.activeElement) ? document.activeElement : null;
  replaceChildren(root, h('div', { class: 'page page-wide sched-page' },
    h('a', { class: 'back-link', href: '#/' }, icon('chevronLeft', { size: 16 }), t('nav.backToChat')),
    h('header', { class: 'page-head' },
      h('div', {},
        h('h1', { class: 'page-title', id: 'sched-title', tabindex: '-1' }, t('sched.title')),
        h('p', { class: 'page-sub' }, t('sched.sub')))),
    sched.error ? h('p', { class: 'panel-note', role: 'alert' }, errorText(sched.error)) : null,
    h('section', { class: 'meet-section', 'aria-labelledby': 'sched-head-list' },
      h('h2', { class: 'meet-head', id: 'sched-head-list' }, t('sched.listTitle')),
      loading ? spinner() : sched.list?.length
        ? h('ul', { class: 'sched-list', id: 'sched-list' }, sched.list.map((s) => scheduledItem(s, keep)))
        : h('p', { class: 'panel-note' }, t('sched.none'))),
    h('section', { class: 'meet-section', 'aria-labelledby': 'sched-head-remind' },
      h('h2', { class: 'meet-head', id: 'sched-head-remind' }, t('remind.listTitle')),
      loading ? spinner() : sched.reminders?.length
        ? h('ul', { class: 'sched-list', id: 'remind-list' }, sched.reminders.map(reminderItem))
        : h('p', { class: 'panel-note' }, t('remind.none')))));
  if (focusKey) root.querySelector(`[data-focus-key="${focusKey}"]`)?.focus();
  if (typing && typing !== document.activeElement) typing.focus({ preventScroll: true });
}

function confirmRow(key, question, yes, run) {
  return h('div', { class: 'sched-confirm', role: 'group', 'aria-label': question },
    h('p', { class: 'sched-confirm-q' }, question),
    h('button', {
      class: 'btn btn-danger btn-s', type: 'button', dataset: { focusKey: `${key}-yes` },
      onclick: run,
    }, yes),
    h('button', {
      class: 'btn btn-secondary btn-s', type: 'button', dataset: { focusKey: `${key}-no` },
      onclick: () => {
        sched.confirming = null;
        render();
        root.querySelector(`[data-focus-key="${key}"]`)?.focus();
      },
    }, t('sched.keep')));
}

function scheduledItem(s, keep) {
  const key = `schedule-${s.id}`;
  const confirming = sched.confirming === key;
  if (sched.editing === s.id) {
    return h('li', { class: 'card sched-card', dataset: { schedule: s.id } },
      keep || editForm(s));
  }
  return h('li', { class: 'card sched-card', dataset: { schedule: s.id } },
    h('p', { class: 'sched-where' }, icon('message', { size: 15 }), h('span', {}, channelName(s.channel_id))),
    h('p', { class: 'sched-body', dir: 'auto' }, plainText(s.text, 400)),
    h('p', { class: 'meet-when' }, icon('clock', { size: 15 }),
      h('time', { datetime: new Date(s.at).toISOString() }, whenText(s.at)),
      s.repeat === 'weekly' ? h('span', { class: 'meet-rec' }, ` · ${t('sched.everyWeek')}`) : null),
    confirming
      ? confirmRow(key, t('sched.cancelQ'), t('sched.cancelYes'), () => cancelScheduled(s))
      : h('div', { class: 'meet-actions' },
        h('button', {
          class: 'btn btn-secondary btn-s sched-edit', type: 'button', dataset: { focusKey: `edit-${s.id}` },
          'aria-label': t('sched.editLabel', { when: whenText(s.at) }),
          onclick: () => {
            sched.editing = s.id;
            sched.confirming = null;
            render();
            root.querySelector(`#sched-edit-${s.id} textarea`)?.focus();
          },
        }, icon('edit', { size: 14 }), h('span', {}, t('sched.edit'))),
        h('button', {
          class: 'btn btn-secondary btn-s sched-cancel', type: 'button', dataset: { focusKey: key },
          'aria-label': t('sched.cancelLabel', { when: whenText(s.at) }),
          onclick: () => {
            sched.confirming = key;
            render();
            root.querySelector(`[data-focus-key="${key}-no"]`)?.focus();
          },
        }, icon('trash', { size: 14 }), h('span', {}, t('sched.cancel')))));
}

function editForm(s) {
  const text = textField(s.text);
  const when = whenFields(s.at, s.repeat);
  const msg = formMessage();
  const btn = submitButton(t('action.save'), { wide: false });
  const form = h('form', { class: 'form sched-edit-form', id: `sched-edit-${s.id}`, novalidate: true,
    'aria-label': t('sched.editTitle') },
  msg.el, text.el, when.el,
  h('div', { class: 'dialog-actions' },
    h('button', {
      class: 'btn btn-quiet', type: 'button',
      onclick: () => {
        sched.editing = null;
        render();
        root.querySelector(`[data-focus-key="edit-${s.id}"]`)?.focus();
      },
    }, t('action.cancel')), btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    const body = text.input.value.trim();
    if (!body) {
      text.setError(errorText('empty_text'));
      text.input.focus();
      return;
    }
    if ([...body].length > MAX_CHARS) {
      text.setError(t('composer.tooLong', { n: MAX_CHARS }));
      text.input.focus();
      return;
    }
    const params = { schedule_id: s.id };
    if (body !== s.text) params.text = body;
    // The fields show minutes: untouched, they leave the time as it is.
    const was = new Date(s.at);
    const at = when.at();
    if (when.date.value !== dateValue(was) || when.time.value !== timeValue(was)) {
      if (checkAt(when) === null) return;
      params.at = at;
    }
    if (when.repeat() !== s.repeat) params.repeat = when.repeat();
    btn.busy(true);
    try {
      const r = await request('schedule.update', params);
      sched.editing = null;
      putScheduled(r.scheduled);
      changed('scheduled');
      toast(t('sched.saved', { when: whenText(r.scheduled.at) }));
      root.querySelector(`[data-focus-key="edit-${s.id}"]`)?.focus();
    } catch (err) {
      if (err.code === 'not_found') {
        sched.editing = null;
        load();
        toast(t('sched.gone'), { kind: 'bad' });
      } else showRefusal(err, text, when, msg);
    } finally {
      btn.busy(false);
    }
  });
  return form;
}

// Cancels one item of the page with op; one already gone counts as done.
async function cancelItem(op, params, doneText, drop) {
  try {
    await request(op, params);
    toast(t(doneText));
  } catch (err) {
    if (err.code !== 'not_found') {
      toast(errorText(err.code || 'unknown'), { kind: 'bad' });
      return;
    }
  }
  sched.confirming = null;
  drop();
  changed('scheduled');
  root.querySelector('#sched-title')?.focus();
}

const cancelScheduled = (s) =>
  cancelItem('schedule.cancel', { schedule_id: s.id }, 'sched.cancelled', () => dropScheduled(s.id));

// The message of a reminder: what this tab knows of it.
function messageOf(id) {
  if (known.has(id)) return known.get(id);
  for (const tl of store.timelines.values()) {
    const m = tl.byId.get(id);
    if (m) return { channel_id: m.channel_id, text: m.deleted ? null : m.text };
  }
  return null;
}

function reminderItem(r) {
  const key = `remind-${r.id}`;
  // Not loaded here: the server still says where it is.
  const m = messageOf(r.message_id) || (r.channel_id ? { channel_id: r.channel_id, text: null } : null);
  return h('li', { class: 'card sched-card', dataset: { reminder: r.id } },
    m ? h('p', { class: 'sched-where' }, icon('message', { size: 15 }), h('span', {}, channelName(m.channel_id))) : null,
    h('p', { class: 'sched-body', dir: 'auto' }, m?.text ? plainText(m.text, 300) : t('remind.aMessage')),
    h('p', { class: 'meet-when' }, icon('bell', { size: 15 }),
      h('time', { datetime: new Date(r.at).toISOString() }, whenText(r.at))),
    sched.confirming === key
      ? confirmRow(key, t('remind.cancelQ'), t('remind.cancelYes'), () => cancelReminder(r))
      : h('div', { class: 'meet-actions' },
        m ? h('button', {
          class: 'btn btn-secondary btn-s', type: 'button', dataset: { focusKey: `show-${r.id}` },
          onclick: () => showMessage(m.channel_id, r.message_id),
        }, t('remind.show')) : null,
        h('button', {
          class: 'btn btn-secondary btn-s remind-cancel', type: 'button', dataset: { focusKey: key },
          'aria-label': t('remind.cancelLabel', { when: whenText(r.at) }),
          onclick: () => {
            sched.confirming = key;
            render();
            root.querySelector(`[data-focus-key="${key}-no"]`)?.focus();
          },
        }, icon('trash', { size: 14 }), h('span', {}, t('remind.cancel')))));
}

const cancelReminder = (r) =>
  cancelItem('remind.cancel', { reminder_id: r.id }, 'remind.cancelled', () => dropReminder(r.id));
