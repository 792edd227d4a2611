// Charts for the reports, drawn by uPlot on a canvas: bars or lines over
// named points (agents, days, hours), with an optional ceiling drawn as a
// dashed line. The table beside each chart carries the same figures for
// screen readers.

import { html, useEffect, useRef } from '../vendor/htm-preact.js';
import uPlot from '../vendor/uplot.js';

export const COLORS = ['#2563eb', '#16a34a', '#f79009', '#7c3aed', '#dc2626', '#0891b2', '#667085'];

const INT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

// Chart draws series ({label, values, color?, scale?}) over labels. bars
// draws bars side by side; ceiling ({value, label}) a dashed limit; fmt
// formats the values of each scale (y, and y2 for a second axis on the
// right); ints names the scales that count whole things.
export function Chart({ title, labels, series, bars = false, ceiling, fmt = {}, ints = [], height = 240, testid }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !labels.length) return undefined;
    const xs = labels.map((_, i) => i);
    const data = [xs, ...series.map((s) => s.values)];
    const n = series.length;
    const plotted = series.map((s, i) => {
      const color = s.color || COLORS[i % COLORS.length];
      const out = { label: s.label, stroke: color, width: 2, scale: s.scale || 'y', value: (u, v) => (v == null ? '—' : (fmt[s.scale || 'y'] || String)(v)) };
      if (bars) {
        out.fill = color + 'cc';
        out.width = 0;
        out.points = { show: false };
        // Side by side within each point's slot: each bar's left edge and
        // width in x units.
        // A bar is at most 40 px wide, however few the points.
        const width = (u) => Math.min(0.7 / n, u.posToVal(40, 'x') - u.posToVal(0, 'x'));
        out.paths = uPlot.paths.bars({
          disp: {
            x0: { unit: 1, values: (u) => xs.map((x) => x - (width(u) * n) / 2 + i * width(u)) },
            size: { unit: 1, values: (u) => xs.map(() => width(u)) },
          },
        });
      } else {
        out.points = { size: 6 };
      }
      return out;
    });
    if (ceiling) {
      data.push(xs.map(() => ceiling.value));
      plotted.push({ label: ceiling.label, stroke: '#dc2626', width: 1.5, dash: [6, 4], points: { show: false }, value: (u, v) => (fmt.y || String)(v) });
    }
    const scales = { x: { time: false, range: () => [-0.5, xs.length - 0.5] }, y: { range: (u, min, max) => [0, Math.max(max, ceiling ? ceiling.value * 1.5 : 0, 1e-9) * 1.1] } };
    // A label under each point, a tick at each point only; counts step
    // by whole numbers.
    const every = Math.ceil(labels.length / 16);
    const axes = [
      { splits: () => xs, values: (u, splits) => splits.map((v) => (v % every === 0 ? labels[v] : '')), gap: 6, size: 40, grid: { show: false } },
      { scale: 'y', values: (u, splits) => splits.map((v) => (fmt.y || String)(v)), size: 56, incrs: ints.includes('y') ? INT_STEPS : undefined },
    ];
    if (series.some((s) => s.scale === 'y2')) {
      scales.y2 = { range: (u, min, max) => [0, Math.max(max, 1) * 1.1] };
      axes.push({ scale: 'y2', side: 1, grid: { show: false }, values: (u, splits) => splits.map((v) => (fmt.y2 || String)(v)), size: 64, incrs: ints.includes('y2') ? INT_STEPS : undefined });
    }
    // The ceiling spans the whole plot, however few the points.
    const drawCeiling = (u) => {
      const y = Math.round(u.valToPos(ceiling.value, 'y', true));
      const c = u.ctx;
      c.save();
      c.strokeStyle = '#dc2626';
      c.lineWidth = 1.5 * devicePixelRatio;
      c.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      c.beginPath();
      c.moveTo(u.bbox.left, y);
      c.lineTo(u.bbox.left + u.bbox.width, y);
      c.stroke();
      c.restore();
    };
    const opts = {
      width: Math.max(280, el.clientWidth), height, series: [{ label: '' }, ...plotted], scales, axes,
      legend: { live: false }, cursor: { drag: { x: false, y: false } }, hooks: ceiling ? { draw: [drawCeiling] } : {},
    };
    const plot = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [JSON.stringify([labels, series, bars, ceiling, ints, height])]);
  const points = series.reduce((n, s) => n + s.values.filter((v) => v != null).length, 0);
  return html`<figure class="chart" data-testid=${testid} data-points=${points}>
    <figcaption>${title}</figcaption>
    ${labels.length ? html`<div class="chart-plot" ref=${box} role="img" aria-label=${title}></div>` : html`<p class="muted small">Nothing to draw in this range.</p>`}
  </figure>`;
}
