// The switch's state for supervisors and admins: each FreeSWITCH node's
// connection and health, each gateway's registration on each node, and
// (for the queues' and agents' pages) each queue's live figures and each
// agent's state. One stream per tab,
// opened while a component uses it; the snapshot carries them,
// node.state, gateway.state and queue.stats events keep them current.

import { useEffect, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { Stream } from './stream.js';

const sw = { nodes: new Map(), gateways: new Map(), queues: new Map(), agents: new Map(), conn: 'connecting' };
const listeners = new Set();
let stream = null;

const gwKey = (g) => g.node + '/' + g.gateway;
const changed = () => {
  for (const l of listeners) l();
};

function applySnapshot(snap) {
  sw.nodes = new Map((snap.nodes || []).map((n) => [n.name, n]));
  sw.gateways = new Map((snap.gateways || []).map((g) => [gwKey(g), g]));
  sw.queues = new Map((snap.queues || []).map((q) => [q.id, q]));
  sw.agents = new Map((snap.agents || []).map((a) => [a.id, a.state]));
  changed();
}

function applyEvent(ev) {
  if (ev.type === 'node.state' && ev.node) sw.nodes.set(ev.node.name, ev.node);
  else if (ev.type === 'gateway.state' && ev.gateway) {
    if (ev.gateway.removed) sw.gateways.delete(gwKey(ev.gateway));
    else sw.gateways.set(gwKey(ev.gateway), ev.gateway);
  } else if (ev.type === 'queue.stats' && ev.queue) sw.queues.set(ev.queue.id, ev.queue);
  else if (ev.type === 'agent.state' && ev.agent) sw.agents.set(ev.agent.id, ev.agent.state);
  else return;
  changed();
}

// IDLE_MS keeps the stream open a while after the last component using
// it goes, so that moving between sections does not reconnect.
const IDLE_MS = 15000;
let idle = 0;

function hold() {
  clearTimeout(idle);
  if (stream) return;
  stream = new Stream({
    onSnapshot: applySnapshot,
    onEvent: applyEvent,
    onStatus: (conn) => {
      sw.conn = conn;
      changed();
    },
    onSessionEnded: () => {
      stream = null;
      api.me().catch(() => {});
    },
    onRefused: () => api.me().catch(() => {}),
  });
  stream.start();
}

function release() {
  if (listeners.size) return;
  clearTimeout(idle);
  idle = setTimeout(() => {
    if (listeners.size || !stream) return;
    stream.stop();
    stream = null;
    sw.conn = 'connecting';
  }, IDLE_MS);
}

// feedSwitch takes the switch's state from a page's own stream (the
// wall's), so that the page does not open a second one.
export const feedSwitch = { snapshot: applySnapshot, event: applyEvent };

// useSwitchState re-renders on every change of the switch's state; fed:
// the page feeds it (feedSwitch), no stream of its own is opened.
export function useSwitchState({ fed = false } = {}) {
  const [, bump] = useState(0);
  useEffect(() => {
    const l = () => bump((n) => n + 1);
    listeners.add(l);
    if (!fed) hold();
    return () => {
      listeners.delete(l);
      if (!fed) release();
    };
  }, []);
  return sw;
}

// getSwitchState is the state now, for render functions outside a hook.
export const getSwitchState = () => sw;

// gatewayStates lists a gateway's registration on each node.
export const gatewayStates = (s, name) => [...s.gateways.values()].filter((g) => g.gateway === name);

// FINE states are registered, on the way to it, or registration turned
// off (NOREG): none is a problem.
const FINE = new Set(['REGED', 'NOREG', 'TRYING', 'REGISTER']);

// gatewayDown reports a gateway that should be registered and is not.
export const gatewayDown = (g) => !g.registered && !FINE.has(g.state);

// STATE_TEXT says a sofia state in words.
export const STATE_TEXT = {
  REGED: 'Registered',
  NOREG: 'No registration',
  TRYING: 'Registering…',
  REGISTER: 'Registering…',
  UNREGED: 'Unregistered',
  UNREGISTER: 'Unregistering',
  FAILED: 'Failed',
  FAIL_WAIT: 'Failed, retrying',
  EXPIRED: 'Expired',
  TIMEOUT: 'Timed out',
  DOWN: 'Down',
};

export function gatewayTone(g) {
  if (g.registered) return 'green';
  if (g.state === 'NOREG') return 'blue';
  if (g.state === 'TRYING' || g.state === 'REGISTER') return 'amber';
  return 'red';
}

// switchAlerts lists what is wrong now: nodes down, then gateways that
// should be registered and are not (on an up node).
export function switchAlerts(s) {
  const out = [];
  const up = new Set();
  for (const n of s.nodes.values()) {
    if (n.up) up.add(n.name);
    else out.push({ key: 'node/' + n.name, kind: 'node', name: n.name, since: n.since, text: n.error || 'connection lost' });
  }
  for (const g of s.gateways.values()) {
    if (up.has(g.node) && gatewayDown(g)) {
      const why = [STATE_TEXT[g.state] || g.state, g.sip_status && `${g.sip_status} ${g.phrase || ''}`.trim()].filter(Boolean).join(': ');
      out.push({ key: 'gw/' + gwKey(g), kind: 'gateway', name: g.gateway, node: g.node, since: g.since, text: why });
    }
  }
  return out;
}
