// i18n.js - the page's strings, in the reader's language.
//
// Strings live in client/i18n/<lang>.json as flat "key": "text" pairs.  The
// language is the one chosen in the profile (kept in localStorage), else
// the browser's preference; anything we do not ship falls back to English, and a key missing from a translation falls back
// to the English text, then to the key itself, so a gap never blanks the UI.

export const SUPPORTED = ['en', 'fr'];
export const FALLBACK = 'en';
const CHOICE_KEY = 'ruche.lang';

// The language chosen in the profile, or null to follow the browser.
export function chosenLanguage() {
  try {
    const lang = localStorage.getItem(CHOICE_KEY);
    return SUPPORTED.includes(lang) ? lang : null;
  } catch {
    return null; // storage refused (private modes): follow the browser
  }
}

// Remembers a choice (null: follow the browser again) for the next start.
export function chooseLanguage(lang) {
  try {
    if (SUPPORTED.includes(lang)) localStorage.setItem(CHOICE_KEY, lang);
    else localStorage.removeItem(CHOICE_KEY);
  } catch {
    // not remembered: the choice lasts for this page only
  }
}

// The first of the browser's preferred languages that Ruche speaks.
export function pickLanguage(preferred = navigatorLanguages()) {
  for (const tag of preferred) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (SUPPORTED.includes(base)) return base;
  }
  return FALLBACK;
}

function navigatorLanguages() {
  const nav = globalThis.navigator;
  if (!nav) return [];
  if (Array.isArray(nav.languages) && nav.languages.length) return nav.languages;
  return nav.language ? [nav.language] : [];
}

async function fetchStrings(lang) {
  const res = await fetch(new URL(`../i18n/${lang}.json`, import.meta.url));
  if (!res.ok) throw new Error(`i18n: ${lang}.json: HTTP ${res.status}`);
  return res.json();
}

// Loads the strings for lang (default: the browser's) and returns a
// translator: t(key, { name: value }) replaces "{name}" in the text.
export async function loadStrings(lang = chosenLanguage() || pickLanguage()) {
  const tables = [];
  const langs = lang === FALLBACK ? [FALLBACK] : [lang, FALLBACK];
  const loaded = await Promise.allSettled(langs.map(fetchStrings));
  loaded.forEach((r, i) => {
    if (r.status === 'fulfilled') tables.push(r.value);
    else console.warn(`i18n: could not load ${langs[i]}:`, r.reason);
  });
  const used = loaded[0].status === 'fulfilled' ? lang : FALLBACK;

  const t = (key, vars = {}) => {
    const table = tables.find((s) => typeof s[key] === 'string');
    const text = table ? table[key] : key;
    return text.replace(/\{(\w+)\}/g, (m, name) =>
      name in vars ? String(vars[name]) : m,
    );
  };
  t.lang = used;
  // t.n('key', n): the "key.one" or "key.other" text for a count, by the
  // language's plural rules ({n} is the count).
  const rules = new Intl.PluralRules(used);
  t.n = (key, n, vars = {}) => {
    const form = rules.select(n) === 'one' ? 'one' : 'other';
    return t(`${key}.${form}`, { n, ...vars });
  };
  return t;
}

// Fills every element under root that names a key in data-i18n (its text)
// or data-i18n-<attr> (one of its attributes, e.g. data-i18n-aria-label).
export function translateTree(root, t) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll('*')) {
    for (const { name, value } of [...el.attributes]) {
      if (name.startsWith('data-i18n-')) {
        el.setAttribute(name.slice('data-i18n-'.length), t(value));
      }
    }
  }
}
