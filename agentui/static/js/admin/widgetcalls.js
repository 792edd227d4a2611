// The widget's Calls: every lead request (a visitor's or an API call's
// "call me back"), newest first, with its outcome, attempts and recording;
// the filters live in the URL so that a view can be bookmarked or sent.
// A row opens the request's detail: its parameters, attempts, refusal and
// next attempt, and for a scheduled one a Cancel button.

import { html, useEffect, useRef, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { notify } from '../common.js';
import { duration, phone, relative, when } from '../format.js';
import { Link } from '../nav.js';
import { getState } from '../store.js';
import { Stream } from '../stream.js';
import { Badge, Dialog, Pager } from './kit.js';

export const STATUSES = [
  ['scheduled', 'Scheduled'],
  ['calling', 'Calling'],
  ['connected', 'Connected'],
  ['missed', 'Missed'],
  ['refused', 'Refused'],
  ['cancelled', 'Cancelled'],
];
const STATUS = Object.fromEntries(STATUSES);
const TONE = { connected: 'green', missed: 'red', scheduled: 'blue', calling: 'amber' };

// REASONS says why a request was missed or refused, in an admin's words.
export const REASONS = {
  no_manager: 'no manager answered',
  manager_declined: 'the manager declined',
  lead_no_answer: 'the visitor did not answer',
  lead_busy: 'the visitor was busy',
  failed: 'the call failed',
  rate_limited: 'too many requests',
  repeat: 'a repeat request',
  country: 'country not allowed',
  premium: 'premium-rate number',
  honeypot: 'a bot (hidden field filled)',
  invalid: 'invalid input',
  no_manager_open: 'no manager has working hours',
};
export const reasonText = (r) => REASONS[r] || (r || '').replace(/_/g, ' ');

const PAGE = 50;
const REFRESH_MS = 10000;

const exact = (t) => (t ? new Date(t).toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' }) : '');

// When shows an instant relative to now, the exact time on hover.
export const When = ({ t }) => (t ? html`<time datetime=${t} title=${exact(t)}>${relative(t)}</time>` : null);

// WidgetSelect picks a widget, or all of them, by name.
export function WidgetSelect({ value, invalid, onChange }) {
  const widgets = useWidgets();
  // Drawn again once the widgets are in: a value from the URL set before
  // its option existed would show as "All widgets".
  return html`<select key=${widgets.length} name="widget_id" aria-label="Widget" value=${value} aria-invalid=${invalid} onChange=${onChange}>
    <option value="">All widgets</option>
    ${widgets.map((w) => html`<option key=${w.id} value=${String(w.id)}>${w.name}</option>`)}
  </select>`;
}

// useWidgets reads the widgets for the filters, by name.
function useWidgets() {
  const [list, set] = useState([]);
  useEffect(() => {
    let live = true;
    rest.get('/widgets').then(
      (r) => live && set(((r && r.widgets) || []).slice().sort((a, b) => String(a.name).localeCompare(String(b.name)))),
      () => {},
    );
    return () => (live = false);
  }, []);
  return list;
}

// StatusPill is a request's status: connected green, missed red with why,
// refused grey with why and how many were folded into it, scheduled with
// its time, calling pulsing.
export function StatusPill({ r }) {
  const label = STATUS[r.status] || r.status;
  let tail = '';
  if (r.status === 'scheduled' && r.next_attempt_at) tail = 'at ' + when(r.next_attempt_at);
  else if ((r.status === 'missed' || r.status === 'refused') && r.reason) tail = reasonText(r.reason);
  const count = r.status === 'refused' && r.count > 1 ? html` <span class="wr-count" title=${r.count + ' requests'}>×${r.count}</span>` : '';
  return html`<span class=${'wr-status wr-' + r.status} data-status=${r.status}>
    <${Badge} tone=${TONE[r.status] || 'grey'}>${label}</${Badge}>${tail && html`<span class="wr-why">${tail}</span>`}${count}
  </span>`;
}

// dayStart is the instant a YYYY-MM-DD day starts in the browser's zone;
// next moves to the following day's start (the range's end, exclusive).
export function dayStart(day, next = false) {
  const d = new Date(day + 'T00:00:00');
  if (next) d.setDate(d.getDate() + 1);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const FILTERS = ['widget_id', 'status', 'q', 'from', 'to'];

// filtersOf reads the filters from a query string; from and to are days.
export function filtersOf(search) {
  const p = new URLSearchParams(search);
  return Object.fromEntries(FILTERS.map((k) => [k, p.get(k) || '']));
}

// requestsQuery is the API's query for the filters and a page's start.
export function requestsQuery(f, before) {
  const p = new URLSearchParams();
  for (const k of ['widget_id', 'status', 'q']) if (f[k]) p.set(k, f[k].trim());
  if (f.from) p.set('from', dayStart(f.from));
  if (f.to) p.set('to', dayStart(f.to, true));
  p.set('limit', PAGE);
  if (before) p.set('before', before);
  return p.toString();
}

// keepInURL puts the values of keys in the address without a new
// history entry, so that a view can be bookmarked or sent.
export function keepInURL(f, keys = FILTERS) {
  const p = new URLSearchParams();
  for (const k of keys) if (f[k]) p.set(k, f[k]);
  const qs = p.toString();
  const want = location.pathname + (qs ? '?' + qs : '');
  if (want !== location.pathname + location.search) history.replaceState(null, '', want);
}

// useLive calls fn when a call ends and every REFRESH_MS while the page is
// visible; a hidden tab does not poll.
function useLive(fn) {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    let soon = 0;
    const run = () => {
      clearTimeout(soon);
      // A few calls ending together refresh once.
      soon = setTimeout(() => latest.current(), 300);
    };
    const tick = setInterval(() => document.visibilityState === 'visible' && run(), REFRESH_MS);
    const shown = () => document.visibilityState === 'visible' && run();
    document.addEventListener('visibilitychange', shown);
    const stream = new Stream({
      onSnapshot: () => {},
      onEvent: (ev) => (ev.type === 'call.ended' || ev.type === 'widget.request') && run(),
      onStatus: () => {},
      onSessionEnded: () => {},
      onRefused: () => {},
    });
    stream.start();
    return () => {
      clearTimeout(soon);
      clearInterval(tick);
      document.removeEventListener('visibilitychange', shown);
      stream.stop();
    };
  }, []);
}

// rowKeys moves the focus between rows with the arrows, and opens the
// focused row with Enter or Space.
function rowKeys(e, open) {
  const row = e.currentTarget;
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    open();
    return;
  }
  const to = e.key === 'ArrowDown' ? row.nextElementSibling : e.key === 'ArrowUp' ? row.previousElementSibling : null;
  if (to) {
    e.preventDefault();
    to.focus();
  }
}

export function WidgetCallsPage() {
  const [filters, setFilters] = useState(() => filtersOf(location.search));
  const [text, setText] = useState(filters.q);
  const [page, setPage] = useState({ after: [''], next: 0 });
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  // ?id= (the link in a widget's e-mails) opens that request.
  const [open, setOpen] = useState(() => Number(new URLSearchParams(location.search).get('id')) || null);
  const [rev, setRev] = useState(0);
  const seq = useRef(0);

  const load = async (f, starts) => {
    const n = ++seq.current;
    try {
      const r = await rest.get('/widget-requests?' + requestsQuery(f, starts[starts.length - 1]));
      if (n !== seq.current) return;
      setData(r.requests || []);
      setPage({ after: starts, next: r.next_before || 0 });
      setError(null);
    } catch (e) {
      if (n === seq.current) setError(e);
    }
  };
  useEffect(() => {
    keepInURL(filters);
    load(filters, ['']);
  }, [filters]);
  // Typing settles before the search goes out.
  useEffect(() => {
    if (text === filters.q) return undefined;
    const t = setTimeout(() => setFilters((f) => ({ ...f, q: text })), 300);
    return () => clearTimeout(t);
  }, [text]);
  // A refresh reads the same page again in place: the table, its scroll
  // and an open dialog stay.
  useLive(() => {
    load(filters, page.after);
    setRev((v) => v + 1);
  });

  const set = (k) => (e) => setFilters({ ...filters, [k]: e.target.value });
  const filtered = FILTERS.some((k) => filters[k]);
  const invalid = (k) => (error && error.field === k ? 'true' : undefined);
  const clear = () => {
    setText('');
    setFilters(filtersOf(''));
  };

  return html`<div class="admin-section widget-calls" data-testid="widget-calls">
    <div class="page-head">
      <h1>Calls</h1>
      <p class="muted">Every callback request from your widgets and the lead-call API, newest first. Open one for its attempts.</p>
    </div>
    <form class="admin-toolbar wr-filters" aria-label="Filter requests" onSubmit=${(e) => {
      e.preventDefault();
      setFilters({ ...filters, q: text });
    }}>
      <input type="search" class="admin-search" name="q" placeholder="Search numbers and parameters" aria-label="Search numbers and parameters"
        value=${text} aria-invalid=${invalid('q')} onInput=${(e) => setText(e.target.value)} />
      <${WidgetSelect} value=${filters.widget_id} invalid=${invalid('widget_id')} onChange=${set('widget_id')} />
      <select name="status" aria-label="Status" value=${filters.status} aria-invalid=${invalid('status')} onChange=${set('status')}>
        <option value="">All statuses</option>
        ${STATUSES.map(([v, l]) => html`<option key=${v} value=${v}>${l}</option>`)}
      </select>
      <label class="wr-date">From <input type="date" name="from" value=${filters.from} aria-invalid=${invalid('from')} onChange=${set('from')} /></label>
      <label class="wr-date">To <input type="date" name="to" value=${filters.to} aria-invalid=${invalid('to')} onChange=${set('to')} /></label>
      ${filtered && html`<button type="button" class="btn btn-small btn-ghost" onClick=${clear}>Clear filters</button>`}
    </form>
    ${error && html`<p class="form-error" role="alert" data-testid="wr-error">${error.field ? error.field + ': ' : ''}${error.message}</p>`}
    ${!data && !error && html`<div class="card" aria-busy="true"><div class="skeleton"></div><div class="skeleton short"></div></div>`}
    ${data && data.length === 0 && (filtered
      ? html`<div class="card empty center" data-testid="wr-empty"><p>No request matches these filters.</p></div>`
      : html`<div class="card empty center" data-testid="wr-empty">
          <p class="strong">No callback requests yet.</p>
          <p class="muted">Put a widget's snippet on your site (<${Link} href="/admin/widgets">My widgets</${Link}>, Snippet tab),
            or start a call with the lead-call API: <code>POST /api/v1/lead-calls</code> with the widget key, an API key and <code>lc_number</code>.
            Each request shows up here the moment it arrives.</p>
        </div>`)}
    ${data && data.length > 0 && html`<${RequestTable} rows=${data} onOpen=${setOpen} />`}
    ${data && html`<${Pager} page=${page} shown=${data.length} load=${(starts) => load(filters, starts)} />`}
    ${open && html`<${RequestDialog} id=${open} rev=${rev} onClose=${() => setOpen(null)} onChanged=${() => load(filters, page.after)} />`}
  </div>`;
}

function RequestTable({ rows, onOpen }) {
  return html`<div class="card table-card">
    <table class="table wr-table" data-testid="wr-table">
      <thead><tr>
        <th scope="col">Time</th><th scope="col">Widget</th><th scope="col">Visitor</th><th scope="col">Status</th>
        <th scope="col" class="num">Attempts</th><th scope="col">Manager</th><th scope="col" class="num">Talk</th><th scope="col">Recording</th>
      </tr></thead>
      <tbody>
        ${rows.map((r) => html`<tr key=${r.id} tabindex="0" class="wr-row" data-testid="wr-row" data-key=${r.id} data-status=${r.status}
          aria-label=${`Request ${r.id}: ${(r.numbers || []).join(', ')}, ${STATUS[r.status] || r.status}`}
          onClick=${(e) => !e.target.closest('a, audio') && onOpen(r.id)} onKeyDown=${(e) => e.target === e.currentTarget && rowKeys(e, () => onOpen(r.id))}>
          <td class="nowrap"><${When} t=${r.created_at} /></td>
          <td>${r.widget_name}${r.source === 'api' && html` <span class="muted small">API</span>`}</td>
          <td class="wr-numbers">${(r.numbers || []).map((n) => html`<div key=${n} class="mono">${phone(n)}</div>`)}</td>
          <td><${StatusPill} r=${r} /></td>
          <td class="num">${r.status === 'refused' ? html`<span class="muted">—</span>` : `${r.attempts}/${r.max_attempts}`}</td>
          <td>${r.manager || html`<span class="muted">—</span>`}</td>
          <td class="num">${r.talk_seconds ? duration(r.talk_seconds) : html`<span class="muted">—</span>`}</td>
          <td>${r.recording ? html`<a href=${r.recording} target="_blank" rel="noopener" data-testid="wr-recording">Listen</a>` : ''}</td>
        </tr>`)}
      </tbody>
    </table>
  </div>`;
}

// RequestDialog is one request's detail, read again when the page
// refreshes (rev), so that it follows an attempt under way.
function RequestDialog({ id, rev, onClose, onChanged }) {
  const [r, setR] = useState(null);
  const [error, setError] = useState(null);
  const [cancelErr, setCancelErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const [again, setAgain] = useState(0);
  useEffect(() => {
    let live = true;
    rest.get(`/widget-requests/${id}`).then(
      (x) => live && (setR(x), setError(null)),
      (e) => live && setError(e),
    );
    return () => (live = false);
  }, [id, rev, again]);
  const admin = (getState().me || {}).role === 'admin';
  const cancel = async () => {
    setBusy(true);
    try {
      setR({ ...r, ...(await rest.post(`/widget-requests/${id}/cancel`)) });
      setCancelErr(null);
      notify('The request is cancelled: it will not be called.', 'ok');
      onChanged();
    } catch (e) {
      setCancelErr(e);
      // Refused because the request moved on: show where it is now.
      if (e.status === 409) {
        setAgain((n) => n + 1);
        onChanged();
      }
    } finally {
      setBusy(false);
    }
  };
  const params = Object.entries((r && r.params) || {});
  const log = (r && r.attempts_log) || [];
  return html`<${Dialog} title=${'Request ' + id} onClose=${onClose} wide>
    <div class="wr-detail" data-testid="wr-detail">
      ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
      ${!r && !error && html`<div class="skeleton"></div>`}
      ${r && html`
        <div class="wr-head">
          <${StatusPill} r=${r} />
          <span class="muted">${r.widget_name} · ${r.source === 'api' ? 'lead-call API' : 'widget'} · ${exact(r.created_at)}</span>
        </div>
        <dl class="wr-facts">
          <div><dt>Visitor</dt><dd>${(r.numbers || []).map((n) => html`<div key=${n} class="mono">${phone(n)}</div>`)}</dd></div>
          <div><dt>Attempts</dt><dd>${r.attempts} of ${r.max_attempts}</dd></div>
          ${r.manager && html`<div><dt>Manager</dt><dd>${r.manager}</dd></div>`}
          ${r.connected_at && html`<div><dt>Connected</dt><dd title=${exact(r.connected_at)}>after ${duration((Date.parse(r.connected_at) - Date.parse(r.created_at)) / 1000)}, talked ${duration(r.talk_seconds)}</dd></div>`}
          ${r.next_attempt_at && html`<div data-testid="wr-next"><dt>Next attempt</dt><dd><${When} t=${r.next_attempt_at} /><div class="muted small">${exact(r.next_attempt_at)}</div></dd></div>`}
        </dl>
        ${r.status === 'refused' && html`<div class="wr-refusal" data-testid="wr-refusal">
          <h3>Refused: ${reasonText(r.reason)}${r.count > 1 ? ` (×${r.count})` : ''}</h3>
          <p>${r.field && html`<code>${r.field}</code>: `}${r.message}</p>
        </div>`}
        <h3>Parameters</h3>
        ${params.length
          ? html`<dl class="wr-params" data-testid="wr-params">${params.map(([k, v]) => html`<div key=${k}><dt>${k}</dt><dd>${String(v)}</dd></div>`)}</dl>`
          : html`<p class="muted small">None sent.</p>`}
        <h3>Attempts</h3>
        ${log.length
          ? html`<table class="table wr-log" data-testid="wr-log">
              <thead><tr><th scope="col" class="num">#</th><th scope="col">Started</th><th scope="col">Result</th>
                <th scope="col">Manager</th><th scope="col" class="num">Talk</th><th scope="col">Call</th></tr></thead>
              <tbody>${log.map((a) => html`<tr key=${a.n}>
                <td class="num">${a.n}</td><td class="nowrap" title=${exact(a.started_at)}>${exact(a.started_at)}</td>
                <td>${a.result ? reasonText(a.result) : html`<span class="muted">under way</span>`}</td>
                <td>${a.manager || html`<span class="muted">—</span>`}</td>
                <td class="num">${a.talk_seconds ? duration(a.talk_seconds) : '—'}</td>
                <td>${a.call_id && html`<${Link} href=${'/calls/' + encodeURIComponent(a.call_id)}>Open</${Link}>`}</td>
              </tr>`)}</tbody>
            </table>`
          : html`<p class="muted small">${r.status === 'refused' ? 'Never dialed.' : 'No attempt yet.'}</p>`}
        ${r.recording && html`<div class="wr-rec"><h3>Recording</h3>
          <audio controls preload="none" src=${r.recording} aria-label=${'Recording of request ' + id}></audio>
          <a class="small" href=${r.recording} download>Download</a></div>`}
        ${cancelErr && html`<p class="form-error" role="alert" data-testid="wr-cancel-error">${cancelErr.message}</p>`}
        <div class="form-foot">
          <button type="button" class="btn" onClick=${onClose}>Close</button>
          ${admin && r.status === 'scheduled' && html`<button type="button" class="btn btn-danger" disabled=${busy} onClick=${cancel}>Cancel the call-back</button>`}
        </div>`}
    </div>
  </${Dialog}>`;
}
