// The audit log (admins): who changed what, when and from where, newest
// first, with filters, paging and the same selection as CSV.

import { html, useEffect, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';

const FIELDS = [
  ['actor', 'Who', 'username or user id'],
  ['action', 'Action', 'queue.update or queue.'],
  ['target', 'Target', 'queue:3'],
];

// query turns the form's values into the API's parameters; the time
// fields are local times, the API wants RFC 3339.
function query(f) {
  const p = new URLSearchParams();
  for (const [k] of FIELDS) if (f[k].trim()) p.set(k, f[k].trim());
  for (const k of ['since', 'until']) if (f[k]) p.set(k, new Date(f[k]).toISOString().replace(/\.\d+Z$/, 'Z'));
  return p;
}

// PAGE rows a screen; "Load more" reads the next.
const PAGE = 50;

const when = (at) => new Date(at).toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' });

export function AuditPage() {
  const empty = { actor: '', action: '', target: '', since: '', until: '' };
  const [form, setForm] = useState(empty);
  const [applied, setApplied] = useState(empty);
  const [entries, setEntries] = useState(null);
  const [next, setNext] = useState(0);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const load = async (filters, before) => {
    const p = query(filters);
    p.set('limit', PAGE);
    if (before) p.set('before_id', before);
    setBusy(true);
    try {
      const r = await api.audit(p.toString());
      setEntries((old) => (before ? [...(old || []), ...r.entries] : r.entries));
      setNext(r.next_before_id || 0);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(empty, 0), []);

  const submit = (e) => {
    e.preventDefault();
    setApplied(form);
    load(form, 0);
  };
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const csv = '/api/v1/audit.csv?' + query(applied).toString();

  return html`<div class="page">
    <div class="page-head">
      <h1>Audit log</h1>
      <p class="muted">Who changed what, when and from where, newest first.</p>
    </div>
    <form class="card audit-filters" aria-label="Audit filters" onSubmit=${submit}>
      ${FIELDS.map(([k, label, hint]) => html`<label class="field" key=${k}>
        <span>${label}</span><input name=${k} value=${form[k]} placeholder=${hint} onInput=${set(k)}
          aria-invalid=${error && error.field === k ? 'true' : undefined} /></label>`)}
      <label class="field"><span>From</span><input type="datetime-local" step="1" name="since" value=${form.since} onInput=${set('since')} /></label>
      <label class="field"><span>Until</span><input type="datetime-local" step="1" name="until" value=${form.until} onInput=${set('until')} /></label>
      <div class="audit-actions">
        <button class="btn btn-primary" type="submit" disabled=${busy}>Apply</button>
        <a class="btn" href=${csv} download="audit.csv">Download CSV</a>
      </div>
    </form>
    ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
    ${!entries && !error && html`<div class="card"><div class="skeleton"></div><div class="skeleton short"></div></div>`}
    ${entries && entries.length === 0 && html`<div class="card empty center"><p>No entries match.</p></div>`}
    ${entries &&
    entries.length > 0 &&
    html`<div class="card table-card">
      <table class="table" data-testid="audit-table">
        <thead><tr>
          <th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th>
          <th scope="col">Target</th><th scope="col">Details</th>
        </tr></thead>
        <tbody>
          ${entries.map((a) => html`<tr key=${a.id} data-testid="audit-row" data-action=${a.action}>
            <td class="nowrap">${when(a.at)}</td>
            <td><div class="strong" title=${a.actor.id}>${a.actor.name || a.actor.id}</div>
              <div class="muted small">${[a.role, a.remote].filter(Boolean).join(' · ')}</div></td>
            <td><code>${a.action}</code></td>
            <td>${a.target || html`<span class="muted">—</span>`}</td>
            <td>${Object.keys(a.details || {}).length === 0
              ? html`<span class="muted">—</span>`
              : html`<details><summary>Show</summary><pre class="audit-details">${JSON.stringify(a.details, null, 2)}</pre></details>`}</td>
          </tr>`)}
        </tbody>
      </table>
    </div>`}
    ${next > 0 && html`<p class="center"><button class="btn" disabled=${busy} onClick=${() => load(applied, next)}>Load more</button></p>`}
  </div>`;
}
