// Nodes: each FreeSWITCH the service drives, with its connection and the
// health it reports (uptime, sessions), live from the stream.

import { html, useEffect, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { ms } from '../store.js';
import { Badge } from './kit.js';
import { useSwitchState } from '../switchstate.js';

// uptime reads days, hours and minutes: a switch runs for months.
function uptime(sec) {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  return m ? `${m} min` : `${Math.floor(sec)} s`;
}

const when = (t) => (t && ms(t) > 0 ? new Date(ms(t)).toLocaleString() : '—');

export function NodesPage() {
  const s = useSwitchState();
  const [listed, setListed] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    rest.get('/nodes').then((r) => setListed(r.nodes || []), setError);
  }, []);
  const nodes = s.conn === 'live' && s.nodes.size ? [...s.nodes.values()].sort((a, b) => a.name.localeCompare(b.name)) : listed;
  return html`<div class="admin-section" data-testid="nodes">
    <div class="page-head">
      <h1>Switch nodes</h1>
      <p class="muted">The FreeSWITCH nodes this service drives. Health is read when a node connects and every 30 seconds.</p>
    </div>
    ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
    ${!nodes && !error && html`<div class="card"><div class="skeleton"></div></div>`}
    ${nodes && nodes.length === 0 && html`<div class="card empty center"><p>No switch node is configured.</p></div>`}
    <div class="node-cards">
      ${(nodes || []).map((n) => html`<section class="card node-card" key=${n.name} data-testid="node" data-node=${n.name} data-up=${String(n.up)}>
        <div class="node-head">
          <h2>${n.name}</h2>
          ${n.up ? html`<${Badge} tone="green">Connected</${Badge}>` : html`<${Badge} tone="red">Down</${Badge}>`}
        </div>
        <dl class="node-facts">
          <dt>${n.up ? 'Up since' : 'Down since'}</dt><dd>${when(n.since)}</dd>
          <dt>Reconnects</dt><dd>${n.reconnects || 0}</dd>
          ${n.up && html`
            <dt>Switch uptime</dt><dd>${n.checked_at ? uptime(n.uptime_seconds + Math.max(0, (Date.now() - ms(n.checked_at)) / 1000)) : '—'}</dd>
            <dt>Sessions</dt><dd data-testid="node-sessions">${n.checked_at ? html`${n.sessions}${n.max_sessions ? html` <span class="muted">of ${n.max_sessions}</span>` : ''}` : '—'}</dd>
            <dt>Peak sessions</dt><dd>${n.checked_at ? n.peak_sessions : '—'}</dd>
            <dt>Checked</dt><dd>${when(n.checked_at)}</dd>`}
          ${n.error && html`<dt>Last error</dt><dd class="node-error">${n.error}</dd>`}
          ${n.core_uuid && html`<dt>Core UUID</dt><dd><code class="small">${n.core_uuid}</code></dd>`}
        </dl>
      </section>`)}
    </div>
  </div>`;
}
