// DIDs: the inbound numbers, each answered and put in a queue, with the
// priority and skills its callers carry there.

import { html, useEffect, useMemo, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { Badge, ResourcePage } from './kit.js';
import { phone } from '../format.js';

const q = encodeURIComponent;

function fields(queues, campaigns) {
  return [
    { name: 'number', label: 'Number', required: true, placeholder: '+12125550100', hint: 'As callers dial it; stored in E.164' },
    { name: 'name', label: 'Name', hint: 'What the agent sees the call came in on, e.g. Sales line' },
    { name: 'queue', label: 'Queue', type: 'select', options: [['', '— Default —'], ...queues.map((x) => [x.name, x.name])] },
    { name: 'campaign_id', label: 'Campaign', type: 'select', options: [['', '— None —'], ...campaigns.map((c) => [String(c.id), c.name])], hint: 'Where its callers’ leads are kept' },
    { name: 'priority', label: 'Priority', type: 'number', min: -100, max: 100, hint: 'Higher is answered first (-100 to 100)' },
    { name: 'skills', label: 'Skills', type: 'list', hint: 'Comma-separated; only members with all of them are offered its callers' },
    { name: 'enabled', label: 'Enabled (answered)', type: 'checkbox' },
  ];
}

const body = (v) => ({
  name: v.name,
  queue: v.queue || '',
  campaign_id: v.campaign_id ? Number(v.campaign_id) : 0,
  priority: v.priority === null || v.priority === undefined ? 0 : v.priority,
  skills: v.skills || [],
  enabled: !!v.enabled,
});

export function DIDsPage() {
  const [refs, setRefs] = useState(null);
  useEffect(() => {
    Promise.all([rest.get('/queues'), rest.get('/campaigns')]).then(
      ([qs, cs]) => setRefs({ queues: qs.queues || [], campaigns: cs.campaigns || [] }),
      () => setRefs({ queues: [], campaigns: [] }),
    );
  }, []);
  const spec = useMemo(() => {
    if (!refs) return null;
    const all = fields(refs.queues, refs.campaigns);
    const campaignName = (id) => (refs.campaigns.find((c) => c.id === id) || {}).name || `#${id}`;
    return {
      title: 'DIDs',
      intro: 'Inbound numbers: each is answered and its callers wait in a queue.',
      noun: 'DID',
      testid: 'dids',
      rowKey: (r) => r.number,
      load: async () => (await rest.get('/dids')).dids || [],
      searchKeys: ['number', 'name', 'queue', (r) => (r.skills || []).join(' ')],
      filters: [{ name: 'queue', label: 'Queue', options: refs.queues.map((x) => x.name), test: (r, v) => r.queue === v }],
      columns: [
        { label: 'Number', render: (r) => html`<div class="strong nowrap">${phone(r.number)}</div><div class="muted small">${r.name}</div>` },
        { label: 'Queue', render: (r) => (r.queue ? r.queue : html`<span class="muted">Default</span>`) },
        { label: 'Campaign', render: (r) => (r.campaign_id ? campaignName(r.campaign_id) : html`<span class="muted">—</span>`) },
        { label: 'Priority', key: 'priority' },
        { label: 'Skills', render: (r) => ((r.skills || []).length ? r.skills.map((s) => html`<span class="tag" key=${s}>${s}</span> `) : html`<span class="muted">any</span>`) },
        { label: 'Status', render: (r) => (r.enabled ? html`<${Badge} tone="green">Answered</${Badge}>` : html`<${Badge}>Off</${Badge}>`) },
      ],
      fields: all,
      editFields: all.map((f) => (f.name === 'number' ? { ...f, readOnly: true, hint: 'A number cannot change: delete it and add the new one' } : f)),
      blank: { number: '', name: '', queue: refs.queues.length ? refs.queues[0].name : '', campaign_id: '', priority: 0, skills: [], enabled: true },
      toForm: (r) => ({ ...r, queue: r.queue || '', campaign_id: r.campaign_id ? String(r.campaign_id) : '' }),
      create: (v) => rest.post('/dids', { number: v.number, ...body(v) }),
      update: (r, v) => rest.patch(`/dids/${q(r.number)}`, body(v)),
      remove: (r) => rest.del(`/dids/${q(r.number)}`),
    };
  }, [refs]);
  if (!spec) return html`<div class="card"><div class="skeleton"></div></div>`;
  return html`<${ResourcePage} spec=${spec} />`;
}
