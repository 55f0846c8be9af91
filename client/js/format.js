// format.js - the small text format of messages, built as DOM nodes.
//
// What people type is always text: this module only recognises a few
// marks and wraps the text between them in elements, created one by one
// (never parsed as HTML).  Recognised, in this order:
//   ```code block```, `code`, links (http and https only, opened with
//   rel=noopener), **bold**, _italics_ (at word edges, so snake_case stays
//   as it is), and @handle mentions of known people (or @hive).
// Line breaks are kept by the stylesheet (white-space: pre-wrap).

import { h } from './dom.js';

const FENCE_RE = /```(?:[a-z0-9_+-]*\n)?([\s\S]*?)```/g;
const CODE_RE = /`([^`\n]+)`/g;
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const BOLD_RE = /\*\*(?=\S)([\s\S]*?\S)\*\*/;
const ITALIC_RE = /(^|[^\p{L}\p{N}_])_(?=\S)([^_\n]*?\S)_(?![\p{L}\p{N}_])/u;
const MENTION_RE = /(^|[^\p{L}\p{N}_.@-])@([a-z0-9_.-]{2,32})/giu;

// Splits text by a global regex: calls onText(piece) for text between
// matches and onMatch(match) for each match; returns the nodes made.
function split(text, re, onMatch, onText) {
  const out = [];
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(...onText(text.slice(last, m.index)));
    out.push(...onMatch(m));
    last = m.index + m[0].length;
    if (m[0].length === 0) re.lastIndex++;
  }
  if (last < text.length) out.push(...onText(text.slice(last)));
  return out;
}

// A link's end: trailing punctuation belongs to the sentence, and a
// closing parenthesis only to the link when it opened one.
function trimUrl(url) {
  let end = url.length;
  for (;;) {
    const c = url[end - 1];
    if ('.,;:!?\'"*_'.includes(c)) end--;
    else if (c === ')' || c === ']') {
      const open = c === ')' ? '(' : '[';
      const s = url.slice(0, end);
      if (s.split(open).length < s.split(c).length) end--;
      else break;
    } else break;
  }
  return url.slice(0, end);
}

function link(raw) {
  let href;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    href = u.href;
  } catch {
    return null;
  }
  return h('a', {
    href,
    class: 'msg-link',
    target: '_blank',
    rel: 'noopener noreferrer nofollow',
  }, raw);
}

function mentions(text, ctx) {
  return split(text, MENTION_RE, (m) => {
    let handle = m[2];
    let tail = '';
    while (handle.endsWith('.')) {
      handle = handle.slice(0, -1);
      tail += '.';
    }
    const lower = handle.toLowerCase();
    const known = lower === 'hive' || ctx.handles?.has(lower);
    if (!known || handle.length < 2) return [m[0]];
    const me = lower === ctx.me || (lower === 'hive' && ctx.hiveMention);
    return [
      m[1],
      h('span', { class: me ? 'mention mention-me' : 'mention' }, `@${handle}`),
      tail,
    ].filter(Boolean);
  }, (t) => [t]);
}

// Bold and italics, innermost handled by recursion.
function emphasis(text, ctx, depth = 0) {
  if (depth > 4) return mentions(text, ctx);
  const b = BOLD_RE.exec(text);
  const i = ITALIC_RE.exec(text);
  const bi = b ? b.index : Infinity;
  const ii = i ? i.index + i[1].length : Infinity;
  if (bi === Infinity && ii === Infinity) return mentions(text, ctx);
  if (bi <= ii) {
    return [
      ...mentions(text.slice(0, bi), ctx),
      h('strong', {}, emphasis(b[1], ctx, depth + 1)),
      ...emphasis(text.slice(bi + b[0].length), ctx, depth),
    ];
  }
  const start = i.index + i[1].length;
  return [
    ...mentions(text.slice(0, start), ctx),
    h('em', {}, emphasis(i[2], ctx, depth + 1)),
    ...emphasis(text.slice(i.index + i[0].length), ctx, depth),
  ];
}

function links(text, ctx) {
  return split(text, URL_RE, (m) => {
    const url = trimUrl(m[0]);
    const a = link(url);
    const rest = m[0].slice(url.length);
    if (!a) return emphasis(m[0], ctx);
    return rest ? [a, ...emphasis(rest, ctx)] : [a];
  }, (t) => emphasis(t, ctx));
}

function inline(text, ctx) {
  return split(text, CODE_RE, (m) => [h('code', { class: 'code' }, m[1])],
    (t) => links(t, ctx));
}

// The nodes for a message's text.  ctx: { handles: Set of lower-case
// handles that exist, me: my handle, hiveMention: whether @hive is me }.
export function formatText(text, ctx = {}) {
  const nodes = split(String(text ?? ''), FENCE_RE,
    (m) => [h('pre', { class: 'code-block' }, h('code', {}, m[1].replace(/\n$/, '')))],
    (t) => inline(t, ctx));
  const frag = document.createDocumentFragment();
  for (const n of nodes) frag.append(n);
  return frag;
}

// A search excerpt, where the server put matches between [ and ].
export function formatExcerpt(excerpt) {
  const frag = document.createDocumentFragment();
  for (const n of split(String(excerpt ?? ''), /\[([^\]\n]*)\]/g,
    (m) => [h('mark', {}, m[1])], (t) => [t])) {
    frag.append(n);
  }
  return frag;
}

// Plain text for previews (a quoted message, a notification): marks
// stripped, white space folded, cut at max characters.
export function plainText(text, max = 140) {
  const s = String(text ?? '')
    .replace(/```(?:[a-z0-9_+-]*\n)?([\s\S]*?)```/g, '$1')
    .replace(/\*\*(\S[\s\S]*?)\*\*/g, '$1')
    .replace(/`([^`\n]+)`/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}
