// channels.js - mentors of a hive and admins create its channels, and
// rename, describe, move or archive them.  Learners never see these
// controls (the server refuses them anyway).  What the server refuses is
// said in plain words next to the field concerned.

import { h, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import { field, formMessage, submitButton, errorText } from './forms.js';
import { store, t, hiveOf, hiveChannels } from './store.js';
import { createChannel, updateChannel, archiveChannel } from './session.js';
import { go } from './router.js';
import { ask } from './messages.js';
import { channelModFields } from './moderation.js';

const NAME_RE = /^[a-z0-9_-]{1,32}$/i;
const TOPIC_MAX = 250;

// Whether the person may manage the channels of a hive.
export function canManageChannels(hiveId) {
  const hive = hiveOf(hiveId);
  if (!hive || hive.archived) return false;
  return Boolean(store.me?.admin || hive.role === 'mentor');
}

let dialog = null;

function theDialog() {
  if (!dialog) {
    dialog = h('dialog', {
      class: 'dialog channel-dialog', id: 'channel-dialog', 'aria-labelledby': 'channel-dialog-title',
    });
    document.body.append(dialog);
  }
  return dialog;
}

function nameRule(v) {
  if (!v.trim()) return t('channel.check.empty');
  if (!NAME_RE.test(v.trim())) return t('channel.check.name');
  return null;
}

function topicRule(v) {
  return [...v.trim()].length > TOPIC_MAX ? t('channel.check.topic', { n: TOPIC_MAX }) : null;
}

// Puts a refusal where it belongs: by the field it is about, or above
// the form.
function showError(err, { name, topic, msg }) {
  const code = err.code || 'unknown';
  if (code === 'already_exists') {
    name.setError(t('channel.error.taken'));
    name.input.focus();
  } else if (code === 'invalid_param') {
    // The server says only that a parameter is wrong: our own rules say
    // which one.
    if (topicRule(topic.value())) topic.setError(topicRule(topic.value()));
    else name.setError(t('channel.check.name'));
  } else {
    msg.set(errorText(code));
  }
}

function heading(text) {
  return h('h2', { class: 'dialog-title', id: 'channel-dialog-title' }, text);
}

function cancelButton(el) {
  return h('button', {
    class: 'btn btn-quiet', type: 'button', onclick: () => el.close(),
  }, t('action.cancel'));
}

// -- A new channel --------------------------------------------------------

export function openCreate(hiveId) {
  const el = theDialog();
  const name = field({
    name: 'channel_name', label: t('channel.name'), hint: t('channel.name.hint'),
    maxlength: 32, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false',
  });
  const topic = field({
    name: 'channel_topic', label: t('channel.topic'), required: false, maxlength: TOPIC_MAX,
    autocomplete: 'off',
  });
  const kinds = h('fieldset', { class: 'channel-kinds' },
    h('legend', { class: 'label' }, t('channel.kind')),
    ['chat', 'announce'].map((k) => h('label', { class: 'channel-kind' },
      h('input', { type: 'radio', name: 'channel_kind', value: k, checked: k === 'chat' }),
      icon(k === 'announce' ? 'announce' : 'hash', { size: 16 }),
      h('span', { class: 'channel-kind-text' },
        h('span', { class: 'channel-kind-name' }, t(`channel.kind.${k}`)),
        h('span', { class: 'channel-kind-hint' }, t(`channel.kind.${k}.hint`))))));
  const msg = formMessage();
  const save = submitButton(t('channel.create'), { wide: false });
  const form = h('form', { class: 'dialog-body form', novalidate: true },
    heading(t('channel.createTitle', { hive: hiveOf(hiveId)?.name || '' })),
    msg.el, name.el, topic.el, kinds,
    h('div', { class: 'dialog-actions' }, cancelButton(el), save));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    const bad = [[name, nameRule], [topic, topicRule]].find(([f, rule]) => {
      const err = rule(f.value());
      f.setError(err);
      return err;
    });
    if (bad) {
      bad[0].input.focus();
      return;
    }
    save.busy(true);
    try {
      const kind = form.querySelector('input[name=channel_kind]:checked')?.value || 'chat';
      const ch = await createChannel(hiveId, {
        name: name.value().trim(), topic: topic.value().trim(), kind,
      });
      el.close();
      go(`#/c/${ch.id}`);
    } catch (err) {
      showError(err, { name, topic, msg });
    } finally {
      save.busy(false);
    }
  });
  replaceChildren(el, form);
  el.showModal();
  name.input.focus();
}

// -- A channel's settings ---------------------------------------------------

export function openSettings(ch) {
  const el = theDialog();
  const name = field({
    name: 'channel_name', label: t('channel.name'), hint: t('channel.name.hint'), value: ch.name,
    maxlength: 32, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false',
  });
  const topic = field({
    name: 'channel_topic', label: t('channel.topic'), required: false, value: ch.topic || '',
    maxlength: TOPIC_MAX, autocomplete: 'off',
  });
  const modFields = channelModFields(ch); // slow mode and lock
  const msg = formMessage();
  const save = submitButton(t('action.save'), { wide: false });

  // Its place in the list: one step up or down.
  const moveMsg = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const move = async (delta) => {
    moveMsg.hidden = true;
    const list = hiveChannels(ch.hive_id);
    const i = list.findIndex((c) => c.id === ch.id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= list.length) return;
    [list[i], list[j]] = [list[j], list[i]];
    try {
      // Positions follow the new order; only those that differ are sent.
      for (const [k, c] of list.entries()) {
        if (c.position !== k) await updateChannel(c.id, { position: k });
      }
      renderMove();
    } catch (err) {
      moveMsg.hidden = false;
      moveMsg.textContent = errorText(err.code);
    }
  };
  const up = h('button', { class: 'btn btn-secondary btn-s', type: 'button', onclick: () => move(-1) },
    t('channel.moveUp'));
  const down = h('button', { class: 'btn btn-secondary btn-s', type: 'button', onclick: () => move(1) },
    t('channel.moveDown'));
  const renderMove = () => {
    const list = hiveChannels(ch.hive_id);
    const i = list.findIndex((c) => c.id === ch.id);
    up.disabled = i <= 0;
    down.disabled = i < 0 || i >= list.length - 1;
  };
  renderMove();

  const archiveMsg = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const archive = h('button', {
    class: 'btn btn-danger btn-s', type: 'button',
    onclick: async () => {
      archiveMsg.hidden = true;
      const ok = await ask({
        heading: t('channel.archiveTitle', { name: ch.name }),
        body: t('channel.archiveBody'),
        confirm: t('channel.archive'),
      });
      if (!ok) return;
      try {
        await archiveChannel(ch.id);
        el.close();
      } catch (err) {
        archiveMsg.hidden = false;
        archiveMsg.textContent = errorText(err.code);
      }
    },
  }, icon('archive', { size: 15 }), h('span', {}, t('channel.archive')));

  const form = h('form', { class: 'dialog-body form', novalidate: true },
    heading(t('channel.settingsTitle', { name: ch.name })),
    msg.el, name.el, topic.el, modFields.els,
    h('div', { class: 'dialog-actions' }, cancelButton(el), save),
    h('div', { class: 'channel-zone' },
      h('h3', { class: 'channel-zone-title' }, t('channel.position')),
      h('div', { class: 'channel-zone-row' }, up, down), moveMsg),
    h('div', { class: 'channel-zone channel-zone-danger' },
      h('h3', { class: 'channel-zone-title' }, t('channel.archive')),
      h('p', { class: 'channel-zone-text' }, t('channel.archiveIntro')),
      h('div', { class: 'channel-zone-row' }, archive), archiveMsg));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    const bad = [[name, nameRule], [topic, topicRule]].find(([f, rule]) => {
      const err = rule(f.value());
      f.setError(err);
      return err;
    });
    if (bad) {
      bad[0].input.focus();
      return;
    }
    const fields = {};
    const newName = name.value().trim();
    const newTopic = topic.value().trim();
    if (newName.toLowerCase() !== ch.name) fields.name = newName;
    if (newTopic !== (ch.topic || '')) fields.topic = newTopic;
    if (!Object.keys(fields).length && !modFields.changed()) {
      el.close();
      return;
    }
    save.busy(true);
    try {
      if (Object.keys(fields).length) await updateChannel(ch.id, fields);
      await modFields.save();
      el.close();
    } catch (err) {
      showError(err, { name, topic, msg });
    } finally {
      save.busy(false);
    }
  });
  replaceChildren(el, form);
  el.showModal();
  name.input.focus();
}
