// The supervisor's wall: every agent, the inbound queues and the live
// calls, pushed on the event stream. A wall may show thousands of agents
// and hundreds of calls, so events are drawn together (ten times a second
// at most), only the rows in view are in the page (the grid and the calls
// list scroll a window over the whole list), a row re-renders only when
// its agent or call changed, and one tick a second rewrites the timers in
// view and re-reads the alerts.

import { html, Component, useCallback, useEffect, useLayoutEffect, useRef, useState } from '../vendor/htm-preact.js';
import { api, rest } from './api.js';
import { Stream } from './stream.js';
import { getState, ms } from './store.js';
import { notify } from './common.js';
import { duration, percent, phone } from './format.js';
import { pauseReason } from './pause.js';
import { STATE_LABEL } from './statusbar.js';
import { arrowKeys } from './menu.js';
import { SwitchAlerts } from './switchalerts.js';
import { feedSwitch } from './switchstate.js';
import { WallAlerts } from './wallalerts.js';
import { qualityWord } from './mediaquality.js';

// ---- the wall's state, apart from the agent workspace's store

// monitors: this supervisor's monitor legs, by call id: { leg, mode,
// state: 'connecting' until the phone answers, then 'up' }.
// campaigns: the dialer campaigns' abandon figures.
const wall = { agents: new Map(), calls: new Map(), queues: new Map(), campaigns: new Map(), monitors: new Map(), conn: 'connecting', rev: 0 };
let skew = 0; // server ms - local ms
export const wallNow = () => Date.now() + skew;
const listeners = new Set();
// A busy floor sends ~100 events a second: they are folded in as they
// come and drawn together, in the next frame at least RENDER_GAP_MS after
// the last drawing (a wall read across a room needs no more than ten a
// second, and the page stays free for the supervisor's clicks).
const RENDER_GAP_MS = 100;
let pending = 0;
let drawn = 0;
function changed() {
  wall.rev++;
  if (pending) return;
  const wait = Math.max(0, drawn + RENDER_GAP_MS - performance.now());
  pending = setTimeout(() => {
    requestAnimationFrame(() => {
      pending = 0;
      drawn = performance.now();
      for (const l of listeners) l();
    });
  }, wait);
}

function seen(at, reset) {
  const d = ms(at) - Date.now();
  if (Number.isFinite(d)) skew = reset ? d : Math.max(skew, d);
}

// withSince parses the time in state once, not at every sort.
const withSince = (a) => ((a.sinceMs = ms(a.since)), a);
const withTimes = (c) => ((c.heldMs = c.held ? ms(c.held_at) : 0), (c.createdMs = ms(c.created_at)), c);

// monitorFrom reads a monitor leg's state off the call's parties.
function monitorFrom(call, m) {
  const p = call && (call.parties || []).find((x) => x.leg_id === m.leg);
  if (!p || p.state === 'gone') return null;
  const state = p.state === 'up' ? 'up' : 'connecting';
  return state === m.state ? m : { ...m, state };
}

function setMonitor(callId, m) {
  if (m) wall.monitors.set(callId, m);
  else wall.monitors.delete(callId);
}

function applySnapshot(snap) {
  seen(snap.at, true);
  wall.agents = new Map((snap.agents || []).map((a) => [a.id, withSince(a)]));
  wall.calls = new Map((snap.calls || []).filter((c) => c.state !== 'ended').map((c) => [c.id, withTimes(c)]));
  wall.queues = new Map((snap.queues || []).map((q) => [q.id, q]));
  wall.campaigns = new Map((snap.campaigns || []).map((c) => [c.id, c]));
  feedSwitch.snapshot(snap);
  // Back after a drop: what became of this supervisor's legs meanwhile.
  for (const [id, m] of [...wall.monitors]) setMonitor(id, monitorFrom(wall.calls.get(id), m));
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

const MONITOR_STATE = { 'call.monitor_answered': 'up', 'call.monitor_mode': 'up' };

function applyEvent(ev) {
  seen(ev.at, false);
  if (ev.type === 'agent.state' && ev.agent) wall.agents.set(ev.agent.id, withSince(ev.agent));
  if (ev.call) {
    if (ev.call.state === 'ended') {
      wall.calls.delete(ev.call.id);
      wall.monitors.delete(ev.call.id);
    } else wall.calls.set(ev.call.id, withTimes(ev.call));
  }
  const m = ev.monitor && wall.monitors.get(ev.call_id);
  if (m && m.leg === ev.monitor.leg_id) {
    const state = MONITOR_STATE[ev.type];
    setMonitor(ev.call_id, state ? { ...m, mode: ev.monitor.mode, state } : null);
  }
  if (ev.type === 'queue.stats' && ev.queue) wall.queues.set(ev.queue.id, ev.queue);
  if (ev.type === 'campaign.stats' && ev.campaign) wall.campaigns.set(ev.campaign.id, ev.campaign);
  if (ev.type === 'node.state' || ev.type === 'gateway.state') return feedSwitch.event(ev);
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

// One clock for the whole wall: each second it rewrites the text of
// every [data-from] element under root (the timers in view, without a
// render) and calls the tick listeners (the alerts).
const tickers = new Set();
export function onTick(fn) {
  tickers.add(fn);
  return () => tickers.delete(fn);
}

function useTicker(root) {
  useEffect(() => {
    let t = 0;
    const tick = () => {
      const now = wallNow();
      if (root.current) {
        for (const el of root.current.querySelectorAll('[data-from]')) {
          const text = duration((now - Number(el.dataset.from)) / 1000);
          // The text node Preact rendered: replacing it would leave
          // Preact's own beside the new one at the row's next render.
          const n = el.firstChild;
          if (n && n.nodeType === Node.TEXT_NODE) {
            if (n.data !== text) n.data = text;
          } else el.textContent = text;
        }
      }
      for (const fn of tickers) fn(now);
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

// FILTERS are the grid's drop-down filters, in order: each names its
// key, its label, its options (from the wall and what it loaded) and the
// agents it keeps. A filter whose options need a request loads them in
// load(value), once, when it is chosen.
const queueMembers = new Map(); // queue id -> Set of agent ids
export const FILTERS = [
  {
    key: 'state', label: 'State', all: 'All states', testid: 'wall-filter-state',
    options: () => STATE_ORDER.map((s) => [s, STATE_LABEL[s]]),
    keep: (a, v) => a.state === v,
  },
  {
    key: 'campaign', label: 'Campaign', all: 'All campaigns', testid: 'wall-filter-campaign',
    options: ({ agents, campaigns }) => {
      const by = new Map(campaigns.map((c) => [String(c.id), c.name]));
      for (const a of agents) if (a.campaign) by.set(String(a.campaign.id), a.campaign.name);
      return [...by].sort((x, y) => x[1].localeCompare(y[1]));
    },
    keep: (a, v) => String((a.campaign && a.campaign.id) || '') === v,
  },
  {
    key: 'queue', label: 'Queue', all: 'All queues', testid: 'wall-filter-queue',
    options: ({ queues }) => queues.map((q) => [String(q.id), q.name]),
    load: async (v) => {
      if (queueMembers.has(v)) return;
      const r = await rest.get(`/queues/${encodeURIComponent(v)}/members`);
      queueMembers.set(v, new Set((r.members || []).map((m) => m.agent_id)));
    },
    // Until its members are in, the queue keeps nobody.
    keep: (a, v) => !!(queueMembers.get(v) && queueMembers.get(v).has(a.id)),
  },
  {
    // Shown once there are teams; teams with no agent on the wall yet
    // are listed too.
    key: 'team', label: 'Team', all: 'All teams', testid: 'wall-filter-team', optional: true,
    options: ({ agents, teams }) => {
      const by = new Map(teams.map((t) => [String(t.id), t.name]));
      for (const a of agents) if (a.team) by.set(String(a.team.id), a.team.name);
      return [...by].sort((x, y) => x[1].localeCompare(y[1]));
    },
    keep: (a, v) => String((a.team && a.team.id) || '') === v,
  },
  {
    // Shown once an agent is on the browser phone.
    key: 'phone', label: 'Browser phone', all: 'All phones', testid: 'wall-filter-phone', optional: true,
    options: ({ agents }) =>
      agents.some((a) => a.endpoint && a.endpoint.kind === 'webrtc')
        ? [['trouble', 'Browser phone: poor or offline'], ['browser', 'On the browser phone']]
        : [],
    keep: (a, v) => {
      const p = phoneStatus(a);
      return !!p && (v !== 'trouble' || PHONE_TROUBLE.has(p.kind));
    },
  },
];

export const NO_FILTER = { search: '', sort: 'state', ...Object.fromEntries(FILTERS.map((f) => [f.key, ''])) };

// visibleAgents applies the wall's filters, search and sort.
export function visibleAgents(agents, filter) {
  const q = (filter.search || '').trim().toLowerCase();
  const on = FILTERS.filter((f) => filter[f.key]);
  const list = [];
  for (const a of agents) {
    if (on.some((f) => !f.keep(a, filter[f.key]))) continue;
    if (q && !a.name.toLowerCase().includes(q) && !(a.extension || '').includes(q)) continue;
    list.push(a);
  }
  return list.sort(SORTS[filter.sort] || SORTS.state);
}

// ---- a window over a long list: only the rows in view (and a few
// either side) are rendered; spacers keep the scrollbar true.

const OVERSCAN = 6;
// useWindow takes the rows' height from the first row drawn (guess until
// then): the rows of a list are all as high.
function useWindow(count, guess) {
  const box = useRef(null);
  const [view, setView] = useState({ top: 0, height: 800 });
  const [rowHeight, setRowHeight] = useState(guess);
  const measured = useRef(false);
  useLayoutEffect(() => {
    const row = !measured.current && box.current && box.current.querySelector('[data-row]');
    if (!row) return;
    measured.current = true;
    const h = row.getBoundingClientRect().height;
    if (h > 0 && Math.abs(h - rowHeight) > 0.25) setRowHeight(h);
  });
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    let raf = 0;
    const read = () => {
      raf = 0;
      setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
    };
    const later = () => raf || (raf = requestAnimationFrame(read));
    read();
    el.addEventListener('scroll', later, { passive: true });
    const ro = new ResizeObserver(later);
    ro.observe(el);
    return () => (el.removeEventListener('scroll', later), ro.disconnect(), cancelAnimationFrame(raf));
  }, []);
  const first = Math.max(0, Math.floor(view.top / rowHeight) - OVERSCAN);
  const last = Math.min(count, Math.ceil((view.top + view.height) / rowHeight) + OVERSCAN);
  // scrollTo brings row i into view.
  const scrollTo = useCallback((i) => {
    const el = box.current;
    if (!el) return;
    const y = i * rowHeight;
    if (y < el.scrollTop || y + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = Math.max(0, y - el.clientHeight / 3);
    setView({ top: el.scrollTop, height: el.clientHeight });
  }, [rowHeight]);
  return { box, first, last, before: first * rowHeight, after: (count - last) * rowHeight, scrollTo };
}

// Pure renders `of` with its other props, again only when one of them
// changed (a row among thousands, while events flow).
class Pure extends Component {
  shouldComponentUpdate(n) {
    for (const k in n) if (n[k] !== this.props[k]) return true;
    return false;
  }
  render(p) {
    return html`<${p.of} ...${p} />`;
  }
}

// ---- the supervisor's phone for listening in

const EXT_KEY = 'agentswitch.wall.extension';

// monitor starts listening in from the supervisor's phone, or switches
// mode once it is up; the pushed events tell when the phone answers.
async function monitor(call, mode, ext) {
  const m = wall.monitors.get(call.id);
  if (m) {
    await api.monitorMode(call.id, m.leg, mode);
    setMonitor(call.id, { ...wall.monitors.get(call.id), mode });
  } else {
    const pv = await api.monitor(call.id, { mode, endpoint: { kind: 'sip', extension: ext } });
    // Its answer may have been pushed before this reply came.
    const fresh = { leg: pv.leg_id, mode, state: 'connecting' };
    setMonitor(call.id, monitorFrom(wall.calls.get(call.id), fresh) || fresh);
  }
  changed();
}

async function stopMonitor(call) {
  const m = wall.monitors.get(call.id);
  if (!m) return;
  await api.stopMonitor(call.id, m.leg);
  setMonitor(call.id, null);
  changed();
}

const MONITOR_LABEL = { listen: 'Listening', whisper: 'Whispering', barge: 'Barging' };

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

// phoneStatus is a browser agent's softphone as its last report tells:
// { kind, word, label } with the word the agent sees (same thresholds),
// or the phone offline or in trouble; null for any other phone.
export function phoneStatus(a) {
  if (!a.endpoint || a.endpoint.kind !== 'webrtc' || a.state === 'LOGGED_OUT') return null;
  const m = a.media;
  if (!m) return { kind: 'none', word: 'No report', label: 'Browser phone: no report yet' };
  if (!m.registered || m.error) {
    const word = m.registered ? 'Phone error' : 'Phone offline';
    return { kind: m.registered ? 'error' : 'offline', word, label: m.error ? `${word}: ${m.error}` : word };
  }
  const word = qualityWord({ loss: m.packet_loss_pct, jitter: m.jitter_ms, rtt: m.rtt_ms }) || 'Good';
  return {
    kind: word.toLowerCase(), word,
    label: `Browser phone: ${word} · loss ${m.packet_loss_pct}% · jitter ${m.jitter_ms} ms · round trip ${m.rtt_ms} ms`,
  };
}
const PHONE_TROUBLE = new Set(['poor', 'offline', 'error']);

// PhoneQuality is drawn with its row: only when the agent's view changed.
function PhoneQuality({ a }) {
  const p = phoneStatus(a);
  if (!p) return null;
  return html`<span class="wa-phone" data-quality=${p.kind} data-testid="wall-agent-phone" title=${p.label} aria-label=${p.label}
    role="img">${p.word}</span>`;
}

// AgentRow re-renders only when its agent, its call or its menu changed.
class AgentRow extends Component {
  shouldComponentUpdate(n) {
    const p = this.props;
    return n.agent !== p.agent || n.call !== p.call || n.open !== p.open || n.codes !== p.codes || n.index !== p.index;
  }
  render({ agent: a, call, open, codes, onMenu, act, index }) {
    const st = a.state || 'LOGGED_OUT';
    const talk = call && ms(call.connected_at || call.answered_at);
    return html`<tr class="wall-agent" data-state=${st} data-testid="wall-agent" data-agent-id=${a.id} data-row=${index}
      aria-rowindex=${index + 2} tabindex="-1">
      <td class="wa-name"><strong>${a.name}</strong><span class="wa-ext">${a.extension}</span>${a.team && html`<span class="wa-team" data-testid="wall-agent-team">${a.team.name}</span>`}<${PhoneQuality} a=${a} /></td>
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
    // Placed on the window, not in the scrolling grid that would cut it
    // off: below its button, or above when the window has more room there.
    const m = root.current;
    const b = m.parentNode.querySelector('button').getBoundingClientRect();
    const h = m.offsetHeight;
    m.style.position = 'fixed';
    m.style.right = `${Math.max(innerWidth - b.right, 4)}px`;
    m.style.top = `${innerHeight - b.bottom >= h + 12 || b.top < innerHeight - b.bottom ? b.bottom + 6 : Math.max(b.top - 6 - h, 4)}px`;
    // The grid scrolling away from the button closes the menu.
    const scrolled = (e) => !m.contains(e.target) && close();
    addEventListener('scroll', scrolled, true);
    const first = root.current.querySelector('[role=menuitem]:not([disabled])');
    if (first) first.focus({ preventScroll: true });
    const away = (e) => root.current && !root.current.parentNode.contains(e.target) && close();
    addEventListener('pointerdown', away);
    // Escape closes it wherever the focus is (a logged-out agent's menu
    // has no item to focus).
    const esc = (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      close();
      m.parentNode.querySelector('button').focus();
    };
    addEventListener('keydown', esc, true);
    return () => {
      removeEventListener('pointerdown', away);
      removeEventListener('scroll', scrolled, true);
      removeEventListener('keydown', esc, true);
    };
  }, []);
  const key = (e) => arrowKeys(root.current, e);
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

const PACING_STATE = { warming: 'Warming up', predictive: 'Predictive', fallback: 'Progressive (fallback)' };

// PacingTile is a predictive campaign's pacer: its state and why, the
// lines it keeps ringing, and the abandon rate in each window the rules
// count.
function PacingTile({ c }) {
  const p = c.pacing;
  const gain = p.progressive_baseline > 0 && p.talk_minutes_per_agent_hour > 0 ? (p.predictive_gain >= 0 ? '+' : '') + percent(p.predictive_gain) : '–';
  return html`<section class="qtile" data-testid="wall-pacing" data-campaign=${c.name} aria-label=${`Campaign ${c.name}`}
    data-alert=${p.state === 'fallback' ? 'true' : undefined}>
    <h3>${c.name}</h3>
    <p class="qlabel" data-testid="wall-pacing-state" title=${p.reason}>${PACING_STATE[p.state] || p.state}</p>
    <div class="qmain">
      <div><span class="qbig" data-testid="wall-pacing-lines">${p.lines_in_flight}</span><span class="qlabel">lines (${p.dial_level} per agent)</span></div>
      <div><span class="qbig">${percent(p.live_answer_rate)}</span><span class="qlabel">live answers</span></div>
      <div><span class="qbig">${Math.round(p.talk_minutes_per_agent_hour)}</span><span class="qlabel">talk min per agent-hour</span></div>
    </div>
    <dl class="qstats" aria-label="Abandon rate">
      <div><dt>Abandoned 1 min</dt><dd>${percent(p.abandon.minute)}</dd></div>
      <div><dt>1 h</dt><dd>${percent(p.abandon.hour)}</dd></div>
      <div><dt>24 h</dt><dd data-testid="wall-pacing-day">${percent(p.abandon.day)}</dd></div>
      <div><dt>30 days</dt><dd>${percent(p.abandon.month)}</dd></div>
      <div><dt>Gain over progressive</dt><dd>${gain}</dd></div>
    </dl>
  </section>`;
}

// CallRow is one live call with its monitor and hang-up buttons; the
// wall renders it through Pure, so it re-renders when its call, agent or
// monitor changed.
function CallRow({ call: c, agent, mon: m, ext, askExt, index }) {
  const [busy, setBusy] = useState(false);
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
  return html`<li class="wcall" data-testid="wall-call" data-call-id=${c.id} data-row=${index} tabindex="-1"
    aria-posinset=${index + 1} data-held=${c.held ? 'true' : undefined}>
    <div class="wcall-who">
      <span class="wcall-flags"><strong>${phone(c.number)}</strong> <${Flags} call=${c} />${m &&
      html`<span class=${'flag flag-mon' + (m.state === 'up' ? ' flag-mon-up' : '')} role="status" data-testid="wall-monitor-state"
          data-state=${m.state} data-mode=${m.mode}>${m.state === 'up' ? MONITOR_LABEL[m.mode] : 'Connecting…'}</span>`}</span>
      <span class="muted">${c.direction === 'inbound' ? 'Inbound' : 'Outbound'}${c.queue ? ` · ${c.queue}` : ''} · ${agent ? agent.name : c.queued_at ? 'waiting' : 'no agent'}</span>
    </div>
    <${T} from=${from} label="Call duration" />
    <div class="wcall-act" role="group" aria-label=${`Monitor ${c.number}`}>
      ${modeBtn('listen', 'Listen')} ${modeBtn('whisper', 'Whisper')} ${modeBtn('barge', 'Barge')}
      ${m && html`<button class="btn btn-small" disabled=${busy} onClick=${() => run(() => stopMonitor(c))}>Stop</button>`}
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

const ROW_H = 54; // .wall-agent's height, until one is measured
const CALL_H = 96; // .wcall's
const ROW_KEYS = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };

export function WallPage() {
  const w = useWall();
  const root = useRef(null);
  const extRef = useRef(null);
  useTicker(root);
  const codes = usePauseCodes();
  const [filter, setFilter] = useState(NO_FILTER);
  const teamList = useTeams();
  // A team's supervisor starts on the team's agents; All teams is one
  // choice away.
  const picked = useRef(false);
  useEffect(() => {
    if (picked.current || !teamList.length) return;
    picked.current = true;
    const me = (getState().me || {}).user;
    const mine = me && teamList.find((t) => (t.supervisors || []).includes(me.id));
    if (mine) setFilter((old) => (old.team ? old : { ...old, team: String(mine.id) }));
  }, [teamList]);
  const [menuFor, setMenuFor] = useState(0);
  const [ext, setExt] = useState(localStorage.getItem(EXT_KEY) || '');
  // focus: a row to bring into view and focus ({ agent } or { call }),
  // from the keyboard or an alert.
  const focus = useRef(null);
  const [, refocus] = useState(0);
  const set = (k) => (e) => {
    const v = e.target.value;
    const f = FILTERS.find((x) => x.key === k);
    setFilter((old) => ({ ...old, [k]: v }));
    if (f && f.load && v) f.load(v).then(() => refocus((n) => n + 1), (err) => notify(`${f.label}: ${err.message || err}`, 'error'));
  };

  // The lists, worked out again only when the wall or the filter changed.
  const memo = useRef({});
  if (memo.current.rev !== w.rev || memo.current.filter !== filter || memo.current.loaded !== queueMembers.size || memo.current.teamList !== teamList) {
    const agents = [...w.agents.values()];
    const counts = {};
    for (const a of agents) counts[a.state] = (counts[a.state] || 0) + 1;
    const queues = [...w.queues.values()].sort((a, b) => a.name.localeCompare(b.name));
    const paced = [...w.campaigns.values()].filter((c) => c.pacing && c.pacing.state).sort((a, b) => a.name.localeCompare(b.name));
    memo.current = {
      rev: w.rev, filter, loaded: queueMembers.size, teamList, agents, counts, queues, paced,
      shown: visibleAgents(agents, filter),
      calls: [...w.calls.values()].sort((a, b) => a.createdMs - b.createdMs),
      options: Object.fromEntries(FILTERS.map((f) => [f.key, f.options({ agents, queues, campaigns: [...w.campaigns.values()], teams: teamList })])),
    };
  }
  const { agents, counts, queues, paced, shown, calls, options } = memo.current;
  const grid = useWindow(shown.length, ROW_H);
  const list = useWindow(calls.length, CALL_H);

  const act = useCallback(async (a, label, fn) => {
    try {
      await fn();
      notify(`${a.name}: ${label.toLowerCase()}`, 'info');
    } catch (e) {
      notify(`${a.name}: ${e.message || e}`, 'error');
    }
  }, []);
  const askExt = useCallback(() => {
    notify('Enter your phone extension to listen in', 'error');
    if (extRef.current) extRef.current.focus();
  }, []);
  const focusAgent = useCallback((id) => ((focus.current = { agent: id }), refocus((n) => n + 1)), []);
  const focusCall = useCallback((id) => ((focus.current = { call: id }), refocus((n) => n + 1)), []);
  // A campaign's alert shows its agents.
  const showCampaign = useCallback((id) => setFilter({ ...NO_FILTER, campaign: String(id) }), []);

  // Bring the row asked for into view, then focus it once it is drawn.
  useEffect(() => {
    const f = focus.current;
    if (!f) return;
    const [items, win, sel] = f.agent
      ? [shown, grid, `[data-testid=wall-agent][data-agent-id="${f.agent}"]`]
      : [calls, list, `[data-testid=wall-call][data-call-id="${f.call}"]`];
    const i = items.findIndex((x) => x.id === (f.agent || f.call));
    if (i < 0) {
      // Hidden by the filter: show everyone, and look again.
      if (f.agent && filter !== NO_FILTER) return setFilter(NO_FILTER);
      focus.current = null;
      return notify(f.agent ? 'That agent is no longer on the wall' : 'That call has ended', 'info');
    }
    const el = root.current && root.current.querySelector(sel);
    if (!el || f.scrolled !== i) {
      f.scrolled = i;
      win.scrollTo(i);
      return;
    }
    focus.current = null;
    const target = f.key ? el.querySelector('[data-testid=wall-agent-menu]') || el : el;
    target.focus();
    if (!f.key) {
      el.classList.remove('flash');
      void el.offsetWidth;
      el.classList.add('flash');
    }
  });

  // Up and down the grid by keyboard, from a row's menu button: the
  // window scrolls along, so every agent is reachable.
  const onGridKey = (e) => {
    const step = ROW_KEYS[e.key] || (e.key === 'Home' ? -Infinity : e.key === 'End' ? Infinity : 0);
    const tr = e.target.closest && e.target.closest('tr[data-row]');
    if (!step || !tr || menuFor || e.target.getAttribute('role') === 'menuitem') return;
    e.preventDefault();
    const i = Math.max(0, Math.min(shown.length - 1, Number(tr.dataset.row) + step));
    focus.current = { agent: shown[i].id, key: true };
    refocus((n) => n + 1);
  };

  return html`<div class="wall" ref=${root} data-testid="wall" data-conn=${w.conn}>
    <div class="wall-head">
      <h1>Wall</h1>
      <ul class="wall-counts" aria-label="Agents by state">
        ${STATE_ORDER.filter((s) => counts[s]).map((s) => html`<li><span class="wstate" data-state=${s}>${STATE_LABEL[s]} ${counts[s]}</span></li>`)}
      </ul>
      ${w.conn !== 'live' && html`<span class="badge" role="status">${w.conn === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</span>`}
    </div>
    <div class="wall-alerts">
      <${Pure} of=${WallAlerts} wall=${w} now=${wallNow} onTick=${onTick} onAgent=${focusAgent} onCall=${focusCall} onCampaign=${showCampaign} />
      <${SwitchAlerts} fed />
    </div>
    ${queues.length > 0 && html`<div class="qtiles" aria-label="Queues">${queues.map((q) => html`<${QueueTile} key=${q.id} q=${q} />`)}</div>`}
    ${paced.length > 0 && html`<div class="qtiles" aria-label="Predictive campaigns">${paced.map((c) => html`<${PacingTile} key=${c.id} c=${c} />`)}</div>`}
    <div class="wall-body">
      <section class="wall-agents card" aria-label="Agents">
        <div class="wall-filters" role="search">
          <input type="search" placeholder="Search by name or extension" aria-label="Search agents" value=${filter.search} onInput=${set('search')} data-testid="wall-search" />
          ${FILTERS.filter((f) => !f.optional || options[f.key].length > 0).map((f) => html`<select aria-label=${f.label} value=${filter[f.key]}
            onChange=${set(f.key)} data-testid=${f.testid}>
            <option value="">${f.all}</option>
            ${options[f.key].map(([v, label]) => html`<option value=${v}>${label}</option>`)}
          </select>`)}
          <select aria-label="Sort by" value=${filter.sort} onChange=${set('sort')} data-testid="wall-sort">
            <option value="state">Sort: state</option>
            <option value="name">Sort: name</option>
            <option value="time">Sort: time in state</option>
          </select>
          <span class="muted" data-testid="wall-shown" aria-live="polite">${shown.length} of ${agents.length}</span>
        </div>
        <div class="wall-scroll" ref=${grid.box} tabindex="0" aria-label=${`Agents, ${shown.length} shown; arrow keys move between rows`}>
          <table class="wall-grid" aria-rowcount=${shown.length + 1}>
            <thead><tr aria-rowindex="1"><th>Agent</th><th>State</th><th class="num">Time</th><th>Campaign</th><th>Call</th><th><span class="sr-only">Actions</span></th></tr></thead>
            <tbody onKeyDown=${onGridKey}>
              ${grid.before > 0 && html`<tr class="spacer" aria-hidden="true"><td colspan="6" style=${{ height: grid.before + 'px' }}></td></tr>`}
              ${shown.slice(grid.first, grid.last).map((a, k) => html`<${AgentRow} key=${a.id} agent=${a} index=${grid.first + k}
                call=${a.call_id ? w.calls.get(a.call_id) : null} open=${menuFor === a.id} codes=${codes} onMenu=${setMenuFor} act=${act} />`)}
              ${grid.after > 0 && html`<tr class="spacer" aria-hidden="true"><td colspan="6" style=${{ height: grid.after + 'px' }}></td></tr>`}
            </tbody>
          </table>
          ${agents.length === 0 && w.conn === 'live' && html`<p class="empty">No agents yet.</p>`}
          ${agents.length > 0 && shown.length === 0 && html`<p class="empty">No agent matches these filters.</p>`}
        </div>
      </section>
      <section class="wall-calls card" aria-label="Live calls">
        <div class="wall-calls-head">
          <h2>Live calls <span class="muted" data-testid="wall-calls-count">${calls.length}</span></h2>
          <${ExtensionForm} ext=${ext} setExt=${setExt} inputRef=${extRef} />
        </div>
        <div class="wall-scroll wall-scroll-calls" ref=${list.box} tabindex="0" aria-label=${`Live calls, ${calls.length}`}>
          <ul class="wcalls" style=${{ paddingTop: list.before + 'px', paddingBottom: list.after + 'px' }} aria-setsize=${calls.length}>
            ${calls.slice(list.first, list.last).map((c, k) => html`<${Pure} of=${CallRow} key=${c.id} call=${c} index=${list.first + k}
              agent=${c.agent_id ? w.agents.get(c.agent_id) : null} mon=${w.monitors.get(c.id)} ext=${ext} askExt=${askExt} />`)}
          </ul>
          ${calls.length === 0 && html`<p class="empty">No calls right now.</p>`}
        </div>
      </section>
    </div>
  </div>`;
}

export const isSupervisor = (me) => !!me && (me.role === 'supervisor' || me.role === 'admin');
