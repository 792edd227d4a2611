// Line icons after Feather (MIT, Cole Bemis), drawn as inline SVG.

import { h } from '../vendor/htm-preact.js';

const handset =
  'M22 16.92v3a2 2 0 0 1-2.18 2 19.79 19.79 0 0 1-8.63-3.07 19.5 19.5 0 0 1-6-6 19.79 19.79 0 0 1-3.07-8.67A2 2 0 0 1 4.11 2h3a2 2 0 0 1 2 1.72 12.84 12.84 0 0 0 .7 2.81 2 2 0 0 1-.45 2.11L8.09 9.91a16 16 0 0 0 6 6l1.27-1.27a2 2 0 0 1 2.11-.45 12.84 12.84 0 0 0 2.81.7A2 2 0 0 1 22 16.92z';
const p = (d) => ['path', { d }];
const line = (x1, y1, x2, y2) => ['line', { x1, y1, x2, y2 }];
const poly = (points) => ['polyline', { points }];
const circle = (cx, cy, r, extra = {}) => ['circle', { cx, cy, r, ...extra }];
const rect = (x, y, width, height, extra = {}) => ['rect', { x, y, width, height, ...extra }];

const shapes = {
  phone: [p(handset)],
  hangup: [
    p('M10.68 13.31a16 16 0 0 0 3.41 2.6l1.27-1.27a2 2 0 0 1 2.11-.45 12.84 12.84 0 0 0 2.81.7 2 2 0 0 1 1.72 2v3a2 2 0 0 1-2.18 2 19.79 19.79 0 0 1-8.63-3.07 19.42 19.42 0 0 1-3.33-2.67m-2.67-3.34a19.79 19.79 0 0 1-3.07-8.63A2 2 0 0 1 4.11 2h3a2 2 0 0 1 2 1.72 12.84 12.84 0 0 0 .7 2.81 2 2 0 0 1-.45 2.11L8.09 9.91'),
    line(23, 1, 1, 23),
  ],
  inbound: [p(handset), poly('16 2 16 8 22 8'), line(23, 1, 16, 8)],
  outbound: [p(handset), poly('23 7 23 1 17 1'), line(16, 8, 23, 1)],
  missed: [p(handset), line(23, 1, 17, 7), line(17, 1, 23, 7)],
  hold: [rect(6, 4, 4, 16, { rx: 1 }), rect(14, 4, 4, 16, { rx: 1 })],
  mic: [p('M12 1a3 3 0 0 0-3 3v8a3 3 0 0 0 6 0V4a3 3 0 0 0-3-3z'), p('M19 10v2a7 7 0 0 1-14 0v-2'), line(12, 19, 12, 23), line(8, 23, 16, 23)],
  micOff: [
    line(1, 1, 23, 23),
    p('M9 9v3a3 3 0 0 0 5.12 2.12M15 9.34V4a3 3 0 0 0-5.94-.6'),
    p('M17 16.95A7 7 0 0 1 5 12v-2m14 0v2a7 7 0 0 1-.11 1.23'),
    line(12, 19, 12, 23),
    line(8, 23, 16, 23),
  ],
  transfer: [poly('15 14 20 9 15 4'), p('M4 20v-7a4 4 0 0 1 4-4h12')],
  conference: [p('M16 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2'), circle(8.5, 7, 4), line(20, 8, 20, 14), line(23, 11, 17, 11)],
  keypad: [
    circle(6, 4, 1.3, { fill: 'currentColor' }), circle(12, 4, 1.3, { fill: 'currentColor' }), circle(18, 4, 1.3, { fill: 'currentColor' }),
    circle(6, 10, 1.3, { fill: 'currentColor' }), circle(12, 10, 1.3, { fill: 'currentColor' }), circle(18, 10, 1.3, { fill: 'currentColor' }),
    circle(6, 16, 1.3, { fill: 'currentColor' }), circle(12, 16, 1.3, { fill: 'currentColor' }), circle(18, 16, 1.3, { fill: 'currentColor' }),
    circle(12, 22, 1.3, { fill: 'currentColor' }),
  ],
  record: [circle(12, 12, 9), circle(12, 12, 4, { fill: 'currentColor' })],
  leave: [p('M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4'), poly('16 17 21 12 16 7'), line(21, 12, 9, 12)],
  clock: [circle(12, 12, 10), poly('12 6 12 12 16 14')],
  calendar: [rect(3, 4, 18, 18, { rx: 2 }), line(16, 2, 16, 6), line(8, 2, 8, 6), line(3, 10, 21, 10)],
  check: [poly('20 6 9 17 4 12')],
  x: [line(18, 6, 6, 18), line(6, 6, 18, 18)],
  backspace: [p('M21 4H8l-7 8 7 8h13a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2z'), line(18, 9, 12, 15), line(12, 9, 18, 15)],
  refresh: [poly('23 4 23 10 17 10'), poly('1 20 1 14 7 14'), p('M3.51 9a9 9 0 0 1 14.85-3.36L23 10M1 14l4.64 4.36A9 9 0 0 0 20.49 15')],
  headset: [p('M3 18v-6a9 9 0 0 1 18 0v6'), p('M21 19a2 2 0 0 1-2 2h-1a2 2 0 0 1-2-2v-3a2 2 0 0 1 2-2h3zM3 19a2 2 0 0 0 2 2h1a2 2 0 0 0 2-2v-3a2 2 0 0 0-2-2H3z')],
  user: [p('M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2'), circle(12, 7, 4)],
  script: [p('M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z'), poly('14 2 14 8 20 8'), line(16, 13, 8, 13), line(16, 17, 8, 17)],
  play: [['polygon', { points: '6 3 20 12 6 21 6 3' }]],
  pause: [circle(12, 12, 10), line(10, 15, 10, 9), line(14, 15, 14, 9)],
  chevron: [poly('6 9 12 15 18 9')],
  list: [line(8, 6, 21, 6), line(8, 12, 21, 12), line(8, 18, 21, 18), line(3, 6, 3.01, 6), line(3, 12, 3.01, 12), line(3, 18, 3.01, 18)],
  alert: [circle(12, 12, 10), line(12, 8, 12, 12), line(12, 16, 12.01, 16)],
  plus: [line(12, 5, 12, 19), line(5, 12, 19, 12)],
  browser: [rect(2, 3, 20, 18, { rx: 2 }), line(2, 8, 22, 8), line(6, 5.5, 6.01, 5.5), line(9, 5.5, 9.01, 5.5)],
  speaker: [['polygon', { points: '11 5 6 9 2 9 2 15 6 15 11 19 11 5' }], p('M15.54 8.46a5 5 0 0 1 0 7.07M19.07 4.93a10 10 0 0 1 0 14.14')],
  signal: [line(6, 20, 6, 16), line(12, 20, 12, 10), line(18, 20, 18, 4)],
};

export function Icon({ name, size = 18, class: cls = '' }) {
  const parts = shapes[name] || [];
  return h(
    'svg',
    {
      class: 'icon ' + cls, width: size, height: size, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor',
      'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false',
    },
    parts.map(([tag, attrs]) => h(tag, attrs)),
  );
}
