// The lead panel (the lead's fields and custom fields, edited and saved)
// and the script panel (the campaign's script filled with them).

import { html, useState, Component } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { useAction, useNow, notify } from './common.js';
import { fullName, phone, inZone, zones } from './format.js';
import { fillScript } from './script.js';
import { Icon } from './icons.js';
import { LeadHistory } from './history.js';

const FIELDS = [
  ['first_name', 'First name', 'text', 'given-name'],
  ['last_name', 'Last name', 'text', 'family-name'],
  ['email', 'Email', 'email', 'email'],
  ['time_zone', 'Time zone', 'text', 'off'],
];
const FIELD_NAME = /^[A-Za-z0-9_]{1,32}$/;

// ZoneList is the time zone suggestions, rendered once.
class ZoneList extends Component {
  shouldComponentUpdate() {
    return false;
  }
  render() {
    return html`<datalist id="zones">${zones().map((z) => html`<option value=${z} />`)}</datalist>`;
  }
}

export function LeadPanel({ call, lead, state, draft, setDraft, onSaved, historyRev }) {
  const [run, busy] = useAction();
  const [error, setError] = useState(null);
  const [newKey, setNewKey] = useState('');
  const [newValue, setNewValue] = useState('');

  if (state === 'loading') {
    return html`<section class="panel lead-panel" aria-busy="true"><header class="panel-head"><h2>Lead</h2></header>
      <div class="skeleton"></div><div class="skeleton short"></div></section>`;
  }
  if (!lead) {
    return html`<section class="panel lead-panel" aria-labelledby="lead-title">
      <header class="panel-head"><h2 id="lead-title"><${Icon} name="user" size=${16} /> Lead</h2></header>
      <div class="empty pad">
        <p class="lead-name">${call ? phone(call.number) : ''}</p>
        <p class="muted">No lead record matches this ${call && call.direction === 'inbound' ? 'caller' : 'number'}.</p>
      </div>
    </section>`;
  }
  const value = (k) => (k in draft ? draft[k] : lead[k] || '');
  const custom = { ...(lead.custom || {}), ...(draft.custom || {}) };
  const customKeys = Object.keys(custom).filter((k) => custom[k] !== null).sort();
  const dirty = Object.keys(draft).length > 0;
  const set = (k, v) => setDraft({ ...draft, [k]: v });
  const setCustom = (k, v) => setDraft({ ...draft, custom: { ...(draft.custom || {}), [k]: v } });

  const save = async (e) => {
    e.preventDefault();
    setError(null);
    const body = { ...draft };
    const r = await run(() => api.patchLead(lead.id, body), { quiet: true });
    if (r.ok) {
      onSaved(r.value);
      notify('Lead saved', 'ok');
    } else setError(r.error);
  };
  const addField = (e) => {
    e.preventDefault();
    const k = newKey.trim();
    if (!FIELD_NAME.test(k)) {
      setError({ field: 'custom', message: 'A field name is 1-32 letters, digits or _.' });
      return;
    }
    setCustom(k, newValue);
    setNewKey('');
    setNewValue('');
    setError(null);
  };
  const zone = value('time_zone');
  const name = fullName({ first_name: value('first_name'), last_name: value('last_name') });
  return html`<section class="panel lead-panel" aria-labelledby="lead-title" data-testid="lead-panel">
    <header class="panel-head">
      <h2 id="lead-title"><${Icon} name="user" size=${16} /> Lead</h2>
      <span class="muted small">#${lead.id} · ${lead.status} · ${lead.attempts} attempt${lead.attempts === 1 ? '' : 's'}</span>
    </header>
    <div class="lead-hero">
      <p class="lead-name" data-testid="lead-name">${name || phone(lead.phone)}</p>
      <p class="lead-meta">
        <span><${Icon} name="phone" size=${13} /> ${phone(lead.phone)}</span>
        ${zone && html`<span><${Icon} name="clock" size=${13} /> <${ZoneClock} zone=${zone} /></span>`}
        ${lead.last_disposition && html`<span class="tag">Last: ${lead.last_disposition}</span>`}
      </p>
    </div>
    <div class="pad-x lead-history-panel">
      <h3 class="section-title">History</h3>
      <${LeadHistory} leadId=${lead.id} exclude=${call && call.id} rev=${historyRev} zone=${lead.time_zone} few=${2} />
    </div>
    <form class="lead-form" onSubmit=${save}>
      <div class="grid2">
        ${FIELDS.map(
          ([k, label, type, ac]) => html`<label class="field">
            <span>${label}</span>
            <input name=${k} type=${type} autocomplete=${ac} value=${value(k)} list=${k === 'time_zone' ? 'zones' : undefined}
              aria-invalid=${error && error.field === k ? 'true' : undefined}
              onInput=${(e) => set(k, e.currentTarget.value)} />
          </label>`,
        )}
        <label class="field"><span>Phone</span><input value=${phone(lead.phone)} readonly /></label>
        <label class="field"><span>Second phone</span><input value=${phone(lead.phone2)} readonly /></label>
      </div>
      <${ZoneList} />
      <h3 class="section-title">Details</h3>
      ${customKeys.length === 0 && html`<p class="muted small">No custom fields.</p>`}
      <div class="grid2">
        ${customKeys.map(
          (k) => html`<div class="field custom-field" key=${k}>
            <label for=${'cf-' + k}>${k.replace(/_/g, ' ')}</label>
            <div class="with-button">
              <input id=${'cf-' + k} name=${'custom.' + k} value=${custom[k]}
                aria-invalid=${error && error.field.startsWith('custom') ? 'true' : undefined}
                onInput=${(e) => setCustom(k, e.currentTarget.value)} />
              <button type="button" class="btn btn-icon btn-ghost" aria-label=${'Remove ' + k} onClick=${() => setCustom(k, null)}>
                <${Icon} name="x" size=${14} /></button>
            </div>
          </div>`,
        )}
      </div>
      <div class="add-field">
        <input aria-label="New field name" placeholder="New field" value=${newKey} onInput=${(e) => setNewKey(e.currentTarget.value)} />
        <input aria-label="New field value" placeholder="Value" value=${newValue} onInput=${(e) => setNewValue(e.currentTarget.value)} />
        <button type="button" class="btn btn-ghost" onClick=${addField} disabled=${!newKey.trim()}><${Icon} name="plus" size=${14} /> Add</button>
      </div>
      ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
      <div class="form-foot">
        <span class="muted small" aria-live="polite">${dirty ? 'Unsaved changes' : 'All changes saved'}</span>
        <button class="btn btn-primary" type="submit" disabled=${!dirty || busy}>${busy ? 'Saving…' : 'Save lead'}</button>
      </div>
    </form>
  </section>`;
}

// ZoneClock is the lead's wall clock, so the agent knows what time it is
// for the caller.
export function ZoneClock({ zone }) {
  const now = useNow();
  return html`<span title="The lead's local time">${inZone(now, zone)}</span>`;
}

export function ScriptPanel({ campaign, lead, agent }) {
  const pieces = campaign && campaign.script
    ? fillScript(campaign.script, lead, { agent_name: (agent && agent.name) || '', campaign_name: campaign.name })
    : [];
  return html`<section class="panel script-panel" aria-labelledby="script-title" data-testid="script-panel">
    <header class="panel-head">
      <h2 id="script-title"><${Icon} name="script" size=${16} /> Script</h2>
      ${campaign && html`<span class="muted small">${campaign.name}</span>`}
    </header>
    ${pieces.length
      ? html`<div class="script" data-testid="script">
          ${pieces.map((p) =>
            p.field
              ? html`<mark class=${'fill' + (p.missing ? ' missing' : '')} title=${p.field}>${p.text}</mark>`
              : p.text,
          )}
        </div>`
      : html`<p class="muted pad">${campaign ? 'This campaign has no script.' : 'No campaign script for this call.'}</p>`}
  </section>`;
}
