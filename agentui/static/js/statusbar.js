// The status bar: the agent's state with its timer, the call timer,
// Ready / Pause, the session's figures, navigation and the user menu.

import { html, useEffect, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { currentCall, liveStats, ms } from './store.js';
import { Timer, useAction, useNow } from './common.js';
import { duration } from './format.js';
import { Icon } from './icons.js';
import { Link } from './nav.js';
import { bind } from './shortcuts.js';
import { signOut } from './session.js';
import { describeDevice } from './audio.js';
import { pauseReason } from './pause.js';
import { Menu } from './menu.js';
import { endPhoneSession } from './softphone.js';
import { CampaignSwitch } from './campaign.js';
import { isSupervisor } from './wall.js';

export const STATE_LABEL = {
  LOGGED_OUT: 'Logged out',
  READY: 'Ready',
  RESERVED: 'Reserved',
  RINGING: 'Ringing',
  INCALL: 'In call',
  DISPO: 'Wrap-up',
  PAUSED: 'Paused',
};

// The active pause codes with their admins' labels, read again each time
// the pause menu opens so that a code added since shows without a reload.
let pauseCodes = null;
async function loadPauseCodes() {
  const r = await api.pauseCodes();
  pauseCodes = (r.pause_codes || []).filter((p) => p.active);
  return pauseCodes;
}

// pauseLabel is an admin's label for its code, else the code in words.
function pauseLabel(code) {
  const p = pauseCodes && pauseCodes.find((p) => p.code === code);
  return p ? p.label : pauseReason(code).label;
}

// StatePill shows the state and how long the agent has been in it; in a
// call the call clock beside it says the same, so it stands alone. The
// pause reason comes last: it is the part cut short when space runs out.
function StatePill({ agent, withTimer }) {
  const st = (agent && agent.state) || 'LOGGED_OUT';
  return html`<div class="state" data-testid="agent-state" data-state=${st}>
    <span class="state-dot" aria-hidden="true"></span>
    <span class="state-name">${STATE_LABEL[st]}</span>
    ${agent && withTimer && html`<${Timer} from=${ms(agent.since)} class="state-timer" label="Time in state" />`}
    ${st === 'PAUSED' && agent.pause_code && html`<${PauseCode} code=${agent.pause_code} />`}
  </div>`;
}

// PauseCode is the reason in words; a long one is cut short, in full on hover.
function PauseCode({ code }) {
  const r = pauseReason(code);
  const label = r.system ? r.label : pauseLabel(code);
  return html`<span class="state-code" data-testid="pause-code" data-code=${code}
    title=${r.detail ? `${label}: ${r.detail}` : label}>${label}</span>`;
}

function CallClock({ call }) {
  const from = ms(call.connected_at || call.answered_at);
  if (!from) return html`<div class="callclock pending"><${Icon} name="phone" size=${14} /> Dialing…</div>`;
  return html`<div class="callclock" data-testid="status-call-timer">
    <${Icon} name="phone" size=${14} /> <${Timer} from=${from} label="Call duration" />
  </div>`;
}

function Stats({ s }) {
  const now = useNow();
  const st = liveStats(s, now);
  if (!st) return null;
  return html`<dl class="stats" aria-label="Session figures">
    <div><dt>Calls</dt><dd data-testid="stat-calls">${st.calls || 0}</dd></div>
    <div><dt>Talk</dt><dd data-testid="stat-talk">${duration(st.talk_sec)}</dd></div>
    <div><dt>Wrap-up</dt><dd data-testid="stat-dispo">${duration(st.dispo_sec)}</dd></div>
  </dl>`;
}

function ReadyPause({ s }) {
  const [run, busy] = useAction();
  const [codes, setCodes] = useState(pauseCodes || []);
  const agent = s.agent;
  const id = s.me.agent.id;
  const reload = () => loadPauseCodes().then(setCodes, () => {});
  useEffect(() => {
    reload();
  }, []);
  const st = agent && agent.state;
  // Outside READY and PAUSED the call decides: the wrap-up's submit
  // makes the agent ready.
  // A previewed lead is left with Dial or Skip, not by going ready.
  const canReady = st === 'PAUSED' && !agent.preview;
  const canPause = st === 'READY' || st === 'PAUSED';
  const ready = () => canReady && !busy && run(() => api.ready(id));
  useEffect(() => bind(canReady ? { 'alt+r': { run: ready, label: 'Go ready' } } : {}), [canReady, busy]);
  if (!canPause) return null;
  const pauseLabel = st === 'PAUSED' ? 'Pause code' : 'Pause';
  return html`<div class="readypause">
    ${canReady &&
    html`<button class="btn btn-ready" disabled=${busy} onClick=${ready} aria-keyshortcuts="Alt+R">
      <${Icon} name="play" size=${14} /> Go ready
    </button>`}
    <${Menu} label=${html`<span class="menu-label">${pauseLabel}</span>`} title=${pauseLabel} icon="pause" testid="pause-menu"
      onToggle=${(open) => open && reload()}>
      ${codes.map(
        (c) => html`<button role="menuitem" class="menu-item" data-code=${c.code}
          disabled=${busy || c.code === (agent && agent.pause_code)}
          onClick=${() => run(() => api.pause(id, c.code))}>${c.label}</button>`,
      )}
    </${Menu}>
  </div>`;
}

function UserMenu({ s }) {
  const [run] = useAction();
  const name = (s.me.user && (s.me.user.display_name || s.me.user.username)) || 'Account';
  const agent = s.agent;
  const onCall = agent && ['INCALL', 'RINGING', 'RESERVED'].includes(agent.state);
  const dev = agent ? describeDevice(agent) : null;
  // A long name is cut short; narrow screens show the icon alone.
  return html`<${Menu} label=${html`<span class="user-name">${name}</span>`} title=${name} icon="user"
    buttonClass="btn btn-ghost user-button" testid="user-menu">
    ${dev && html`<div class="menu-note" role="none">
      <strong>${dev.label}</strong> ${dev.detail} · ${agent.mode === 'persistent' ? 'persistent line' : 'rings each call'}
    </div>`}
    ${agent &&
    html`<button role="menuitem" class="menu-item" disabled=${onCall || agent.state === 'DISPO'}
      onClick=${() => run(() => endPhoneSession(() => api.agentLogout(s.me.agent.id)))}>End phone session</button>`}
    <button role="menuitem" class="menu-item" disabled=${onCall} onClick=${() => run(signOut)}>Sign out</button>
  </${Menu}>`;
}

const NavLink = ({ href, on, testid, children }) =>
  html`<${Link} href=${href} class=${'nav-link' + (on ? ' active' : '')} aria-current=${on ? 'page' : undefined} data-testid=${testid}>${children}</${Link}>`;

export function StatusBar({ s, page }) {
  const call = currentCall(s);
  const onCall = !!(s.agent && ['RESERVED', 'RINGING', 'INCALL'].includes(s.agent.state) && call && call.state !== 'ended');
  return html`<header class="topbar">
    <div class="brand">
      <span class="logo" aria-hidden="true"><${Icon} name="headset" size=${18} /></span>
      <span class="brand-name">agentswitch</span>
      ${s.simulated && html`<span class="badge badge-sim" title="Calls go to the built-in simulated switch, not to real phones">Simulated<span class="badge-more"> switch</span></span>`}
    </div>
    ${s.me.agent &&
    html`<div class="status-main">
      <${StatePill} agent=${s.agent} withTimer=${!onCall} />
      ${onCall && html`<${CallClock} call=${call} />`}
      <${ReadyPause} s=${s} />
      <${CampaignSwitch} s=${s} />
    </div>`}
    <${Stats} s=${s} />
    <nav class="nav" aria-label="Screens">
      ${isSupervisor(s.me) && html`<${NavLink} href="/wall" on=${page === 'wall'} testid="nav-wall">Wall</${NavLink}>`}
      ${isSupervisor(s.me) && html`<${NavLink} href="/reports" on=${page === 'reports'} testid="nav-reports">Reports</${NavLink}>`}
      ${isSupervisor(s.me) && html`<${NavLink} href="/calls" on=${page === 'calls' || page === 'call'} testid="nav-calls">Calls</${NavLink}>`}
      ${(s.me.agent || !isSupervisor(s.me)) && html`<${NavLink} href="/" on=${page === 'workspace'}>Workspace</${NavLink}>`}
      <${NavLink} href="/callbacks" on=${page === 'callbacks'}>Callbacks</${NavLink}>
      ${s.me.role === 'admin' && html`<${NavLink} href="/admin" on=${page === 'admin'} testid="nav-admin">Admin</${NavLink}>`}
      ${s.me.role === 'supervisor' && html`<${NavLink} href="/admin/widget-calls" on=${page === 'admin'} testid="nav-widgets">Widgets</${NavLink}>`}
      ${s.me.role === 'admin' && html`<${NavLink} href="/audit" on=${page === 'audit'}>Audit log</${NavLink}>`}
    </nav>
    <${UserMenu} s=${s} />
  </header>`;
}

