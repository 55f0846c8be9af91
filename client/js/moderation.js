// moderation.js - the moderation menus and their dialogs: on a message
// (report it; for the hive's mentors and admins: pin, remove with a
// reason, mute its author) and on a member (mute for a while, unmute,
// kick, ban).  Mentors never see actions against another mentor or an
// admin; what the server refuses anyway is said in plain words in the
// dialog.  Also the small notices (toasts) that say an action was done
// or that one's own report was handled.

import { h, svg, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import { field, formMessage, submitButton, errorText } from './forms.js';
import { store, t, userName, hiveOf } from './store.js';
import { request } from './session.js';
import { remindChoices, remindMe } from './scheduled.js';
import {
  canModerate, canActOn, mutedUntil, isPinned, loadPins, modHooks, modErrorText,
} from './modstate.js';

const REASON_MAX = 500;

// A few line icons of moderation, drawn like icons.js's.
const SHAPES = {
  more: [['circle', { cx: 5, cy: 12, r: 1 }], ['circle', { cx: 12, cy: 12, r: 1 }],
    ['circle', { cx: 19, cy: 12, r: 1 }]],
  flag: [['path', { d: 'M4 15s1-1 4-1 5 2 8 2 4-1 4-1V3s-1 1-4 1-5-2-8-2-4 1-4 1z' }],
    ['line', { x1: 4, y1: 22, x2: 4, y2: 15 }]],
  pin: [['path', { d: 'M12 17v5' }],
    ['path', { d: 'M9 10.76V6h6v4.76l2.5 2.74V16h-11v-2.5z' }], ['path', { d: 'M8 2h8v4H8z' }]],
  mute: [['circle', { cx: 12, cy: 12, r: 10 }], ['line', { x1: 4.9, y1: 4.9, x2: 19.1, y2: 19.1 }]],
  door: [['path', { d: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4' }],
    ['polyline', { points: '16 17 21 12 16 7' }], ['line', { x1: 21, y1: 12, x2: 9, y2: 12 }]],
};

export function modIcon(name, { size = 16, className = '' } = {}) {
  if (!SHAPES[name]) return icon(name, { size, className });
  return svg('svg', {
    class: `icon ${className}`.trim(), viewBox: '0 0 24 24', width: size, height: size,
    fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round',
    'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false',
  }, ...SHAPES[name].map(([tag, attrs]) => svg(tag, attrs)));
}

// -- Toasts -------------------------------------------------------------------

let toasts = null;

// A short notice at the bottom of the screen, read out politely.
// action: { label, run } adds a button (the notice goes once it is used);
// sticky keeps the notice until it is closed, for what must not be
// missed (a reminder).
export function toast(text, { kind = 'ok', action = null, sticky = false, className = null } = {}) {
  if (!toasts) {
    toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toasts);
  }
  const el = h('div', { class: ['toast', `toast-${kind}`, action && 'toast-has-action', className] },
    icon(kind === 'ok' ? 'check' : 'alert', { size: 16 }), h('p', { class: 'toast-text' }, text),
    action ? h('button', {
      class: 'link-btn toast-action', type: 'button',
      onclick: () => {
        el.remove();
        action.run();
      },
    }, action.label) : null,
    sticky ? h('button', {
      class: 'icon-btn icon-btn-s toast-close', type: 'button', 'aria-label': t('action.close'),
      title: t('action.close'), onclick: () => el.remove(),
    }, icon('x', { size: 14 })) : null);
  toasts.append(el);
  if (!sticky) setTimeout(() => el.remove(), action ? 15000 : 8000);
}

modHooks.onHandled = () => toast(t('report.handled'));

// -- A menu of actions ---------------------------------------------------------

let menu = null;

function theMenu() {
  if (!menu) {
    menu = h('div', { class: 'menu mod-menu', id: 'mod-menu', popover: 'auto', role: 'menu' });
    // Up and Down move between the items, as in any menu.
    menu.addEventListener('keydown', (e) => {
      const items = [...menu.querySelectorAll('[role="menuitem"]')];
      const i = items.indexOf(document.activeElement);
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = items.length;
        items[(i + (e.key === 'ArrowDown' ? 1 : n - 1) + n) % n]?.focus();
      } else if (e.key === 'Home' || e.key === 'End') {
        e.preventDefault();
        items[e.key === 'Home' ? 0 : items.length - 1]?.focus();
      }
    });
    document.body.append(menu);
  }
  return menu;
}

// items: [{ icon, label, danger, run }] (null entries skipped).
function showMenu(button, label, items) {
  const el = theMenu();
  if (el.matches(':popover-open')) el.hidePopover();
  const list = items.filter(Boolean);
  el.setAttribute('aria-label', label);
  replaceChildren(el, list.map((it) => h('button', {
    class: ['menu-item', it.danger && 'menu-item-danger'], type: 'button', role: 'menuitem',
    onclick: () => {
      el.hidePopover();
      it.run();
    },
  }, modIcon(it.icon), h('span', { class: 'menu-item-text' }, it.label))));
  button.setAttribute('aria-expanded', 'true');
  // The message keeps its actions shown while its menu is open.
  const row = button.closest('.msg');
  row?.classList.add('mod-menu-open');
  el.addEventListener('toggle', (e) => {
    if (e.newState === 'closed') {
      row?.classList.remove('mod-menu-open');
      button.setAttribute('aria-expanded', 'false');
      if (!document.querySelector('dialog[open]') && el.contains(document.activeElement)) button.focus();
    }
  }, { once: true });
  try {
    el.showPopover({ source: button });
  } catch {
    el.showPopover();
  }
  el.querySelector('[role="menuitem"]')?.focus();
}

// The "more" button of a message's actions (messages.js puts it there):
// nothing in direct conversations, where moderation does not apply.
// Everyone may ask to be reminded of a message, so every message has it.
export function messageMoreButton(m, ch) {
  if (!ch || m.deleted) return null;
  return h('button', {
    class: 'icon-btn icon-btn-s msg-more', type: 'button', 'aria-haspopup': 'menu',
    'aria-expanded': 'false', 'aria-label': t('mod.more'), title: t('mod.more'),
    onclick: (e) => openMessageMenu(m, ch, e.currentTarget),
  }, modIcon('more'));
}

export async function openMessageMenu(m, ch, button) {
  const hiveId = ch.hive_id;
  const mine = m.author_id === store.me?.id;
  const mod = ch.kind !== 'direct' && canModerate(hiveId) && !ch.archived;
  const onAuthor = ch.kind !== 'direct' && canActOn(hiveId, m.author_id);
  // Pin or unpin: the channel's pins tell (loaded once, then live).
  if (mod) await loadPins(ch.id);
  const pinned = isPinned(m);
  showMenu(button, t('mod.messageMenu'), [
    {
      icon: 'bell', label: t('remind.action'),
      // The choices replace the menu once it has closed.
      run: () => setTimeout(() => showMenu(button, t('remind.menu'), remindChoices().map((c) => ({
        icon: 'clock', label: c.label, run: () => remindMe(m, c.at),
      }))), 60),
    },
    !mine && ch.kind !== 'direct' ? { icon: 'flag', label: t('report.action'), run: () => openReport(m) } : null,
    mod ? {
      icon: 'pin', label: pinned ? t('pin.remove') : t('pin.add'),
      run: () => togglePin(m, pinned),
    } : null,
    mod && onAuthor ? {
      icon: 'trash', label: t('mod.remove'), danger: true, run: () => openRemove(m),
    } : null,
    mod && onAuthor && !mutedUntil(hiveId, m.author_id) ? {
      icon: 'mute', label: t('mod.muteName', { name: userName(m.author_id) }),
      run: () => openMute(hiveId, m.author_id),
    } : null,
  ]);
}

// The "…" beside a member in the member list, for those who may act on
// them.
export function memberMoreButton(hiveId, member) {
  if (!canActOn(hiveId, member.user_id) || hiveOf(hiveId)?.archived) return null;
  return h('button', {
    class: 'icon-btn icon-btn-s member-more', type: 'button', 'aria-haspopup': 'menu',
    'aria-expanded': 'false', 'aria-label': t('mod.memberMenu', { name: member.display_name }),
    title: t('mod.memberMenu', { name: member.display_name }),
    onclick: (e) => openMemberMenu(hiveId, member.user_id, e.currentTarget),
  }, modIcon('more'));
}

export function openMemberMenu(hiveId, userId, button) {
  const muted = mutedUntil(hiveId, userId);
  showMenu(button, t('mod.memberMenu', { name: userName(userId) }), [
    muted
      ? { icon: 'mute', label: t('mod.unmute'), run: () => unmute(hiveId, userId) }
      : { icon: 'mute', label: t('mod.mute'), run: () => openMute(hiveId, userId) },
    { icon: 'door', label: t('mod.kick'), danger: true, run: () => openKick(hiveId, userId, false) },
    { icon: 'x', label: t('mod.ban'), danger: true, run: () => openKick(hiveId, userId, true) },
  ]);
}

// -- Dialogs ----------------------------------------------------------------------

let dialog = null;

function theDialog() {
  if (!dialog) {
    dialog = h('dialog', { class: 'dialog mod-dialog', id: 'mod-dialog', 'aria-labelledby': 'mod-dialog-title' });
    document.body.append(dialog);
  }
  return dialog;
}

function reasonField(label, { required = false, hint } = {}) {
  return field({
    name: 'reason', label, type: 'textarea', required, maxlength: REASON_MAX, hint,
  });
}

// A form in the dialog: run(values) does the work and returns what to
// say once done (the dialog then closes), or throws an ApiError, said in
// the form.  extra: nodes above the fields.
function formDialog({ title, intro, fields, submit, danger = false, run, extra = null, done }) {
  const el = theDialog();
  const msg = formMessage();
  const btn = submitButton(submit, { wide: false, kind: danger ? 'danger' : 'primary' });
  const form = h('form', { class: 'dialog-body form', novalidate: true },
    h('h2', { class: 'dialog-title', id: 'mod-dialog-title' }, title),
    intro ? h('p', { class: 'dialog-text' }, intro) : null,
    extra, msg.el, fields.map((f) => f.el),
    h('div', { class: 'dialog-actions' },
      h('button', { class: 'btn btn-quiet', type: 'button', onclick: () => el.close() }, t('action.cancel')),
      btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    btn.busy(true);
    try {
      const said = await run();
      if (said === false) return;
      if (done) {
        // A confirmation that stays until read.
        replaceChildren(el, h('div', { class: 'dialog-body' },
          h('h2', { class: 'dialog-title', id: 'mod-dialog-title' }, title),
          h('p', { class: 'dialog-text', role: 'status' }, done),
          h('div', { class: 'dialog-actions' },
            h('button', { class: 'btn btn-primary', type: 'button', autofocus: true, onclick: () => el.close() },
              t('action.ok')))));
        el.querySelector('.btn-primary').focus();
      } else {
        el.close();
        if (said) toast(said);
      }
    } catch (err) {
      msg.set(modErrorText(err.code || 'unknown', errorText));
    } finally {
      btn.busy(false);
    }
  });
  replaceChildren(el, form);
  if (!el.open) el.showModal();
  (fields[0]?.input || btn).focus();
  return new Promise((resolve) => el.addEventListener('close', () => resolve(), { once: true }));
}

function reasonOf(f) {
  const v = f.value().trim();
  return v || undefined;
}

export function openReport(m) {
  const reason = reasonField(t('report.reason'), { required: true, hint: t('report.reasonHint') });
  return formDialog({
    title: t('report.title'),
    intro: t('report.intro', { name: userName(m.author_id) }),
    fields: [reason],
    submit: t('report.send'),
    done: t('report.done'),
    run: async () => {
      const r = reason.value().trim();
      if (!r) {
        reason.setError(t('report.reasonEmpty'));
        reason.input.focus();
        return false;
      }
      await request('report.create', { message_id: m.id, reason: r });
      return true;
    },
  });
}

// Removes message m as a mentor; after() runs once it is done (the
// report queue marks its report actioned).
export function openRemove(m, { after } = {}) {
  const reason = reasonField(t('mod.reasonOptional'), { hint: t('mod.removeHint') });
  return formDialog({
    title: t('mod.removeTitle'),
    intro: t('mod.removeIntro', { name: userName(m.author_id) }),
    fields: [reason],
    submit: t('mod.remove'),
    danger: true,
    run: async () => {
      const params = { message_id: m.id };
      const r = reasonOf(reason);
      if (r) params.reason = r;
      await request('mod.delete', params);
      await after?.();
      return t('mod.removed');
    },
  });
}

const DURATIONS = [
  ['600', 'mod.for.10m'], ['3600', 'mod.for.1h'], ['86400', 'mod.for.1d'], ['custom', 'mod.for.custom'],
];
const MUTE_MAX_MIN = 30 * 24 * 60;

export function openMute(hiveId, userId, { after } = {}) {
  const name = userName(userId);
  const duration = field({
    name: 'duration', label: t('mod.duration'), value: '600',
    options: DURATIONS.map(([v, k]) => [v, t(k)]),
  });
  const minutes = field({
    name: 'minutes', label: t('mod.minutes'), type: 'number', value: '30', min: 1,
    max: MUTE_MAX_MIN, inputmode: 'numeric', hint: t('mod.minutesHint'),
  });
  minutes.el.hidden = true;
  duration.input.addEventListener('change', () => {
    minutes.el.hidden = duration.value() !== 'custom';
  });
  const reason = reasonField(t('mod.reasonOptional'), { hint: t('mod.muteHint') });
  return formDialog({
    title: t('mod.muteTitle', { name }),
    intro: t('mod.muteIntro'),
    fields: [duration, minutes, reason],
    submit: t('mod.mute'),
    run: async () => {
      let seconds = Number(duration.value());
      if (duration.value() === 'custom') {
        const n = Number(minutes.value());
        if (!Number.isInteger(n) || n < 1 || n > MUTE_MAX_MIN) {
          minutes.setError(t('mod.minutesBad', { max: MUTE_MAX_MIN }));
          minutes.input.focus();
          return false;
        }
        seconds = n * 60;
      }
      const params = { hive_id: hiveId, user_id: userId, seconds };
      const r = reasonOf(reason);
      if (r) params.reason = r;
      const res = await request('mod.mute', params);
      await after?.();
      return t('mod.muted', { name, time: timeOf(res.mute.until) });
    },
  });
}

async function unmute(hiveId, userId) {
  try {
    await request('mod.unmute', { hive_id: hiveId, user_id: userId });
    toast(t('mod.unmuted', { name: userName(userId) }));
  } catch (err) {
    toast(modErrorText(err.code, errorText), { kind: 'bad' });
  }
}

export function openKick(hiveId, userId, ban, { after } = {}) {
  const name = userName(userId);
  const reason = reasonField(t('mod.reasonOptional'));
  return formDialog({
    title: t(ban ? 'mod.banTitle' : 'mod.kickTitle', { name, hive: hiveOf(hiveId)?.name || '' }),
    intro: t(ban ? 'mod.banIntro' : 'mod.kickIntro'),
    fields: [reason],
    submit: t(ban ? 'mod.ban' : 'mod.kick'),
    danger: true,
    run: async () => {
      const params = { hive_id: hiveId, user_id: userId };
      const r = reasonOf(reason);
      if (r) params.reason = r;
      await request(ban ? 'mod.ban' : 'mod.kick', params);
      await after?.();
      return t(ban ? 'mod.banned' : 'mod.kicked', { name });
    },
  });
}

async function togglePin(m, pinned) {
  try {
    await request(pinned ? 'pin.remove' : 'pin.add', { message_id: m.id });
    toast(pinned ? t('pin.removed') : t('pin.added'));
  } catch (err) {
    // Pinned or unpinned meanwhile, elsewhere: the list is live anyway.
    if (err.code === 'already_exists') toast(t('pin.added'));
    else toast(modErrorText(err.code, errorText), { kind: 'bad' });
  }
}

// "14:05", or a date and time when it is not today.
export function timeOf(ms) {
  const d = new Date(ms);
  const lang = store.t?.lang || 'en';
  const sameDay = d.toDateString() === new Date().toDateString();
  return new Intl.DateTimeFormat(lang, sameDay
    ? { hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(d);
}

// -- A channel's slow mode and lock (in its settings, channels.js) ----------------

const SLOW_STEPS = [0, 10, 30, 60, 120, 300, 900, 3600];

// The two fields of a channel's settings; save() sends what changed
// (after the rest of the settings) and throws the server's refusal.
export function channelModFields(ch) {
  const current = ch.slow_mode_seconds || 0;
  const steps = SLOW_STEPS.includes(current) ? SLOW_STEPS : [...SLOW_STEPS, current].sort((a, b) => a - b);
  const slow = field({
    name: 'slow_mode', label: t('channel.slowMode'), value: String(current),
    hint: t('channel.slowModeHint'),
    options: steps.map((s) => [String(s), s ? t('channel.slowEvery', { time: durationText(s) }) : t('channel.slowOff')]),
  });
  const lockId = `lock-${ch.id}`;
  const lock = h('input', { type: 'checkbox', id: lockId, name: 'locked', checked: Boolean(ch.locked) });
  const lockEl = h('div', { class: 'field field-check' },
    h('label', { class: 'check', for: lockId }, lock,
      h('span', {}, h('span', { class: 'label' }, t('channel.lock')),
        h('span', { class: 'field-hint' }, t('channel.lockHint')))));
  return {
    els: [slow.el, lockEl],
    changed: () => Number(slow.value()) !== current || lock.checked !== Boolean(ch.locked),
    async save() {
      if (Number(slow.value()) !== current) {
        await request('mod.slow_mode', { channel_id: ch.id, seconds: Number(slow.value()) });
      }
      if (lock.checked !== Boolean(ch.locked)) {
        await request('mod.lock', { channel_id: ch.id, locked: lock.checked });
      }
    },
  };
}

// "30 s", "2 min", "1 h".
export function durationText(s) {
  if (s < 60) return t('time.seconds', { n: s });
  if (s < 3600) return t('time.minutes', { n: Math.round(s / 60) });
  if (s < 86400) return t('time.hours', { n: Math.round(s / 360) / 10 });
  return t('time.days', { n: Math.round(s / 8640) / 10 });
}
