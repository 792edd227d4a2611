// The widget's Dashboard: how many callback requests came, how many were
// connected, missed or refused, and how fast, per day of the browser's
// time zone, with a chart, a table and the table as CSV.

import { html, useEffect, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { Chart } from '../chart.js';
import { duration, localZone, zoneParts } from '../format.js';
import { Link } from '../nav.js';
import { addDays } from '../reports.js';
import { WidgetSelect, dayStart, keepInURL } from './widgetcalls.js';

// ranges are the presets, as [id, label, from, to] days in zone.
export function ranges(zone, now = Date.now()) {
  const today = zoneParts(now, zone).date;
  return [
    ['today', 'Today', today, today],
    ['7d', 'Last 7 days', addDays(today, -6), today],
    ['30d', 'Last 30 days', addDays(today, -29), today],
  ];
}

const pct = (n, of) => (of ? Math.round((n / of) * 1000) / 10 + '%' : '—');
// The connect rate is over the requests dialed and done: refusals were
// never dialed and scheduled ones are not done yet.
const done = (d) => (d.connected || 0) + (d.missed || 0);
const secs = (v) => (v == null ? '—' : duration(Math.round(v)));
const dayName = (d) => new Date(d + 'T12:00:00Z').toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });

// COLUMNS are the CSV's and the table's, in order: key, CSV heading,
// and the table's when shorter.
const COLUMNS = [
  ['day', 'Day'], ['requests', 'Requests'], ['connected', 'Connected'], ['missed', 'Missed'], ['refused', 'Refused'],
  ['scheduled', 'Scheduled'], ['rate', 'Connect rate'], ['avg_connect_seconds', 'Avg. time to connect (s)', 'Avg. connect'], ['avg_talk_seconds', 'Avg. talk (s)', 'Avg. talk'],
];

// csvOf is the days as CSV: raw figures (seconds, a 0-1 rate), so that a
// spreadsheet can compute with them.
export function csvOf(days) {
  const cell = (v) => (v == null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const rows = days.map((d) => COLUMNS.map(([k]) => {
    if (k === 'rate') return done(d) ? (d.connected / done(d)).toFixed(4) : '';
    if (k.startsWith('avg_')) return d[k] == null ? null : Math.round(d[k] * 10) / 10;
    return d[k];
  }));
  return [COLUMNS.map(([, l]) => l), ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

// selectionOf reads the selection from a query string: a preset range,
// or a custom one with its days; the last 7 days otherwise.
export function selectionOf(search, zone, now = Date.now()) {
  const p = new URLSearchParams(search);
  const widget_id = p.get('widget_id') || '';
  const preset = ranges(zone, now).find((r) => r[0] === p.get('range'));
  const [from, to] = [p.get('from'), p.get('to')];
  if (p.get('range') === 'custom' && DAY.test(from || '') && DAY.test(to || '') && from <= to) return { widget_id, preset: 'custom', from, to };
  const [id, , f, t] = preset || ranges(zone, now)[1];
  return { widget_id, preset: id, from: f, to: t };
}

export function WidgetDashboardPage() {
  const tz = localZone();
  const [sel, setSel] = useState(() => selectionOf(location.search, tz));
  const [st, setSt] = useState({ data: null, error: null });

  useEffect(() => {
    keepInURL({ widget_id: sel.widget_id, range: sel.preset, ...(sel.preset === 'custom' ? { from: sel.from, to: sel.to } : {}) },
      ['widget_id', 'range', 'from', 'to']);
    let live = true;
    // Whole days of the zone, as the instants they start and end at.
    const p = new URLSearchParams({ from: dayStart(sel.from), to: dayStart(sel.to, true), tz });
    if (sel.widget_id) p.set('widget_id', sel.widget_id);
    rest.get('/widget-dashboard?' + p.toString()).then(
      (data) => live && setSt({ data, error: null }),
      (error) => live && setSt({ data: null, error }),
    );
    return () => (live = false);
  }, [sel.widget_id, sel.preset, sel.from, sel.to]);

  const pick = ([id, , from, to]) => setSel({ ...sel, preset: id, from, to });
  const setDay = (k) => (e) => e.target.value && setSel({ ...sel, preset: 'custom', [k]: e.target.value });
  const { data, error } = st;
  const err = (k) => (error && error.field === k ? 'true' : undefined);
  const download = () => {
    const url = URL.createObjectURL(new Blob([csvOf(data.days)], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `widget-calls-${sel.from}-to-${sel.to}.csv`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return html`<div class="admin-section widget-dash" data-testid="widget-dashboard">
    <div class="page-head">
      <h1>Dashboard</h1>
      <p class="muted">Callback requests and how fast they were answered, per day in ${tz}.</p>
    </div>
    <div class="admin-toolbar wd-filters" role="group" aria-label="Dashboard selection">
      <${WidgetSelect} value=${sel.widget_id} onChange=${(e) => setSel({ ...sel, widget_id: e.target.value })} />
      <div class="presets" role="group" aria-label="Date range">
        ${ranges(tz).map((r) => html`<button type="button" key=${r[0]} class=${'btn btn-small' + (sel.preset === r[0] ? ' btn-on' : '')}
          aria-pressed=${String(sel.preset === r[0])} onClick=${() => pick(r)}>${r[1]}</button>`)}
        <button type="button" class=${'btn btn-small' + (sel.preset === 'custom' ? ' btn-on' : '')} aria-pressed=${String(sel.preset === 'custom')}
          onClick=${() => setSel({ ...sel, preset: 'custom' })}>Custom</button>
      </div>
      ${sel.preset === 'custom' && html`
        <label class="wr-date">From <input type="date" name="from" value=${sel.from} max=${sel.to} aria-invalid=${err('from')} onChange=${setDay('from')} /></label>
        <label class="wr-date">To <input type="date" name="to" value=${sel.to} min=${sel.from} aria-invalid=${err('to')} onChange=${setDay('to')} /></label>`}
    </div>
    ${error && html`<p class="form-error" role="alert" data-testid="wd-error">${error.field ? error.field + ': ' : ''}${error.message}</p>`}
    ${!data && !error && html`<div class="card" aria-busy="true"><div class="skeleton"></div><div class="skeleton short"></div></div>`}
    ${data && html`<${Dashboard} data=${data} onCSV=${download} />`}
  </div>`;
}

function Dashboard({ data, onCSV }) {
  const t = data.totals || {};
  const days = data.days || [];
  const cards = [
    ['requests', 'Requests', t.requests, ''],
    ['connected', 'Connected', t.connected, 'good'],
    ['missed', 'Missed', t.missed, t.missed ? 'bad' : ''],
    ['refused', 'Refused', t.refused, ''],
    ['rate', 'Connect rate', pct(t.connected, done(t)), ''],
    ['connect', 'Avg. connect', secs(t.avg_connect_seconds), ''],
    ['talk', 'Avg. talk', secs(t.avg_talk_seconds), ''],
  ];
  return html`
    <div class="wd-cards" data-testid="wd-cards">
      ${cards.map(([k, label, v, tone]) => html`<div key=${k} class=${'card wd-card ' + tone} data-card=${k}>
        <div class="wd-label">${label}</div><div class="wd-value">${v == null ? 0 : v}</div>
      </div>`)}
    </div>
    ${!t.requests
      ? html`<div class="card empty center" data-testid="wd-empty"><p class="strong">No callback requests in this range.</p>
          <p class="muted">Requests come from a widget's snippet on your site (<${Link} href="/admin/widgets">My widgets</${Link}>)
            or from the lead-call API, <code>POST /api/v1/lead-calls</code>.</p></div>`
      : html`
        <div class="card">
          <${Chart} title="Requests, connected and missed per day" testid="wd-chart" bars labels=${days.map((d) => dayName(d.day))}
            series=${[
              { label: 'Requests', values: days.map((d) => d.requests), color: '#2563eb' },
              { label: 'Connected', values: days.map((d) => d.connected), color: '#16a34a' },
              { label: 'Missed', values: days.map((d) => d.missed), color: '#dc2626' },
            ]} ints=${['y']} fmt=${{ y: (v) => String(Math.round(v)) }} />
        </div>
        <div class="card table-card">
          <div class="wd-table-head"><h2>By day</h2>
            <button type="button" class="btn btn-small" data-testid="wd-csv" onClick=${onCSV}>Download CSV</button></div>
          <table class="table report-table" data-testid="wd-table">
            <thead><tr>${COLUMNS.map(([k, l, short], i) => html`<th scope="col" key=${k} class=${i ? 'num' : ''}>${short || l}</th>`)}</tr></thead>
            <tbody>${days.map((d) => html`<tr key=${d.day} data-day=${d.day}>
              <td class="strong">${dayName(d.day)}</td>
              <td class="num">${d.requests}</td><td class="num">${d.connected}</td><td class="num">${d.missed}</td>
              <td class="num">${d.refused}</td><td class="num">${d.scheduled}</td><td class="num">${pct(d.connected, done(d))}</td>
              <td class="num">${secs(d.avg_connect_seconds)}</td><td class="num">${secs(d.avg_talk_seconds)}</td>
            </tr>`)}</tbody>
          </table>
        </div>`}`;
}
