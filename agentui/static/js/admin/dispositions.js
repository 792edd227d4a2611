// Dispositions: the outcomes agents give calls. System codes come with
// the service: their label, order and whether agents see them may change,
// not what they do, and they cannot be deleted.

import { html } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { Badge, ResourcePage } from './kit.js';

const q = encodeURIComponent;
const system = (v) => !!v.system;

const FIELDS = [
  { name: 'code', label: 'Code', required: true, hint: 'A-Z, 0-9 and _, up to 16: what reports show, e.g. APPT_SET' },
  { name: 'label', label: 'Label', required: true, hint: 'What agents pick' },
  { name: 'selectable', label: 'Offered to agents', type: 'checkbox' },
  { name: 'final', label: 'Final: closes the lead (no more attempts)', type: 'checkbox', readOnly: system },
  { name: 'schedules_callback', label: 'Schedules a callback (asks the agent when)', type: 'checkbox', readOnly: system },
  { name: 'marks_dnc', label: 'Puts the number on the do-not-call list', type: 'checkbox', readOnly: system },
  { name: 'sort', label: 'Order in the list', type: 'number', min: 0 },
];

const does = (r) =>
  [r.final && 'closes the lead', r.schedules_callback && 'callback', r.marks_dnc && 'do not call'].filter(Boolean).join(' · ') || 'retry later';

const spec = {
  title: 'Dispositions',
  intro: 'The outcomes agents give their calls, in the order the wrap-up shows them.',
  noun: 'disposition',
  testid: 'dispositions',
  rowKey: (r) => r.code,
  load: async () => (await rest.get('/dispositions')).dispositions || [],
  searchKeys: ['code', 'label'],
  filters: [
    { name: 'kind', label: 'Kind', options: [['custom', 'Custom'], ['system', 'System']], test: (r, v) => (v === 'system') === r.system },
  ],
  columns: [
    { label: 'Code', render: (r) => html`<code>${r.code}</code>` },
    { label: 'Label', key: 'label' },
    { label: 'Does', render: does },
    { label: 'Agents', render: (r) => (r.selectable ? html`<${Badge} tone="green">Offered</${Badge}>` : html`<${Badge}>Hidden</${Badge}>`) },
    { label: 'Kind', render: (r) => (r.system ? html`<${Badge} tone="blue">System</${Badge}>` : 'Custom') },
    { label: 'Order', key: 'sort', class: 'num' },
  ],
  fields: FIELDS,
  editFields: FIELDS.map((f) =>
    f.name === 'code' ? { ...f, readOnly: true, hint: 'A code cannot be renamed: calls keep it' } : f,
  ),
  blank: { code: '', label: '', selectable: true, final: false, schedules_callback: false, marks_dnc: false, sort: 0 },
  create: (v) => rest.post('/dispositions', v),
  update: (r, v) =>
    rest.patch(`/dispositions/${q(r.code)}`, {
      label: v.label, selectable: v.selectable, final: v.final, schedules_callback: v.schedules_callback, marks_dnc: v.marks_dnc, sort: v.sort,
    }),
  remove: (r) => rest.del(`/dispositions/${q(r.code)}`),
  canRemove: (r) => !r.system,
};

export const DispositionsPage = () => html`<${ResourcePage} spec=${spec} />`;
