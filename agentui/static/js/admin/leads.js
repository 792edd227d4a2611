// Leads: find leads by campaign, list, status and name or number, page
// through them, open one to edit it and read its calls, act on all the
// leads a filter selects, and export them as CSV.

import { html, useEffect, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { notify } from '../common.js';
import { duration, fullName, phone, when, zones } from '../format.js';
import { Badge, Dialog, Form, Pager, Table, confirmed } from './kit.js';

const PAGE = 50;

export const LEAD_STATUSES = [
  ['new', 'New'],
  ['dialing', 'Dialing'],
  ['retry', 'Retry'],
  ['callback', 'Callback'],
  ['done', 'Done'],
  ['dnc', 'Do not call'],
  ['invalid', 'Invalid number'],
];

const TONE = { new: 'blue', dialing: 'green', retry: 'amber', callback: 'amber', done: 'grey', dnc: 'red', invalid: 'red' };

export const LeadStatus = ({ s }) => html`<${Badge} tone=${TONE[s] || 'grey'}>${(LEAD_STATUSES.find(([k]) => k === s) || [s, s])[1]}</${Badge}>`;

// query is the API query of a filter, without paging.
function query(f) {
  const p = new URLSearchParams();
  for (const k of ['campaign', 'list', 'status', 'q']) if (f[k]) p.set(k, f[k]);
  return p.toString();
}

const FIELDS = [
  { name: 'first_name', label: 'First name' },
  { name: 'last_name', label: 'Last name' },
  { name: 'email', label: 'E-mail', type: 'email' },
  { name: 'time_zone', label: 'Time zone', type: 'select', options: [['', "The number's zone"], ...zones()] },
];

// customFields are the lead's own custom fields, as form fields.
const customFields = (l) => Object.keys(l.custom || {}).sort().map((k) => ({ name: 'custom.' + k, label: k.replace(/_/g, ' ') }));

function History({ id }) {
  const [h, setH] = useState(null);
  useEffect(() => {
    rest.get(`/leads/${id}/history`).then(setH, () => setH({ calls: [], callbacks: [] }));
  }, [id]);
  if (!h) return html`<div class="skeleton"></div>`;
  if (!h.calls.length && !h.callbacks.length) return html`<p class="muted">Never called yet.</p>`;
  return html`<ul class="lead-history" data-testid="lead-history">
    ${h.calls.map((c) => html`<li key=${'c' + c.id}>
      <span class="strong">${when(c.created_at)}</span> ${c.direction} · ${c.outcome}${c.billsec ? ' · ' + duration(c.billsec) : ''}
      ${c.agent_name && html` · ${c.agent_name}`}${c.disposition && html` · <code>${c.disposition}</code>`}
      ${c.note && html`<div class="muted small">${c.note}</div>`}
    </li>`)}
    ${h.callbacks.map((b) => html`<li key=${'b' + b.id}>Callback ${b.status} for ${b.due_local}${b.agent_name && ' with ' + b.agent_name}
      ${b.notes && html`<div class="muted small">${b.notes}</div>`}</li>`)}
  </ul>`;
}

function LeadDialog({ lead, onClose }) {
  const fields = [...FIELDS, ...customFields(lead)];
  const initial = { first_name: lead.first_name || '', last_name: lead.last_name || '', email: lead.email || '', time_zone: lead.time_zone || '' };
  for (const [k, v] of Object.entries(lead.custom || {})) initial['custom.' + k] = v;
  // Only what changed is sent: an agent's edit made meanwhile stays.
  const save = async (v) => {
    const body = {};
    for (const k of ['first_name', 'last_name', 'email', 'time_zone']) if (v[k] !== initial[k]) body[k] = v[k];
    for (const k of Object.keys(lead.custom || {})) {
      const f = 'custom.' + k;
      if (v[f] !== initial[f]) (body.custom ||= {})[k] = v[f] === '' ? null : v[f];
    }
    if (Object.keys(body).length) await rest.patch(`/leads/${lead.id}`, body);
    notify('Saved the lead.', 'ok');
    onClose(true);
  };
  return html`<${Dialog} title=${'Lead ' + (fullName(lead) || phone(lead.phone))} onClose=${() => onClose(false)} wide>
    <div class="lead-facts">
      <span><span class="muted">Phone</span> ${phone(lead.phone)}${lead.phone2 && ', ' + phone(lead.phone2)}</span>
      <span><span class="muted">Status</span> <${LeadStatus} s=${lead.status} /></span>
      <span><span class="muted">Attempts</span> ${lead.attempts}</span>
      ${lead.next_call_at && html`<span><span class="muted">Next call</span> ${when(lead.next_call_at)}</span>`}
    </div>
    <${Form} fields=${fields} initial=${initial} onSubmit=${save} onCancel=${() => onClose(false)} />
    <h3>History</h3>
    <${History} id=${lead.id} />
  </${Dialog}>`;
}

// BulkDialog resets, moves or deletes every lead the filter selects.
function BulkDialog({ filter, lists, onClose }) {
  const fields = [
    { name: 'action', label: 'Action', type: 'select', options: [['reset', 'Reset: make them new again'], ['move', 'Move to another list'], ['delete', 'Delete']] },
    { name: 'list_id', label: 'To list', type: 'select', options: lists.map((l) => [String(l.id), l.name]), when: (v) => v.action === 'move' },
  ];
  const submit = async (v) => {
    if (v.action === 'delete' && !confirmed('Delete every lead this filter selects? Their call records stay.')) return;
    const body = { action: v.action, filter: { campaign: Number(filter.campaign), list: Number(filter.list) || 0, status: filter.status || '', q: filter.q || '' } };
    if (v.action === 'move') body.list_id = Number(v.list_id);
    const r = await rest.post('/leads/bulk', body);
    const verb = { reset: 'Reset', move: 'Moved', delete: 'Deleted' }[v.action];
    notify(`${verb} ${r.leads} ${r.leads === 1 ? 'lead' : 'leads'}.`, 'ok');
    onClose(true);
  };
  return html`<${Dialog} title="Change the leads this filter selects" onClose=${() => onClose(false)}>
    <p class="muted">Every lead matching the filter in this campaign, not only this page; leads being dialed are left alone.</p>
    <${Form} fields=${fields} initial=${{ action: 'reset', list_id: lists[0] ? String(lists[0].id) : '' }} submitLabel="Apply" onSubmit=${submit} onCancel=${() => onClose(false)} />
  </${Dialog}>`;
}

// fromURL reads the filter a link gave (?campaign=&list=).
function fromURL() {
  const p = new URLSearchParams(location.search);
  return { campaign: p.get('campaign') || '', list: p.get('list') || '', status: p.get('status') || '', q: p.get('q') || '' };
}

export function LeadsPage() {
  const [filter, setFilter] = useState(fromURL);
  const [text, setText] = useState(filter.q);
  const [campaigns, setCampaigns] = useState([]);
  const [lists, setLists] = useState([]);
  const [page, setPage] = useState({ after: [0], rows: null, next: 0 });
  const [error, setError] = useState(null);
  const [open, setOpen] = useState(null);
  const [bulk, setBulk] = useState(false);

  useEffect(() => {
    rest.get('/campaigns?archived=all').then((r) => setCampaigns(r.campaigns || []), () => {});
  }, []);
  useEffect(() => {
    if (!filter.campaign) return setLists([]);
    rest.get(`/campaigns/${filter.campaign}/lists`).then((r) => setLists(r || []), () => setLists([]));
  }, [filter.campaign]);
  // The search box filters as one types, a moment after the last key.
  useEffect(() => {
    const t = setTimeout(() => text !== filter.q && setFilter((f) => ({ ...f, q: text })), 300);
    return () => clearTimeout(t);
  }, [text]);

  // load reads the page starting after the last id of stack: the starts
  // of the pages read so far, for Previous.
  const load = async (stack) => {
    const after = stack[stack.length - 1];
    try {
      const r = await rest.get(`/leads?${query(filter)}&limit=${PAGE}${after ? '&after=' + after : ''}`);
      setPage({ after: stack, rows: r.leads, next: r.next_after || 0 });
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    const q = query(filter);
    history.replaceState(null, '', '/admin/leads' + (q ? '?' + q : ''));
    load([0]);
  }, [filter]);

  const set = (k, v) => setFilter((f) => ({ ...f, [k]: v, ...(k === 'campaign' ? { list: '' } : {}) }));
  const campaignName = (id) => (campaigns.find((c) => c.id === id) || {}).name || '#' + id;
  const rows = page.rows || [];
  const q = query(filter);
  return html`<div class="admin-section" data-testid="leads">
    <div class="page-head">
      <h1>Leads</h1>
      <p class="muted">Every lead of every campaign: find one by name, number or e-mail.</p>
    </div>
    <div class="admin-toolbar">
      <input type="search" class="admin-search" placeholder="Name, number or e-mail" aria-label="Search leads" value=${text}
        onInput=${(e) => setText(e.target.value)} />
      <select aria-label="Campaign" value=${filter.campaign} onChange=${(e) => set('campaign', e.target.value)}>
        <option value="">Campaign: all</option>
        ${campaigns.map((c) => html`<option value=${String(c.id)}>${c.name}</option>`)}
      </select>
      <select aria-label="List" value=${filter.list} disabled=${!filter.campaign} onChange=${(e) => set('list', e.target.value)}>
        <option value="">List: all</option>
        ${lists.map((l) => html`<option value=${String(l.id)}>${l.name}</option>`)}
      </select>
      <select aria-label="Status" value=${filter.status} onChange=${(e) => set('status', e.target.value)}>
        <option value="">Status: all</option>
        ${LEAD_STATUSES.map(([k, l]) => html`<option value=${k}>${l}</option>`)}
      </select>
      <a class="btn" href=${'/api/v1/leads.csv' + (q ? '?' + q : '')} download>Export CSV</a>
      <button class="btn" disabled=${!filter.campaign} title=${filter.campaign ? '' : 'Choose a campaign first'}
        onClick=${() => setBulk(true)}>Change these leads…</button>
    </div>
    ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
    ${!page.rows && !error && html`<div class="card"><div class="skeleton"></div><div class="skeleton short"></div></div>`}
    ${page.rows && rows.length === 0 && html`<div class="card empty center"><p>${q ? 'No lead matches.' : 'No leads yet: import a list on a campaign\u2019s page.'}</p></div>`}
    ${rows.length > 0 && html`<${Table} rows=${rows} testid="leads-table" columns=${[
      { label: 'Lead', render: (l) => html`<div class="strong">${fullName(l) || '—'}</div><div class="muted small">${l.email || ''}</div>` },
      { label: 'Phone', class: 'nowrap', render: (l) => phone(l.phone) },
      { label: 'Campaign', render: (l) => campaignName(l.campaign_id) },
      { label: 'Status', render: (l) => html`<${LeadStatus} s=${l.status} />` },
      { label: 'Attempts', class: 'num', key: 'attempts' },
      { label: 'Last call', render: (l) => (l.last_call_at ? html`${when(l.last_call_at)}<div class="muted small">${l.last_outcome || ''}</div>` : '—') },
    ]} actions=${(l) => html`<button class="btn btn-small" onClick=${() => setOpen(l)}>Open</button>`} />
    <${Pager} page=${page} shown=${rows.length} load=${load} />`}
    ${open && html`<${LeadDialog} key=${open.id + ':' + open.version} lead=${open} onClose=${(saved) => {
      setOpen(null);
      if (saved) load(page.after);
    }} />`}
    ${bulk && html`<${BulkDialog} filter=${filter} lists=${lists} onClose=${(done) => {
      setBulk(false);
      if (done) load([0]);
    }} />`}
  </div>`;
}
