// The supervisor's wall: every agent, the inbound queues and the live
// calls, pushed on the event stream. A wall may show thousands of agents,
// so events are folded in once per frame, a row re-renders only when its
// agent or call changed, and one tick rewrites every timer's text in place.

import { html, Component, useEffect, useRef, useState } from '../vendor/htm-preact.js';
import { api, rest } from './api.js';
import { Stream } from './stream.js';
import { ms } from './store.js';
import { notify } from './common.js';
import { duration, phone } from './format.js';
import { pauseReason } from './pause.js';
import { STATE_LABEL } from './statusbar.js';
import { arrowKeys } from './menu.js';

// ---- the wall's state, apart from the agent workspace's store

const wall = { agents: new Map(), calls: new Map(), queues: new Map(), conn: 'connecting' };
let skew = 0; // server ms - local ms
const wallNow = () => Date.now() + skew;
const listeners = new Set();
let pending = 0;
function changed() {
  if (pending) return;
  pending = requestAnimationFrame(() => {
    pending = 0;
    for (const l of listeners) l();
  });
}

function seen(at, reset) {
  const d = ms(at) - Date.now();
  if (Number.isFinite(d)) skew = reset ? d : Math.max(skew, d);
}

// withSince parses the time in state once, not at every sort.
const withSince = (a) => ((a.sinceMs = ms(a.since)), a);

function applySnapshot(snap) {
  seen(snap.at, true);
  wall.agents = new Map((snap.agents || []).map((a) => [a.id, withSince(a)]));
  wall.calls = new Map((snap.calls || []).filter((c) => c.state !== 'ended').map((c) => [c.id, c]));
  wall.queues = new Map((snap.queues || []).map((q) => [q.id, q]));
  changed();
  // The stream knows the agents on the phone; the directory names the
  // rest, shown logged out.
  api.directory().then(
    (d) => {
      for (const a of d.agents || []) {
        if (!wall.agents.has(a.id)) wall.agents.set(a.id, { id: a.id, name: a.name, extension: a.extension, team: a.team, state: 'LOGGED_OUT', sinceMs: 0 });
      }
      changed();
    },
    () => {},
  );
}

function applyEvent(ev) {
  seen(ev.at, false);
  if (ev.type === 'agent.state' && ev.agent) wall.agents.set(ev.agent.id, withSince(ev.agent));
  if (ev.call) {
    if (ev.call.state === 'ended') wall.calls.delete(ev.call.id);
    else wall.calls.set(ev.call.id, ev.call);
  }
  if (ev.type === 'queue.stats' && ev.queue) wall.queues.set(ev.queue.id, ev.queue);
  changed();
}

function useWall() {
  const [, bump] = useState(0);
  useEffect(() => {
    const l = () => bump((n) => n + 1);
    listeners.add(l);
    const stream = new Stream({
      onSnapshot: applySnapshot,
      onEvent: applyEvent,
      onStatus: (conn) => {
        wall.conn = conn;
        changed();
      },
      onSessionEnded: () => api.me().catch(() => {}),
      onRefused: () => api.me().catch(() => {}),
    });
    stream.start();
    return () => {
      stream.stop();
      listeners.delete(l);
    };
  }, []);
  return wall;
}

// useTicker rewrites the text of every [data-from] element under root
// once a second: one timer for the whole wall, no re-render.
function useTicker(root) {
  useEffect(() => {
    let t = 0;
    const tick = () => {
      const now = wallNow();
      if (root.current) {
        for (const el of root.current.querySelectorAll('[data-from]')) {
          const text = duration((now - Number(el.dataset.from)) / 1000);
          if (el.textContent !== text) el.textContent = text;
        }
      }
      t = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
    };
    tick();
    return () => clearTimeout(t);
  }, []);
}

// T is a timer counting up from a server instant (ms); useTicker keeps it going.
const T = ({ from, label, testid }) =>
  from
    ? html`<span class="timer" role="timer" aria-label=${label} data-testid=${testid} data-from=${from}>${duration((wallNow() - from) / 1000)}</span>`
    : html`<span class="timer">–</span>`;

// ---- sorting and filtering

const STATE_ORDER = ['INCALL', 'RINGING', 'RESERVED', 'DISPO', 'READY', 'PAUSED', 'LOGGED_OUT'];
const RANK = Object.fromEntries(STATE_ORDER.map((s, i) => [s, i]));
export const SORTS = {
  state: (a, b) => (RANK[a.state] ?? 9) - (RANK[b.state] ?? 9) || a.sinceMs - b.sinceMs || a.id - b.id,
  name: (a, b) => a.name.localeCompare(b.name) || a.id - b.id,
  time: (a, b) => a.sinceMs - b.sinceMs || a.id - b.id,
};

// visibleAgents applies the wall's filter and sort.
export function visibleAgents(agents, { state, campaign, team, search, sort }) {
  const q = search.trim().toLowerCase();
  const list = [];
  for (const a of agents) {
    if (state && a.state !== state) continue;
    if (campaign && String((a.campaign && a.campaign.id) || '') !== campaign) continue;
    if (team && String((a.team && a.team.id) || '') !== team) continue;
    if (q && !a.name.toLowerCase().includes(q) && !(a.extension || '').includes(q)) continue;
    list.push(a);
  }
  return list.sort(SORTS[sort] || SORTS.state);
}

// ---- the supervisor's phone for listening in

const EXT_KEY = 'agentswitch.wall.extension';
const monitors = new Map(); // call id -> { leg, mode }

async function monitor(call, mode, ext) {
  const m = monitors.get(call.id);
  if (m) {
    await api.monitorMode(call.id, m.leg, mode);
    m.mode = mode;
    return;
  }
  const pv = await api.monitor(call.id, { mode, endpoint: { kind: 'sip', extension: ext } });
  monitors.set(call.id, { leg: pv.leg_id, mode });
}

// ---- pieces

let pauseCodes = null;
function usePauseCodes() {
  const [codes, set] = useState(pauseCodes || []);
  useEffect(() => {
    if (!pauseCodes) api.pauseCodes().then((r) => set((pauseCodes = r.codes || [])), () => {});
  }, []);
  return codes;
}

function Flags({ call }) {
  return html`${call.held && html`<span class="flag flag-hold">On hold</span>`}
    ${call.muted && html`<span class="flag flag-mute">Muted</span>`}
    ${call.recording && html`<span class="flag flag-rec">● Rec</span>`}`;
}

// useTeams reads the teams once, for the team filter.
function useTeams() {
  const [teams, set] = useState([]);
  useEffect(() => {
    rest.get('/teams').then((r) => set(r.teams || []), () => {});
  }, []);
  return teams;
}

// AgentRow re-renders only when its agent, its call or its menu changed.
class AgentRow extends Component {
  shouldComponentUpdate(n) {
    return n.agent !== this.props.agent || n.call !== this.props.call || n.open !== this.props.open || n.codes !== this.props.codes;
  }
  render({ agent: a, call, open, codes, onMenu, act }) {
    const st = a.state || 'LOGGED_OUT';
    const talk = call && ms(call.connected_at || call.answered_at);
    return html`<tr class="wall-agent" data-state=${st} data-testid="wall-agent" data-agent-id=${a.id}>
      <td class="wa-name"><strong>${a.name}</strong><span class="wa-ext">${a.extension}</span>${a.team && html`<span class="wa-team" data-testid="wall-agent-team">${a.team.name}</span>`}</td>
      <td><span class="wstate" data-state=${st} data-testid="wall-agent-state">${STATE_LABEL[st] || st}${st === 'PAUSED' && a.pause_code && html`<span class="wstate-code"> · ${pauseReason(a.pause_code).label}</span>`}</span></td>
      <td class="num">${st !== 'LOGGED_OUT' && html`<${T} from=${a.sinceMs} label="Time in state" />`}</td>
      <td class="wa-camp">${(a.campaign && a.campaign.name) || ''}</td>
      <td class="wa-call" data-testid="wall-agent-call">${call &&
      html`<span class="wa-num">${phone(call.number)}</span> ${talk ? html`<${T} from=${talk} label="Talk time" />` : ''} <${Flags} call=${call} />`}</td>
      <td class="wa-act">
        <div class="menu">
          <button class="btn btn-small btn-ghost" aria-haspopup="menu" aria-expanded=${open} aria-label=${`Actions for ${a.name}`}
            data-testid="wall-agent-menu" onClick=${() => onMenu(open ? 0 : a.id)}>⋯</button>
          ${open && html`<${AgentMenu} agent=${a} codes=${codes} act=${act} close=${() => onMenu(0)} />`}
        </div>
      </td>
    </tr>`;
  }
}

function AgentMenu({ agent: a, codes, act, close }) {
  const root = useRef(null);
  useEffect(() => {
    const first = root.current.querySelector('[role=menuitem]:not([disabled])');
    if (first) first.focus();
    const away = (e) => root.current && !root.current.parentNode.contains(e.target) && close();
    addEventListener('pointerdown', away);
    return () => removeEventListener('pointerdown', away);
  }, []);
  const key = (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
      root.current.parentNode.querySelector('button').focus();
    }
    arrowKeys(root.current, e);
  };
  const out = a.state === 'LOGGED_OUT';
  const busy = ['INCALL', 'RINGING', 'RESERVED'].includes(a.state);
  const item = (label, fn, disabled) =>
    html`<button role="menuitem" class="menu-item" disabled=${disabled} onClick=${() => (close(), act(a, label, fn))}>${label}</button>`;
  return html`<div class="menu-list menu-right" role="menu" aria-label=${`Actions for ${a.name}`} ref=${root} onKeyDown=${key}>
    ${item('Make ready', () => api.ready(a.id), out || a.state === 'READY')}
    ${codes.map((c) => item(`Pause: ${pauseReason(c).label}`, () => api.pause(a.id, c), out || busy || (a.state === 'PAUSED' && a.pause_code === c)))}
    ${item('Log out', () => api.agentLogout(a.id), out || busy)}
  </div>`;
}

function QueueTile({ q }) {
  const sl = q.answered ? Math.round((100 * q.answered_in_sl) / q.answered) : null;
  return html`<section class="qtile" data-testid="wall-queue" data-queue=${q.name} aria-label=${`Queue ${q.name}`}
    data-alert=${q.waiting > 0 && q.agents_ready === 0 ? 'true' : undefined}>
    <h3>${q.name}</h3>
    <div class="qmain">
      <div><span class="qbig" data-testid="wall-queue-waiting">${q.waiting}</span><span class="qlabel">waiting</span></div>
      <div><span class="qbig">${q.waiting ? html`<${T} from=${ms(q.oldest_since)} label="Oldest wait" testid="wall-queue-oldest" />` : '–'}</span><span class="qlabel">oldest</span></div>
      <div><span class="qbig">${sl === null ? '–' : sl + '%'}</span><span class="qlabel">in ${q.service_level_seconds}s</span></div>
    </div>
    <dl class="qstats">
      <div><dt>Ready</dt><dd>${q.agents_ready} of ${q.agents_logged_in}</dd></div>
      <div><dt>Answered</dt><dd>${q.answered}</dd></div>
      <div><dt>Abandoned</dt><dd>${q.abandoned}</dd></div>
      <div><dt>Overflowed</dt><dd>${q.overflowed}</dd></div>
    </dl>
  </section>`;
}

function CallRow({ call: c, agent, ext, askExt }) {
  const [busy, setBusy] = useState(false);
  let m = monitors.get(c.id);
  // The supervisor hung up: the next Listen rings the phone again.
  const mine = m && (c.parties || []).find((p) => p.leg_id === m.leg);
  if (mine && mine.state === 'gone') {
    monitors.delete(c.id);
    m = null;
  }
  const run = async (fn) => {
    setBusy(true);
    try {
      await fn();
    } catch (e) {
      // The mode switches once the supervisor's phone has answered.
      const msg = e.status === 409 && m ? 'Answer your phone first, then switch mode.' : e.message || String(e);
      notify(msg, 'error');
    } finally {
      setBusy(false);
    }
  };
  const mon = (mode) => {
    if (!ext) return askExt();
    run(() => monitor(c, mode, ext));
  };
  const from = ms(c.connected_at || c.answered_at || c.created_at);
  const modeBtn = (mode, label) =>
    html`<button class=${'btn btn-small' + (m && m.mode === mode ? ' btn-primary' : '')} aria-pressed=${!!(m && m.mode === mode)}
      disabled=${busy} onClick=${() => mon(mode)}>${label}</button>`;
  return html`<li class="wcall" data-testid="wall-call" data-call-id=${c.id}>
    <div class="wcall-who">
      <strong>${phone(c.number)}</strong>
      <span class="muted">${c.direction === 'inbound' ? 'Inbound' : 'Outbound'}${c.queue ? ` · ${c.queue}` : ''} · ${agent ? agent.name : c.queued_at ? 'waiting' : 'no agent'}</span>
      <span class="wcall-flags"><${Flags} call=${c} /></span>
    </div>
    <${T} from=${from} label="Call duration" />
    <div class="wcall-act" role="group" aria-label=${`Monitor ${c.number}`}>
      ${modeBtn('listen', 'Listen')} ${modeBtn('whisper', 'Whisper')} ${modeBtn('barge', 'Barge')}
      ${m && html`<button class="btn btn-small" disabled=${busy}
        onClick=${() => run(async () => (await api.stopMonitor(c.id, m.leg), monitors.delete(c.id)))}>Stop</button>`}
      <button class="btn btn-small btn-danger" disabled=${busy} onClick=${() => run(() => api.hangup(c.id))}>Hang up</button>
    </div>
  </li>`;
}

function ExtensionForm({ ext, setExt, inputRef }) {
  const [v, setV] = useState(ext);
  const save = (e) => {
    e.preventDefault();
    const x = v.trim();
    if (x && !/^[0-9A-Za-z_.-]{1,32}$/.test(x)) return notify('Extension: letters, digits, dot, dash or underscore', 'error');
    localStorage.setItem(EXT_KEY, x);
    setExt(x);
    if (x) notify(`Listening from extension ${x}`, 'info');
  };
  return html`<form class="wext" onSubmit=${save} aria-label="Your phone">
    <label for="wall-ext">Your extension</label>
    <input id="wall-ext" ref=${inputRef} value=${v} onInput=${(e) => setV(e.target.value)} size="6" inputmode="numeric" data-testid="wall-extension" />
    <button class="btn btn-small" type="submit">Save</button>
  </form>`;
}

// ---- the page

export function WallPage() {
  const w = useWall();
  const root = useRef(null);
  const extRef = useRef(null);
  useTicker(root);
  const codes = usePauseCodes();
  const [filter, setFilter] = useState({ state: '', campaign: '', team: '', search: '', sort: 'state' });
  const teamList = useTeams();
  const [menuFor, setMenuFor] = useState(0);
  const [ext, setExt] = useState(localStorage.getItem(EXT_KEY) || '');
  const set = (k) => (e) => setFilter({ ...filter, [k]: e.target.value });

  const agents = [...w.agents.values()];
  const shown = visibleAgents(agents, filter);
  const byCampaign = new Map();
  for (const a of agents) if (a.campaign) byCampaign.set(a.campaign.id, a.campaign.name);
  const campaigns = [...byCampaign].sort((a, b) => a[1].localeCompare(b[1]));
  // Teams with no agent on the wall yet are listed too.
  const byTeam = new Map(teamList.map((t) => [t.id, t.name]));
  for (const a of agents) if (a.team) byTeam.set(a.team.id, a.team.name);
  const teams = [...byTeam].sort((a, b) => a[1].localeCompare(b[1]));
  const counts = {};
  for (const a of agents) counts[a.state] = (counts[a.state] || 0) + 1;
  const calls = [...w.calls.values()].sort((a, b) => ms(a.created_at) - ms(b.created_at));
  const queues = [...w.queues.values()].sort((a, b) => a.name.localeCompare(b.name));
  const act = async (a, label, fn) => {
    try {
      await fn();
      notify(`${a.name}: ${label.toLowerCase()}`, 'info');
    } catch (e) {
      notify(`${a.name}: ${e.message || e}`, 'error');
    }
  };
  const askExt = () => {
    notify('Enter your phone extension to listen in', 'error');
    if (extRef.current) extRef.current.focus();
  };

  return html`<div class="wall" ref=${root} data-testid="wall" data-conn=${w.conn}>
    <div class="wall-head">
      <h1>Wall</h1>
      <ul class="wall-counts" aria-label="Agents by state">
        ${STATE_ORDER.filter((s) => counts[s]).map((s) => html`<li><span class="wstate" data-state=${s}>${STATE_LABEL[s]} ${counts[s]}</span></li>`)}
      </ul>
      ${w.conn !== 'live' && html`<span class="badge" role="status">${w.conn === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</span>`}
    </div>
    ${queues.length > 0 && html`<div class="qtiles" aria-label="Queues">${queues.map((q) => html`<${QueueTile} key=${q.id} q=${q} />`)}</div>`}
    <div class="wall-body">
      <section class="wall-agents card" aria-label="Agents">
        <div class="wall-filters" role="search">
          <input type="search" placeholder="Search by name or extension" aria-label="Search agents" value=${filter.search} onInput=${set('search')} data-testid="wall-search" />
          <select aria-label="State" value=${filter.state} onChange=${set('state')} data-testid="wall-filter-state">
            <option value="">All states</option>
            ${STATE_ORDER.map((s) => html`<option value=${s}>${STATE_LABEL[s]}</option>`)}
          </select>
          <select aria-label="Campaign" value=${filter.campaign} onChange=${set('campaign')}>
            <option value="">All campaigns</option>
            ${campaigns.map(([id, name]) => html`<option value=${String(id)}>${name}</option>`)}
          </select>
          ${teams.length > 0 && html`<select aria-label="Team" value=${filter.team} onChange=${set('team')} data-testid="wall-filter-team">
            <option value="">All teams</option>
            ${teams.map(([id, name]) => html`<option value=${String(id)}>${name}</option>`)}
          </select>`}
          <select aria-label="Sort by" value=${filter.sort} onChange=${set('sort')} data-testid="wall-sort">
            <option value="state">Sort: state</option>
            <option value="name">Sort: name</option>
            <option value="time">Sort: time in state</option>
          </select>
          <span class="muted">${shown.length} of ${agents.length}</span>
        </div>
        <table class="wall-grid">
          <thead><tr><th>Agent</th><th>State</th><th class="num">Time</th><th>Campaign</th><th>Call</th><th><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            ${shown.map((a) => html`<${AgentRow} key=${a.id} agent=${a} call=${a.call_id ? w.calls.get(a.call_id) : null}
              open=${menuFor === a.id} codes=${codes} onMenu=${setMenuFor} act=${act} />`)}
          </tbody>
        </table>
        ${agents.length === 0 && w.conn === 'live' && html`<p class="empty">No agents yet.</p>`}
      </section>
      <section class="wall-calls card" aria-label="Live calls">
        <div class="wall-calls-head">
          <h2>Live calls <span class="muted">${calls.length}</span></h2>
          <${ExtensionForm} ext=${ext} setExt=${setExt} inputRef=${extRef} />
        </div>
        <ul class="wcalls">
          ${calls.map((c) => html`<${CallRow} key=${c.id} call=${c} agent=${c.agent_id ? w.agents.get(c.agent_id) : null} ext=${ext} askExt=${askExt} />`)}
        </ul>
        ${calls.length === 0 && html`<p class="empty">No calls right now.</p>`}
      </section>
    </div>
  </div>`;
}

export const isSupervisor = (me) => !!me && (me.role === 'supervisor' || me.role === 'admin');
