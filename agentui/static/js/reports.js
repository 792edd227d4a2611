// Reports (supervisors and admins): agents, campaigns, queues and hangup
// causes over whole days of the user's time zone, each with a chart, a
// table and the same selection as CSV.

import { html, useEffect, useState } from '../vendor/htm-preact.js';
import { rest } from './api.js';
import { duration, localZone, zoneParts } from './format.js';
import { Link } from './nav.js';
import { Chart } from './chart.js';

export const REPORTS = [
  ['agents', 'Agents'],
  ['campaigns', 'Campaigns'],
  ['queues', 'Queues'],
  ['hangups', 'Hangup causes'],
];

// The US Telemarketing Sales Rule's ceiling on abandoned calls.
const ABANDON_CEILING = 0.03;

const pct = (v) => (v == null ? '—' : (v * 100).toFixed(1) + '%');
const mins = (sec) => Math.round(sec / 6) / 10;

// addDays moves a YYYY-MM-DD date by n days (calendar days, no zone).
export function addDays(date, n) {
  const d = new Date(date + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// presets are the date ranges one click away, in the user's zone.
export function presets(zone, now = Date.now()) {
  const today = zoneParts(now, zone).date;
  return [
    ['today', 'Today', today, today],
    ['yesterday', 'Yesterday', addDays(today, -1), addDays(today, -1)],
    ['7d', 'Last 7 days', addDays(today, -6), today],
    ['month', 'This month', today.slice(0, 8) + '01', today],
  ];
}

// reportQuery is the API's selection: the range, the zone, the filters.
function reportQuery(f, kind) {
  const p = new URLSearchParams({ from: f.from, to: f.to, tz: f.tz });
  for (const k of ['campaign', 'queue', 'agent', 'team']) if (f[k]) p.set(k, f[k]);
  if (kind === 'queues' && f.interval === 'hour') p.set('interval', 'hour');
  return p.toString();
}

const list = (r, key) => (Array.isArray(r) ? r : (r && r[key]) || []);

// useChoices reads the campaigns, queues, agents and teams the filters offer.
export function useChoices() {
  const [c, set] = useState({ campaigns: [], queues: [], agents: [], teams: [] });
  useEffect(() => {
    let live = true;
    Promise.all([
      rest.get('/campaigns').catch(() => []),
      rest.get('/queues').catch(() => []),
      rest.get('/agents').catch(() => []),
      rest.get('/teams').catch(() => []),
    ]).then(([cs, qs, as, ts]) => {
      if (!live) return;
      const byName = (a, b) => String(a.name).localeCompare(String(b.name));
      set({
        campaigns: list(cs, 'campaigns').sort(byName),
        queues: list(qs, 'queues').sort(byName),
        agents: list(as, 'agents').sort(byName),
        teams: list(ts, 'teams').sort(byName),
      });
    });
    return () => (live = false);
  }, []);
  return c;
}

// Select is a filter: "All" or one of the records.
export const Select = ({ label, name, value, options, onChange, all = 'All' }) => html`<label class="field">
  <span>${label}</span>
  <select name=${name} value=${value} onChange=${(e) => onChange(e.target.value)}>
    <option value="">${all}</option>
    ${options.map((o) => html`<option value=${o.id}>${o.name}</option>`)}
  </select></label>`;

export function ReportsPage({ path }) {
  const kind = (REPORTS.find(([k]) => path === '/reports/' + k) || REPORTS[0])[0];
  const tz = localZone();
  const [, , from, to] = presets(tz)[0];
  const [form, setForm] = useState({ from, to, tz, campaign: '', queue: '', agent: '', team: '', interval: 'day', preset: 'today' });
  const [applied, setApplied] = useState(form);
  const [state, setResult] = useState({ kind, data: null, error: null, busy: false });
  const choices = useChoices();

  const load = async (f) => {
    setResult((s) => ({ ...s, busy: true }));
    try {
      const data = await rest.get(`/reports/${kind}?${reportQuery(f, kind)}`);
      setResult({ kind, data: { ...data, hourly: kind === 'queues' && f.interval === 'hour' }, error: null, busy: false });
    } catch (error) {
      setResult({ kind, data: null, error, busy: false });
    }
  };
  useEffect(() => void load(applied), [kind, applied]);

  const set = (k) => (v) => setForm({ ...form, [k]: v, preset: k === 'from' || k === 'to' ? '' : form.preset });
  const pick = ([id, , f, t]) => {
    const next = { ...form, from: f, to: t, preset: id };
    setForm(next);
    setApplied(next);
  };
  const submit = (e) => {
    e.preventDefault();
    setApplied({ ...form });
  };
  // A report of another kind is still on its way out.
  const data = state.kind === kind ? state.data : null;
  const err = state.error;
  const invalid = (k) => (err && err.field === k ? 'true' : undefined);
  const csv = `/api/v1/reports/${kind}.csv?${reportQuery(applied, kind)}`;

  return html`<div class="page reports" data-testid="reports-page">
    <div class="page-head">
      <h1>Reports</h1>
      <nav class="tabs" aria-label="Reports">
        ${REPORTS.map(([k, label]) => html`<${Link} key=${k} href=${'/reports/' + k} class=${'tab' + (k === kind ? ' on' : '')}
          aria-current=${k === kind ? 'page' : undefined} data-testid=${'report-tab-' + k}>${label}</${Link}>`)}
      </nav>
    </div>
    <form class="card report-filters" aria-label="Report selection" onSubmit=${submit}>
      <div class="presets" role="group" aria-label="Date range">
        ${presets(tz).map((p) => html`<button type="button" key=${p[0]} class=${'btn btn-small' + (form.preset === p[0] ? ' btn-on' : '')}
          aria-pressed=${String(form.preset === p[0])} data-testid=${'preset-' + p[0]} onClick=${() => pick(p)}>${p[1]}</button>`)}
        <span class="muted small">Days in ${tz}</span>
      </div>
      <div class="filter-grid">
        <label class="field"><span>From</span><input type="date" name="from" value=${form.from} aria-invalid=${invalid('from')}
          onInput=${(e) => set('from')(e.target.value)} /></label>
        <label class="field"><span>To</span><input type="date" name="to" value=${form.to} aria-invalid=${invalid('to')}
          onInput=${(e) => set('to')(e.target.value)} /></label>
        <${Select} label="Campaign" name="campaign" value=${form.campaign} options=${choices.campaigns} onChange=${set('campaign')} />
        <${Select} label="Queue" name="queue" value=${form.queue} options=${choices.queues} onChange=${set('queue')} />
        <${Select} label="Agent" name="agent" value=${form.agent} options=${choices.agents} onChange=${set('agent')} />
        ${choices.teams.length > 0 && html`<${Select} label="Team" name="team" value=${form.team} options=${choices.teams} onChange=${set('team')} />`}
        ${kind === 'queues' && html`<label class="field"><span>By</span>
          <select name="interval" value=${form.interval} aria-invalid=${invalid('interval')} onChange=${(e) => set('interval')(e.target.value)}>
            <option value="day">Day</option><option value="hour">Hour</option></select></label>`}
        <div class="filter-actions">
          <button class="btn btn-primary" type="submit" disabled=${state.busy}>Apply</button>
          <a class="btn" href=${csv} download data-testid="report-csv">Download CSV</a>
        </div>
      </div>
    </form>
    ${err && html`<p class="form-error" role="alert" data-testid="report-error">${err.field ? err.field + ': ' : ''}${err.message}</p>`}
    ${!data && !err && html`<div class="card" aria-busy="true"><div class="skeleton"></div><div class="skeleton short"></div></div>`}
    ${data && html`<${REPORT_VIEWS[kind]} data=${data} hourly=${data.hourly} />`}
  </div>`;
}

const Empty = ({ what }) => html`<div class="card empty center" data-testid="report-empty"><p>No ${what} in this range.</p></div>`;

// dayLabel names a period's start in the report's zone.
function dayLabel(t, zone, hourly) {
  const opts = hourly ? { hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'short' } : { weekday: 'short', day: 'numeric', month: 'short' };
  return new Date(t).toLocaleString([], { ...opts, timeZone: zone });
}

const codes = (m) =>
  Object.entries(m || {})
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => html`<span class="chip chip-dispo" key=${k}>${k} ${v}</span>`);

function AgentsReport({ data }) {
  const rows = data.agents;
  if (!rows.length) return html`<${Empty} what="agent activity" />`;
  return html`<div class="card">
      <${Chart} title="Calls and talk time per agent" testid="chart-agents" bars labels=${rows.map((a) => a.name)}
        series=${[
          { label: 'Calls', values: rows.map((a) => a.calls) },
          { label: 'Talk (min)', values: rows.map((a) => mins(a.talk_sec)), scale: 'y2' },
        ]} ints=${['y']} fmt=${{ y: (v) => String(Math.round(v)), y2: (v) => (v < 10 ? +v.toFixed(1) : Math.round(v)) + ' min' }} />
    </div>
    <div class="card table-card">
      <table class="table report-table" data-testid="report-agents">
        <thead><tr>
          <th scope="col">Agent</th><th scope="col" class="num">Calls</th><th scope="col" class="num">Talk</th>
          <th scope="col" class="num">Hold</th><th scope="col" class="num">Wrap-up</th><th scope="col" class="num">Ready</th>
          <th scope="col" class="num">Paused</th><th scope="col" class="num">Logged in</th><th scope="col" class="num">Occupancy</th>
          <th scope="col">Dispositions</th>
        </tr></thead>
        <tbody>
          ${rows.map((a) => html`<tr key=${a.agent_id} data-testid="agent-row" data-agent=${a.name}>
            <td class="strong">${a.name}</td>
            <td class="num" data-col="calls">${a.calls}</td>
            <td class="num" data-col="talk">${duration(a.talk_sec)}</td>
            <td class="num" data-col="hold">${duration(a.hold_sec)}</td>
            <td class="num" data-col="wrapup">${duration(a.wrapup_sec)}</td>
            <td class="num" data-col="ready">${duration(a.ready_sec)}</td>
            <td class="num" data-col="pause" title=${Object.entries(a.pause_by_code).map(([k, v]) => `${k} ${duration(v)}`).join(', ')}>${duration(a.pause_sec)}
              ${Object.keys(a.pause_by_code).length > 0 && html`<div class="muted small">${Object.entries(a.pause_by_code).map(([k, v]) => `${k} ${duration(v)}`).join(' · ')}</div>`}</td>
            <td class="num" data-col="logged">${duration(a.logged_in_sec)}</td>
            <td class="num" data-col="occupancy">${pct(a.occupancy)}</td>
            <td data-col="dispositions">${codes(a.dispositions)}</td>
          </tr>`)}
        </tbody>
      </table>
    </div>`;
}

function CampaignsReport({ data }) {
  const rows = data.campaigns;
  if (!rows.length) return html`<${Empty} what="campaign calls" />`;
  const zone = data.time_zone;
  const days = rows[0].days.map((d) => dayLabel(d.start, zone));
  return html`<div class="card">
      <${Chart} title="Abandon rate per day (3% ceiling)" testid="chart-campaigns" labels=${days}
        series=${rows.slice(0, 6).map((c) => ({ label: c.name, values: c.days.map((d) => (d.contacts ? d.abandon_rate : null)) }))}
        ceiling=${{ value: ABANDON_CEILING, label: '3% ceiling' }} fmt=${{ y: (v) => (v * 100).toFixed(1) + '%' }} />
    </div>
    <div class="card table-card">
      <table class="table report-table" data-testid="report-campaigns">
        <thead><tr>
          <th scope="col">Campaign</th><th scope="col" class="num">Attempts</th><th scope="col" class="num">Contacts</th>
          <th scope="col" class="num">Abandoned</th><th scope="col" class="num">Abandon rate</th>
          <th scope="col" class="num">Today</th><th scope="col" class="num">24 h</th><th scope="col" class="num">30 days</th>
          <th scope="col">Dispositions</th>
        </tr></thead>
        <tbody>
          ${rows.map((c) => html`<tr key=${c.campaign_id} data-testid="campaign-row">
            <td class="strong">${c.name}</td>
            <td class="num">${c.attempts}</td><td class="num">${c.contacts}</td><td class="num">${c.abandoned}</td>
            <td class=${'num' + (c.abandon_rate > ABANDON_CEILING ? ' over' : '')}>${pct(c.abandon_rate)}</td>
            ${c.windows.map((w) => html`<td key=${w.name} class=${'num' + (w.abandon_rate > ABANDON_CEILING ? ' over' : '')}
              title=${`${w.abandoned} of ${w.contacts} contacts`}>${pct(w.abandon_rate)}</td>`)}
            <td>${codes(c.dispositions)}</td>
          </tr>`)}
        </tbody>
      </table>
    </div>
    <${PeriodTable} testid="report-campaign-days" caption="By day" head=${['Campaign', 'Day', 'Attempts', 'Contacts', 'Abandoned', 'Abandon rate']}
      rows=${rows.flatMap((c) => c.days.filter((d) => d.attempts).map((d) => [c.name, dayLabel(d.start, zone), d.attempts, d.contacts, d.abandoned, pct(d.abandon_rate)]))} />`;
}

function QueuesReport({ data, hourly }) {
  const rows = data.queues;
  if (!rows.length) return html`<${Empty} what="queue callers" />`;
  const zone = data.time_zone;
  const labels = rows[0].periods.map((p) => dayLabel(p.start, zone, hourly));
  return html`<div class="card">
      <${Chart} title=${'Service level per ' + (hourly ? 'hour' : 'day')} testid="chart-queues" labels=${labels}
        series=${rows.slice(0, 6).map((q) => ({ label: q.name, values: q.periods.map((p) => (p.offered ? p.service_level : null)) }))}
        fmt=${{ y: (v) => Math.round(v * 100) + '%' }} />
    </div>
    <div class="card table-card">
      <table class="table report-table" data-testid="report-queues">
        <thead><tr>
          <th scope="col">Queue</th><th scope="col" class="num">Offered</th><th scope="col" class="num">Answered</th>
          <th scope="col" class="num">Service level</th><th scope="col" class="num">Abandoned</th>
          <th scope="col" class="num">Average wait</th><th scope="col" class="num">Longest wait</th>
        </tr></thead>
        <tbody>
          ${rows.map((q) => html`<tr key=${q.queue_id} data-testid="queue-row" data-queue=${q.name}>
            <td class="strong">${q.name}<div class="muted small">answered within ${q.service_level_seconds} s</div></td>
            <td class="num" data-col="offered">${q.offered}</td><td class="num" data-col="answered">${q.answered}</td>
            <td class="num" data-col="sl">${pct(q.offered ? q.service_level : null)}</td>
            <td class="num" data-col="abandoned">${q.abandoned}</td>
            <td class="num">${duration(q.avg_wait_sec)}</td><td class="num">${duration(q.max_wait_sec)}</td>
          </tr>`)}
        </tbody>
      </table>
    </div>
    <${PeriodTable} testid="report-queue-periods" caption=${hourly ? 'By hour' : 'By day'}
      head=${['Queue', hourly ? 'Hour' : 'Day', 'Offered', 'Answered', 'Service level', 'Abandoned', 'Average wait']}
      rows=${rows.flatMap((q) => q.periods.filter((p) => p.offered).map((p) => [q.name, dayLabel(p.start, zone, hourly), p.offered, p.answered, pct(p.service_level), p.abandoned, duration(p.avg_wait_sec)]))} />`;
}

function HangupsReport({ data }) {
  const rows = data.hangups;
  if (!rows.length) return html`<${Empty} what="ended calls" />`;
  const causes = [...new Set(rows.map((h) => h.cause || '(none)'))];
  const count = (dir) => causes.map((c) => rows.filter((h) => (h.cause || '(none)') === c && h.direction === dir).reduce((n, h) => n + h.calls, 0));
  return html`<div class="card">
      <${Chart} title="Calls by hangup cause" testid="chart-hangups" bars labels=${causes}
        series=${[{ label: 'Outbound', values: count('outbound') }, { label: 'Inbound', values: count('inbound') }]} ints=${['y']} fmt=${{ y: (v) => String(Math.round(v)) }} />
    </div>
    <${PeriodTable} testid="report-hangups" head=${['Cause', 'Direction', 'Calls']}
      rows=${rows.map((h) => [h.cause || '(none)', h.direction, h.calls])} />`;
}

// PeriodTable is a plain table of rows already formatted; numbers right.
function PeriodTable({ caption, head, rows, testid }) {
  if (!rows.length) return null;
  // Figures (counts, rates, durations) line up on the right.
  const num = rows[0].map((c) => (typeof c === 'number' || /^[\d.:%]+$/.test(c) ? 'num' : ''));
  return html`<div class="card table-card">
    <table class="table report-table" data-testid=${testid}>
      ${caption && html`<caption>${caption}</caption>`}
      <thead><tr>${head.map((h, i) => html`<th scope="col" class=${num[i]}>${h}</th>`)}</tr></thead>
      <tbody>${rows.map((r, j) => html`<tr key=${j}>${r.map((c, i) => html`<td class=${num[i]}>${c}</td>`)}</tr>`)}</tbody>
    </table>
  </div>`;
}

const REPORT_VIEWS = { agents: AgentsReport, campaigns: CampaignsReport, queues: QueuesReport, hangups: HangupsReport };
