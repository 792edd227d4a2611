// Gateways: the carriers' SIP trunks FreeSWITCH calls out through and
// may register to. The registration pill follows the switch live; a
// password is never shown back, only replaced.

import { html } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { Badge, ResourcePage } from './kit.js';
import { STATE_TEXT, gatewayStates, gatewayTone, getSwitchState, useSwitchState } from '../switchstate.js';

const TRANSPORTS = ['udp', 'tcp', 'tls'];

const FIELDS = [
  { name: '_h_carrier', label: 'Carrier', type: 'heading' },
  { name: 'name', label: 'Name', required: true, hint: 'Letters, digits, . _ -; calls go out as sofia/gateway/<name>' },
  { name: 'proxy', label: 'Proxy', required: true, placeholder: 'sip.carrier.example:5060', hint: 'host or host:port' },
  { name: 'transport', label: 'Transport', type: 'select', options: TRANSPORTS },
  { name: 'realm', label: 'Realm', hint: 'Empty: the proxy’s host' },
  { name: '_h_auth', label: 'Account', type: 'heading' },
  { name: 'username', label: 'Username' },
  { name: 'password', label: 'Password', type: 'password', hint: 'Never shown again once saved' },
  { name: 'register', label: 'Register to the carrier (needs username and password)', type: 'checkbox' },
  { name: 'expire_seconds', label: 'Registration lifetime (s)', type: 'number', min: 60, max: 86400 },
  { name: 'ping_seconds', label: 'OPTIONS ping every (s)', type: 'number', min: 0, max: 3600, hint: '0: no ping' },
  { name: '_h_from', label: 'Caller identity', type: 'heading' },
  { name: 'from_user', label: 'From user', hint: 'Overrides the From user of calls' },
  { name: 'from_domain', label: 'From domain' },
  { name: 'enabled', label: 'Enabled (FreeSWITCH runs it)', type: 'checkbox' },
];

const EDIT = FIELDS.map((f) => (f.name === 'password' ? { ...f, hint: 'Leave empty to keep the stored password' } : f));

// body is what the API takes: numbers left empty keep their default.
function body(v) {
  const out = {};
  for (const f of FIELDS) {
    if (f.type === 'heading') continue;
    const x = v[f.name];
    if (f.name === 'password' && !x) continue;
    if (f.type === 'number' && (x === null || x === undefined || x === '')) continue;
    out[f.name] = x;
  }
  return out;
}

// Registration shows the gateway's state on each node: live from the
// stream once it is up, from the list meanwhile.
function Registration({ gw }) {
  const s = getSwitchState();
  const states = s.conn === 'live' ? gatewayStates(s, gw.name) : (gw.status || []).map((x) => ({ ...x, gateway: gw.name }));
  if (!gw.enabled) return html`<${Badge}>Disabled</${Badge}>`;
  if (states.length === 0) return html`<span class="muted small">Not reported</span>`;
  const many = states.length > 1;
  return html`<span class="gw-states" data-testid="gateway-status" data-state=${states.map((g) => g.state).join(' ')}>
    ${states.map((g) => html`<span key=${g.node} title=${g.sip_status ? `${g.sip_status} ${g.phrase || ''}` : ''}>
      <${Badge} tone=${gatewayTone(g)}>${many ? g.node + ': ' : ''}${STATE_TEXT[g.state] || g.state}</${Badge}></span>`)}
  </span>`;
}

const spec = {
  title: 'Gateways',
  intro: 'Carrier trunks. FreeSWITCH starts a gateway as soon as it is saved; its registration shows live.',
  noun: 'gateway',
  testid: 'gateways',
  wide: true,
  load: async () => (await rest.get('/gateways')).gateways || [],
  searchKeys: ['name', 'proxy', 'username'],
  filters: [
    {
      name: 'reg',
      label: 'Registration',
      options: [
        ['yes', 'Registers'],
        ['no', 'No registration'],
      ],
      test: (r, v) => r.register === (v === 'yes'),
    },
  ],
  columns: [
    { label: 'Gateway', render: (r) => html`<div class="strong">${r.name}</div><div class="muted small">${r.transport.toUpperCase()} · ${r.proxy}</div>` },
    { label: 'Account', render: (r) => (r.username ? html`${r.username}${r.has_password ? '' : html` <span class="muted small">(no password)</span>`}` : html`<span class="muted">—</span>`) },
    { label: 'Registration', render: (r) => html`<${Registration} gw=${r} />` },
    { label: 'Ping', render: (r) => (r.ping_seconds ? `every ${r.ping_seconds} s` : html`<span class="muted">off</span>`) },
  ],
  fields: FIELDS,
  editFields: EDIT,
  blank: { name: '', proxy: '', transport: 'udp', realm: '', username: '', password: '', register: false, expire_seconds: 600, ping_seconds: 0, from_user: '', from_domain: '', enabled: true },
  toForm: (r) => ({ ...r, password: '' }),
  create: (v) => rest.post('/gateways', body(v)),
  update: (r, v) => rest.patch(`/gateways/${r.id}`, body(v)),
  remove: (r) => rest.del(`/gateways/${r.id}`),
};

export function GatewaysPage() {
  useSwitchState();
  return html`<${ResourcePage} spec=${spec} />`;
}
