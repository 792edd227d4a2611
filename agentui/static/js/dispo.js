// Wrap-up: the call has ended (or goes on without the agent); the agent
// picks a disposition, adds notes and, for a callback code, the date and
// time in the lead's time zone. Submitting returns the agent to READY.
// With the browser phone, its strip stays in view: a microphone or
// registration problem shows before the next call rings.

import { html, useEffect, useRef, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { ms, serverNow } from './store.js';
import { Timer, useAction, useNow, Kbd, notify, currentScreen } from './common.js';
import { duration, fullName, phone, inZone, zoneParts, zones, localZone } from './format.js';
import { Icon } from './icons.js';
import { describeDevice } from './audio.js';
import { SoftphoneStrip } from './softphone.js';

// loadDispositions reads every code once (a failure is read again).
let all = null;
export function loadDispositions() {
  if (!all) {
    all = api.dispositions().then(
      (r) => r.dispositions || [],
      (e) => {
        all = null;
        throw e;
      },
    );
  }
  return all;
}

let codes = null;
function useDispositions() {
  const [list, setList] = useState(codes);
  useEffect(() => {
    if (codes) return;
    loadDispositions().then(
      (d) => setList((codes = d.filter((x) => x.selectable))),
      (e) => notify(e.message, 'error'),
    );
  }, []);
  return list;
}

// tomorrowAt10 is the default callback time, on the lead's clock.
function tomorrowAt10(zone) {
  const p = zoneParts(serverNow() + 86400000, zone);
  return { date: p.date, time: '10:00' };
}

export function DispoPanel({ s, call, lead }) {
  const list = useDispositions();
  const agent = s.agent;
  const leadZone = (lead && lead.time_zone) || '';
  const [code, setCode] = useState('');
  const [notes, setNotes] = useState('');
  const [zone, setZone] = useState(leadZone || localZone());
  const [when, setWhen] = useState(() => tomorrowAt10(leadZone || localZone()));
  const [anyone, setAnyone] = useState(false);
  const [error, setError] = useState(null);
  const [run, busy] = useAction();
  const form = useRef(null);

  // The lead arrives after the panel: its zone becomes the default.
  useEffect(() => {
    if (leadZone) {
      setZone(leadZone);
      setWhen(tomorrowAt10(leadZone));
    }
  }, [leadZone]);
  // The codes take the focus, unless the agent is typing elsewhere.
  useEffect(() => {
    const a = document.activeElement;
    if (a && a !== document.body && !form.current.contains(a) && a.matches('input, textarea, select')) return;
    const first = form.current && form.current.querySelector('input[name=code]');
    if (first) first.focus();
  }, [!!list]);

  const chosen = list && list.find((d) => d.code === code);
  const callback = chosen && chosen.schedules_callback;
  const callId = agent.call_id;

  const submit = async (e) => {
    if (e) e.preventDefault();
    if (!chosen || busy) return;
    setError(null);
    const body = { code };
    if (notes.trim()) body.notes = notes.trim();
    if (callback) {
      // The notes go with the callback too: whoever calls back reads them.
      body.callback = { date: when.date, time: when.time, time_zone: zone, anyone };
      if (body.notes) body.callback.notes = body.notes;
    }
    const from = currentScreen();
    const r = await run(() => api.dispose(callId, body), { quiet: true });
    if (r.ok && callback) notify(`Callback set for ${when.date} at ${when.time} (${zone})`, 'ok', { from });
    if (!r.ok) setError(r.error);
  };
  const onKey = (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
  };

  const talk = call && call.connected_at ? (ms(call.ended_at) || serverNow()) - ms(call.connected_at) : 0;
  const goesOn = call && call.state !== 'ended';
  return html`<section class="panel dispo-panel" aria-labelledby="dispo-title" data-testid="dispo-panel">
    <header class="panel-head dispo-head">
      <h2 id="dispo-title">Wrap-up</h2>
      <${Timer} from=${ms(agent.since)} class="dispo-timer" label="Wrap-up time" />
    </header>
    <div class="call-summary">
      <p class="summary-name">${fullName(lead) || (call && phone(call.number)) || 'Call'}</p>
      <p class="muted small">
        ${call && phone(call.number)} ${talk > 0 && html` · talked ${duration(talk / 1000)}`}
        ${call && call.outcome && html` · ${call.outcome.replace(/_/g, ' ')}`}
      </p>
      ${goesOn && html`<p class="flag flag-info"><${Icon} name="transfer" size=${14} /> The call goes on without you.</p>`}
    </div>
    ${describeDevice(agent).inBrowser && html`<div class="dispo-phone"><${SoftphoneStrip} /></div>`}
    <form ref=${form} class="dispo-form" onSubmit=${submit} onKeyDown=${onKey}>
      <fieldset>
        <legend>Disposition</legend>
        ${!list && html`<p class="muted">Loading codes…</p>`}
        <div class="codes">
          ${(list || []).map(
            (d) => html`<label class=${'code' + (code === d.code ? ' on' : '') + (d.schedules_callback ? ' cb' : '')}>
              <input type="radio" name="code" value=${d.code} checked=${code === d.code} onChange=${() => setCode(d.code)} />
              <span class="code-label">${d.label}</span>
              <span class="code-id">${d.code}</span>
            </label>`,
          )}
        </div>
      </fieldset>
      ${callback && html`<${CallbackFields} zone=${zone} setZone=${setZone} leadZone=${leadZone} when=${when} setWhen=${setWhen}
        anyone=${anyone} setAnyone=${setAnyone} error=${error} />`}
      <label class="field">
        <span>Notes</span>
        <textarea name="notes" rows="2" maxlength="8192" placeholder="What was said, what comes next" value=${notes}
          onInput=${(e) => setNotes(e.currentTarget.value)}></textarea>
      </label>
      ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
      <div class="sticky-foot">
        <button class="btn btn-primary btn-block" type="submit" disabled=${!chosen || busy}>
          <${Icon} name="check" size=${16} /> ${busy ? 'Saving…' : 'Submit and go ready'} <${Kbd} k="Ctrl+Enter" />
        </button>
      </div>
    </form>
  </section>`;
}

function ZoneNow({ zone }) {
  const now = useNow();
  return html`<strong>${inZone(now, zone)}</strong>`;
}

function CallbackFields({ zone, setZone, leadZone, when, setWhen, anyone, setAnyone, error }) {
  const bad = (f) => (error && error.field === f ? 'true' : undefined);
  return html`<fieldset class="callback-fields">
    <legend><${Icon} name="calendar" size=${14} /> Call back</legend>
    <div class="grid2">
      <label class="field"><span>Date</span>
        <input type="date" name="cb-date" required value=${when.date} aria-invalid=${bad('callback.date')}
          onInput=${(e) => setWhen({ ...when, date: e.currentTarget.value })} /></label>
      <label class="field"><span>Time</span>
        <input type="time" name="cb-time" required value=${when.time} aria-invalid=${bad('callback.time')}
          onInput=${(e) => setWhen({ ...when, time: e.currentTarget.value })} /></label>
    </div>
    <label class="field"><span>Time zone</span>
        <select name="cb-zone" value=${zone} aria-invalid=${bad('callback.time_zone')} onChange=${(e) => setZone(e.currentTarget.value)}>
          ${leadZone && html`<option value=${leadZone}>${leadZone} (lead)</option>`}
          ${zone !== leadZone && !zones().includes(zone) && html`<option value=${zone}>${zone}</option>`}
          ${zones().filter((z) => z !== leadZone).map((z) => html`<option value=${z}>${z}</option>`)}
        </select></label>
    <p class="muted small" data-testid="cb-zone-note">
      ${leadZone ? "In the lead's time zone" : 'The lead has no time zone; this is yours'}: it is now <${ZoneNow} zone=${zone} /> there.
    </p>
    <label class="check"><input type="checkbox" checked=${anyone} onChange=${(e) => setAnyone(e.currentTarget.checked)} />
      Any agent may take this callback</label>
  </fieldset>`;
}
