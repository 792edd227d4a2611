// API keys: what integrations (a CRM, a scraper) sign in with. A key's
// secret is shown once, when it is made; revoking one stops it at once.

import { html, useMemo, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { notify } from '../common.js';
import { Badge, Dialog, ResourcePage, confirmed } from './kit.js';

const ROLES = [
  ['agent', 'Agent'],
  ['supervisor', 'Supervisor'],
  ['admin', 'Admin'],
];

const day = (t) => (t ? new Date(t).toLocaleString() : '');

function status(r) {
  if (r.revoked_at) return ['red', 'Revoked'];
  if (r.expires_at && new Date(r.expires_at) <= new Date()) return ['grey', 'Expired'];
  return ['green', 'Active'];
}

// SecretOnce shows a new key's secret with a copy button.
export function SecretOnce({ made, onClose }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(made.secret);
      setCopied(true);
    } catch {
      notify('Copy did not work here: select the key and copy it.', 'error');
    }
  };
  return html`<${Dialog} title=${'API key ' + made.api_key.name} onClose=${onClose}>
    <div class="secret-once" data-testid="api-key-secret">
      <p class="warn" role="alert"><strong>Copy the key now.</strong> It will not be shown again: only its prefix is kept.</p>
      <div class="secret-row">
        <code class="secret" data-testid="api-key-secret-value">${made.secret}</code>
        <button class="btn" onClick=${copy} data-testid="api-key-copy">${copied ? 'Copied' : 'Copy'}</button>
      </div>
      <p class="muted">Send it as <code>Authorization: Bearer …</code>. ${made.api_key.role ? `It acts with the ${made.api_key.role} role.` : 'It acts for this widget only.'}</p>
      <div class="form-foot"><button class="btn btn-primary" onClick=${onClose}>I have copied it</button></div>
    </div>
  </${Dialog}>`;
}

export function APIKeysPage() {
  const [made, setMade] = useState(null);
  const spec = useMemo(
    () => ({
      title: 'API keys',
      intro: 'Keys integrations sign in with, each acting with a role. The secret is shown once, when the key is made.',
      noun: 'API key',
      testid: 'api-keys',
      load: async () => (await rest.get('/api-keys')).api_keys || [],
      searchKeys: ['name', 'prefix', 'role'],
      searchLabel: 'Search API keys',
      filters: [
        { name: 'status', label: 'Status', options: [['Active', 'Active'], ['Revoked', 'Revoked'], ['Expired', 'Expired']], test: (r, v) => status(r)[1] === v },
      ],
      columns: [
        { label: 'Key', render: (r) => html`<div class="strong">${r.name}</div><div class="muted small"><code>${r.prefix}…</code></div>` },
        { label: 'Role', render: (r) => ROLES.find(([k]) => k === r.role)?.[1] || r.role },
        { label: 'Made', render: (r) => day(r.created_at) },
        { label: 'Last used', render: (r) => day(r.last_used_at) || html`<span class="muted">never</span>` },
        { label: 'Status', render: (r) => { const [tone, label] = status(r); return html`<span data-testid="api-key-status"><${Badge} tone=${tone}>${label}</${Badge}></span>`; } },
      ],
      fields: [
        { name: 'name', label: 'Name', required: true, hint: 'Who uses it, e.g. crm-sync' },
        { name: 'role', label: 'Role', type: 'select', options: ROLES, hint: 'The least the integration needs' },
      ],
      blank: { name: '', role: 'supervisor' },
      create: async (v) => setMade(await rest.post('/api-keys', v)),
      rowActions: (r, reload) =>
        !r.revoked_at &&
        html`<button class="btn btn-small btn-danger" onClick=${async () => {
          if (!confirmed(`Revoke the key ${r.name}? Whatever uses it stops working at once.`)) return;
          try {
            await rest.del(`/api-keys/${r.id}`);
            notify(`Revoked ${r.name}.`, 'ok');
            reload();
          } catch (e) {
            notify(e.message, 'error');
          }
        }}>Revoke</button>`,
    }),
    [],
  );
  return html`<${ResourcePage} spec=${spec} />
    ${made && html`<${SecretOnce} made=${made} onClose=${() => setMade(null)} />`}`;
}
