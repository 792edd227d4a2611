// The agent workspace: boot, the shell and its screens.

import { html, render } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { getState, setState, subscribe, useStore, currentCall } from './store.js';
import { cue } from './audio.js';
import { Notices } from './common.js';
import { announce, LiveRegion } from './nav.js';
import { startSession } from './session.js';
import { LoginPage } from './login.js';
import { StatusBar, STATE_LABEL } from './statusbar.js';
import { Workspace } from './workspace.js';
import { CallbacksPage } from './callbacks.js';
import { AuditPage } from './audit.js';
import { AdminPage, sectionOf } from './admin/admin.js';
import { WallPage, isSupervisor } from './wall.js';
import { ReportsPage } from './reports.js';
import { CallSearchPage, CallPage } from './calls.js';
import { ShortcutHelp } from './help.js';
import { fullName, phone } from './format.js';

// Cues and announcements on the moments an agent must not miss; a
// snapshot (page load, reconnect) restores the screen silently.
let prev = getState();
subscribe((s) => {
  const was = prev.agent && prev.agent.state;
  const is = s.agent && s.agent.state;
  if (is !== was) document.title = `${STATE_LABEL[is || 'LOGGED_OUT']} · agentswitch`;
  if (is !== was && prev.conn === 'live' && s.conn === 'live') {
    const call = currentCall(s);
    if (is === 'INCALL') {
      cue('connected');
      announce(`Call connected${call ? ' with ' + phone(call.number) : ''}`);
    } else if (is === 'RINGING' || is === 'RESERVED') {
      announce('Incoming call');
    } else if (is === 'DISPO') {
      cue('ended');
      announce('Call ended. Choose a disposition.');
    } else if (is === 'READY') {
      announce('Ready for calls');
    }
  }
  const lead = s.agent && s.agent.preview && s.agent.preview.lead;
  const had = prev.agent && prev.agent.preview && prev.agent.preview.lead;
  if (lead && (!had || had.id !== lead.id) && s.conn === 'live') {
    cue('offer');
    announce(`Lead to preview: ${fullName(lead) || phone(lead.phone)}`);
  }
  if (s.offers.length > prev.offers.length) {
    cue('offer');
    announce('A callback is due');
  }
  prev = s;
});

// pageOf names the page shown: the wall is a supervisor's home page,
// and out of an agent's reach (its data routes refuse agents anyway);
// the audit log is for admins only (the API refuses others, and the link
// is not shown to them); reports and call search are for supervisors and
// admins; the admin console is for admins, and for supervisors its
// sections they may read (the widgets' calls and dashboard).
export function pageOf(s) {
  const sup = isSupervisor(s.me);
  if (s.path === '/callbacks') return 'callbacks';
  if (s.path === '/audit' && s.me.role === 'admin') return 'audit';
  if ((s.path === '/admin' || s.path.startsWith('/admin/')) && (s.me.role === 'admin' || (sup && sectionOf(s.path, s.me.role)))) return 'admin';
  if (sup && (s.path === '/wall' || (s.path === '/' && !s.me.agent))) return 'wall';
  if (sup && (s.path === '/reports' || s.path.startsWith('/reports/'))) return 'reports';
  if (sup && s.path === '/calls') return 'calls';
  if (sup && s.path.startsWith('/calls/')) return 'call';
  return 'workspace';
}

// pageView draws the page pageOf named.
function pageView(page, path) {
  switch (page) {
    case 'admin':
      return html`<${AdminPage} path=${path} role=${getState().me.role} />`;
    case 'callbacks':
      return html`<${CallbacksPage} />`;
    case 'audit':
      return html`<${AuditPage} />`;
    case 'wall':
      return html`<${WallPage} />`;
    case 'reports':
      return html`<${ReportsPage} path=${path} />`;
    case 'calls':
      return html`<${CallSearchPage} />`;
    case 'call':
      return html`<${CallPage} id=${decodeURIComponent(path.slice('/calls/'.length))} />`;
  }
  return html`<${Workspace} />`;
}

// WIDE are the pages that use the window's whole width.
const WIDE = new Set(['wall', 'admin', 'reports', 'calls', 'call']);

function App() {
  const s = useStore();
  if (s.auth === 'unknown') return html`<div class="boot" aria-busy="true">Loading…</div>`;
  if (s.auth === 'out') return html`<${LoginPage} /><${Notices} /><${LiveRegion} />`;
  const state = (s.agent && s.agent.state) || 'LOGGED_OUT';
  const page = pageOf(s);
  return html`<div class="shell" data-state=${state}>
    <a class="skip" href="#main">Skip to the workspace</a>
    <${StatusBar} s=${s} page=${page} />
    ${s.conn === 'reconnecting' &&
    html`<div class="banner" role="status" data-testid="reconnecting">
      <span class="spinner" aria-hidden="true"></span> Reconnecting to the server… your call is not affected.
    </div>`}
    <main id="main" tabindex="-1" class=${WIDE.has(page) ? 'main-wide' : ''}>${pageView(page, s.path)}</main>
    <${ShortcutHelp} />
    <${Notices} />
    <${LiveRegion} />
  </div>`;
}

async function boot() {
  render(html`<${App} />`, document.getElementById('app'));
  try {
    startSession(await api.me());
  } catch {
    setState({ auth: 'out', path: '/login' });
    if (location.pathname !== '/login') history.replaceState(null, '', '/login');
  }
}

addEventListener('popstate', () => setState({ path: location.pathname }));
boot();
