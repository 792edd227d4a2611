// The workspace's state: who is logged in, the agent's live view, its
// calls, and the server's clock. Everything live comes from the event
// stream; this module only folds snapshots and events into one object.

import { useEffect, useState } from '../vendor/htm-preact.js';

let state = {
  auth: 'unknown', // 'unknown' | 'out' | 'in'
  me: null,
  conn: 'connecting', // 'connecting' | 'live' | 'reconnecting'
  agent: null, // AgentView; null while logged out of the phone
  agentAt: 0, // server ms at which agent.stats were computed; 0: unknown
  calls: {}, // id -> CallView (ended ones kept until wrapped up)
  heldSince: {}, // call id -> server ms
  digits: {}, // call id -> DTMF sent during the call
  offers: [], // callback.offered, newest last
  historyRev: 0, // bumped when the history may have changed
  callbacksRev: 0,
  path: location.pathname,
  simulated: false,
};
const listeners = new Set();

export const getState = () => state;

export function setState(patch) {
  state = { ...state, ...(typeof patch === 'function' ? patch(state) : patch) };
  for (const l of listeners) l(state);
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// useStore re-renders a component on every change.
export function useStore() {
  const [s, set] = useState(state);
  useEffect(() => subscribe(set), []);
  return s;
}

// The server's clock: timers count from the server's timestamps, corrected
// for this machine's clock. Every message's `at` is no later than the
// server's time at arrival, so the largest difference seen is the best.
let skew = 0;
export const serverNow = () => Date.now() + skew;
export const ms = (t) => (t ? Date.parse(t) : 0);

function seenServerTime(at, reset) {
  const d = ms(at) - Date.now();
  if (!Number.isFinite(d)) return;
  skew = reset ? d : Math.max(skew, d);
}

export function applySnapshot(snap, agentId) {
  seenServerTime(snap.at, true);
  const calls = {};
  for (const c of snap.calls || []) calls[c.id] = c;
  const agent = (snap.agents || []).find((a) => a.id === agentId) || null;
  setState((s) => {
    // An ended call still being wrapped up is not in the snapshot; keep
    // what is known of it.
    const keep = agent && agent.call_id && s.calls[agent.call_id];
    if (keep && !calls[agent.call_id]) calls[agent.call_id] = keep;
    return { agent, agentAt: 0, calls, historyRev: s.historyRev + 1, callbacksRev: s.callbacksRev + 1 };
  });
}

// setAgentView takes a view read over HTTP (its stats are as of now),
// unless an event moved the agent on meanwhile.
export function setAgentView(v) {
  setState((s) => {
    if (s.agent && (s.agent.state !== v.state || s.agent.since !== v.since)) return {};
    return { agent: v.state === 'LOGGED_OUT' ? null : v, agentAt: serverNow() };
  });
}

export function applyEvent(ev, agentId) {
  seenServerTime(ev.at, false);
  const at = ms(ev.at);
  setState((s) => {
    const next = {};
    if (ev.type === 'agent.state' && ev.agent && ev.agent.id === agentId) {
      next.agent = ev.agent.state === 'LOGGED_OUT' ? null : ev.agent;
      next.agentAt = at;
      if (s.agent && s.agent.state === 'DISPO' && ev.agent.state !== 'DISPO') {
        next.historyRev = s.historyRev + 1;
      }
    }
    if (ev.call) {
      next.calls = { ...s.calls, [ev.call.id]: ev.call };
    }
    if (ev.type === 'call.held') next.heldSince = { ...s.heldSince, [ev.call_id]: at };
    if (ev.type === 'call.unheld') {
      next.heldSince = { ...s.heldSince };
      delete next.heldSince[ev.call_id];
    }
    if (ev.type === 'call.dtmf' && ev.digits) {
      next.digits = { ...s.digits, [ev.call_id]: (s.digits[ev.call_id] || '') + ev.digits };
    }
    if (ev.type === 'call.ended' || ev.type === 'call.disposed') {
      next.historyRev = s.historyRev + 1;
    }
    if (ev.type === 'call.disposed') next.callbacksRev = s.callbacksRev + 1;
    if (ev.type === 'callback.offered' && ev.callback) {
      next.offers = [...s.offers.filter((o) => o.id !== ev.callback.id), ev.callback];
      next.callbacksRev = s.callbacksRev + 1;
    }
    return next;
  });
  pruneCalls();
}

// pruneCalls forgets ended calls the agent is no longer wrapping up.
function pruneCalls() {
  const s = state;
  const current = s.agent && s.agent.call_id;
  let changed = false;
  const calls = {};
  for (const [id, c] of Object.entries(s.calls)) {
    if (c.state === 'ended' && id !== current) {
      changed = true;
      continue;
    }
    calls[id] = c;
  }
  if (changed) setState({ calls });
}

// BOUND are the states in which the agent has a call on screen.
export const BOUND = ['RESERVED', 'RINGING', 'INCALL', 'DISPO'];

// screen names what the agent is looking at: a call and its wrap-up are
// two screens, the idle workspace, the Callbacks page and the audit log
// three more.
export function screen(s) {
  if (s.auth !== 'in') return s.auth;
  if (s.path === '/callbacks') return 'callbacks';
  if (s.path === '/audit' && s.me && s.me.role === 'admin') return 'audit';
  const a = s.agent;
  if (!a) return 'start';
  if (BOUND.includes(a.state) && a.call_id) return (a.state === 'DISPO' ? 'wrapup:' : 'call:') + a.call_id;
  return 'idle';
}

// currentCall is the call the agent is bound to (reserved, ringing,
// talking or wrapping up), if its view is known.
export function currentCall(s) {
  if (!s.agent || !s.agent.call_id) return null;
  return s.calls[s.agent.call_id] || null;
}

// liveStats adds the running interval of the current state to the
// figures the server computed at agentAt.
export function liveStats(s, now) {
  const a = s.agent;
  if (!a) return null;
  const st = { ...(a.stats || {}) };
  if (s.agentAt) {
    const add = Math.max(0, Math.floor((now - s.agentAt) / 1000));
    const bucket = { INCALL: 'talk_sec', DISPO: 'dispo_sec', PAUSED: 'pause_sec', READY: 'ready_sec' }[a.state];
    if (bucket) st[bucket] = (st[bucket] || 0) + add;
  }
  return st;
}
