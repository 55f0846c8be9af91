// thread.js - a thread: its root message, its replies and a composer of
// its own, in a panel beside the conversation (the whole screen on a
// phone, with a way back).  The address names the thread (#/c/ID/t/ROOT),
// so a reload keeps it open and Back closes it.
//
// Threads are short: the panel keeps every reply in one simple list,
// apart from the channel's (which renders only what is visible).  Rows
// are rebuilt only when what they show changed, so the live region
// announces new replies only and focus survives updates.

import { h, replaceChildren, setText } from './dom.js';
import { icon } from './icons.js';
import { errorText } from './forms.js';
import {
  store, watch, t, channelLabel, canPost, hiveOf,
} from './store.js';
import {
  openThread, threadOf, threadRoot, markThreadRead, sendThreadReply,
  retryThreadSend, discardThreadSend, hooks,
} from './session.js';
import { go } from './router.js';
import { messageEl, mentionContext, formatShortDate, startEdit } from './messages.js';

const MAX_CHARS = 4000;
const GROUP_MS = 5 * 60 * 1000;
const drafts = new Map(); // root id -> unsent text

let v = null;
let shown = null; // the root id on screen
let stick = false; // scroll to the newest reply at the next render

export function mount(parent) {
  const back = h('button', {
    class: 'icon-btn thread-back', type: 'button', onclick: () => close(),
  }, icon('chevronLeft', { size: 18 }));
  const closeBtn = h('button', {
    class: 'icon-btn icon-btn-s thread-close', type: 'button', onclick: () => close(),
  }, icon('x', { size: 16 }));
  const title = h('h2', { class: 'panel-title', id: 'thread-title', tabindex: '-1' });
  const where = h('p', { class: 'thread-where' });
  const head = h('div', { class: 'panel-head thread-head' }, back,
    h('div', { class: 'thread-heading' }, title, where), closeBtn);
  const rootBox = h('div', { class: 'thread-root' });
  const count = h('div', { class: 'thread-count', role: 'separator' }, h('span'));
  const list = h('div', {
    class: 'thread-list', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
  });
  const note = h('div', { class: 'thread-note' });
  const scroller = h('div', { class: 'thread-scroll', tabindex: '0' }, rootBox, count, list, note);

  const input = h('textarea', {
    class: 'composer-input thread-input', rows: 1, dir: 'auto', enterkeyhint: 'send',
    'aria-describedby': 'thread-hint',
  });
  const send = h('button', { class: 'send-btn', type: 'submit' }, icon('send', { size: 18 }));
  const error = h('p', { class: 'composer-error', role: 'alert', hidden: true });
  const hint = h('p', { class: 'composer-hint', id: 'thread-hint' });
  const form = h('form', { class: 'composer thread-composer', novalidate: true },
    h('div', { class: 'composer-box' }, input, send), error, hint);
  const readOnly = h('p', { class: 'composer-readonly', hidden: true }, icon('lock', { size: 15 }), h('span'));
  const el = h('aside', {
    class: 'panel thread-panel', id: 'thread-panel', hidden: true, 'aria-labelledby': 'thread-title',
  }, head, scroller, h('div', { class: 'thread-compose' }, form, readOnly));
  parent.append(el);
  v = {
    el, back, closeBtn, title, where, rootBox, count, list, note, scroller, input, send, error,
    hint, form, readOnly,
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  // As in the channel's composer: Enter sends, Shift+Enter starts a new
  // line, Up in an empty box edits your last reply.
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'ArrowUp' && !input.value && !e.shiftKey) {
      const mine = (threadOf(shown)?.messages || [])
        .filter((m) => m.author_id === store.me?.id && !m.deleted).at(-1);
      if (mine) {
        e.preventDefault();
        startEdit(mine.id);
      }
    }
  });
  // No typing notice: it names the channel, and would say the person is
  // writing there.
  input.addEventListener('input', () => {
    drafts.set(shown, input.value);
    v.error.hidden = true;
  });
  // Escape closes the thread, unless something inside used it (an edit,
  // a menu).
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented && isOpen()) {
      e.preventDefault();
      close();
    }
  });
  scroller.addEventListener('scroll', () => {
    if (atBottom()) markIfReading();
  }, { passive: true });

  hooks.isReadingThread = isReading;
  watch(['threads', 'messages', 'route', 'members', 'channels', 'auth'], () => render());
}

// -- Opening and closing ------------------------------------------------------

export function isOpen() {
  return Boolean(store.route.name === 'channel' && store.route.threadId && v && !v.el.hidden);
}

// Opens the thread of message m (a root, or a reply standing for its root).
export function openThreadFor(m) {
  const rootId = m.thread_id || m.id;
  const hash = `#/c/${m.channel_id}/t/${rootId}`;
  if (location.hash === hash) {
    focusComposer(true);
    return;
  }
  stick = true;
  go(hash);
}

export function close() {
  const cid = store.route.channelId;
  const back = v?.el.contains(document.activeElement);
  go(cid ? `#/c/${cid}` : '#/');
  // Back to where the thread was opened from, or to the conversation.
  if (back) {
    const link = document.querySelector(`.tl .msg-thread[data-root="${shown}"]`);
    (link || document.getElementById('composer-input'))?.focus({ preventScroll: true });
  }
}

function focusComposer(always = false) {
  if (!v || v.form.hidden) return;
  // Phones open the keyboard on focus: there, the heading takes it.
  if (always || window.matchMedia('(min-width: 761px)').matches) v.input.focus();
  else v.title.focus();
}

// Is the person looking at this thread's newest replies?
function isReading(rootId) {
  return isOpen() && shown === rootId && document.visibilityState === 'visible' &&
    Boolean(threadOf(rootId)?.loaded) && atBottom();
}

function atBottom() {
  const s = v.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 40;
}

function markIfReading() {
  if (shown && isReading(shown)) markThreadRead(shown);
}

// -- The link under a root, in the channel -------------------------------------

// "3 replies · 10:42", marked while the thread has replies not read yet.
// Built with the message; 'threads' changes update it in place.
export function threadLink(m) {
  const el = h('button', {
    class: 'msg-thread', type: 'button', dataset: { root: m.id },
    onclick: () => openThreadFor(m),
  }, icon('message', { size: 14 }),
  h('span', { class: 'msg-thread-count' }, store.t.n('msg.threadReplies', m.reply_count)),
  m.last_reply_at
    ? h('span', { class: 'msg-thread-last' }, t('thread.last', { when: formatShortDate(m.last_reply_at) }))
    : null,
  h('span', { class: 'msg-thread-dot', 'aria-hidden': 'true' }),
  h('span', { class: 'sr-only msg-thread-sr' }));
  markLink(el);
  return el;
}

function markLink(el) {
  const unread = store.threadUnread.has(Number(el.dataset.root));
  el.classList.toggle('msg-thread-unread', unread);
  setText(el.querySelector('.msg-thread-sr'), unread ? `, ${t('thread.unread')}` : '');
}

function markLinks() {
  for (const el of document.querySelectorAll('.msg-thread[data-root]')) markLink(el);
}

// -- Writing ----------------------------------------------------------------

function submit() {
  const text = v.input.value.trim();
  const cid = store.route.channelId;
  if (!text || !shown || !cid) return;
  if ([...text].length > MAX_CHARS) {
    v.error.hidden = false;
    setText(v.error, t('composer.tooLong', { n: MAX_CHARS }));
    return;
  }
  stick = true;
  sendThreadReply(cid, shown, text);
  v.input.value = '';
  drafts.delete(shown);
}

// -- Rendering ----------------------------------------------------------------

function pendingStatus(rootId, p) {
  if (p.state === 'sending') {
    return h('p', { class: 'msg-status' }, icon('clock', { size: 13 }), t('msg.sending'));
  }
  const why = ['offline', 'disconnected', 'timeout'].includes(p.error)
    ? t('msg.failedOffline') : errorText(p.error);
  return h('p', { class: 'msg-status msg-status-bad', role: 'alert' },
    icon('alert', { size: 13 }), h('span', {}, t('msg.failed', { why })),
    h('button', { class: 'link-btn', type: 'button', onclick: () => retryThreadSend(rootId, p.nonce) }, t('msg.retry')),
    h('button', { class: 'link-btn', type: 'button', onclick: () => discardThreadSend(rootId, p.nonce) }, t('msg.discard')));
}

// One row per reply and per pending send: { key, sig, make }.
function rowsFor(th, ch, ctx) {
  const rows = [];
  let prev = null;
  const grouped = (m) => Boolean(prev && prev.author_id === m.author_id && !prev.deleted &&
    !m.deleted && m.created_at - prev.created_at < GROUP_MS);
  for (const m of th.messages) {
    const g = grouped(m);
    rows.push({
      key: `m:${m.id}`,
      sig: JSON.stringify([m.text, m.edited_at, m.deleted, g, m.reactions,
        store.ui.editing === m.id, store.users.get(m.author_id)?.display_name, store.t?.lang]),
      make: () => messageEl(m, ch, g, ctx, false),
    });
    prev = m;
  }
  for (const p of th.pending) {
    const g = grouped(p);
    rows.push({
      key: `p:${p.nonce}`,
      sig: JSON.stringify([p.text, p.state, p.error, g]),
      make: () => {
        const el = messageEl(p, ch, g, ctx, true);
        el.querySelector('.msg-status')?.replaceWith(pendingStatus(th.rootId, p));
        return el;
      },
    });
    prev = p;
  }
  return rows;
}

function reconcile(container, rows) {
  const old = new Map();
  for (const el of container.children) old.set(el.dataset.key, el);
  const next = rows.map((row) => {
    let el = old.get(row.key);
    if (!el || el._sig !== row.sig) {
      el = row.make();
      el.dataset.key = row.key;
      el._sig = row.sig;
    }
    return el;
  });
  const keep = new Set(next);
  for (const el of old.values()) if (!keep.has(el)) el.remove();
  let ref = container.firstChild;
  for (const el of next) {
    if (el === ref) {
      ref = ref.nextSibling;
      continue;
    }
    container.insertBefore(el, ref);
  }
}

function renderHead(ch) {
  setText(v.title, t('thread.title'));
  const label = ch ? (ch.kind === 'direct' ? channelLabel(ch) : `#${channelLabel(ch)}`) : '';
  setText(v.where, label);
  const backLabel = t('thread.back', { name: label });
  v.back.setAttribute('aria-label', backLabel);
  v.back.title = backLabel;
  v.closeBtn.setAttribute('aria-label', t('thread.close'));
  v.closeBtn.title = t('thread.close');
}

function renderComposer(ch) {
  const writable = Boolean(ch && canPost(ch));
  v.form.hidden = !writable;
  v.readOnly.hidden = writable;
  if (!writable && ch) {
    const archived = ch.archived || (ch.kind !== 'direct' && hiveOf(ch.hive_id)?.archived);
    setText(v.readOnly.lastChild, archived ? t('composer.archived') : t('composer.readOnly'));
  }
  const label = t('thread.placeholder');
  v.input.placeholder = label;
  v.input.setAttribute('aria-label', label);
  v.send.setAttribute('aria-label', t('composer.send'));
  v.send.title = t('composer.send');
  setText(v.hint, t('composer.hint'));
}

export function render() {
  markLinks();
  if (!v) return;
  const r = store.route;
  const ch = store.channels.get(r.channelId);
  const rootId = r.name === 'channel' && ch && store.auth === 'user' ? r.threadId : null;
  if (!rootId) {
    v.el.hidden = true;
    if (shown) {
      shown = null;
      replaceChildren(v.rootBox);
      replaceChildren(v.list);
    }
    return;
  }
  const opened = rootId !== shown;
  if (opened) {
    shown = rootId;
    replaceChildren(v.rootBox);
    replaceChildren(v.list);
    v.input.value = drafts.get(rootId) || '';
    v.error.hidden = true;
    stick = true;
  }
  v.el.hidden = false;
  // Loaded once; after a failure, again when the thread is opened again.
  if (opened || !threadOf(rootId)) openThread(ch.id, rootId);
  const th = threadOf(rootId);
  renderHead(ch);
  renderComposer(ch);
  const s = v.scroller;
  const wasBottom = stick || atBottom();

  const root = th && threadRoot(th);
  if (!th?.loaded || !root) {
    v.count.hidden = true;
    replaceChildren(v.note, th?.error
      ? h('p', { class: 'panel-note' }, icon('alert', { size: 16 }), ' ',
        th.error === 'not_found' ? t('thread.missing') : errorText(th.error))
      : h('div', { class: 'tl-loading', role: 'status' }, h('span', { class: 'spinner spinner-s' }), t('msg.loading')));
    if (opened) focusComposer();
    return;
  }
  replaceChildren(v.note);
  const ctx = mentionContext(ch);
  reconcile(v.rootBox, [{
    key: `r:${root.id}`,
    sig: JSON.stringify([root.text, root.edited_at, root.deleted, root.reactions,
      store.ui.editing === root.id, store.users.get(root.author_id)?.display_name, store.t?.lang]),
    make: () => messageEl(root, ch, false, ctx, false),
  }]);
  const n = th.messages.length;
  v.count.hidden = n === 0;
  setText(v.count.firstChild, store.t.n('thread.count', n));
  reconcile(v.list, rowsFor(th, ch, ctx));
  v.list.setAttribute('aria-label', t('thread.repliesLabel'));

  if (wasBottom) s.scrollTop = s.scrollHeight;
  stick = false;
  // The inline editor of messages.js takes the focus when it opens.
  const editing = v.el.querySelector('.edit-input');
  if (editing && !editing._focused) {
    editing._focused = true;
    editing.focus();
  }
  if (opened) focusComposer();
  markIfReading();
}
