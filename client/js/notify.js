// notify.js - a browser notification when someone mentions you while the
// tab is hidden (only if you allowed notifications, from your profile).

import { store, t, userName, channelLabel } from './store.js';
import { hooks } from './session.js';
import { plainText } from './format.js';
import { showMessage } from './chat.js';

export function supported() {
  return typeof Notification !== 'undefined';
}

export function permission() {
  return supported() ? Notification.permission : 'unsupported';
}

export async function ask() {
  if (!supported()) return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

function onMention(d) {
  if (document.visibilityState === 'visible') return;
  if (permission() !== 'granted') return;
  const ch = store.channels.get(d.channel_id);
  const m = store.timelines.get(d.channel_id)?.byId.get(d.message_id);
  const where = ch ? (ch.kind === 'direct' ? channelLabel(ch) : `#${ch.name}`) : '';
  try {
    const n = new Notification(t('notify.mention', { name: userName(d.by), where }), {
      body: m ? plainText(m.text, 160) : '',
      tag: `ruche-mention-${d.message_id}`,
      icon: 'favicon.svg',
    });
    n.onclick = () => {
      window.focus();
      showMessage(d.channel_id, d.message_id);
      n.close();
    };
  } catch (err) {
    console.warn('ruche: notification:', err);
  }
}

export function init() {
  hooks.onMention = onMention;
}
