// The campaign the agent works: the choice at the start of a session,
// and the switch in the status bar between calls. A campaign's dial mode
// is said in words: what it means for the agent.

import { html, useEffect, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { useAction, notify } from './common.js';
import { Icon } from './icons.js';
import { Menu } from './menu.js';

// mode: [short name, what it means for the agent]
const MODES = {
  manual: ['Manual', 'you dial each number yourself'],
  preview: ['Preview', 'you choose when to dial'],
  progressive: ['Progressive', 'calls come to you'],
  predictive: ['Predictive', 'answered calls come to you'],
};

// dialMode: { name, detail } of a campaign's dial mode.
export function dialMode(mode) {
  const m = MODES[mode];
  return m ? { name: m[0], detail: m[1] } : { name: mode || '', detail: '' };
}

export const modeSentence = (mode) => {
  const m = dialMode(mode);
  return m.detail ? `${m.name}: ${m.detail}` : m.name;
};

// useAgentCampaigns: the campaigns the agent may work, read when asked
// for (null while loading).
export function useAgentCampaigns(agentId, wanted = true) {
  const [state, set] = useState({ list: null, error: null });
  useEffect(() => {
    if (!wanted) return undefined;
    let live = true;
    set((s) => ({ list: s.list, error: null }));
    api.agentCampaigns(agentId).then(
      (r) => live && set({ list: r.campaigns || [], error: null }),
      (e) => live && set({ list: null, error: e }),
    );
    return () => (live = false);
  }, [agentId, wanted]);
  return state;
}

// lastCampaign is remembered on this browser, so the next session starts
// on it.
const LAST = 'agentswitch.campaign';
export const rememberCampaign = (id) => {
  try {
    localStorage.setItem(LAST, String(id));
  } catch {
    // Storage may be off; the choice is then made each time.
  }
};
function lastCampaign() {
  try {
    return Number(localStorage.getItem(LAST)) || 0;
  } catch {
    return 0;
  }
}

// preselect: the campaign worked last if it may still be, else the only one.
export function preselect(list) {
  if (!list || !list.length) return 0;
  const last = lastCampaign();
  if (list.some((c) => c.id === last)) return last;
  return list.length === 1 ? list[0].id : 0;
}

// CampaignChoice is the start screen's list of campaigns, as radios.
export function CampaignChoice({ state, value, onChange, error }) {
  const { list, error: loadError } = state;
  const invalid = error && error.field === 'campaign_id';
  return html`<fieldset class="choice" aria-describedby=${invalid ? 'campaign-error' : undefined} data-testid="campaign-choice">
    <legend>Campaign</legend>
    ${loadError && html`<p class="form-error" role="alert">The campaigns could not be read: ${loadError.message}</p>`}
    ${!list && !loadError && html`<div class="skeleton" aria-label="Loading the campaigns"></div>`}
    ${list && list.length === 0 && html`<p class="muted small" data-testid="no-campaign">No campaign is assigned to you:
      you take inbound calls and dial by hand.</p>`}
    ${list && list.map((c) => html`<label class="option" key=${c.id}>
        <input type="radio" name="campaign" value=${c.id} checked=${value === c.id} onChange=${() => onChange(c.id)}
          aria-invalid=${invalid ? 'true' : undefined} />
        <span><strong>${c.name}</strong><small>${modeSentence(c.dial_mode)}</small></span>
      </label>`)}
    ${invalid && html`<p class="form-error" id="campaign-error" role="alert">${error.message}</p>`}
  </fieldset>`;
}

// CampaignSwitch is the status bar's campaign and its mode; between calls
// it opens the list to change campaign.
export function CampaignSwitch({ s }) {
  const agent = s.agent;
  const campaign = agent && agent.campaign;
  const onCall = !!(agent && (agent.call_id || ['RESERVED', 'RINGING', 'INCALL', 'DISPO'].includes(agent.state)));
  const [open, setOpen] = useState(false);
  const { list, error } = useAgentCampaigns(s.me.agent.id, open);
  const [run, busy] = useAction();
  if (!agent) return null;
  const m = dialMode(campaign && campaign.dial_mode);
  const label = html`<span class="campaign-label">
    <span class="campaign-name" data-testid="campaign-name">${campaign ? campaign.name : 'No campaign'}</span>
    ${campaign && html`<span class=${'mode-tag mode-' + campaign.dial_mode} data-testid="campaign-mode">${m.name}</span>`}
  </span>`;
  const title = campaign
    ? `Campaign ${campaign.name} · ${modeSentence(campaign.dial_mode)}${onCall ? ' (change it after this call)' : ''}`
    : 'No campaign';
  const choose = async (c) => {
    if (campaign && c.id === campaign.id) return;
    const r = await run(() => api.setCampaign(s.me.agent.id, c.id));
    if (r.ok) {
      rememberCampaign(c.id);
      notify(`Now working ${c.name} · ${modeSentence(c.dial_mode)}`, 'ok');
    }
  };
  return html`<div class="campaign-switch">
    <${Menu} label=${label} title=${title} icon="list" testid="campaign-menu" disabled=${onCall || busy}
      buttonClass="btn btn-ghost campaign-button" onToggle=${setOpen}>
      <div class="menu-note" role="none">Switch campaign between calls</div>
      ${error && html`<div class="menu-note form-error" role="none">${error.message}</div>`}
      ${!list && !error && html`<div class="menu-note" role="none">Loading…</div>`}
      ${list && list.length === 0 && html`<div class="menu-note" role="none">No other campaign is open to you.</div>`}
      ${list &&
      list.map(
        (c) => html`<button role="menuitemradio" aria-checked=${String(!!campaign && c.id === campaign.id)} class="menu-item campaign-item"
          disabled=${busy} onClick=${() => choose(c)}>
          <span class="check" aria-hidden="true">${campaign && c.id === campaign.id ? html`<${Icon} name="check" size=${14} />` : ''}</span>
          <span><strong>${c.name}</strong><small>${modeSentence(c.dial_mode)}</small></span>
        </button>`,
      )}
    </${Menu}>
  </div>`;
}
