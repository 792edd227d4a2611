// Alerts of the switch on the supervisor's wall: a FreeSWITCH node lost,
// a gateway that should be registered and is not. Nothing shows while all
// is well. The wall's ticker keeps the [data-from] timers counting.

import { html } from '../vendor/htm-preact.js';
import { switchAlerts, useSwitchState } from './switchstate.js';
import { ms } from './store.js';
import { duration } from './format.js';

// SwitchAlerts: fed, the page feeds the state from its own stream.
export function SwitchAlerts({ fed = false }) {
  const alerts = switchAlerts(useSwitchState({ fed }));
  if (alerts.length === 0) return null;
  return html`<ul class="switch-alerts" aria-label="Switch alerts" data-testid="switch-alerts">
    ${alerts.map((a) => html`<li key=${a.key} class="switch-alert" role="alert" data-kind=${a.kind} data-name=${a.name}>
      <span class="switch-alert-icon" aria-hidden="true">!</span>
      <strong>${a.kind === 'node' ? `Switch node ${a.name} is down` : `Gateway ${a.name} is not registered`}</strong>
      <span class="muted">${a.kind === 'gateway' ? `on ${a.node} · ` : ''}${a.text}</span>
      ${a.since && html`<span class="muted switch-alert-since">for <span class="timer" data-from=${ms(a.since)}>${duration((Date.now() - ms(a.since)) / 1000)}</span></span>`}
    </li>`)}
  </ul>`;
}
