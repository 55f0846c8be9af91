// profile.js - your account: the name others see, your password,
// notifications, the theme, your data, and logging out.

import { h, avatar, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import {
  field, formMessage, submitButton, errorText, rules, checkFields,
} from './forms.js';
import { store, changed, t } from './store.js';
import { request, logout } from './session.js';
import * as notify from './notify.js';
import { SUPPORTED, chosenLanguage, chooseLanguage } from './i18n.js';

let root = null;
let built = null; // the user id the page was built for

const THEME_KEY = 'ruche.theme';

export function applyTheme(theme = localStorage.getItem(THEME_KEY) || 'system') {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}
applyTheme();

export function mount(el) {
  root = el;
}

export function render() {
  if (!store.me) return;
  if (built === store.me.id && root.firstChild) return;
  built = store.me.id;
  const me = store.me;

  // Name.
  const name = field({
    name: 'display_name', label: t('field.displayName'), value: me.display_name,
    autocomplete: 'name', maxlength: 64, hint: t('field.displayName.hint'),
  });
  const nameMsg = formMessage();
  const nameBtn = submitButton(t('action.save'), { wide: false });
  const nameForm = h('form', { class: 'form', novalidate: true }, nameMsg.el, name.el,
    h('div', { class: 'form-actions' }, nameBtn));
  nameForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    nameMsg.set(null);
    if (!checkFields([[name, rules.displayName]])) return;
    nameBtn.busy(true);
    try {
      const r = await request('account.set_name', { display_name: name.value().trim() });
      store.me = r.user;
      store.users.set(r.user.id, { ...store.users.get(r.user.id), ...r.user });
      for (const list of store.members.values()) {
        for (const m of list) if (m.user_id === r.user.id) m.display_name = r.user.display_name;
      }
      nameMsg.set(t('profile.saved'), 'ok');
      changed('members');
      changed('hives');
      headName.textContent = r.user.display_name;
    } catch (err) {
      if (err.code === 'invalid_param') name.setError(t('check.name.empty'));
      else nameMsg.set(errorText(err.code));
    } finally {
      nameBtn.busy(false);
    }
  });

  // Password.
  const oldPw = field({
    name: 'old_password', label: t('field.currentPassword'), type: 'password',
    autocomplete: 'current-password',
  });
  const newPw = field({
    name: 'new_password', label: t('field.newPasswordAgain'), type: 'password',
    autocomplete: 'new-password', hint: t('field.password.hint'),
  });
  const pwMsg = formMessage();
  const pwBtn = submitButton(t('profile.changePassword'), { wide: false });
  const pwForm = h('form', { class: 'form', novalidate: true }, pwMsg.el,
    h('input', {
      type: 'text', name: 'username', autocomplete: 'username', value: me.handle,
      class: 'sr-only', tabindex: '-1', 'aria-hidden': 'true', readonly: true,
    }),
    oldPw.el, newPw.el, h('div', { class: 'form-actions' }, pwBtn));
  pwForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    pwMsg.set(null);
    if (!checkFields([[oldPw, (v) => (v ? null : t('check.password.empty'))], [newPw, rules.password]])) return;
    pwBtn.busy(true);
    try {
      await request('account.set_password', {
        old_password: oldPw.value(), new_password: newPw.value(),
      });
      oldPw.input.value = '';
      newPw.input.value = '';
      pwMsg.set(t('profile.passwordChanged'), 'ok');
    } catch (err) {
      if (err.code === 'bad_credentials') {
        oldPw.setError(t('profile.wrongPassword'));
        oldPw.input.focus();
      } else if (err.code === 'invalid_param') {
        newPw.setError(t('check.password.short'));
        newPw.input.focus();
      } else {
        pwMsg.set(errorText(err.code));
      }
    } finally {
      pwBtn.busy(false);
    }
  });

  // Notifications.
  const notifyState = h('p', { class: 'setting-state' });
  const notifyBtn = h('button', { class: 'btn btn-secondary', type: 'button' }, icon('bell', { size: 16 }),
    h('span', {}, t('profile.notify.enable')));
  const showNotify = () => {
    const p = notify.permission();
    notifyState.textContent = t(`profile.notify.${p}`);
    notifyBtn.hidden = p !== 'default';
  };
  notifyBtn.addEventListener('click', async () => {
    await notify.ask();
    showNotify();
  });
  showNotify();

  // Theme.
  const current = localStorage.getItem(THEME_KEY) || 'system';
  const themes = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': t('profile.theme') },
    ['system', 'light', 'dark'].map((x) => h('label', { class: 'segment' },
      h('input', {
        type: 'radio', name: 'theme', value: x, checked: x === current,
        onchange: () => {
          if (x === 'system') localStorage.removeItem(THEME_KEY);
          else localStorage.setItem(THEME_KEY, x);
          applyTheme(x);
        },
      }),
      h('span', {}, t(`profile.theme.${x}`)))));

  // Language.  Every view builds its text once, when it is made: rather
  // than rebuild them all, the page starts again in the new language.
  const chosen = chosenLanguage() || 'auto';
  const languages = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': t('profile.language') },
    ['auto', ...SUPPORTED].map((x) => h('label', { class: 'segment' },
      h('input', {
        type: 'radio', name: 'language', value: x, checked: x === chosen,
        lang: x === 'auto' ? null : x,
        onchange: () => {
          chooseLanguage(x === 'auto' ? null : x);
          location.reload();
        },
      }),
      h('span', { lang: x === 'auto' ? null : x },
        x === 'auto' ? t('profile.language.auto') : t(`lang.${x}`)))));

  const headName = h('h1', { class: 'page-title', id: 'profile-title' }, me.display_name);
  const section = (title, intro, ...body) => h('section', { class: 'card page-card' },
    h('h2', { class: 'card-title' }, title),
    intro ? h('p', { class: 'card-intro' }, intro) : null, ...body);

  replaceChildren(root, h('div', { class: 'page', 'aria-labelledby': 'profile-title' },
    h('a', { class: 'back-link', href: '#/' }, icon('chevronLeft', { size: 16 }), t('nav.backToChat')),
    h('header', { class: 'page-head' }, avatar(me, { size: 'l' }),
      h('div', {}, headName,
        h('p', { class: 'page-sub' }, `@${me.handle}`, me.admin ? h('span', { class: 'role-tag' }, t('role.admin')) : null))),
    section(t('profile.name'), t('profile.nameIntro'), nameForm),
    section(t('profile.password'), null, pwForm),
    section(t('profile.notify'), t('profile.notify.intro'), h('div', { class: 'setting-row' }, notifyState, notifyBtn)),
    section(t('profile.theme'), null, themes),
    section(t('profile.language'), t('profile.language.intro'), languages),
    section(t('profile.data'), t('profile.data.intro'),
      h('div', { class: 'setting-row' },
        h('a', { class: 'btn btn-secondary', href: '/api/me/export', download: 'ruche-export.json' },
          t('profile.data.export')),
        h('button', { class: 'btn btn-quiet', type: 'button', onclick: () => logout() },
          icon('logout', { size: 16 }), h('span', {}, t('nav.logout')))))));
}

export function forget() {
  built = null;
}
