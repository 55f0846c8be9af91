// dom.js - building the page out of elements, never out of HTML text.
//
// h('p', { class: 'note', text: userText }) makes a <p> whose text is set
// through textContent, so what people type is never parsed as markup.
// The page runs under a Content-Security-Policy without 'unsafe-inline',
// so a style attribute is refused here rather than blocked in the browser.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Appends children: nodes, strings (as text), arrays, and skips null,
// undefined and false so that optional parts read naturally.
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

// Sets one property or attribute of an element:
//   class, text, dataset ({...}), on<event> (a listener), hidden, and
//   boolean or string attributes; null, undefined and false leave it out.
function setProp(el, key, value) {
  if (value === null || value === undefined || value === false) return;
  if (key === 'style') throw new Error('dom: no style attributes (CSP)');
  if (key === 'class') el.setAttribute('class', Array.isArray(value)
    ? value.filter(Boolean).join(' ') : value);
  else if (key === 'text') el.textContent = value;
  else if (key === 'dataset') Object.assign(el.dataset, value);
  else if (key.startsWith('on') && typeof value === 'function') {
    el.addEventListener(key.slice(2), value);
  } else if (key === 'value' || key === 'checked' || key === 'selected') {
    el[key] = value;
  } else el.setAttribute(key, value === true ? '' : String(value));
}

// h(tag, props?, ...children): a new element.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props && !(props instanceof Node) && !Array.isArray(props) &&
      typeof props === 'object') {
    for (const [key, value] of Object.entries(props)) setProp(el, key, value);
  } else if (props !== undefined) {
    children.unshift(props);
  }
  return append(el, children);
}

// An SVG element (for icons and avatars' drawings).
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  for (const child of children) el.append(child);
  return el;
}

// Removes every child of el.
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// Replaces el's children with the given ones.
export function replaceChildren(el, ...children) {
  clear(el);
  return append(el, children);
}

// Sets text only when it changes, so live regions announce real changes.
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// Sets or removes an attribute (null/false/undefined remove it).
export function attr(el, name, value) {
  if (value === null || value === undefined || value === false) {
    el.removeAttribute(name);
  } else {
    const v = value === true ? '' : String(value);
    if (el.getAttribute(name) !== v) el.setAttribute(name, v);
  }
}

export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

// A stable small number for a user id, to pick one of the avatar colours.
export function hue(id, n = 8) {
  let x = Number(id) || 0;
  x = ((x * 2654435761) >>> 0) % n;
  return x;
}

// Initials for an avatar: the first letters of the first two words.
export function initials(name) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => [...w][0] || '');
  return (letters.join('') || '?').toUpperCase();
}

// An avatar: initials on one of eight colours, with an optional
// presence dot ('online' | 'away' | 'offline').
export function avatar(user, { size = 'm', presence } = {}) {
  const name = user?.display_name || user?.handle || '?';
  return h('span', {
    class: ['avatar', `avatar-${size}`, `avatar-c${hue(user?.id ?? user?.user_id)}`],
    'aria-hidden': 'true',
    // Drawn by the style sheet: a button labelled with the person's name
    // shows the initials without them counting as its visible text.
    dataset: { initials: initials(name) },
  }, presence ? h('span', { class: `presence presence-${presence}` }) : null);
}

// A random UUID even outside secure contexts (where randomUUID is absent).
export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
