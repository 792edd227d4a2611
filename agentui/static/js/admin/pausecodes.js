// Pause codes: the reasons agents pause with; a code turned off is no
// longer offered, and codes stay for the reports of past pauses.

import { html } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { Badge, ResourcePage } from './kit.js';

const q = encodeURIComponent;

const FIELDS = [
  { name: 'code', label: 'Code', required: true, hint: 'Letters, digits and _; what reports show, e.g. LUNCH' },
  { name: 'label', label: 'Label', required: true, hint: 'What agents see in the pause menu' },
  { name: 'productive', label: 'Productive (counts as work in reports: training, a meeting)', type: 'checkbox' },
  { name: 'active', label: 'Offered to agents', type: 'checkbox' },
  { name: 'sort', label: 'Order in the menu', type: 'number', min: 0 },
];

const spec = {
  title: 'Pause codes',
  intro: 'The reasons agents pause with, in the order their menu shows them.',
  noun: 'pause code',
  testid: 'pause-codes',
  rowKey: (r) => r.code,
  load: async () => (await rest.get('/pause-codes')).pause_codes || [],
  searchKeys: ['code', 'label'],
  columns: [
    { label: 'Code', render: (r) => html`<code>${r.code}</code>` },
    { label: 'Label', key: 'label' },
    { label: 'Counts as', render: (r) => (r.productive ? 'Work' : 'Pause') },
    { label: 'Status', render: (r) => (r.active ? html`<${Badge} tone="green">Offered</${Badge}>` : html`<${Badge}>Off</${Badge}>`) },
    { label: 'Order', key: 'sort' },
  ],
  fields: FIELDS,
  editFields: FIELDS.map((f) => (f.name === 'code' ? { ...f, readOnly: true, hint: 'A code cannot be renamed: past pauses keep it' } : f)),
  blank: { code: '', label: '', productive: false, active: true, sort: 0 },
  create: (v) => rest.post('/pause-codes', v),
  update: (r, v) => rest.patch(`/pause-codes/${q(r.code)}`, { label: v.label, productive: v.productive, active: v.active, sort: v.sort }),
  remove: (r) => rest.del(`/pause-codes/${q(r.code)}`),
};

export const PauseCodesPage = () => html`<${ResourcePage} spec=${spec} />`;
