// The wall's alerts strip: what needs a supervisor now, worked out each
// second from what the wall already holds: an agent in wrap-up too long,
// a caller on hold too long. The supervisor sets both limits; they are
// kept in this browser.

import { html, useEffect, useState } from '../vendor/htm-preact.js';
import { notify } from './common.js';
import { duration, phone } from './format.js';

const KEY = 'agentswitch.wall.alerts';
export const DEFAULT_LIMITS = { wrapup: 120, hold: 90 }; // seconds
// LIMITS are the supervisor's settings: their field, label and range.
const LIMITS = [
  { key: 'wrapup', label: 'Wrap-up over', min: 5, max: 3600 },
  { key: 'hold', label: 'Hold over', min: 5, max: 3600 },
];
const SHOWN = 6; // alerts listed before "more"

export function loadLimits() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || '{}');
    const out = { ...DEFAULT_LIMITS };
    for (const l of LIMITS) if (Number.isInteger(saved[l.key]) && saved[l.key] >= l.min && saved[l.key] <= l.max) out[l.key] = saved[l.key];
    return out;
  } catch {
    return { ...DEFAULT_LIMITS };
  }
}

// alertsOf lists the alerts, the longest-standing first. agents and calls
// are the wall's maps; sinceMs and heldMs are server ms.
export function alertsOf({ agents, calls }, now, limits) {
  const out = [];
  for (const a of agents.values()) {
    if (a.state === 'DISPO' && a.sinceMs && now - a.sinceMs >= limits.wrapup * 1000) {
      out.push({ key: 'w' + a.id, kind: 'wrapup', agent: a.id, since: a.sinceMs, text: `${a.name} in wrap-up` });
    }
  }
  for (const c of calls.values()) {
    if (c.held && c.heldMs && now - c.heldMs >= limits.hold * 1000) {
      const who = c.agent_id && agents.get(c.agent_id);
      out.push({ key: 'h' + c.id, kind: 'hold', call: c.id, since: c.heldMs, text: `${phone(c.number)} on hold${who ? ` (${who.name})` : ''}` });
    }
  }
  return out.sort((x, y) => x.since - y.since);
}

function Limits({ limits, save }) {
  const [v, setV] = useState(limits);
  const submit = (e) => {
    e.preventDefault();
    const next = {};
    for (const l of LIMITS) {
      const n = Number(v[l.key]);
      if (!Number.isInteger(n) || n < l.min || n > l.max) {
        return notify(`${l.label}: whole seconds from ${l.min} to ${l.max}`, 'error');
      }
      next[l.key] = n;
    }
    save(next);
  };
  return html`<form class="walerts-limits" onSubmit=${submit} aria-label="Alert limits">
    ${LIMITS.map((l) => html`<label>${l.label}
      <input type="number" min=${l.min} max=${l.max} step="1" value=${v[l.key]} data-testid=${'wall-limit-' + l.key}
        onInput=${(e) => setV({ ...v, [l.key]: e.target.value })} /> s</label>`)}
    <button class="btn btn-small" type="submit">Save limits</button>
  </form>`;
}

// WallAlerts is the strip. wall: the wall's state; now: the server's
// clock; onTick: the wall's one-second clock; onAgent/onCall bring an
// alert's row into view.
export function WallAlerts({ wall, now, onTick, onAgent, onCall }) {
  const [limits, setLimits] = useState(loadLimits);
  const [, tick] = useState(0);
  const [more, setMore] = useState(false);
  const [editing, setEditing] = useState(false);
  useEffect(() => onTick(() => tick((n) => n + 1)), []);
  const t = now();
  const list = alertsOf(wall, t, limits);
  const save = (next) => {
    localStorage.setItem(KEY, JSON.stringify(next));
    setLimits(next);
    setEditing(false);
    notify(`Alerts: wrap-up over ${duration(next.wrapup)}, hold over ${duration(next.hold)}`, 'info');
  };
  const shown = more ? list : list.slice(0, SHOWN);
  return html`<section class="walerts" aria-label="Alerts" data-testid="wall-alerts" data-count=${list.length}>
    <h2 class="walerts-head">Alerts <span class=${'walerts-count' + (list.length ? ' on' : '')} data-testid="wall-alerts-count"
      aria-live="polite">${list.length}</span></h2>
    ${list.length === 0
      ? html`<span class="muted">None: nobody in wrap-up over ${duration(limits.wrapup)}, no caller on hold over ${duration(limits.hold)}.</span>`
      : html`<ul class="walerts-list">
          ${shown.map((a) => html`<li key=${a.key}><button class="walert" data-kind=${a.kind} data-testid="wall-alert"
            data-agent-id=${a.agent} data-call-id=${a.call} onClick=${() => (a.agent ? onAgent(a.agent) : onCall(a.call))}>
            <span class="walert-kind">${a.kind === 'wrapup' ? 'Wrap-up' : 'Hold'}</span> ${a.text}
            <span class="walert-time">${duration((t - a.since) / 1000)}</span></button></li>`)}
          ${list.length > SHOWN && html`<li><button class="btn btn-small btn-ghost" aria-expanded=${more} onClick=${() => setMore(!more)}>
            ${more ? 'Fewer' : `${list.length - SHOWN} more`}</button></li>`}
        </ul>`}
    <button class="btn btn-small btn-ghost walerts-edit" aria-expanded=${editing} onClick=${() => setEditing(!editing)}
      data-testid="wall-limits">Limits</button>
    ${editing && html`<${Limits} limits=${limits} save=${save} />`}
  </section>`;
}
