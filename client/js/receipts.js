// receipts.js - read receipts in direct conversations: "Seen" (or "Seen
// by Léa, Léo" with more people) under the last message of yours that
// the others have read, as messengers do.
//
// The receipt is a note added to that message's element.  The message
// list (messages.js) renders only the rows in view and rebuilds a row
// when it changes, so the note is put back whenever the list's elements
// change (a MutationObserver), not only when a receipt arrives.
//
// Receipts come from dm.list when the page loads (each conversation's
// `reads`) and then from the live `read` events.

import { h, setText } from './dom.js';
import { icon } from './icons.js';
import { store, watch, t, userName } from './store.js';

let list = null;

export function mount(container) {
  list = container.querySelector('.tl');
  if (!list) return;
  new MutationObserver(() => place()).observe(list, { childList: true, subtree: true });
  watch(['receipts', 'messages', 'route', 'members'], () => place());
}

// The message that shows the receipt, and who has read it: { id, text }.
function receiptFor(cid) {
  const ch = store.channels.get(cid);
  const seen = store.receipts.get(cid);
  const tl = store.timelines.get(cid);
  if (ch?.kind !== 'direct' || !seen?.size || !tl?.loaded) return null;
  const me = store.me?.id;
  const others = (ch.members || []).filter((id) => id !== me);
  for (let i = tl.messages.length - 1; i >= 0; i--) {
    const m = tl.messages[i];
    if (m.author_id !== me || m.deleted) continue;
    const readers = others.filter((id) => (seen.get(id) || 0) >= m.id);
    if (!readers.length) continue;
    const text = others.length === 1
      ? t('receipt.seen')
      : t('receipt.seenBy', { names: readers.map(userName).join(', ') });
    return { id: m.id, text };
  }
  return null;
}

function place() {
  if (!list) return;
  const want = store.route.name === 'channel' ? receiptFor(store.route.channelId) : null;
  const target = want ? list.querySelector(`.msg[data-id="${want.id}"] .msg-main`) : null;
  for (const el of list.querySelectorAll('.msg-seen')) {
    if (el.parentElement !== target) el.remove();
  }
  if (!target) return;
  let note = target.querySelector(':scope > .msg-seen');
  if (!note) {
    note = h('p', { class: 'msg-seen' }, icon('check', { size: 13 }), h('span'));
    target.append(note);
  }
  setText(note.lastChild, want.text);
}
