// The wall's alerts strip: what needs a supervisor now, worked out each
// second from what the wall already holds: an agent in wrap-up too long,
// a caller on hold too long, a dialer campaign whose abandon rate (pushed
// by the server) nears the 3% ceiling. The supervisor sets the limits;
// they are kept in this browser.

import { html, useEffect, useState } from '../vendor/htm-preact.js';
import { notify } from './common.js';
import { duration, percent, phone } from './format.js';

const KEY = 'agentswitch.wall.alerts';
// Seconds, and the abandon rate in percent.
export const DEFAULT_LIMITS = { wrapup: 120, hold: 90, abandon: 2.5 };
// LIMITS are the supervisor's settings: their field, label, unit and range.
const LIMITS = [
  { key: 'wrapup', label: 'Wrap-up over', unit: 's', min: 5, max: 3600, step: 1 },
  { key: 'hold', label: 'Hold over', unit: 's', min: 5, max: 3600, step: 1 },
  { key: 'abandon', label: 'Abandon rate over', unit: '%', min: 0.1, max: 50, step: 0.1 },
];
const valid = (l, n) => Number.isFinite(n) && n >= l.min && n <= l.max && (l.step !== 1 || Number.isInteger(n));
const SHOWN = 6; // alerts listed before "more"

export function loadLimits() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || '{}');
    const out = { ...DEFAULT_LIMITS };
    for (const l of LIMITS) if (valid(l, saved[l.key])) out[l.key] = saved[l.key];
    return out;
  } catch {
    return { ...DEFAULT_LIMITS };
  }
}

// alertsOf lists the alerts: campaigns first, then the longest-standing.
// agents, calls and campaigns are the wall's maps; sinceMs and heldMs are
// server ms.
export function alertsOf({ agents, calls, campaigns }, now, limits) {
  const out = [];
  for (const c of campaigns.values()) {
    if (c.abandoned > 0 && c.abandon_rate * 100 >= limits.abandon) {
      out.push({ key: 'c' + c.id, kind: 'abandon', campaign: c.id, since: 0, text: `${c.name}: ${percent(c.abandon_rate)} abandoned (${c.abandoned} of ${c.answered}, 24 h)` });
    }
  }
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

const KIND = { wrapup: 'Wrap-up', hold: 'Hold', abandon: 'Abandons' };

function Limits({ limits, save }) {
  const [v, setV] = useState(limits);
  const submit = (e) => {
    e.preventDefault();
    const next = {};
    for (const l of LIMITS) {
      const n = Number(v[l.key]);
      if (!valid(l, n)) {
        return notify(`${l.label}: ${l.step === 1 ? 'whole seconds' : 'a percentage'} from ${l.min} to ${l.max}`, 'error');
      }
      next[l.key] = n;
    }
    save(next);
  };
  return html`<form class="walerts-limits" onSubmit=${submit} aria-label="Alert limits">
    ${LIMITS.map((l) => html`<label>${l.label}
      <input type="number" min=${l.min} max=${l.max} step=${l.step} value=${v[l.key]} data-testid=${'wall-limit-' + l.key}
        onInput=${(e) => setV({ ...v, [l.key]: e.target.value })} /> ${l.unit}</label>`)}
    <button class="btn btn-small" type="submit">Save limits</button>
  </form>`;
}

// WallAlerts is the strip. wall: the wall's state; now: the server's
// clock; onTick: the wall's one-second clock; onAgent/onCall bring an
// alert's row into view, onCampaign shows a campaign's agents.
export function WallAlerts({ wall, now, onTick, onAgent, onCall, onCampaign }) {
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
    notify(`Alerts: wrap-up over ${duration(next.wrapup)}, hold over ${duration(next.hold)}, abandons over ${next.abandon}%`, 'info');
  };
  const shown = more ? list : list.slice(0, SHOWN);
  return html`<section class="walerts" aria-label="Alerts" data-testid="wall-alerts" data-count=${list.length}>
    <h2 class="walerts-head">Alerts <span class=${'walerts-count' + (list.length ? ' on' : '')} data-testid="wall-alerts-count"
      aria-live="polite">${list.length}</span></h2>
    ${list.length === 0
      ? html`<span class="muted">None: nobody in wrap-up over ${duration(limits.wrapup)}, no caller on hold over ${duration(limits.hold)},
          no campaign abandoning over ${limits.abandon}%.</span>`
      : html`<ul class="walerts-list">
          ${shown.map((a) => html`<li key=${a.key}><button class="walert" data-kind=${a.kind} data-testid="wall-alert"
            data-agent-id=${a.agent} data-call-id=${a.call} data-campaign-id=${a.campaign}
            onClick=${() => (a.agent ? onAgent(a.agent) : a.call ? onCall(a.call) : onCampaign(a.campaign))}>
            <span class="walert-kind">${KIND[a.kind]}</span> ${a.text}
            ${a.since > 0 && html`<span class="walert-time">${duration((t - a.since) / 1000)}</span>`}</button></li>`)}
          ${list.length > SHOWN && html`<li><button class="btn btn-small btn-ghost" aria-expanded=${more} onClick=${() => setMore(!more)}>
            ${more ? 'Fewer' : `${list.length - SHOWN} more`}</button></li>`}
        </ul>`}
    <button class="btn btn-small btn-ghost walerts-edit" aria-expanded=${editing} onClick=${() => setEditing(!editing)}
      data-testid="wall-limits">Limits</button>
    ${editing && html`<${Limits} limits=${limits} save=${save} />`}
  </section>`;
}
