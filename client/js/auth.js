// auth.js - getting in: the login page, the first-admin page (#/setup)
// and the invite page (#/invite), which makes an account or lets the
// person already logged in join the hive.

import { h, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import {
  field, formMessage, submitButton, errorText, rules, checkFields,
} from './forms.js';
import { store, t } from './store.js';
import { post, loggedIn, logout, request, reloadHives } from './session.js';
import { go, pendingCode, forgetCode } from './router.js';

let root = null;
let shownKey = null;

export function mount(el) {
  root = el;
}

// Rebuilds the page only when what it is about changes, so that typing
// is never lost to a re-render.
export function render() {
  const { route } = store;
  const code = pendingCode();
  const key = `${route.name}|${store.auth}|${code?.code || ''}|${store.sessionEnded}`;
  if (key === shownKey) return;
  shownKey = key;
  if (route.name === 'setup') setupPage(code?.kind === 'setup' ? code.code : null);
  else if (route.name === 'invite') invitePage(code?.kind === 'invite' ? code.code : null);
  else loginPage();
}

export function forget() {
  shownKey = null;
}

function art() {
  return h('div', { class: 'auth-art', 'aria-hidden': 'true' },
    ...[0, 1, 2, 3, 4, 5, 6].map((i) => h('span', { class: `hex hex-${i}` })));
}

function card(title, intro, ...body) {
  const heading = h('h1', { class: 'auth-title', id: 'auth-title' }, title);
  replaceChildren(root, h('section', { class: 'auth', 'aria-labelledby': 'auth-title' },
    art(),
    h('div', { class: 'card auth-card' },
      heading,
      intro ? h('p', { class: 'auth-intro' }, intro) : null,
      ...body)));
  return heading;
}

// -- Login ------------------------------------------------------------------

function loginForm({ onDone, submitLabel = t('login.submit') } = {}) {
  const handle = field({
    name: 'handle', label: t('field.handle'), autocomplete: 'username',
    autocapitalize: 'none', spellcheck: 'false',
  });
  const password = field({
    name: 'password', label: t('field.password'), type: 'password',
    autocomplete: 'current-password',
  });
  const msg = formMessage();
  const submit = submitButton(submitLabel);
  const form = h('form', { class: 'form', novalidate: true },
    msg.el, handle.el, password.el, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    const ok = checkFields([
      [handle, (v) => (v.trim() ? null : t('check.handle.empty'))],
      [password, (v) => (v ? null : t('check.password.empty'))],
    ]);
    if (!ok) return;
    submit.busy(true);
    const r = await post('/api/login', {
      handle: handle.value().trim(), password: password.value(),
    });
    submit.busy(false);
    if (r.ok) {
      onDone?.(r.data);
      loggedIn();
      return;
    }
    if (r.error.code === 'bad_credentials') {
      password.setError(t('error.bad_credentials'));
      password.input.select();
      password.input.focus();
    } else {
      msg.set(errorText(r.error.code, { retryAfter: r.retryAfter }));
    }
  });
  return { form, focus: () => handle.input.focus() };
}

function loginPage() {
  const { form, focus } = loginForm({
    onDone: () => {
      if (store.route.name === 'login') go('#/', { replace: true });
    },
  });
  card(t('login.title'), t('login.intro'),
    store.sessionEnded
      ? h('p', { class: 'notice', role: 'status' }, icon('lock', { size: 16 }), t('login.ended'))
      : null,
    form,
    h('p', { class: 'auth-foot' }, t('login.noAccount')));
  focus();
}

// -- First admin -----------------------------------------------------------

function signupForm({ code, submitLabel, waitlist = false, onDone }) {
  const handle = field({
    name: 'handle', label: t('field.handle'), autocomplete: 'username',
    hint: t('field.handle.hint'), autocapitalize: 'none', spellcheck: 'false',
    maxlength: 32,
  });
  const name = field({
    name: 'display_name', label: t('field.displayName'), autocomplete: 'name',
    hint: t('field.displayName.hint'), maxlength: 64,
  });
  const password = field({
    name: 'password', label: t('field.newPassword'), type: 'password',
    autocomplete: 'new-password', hint: t('field.password.hint'),
  });
  const msg = formMessage();
  const submit = submitButton(submitLabel);
  const form = h('form', { class: 'form', novalidate: true },
    msg.el, name.el, handle.el, password.el, submit);
  // A handle suggested from the name, until the person types their own.
  let handleTouched = false;
  handle.input.addEventListener('input', () => { handleTouched = true; });
  name.input.addEventListener('input', () => {
    if (handleTouched) return;
    handle.input.value = name.value().normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .toLowerCase().replace(/[^a-z0-9_.-]+/g, '.').replace(/^\.+|\.+$/g, '').slice(0, 32);
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    const ok = checkFields([
      [name, rules.displayName], [handle, rules.handle], [password, rules.password],
    ]);
    if (!ok) return;
    submit.busy(true);
    const body = {
      code, handle: handle.value().trim(), display_name: name.value().trim(),
      password: password.value(),
    };
    if (waitlist) body.waitlist = true;
    const r = await post('/api/signup', body);
    submit.busy(false);
    if (r.ok) {
      onDone(r.data);
      return;
    }
    const c = r.error.code;
    const m = r.error.message || '';
    if (c === 'handle_taken') {
      handle.setError(t('error.handle_taken'));
      handle.input.focus();
    } else if (c === 'invalid_param' && /handle/i.test(m)) {
      handle.setError(t('check.handle.shape'));
      handle.input.focus();
    } else if (c === 'invalid_param' && /name/i.test(m)) {
      name.setError(t('check.name.empty'));
      name.input.focus();
    } else if (c === 'invalid_param' && /password/i.test(m)) {
      password.setError(t('check.password.short'));
      password.input.focus();
    } else {
      msg.set(errorText(c, { retryAfter: r.retryAfter }));
    }
  });
  return { form, focus: () => name.input.focus() };
}

function deadLink(code) {
  card(t('invite.bad.title'), errorText(code),
    h('p', { class: 'auth-foot' }, t('invite.bad.hint')),
    h('a', { class: 'btn btn-secondary btn-wide', href: '#/' }, t('invite.bad.home')));
}

function loadingCard() {
  card(t('invite.checking'), null, h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') }));
}

async function checkCode(code) {
  loadingCard();
  const r = await post('/api/invite', { code });
  if (!r.ok) {
    deadLink(r.error.code);
    return null;
  }
  return r.data;
}

async function setupPage(code) {
  if (!code) {
    deadLink('invite_not_found');
    return;
  }
  const info = await checkCode(code);
  if (!info) return;
  if (info.kind !== 'admin') {
    invitePage(code, info);
    return;
  }
  if (store.auth === 'user') {
    card(t('setup.title'), t('setup.loggedIn', { name: store.me.display_name }),
      h('button', {
        class: 'btn btn-secondary btn-wide', type: 'button',
        onclick: () => logout(),
      }, t('nav.logout')));
    return;
  }
  const { form, focus } = signupForm({
    code,
    submitLabel: t('setup.submit'),
    onDone: () => {
      forgetCode();
      go('#/admin', { replace: true });
      loggedIn();
    },
  });
  card(t('setup.title'), t('setup.intro'), form);
  focus();
}

// -- Invites ---------------------------------------------------------------

async function invitePage(code, known) {
  if (!code) {
    deadLink('invite_not_found');
    return;
  }
  const info = known || await checkCode(code);
  if (!info) return;
  if (info.kind === 'admin') {
    // An admin link opened as an invite: it is the setup page.
    go('#/setup', { replace: true });
    return;
  }
  const hive = info.hive || { name: '?' };
  const full = hive.full && info.role === 'learner';
  const about = h('div', { class: 'invite-hive' },
    h('span', { class: 'hive-badge hive-badge-l', 'aria-hidden': 'true' }, [...hive.name][0]?.toUpperCase()),
    h('div', {},
      h('p', { class: 'invite-hive-name' }, hive.name),
      hive.description ? h('p', { class: 'invite-hive-desc' }, hive.description) : null,
      h('p', { class: 'invite-role' }, t('invite.as', { role: t(`roleLower.${info.role}`) }))));
  const fullNote = full
    ? h('p', { class: 'notice notice-wait', role: 'status' }, icon('clock', { size: 16 }), t('invite.full'))
    : null;
  const title = t('invite.title', { hive: hive.name });

  if (store.auth === 'user') {
    const msg = formMessage();
    const join = submitButton(full ? t('invite.waitlist') : t('invite.joinAs', { name: store.me.display_name }));
    const form = h('form', { class: 'form', novalidate: true }, msg.el, join);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      msg.set(null);
      join.busy(true);
      try {
        const r = await request('invite.accept', full ? { code, waitlist: true } : { code });
        forgetCode();
        await reloadHives();
        if (r.waitlisted) {
          store.flash = t('invite.waitlisted', { hive: hive.name });
          go('#/', { replace: true });
        } else {
          go(`#/h/${r.hive_id}`, { replace: true });
        }
      } catch (err) {
        join.busy(false);
        if (err.code === 'already_member') {
          forgetCode();
          msg.set(t('error.already_member'), 'info');
          form.append(h('a', { class: 'btn btn-secondary btn-wide', href: `#/h/${hive.id}` }, t('invite.open')));
        } else {
          msg.set(errorText(err.code));
        }
      }
    });
    card(title, null, about, fullNote, form,
      h('p', { class: 'auth-foot' }, t('invite.notYou'), ' ',
        h('button', { class: 'link-btn', type: 'button', onclick: () => logout() }, t('invite.switch'))));
    join.focus();
    return;
  }

  // Not logged in: make an account, or log in to join.
  const body = h('div');
  const showSignup = () => {
    const { form, focus } = signupForm({
      code,
      waitlist: full,
      submitLabel: full ? t('invite.signupWaitlist') : t('invite.signup'),
      onDone: (data) => {
        forgetCode();
        if (data.waitlisted) store.flash = t('invite.waitlisted', { hive: hive.name });
        go('#/', { replace: true });
        loggedIn();
      },
    });
    replaceChildren(body, form,
      h('p', { class: 'auth-foot' }, t('invite.haveAccount'), ' ',
        h('button', { class: 'link-btn', type: 'button', onclick: showLogin }, t('invite.loginToJoin'))));
    return focus;
  };
  const showLogin = () => {
    const { form, focus } = loginForm({ submitLabel: t('invite.loginSubmit') });
    replaceChildren(body, form,
      h('p', { class: 'auth-foot' }, t('invite.newHere'), ' ',
        h('button', { class: 'link-btn', type: 'button', onclick: () => showSignup()() }, t('invite.createInstead'))));
    focus();
  };
  const focus = showSignup();
  card(title, t('invite.intro'), about, fullNote, body);
  focus();
}

export function titleFor(route) {
  if (route.name === 'setup') return t('setup.title');
  if (route.name === 'invite') return t('invite.pageTitle');
  return t('login.title');
}
