// composer.js - writing a message: Enter sends, Shift+Enter starts a new
// line, Up (in an empty box) edits your last message, Escape drops a
// reply, and @ offers the people of the conversation.

import { h, avatar, replaceChildren, setText } from './dom.js';
import { icon } from './icons.js';
import { plainText } from './format.js';
import {
  store, t, userName, channelLabel, canPost, myRole, hiveOf,
} from './store.js';
import { sendMessage, sendTyping, typingStopped, timeline, hooks } from './session.js';
import { startEdit, stickToBottom } from './messages.js';
import {
  mutedUntil, slowUntil, slowApplies, setSlow, noteMuted,
} from './modstate.js';
import { timeOf } from './moderation.js';
import { errorText } from './forms.js';
import { quietFor } from './meetroom.js';
import { openScheduleDialog } from './scheduled.js';

const MAX_CHARS = 4000;
const drafts = new Map(); // channel id -> unsent text

let v = null;
let cid = null;
let mention = null; // { start, query, options, active }

export function mount(container) {
  const input = h('textarea', {
    id: 'composer-input', class: 'composer-input', rows: 1, dir: 'auto',
    role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
    'aria-controls': 'mention-list', 'aria-describedby': 'composer-hint',
    enterkeyhint: 'send',
  });
  const send = h('button', { class: 'send-btn', type: 'submit', 'aria-label': t('composer.send'), title: t('composer.send') },
    icon('send', { size: 18 }));
  const replyBar = h('div', { class: 'reply-bar', hidden: true });
  const list = h('ul', { class: 'mention-list', id: 'mention-list', role: 'listbox', hidden: true, 'aria-label': t('composer.people') });
  const error = h('p', { class: 'composer-error', role: 'alert', hidden: true });
  const hint = h('p', { class: 'composer-hint', id: 'composer-hint' }, t('composer.hint'));
  const readOnly = h('p', { class: 'composer-readonly', hidden: true }, icon('lock', { size: 15 }), h('span'));
  // The hive's rules for this person here: muted, slow mode.  Not a live
  // region (the countdown would be read every second): the input
  // describes itself with it, and a refused send says it as an alert.
  const modNote = h('p', { class: 'composer-mod', id: 'composer-mod', hidden: true },
    icon('clock', { size: 15 }), h('span'));
  // Writing now, posted later (scheduled.js): the text goes to a dialog.
  const later = h('button', {
    class: 'icon-btn composer-later', type: 'button', id: 'composer-schedule',
    'aria-label': t('sched.open'), title: t('sched.open'), 'aria-haspopup': 'dialog',
    onclick: () => {
      if (!cid) return;
      const from = cid;
      openScheduleDialog(from, v.input.value.trim(), () => {
        drafts.delete(from);
        if (cid === from) v.input.value = '';
      });
    },
  }, icon('clock', { size: 18 }));
  const form = h('form', { class: 'composer', novalidate: true },
    list, replyBar, modNote, h('div', { class: 'composer-box' }, input, later, send), error, hint);
  container.append(form, readOnly);
  v = { form, input, send, later, replyBar, list, error, hint, readOnly, modNote };
  hooks.onRefused = refused;

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  input.addEventListener('keydown', onKey);
  input.addEventListener('input', () => {
    drafts.set(cid, input.value);
    v.error.hidden = true;
    if (input.value.trim()) sendTyping(cid);
    updateMention();
  });
  input.addEventListener('click', updateMention);
  input.addEventListener('blur', () => setTimeout(closeMention, 150));
}

function submit() {
  const text = v.input.value.trim();
  if (!text || !cid) return;
  if (renderModNote()) {
    // Muted, or too soon in slow mode: the text stays, the note says why.
    v.modNote.classList.remove('composer-mod-flash');
    void v.modNote.offsetWidth;
    v.modNote.classList.add('composer-mod-flash');
    v.error.hidden = false;
    setText(v.error, v.modNote.textContent);
    modError = true;
    return;
  }
  if ([...text].length > MAX_CHARS) {
    v.error.hidden = false;
    setText(v.error, t('composer.tooLong', { n: MAX_CHARS }));
    return;
  }
  const reply = store.ui.replyTo;
  stickToBottom();
  sendMessage(cid, text, reply && reply.channel_id === cid ? reply.id : null);
  typingStopped();
  v.input.value = '';
  drafts.delete(cid);
  store.ui.replyTo = null;
  closeMention();
  renderReply();
}

function onKey(e) {
  if (mention && !v.list.hidden) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = mention.options.length;
      mention.active = (mention.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      renderMention();
      return;
    }
    if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      choose(mention.options[mention.active]);
      return;
    }
    if (e.key === 'Escape') {
      e.preventDefault();
      closeMention();
      return;
    }
  }
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submit();
  } else if (e.key === 'ArrowUp' && !v.input.value && !e.shiftKey) {
    const last = lastOwnMessage();
    if (last) {
      e.preventDefault();
      startEdit(last.id);
    }
  } else if (e.key === 'Escape' && store.ui.replyTo) {
    e.preventDefault();
    store.ui.replyTo = null;
    renderReply();
  }
}

function lastOwnMessage() {
  const tl = timeline(cid);
  for (let i = tl.messages.length - 1; i >= 0; i--) {
    const m = tl.messages[i];
    if (m.author_id === store.me.id && !m.deleted) return m;
  }
  return null;
}

// -- Mentions ---------------------------------------------------------------

function people() {
  const ch = store.channels.get(cid);
  if (!ch) return [];
  if (ch.kind === 'direct') {
    return (ch.members || []).map((id) => store.users.get(id)).filter(Boolean)
      .map((u) => ({ user_id: u.id, handle: u.handle, display_name: u.display_name }));
  }
  const list = [...(store.members.get(ch.hive_id) || [])];
  if (store.me.admin || myRole(ch.hive_id) === 'mentor') {
    list.push({ user_id: 0, handle: 'hive', display_name: t('composer.everyone') });
  }
  return list;
}

function updateMention() {
  const { input } = v;
  const upto = input.value.slice(0, input.selectionStart);
  const m = /(^|[^\p{L}\p{N}_.@-])@([a-z0-9_.-]{0,32})$/iu.exec(upto);
  if (!m) {
    closeMention();
    return;
  }
  const q = m[2].toLowerCase();
  const options = people()
    .filter((p) => p.user_id !== store.me.id)
    .map((p) => {
      const handle = p.handle.toLowerCase();
      const name = (p.display_name || '').toLowerCase();
      let score = -1;
      if (handle.startsWith(q)) score = 0;
      else if (name.startsWith(q)) score = 1;
      else if (name.split(/\s+/).some((w) => w.startsWith(q))) score = 2;
      else if (handle.includes(q)) score = 3;
      return { p, score };
    })
    .filter((x) => x.score >= 0)
    .sort((a, b) => a.score - b.score || a.p.handle.localeCompare(b.p.handle))
    .slice(0, 6)
    .map((x) => x.p);
  if (!options.length) {
    closeMention();
    return;
  }
  const keep = mention?.options[mention.active]?.handle;
  const active = Math.max(0, options.findIndex((o) => o.handle === keep));
  mention = { start: upto.length - m[2].length - 1, query: q, options, active };
  renderMention();
}

function renderMention() {
  const { list, input } = v;
  replaceChildren(list, mention.options.map((p, i) => h('li', {
    id: `mention-opt-${i}`, role: 'option', class: 'mention-opt',
    'aria-selected': i === mention.active ? 'true' : 'false',
    onmousedown: (e) => {
      e.preventDefault();
      choose(p);
    },
  }, p.user_id ? avatar({ id: p.user_id, display_name: p.display_name }, { size: 's' })
    : h('span', { class: 'avatar avatar-s avatar-all', 'aria-hidden': 'true' }, '@'),
  h('span', { class: 'mention-name' }, p.display_name),
  h('span', { class: 'mention-handle' }, `@${p.handle}`))));
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  input.setAttribute('aria-activedescendant', `mention-opt-${mention.active}`);
}

function choose(p) {
  if (!mention || !p) return;
  const { input } = v;
  const before = input.value.slice(0, mention.start);
  const after = input.value.slice(input.selectionStart);
  const insert = `@${p.handle} `;
  input.value = before + insert + after.replace(/^\s/, '');
  const caret = before.length + insert.length;
  input.setSelectionRange(caret, caret);
  drafts.set(cid, input.value);
  closeMention();
  input.focus();
}

function closeMention() {
  mention = null;
  if (!v) return;
  v.list.hidden = true;
  v.input.setAttribute('aria-expanded', 'false');
  v.input.removeAttribute('aria-activedescendant');
}

// -- The hive's rules ------------------------------------------------------------

const HELD = ['muted', 'slow_mode', 'blocked_word', 'link_limit', 'channel_locked'];

// The server refused a send for the hive's rules: the text comes back
// into the box (unless something else was typed since) with the reason.
function refused(p, err) {
  if (!HELD.includes(err.code)) return false;
  const ch = store.channels.get(p.channel_id);
  const details = err.details || {};
  if (err.code === 'muted' && ch && details.until) noteMuted(ch.hive_id, details.until);
  if (err.code === 'slow_mode') setSlow(p.channel_id, Date.now() + (details.retry_after_ms || 1000));
  if (p.channel_id === cid) {
    if (!v.input.value.trim()) v.input.value = p.text;
    drafts.set(cid, v.input.value);
    v.error.hidden = false;
    setText(v.error, errorText(err.code));
    v.input.focus();
  } else if (!drafts.get(p.channel_id)) {
    drafts.set(p.channel_id, p.text);
  }
  return true;
}

let tick = null;
let modError = false; // the error line repeats the note: it goes with it

// Shows whether the person may write here now; true when they may not.
function renderModNote() {
  const ch = store.channels.get(cid);
  let text = '';
  let blocked = false;
  if (ch && ch.kind !== 'direct') {
    const muted = mutedUntil(ch.hive_id);
    const wait = slowApplies(ch) ? slowUntil(cid) : null;
    if (muted) {
      text = t('composer.muted', { time: timeOf(muted) });
      blocked = true;
    } else if (wait) {
      text = t('composer.slowWait', { n: Math.ceil((wait - Date.now()) / 1000) });
      blocked = true;
    } else if (quietFor(cid) !== null) {
      // A meetup's round where only the speaker may post (meetroom.js).
      text = t('composer.speakerOnly', { name: userName(quietFor(cid)) });
      blocked = true;
    } else if (slowApplies(ch)) {
      text = t('composer.slow', { n: ch.slow_mode_seconds });
    }
    // The countdown ticks while there is one.
    if (wait && !tick) {
      tick = setInterval(() => {
        if (!renderModNote() || !slowUntil(cid)) {
          clearInterval(tick);
          tick = null;
        }
      }, 1000);
    }
  }
  v.modNote.hidden = !text;
  if (!blocked && modError) {
    modError = false;
    v.error.hidden = true;
  }
  v.modNote.classList.toggle('composer-mod-blocked', blocked);
  setText(v.modNote.lastChild, text);
  v.send.disabled = blocked;
  if (blocked) v.input.setAttribute('aria-describedby', 'composer-mod composer-hint');
  else v.input.setAttribute('aria-describedby', 'composer-hint');
  return blocked;
}

// -- Render -----------------------------------------------------------------

function renderReply() {
  const r = store.ui.replyTo;
  const { replyBar } = v;
  if (!r || r.channel_id !== cid) {
    replyBar.hidden = true;
    replaceChildren(replyBar);
    return;
  }
  replyBar.hidden = false;
  replaceChildren(replyBar,
    icon('reply', { size: 15 }),
    h('span', { class: 'reply-to' }, t('composer.replyingTo'), ' ',
      h('strong', {}, userName(r.author_id))),
    h('span', { class: 'reply-text' }, plainText(r.text, 80)),
    h('button', {
      class: 'icon-btn icon-btn-s', type: 'button', 'aria-label': t('composer.cancelReply'),
      title: t('composer.cancelReply'),
      onclick: () => {
        store.ui.replyTo = null;
        renderReply();
        v.input.focus();
      },
    }, icon('x', { size: 15 })));
}

export function render(focus = false) {
  const next = store.route.channelId && store.channels.has(store.route.channelId)
    ? store.route.channelId : null;
  const ch = store.channels.get(next);
  const switched = next !== cid;
  if (switched) {
    cid = next;
    closeMention();
    v.input.value = drafts.get(cid) || '';
    v.error.hidden = true;
    if (store.ui.replyTo && store.ui.replyTo.channel_id !== cid) store.ui.replyTo = null;
  }
  const writable = Boolean(ch && canPost(ch));
  v.form.hidden = !ch || !writable;
  v.readOnly.hidden = !ch || writable;
  if (ch && !writable) {
    const archived = ch.archived || (ch.kind !== 'direct' && hiveOf(ch.hive_id)?.archived);
    setText(v.readOnly.lastChild, archived ? t('composer.archived')
      : ch.locked ? t('composer.locked') : t('composer.readOnly'));
  }
  renderModNote();
  if (ch) {
    const label = ch.kind === 'direct'
      ? t('composer.placeholderDirect', { name: channelLabel(ch) })
      : t('composer.placeholder', { name: channelLabel(ch) });
    v.input.placeholder = label;
    v.input.setAttribute('aria-label', label);
  }
  renderReply();
  if (focus && writable && (switched || store.ui.replyTo)) {
    // Phones open the keyboard on focus: only focus where there is room.
    if (window.matchMedia('(min-width: 761px)').matches || store.ui.replyTo) v.input.focus();
  }
}
