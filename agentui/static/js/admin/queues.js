// Queues: where inbound callers wait, how agents are rung for them, what
// callers hear, and where they go when the queue overflows; each queue's
// members are edited in their own dialog. Live figures follow the stream.

import { html, useEffect, useMemo, useState } from '../../vendor/htm-preact.js';
import { api, rest } from '../api.js';
import { notify } from '../common.js';
import { Badge, Dialog, ResourcePage } from './kit.js';
import { getSwitchState, useSwitchState } from '../switchstate.js';

const STRATEGIES = [
  ['longest-idle', 'Longest idle agent'],
  ['ring-all', 'Ring all'],
  ['round-robin', 'Round robin'],
  ['top-down', 'Top down (by position)'],
  ['by-rank', 'By rank'],
  ['fewest-calls', 'Fewest calls'],
  ['least-talk-time', 'Least talk time'],
  ['random', 'Random'],
  ['random-stagger', 'Random, staggered'],
];

const OVERFLOW = [
  ['none', 'Nowhere: callers keep waiting'],
  ['queue', 'Another queue'],
  ['number', 'A phone number'],
  ['agent', 'An agent'],
  ['voicemail', 'Voicemail'],
  ['callback', 'A callback that keeps their place'],
];

const kindIs = (k) => (v) => v['overflow.kind'] === k;

function fields(queues, agents) {
  const num = (name, label, min, max, hint) => ({ name, label, type: 'number', min, max, hint });
  return [
    { name: '_h_queue', label: 'Queue', type: 'heading' },
    { name: 'name', label: 'Name', required: true, hint: 'Letters, digits, . _ -; what DIDs route to' },
    { name: 'strategy', label: 'Ring strategy', type: 'select', options: STRATEGIES },
    { name: 'active', label: 'Active (takes callers)', type: 'checkbox' },
    { name: '_h_ring', label: 'Ringing agents', type: 'heading' },
    num('ring_timeout_seconds', 'Ring timeout (s)', 5, 300, 'How long one agent’s phone rings'),
    num('wrapup_seconds', 'Wrap-up (s)', 0, 3600, 'After a call, before the next offer'),
    num('max_no_answer', 'Pause after missed offers', 0, 100, '0: never pause'),
    num('gap.min_seconds', 'Gap between offers, min (s)', 0, 60),
    num('gap.max_seconds', 'Gap between offers, max (s)', 0, 60, 'Random stagger needs a gap'),
    { name: '_h_wait', label: 'Waiting callers', type: 'heading' },
    num('max_wait_seconds', 'Max wait (s)', 0, 86400, '0: no limit'),
    num('max_waiting', 'Max callers waiting', 0, 10000, '0: no limit'),
    num('service_level_seconds', 'Service level (s)', 1, 3600, 'Answered within this counts as in SL'),
    { name: 'music', label: 'Music on hold', placeholder: 'local_stream://moh', hint: 'Empty: the switch’s hold music' },
    num('announce_seconds', 'Announce every (s)', 0, 3600, '0: no announcements; else 10-3600'),
    { name: 'announce_position', label: 'Announce the caller’s position', type: 'checkbox' },
    { name: 'announce_wait', label: 'Announce the estimated wait', type: 'checkbox' },
    { name: '_h_overflow', label: 'Overflow', type: 'heading' },
    { name: 'overflow.kind', label: 'Send callers to', type: 'select', options: OVERFLOW },
    { name: 'overflow.queue_id', label: 'Queue', type: 'select', when: kindIs('queue'), options: [['', '— Choose —'], ...queues.map((x) => [String(x.id), x.name])] },
    { name: 'overflow.number', label: 'Number', when: kindIs('number'), placeholder: '+12125550100' },
    { name: 'overflow.agent_id', label: 'Agent', type: 'select', when: kindIs('agent'), options: [['', '— Choose —'], ...agents.map((a) => [String(a.id), `${a.name} (${a.extension})`])] },
    { name: 'overflow.greeting', label: 'Greeting', when: kindIs('voicemail'), hint: 'Sound played before the recording' },
    { name: 'overflow.on_max_wait', label: 'Overflow a caller who waited the max wait', type: 'checkbox', when: (v) => v['overflow.kind'] !== 'none' },
    { name: 'overflow.on_no_agents', label: 'Overflow when no member is logged in', type: 'checkbox', when: (v) => v['overflow.kind'] !== 'none' },
  ];
}

// flat turns a queue into form values; nested turns them back.
function flat(r) {
  const out = { ...r };
  for (const [k, v] of Object.entries(r.gap || {})) out['gap.' + k] = v;
  for (const [k, v] of Object.entries(r.overflow || {})) out['overflow.' + k] = v;
  for (const k of ['overflow.queue_id', 'overflow.agent_id']) out[k] = out[k] ? String(out[k]) : '';
  delete out.gap;
  delete out.overflow;
  return out;
}

const int = (x) => (x === null || x === undefined || x === '' ? 0 : Number(x));

function nested(v) {
  const kind = v['overflow.kind'] || 'none';
  // With nowhere to go, the triggers are off (their boxes are hidden).
  const some = kind !== 'none';
  const o = { kind, on_max_wait: some && !!v['overflow.on_max_wait'], on_no_agents: some && !!v['overflow.on_no_agents'] };
  if (kind === 'queue') o.queue_id = int(v['overflow.queue_id']);
  if (kind === 'number') o.number = v['overflow.number'] || '';
  if (kind === 'agent') o.agent_id = int(v['overflow.agent_id']);
  if (kind === 'voicemail') o.greeting = v['overflow.greeting'] || '';
  const out = {
    name: v.name,
    strategy: v.strategy,
    active: !!v.active,
    music: v.music || '',
    announce_position: !!v.announce_position,
    announce_wait: !!v.announce_wait,
    gap: { min_seconds: int(v['gap.min_seconds']), max_seconds: int(v['gap.max_seconds']) },
    overflow: o,
  };
  for (const k of ['ring_timeout_seconds', 'wrapup_seconds', 'max_no_answer', 'max_wait_seconds', 'max_waiting', 'service_level_seconds', 'announce_seconds']) {
    out[k] = int(v[k]);
  }
  return out;
}

const BLANK = flat({
  name: '',
  strategy: 'longest-idle',
  active: true,
  ring_timeout_seconds: 20,
  wrapup_seconds: 0,
  max_no_answer: 3,
  gap: { min_seconds: 0, max_seconds: 0 },
  max_wait_seconds: 0,
  max_waiting: 0,
  service_level_seconds: 20,
  music: '',
  announce_seconds: 0,
  announce_position: false,
  announce_wait: false,
  overflow: { kind: 'none', on_max_wait: false, on_no_agents: false },
});

// Live is a queue's figures now: from the stream, or as listed.
function Live({ q }) {
  const v = getSwitchState().queues.get(q.id) || q.live;
  if (!v) return html`<span class="muted">—</span>`;
  return html`<span class="q-live" data-testid="queue-live" data-waiting=${v.waiting} data-ready=${v.agents_ready}>
    <span class=${'q-fig' + (v.waiting ? ' hot' : '')}><b>${v.waiting}</b> waiting</span>
    <span class="q-fig"><b>${v.agents_ready}</b>/${v.agents_logged_in} ready</span>
    ${v.service_level !== undefined && v.service_level !== null && html`<span class="q-fig"><b>${Math.round(v.service_level * 100)}%</b> in SL</span>`}
  </span>`;
}

// MembersDialog edits who takes the queue's callers, in order: position
// is the order of the list (top-down and round-robin ring in it), rank
// orders by-rank offers, skills match DIDs' skills.
function MembersDialog({ queue, agents, onClose }) {
  const [rows, setRows] = useState(null);
  const [pick, setPick] = useState('');
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    rest.get(`/queues/${queue.id}/members`).then(
      (r) => setRows((r.members || []).sort((a, b) => a.position - b.position).map((m) => ({ ...m, skillsText: (m.skills || []).join(', ') }))),
      (e) => setErr({ text: e.message }),
    );
  }, [queue.id]);
  const byId = new Map(agents.map((a) => [a.id, a]));
  const free = agents.filter((a) => !(rows || []).some((m) => m.agent_id === a.id));
  const set = (i, patch) => setRows(rows.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  const move = (i, d) => {
    const next = rows.slice();
    [next[i], next[i + d]] = [next[i + d], next[i]];
    setRows(next);
  };
  const add = () => {
    const id = Number(pick || (free[0] && free[0].id));
    if (!id) return;
    setRows([...rows, { agent_id: id, rank: 0, skillsText: '', order: 0 }]);
    setPick('');
  };
  const save = async () => {
    setBusy(true);
    setErr(null);
    try {
      const members = rows.map((m, i) => ({
        agent_id: m.agent_id,
        position: i + 1,
        rank: int(m.rank),
        order: int(m.order),
        skills: m.skillsText.split(',').map((s) => s.trim()).filter(Boolean),
      }));
      await rest.put(`/queues/${queue.id}/members`, { members });
      notify(`Saved the members of ${queue.name}.`, 'ok');
      onClose();
    } catch (e) {
      const m = /^members\[(\d+)\]/.exec(e.field || '');
      setErr({ row: m ? Number(m[1]) : -1, text: e.message });
    } finally {
      setBusy(false);
    }
  };
  const name = (id) => (byId.get(id) ? `${byId.get(id).name} (${byId.get(id).extension})` : `Agent #${id}`);
  return html`<${Dialog} title=${'Members of ' + queue.name} onClose=${onClose} wide>
    <div class="members-editor" data-testid="members-editor">
      ${!rows && !err && html`<div class="skeleton"></div>`}
      ${rows && rows.length === 0 && html`<p class="muted">No members yet: add the agents who take this queue’s callers.</p>`}
      ${rows && rows.length > 0 && html`<table class="table members-table">
        <thead><tr><th scope="col">#</th><th scope="col">Agent</th><th scope="col">Rank</th><th scope="col">Skills</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${rows.map((m, i) => html`<tr key=${m.agent_id} data-testid="member-row" data-agent=${m.agent_id} class=${err && err.row === i ? 'row-invalid' : ''}>
          <td class="num">${i + 1}</td>
          <td>${name(m.agent_id)}</td>
          <td><input type="number" class="input-narrow" aria-label=${'Rank of ' + name(m.agent_id)} min="0" max="1000" value=${m.rank}
            onInput=${(e) => set(i, { rank: e.target.value })} /></td>
          <td><input aria-label=${'Skills of ' + name(m.agent_id)} placeholder="e.g. spanish, billing" value=${m.skillsText}
            onInput=${(e) => set(i, { skillsText: e.target.value })} /></td>
          <td class="nowrap actions">
            <button type="button" class="btn btn-small btn-icon" aria-label="Move up" disabled=${i === 0} onClick=${() => move(i, -1)}>↑</button>
            <button type="button" class="btn btn-small btn-icon" aria-label="Move down" disabled=${i === rows.length - 1} onClick=${() => move(i, 1)}>↓</button>
            <button type="button" class="btn btn-small btn-danger" onClick=${() => setRows(rows.filter((_, j) => j !== i))}>Remove</button>
          </td>
        </tr>`)}</tbody>
      </table>`}
      ${rows && html`<div class="members-add">
        <select aria-label="Agent to add" value=${pick} onChange=${(e) => setPick(e.target.value)} data-testid="member-pick" disabled=${free.length === 0}>
          ${free.length === 0 && html`<option value="">Every agent is a member</option>`}
          ${free.map((a) => html`<option value=${String(a.id)}>${a.name} (${a.extension})</option>`)}
        </select>
        <button type="button" class="btn" onClick=${add} disabled=${free.length === 0} data-testid="member-add">Add agent</button>
      </div>`}
      ${err && html`<p class="form-error" role="alert">${err.text}</p>`}
      <div class="form-foot">
        <button type="button" class="btn" onClick=${onClose}>Cancel</button>
        <button type="button" class="btn btn-primary" disabled=${busy || !rows} onClick=${save} data-testid="members-save">${busy ? 'Saving…' : 'Save members'}</button>
      </div>
    </div>
  </${Dialog}>`;
}

export function QueuesPage() {
  useSwitchState();
  const [refs, setRefs] = useState(null);
  const [members, setMembers] = useState(null);
  const [rev, setRev] = useState(0);
  useEffect(() => {
    Promise.all([rest.get('/queues'), api.directory()]).then(
      ([qs, d]) => setRefs({ queues: qs.queues || [], agents: d.agents || [] }),
      () => setRefs({ queues: [], agents: [] }),
    );
  }, [rev]);
  const spec = useMemo(() => {
    if (!refs) return null;
    const all = fields(refs.queues, refs.agents);
    return {
      title: 'Queues',
      intro: 'Where inbound callers wait for an agent. Figures are live.',
      noun: 'queue',
      testid: 'queues',
      wide: true,
      load: async () => {
        const [qs, live] = await Promise.all([rest.get('/queues'), rest.get('/queues/live')]);
        const byId = new Map((live.queues || []).map((v) => [v.id, v]));
        return (qs.queues || []).map((x) => ({ ...x, live: byId.get(x.id) }));
      },
      searchKeys: ['name', 'strategy'],
      columns: [
        { label: 'Queue', render: (r) => html`<div class="strong">${r.name}</div><div class="muted small">${(STRATEGIES.find(([k]) => k === r.strategy) || [])[1] || r.strategy}</div>` },
        { label: 'Now', render: (r) => html`<${Live} q=${r} />` },
        { label: 'Ring / wrap-up', render: (r) => `${r.ring_timeout_seconds} s / ${r.wrapup_seconds} s` },
        { label: 'Overflow', render: (r) => (r.overflow && r.overflow.kind !== 'none' ? (OVERFLOW.find(([k]) => k === r.overflow.kind) || [])[1] : html`<span class="muted">None</span>`) },
        { label: 'Status', render: (r) => (r.active ? html`<${Badge} tone="green">Active</${Badge}>` : html`<${Badge}>Off</${Badge}>`) },
      ],
      fields: all,
      blank: BLANK,
      toForm: flat,
      create: async (v) => {
        await rest.post('/queues', nested(v));
        setRev((n) => n + 1);
      },
      update: (r, v) => rest.patch(`/queues/${r.id}`, { ...nested(v), version: r.version }),
      remove: async (r) => {
        await rest.del(`/queues/${r.id}`);
        setRev((n) => n + 1);
      },
      rowActions: (r) => html`<button class="btn btn-small" data-testid="queue-members" onClick=${() => setMembers(r)}>Members</button>`,
    };
  }, [refs]);
  if (!spec) return html`<div class="card"><div class="skeleton"></div></div>`;
  return html`<${ResourcePage} spec=${spec} />
    ${members && html`<${MembersDialog} queue=${members} agents=${refs.agents} onClose=${() => setMembers(null)} />`}`;
}
