// Webhooks: the integrators' endpoints told of calls as they happen. A
// secret signs every delivery and is shown once; each delivery keeps its
// attempts, and any can be sent again.

import { html, useEffect, useMemo, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { notify } from '../common.js';
import { Badge, Dialog, ResourcePage, confirmed } from './kit.js';

const when = (t) => (t ? new Date(t).toLocaleString() : '');
const TONES = { delivered: 'green', pending: 'amber', failed: 'red' };

// known holds the event names the service emits, read with the list.
let known = [];

const eventOptions = () => [['*', 'Every event'], ...known.map((e) => [e, e])];

const FIELDS = [
  { name: 'url', label: 'URL', required: true, wide: true, placeholder: 'crm.example.com/hooks/agentswitch', hint: 'Where events are posted: a full https:// (or http://) address' },
  { name: 'events', label: 'Events', type: 'multi', options: eventOptions, hint: 'Every event includes those added later' },
  { name: 'widget_id', label: 'Widget', type: 'number', min: 0, hint: "0: every event, whatever its widget; a widget's id: that widget's events only" },
  { name: 'description', label: 'Description', type: 'textarea', rows: 2, wide: true, hint: 'Who receives it, for the next admin' },
  { name: 'active', label: 'Active', type: 'checkbox' },
];

function Last({ d }) {
  if (!d) return html`<span class="muted">none yet</span>`;
  return html`<span data-testid="webhook-last"><${Badge} tone=${TONES[d.state]}>${d.state}</${Badge}>
    <span class="muted small"> ${d.event}${d.last_status ? ' · HTTP ' + d.last_status : ''} · ${when(d.updated_at)}</span></span>`;
}

// SecretShown is an endpoint's new secret, with how receivers check it.
function SecretShown({ made, onClose }) {
  const [copied, setCopied] = useState(false);
  const copy = () =>
    navigator.clipboard.writeText(made.secret).then(
      () => setCopied(true),
      () => notify('Copy did not work here: select the secret and copy it.', 'error'),
    );
  return html`<${Dialog} title="Signing secret" onClose=${onClose}>
    <div class="secret-once" data-testid="webhook-secret">
      <p class="warn" role="alert"><strong>Copy the secret now.</strong> It is not shown again; rotate it to get a new one.</p>
      <div class="secret-row"><code class="secret" data-testid="webhook-secret-value">${made.secret}</code>
        <button class="btn" onClick=${copy}>${copied ? 'Copied' : 'Copy'}</button></div>
      <p class="muted">Every delivery carries <code>X-Agentswitch-Signature: t=…,v1=…</code>: the hex HMAC-SHA256 of <code>t + "." + body</code> with this secret. Refuse a signature older than 5 minutes.</p>
      <div class="form-foot"><button class="btn btn-primary" onClick=${onClose}>I have copied it</button></div>
    </div>
  </${Dialog}>`;
}

const PAGE = 25;

// Deliveries lists an endpoint's deliveries, newest first, with their
// attempts and a replay.
function Deliveries({ endpoint, onClose }) {
  const [page, setPage] = useState(null);
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState(null);
  const [error, setError] = useState(null);
  const load = async (at = offset) => {
    try {
      setPage(await rest.get(`/webhooks/${endpoint.id}/deliveries?limit=${PAGE}&offset=${at}`));
      setOffset(at);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void load(0), [endpoint.id]);
  const replay = async (d) => {
    try {
      const r = await rest.post(`/webhook-deliveries/${d.id}/replay`);
      notify(`Sending ${d.event} again (delivery ${r.id}).`, 'ok');
      load(0);
    } catch (e) {
      notify(e.message, 'error');
    }
  };
  const rows = (page && page.deliveries) || [];
  return html`<${Dialog} title=${'Deliveries to ' + endpoint.url} onClose=${onClose} wide=${true}>
    <div class="webhook-deliveries" data-testid="webhook-deliveries">
      <div class="admin-toolbar">
        <span class="muted">${page ? `${page.total} in all` : ''}</span>
        <button class="btn btn-small" onClick=${() => load()} data-testid="webhook-deliveries-refresh">Refresh</button>
      </div>
      ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
      ${page && rows.length === 0 && html`<div class="card empty center"><p>No deliveries yet: they appear when an event this endpoint wants happens.</p></div>`}
      ${rows.length > 0 && html`<div class="card table-card"><table class="table" data-testid="webhook-deliveries-table">
        <thead><tr><th>#</th><th>Event</th><th>Status</th><th>Attempts</th><th>Next retry</th><th>Last answer</th><th class="actions"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${rows.map((d) => html`<tr key=${d.id} data-testid="webhook-delivery-row" data-state=${d.state}>
            <td class="nowrap">${d.id}${d.replay_of ? html`<div class="muted small">replay of ${d.replay_of}</div>` : ''}</td>
            <td><code>${d.event}</code><div class="muted small">${when(d.created_at)}</div></td>
            <td><${Badge} tone=${TONES[d.state]}>${d.state}</${Badge}></td>
            <td>${d.attempts}</td>
            <td class="nowrap">${d.state === 'pending' ? when(d.next_attempt_at) : html`<span class="muted">—</span>`}</td>
            <td class="webhook-answer">${d.last_status ? 'HTTP ' + d.last_status : ''} ${d.last_error && html`<span class="muted small">${d.last_error}</span>`}</td>
            <td class="actions nowrap">
              ${(d.attempts_log || []).length > 0 && html`<button class="btn btn-small" onClick=${() => setOpen(open === d.id ? null : d.id)}>${open === d.id ? 'Hide' : 'Attempts'}</button>`}
              <button class="btn btn-small" data-testid="webhook-replay" onClick=${() => replay(d)}>Replay</button>
            </td>
          </tr>
          ${open === d.id && html`<tr class="webhook-attempts"><td colspan="7"><ol>
            ${d.attempts_log.map((a) => html`<li key=${a.n}><span class="nowrap">${when(a.at)}</span> · ${a.status ? 'HTTP ' + a.status : 'no answer'} · ${a.duration_ms} ms
              ${a.error && html` · <span class="field-error">${a.error}</span>`}
              ${a.response && html`<pre class="webhook-response">${a.response}</pre>`}</li>`)}
          </ol></td></tr>`}`)}
        </tbody></table></div>`}
      ${page && page.total > PAGE && html`<div class="pager">
        <button class="btn btn-small" disabled=${offset === 0} onClick=${() => load(Math.max(0, offset - PAGE))}>Newer</button>
        <span class="muted small">${offset + 1}–${offset + rows.length} of ${page.total}</span>
        <button class="btn btn-small" disabled=${offset + PAGE >= page.total} onClick=${() => load(offset + PAGE)}>Older</button>
      </div>`}
    </div>
  </${Dialog}>`;
}

export function WebhooksPage() {
  const [made, setMade] = useState(null);
  const [viewing, setViewing] = useState(null);
  const spec = useMemo(
    () => ({
      title: 'Webhooks',
      intro: 'Endpoints told of calls as they happen: signed, retried for a day, every attempt logged.',
      noun: 'webhook',
      testid: 'webhooks',
      wide: true,
      empty: 'No webhooks yet. Add one to have a CRM told of every call.',
      load: async () => {
        const r = await rest.get('/webhooks');
        known = r.events || [];
        return r.webhooks || [];
      },
      searchKeys: ['url', 'description', (r) => (r.events || []).join(' ')],
      searchLabel: 'Search webhooks',
      filters: [{ name: 'active', label: 'Status', options: [['on', 'Active'], ['off', 'Off']], test: (r, v) => r.active === (v === 'on') }],
      columns: [
        { label: 'Endpoint', render: (r) => html`<div class="strong webhook-url">${r.url}</div>${r.description && html`<div class="muted small">${r.description}</div>`}` },
        { label: 'Events', render: (r) => (r.events || []).map((e) => html`<code class="webhook-event" key=${e}>${e === '*' ? 'every event' : e}</code> `) },
        { label: 'Widget', render: (r) => (r.widget_id ? r.widget_id : html`<span class="muted">all</span>`) },
        { label: 'Status', render: (r) => html`<span data-testid="webhook-status">${r.active ? html`<${Badge} tone="green">Active</${Badge}>` : html`<${Badge}>Off</${Badge}>`}
          ${r.disabled_reason && html`<div class="muted small">${r.disabled_reason}</div>`}</span>` },
        { label: 'Last delivery', render: (r) => html`<${Last} d=${r.last_delivery} />` },
      ],
      fields: FIELDS,
      blank: { url: '', events: ['*'], widget_id: 0, description: '', active: true },
      create: async (v) => setMade(await rest.post('/webhooks', v)),
      update: (r, v) => rest.patch(`/webhooks/${r.id}`, { url: v.url, events: v.events, widget_id: v.widget_id || 0, description: v.description, active: v.active }),
      remove: (r) => rest.del(`/webhooks/${r.id}`),
      confirmRemove: (r) => `Delete the webhook to ${r.url}? Its delivery log goes with it.`,
      disable: { is: (r) => !r.active, set: (r, off) => rest.patch(`/webhooks/${r.id}`, { active: !off }) },
      rowActions: (r, reload) => html`
        <button class="btn btn-small" data-testid="webhook-deliveries-open" onClick=${() => setViewing({ endpoint: r, reload })}>Deliveries</button>
        <button class="btn btn-small" onClick=${async () => {
          if (!confirmed(`Make a new secret for ${r.url}? The receiver must be given it: deliveries are signed with it from now on.`)) return;
          try {
            setMade(await rest.post(`/webhooks/${r.id}/rotate-secret`));
          } catch (e) {
            notify(e.message, 'error');
          }
        }}>Rotate secret</button>`,
    }),
    [],
  );
  return html`<${ResourcePage} spec=${spec} />
    ${made && html`<${SecretShown} made=${made} onClose=${() => setMade(null)} />`}
    ${viewing && html`<${Deliveries} endpoint=${viewing.endpoint} onClose=${() => {
      // The list's last delivery may have changed meanwhile.
      viewing.reload();
      setViewing(null);
    }} />`}`;
}
