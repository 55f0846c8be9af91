// messages.js - a channel's messages: grouped by author and time, with
// day separators, quoted replies, edits and deletions, reactions, sends
// still pending, and paging back into history without the view jumping.
//
// The list is rebuilt from the store on each change, but an element is
// only replaced when what it shows changed (each row keeps a signature of
// its content), so the live region announces new messages only, and
// focus and text selection survive updates.

import { h, append, avatar, replaceChildren, setText } from './dom.js';
import { icon } from './icons.js';
import { formatText, plainText } from './format.js';
import { errorText } from './forms.js';
import {
  store, changed, t, userName, channelLabel, canPost,
} from './store.js';
import {
  timeline, loadOlder, loadNewer, quoted, jumpTo, jumpToLatest, markRead,
  retrySend, discardSend, editMessage, deleteMessage, react,
} from './session.js';

const GROUP_MS = 5 * 60 * 1000;
export const QUICK_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

let view = null; // the mounted elements
let shownCid = null; // the channel on screen
let newSince = new Map(); // channel id -> last read id when it was opened
let stick = false; // scroll to the newest message at the next render
let initial = false; // the channel was just opened: place the view once loaded
let pickerFor = null; // message the reaction picker is open for

export function mount(container) {
  const list = h('div', {
    class: 'tl', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
  });
  const head = h('div', { class: 'tl-head' });
  const scroller = h('div', { class: 'scroller', tabindex: '0' }, head, list);
  const latest = h('button', {
    class: 'jump-latest', type: 'button', hidden: true,
    onclick: () => toLatest(),
  }, icon('arrowDown', { size: 16 }), h('span'));
  const picker = h('div', { class: 'menu emoji-menu', popover: 'auto', id: 'emoji-picker' },
    QUICK_EMOJI.map((e) => h('button', {
      class: 'emoji-btn', type: 'button', 'aria-label': t('msg.reactWith', { emoji: e }),
      onclick: () => {
        const m = pickerFor;
        picker.hidePopover();
        if (m) toggleReaction(m, e);
      },
    }, e)));
  // The dialog serves every view (the admin pages too): it lives outside them.
  const dialog = confirmDialog();
  append(container, scroller, latest, picker);
  document.body.append(dialog.el);
  view = { container, scroller, list, head, latest, picker, dialog };
  scroller.addEventListener('scroll', onScroll, { passive: true });
  scroller.addEventListener('keydown', onKey);
  picker.addEventListener('toggle', (e) => {
    if (e.newState === 'closed') {
      document.querySelector('.picker-open')?.classList.remove('picker-open');
    }
  });
}

// -- Scrolling ----------------------------------------------------------------

function isAtBottom() {
  const s = view.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 40;
}

function onScroll() {
  const cid = shownCid;
  if (!cid) return;
  const tl = timeline(cid);
  const s = view.scroller;
  if (s.scrollTop < 400 && tl.moreBefore && !tl.olderLoading) loadOlder(cid);
  if (s.scrollHeight - s.scrollTop - s.clientHeight < 400 && tl.moreAfter && !tl.newerLoading) {
    loadNewer(cid);
  }
  const bottom = isAtBottom() && !tl.moreAfter;
  if (bottom !== store.ui.atBottom) {
    store.ui.atBottom = bottom;
    updateLatestButton();
  }
  if (bottom && document.visibilityState === 'visible') markRead(cid);
}

// The keyboard in the list: Up and Down go from message to message (a
// focused message shows its actions, reached with Tab), Home and End to
// the first and last loaded, Escape back to the composer.
function onKey(e) {
  if (e.target.closest('.editor, .msg-actions, .reactions, .quote, a, button, textarea')) {
    if (e.key === 'Escape' && !e.target.closest('.editor')) e.target.closest('.msg')?.focus();
    return;
  }
  const all = [...view.list.querySelectorAll('.msg')];
  if (!all.length) return;
  const current = e.target.closest('.msg');
  let i = current ? all.indexOf(current) : all.length;
  if (e.key === 'ArrowUp') i = Math.max(0, i - 1);
  else if (e.key === 'ArrowDown') {
    if (!current) return;
    i = Math.min(all.length - 1, i + 1);
  } else if (e.key === 'Home' && current) i = 0;
  else if (e.key === 'End' && current) i = all.length - 1;
  else if (e.key === 'Escape') {
    e.preventDefault();
    document.getElementById('composer-input')?.focus();
    return;
  } else return;
  e.preventDefault();
  all[i].focus({ preventScroll: true });
  all[i].scrollIntoView({ block: 'nearest' });
}

function toLatest() {
  const cid = shownCid;
  const tl = timeline(cid);
  stick = true;
  if (tl.moreAfter) jumpToLatest(cid);
  else render(new Set([cid]));
}

function updateLatestButton() {
  const cid = shownCid;
  const ch = store.channels.get(cid);
  const tl = cid ? timeline(cid) : null;
  const show = Boolean(tl?.loaded && (!store.ui.atBottom || tl.moreAfter));
  view.latest.hidden = !show;
  if (show) {
    const n = ch?.unread || 0;
    setText(view.latest.lastChild, n ? store.t.n('msg.newBelow', n) : t('msg.latest'));
  }
}

// Whether the person sees the newest messages of cid right now.
export function isReading(cid) {
  if (cid !== shownCid || document.visibilityState !== 'visible') return false;
  const tl = store.timelines.get(cid);
  return Boolean(tl?.loaded && !tl.moreAfter && store.ui.atBottom);
}

// The composer asks to see one's own message arrive.
export function stickToBottom() {
  stick = true;
}

// -- Rendering ----------------------------------------------------------------

const timeFmt = new Map();
function fmt(kind) {
  const lang = store.t?.lang || 'en';
  const key = `${lang}:${kind}`;
  if (!timeFmt.has(key)) {
    const opts = {
      time: { hour: 'numeric', minute: '2-digit' },
      full: { dateStyle: 'full', timeStyle: 'short' },
      day: { weekday: 'long', day: 'numeric', month: 'long' },
      dayYear: { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' },
      short: { day: 'numeric', month: 'short' },
    }[kind];
    timeFmt.set(key, new Intl.DateTimeFormat(lang, opts));
  }
  return timeFmt.get(key);
}

export function formatTime(ms) {
  return fmt('time').format(new Date(ms));
}

export function formatDate(ms) {
  return fmt('short').format(new Date(ms));
}

export function formatShortDate(ms) {
  const d = new Date(ms);
  if (dayKey(ms) === dayKey(Date.now())) return formatTime(ms);
  return fmt('short').format(d);
}

function dayKey(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

function dayLabel(ms) {
  const today = new Date();
  const d = new Date(ms);
  if (dayKey(ms) === dayKey(today.getTime())) return t('day.today');
  const y = new Date(today);
  y.setDate(today.getDate() - 1);
  if (dayKey(ms) === dayKey(y.getTime())) return t('day.yesterday');
  const label = (d.getFullYear() === today.getFullYear() ? fmt('day') : fmt('dayYear')).format(d);
  return label.charAt(0).toUpperCase() + label.slice(1);
}

function timeEl(ms, className = 'msg-time') {
  const d = new Date(ms);
  return h('time', {
    class: className, datetime: d.toISOString(), title: fmt('full').format(d),
  }, formatTime(ms));
}

function roleOf(userId, ch) {
  if (!ch || ch.kind === 'direct') return null;
  const m = store.members.get(ch.hive_id)?.find((x) => x.user_id === userId);
  return m?.role || null;
}

function mentionContext(ch) {
  const handles = new Set();
  if (ch?.kind === 'direct') {
    for (const id of ch.members || []) {
      const u = store.users.get(id);
      if (u) handles.add(u.handle.toLowerCase());
    }
  } else {
    for (const m of store.members.get(ch?.hive_id) || []) handles.add(m.handle.toLowerCase());
  }
  return {
    handles,
    me: store.me?.handle?.toLowerCase(),
    hiveMention: ch?.kind !== 'direct',
  };
}

function rowsFor(cid) {
  const tl = timeline(cid);
  const ch = store.channels.get(cid);
  const rows = [];
  // The "new" line only when the first unread message is loaded.
  let since = newSince.get(cid);
  if (since !== undefined && tl.moreBefore && !(tl.messages[0]?.id <= since)) since = undefined;
  let prev = null;
  let prevDay = null;
  let dividerDone = false;
  const ctx = mentionContext(ch);
  for (const m of tl.messages) {
    const day = dayKey(m.created_at);
    if (day !== prevDay) {
      rows.push({ key: `d:${day}`, sig: dayLabel(m.created_at), make: () => daySep(m.created_at) });
      prevDay = day;
      prev = null;
    }
    if (!dividerDone && since !== undefined && m.id > since && m.author_id !== store.me.id) {
      dividerDone = true;
      rows.push({ key: 'new', sig: 'new', make: newDivider });
      prev = null;
    }
    const grouped = Boolean(prev && prev.author_id === m.author_id && !m.reply_to &&
      !prev.deleted && !m.deleted && m.created_at - prev.created_at < GROUP_MS);
    rows.push(messageRow(m, ch, grouped, ctx));
    prev = m;
  }
  if (!tl.moreAfter) {
    for (const p of store.pending) {
      if (p.channel_id !== cid) continue;
      const day = dayKey(p.created_at);
      if (day !== prevDay) {
        rows.push({ key: `d:${day}`, sig: dayLabel(p.created_at), make: () => daySep(p.created_at) });
        prevDay = day;
        prev = null;
      }
      const grouped = Boolean(prev && prev.author_id === p.author_id && !p.reply_to &&
        !prev.deleted && p.created_at - prev.created_at < GROUP_MS);
      rows.push(messageRow(p, ch, grouped, ctx, true));
      prev = p;
    }
  }
  return rows;
}

function daySep(ms) {
  return h('div', { class: 'day-sep', role: 'separator' }, h('span', {}, dayLabel(ms)));
}

function newDivider() {
  return h('div', { class: 'new-sep', role: 'separator' }, h('span', {}, t('msg.new')));
}

function quoteSig(cid, m) {
  if (!m.reply_to) return null;
  const q = quoted(cid, m.reply_to);
  if (!q) return 'loading';
  return [q.missing, q.deleted, q.author_id, q.text];
}

function messageRow(m, ch, grouped, ctx, pending = false) {
  const cid = m.channel_id;
  const key = pending ? `p:${m.nonce}` : `m:${m.id}`;
  const editing = !pending && store.ui.editing === m.id;
  const main = JSON.stringify([
    m.text, m.edited_at, m.deleted, grouped, quoteSig(cid, m), userName(m.author_id),
    roleOf(m.author_id, ch), editing, m.reply_count, m.state, m.error,
    store.t?.lang, [...ctx.handles].length,
  ]);
  const reactions = JSON.stringify(m.reactions || []);
  return {
    key,
    sig: main,
    rsig: reactions,
    make: () => messageEl(m, ch, grouped, ctx, pending),
    makeReactions: () => reactionsEl(m, ch),
  };
}

function messageEl(m, ch, grouped, ctx, pending) {
  const mine = m.author_id === store.me.id;
  const cid = m.channel_id;
  const author = userName(m.author_id);
  const role = roleOf(m.author_id, ch);
  const el = h('article', {
    class: [
      'msg', grouped && 'msg-cont', mine && 'msg-mine', m.deleted && 'msg-deleted',
      pending && `msg-${m.state}`,
    ],
    dataset: pending ? { nonce: m.nonce } : { id: m.id },
    tabindex: '-1',
  });
  const gutter = h('div', { class: 'msg-gutter' },
    grouped ? timeEl(m.created_at, 'msg-time msg-time-side') : avatar({ id: m.author_id, display_name: author }));
  const body = h('div', { class: 'msg-main' });
  if (!grouped) {
    body.append(h('div', { class: 'msg-head' },
      h('span', { class: 'msg-author' }, author),
      role === 'mentor' ? h('span', { class: 'role-tag' }, t('role.mentor')) : null,
      timeEl(m.created_at)));
  } else {
    body.append(h('span', { class: 'sr-only' }, `${author}, ${formatTime(m.created_at)}: `));
  }
  if (m.reply_to) body.append(quoteEl(cid, m.reply_to));
  if (m.deleted) {
    body.append(h('p', { class: 'msg-text msg-gone' }, icon('trash', { size: 14 }), t('msg.deleted')));
  } else if (store.ui.editing === m.id && !pending) {
    body.append(editorFor(m));
  } else {
    const text = h('div', { class: 'msg-text', dir: 'auto' }, formatText(m.text, ctx));
    if (m.edited_at) {
      text.append(' ', h('span', {
        class: 'msg-edited', title: fmt('full').format(new Date(m.edited_at)),
      }, t('msg.edited')));
    }
    body.append(text);
  }
  if (!pending && !m.deleted) body.append(reactionsEl(m, ch));
  if (m.reply_count) {
    body.append(h('p', { class: 'msg-thread' }, icon('message', { size: 14 }),
      store.t.n('msg.threadReplies', m.reply_count)));
  }
  if (pending) body.append(pendingStatus(m));
  el.append(gutter, body);
  if (!pending && !m.deleted && store.ui.editing !== m.id) el.append(actionsEl(m, ch, mine));
  return el;
}

function quoteEl(cid, id) {
  const q = quoted(cid, id);
  let who = '';
  let text;
  if (!q) text = t('msg.quoteLoading');
  else if (q.missing) text = t('msg.quoteMissing');
  else if (q.deleted) text = t('msg.deleted');
  else {
    who = userName(q.author_id);
    text = plainText(q.text, 120);
  }
  return h('button', {
    class: 'quote', type: 'button', 'aria-label': t('msg.quoteLabel', { name: who || '…', text }),
    onclick: () => jumpTo(cid, id),
    disabled: !q || q.missing,
  }, icon('reply', { size: 14 }),
  who ? h('span', { class: 'quote-author' }, who) : null,
  h('span', { class: 'quote-text' }, text));
}

function reactionsEl(m, ch) {
  const wrap = h('div', { class: 'reactions' });
  const can = ch && !ch.archived;
  for (const r of m.reactions || []) {
    wrap.append(h('button', {
      class: 'reaction', type: 'button', 'aria-pressed': r.mine ? 'true' : 'false',
      'aria-label': store.t.n('msg.reactionLabel', r.count, { emoji: r.emoji }),
      disabled: !can,
      onclick: () => toggleReaction(m, r.emoji),
    }, h('span', { class: 'reaction-emoji' }, r.emoji), h('span', { class: 'reaction-count' }, String(r.count))));
  }
  if ((m.reactions || []).length && can) {
    wrap.append(h('button', {
      class: 'reaction reaction-add', type: 'button', 'aria-label': t('msg.react'),
      title: t('msg.react'),
      onclick: (e) => openPicker(m, e.currentTarget),
    }, icon('smile', { size: 15 }), h('span', { class: 'reaction-plus' }, '+')));
  }
  wrap.hidden = !(m.reactions || []).length;
  return wrap;
}

function actionsEl(m, ch, mine) {
  const bar = h('div', { class: 'msg-actions', role: 'toolbar', 'aria-label': t('msg.actions') });
  const btn = (name, label, onclick) => h('button', {
    class: 'icon-btn icon-btn-s', type: 'button', 'aria-label': label, title: label, onclick,
  }, icon(name, { size: 16 }));
  if (ch && !ch.archived) {
    bar.append(btn('smile', t('msg.react'), (e) => openPicker(m, e.currentTarget)));
    if (canPost(ch)) {
      bar.append(btn('reply', t('msg.reply'), () => {
        store.ui.replyTo = m;
        changed('composer');
      }));
    }
    if (mine) {
      bar.append(btn('edit', t('msg.edit'), () => startEdit(m.id)));
      bar.append(btn('trash', t('msg.delete'), () => confirmDelete(m)));
    }
  }
  return bar;
}

function pendingStatus(p) {
  if (p.state === 'sending') {
    return h('p', { class: 'msg-status' }, icon('clock', { size: 13 }), t('msg.sending'));
  }
  const why = ['offline', 'disconnected', 'timeout'].includes(p.error)
    ? t('msg.failedOffline') : errorText(p.error);
  return h('p', { class: 'msg-status msg-status-bad', role: 'alert' },
    icon('alert', { size: 13 }), h('span', {}, t('msg.failed', { why })),
    h('button', { class: 'link-btn', type: 'button', onclick: () => retrySend(p.nonce) }, t('msg.retry')),
    h('button', { class: 'link-btn', type: 'button', onclick: () => discardSend(p.nonce) }, t('msg.discard')));
}

async function toggleReaction(m, emoji) {
  const mine = (m.reactions || []).find((r) => r.emoji === emoji)?.mine;
  try {
    await react(m, emoji, !mine);
  } catch (err) {
    console.warn('ruche: reaction:', err.code);
  }
}

function openPicker(m, button) {
  pickerFor = m;
  const { picker } = view;
  if (picker.matches(':popover-open')) picker.hidePopover();
  button.closest('.msg')?.classList.add('picker-open');
  try {
    picker.showPopover({ source: button });
  } catch {
    picker.showPopover();
  }
  picker.querySelector('button')?.focus();
}

// -- Editing and deleting -------------------------------------------------

let editor = null; // { id, el, textarea } kept across re-renders

export function startEdit(id) {
  store.ui.editing = id;
  editor = null;
  changed('messages', shownCid);
}

function stopEdit(focusComposer = true) {
  store.ui.editing = null;
  editor = null;
  changed('messages', shownCid);
  if (focusComposer) document.getElementById('composer-input')?.focus();
}

function editorFor(m) {
  if (editor?.id === m.id) return editor.el;
  const textarea = h('textarea', {
    class: 'input edit-input', 'aria-label': t('msg.editLabel'), rows: 1,
  });
  textarea.value = m.text;
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const save = async () => {
    const text = textarea.value.trim();
    if (!text) {
      confirmDelete(m);
      return;
    }
    if (text === m.text) {
      stopEdit();
      return;
    }
    try {
      await editMessage(m.id, m.channel_id, text);
      stopEdit();
    } catch (err) {
      error.hidden = false;
      error.textContent = errorText(err.code);
    }
  };
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      stopEdit();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      save();
    }
  });
  const el = h('div', { class: 'editor' }, textarea, error,
    h('div', { class: 'editor-bar' },
      h('span', { class: 'editor-hint' }, t('msg.editHint')),
      h('button', { class: 'btn btn-quiet btn-s', type: 'button', onclick: () => stopEdit() }, t('action.cancel')),
      h('button', { class: 'btn btn-primary btn-s', type: 'button', onclick: save }, t('action.save'))));
  editor = { id: m.id, el, textarea, fresh: true };
  return el;
}

function confirmDialog() {
  const text = h('p', { class: 'dialog-text' });
  const title = h('h2', { class: 'dialog-title', id: 'confirm-title' });
  const ok = h('button', { class: 'btn btn-danger', type: 'submit', value: 'ok' });
  const el = h('dialog', { class: 'dialog', 'aria-labelledby': 'confirm-title' },
    h('form', { method: 'dialog', class: 'dialog-body' }, title, text,
      h('div', { class: 'dialog-actions' },
        h('button', { class: 'btn btn-quiet', type: 'submit', value: 'cancel' }, t('action.cancel')),
        ok)));
  return {
    el,
    ask({ heading, body, confirm }) {
      title.textContent = heading;
      text.textContent = body;
      ok.textContent = confirm;
      el.returnValue = '';
      el.showModal();
      ok.focus();
      return new Promise((resolve) => {
        el.addEventListener('close', () => resolve(el.returnValue === 'ok'), { once: true });
      });
    },
  };
}

// Shared with the admin pages.
export function ask(options) {
  return view.dialog.ask(options);
}

async function confirmDelete(m) {
  const ok = await view.dialog.ask({
    heading: t('msg.deleteTitle'), body: t('msg.deleteBody'), confirm: t('msg.delete'),
  });
  if (!ok) return;
  try {
    await deleteMessage(m.id, m.channel_id);
    if (store.ui.editing === m.id) stopEdit();
  } catch (err) {
    console.warn('ruche: delete:', err.code);
  }
}

// -- The render -----------------------------------------------------------------

function headFor(cid, tl) {
  const ch = store.channels.get(cid);
  if (tl.olderLoading || (tl.loading && !tl.loaded)) {
    return ['loading', () => h('div', { class: 'tl-loading', role: 'status' },
      h('span', { class: 'spinner spinner-s' }), t('msg.loading'))];
  }
  if (tl.error && !tl.loaded) {
    return [`error:${tl.error}`, () => h('div', { class: 'tl-loading' },
      icon('alert', { size: 16 }), errorText(tl.error))];
  }
  if (tl.moreBefore) return ['more', () => h('div', { class: 'tl-more' })];
  if (!tl.loaded) return ['none', () => h('div')];
  const label = channelLabel(ch);
  const isDirect = ch?.kind === 'direct';
  return [`start:${cid}:${label}`, () => h('div', { class: 'tl-start' },
    h('div', { class: 'tl-start-icon', 'aria-hidden': 'true' },
      icon(isDirect ? 'message' : ch?.kind === 'announce' ? 'announce' : 'hash', { size: 26 })),
    h('h2', { class: 'tl-start-title' }, isDirect ? label : t('msg.startTitle', { name: label })),
    h('p', { class: 'tl-start-text' }, isDirect
      ? t('msg.startDirect', { name: label })
      : (ch?.topic || t('msg.startChannel', { name: label }))))];
}

// Renders channel cid (or nothing) into the list; keeps the scroll place.
export function render(details) {
  const cid = store.route.channelId && store.channels.has(store.route.channelId)
    ? store.route.channelId : null;
  const switched = cid !== shownCid;
  if (!switched && details && !details.has(cid) && !details.has('all')) return;
  if (switched) {
    if (shownCid) newSince.delete(shownCid);
    shownCid = cid;
    editor = null;
    store.ui.editing = null;
    replaceChildren(view.list);
    view.head._key = null;
    if (cid) {
      const ch = store.channels.get(cid);
      const label = ch?.kind === 'direct' ? channelLabel(ch) : `#${channelLabel(ch)}`;
      view.list.setAttribute('aria-label', t('msg.listLabel', { name: label }));
      view.scroller.setAttribute('aria-label', t('msg.listLabel', { name: label }));
      if (ch?.unread) newSince.set(cid, ch.last_read_id || 0);
      store.ui.atBottom = true;
      initial = true;
    }
  }
  if (!cid) return;
  const tl = timeline(cid);
  const s = view.scroller;

  // Where we are, to come back to it.
  const wasBottom = initial || stick || isAtBottom();
  let anchor = null;
  if (!wasBottom) {
    const top = s.getBoundingClientRect().top;
    // A message, by its key: day lines move when older messages of the
    // same day arrive, and an element may be rebuilt (grouping changes).
    for (const el of view.list.children) {
      if (!el.classList.contains('msg')) continue;
      const r = el.getBoundingClientRect();
      if (r.bottom > top + 1) {
        anchor = { key: el.dataset.key, offset: r.top - top };
        break;
      }
    }
  }

  const [headKey, makeHead] = headFor(cid, tl);
  if (view.head._key !== headKey) {
    view.head._key = headKey;
    replaceChildren(view.head, makeHead());
  }

  // Reconcile the rows.
  const rows = tl.loaded ? rowsFor(cid) : [];
  const old = new Map();
  for (const el of view.list.children) old.set(el.dataset.key, el);
  const next = [];
  for (const row of rows) {
    let el = old.get(row.key);
    if (!el || el._sig !== row.sig) {
      el = row.make();
      el.dataset.key = row.key;
      el._sig = row.sig;
      el._rsig = row.rsig;
    } else if (row.rsig !== undefined && el._rsig !== row.rsig) {
      const r = el.querySelector('.reactions');
      if (r) r.replaceWith(row.makeReactions());
      el._rsig = row.rsig;
    }
    next.push(el);
  }
  const keep = new Set(next);
  for (const el of old.values()) if (!keep.has(el)) el.remove();
  let ref = view.list.firstChild;
  for (const el of next) {
    if (el === ref) {
      ref = ref.nextSibling;
      continue;
    }
    view.list.insertBefore(el, ref);
  }

  // Back to the same place, or to what was asked for.
  const hl = store.ui.highlight;
  const hlEl = hl ? view.list.querySelector(`[data-key="m:${hl}"]`) : null;
  if (hlEl && tl.loaded) {
    hlEl.scrollIntoView({ block: 'center' });
    hlEl.classList.add('msg-highlight');
    store.ui.highlight = null;
    setTimeout(() => hlEl.classList.remove('msg-highlight'), 3000);
  } else if (initial && tl.loaded && view.list.querySelector('[data-key="new"]')) {
    view.list.querySelector('[data-key="new"]').scrollIntoView({ block: 'center' });
  } else if (wasBottom && !tl.moreAfter) {
    s.scrollTop = s.scrollHeight;
  } else if (anchor) {
    const el = view.list.querySelector(`[data-key="${anchor.key}"]`);
    if (el) {
      const top = s.getBoundingClientRect().top;
      s.scrollTop += el.getBoundingClientRect().top - top - anchor.offset;
    }
  }
  if (tl.loaded) {
    stick = false;
    initial = false;
  }

  if (editor?.fresh && editor.textarea.isConnected) {
    editor.fresh = false;
    editor.textarea.focus();
    editor.textarea.setSelectionRange(editor.textarea.value.length, editor.textarea.value.length);
  }

  store.ui.atBottom = isAtBottom() && !tl.moreAfter;
  updateLatestButton();
  if (store.ui.atBottom && tl.loaded && document.visibilityState === 'visible') markRead(cid);
  // A short page does not scroll: fetch more until it fills the view.
  if (tl.loaded && tl.moreBefore && !tl.olderLoading && s.scrollHeight <= s.clientHeight + 50) {
    loadOlder(cid);
  }
}

