// Do-not-call: the system-wide list and each campaign's. Look a number up
// on all of them, add or remove one, import a CSV of numbers.

import { html, useEffect, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { notify } from '../common.js';
import { phone, when } from '../format.js';
import { Dialog, Form, Pager, Table, confirmed } from './kit.js';

const PAGE = 50;
const q = encodeURIComponent;

// listName names a list by its campaign id, 0 being the system-wide one.
// listQuery selects a list in a query: the system-wide one is the
// absence of campaign_id.
const listQuery = (id) => (id ? { campaign_id: String(id) } : {});

const listName = (campaigns, id) => (!id ? 'System-wide' : (campaigns.find((c) => c.id === id) || {}).name || 'Campaign #' + id);

function Lookup({ campaigns }) {
  const [number, setNumber] = useState('');
  const [res, setRes] = useState(null);
  const [err, setErr] = useState('');
  const look = async (e) => {
    e.preventDefault();
    setErr('');
    setRes(null);
    try {
      setRes(await rest.get('/dnc/' + q(number.trim())));
    } catch (x) {
      setErr(x.message);
    }
  };
  return html`<form class="card dnc-lookup" onSubmit=${look} data-testid="dnc-lookup">
    <label for="dnc-look" class="strong">Look a number up</label>
    <div class="row">
      <input id="dnc-look" type="tel" placeholder="+14155550100" value=${number} onInput=${(e) => setNumber(e.target.value)}
        aria-invalid=${err ? 'true' : undefined} />
      <button class="btn" type="submit" disabled=${!number.trim()}>Look up</button>
    </div>
    ${err && html`<small class="field-error" role="alert">${err}</small>`}
    ${res && html`<div class=${'dnc-verdict ' + (res.blocked ? 'blocked' : 'clear')} role="status" data-testid="dnc-verdict">
      ${res.blocked
        ? html`<strong>${phone(res.phone)} is on the do-not-call list</strong>
          <ul>${res.entries.map((e) => html`<li key=${e.id}>${listName(campaigns, e.campaign_id)} since ${when(e.created_at)}${e.reason && ': ' + e.reason}</li>`)}</ul>`
        : html`<strong>${phone(res.phone)} is on no do-not-call list.</strong>`}
    </div>`}
  </form>`;
}

function ImportDialog({ campaign, listLabel, onClose }) {
  const [file, setFile] = useState(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [rep, setRep] = useState(null);
  const [err, setErr] = useState('');
  const send = async (e) => {
    e.preventDefault();
    setBusy(true);
    setErr('');
    try {
      const p = new URLSearchParams(listQuery(campaign));
      if (reason) p.set('reason', reason);
      const res = await fetch('/api/v1/dnc/import?' + p, {
        method: 'POST', body: file, credentials: 'same-origin',
        headers: { 'Content-Type': 'text/csv', Accept: 'application/json', 'X-Requested-With': 'agentswitch' },
      });
      const data = await res.json().catch(() => null);
      if (!res.ok) throw new Error((data && data.error && data.error.message) || res.statusText);
      setRep(data);
    } catch (x) {
      setErr(x.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<${Dialog} title=${'Import numbers into the ' + listLabel + ' list'} onClose=${() => onClose(!!rep)}>
    ${rep
      ? html`<div data-testid="dnc-import-report">
          <dl class="figures"><div><dt>Rows</dt><dd>${rep.rows}</dd></div><div><dt>Added</dt><dd class="good">${rep.added}</dd></div>
            <div><dt>Already listed</dt><dd>${rep.duplicate}</dd></div><div><dt>Refused</dt><dd class=${rep.invalid ? 'bad' : ''}>${rep.invalid}</dd></div></dl>
          ${rep.errors.length > 0 && html`<table class="table"><thead><tr><th scope="col">Line</th><th scope="col">Value</th><th scope="col">Why</th></tr></thead>
            <tbody>${rep.errors.map((x) => html`<tr key=${x.row}><td class="num">${x.row}</td><td>${x.value}</td><td>${x.reason}</td></tr>`)}</tbody></table>`}
          <div class="form-foot"><button class="btn btn-primary" onClick=${() => onClose(true)}>Done</button></div>
        </div>`
      : html`<form onSubmit=${send}>
          <div class="field"><label for="dnc-file">CSV file</label>
            <input id="dnc-file" type="file" accept=".csv,text/csv,text/plain" onChange=${(e) => setFile(e.target.files[0] || null)} />
            <small class="muted">One number per row, or a column named phone.</small></div>
          <div class="field"><label for="dnc-reason">Reason</label>
            <input id="dnc-reason" value=${reason} placeholder="import" onInput=${(e) => setReason(e.target.value)} /></div>
          ${err && html`<p class="form-error" role="alert">${err}</p>`}
          <div class="form-foot"><button type="button" class="btn" onClick=${() => onClose(false)}>Cancel</button>
            <button class="btn btn-primary" type="submit" disabled=${!file || busy}>${busy ? 'Importing…' : 'Import'}</button></div>
        </form>`}
  </${Dialog}>`;
}

export function DNCPage() {
  const [campaigns, setCampaigns] = useState([]);
  const [list, setList] = useState(0);
  const [text, setText] = useState('');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ after: [0], rows: null, next: 0 });
  const [error, setError] = useState(null);
  const [dialog, setDialog] = useState('');

  useEffect(() => {
    rest.get('/campaigns?archived=all').then((r) => setCampaigns(r.campaigns || []), () => {});
  }, []);
  useEffect(() => {
    const t = setTimeout(() => setSearch(text.trim()), 300);
    return () => clearTimeout(t);
  }, [text]);
  const load = async (stack) => {
    const after = stack[stack.length - 1];
    try {
      const p = new URLSearchParams({ ...listQuery(list), limit: String(PAGE) });
      if (search) p.set('q', search);
      if (after) p.set('after', String(after));
      const r = await rest.get('/dnc?' + p);
      setPage({ after: stack, rows: r.entries, next: r.next_after || 0 });
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void load([0]), [list, search]);

  const label = listName(campaigns, list);
  const add = async (v) => {
    await rest.post('/dnc', { phone: v.phone, reason: v.reason, campaign_id: list });
    notify(`Added ${v.phone} to the ${label} list.`, 'ok');
    setDialog('');
    load([0]);
  };
  const remove = async (e) => {
    if (!confirmed(`Take ${phone(e.phone)} off the ${label} list? It may be called again.`)) return;
    try {
      await rest.del(`/dnc/${q(e.phone)}?${new URLSearchParams(listQuery(list))}`);
      notify(`Removed ${phone(e.phone)}.`, 'ok');
      load(page.after);
    } catch (x) {
      notify(x.message, 'error');
    }
  };
  const rows = page.rows || [];
  return html`<div class="admin-section" data-testid="dnc">
    <div class="page-head">
      <h1>Do not call</h1>
      <p class="muted">Numbers never dialed: on the system-wide list for every campaign, on a campaign's list for that one.</p>
    </div>
    <${Lookup} campaigns=${campaigns} />
    <div class="admin-toolbar">
      <select aria-label="List" value=${String(list)} onChange=${(e) => setList(Number(e.target.value))}>
        <option value="0">System-wide list</option>
        ${campaigns.map((c) => html`<option value=${String(c.id)}>${c.name}</option>`)}
      </select>
      <input type="search" class="admin-search" placeholder="Search numbers or reasons" aria-label="Search numbers" value=${text}
        onInput=${(e) => setText(e.target.value)} />
      <button class="btn" onClick=${() => setDialog('import')}>Import CSV</button>
      <button class="btn btn-primary" onClick=${() => setDialog('add')}>Add number</button>
    </div>
    ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
    ${!page.rows && !error && html`<div class="card"><div class="skeleton"></div></div>`}
    ${page.rows && rows.length === 0 && html`<div class="card empty center"><p>${search ? 'Nothing matches.' : `The ${label} list is empty.`}</p></div>`}
    ${rows.length > 0 && html`<${Table} rows=${rows} testid="dnc-table" rowKey=${(e) => e.id} columns=${[
      { label: 'Number', class: 'nowrap', render: (e) => html`<span data-phone=${e.phone}>${phone(e.phone)}</span>` },
      { label: 'Reason', render: (e) => e.reason || html`<span class="muted">—</span>` },
      { label: 'Added', render: (e) => when(e.created_at) },
    ]} actions=${(e) => html`<button class="btn btn-small btn-danger" onClick=${() => remove(e)}>Remove</button>`} />
    <${Pager} page=${page} shown=${rows.length} load=${load} />`}
    ${dialog === 'add' && html`<${Dialog} title=${'Add a number to the ' + label + ' list'} onClose=${() => setDialog('')}>
      <${Form} fields=${[
        { name: 'phone', label: 'Number', type: 'tel', required: true, placeholder: '+14155550100' },
        { name: 'reason', label: 'Reason', placeholder: 'Asked not to be called' },
      ]} initial=${{ phone: '', reason: '' }} submitLabel="Add number" onSubmit=${add} onCancel=${() => setDialog('')} />
    </${Dialog}>`}
    ${dialog === 'import' && html`<${ImportDialog} campaign=${list} listLabel=${label} onClose=${(done) => {
      setDialog('');
      if (done) load([0]);
    }} />`}
  </div>`;
}
