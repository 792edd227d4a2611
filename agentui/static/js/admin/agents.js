// Agents and their SIP seats: who takes calls, on which extension, with
// which skills and campaigns, in which team. A new seat's phone settings
// are shown once, with the password the admin just typed.

import { html, useEffect, useMemo, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { STATE_LABEL } from '../statusbar.js';
import { Badge, Dialog, ResourcePage } from './kit.js';
import { useSwitchState } from '../switchstate.js';

const MODES = [
  ['ring', 'Ring per call'],
  ['persistent', 'Stay connected (persistent line)'],
];

const STATE_TONE = { READY: 'green', INCALL: 'blue', RINGING: 'blue', RESERVED: 'blue', DISPO: 'amber', PAUSED: 'amber' };

// PushedState follows the agent's state over the event stream, from the
// one read with the list.
function PushedState({ id, initial }) {
  const s = useSwitchState();
  return html`<${LiveState} state=${s.agents.get(id) || (s.conn === 'live' ? 'LOGGED_OUT' : initial)} />`;
}

// LiveState is the agent's state on the phone right now.
export const LiveState = ({ state }) => html`<span data-testid="agent-live-state"><${Badge} tone=${STATE_TONE[state] || 'grey'}>${STATE_LABEL[state] || state}</${Badge}></span>`;

// readAll reads what the page offers to pick from: teams, users and
// campaigns. A part the admin cannot read is left empty.
async function readAll() {
  const [teams, users, campaigns] = await Promise.all([
    rest.get('/teams').then((r) => r.teams || [], () => []),
    rest.get('/users').then((r) => r.users || [], () => []),
    rest.get('/campaigns').then((r) => r.campaigns || [], () => []),
  ]);
  return { teams, users, campaigns };
}

// linkable lists the agent users with no seat, and the seat's own user.
function linkable(users, seats, values) {
  const taken = new Set(seats.filter((s) => s.user_id && s.id !== values.id).map((s) => s.user_id));
  const out = [['', 'No login (link one later)']];
  for (const u of users) {
    if ((u.role === 'agent' && !taken.has(u.id) && !u.disabled) || String(u.id) === String(values.user_id)) {
      out.push([String(u.id), u.display_name ? `${u.display_name} (${u.username})` : u.username]);
    }
  }
  return out;
}

function fields(aux, seats, editing) {
  return [
    { name: 'name', label: 'Name', required: true, hint: 'As colleagues and reports show it' },
    { name: 'extension', label: 'Extension', required: true, hint: editing ? 'Changing it needs a new SIP password' : '2-10 digits: the SIP user name of the phone' },
    editing
      ? { name: 'sip_password', label: 'New SIP password', type: 'password', hint: 'Leave empty to keep the current one' }
      : { name: 'sip_password', label: 'SIP password', type: 'password', required: true, hint: 'At least 8 characters; the phone signs in with it' },
    { name: 'user_id', label: 'Login', type: 'select', options: (v) => linkable(aux.users, seats.current, v), hint: 'The user who signs in to this seat (role agent)' },
    { name: 'team_id', label: 'Team', type: 'select', options: [['', 'No team'], ...aux.teams.map((t) => [String(t.id), t.name])] },
    { name: 'mode', label: 'Phone mode', type: 'select', options: MODES },
    { name: 'external_phone', label: 'External phone', type: 'tel', hint: 'Rung through the gateway when working without a SIP phone (optional)' },
    { name: 'skills', label: 'Skills', type: 'list', hint: 'Comma separated, lower case: en, es, sales' },
    { name: 'campaigns', label: 'Campaigns allowed', type: 'multi', options: aux.campaigns.map((c) => [c.id, c.name]), empty: 'No campaigns yet.' },
  ];
}

// body turns the form's values into the API's.
function body(v, editing) {
  const out = {
    name: v.name,
    extension: v.extension,
    mode: v.mode,
    external_phone: v.external_phone || '',
    skills: v.skills || [],
    campaigns: (v.campaigns || []).map(Number),
    user_id: v.user_id ? Number(v.user_id) : 0,
    team_id: v.team_id ? Number(v.team_id) : 0,
  };
  if (!editing || v.sip_password) out.sip_password = v.sip_password;
  return out;
}

// PhoneCard tells how to set up the seat's SIP phone, once.
function PhoneCard({ seat, password, onClose }) {
  const host = location.hostname;
  return html`<${Dialog} title=${'Connect the phone of ' + seat.name} onClose=${onClose}>
    <div class="phone-card" data-testid="sip-card">
      <p>Enter these in the agent's SIP phone or softphone. The password is shown this once.</p>
      <dl class="sip-settings">
        <dt>User name / auth ID</dt><dd><code data-testid="sip-user">${seat.extension}</code></dd>
        <dt>Password</dt><dd><code class="secret" data-testid="sip-password">${password}</code></dd>
        <dt>Domain / realm</dt><dd><code data-testid="sip-domain">${seat.realm}</code></dd>
        <dt>SIP server</dt><dd><code data-testid="sip-server">${host}</code> <span class="muted">port 5060 unless the switch says otherwise</span></dd>
        <dt>Transport</dt><dd>UDP or TCP</dd>
      </dl>
      <div class="form-foot"><button class="btn btn-primary" onClick=${onClose}>Done</button></div>
    </div>
  </${Dialog}>`;
}

function AgentsList({ aux }) {
  const [created, setCreated] = useState(null);
  const seats = useMemo(() => ({ current: [] }), []);
  const spec = useMemo(() => {
    const teamName = (id) => (aux.teams.find((t) => t.id === id) || {}).name || '';
    const userName = (id) => (aux.users.find((u) => u.id === id) || {}).username || '';
    return {
      title: 'Agents',
      intro: 'Everyone who takes calls: their SIP seat, skills, campaigns and team.',
      noun: 'agent',
      testid: 'agents',
      wide: true,
      load: async () => {
        const [list, live] = await Promise.all([
          rest.get('/seats').then((r) => r.agents || []),
          rest.get('/agents').then((r) => r.agents || [], () => []),
        ]);
        const state = new Map(live.map((v) => [v.id, v.state]));
        seats.current = list;
        return list.map((a) => ({ ...a, state: state.get(a.id) || 'LOGGED_OUT' }));
      },
      searchKeys: ['name', 'extension', (r) => (r.skills || []).join(' '), 'team_name'],
      filters: [
        { name: 'team', label: 'Team', options: [['none', 'No team'], ...aux.teams.map((t) => [String(t.id), t.name])],
          test: (r, v) => (v === 'none' ? !r.team_id : String(r.team_id || '') === v) },
        { name: 'status', label: 'Status', options: [['on', 'Logged in'], ['off', 'Logged out'], ['disabled', 'Disabled']],
          test: (r, v) => (v === 'disabled' ? r.disabled : !r.disabled && (v === 'on') === (r.state !== 'LOGGED_OUT')) },
      ],
      columns: [
        { label: 'Agent', render: (r) => html`<div class="strong">${r.name}</div><div class="muted small">ext. ${r.extension}</div>` },
        { label: 'Now', render: (r) => (r.disabled ? html`<${Badge} tone="red">Disabled</${Badge}>` : html`<${PushedState} id=${r.id} initial=${r.state} />`) },
        { label: 'Team', render: (r) => r.team_name || teamName(r.team_id) || html`<span class="muted">–</span>` },
        { label: 'Login', render: (r) => userName(r.user_id) || html`<span class="muted">none</span>` },
        { label: 'Skills', render: (r) => html`<div class="tags">${(r.skills || []).map((s) => html`<span class="tag" key=${s}>${s}</span>`)}</div>` },
        { label: 'Mode', render: (r) => (r.mode === 'persistent' ? 'Persistent' : 'Ring') },
      ],
      fields: fields(aux, seats, false),
      editFields: fields(aux, seats, true),
      blank: { name: '', extension: '', sip_password: '', user_id: '', team_id: '', mode: 'ring', external_phone: '', skills: [], campaigns: [] },
      toForm: (r) => ({ ...r, sip_password: '', user_id: r.user_id ? String(r.user_id) : '', team_id: r.team_id ? String(r.team_id) : '' }),
      create: async (v) => {
        const out = await rest.post('/agents', body(v, false));
        setCreated({ seat: out, password: v.sip_password });
      },
      update: (r, v) => rest.patch(`/agents/${r.id}`, body(v, true)),
      disable: { is: (r) => r.disabled, set: (r, on) => rest.patch(`/agents/${r.id}`, { disabled: on }) },
    };
  }, [aux]);
  return html`<${ResourcePage} spec=${spec} />
    ${created && html`<${PhoneCard} seat=${created.seat} password=${created.password} onClose=${() => setCreated(null)} />`}`;
}

export function AgentsPage() {
  const [aux, setAux] = useState(null);
  useEffect(() => void readAll().then(setAux), []);
  if (!aux) return html`<div class="card"><div class="skeleton"></div><div class="skeleton short"></div></div>`;
  return html`<${AgentsList} aux=${aux} />`;
}
