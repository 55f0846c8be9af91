// icons.js - the few line icons the page uses, drawn as inline SVG
// (24x24, stroked with currentColor, after the Feather set's style).
import { svg } from './dom.js';

const L = (x1, y1, x2, y2) => ['line', { x1, y1, x2, y2 }];
const P = (d) => ['path', { d }];
const PL = (points) => ['polyline', { points }];
const C = (cx, cy, r) => ['circle', { cx, cy, r }];

const ICONS = {
  menu: [L(3, 6, 21, 6), L(3, 12, 21, 12), L(3, 18, 21, 18)],
  hash: [L(4, 9, 20, 9), L(4, 15, 20, 15), L(10, 3, 8, 21), L(16, 3, 14, 21)],
  announce: [P('M3 11v2a1 1 0 0 0 1 1h2l6 4.5v-13L6 10H4a1 1 0 0 0-1 1z'),
    P('M16 8.5a4.5 4.5 0 0 1 0 7'), P('M19 5.5a8.5 8.5 0 0 1 0 13')],
  search: [C(11, 11, 7.5), L(21, 21, 16.5, 16.5)],
  users: [P('M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2'), C(9, 7, 4),
    P('M23 21v-2a4 4 0 0 0-3-3.87'), P('M16 3.13a4 4 0 0 1 0 7.75')],
  send: [L(22, 2, 11, 13), ['polygon', { points: '22 2 15 22 11 13 2 9 22 2' }]],
  smile: [C(12, 12, 10), P('M8 14s1.5 2 4 2 4-2 4-2'), L(9, 9, 9.01, 9), L(15, 9, 15.01, 9)],
  reply: [PL('9 14 4 9 9 4'), P('M20 20v-7a4 4 0 0 0-4-4H4')],
  edit: [P('M17 3a2.83 2.83 0 1 1 4 4L7.5 20.5 2 22l1.5-5.5L17 3z')],
  trash: [PL('3 6 5 6 21 6'),
    P('M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6m3 0V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2')],
  x: [L(18, 6, 6, 18), L(6, 6, 18, 18)],
  plus: [L(12, 5, 12, 19), L(5, 12, 19, 12)],
  shield: [P('M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z')],
  logout: [P('M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4'), PL('16 17 21 12 16 7'), L(21, 12, 9, 12)],
  copy: [['rect', { x: 9, y: 9, width: 13, height: 13, rx: 2 }],
    P('M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1')],
  chevronDown: [PL('6 9 12 15 18 9')],
  chevronLeft: [PL('15 18 9 12 15 6')],
  bell: [P('M18 8A6 6 0 0 0 6 8c0 7-3 9-3 9h18s-3-2-3-9'), P('M13.73 21a2 2 0 0 1-3.46 0')],
  message: [P('M21 11.5a8.38 8.38 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.38 8.38 0 0 1-3.8-.9L3 21l1.9-5.7a8.38 8.38 0 0 1-.9-3.8 8.5 8.5 0 0 1 4.7-7.6 8.38 8.38 0 0 1 3.8-.9h.5a8.48 8.48 0 0 1 8 8v.5z')],
  user: [P('M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2'), C(12, 7, 4)],
  arrowDown: [L(12, 5, 12, 19), PL('19 12 12 19 5 12')],
  refresh: [PL('23 4 23 10 17 10'), P('M20.49 15a9 9 0 1 1-2.12-9.36L23 10')],
  alert: [C(12, 12, 10), L(12, 8, 12, 12), L(12, 16, 12.01, 16)],
  clock: [C(12, 12, 10), PL('12 6 12 12 16 14')],
  check: [PL('20 6 9 17 4 12')],
  link: [P('M10 13a5 5 0 0 0 7.54.54l3-3a5 5 0 0 0-7.07-7.07l-1.72 1.71'),
    P('M14 11a5 5 0 0 0-7.54-.54l-3 3a5 5 0 0 0 7.07 7.07l1.71-1.71')],
  lock: [['rect', { x: 3, y: 11, width: 18, height: 11, rx: 2 }], P('M7 11V7a5 5 0 0 1 10 0v4')],
  archive: [PL('21 8 21 21 3 21 3 8'), ['rect', { x: 1, y: 3, width: 22, height: 5 }], L(10, 12, 14, 12)],
};

// icon('send') -> an <svg> hidden from assistive technology (the button
// around it carries the label).
export function icon(name, { size = 18, className = '' } = {}) {
  const parts = ICONS[name] || ICONS.alert;
  return svg('svg', {
    class: `icon ${className}`.trim(),
    viewBox: '0 0 24 24',
    width: size,
    height: size,
    fill: 'none',
    stroke: 'currentColor',
    'stroke-width': 2,
    'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
    'aria-hidden': 'true',
    focusable: 'false',
  }, ...parts.map(([tag, attrs]) => svg(tag, attrs)));
}
