// The workspace screen. Idle, it shows the phone and what is coming;
// when a call arrives it transforms into the call view: controls (or the
// wrap-up), the lead and the script side by side.

import { html, useEffect, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { BOUND, currentCall, liveStats, setState, useStore, ms } from './store.js';
import { Timer, useAction, useNow } from './common.js';
import { duration } from './format.js';
import { Icon } from './icons.js';
import { describeDevice } from './audio.js';
import { PhoneWidget } from './phone.js';
import { CallPanel } from './call.js';
import { DispoPanel } from './dispo.js';
import { LeadPanel, ScriptPanel } from './lead.js';
import { NextCallbacks, Offers } from './callbacks.js';
import { pauseReason } from './pause.js';
import { PreviewCard } from './preview.js';
import { CampaignChoice, preselect, rememberCampaign, useAgentCampaigns } from './campaign.js';
import { SoftphonePanel, checkMicrophone } from './softphone.js';

export function Workspace() {
  const s = useStore();
  if (!s.me.agent) {
    return html`<div class="page narrow"><div class="card empty">
      <h1>No agent seat</h1>
      <p>This account (${s.me.role}) has no agent seat, so it takes no calls. The Callbacks page is open to it.</p>
    </div></div>`;
  }
  if (!s.agent) {
    return html`<div class="idle-grid">
      <${PhoneLogin} me=${s.me} />
      <div class="idle-side"><${NextCallbacks} /></div>
    </div>`;
  }
  if (BOUND.includes(s.agent.state) && s.agent.call_id) {
    return html`<${CallWorkspace} s=${s} />`;
  }
  return html`<div class="idle-grid">
    <${PhoneWidget} s=${s} />
    <div class="idle-side">
      ${describeDevice(s.agent).inBrowser && html`<${SoftphonePanel} />`}
      <${Offers} s=${s} />
      ${s.agent.preview ? html`<${PreviewCard} s=${s} />` : html`<${IdleCard} s=${s} />`}
      <div class="idle-row">
        <${SessionCard} s=${s} />
        <${NextCallbacks} />
      </div>
      <p class="muted small tip">Press <kbd>?</kbd> for keyboard shortcuts.</p>
    </div>
  </div>`;
}

// SessionCard is the session's figures, larger than in the status bar.
function SessionCard({ s }) {
  const now = useNow();
  const st = liveStats(s, now) || {};
  const avg = st.calls ? st.talk_sec / st.calls : 0;
  const figures = [
    ['Calls', String(st.calls || 0)],
    ['Talk time', duration(st.talk_sec)],
    ['Average talk', duration(avg)],
    ['Wrap-up', duration(st.dispo_sec)],
    ['Paused', duration(st.pause_sec)],
    ['On hold', duration(st.hold_sec)],
  ];
  return html`<section class="card session-card" aria-labelledby="sc-title">
    <header class="panel-head"><h2 id="sc-title"><${Icon} name="clock" size=${16} /> This session</h2></header>
    <dl class="figures">
      ${figures.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}
    </dl>
  </section>`;
}

// PhoneLogin starts the agent's phone session: where calls ring, and how.
function PhoneLogin({ me }) {
  const seat = me.agent;
  const [kind, setKind] = useState('sip');
  const [number, setNumber] = useState(seat.external_phone || '');
  const [mode, setMode] = useState(seat.mode || 'ring');
  const [error, setError] = useState(null);
  const [micChecking, setMicChecking] = useState(false);
  const [run, busy] = useAction();
  const campaigns = useAgentCampaigns(seat.id);
  const [campaign, setCampaign] = useState(0);
  useEffect(() => {
    if (campaigns.list && !campaign) setCampaign(preselect(campaigns.list));
  }, [campaigns.list]);
  const choosing = campaigns.list && campaigns.list.length > 0;
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    if (choosing && !campaign) {
      setError({ field: 'campaign_id', message: 'Choose the campaign you work in this session.' });
      return;
    }
    if (kind === 'webrtc') {
      // Asked now, so that a refusal is said here rather than after the
      // first call arrives.
      setMicChecking(true);
      const problem = await checkMicrophone();
      setMicChecking(false);
      if (problem) {
        setError({ field: 'microphone', message: problem });
        return;
      }
    }
    const endpoint = kind === 'phone' ? { kind: 'phone', phone: number } : { kind };
    const body = { endpoint, mode };
    if (campaign) body.campaign_id = campaign;
    const r = await run(() => api.agentLogin(seat.id, body), { quiet: true });
    if (r.ok && campaign) rememberCampaign(campaign);
    if (!r.ok) setError(r.error);
  };
  return html`<section class="card phone-login" aria-labelledby="pl-title">
    <h1 id="pl-title"><${Icon} name="headset" size=${22} /> Start your session</h1>
    <p class="muted">Choose your campaign and where your calls ring. You start paused; go ready when you are.</p>
    <form onSubmit=${submit}>
      <${CampaignChoice} state=${campaigns} value=${campaign} onChange=${setCampaign} error=${error} />
      <fieldset class="choice">
        <legend>Phone</legend>
        <label class="option">
          <input type="radio" name="kind" value="sip" checked=${kind === 'sip'} onChange=${() => setKind('sip')} />
          <span><strong>SIP phone</strong><small>Extension ${seat.extension}</small></span>
        </label>
        <label class="option">
          <input type="radio" name="kind" value="phone" checked=${kind === 'phone'} onChange=${() => setKind('phone')} />
          <span><strong>External phone</strong><small>A mobile or landline the switch calls</small></span>
        </label>
        <label class="option">
          <input type="radio" name="kind" value="webrtc" checked=${kind === 'webrtc'} onChange=${() => setKind('webrtc')}
            data-testid="kind-webrtc" aria-describedby=${kind === 'webrtc' ? 'webrtc-note' : undefined} />
          <span><strong>Browser (no phone to install)</strong><small>Talk through this computer's headset</small></span>
        </label>
        ${kind === 'webrtc' &&
        html`<p class="muted small choice-note" id="webrtc-note">The browser asks to use your microphone when you log in: choose
          Allow. Calls are answered in this tab, so keep it open.</p>`}
        ${kind === 'phone' &&
        html`<label class="field">
          <span>Phone number</span>
          <input type="tel" name="external" autocomplete="tel" value=${number} required
            aria-invalid=${error && error.field === 'endpoint.phone' ? 'true' : undefined}
            onInput=${(e) => setNumber(e.currentTarget.value)} />
        </label>`}
      </fieldset>
      <fieldset class="choice">
        <legend>Line</legend>
        <label class="option">
          <input type="radio" name="mode" value="ring" checked=${mode === 'ring'} onChange=${() => setMode('ring')} />
          <span><strong>Ring each call</strong><small>${kind === 'webrtc' ? 'Each call is put through to this tab, answered by itself' : 'Your phone rings; answer it to talk'}</small></span>
        </label>
        <label class="option">
          <input type="radio" name="mode" value="persistent" checked=${mode === 'persistent'} onChange=${() => setMode('persistent')} />
          <span><strong>Persistent line</strong><small>Stay connected; calls arrive without ringing</small></span>
        </label>
      </fieldset>
      ${error && error.field !== 'campaign_id' &&
      html`<p class="form-error" role="alert" data-testid=${error.field === 'microphone' ? 'mic-error' : 'login-error'}>${error.message}</p>`}
      <button class="btn btn-primary btn-block" type="submit" disabled=${busy || micChecking}>
        ${micChecking ? 'Waiting for the microphone…' : busy ? 'Connecting…' : 'Log in to phone'}</button>
    </form>
  </section>`;
}

function IdleCard({ s }) {
  const a = s.agent;
  const dev = describeDevice(a);
  const [run, busy] = useAction();
  const ready = a.state === 'READY';
  const reason = pauseReason(!ready && a.pause_code);
  return html`<section class=${'card idle-card ' + (ready ? 'is-ready' : 'is-paused')} aria-labelledby="idle-title">
    <div class="idle-icon" aria-hidden="true"><${Icon} name=${ready ? 'headset' : 'pause'} size=${28} /></div>
    <div class="idle-text">
      <h2 id="idle-title" data-testid="idle-title">${ready ? 'Waiting for the next call' : `Paused${reason.label ? ' · ' + reason.label : ''}`}</h2>
      ${reason.detail && html`<p class="pause-detail" data-testid="pause-detail">${reason.detail}</p>`}
      <p class="muted">
        ${ready ? 'Calls are delivered to you: you will hear a tone and the lead appears here.' : 'No calls are delivered while you are paused. You can still dial by hand.'}
      </p>
      <p class="device"><${Icon} name="phone" size=${14} /> ${dev.label} · ${dev.detail}
        ${a.mode === 'persistent' && html` · line ${a.phone_connected ? 'connected' : 'connecting…'}`}</p>
    </div>
    <div class="idle-timer"><${Timer} from=${ms(a.since)} label=${ready ? 'Time ready' : 'Time paused'} /></div>
    ${!ready &&
    html`<button class="btn btn-ready" disabled=${busy} onClick=${() => run(() => api.ready(s.me.agent.id))}>
      <${Icon} name="play" size=${14} /> Go ready</button>`}
  </section>`;
}

// viewFromRecord stands a call record in for a view no longer live.
function viewFromRecord(d) {
  if (d.view) return d.view;
  const r = d.record;
  return {
    id: r.id, direction: r.direction, origin: r.origin, state: 'ended',
    number: r.direction === 'inbound' ? r.from_number : r.to_number,
    agent_id: r.agent_id, campaign_id: r.campaign_id, lead_id: r.lead_id,
    created_at: r.created_at, answered_at: r.answered_at, connected_at: r.bridged_at, ended_at: r.ended_at,
    held: false, muted: false, recording: false, parties: [], outcome: r.outcome, hangup_cause: r.hangup_cause,
  };
}

const campaigns = new Map();
function loadCampaign(id) {
  if (!campaigns.has(id)) campaigns.set(id, api.campaign(id).catch(() => (campaigns.delete(id), null)));
  return campaigns.get(id);
}

function CallWorkspace({ s }) {
  const id = s.agent.call_id;
  const call = currentCall(s);
  const leadId = call && call.lead_id;
  const campaignId = call && call.campaign_id;
  const [lead, setLead] = useState(null);
  const [leadState, setLeadState] = useState('loading');
  const [draft, setDraft] = useState({});
  const [campaign, setCampaign] = useState(null);

  // A call the page has not seen in wrap-up (a reload) is read once: no
  // event will bring it. Before that the call's next event does; an agent
  // can be reserved before the call's view names it, and a read then would
  // be refused. An event that came while the read was on its way is
  // newer: the read does not replace it.
  const wrapUp = s.agent.state === 'DISPO';
  useEffect(() => {
    if (call || !wrapUp) return;
    api.call(id).then(
      (d) => setState((st) => (st.calls[id] ? {} : { calls: { ...st.calls, [id]: viewFromRecord(d) } })),
      () => {},
    );
  }, [id, !!call, wrapUp]);

  useEffect(() => {
    setLead(null);
    setDraft({});
    if (!leadId) {
      setLeadState(call ? 'none' : 'loading');
      return;
    }
    setLeadState('loading');
    let live = true;
    api.lead(leadId).then(
      (l) => live && (setLead(l), setLeadState('ok')),
      () => live && setLeadState('none'),
    );
    return () => (live = false);
  }, [leadId]);

  useEffect(() => {
    setCampaign(null);
    if (campaignId) loadCampaign(campaignId).then(setCampaign);
  }, [campaignId]);

  const shown = lead ? { ...lead, ...draft, custom: { ...(lead.custom || {}), ...(draft.custom || {}) } } : null;
  const dispo = s.agent.state === 'DISPO';
  return html`<div class="call-grid" data-testid="call-workspace">
    ${dispo
      ? html`<${DispoPanel} s=${s} call=${call} lead=${lead} />`
      : html`<${CallPanel} s=${s} call=${call} lead=${shown} campaign=${campaign} />`}
    <${LeadPanel} call=${call} lead=${lead} state=${leadState} draft=${draft} setDraft=${setDraft} historyRev=${s.historyRev}
      onSaved=${(l) => (setLead(l), setDraft({}))} />
    <${ScriptPanel} campaign=${campaign} lead=${shown} agent=${s.agent} />
  </div>`;
}
