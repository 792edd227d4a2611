// The signed-in session and its event stream.

import { api, whenUnauthorized } from './api.js';
import { Stream } from './stream.js';
import { applyEvent, applySnapshot, getState, setAgentView, setState } from './store.js';
import { notify } from './common.js';
import { endPhoneSession } from './softphone.js';

let stream = null;

async function refreshAgent(id) {
  try {
    setAgentView(await api.agent(id));
  } catch {
    // Not logged in to the phone: the snapshot said so already.
  }
}

export function startSession(me) {
  const path = location.pathname === '/login' ? '/' : location.pathname;
  if (path !== location.pathname) history.replaceState(null, '', path);
  setState({ auth: 'in', me, path, conn: 'connecting' });
  // /healthz names the switch mode to signed-in callers only.
  api.health().then((h) => setState({ simulated: !!(h && h.switch && h.switch.mode === 'simulated') }));
  const agentId = me.agent && me.agent.id;
  if (!agentId) return;
  stream = new Stream({
    onSnapshot: (snap) => {
      applySnapshot(snap, agentId);
      refreshAgent(agentId);
    },
    onEvent: (ev) => applyEvent(ev, agentId),
    onStatus: (conn) => setState({ conn }),
    onSessionEnded: () => endSession('Your session has ended. Please sign in again.'),
    onRefused: () => api.me().catch(() => {}),
  });
  stream.start();
}

export function endSession(message) {
  if (stream) stream.stop();
  stream = null;
  setState({ auth: 'out', me: null, agent: null, agentAt: 0, calls: {}, offers: [], path: '/login' });
  history.replaceState(null, '', '/login');
  if (message) notify(message, 'info');
}

export async function signOut() {
  const s = getState();
  if (s.agent && s.me && s.me.agent && !['INCALL', 'RINGING', 'RESERVED'].includes(s.agent.state)) {
    // Leaving the phone logged in would send calls to an empty desk.
    try {
      await endPhoneSession(() => api.agentLogout(s.me.agent.id));
    } catch {
      // Signing out matters more.
    }
  }
  try {
    await api.logout();
  } finally {
    endSession('');
  }
}

whenUnauthorized(() => {
  if (getState().auth === 'in') endSession('Your session has ended. Please sign in again.');
});
