// The call panel: who is on the line, the live timer, and every in-call
// control (hang up, hold, mute, keypad, transfer, conference and leave,
// record).

import { html, useEffect, useMemo, useRef, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { ms, getState } from './store.js';
import { Timer, useAction, Kbd, notify, currentScreen } from './common.js';
import { clock, duration, fullName, phone } from './format.js';
import { Icon } from './icons.js';
import { bind } from './shortcuts.js';
import { describeDevice } from './audio.js';
import { SoftphoneStrip } from './softphone.js';
import { Picker, useDirectory, colleagueItems, queueItems, colleagueName } from './directory.js';

const ORIGIN = { dialer: 'Dialer', manual: 'Manual dial', api: 'Lead call', widget: 'Website callback', callback: 'Callback', inbound: 'Inbound' };
const CALL_STATE = {
  dialing: 'Dialing…', ringing: 'Ringing…', waiting: 'Connecting…', connected: 'Connected',
  conference: 'Conference', ending: 'Ending…', ended: 'Ended',
};
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
const LETTERS = { 2: 'ABC', 3: 'DEF', 4: 'GHI', 5: 'JKL', 6: 'MNO', 7: 'PQRS', 8: 'TUV', 9: 'WXYZ', 0: '+' };

// queueWait is how long the caller waited in queue before an agent took
// it: " · waited 0:42", or "" while it still waits.
function queueWait(call) {
  const from = ms(call.queued_at);
  const to = ms(call.connected_at);
  return from && to ? ` · waited ${duration((to - from) / 1000)}` : '';
}

export function CallPanel({ s, call, lead, campaign }) {
  if (!call) {
    return html`<section class="panel call-panel" aria-busy="true"><p class="muted pad">Loading the call…</p></section>`;
  }
  return html`<${LiveCall} key=${call.id} s=${s} call=${call} lead=${lead} campaign=${campaign} />`;
}

function LiveCall({ s, call, lead, campaign }) {
  const agent = s.agent;
  const [panel, setPanel] = useState(null); // 'keypad' | 'transfer' | 'conference'
  const [run, busy] = useAction();
  const dtmf = useDTMF(call.id);
  const talking = agent.state === 'INCALL' && (call.state === 'connected' || call.state === 'conference');
  const live = call.state !== 'ended' && call.state !== 'ending';
  const toggle = (p) => setPanel((cur) => (cur === p ? null : p));
  const root = useRef(null);
  // The panel shown now: the page's Escape shortcut is bound after the
  // render, so a closure of its own could still hold the previous panel.
  const shown = useRef(panel);
  shown.current = panel;
  // closePanel gives the focus back to the panel's button: it would
  // otherwise fall to the page with the field it was in.
  const closePanel = () => {
    const p = shown.current;
    const opener = p && root.current && root.current.querySelector(`[data-panel=${p}]`);
    setPanel(null);
    if (opener) opener.focus();
  };
  // Escape from a field in the panel closes it here, whatever the page's
  // shortcuts are at the time.
  const onPanelKey = (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    e.preventDefault();
    closePanel();
  };
  const act = (fn) => () => !busy && run(fn);
  const controls = {
    hold: useSwitch(call.held, (on) => api.hold(call.id, on)),
    mute: useSwitch(call.muted, (on) => api.mute(call.id, on)),
    record: useSwitch(call.recording, (on) => api.record(call.id, on)),
    hangup: act(() => api.hangup(call.id)),
  };

  useEffect(() => {
    const keys = {
      'alt+x': { run: () => live && controls.hangup(), label: 'Hang up' },
      escape: { run: closePanel },
    };
    if (talking) {
      Object.assign(keys, {
        h: { run: controls.hold, label: call.held ? 'Take off hold' : 'Hold' },
        m: { run: controls.mute, label: call.muted ? 'Unmute' : 'Mute' },
        k: { run: () => toggle('keypad'), label: 'Keypad' },
        t: { run: () => toggle('transfer'), label: 'Transfer' },
        c: { run: () => toggle('conference'), label: 'Conference' },
        r: { run: controls.record, label: call.recording ? 'Stop recording' : 'Record' },
      });
      if (panel === 'keypad') {
        for (const k of KEYS) keys[k] = { run: () => dtmf.press(k) };
      }
    }
    return bind(keys);
  }, [call.id, call.held, call.muted, call.recording, talking, live, panel, busy]);

  const name = fullName(lead);
  const from = ms(call.connected_at || call.answered_at);
  const inbound = call.direction === 'inbound';
  const dev = describeDevice(agent);
  return html`<section class="panel call-panel" ref=${root} aria-labelledby="call-title" data-testid="call-panel" data-call-id=${call.id}>
    <div class="call-body">
    <header class="call-head">
      <div class="call-tags">
        <span class=${'tag ' + (inbound ? 'tag-in' : 'tag-out')} data-testid="call-direction">
          <${Icon} name=${inbound ? 'inbound' : 'outbound'} size=${13} /> ${inbound ? 'Inbound' : 'Outbound'}
        </span>
        ${call.origin === 'dialer'
          ? html`<span class="tag tag-dialer" data-testid="dialer-badge" title="The campaign's dialer placed this call and put it through to you">Dialer call</span>`
          : call.origin !== 'inbound' && html`<span class="tag">${ORIGIN[call.origin] || call.origin}</span>`}
        ${call.queue && html`<span class="tag tag-queue" data-testid="call-queue" title="The queue the caller waited in">
          Queue ${call.queue}${queueWait(call)}</span>`}
        ${call.recording && html`<span class="tag tag-rec" data-testid="rec-indicator"><span class="rec-dot" aria-hidden="true"></span> REC</span>`}
      </div>
      <h2 id="call-title" class="call-name" data-testid="call-name">${name || phone(call.number) || 'Unknown caller'}</h2>
      <p class="call-number">${name ? phone(call.number) : inbound ? (lead ? '' : 'No matching lead') : ''}</p>
      <div class="call-status">
        <span class=${'call-state cs-' + call.state} data-testid="call-state">${callStateText(agent, call)}</span>
        ${from
          ? html`<${Timer} from=${from} class="call-timer" label="Call duration" />`
          : html`<${Timer} from=${ms(call.created_at)} class="call-timer pending" label="Time since the call started" />`}
      </div>
      ${call.held && html`<div class="flag flag-hold" data-testid="hold-flag"><${Icon} name="hold" size=${14} /> On hold
        ${s.heldSince[call.id] ? html` · <${Timer} from=${s.heldSince[call.id]} label="Time on hold" />` : ''}</div>`}
      ${call.muted && html`<div class="flag flag-mute" data-testid="mute-flag"><${Icon} name="micOff" size=${14} /> Your microphone is muted</div>`}
      ${(agent.state === 'RINGING' || agent.state === 'RESERVED') &&
      html`<div class="flag flag-ring"><${Icon} name="phone" size=${14} /> Answer on your ${dev.label.toLowerCase()} (${dev.detail})</div>`}
    </header>

    <div class="controls" role="group" aria-label="Call controls">
      <${Control} icon="hold" label=${call.held ? 'Unhold' : 'Hold'} k="H" pressed=${call.held} disabled=${!talking} onClick=${controls.hold} />
      <${Control} icon=${call.muted ? 'micOff' : 'mic'} label=${call.muted ? 'Unmute' : 'Mute'} k="M" pressed=${call.muted} disabled=${!talking} onClick=${controls.mute} />
      <${Control} icon="keypad" label="Keypad" k="K" pressed=${panel === 'keypad'} expands="keypad" disabled=${!talking} onClick=${() => toggle('keypad')} />
      <${Control} icon="transfer" label="Transfer" k="T" pressed=${panel === 'transfer'} expands="transfer" disabled=${!talking} onClick=${() => toggle('transfer')} />
      <${Control} icon="conference" label="Conference" k="C" pressed=${panel === 'conference'} expands="conference" disabled=${!talking} onClick=${() => toggle('conference')} />
      <${Control} icon="record" label=${call.recording ? 'Stop rec' : 'Record'} k="R" pressed=${call.recording} danger=${call.recording} disabled=${!talking} onClick=${controls.record} />
    </div>

    ${panel && talking && html`<div class="panel-slot" onKeyDown=${onPanelKey}>
      ${panel === 'keypad' && html`<${Keypad} dtmf=${dtmf} />`}
      ${panel === 'transfer' && html`<${TransferForm} call=${call} onDone=${() => setPanel(null)} />`}
      ${panel === 'conference' && html`<${ConferenceForm} call=${call} />`}
    </div>`}
    <${Parties} call=${call} agent=${agent} />
    ${!panel && html`<dl class="facts">
      ${campaign && html`<div><dt>Campaign</dt><dd>${campaign.name}</dd></div>`}
      <div><dt>Started</dt><dd>${clock(call.created_at)}</dd></div>
      ${call.caller_id && html`<div><dt>${inbound ? 'Number dialed' : 'Your caller ID'}</dt><dd>${phone(call.caller_id)}</dd></div>`}
      <div><dt>Your audio</dt><dd>${dev.label} · ${dev.detail}</dd></div>
    </dl>`}
    ${dev.inBrowser && html`<${SoftphoneStrip} />`}
    </div>

    <div class="call-foot">
    <button class="btn btn-hangup" disabled=${!live || busy} onClick=${controls.hangup} aria-keyshortcuts="Alt+X">
      <${Icon} name="hangup" size=${20} /> Hang up <${Kbd} k="Alt+X" />
    </button>
    </div>
  </section>`;
}

function callStateText(agent, call) {
  if (agent.state === 'RESERVED') return 'Connecting you…';
  if (agent.state === 'RINGING') return 'Ringing your phone…';
  return CALL_STATE[call.state] || call.state;
}

// useSwitch turns a press into "set it to the opposite of what is shown".
// The switch's event often arrives before its request returns: a second
// press then is not lost but sent once the first request is done, unless
// the switch already shows what was asked for.
function useSwitch(on, send) {
  const [run] = useAction();
  const st = useRef({ sending: null, next: null, on });
  st.current.on = on;
  const go = async (want) => {
    const s = st.current;
    s.sending = want;
    await run(() => send(want));
    s.sending = null;
    const next = s.next;
    s.next = null;
    if (next !== null && next !== s.on) go(next);
  };
  return () => {
    const s = st.current;
    const want = !s.on;
    if (s.sending === null) go(want);
    else s.next = want === s.sending ? null : want;
  };
}

function Control({ icon, label, k, pressed, disabled, onClick, expands, danger }) {
  return html`<button class=${'control' + (pressed ? ' on' : '') + (danger ? ' danger' : '')} disabled=${disabled}
    aria-pressed=${expands ? undefined : String(!!pressed)} aria-expanded=${expands ? String(!!pressed) : undefined}
    data-panel=${expands || undefined} aria-keyshortcuts=${k} onClick=${onClick}>
    <${Icon} name=${icon} size=${20} />
    <span class="control-label">${label}</span>
    <${Kbd} k=${k} />
  </button>`;
}

// useDTMF sends keypad digits in the order pressed: digits pressed while
// a request is on its way go together in the next one.
function useDTMF(id) {
  const [sent, setSent] = useState('');
  const queue = useRef({ pending: '', sending: false });
  const flush = async () => {
    const q = queue.current;
    if (q.sending || !q.pending) return;
    const digits = q.pending;
    q.pending = '';
    q.sending = true;
    try {
      await api.dtmf(id, digits);
      setSent((x) => (x + digits).slice(-24));
    } catch (e) {
      notify(e.message, 'error');
    } finally {
      q.sending = false;
      flush();
    }
  };
  const press = (k) => {
    queue.current.pending += k;
    flush();
  };
  return { sent, press };
}

function Keypad({ dtmf }) {
  return html`<div class="subpanel keypad" role="group" aria-label="Keypad (tones to the caller)">
    <output class="keypad-display" aria-live="polite" data-testid="dtmf-sent">${dtmf.sent || html`<span class="muted">Tones you send appear here</span>`}</output>
    <div class="keys">
      ${KEYS.map(
        (k) => html`<button class="key" aria-label=${'Send ' + k} onClick=${() => dtmf.press(k)}>
          <span class="key-digit">${k}</span><span class="key-letters">${LETTERS[k] || ''}</span>
        </button>`,
      )}
    </div>
  </div>`;
}

// The kinds of target, as the agent's guide names them.
const KINDS = { agent: 'Agent', queue: 'Queue', number: 'Phone number' };
const emptyTarget = () => ({ kind: 'agent', number: '', agent: null, queue: null });

// TargetFields picks where the call goes: a colleague or a queue from the
// directory, or a number typed.
function TargetFields({ target, setTarget, error, kinds, dir, dirError }) {
  const me = getState().me;
  const myId = me.agent && me.agent.id;
  // The same options between reads, so the picker filters them once per keystroke.
  const people = useMemo(() => colleagueItems(dir, myId), [dir, myId]);
  const queues = useMemo(() => queueItems(dir), [dir]);
  const kind = target.kind;
  const field = error && error.field;
  const loading = !dir && !dirError;
  const failed = dirError && `The directory cannot be read: ${dirError.message}`;
  return html`<div class="target">
    <div class="segmented" role="radiogroup" aria-label="Destination">
      ${kinds.map(
        (k) => html`<label class=${kind === k ? 'on' : ''}><input type="radio" name="tkind" value=${k} checked=${kind === k}
          onChange=${() => setTarget({ ...target, kind: k })} /> ${KINDS[k]}</label>`,
      )}
    </div>
    ${kind === 'number' &&
    html`<label class="field"><span>Number</span>
      <input type="tel" name="target-number" value=${target.number} autocomplete="off" placeholder="+1 555 010 0199"
        aria-invalid=${field === 'number' ? 'true' : undefined}
        onInput=${(e) => setTarget({ ...target, number: e.currentTarget.value })} /></label>`}
    ${kind === 'agent' &&
    html`<${Picker} id="target-agent" name="target-agent" label="Colleague" noun="colleague" placeholder="Name or extension"
      items=${people} value=${target.agent} loading=${loading} error=${failed}
      invalid=${field === 'agent_id'} onPick=${(it) => setTarget({ ...target, agent: it.key })} />`}
    ${kind === 'queue' &&
    html`<${Picker} id="target-queue" name="target-queue" label="Inbound queue" noun="queue" placeholder="Queue name"
      items=${queues} value=${target.queue} loading=${loading} error=${failed}
      invalid=${field === 'queue_id'} onPick=${(it) => setTarget({ ...target, queue: it.key })} />`}
    ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
  </div>`;
}

function targetBody(t) {
  if (t.kind === 'agent') return { agent_id: t.agent };
  if (t.kind === 'queue') return { queue_id: t.queue };
  return { number: t.number.trim() };
}

// targetChoice is what the target names, for the button: null until it
// can be sent. A colleague picked who is no longer ready cannot, nor a
// queue no longer active.
function targetChoice(t, dir) {
  if (t.kind === 'number') return t.number.trim().length > 2 ? t.number.trim() : null;
  if (!dir) return null;
  if (t.kind === 'agent') {
    const a = dir.agents.find((x) => x.id === t.agent);
    return a && a.state === 'READY' ? a.name : null;
  }
  const q = dir.queues.find((x) => x.id === t.queue);
  return q ? `the ${q.name} queue` : null;
}

// TargetSummary says who was picked from the directory, next to the
// button that sends the call there.
function TargetSummary({ target, to }) {
  if (target.kind === 'number') return null;
  const picked = target.kind === 'agent' ? target.agent : target.queue;
  return html`<p class="target-to" data-testid="target-to" aria-live="polite">
    ${to
      ? html`To <strong>${to}</strong>`
      : picked === null
        ? 'Pick from the list: type, then Enter.'
        : target.kind === 'agent'
          ? 'No longer ready: pick someone else.'
          : 'No longer taking calls: pick another.'}
  </p>`;
}

// useTargetFocus puts the focus in the target's field when the panel
// opens and when the kind changes.
function useTargetFocus(root, kind) {
  useEffect(() => {
    const el = root.current && root.current.querySelector('.target input[name^=target-]');
    if (el) el.focus();
  }, [kind]);
}

function TransferForm({ call, onDone }) {
  const [target, setTarget] = useState(emptyTarget);
  const [error, setError] = useState(null);
  const [run, busy] = useAction();
  const { dir, error: dirError } = useDirectory();
  const root = useRef(null);
  useTargetFocus(root, target.kind);
  const to = targetChoice(target, dir);
  const submit = async (e) => {
    e.preventDefault();
    if (!to) return;
    setError(null);
    const from = currentScreen();
    const r = await run(() => api.transfer(call.id, targetBody(target)), { quiet: true });
    if (r.ok) {
      notify('Call transferred to ' + to, 'ok', { from });
      onDone();
    } else setError(r.error);
  };
  return html`<form class="subpanel" ref=${root} onSubmit=${submit} aria-label="Blind transfer">
    <h3 class="subpanel-title">Blind transfer</h3>
    <p class="muted small">The caller goes straight to the destination and you leave the call.</p>
    <${TargetFields} target=${target} setTarget=${setTarget} error=${error} kinds=${['agent', 'queue', 'number']} dir=${dir} dirError=${dirError} />
    <${TargetSummary} target=${target} to=${to} />
    <button class="btn btn-primary" type="submit" disabled=${busy || !to}>
      <${Icon} name="transfer" size=${16} /> Transfer now</button>
  </form>`;
}

function ConferenceForm({ call }) {
  const [target, setTarget] = useState(emptyTarget);
  const [error, setError] = useState(null);
  const [run, busy] = useAction();
  const { dir, error: dirError } = useDirectory();
  const root = useRef(null);
  useTargetFocus(root, target.kind);
  const to = targetChoice(target, dir);
  const submit = async (e) => {
    e.preventDefault();
    if (!to) return;
    setError(null);
    const r = await run(() => api.addParty(call.id, targetBody(target)), { quiet: true });
    if (r.ok) setTarget({ ...emptyTarget(), kind: target.kind });
    else setError(r.error);
  };
  return html`<form class="subpanel" ref=${root} onSubmit=${submit} aria-label="Conference">
    <h3 class="subpanel-title">Conference / warm transfer</h3>
    <p class="muted small">Add someone, introduce the caller, then Leave to hand the call over.</p>
    <${TargetFields} target=${target} setTarget=${setTarget} error=${error} kinds=${['agent', 'number']} dir=${dir} dirError=${dirError} />
    <${TargetSummary} target=${target} to=${to} />
    <button class="btn btn-primary" type="submit" disabled=${busy || !to}>
      <${Icon} name="conference" size=${16} /> Add to call</button>
  </form>`;
}

// partyName is a colleague's name, as the directory last read it (a
// colleague added to the call is a third party with an agent id), or the
// number dialed.
const partyName = (p) => (p.agent_id ? colleagueName(p.agent_id) || `Agent ${p.agent_id}` : phone(p.number));

const PARTY_STATE = { dialing: 'Dialing', ringing: 'Ringing', up: 'On the call', gone: 'Left' };

function Parties({ call, agent }) {
  const [run, busy] = useAction();
  const third = (call.parties || []).filter((p) => p.role === 'third' || (p.role === 'agent' && p.agent_id !== agent.id));
  if (!third.length) return null;
  const inConference = third.some((p) => p.state === 'up');
  return html`<div class="parties" aria-label="Others on the call">
    <h3 class="subpanel-title">On this call</h3>
    <ul>
      ${third.map(
        (p) => html`<li class=${'party ps-' + p.state} data-testid="party">
          <span class="party-who">${partyName(p)}</span>
          <span class="party-state">${PARTY_STATE[p.state] || p.state}</span>
          ${p.state !== 'gone' &&
          html`<button class="btn btn-small btn-ghost" disabled=${busy} aria-label=${'Remove ' + (partyName(p) || 'party')}
            onClick=${() => run(() => api.removeParty(call.id, p.leg_id))}>Remove</button>`}
        </li>`,
      )}
    </ul>
    ${agent.state === 'INCALL' &&
    html`<button class="btn btn-leave" disabled=${!inConference || busy} onClick=${() => run(() => api.leave(call.id))}>
      <${Icon} name="leave" size=${16} /> Leave — the others talk on</button>`}
  </div>`;
}
