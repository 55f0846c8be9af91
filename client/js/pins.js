// pins.js - the pinned messages of a channel, in the side panel (the pin
// button of the channel's header): newest pin first, each with its
// author and text, a way to the message, and for the hive's mentors and
// admins a way to unpin it.  Pins follow the pin.added and pin.removed
// events (modstate.js).

import { h, replaceChildren, avatar } from './dom.js';
import { plainText } from './format.js';
import { errorText } from './forms.js';
import { store, t, userName, changed } from './store.js';
import { request, jumpTo } from './session.js';
import { loadPins, pinsOf, canModerate, modErrorText } from './modstate.js';
import { go } from './router.js';
import { modIcon, toast, timeOf } from './moderation.js';

const messages = new Map(); // message id -> message, or { missing: true }
const loading = new Set();

// The pinned message itself: pin.list brings it; a pin that came live
// (pin.added) has only its id, so the message is fetched once.
function messageOf(cid, id) {
  if (messages.has(id)) return messages.get(id);
  if (!loading.has(id)) {
    loading.add(id);
    request('msg.history', { channel_id: cid, around: id, limit: 1 })
      .then((r) => {
        messages.set(id, r.messages.find((x) => x.id === id) || { missing: true });
      })
      .catch(() => {
        messages.set(id, { missing: true });
      })
      .finally(() => {
        loading.delete(id);
        changed('pins', cid);
      });
  }
  return null;
}

// Renders the pins of ch into panel; head(title, count) is the side
// panel's header.
export function render(panel, ch, head) {
  if (!ch || ch.kind === 'direct') {
    replaceChildren(panel, head(t('pin.title')), h('p', { class: 'panel-note' }, t('pin.none')));
    return;
  }
  const p = pinsOf(ch.id);
  if (!p.loaded && !p.loading && !p.error) loadPins(ch.id);
  panel.setAttribute('aria-labelledby', 'panel-title');
  let body;
  if (p.error) body = h('p', { class: 'panel-note' }, errorText(p.error));
  else if (!p.loaded) {
    body = h('div', { class: 'tl-loading', role: 'status' }, h('span', { class: 'spinner spinner-s' }), t('loading'));
  } else if (!p.list.length) body = h('p', { class: 'panel-note' }, t('pin.none'));
  else {
    body = h('ul', { class: 'pin-list', id: 'pin-list' }, p.list.map((pin) => pinItem(ch, pin)));
  }
  const focus = panel.contains(document.activeElement) ? document.activeElement.dataset?.focusKey : null;
  replaceChildren(panel, head(t('pin.title'), p.loaded ? p.list.length : undefined),
    h('p', { class: 'panel-sub' }, t('pin.intro', { name: ch.name })),
    h('div', { class: 'panel-scroll' }, body));
  if (focus) panel.querySelector(`[data-focus-key="${focus}"]`)?.focus();
}

function pinItem(ch, pin) {
  const m = pin.message || messageOf(ch.id, pin.message_id);
  const who = m && !m.missing ? userName(m.author_id) : '';
  let text;
  if (!m) text = t('msg.quoteLoading');
  else if (m.missing || m.deleted) text = t('pin.gone');
  else text = plainText(m.text, 200);
  return h('li', { class: 'pin' },
    h('div', { class: 'pin-head' },
      m && !m.missing ? avatar({ id: m.author_id, display_name: who }, { size: 's' }) : null,
      h('span', { class: 'pin-author' }, who),
      h('span', { class: 'pin-when' }, t('pin.by', { name: userName(pin.by), time: timeOf(pin.pinned_at) }))),
    h('p', { class: 'pin-text', dir: 'auto' }, text),
    h('div', { class: 'pin-actions' },
      h('button', {
        class: 'link-btn', type: 'button', dataset: { focusKey: `show-${pin.message_id}` },
        onclick: () => {
          if (store.route.channelId === ch.id) jumpTo(ch.id, pin.message_id);
          else go(`#/c/${ch.id}`);
        },
      }, t('pin.show')),
      canModerate(ch.hive_id) && !ch.archived ? h('button', {
        class: 'link-btn', type: 'button', dataset: { focusKey: `unpin-${pin.message_id}` },
        'aria-label': t('pin.removeLabel', { name: who || t('user.unknown') }),
        onclick: async () => {
          try {
            await request('pin.remove', { message_id: pin.message_id });
          } catch (err) {
            toast(modErrorText(err.code, errorText), { kind: 'bad' });
          }
        },
      }, modIcon('pin', { size: 14 }), t('pin.remove')) : null));
}
