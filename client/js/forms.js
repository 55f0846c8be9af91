// forms.js - fields with a label, a hint and an error said in plain words
// next to them, and the server's error codes turned into sentences.

import { h, setText } from './dom.js';
import { icon } from './icons.js';
import { t } from './store.js';

let nextId = 1;

// A labelled input.  Returns { el, input, setError(text|null), value() }.
export function field({
  name, label, type = 'text', autocomplete, hint, value = '', required = true,
  minlength, maxlength, inputmode, autocapitalize, spellcheck, min, max, options,
}) {
  const id = `f-${name}-${nextId++}`;
  const hintEl = hint ? h('p', { class: 'field-hint', id: `${id}-hint` }, hint) : null;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error`, hidden: true },
    icon('alert', { size: 14 }), h('span'));
  let input;
  if (options) {
    input = h('select', { id, name, class: 'input' },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  } else {
    input = h(type === 'textarea' ? 'textarea' : 'input', {
      id, name, class: 'input', type: type === 'textarea' ? null : type,
      autocomplete, required, minlength, maxlength, inputmode, min, max,
      autocapitalize, spellcheck,
      value,
    });
  }
  input.setAttribute('aria-describedby', [hintEl && `${id}-hint`, `${id}-error`]
    .filter(Boolean).join(' '));
  const el = h('div', { class: 'field' },
    h('label', { class: 'label', for: id }, label), input, hintEl, errorEl);
  const setError = (text) => {
    errorEl.hidden = !text;
    setText(errorEl.lastChild, text || '');
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  input.addEventListener('input', () => setError(null));
  return { el, input, setError, value: () => input.value };
}

// A form-level message (errors not about one field, or a success).
export function formMessage() {
  const el = h('div', { class: 'form-msg', role: 'alert', hidden: true },
    icon('alert', { size: 16 }), h('span'));
  return {
    el,
    set(text, kind = 'error') {
      el.hidden = !text;
      el.dataset.kind = kind;
      setText(el.lastChild, text || '');
    },
  };
}

// A submit button that shows it is working.
export function submitButton(label, { kind = 'primary', wide = true } = {}) {
  const btn = h('button', {
    type: 'submit', class: ['btn', `btn-${kind}`, wide && 'btn-wide'],
  }, h('span', { class: 'btn-label' }, label));
  btn.busy = (busy) => {
    btn.disabled = busy;
    btn.classList.toggle('is-busy', busy);
    if (busy) btn.setAttribute('aria-busy', 'true');
    else btn.removeAttribute('aria-busy');
  };
  return btn;
}

// A server or connection error code in plain words.
export function errorText(code, { retryAfter } = {}) {
  if (code === 'rate_limited') {
    const s = retryAfter || 60;
    return s >= 120
      ? t('error.rate_limited.minutes', { n: Math.ceil(s / 60) })
      : t('error.rate_limited.seconds', { n: s });
  }
  const key = `error.${code}`;
  const text = t(key);
  return text === key ? t('error.generic') : text;
}

// The client-side rules the server also checks, for quick feedback.
export const rules = {
  handle(v) {
    if (!v) return t('check.handle.empty');
    if (!/^[a-z0-9_.-]{2,32}$/i.test(v)) return t('check.handle.shape');
    return null;
  },
  displayName(v) {
    const n = [...v.trim()].length;
    if (n < 1) return t('check.name.empty');
    if (n > 64) return t('check.name.long');
    return null;
  },
  password(v) {
    if ([...v].length < 10) return t('check.password.short');
    return null;
  },
};

// Checks fields; sets their errors; focuses the first wrong one.
export function checkFields(pairs) {
  let first = null;
  for (const [f, rule] of pairs) {
    const err = rule(f.value());
    f.setError(err);
    if (err && !first) first = f;
  }
  first?.input.focus();
  return !first;
}
