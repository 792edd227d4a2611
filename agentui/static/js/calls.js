// Call search and a call's page (supervisors and admins): past calls by
// date, number, agent, campaign, queue, direction, outcome, disposition,
// talk time and recording; a call's timeline from its record, and its
// recording.

import { html, useEffect, useState } from '../vendor/htm-preact.js';
import { rest } from './api.js';
import { duration, phone } from './format.js';
import { Link, navigate } from './nav.js';
import { Icon } from './icons.js';
import { Recording } from './history.js';
import { loadDispositions } from './dispo.js';
import { Select, useChoices } from './reports.js';

const OUTCOMES = [
  ['answered', 'Answered'], ['no_answer', 'No answer'], ['busy', 'Busy'], ['rejected', 'Rejected'], ['failed', 'Failed'],
  ['unreachable', 'Unreachable'], ['abandoned', 'Abandoned'], ['machine', 'Answering machine'], ['cancelled', 'Cancelled'],
  ['transfer_failed', 'Transfer failed'],
];
const OUTCOME = Object.fromEntries(OUTCOMES);
const PAGE = 50;

const stamp = (t) => (t ? new Date(t).toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' }) : '');
const time = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

// searchQuery turns the form into the API's parameters: the dates are
// whole local days, the API wants instants.
function searchQuery(f) {
  const p = new URLSearchParams();
  if (f.from) p.set('since', new Date(f.from + 'T00:00:00').toISOString());
  if (f.to) {
    const end = new Date(f.to + 'T00:00:00');
    end.setDate(end.getDate() + 1);
    p.set('until', end.toISOString());
  }
  const number = f.number.replace(/[\s().-]/g, '');
  if (number) p.set('number', number);
  for (const k of ['agent', 'campaign', 'queue', 'direction', 'outcome', 'disposition']) if (f[k]) p.set(k, f[k]);
  if (f.min) p.set('min_billsec', f.min);
  if (f.recorded) p.set('has_recording', 'true');
  return p;
}

function useDispositions() {
  const [d, set] = useState([]);
  useEffect(() => {
    loadDispositions().then(set, () => {});
  }, []);
  return d;
}

export function CallSearchPage() {
  const empty = { from: '', to: '', number: '', agent: '', campaign: '', queue: '', direction: '', outcome: '', disposition: '', min: '', recorded: false };
  const [form, setForm] = useState(empty);
  const [applied, setApplied] = useState(empty);
  const [calls, setCalls] = useState(null);
  const [next, setNext] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const choices = useChoices();
  const dispos = useDispositions();
  const names = Object.fromEntries(choices.agents.map((a) => [a.id, a.name]));
  const campaigns = Object.fromEntries(choices.campaigns.map((c) => [c.id, c.name]));

  const load = async (f, before) => {
    const p = searchQuery(f);
    p.set('limit', PAGE);
    if (before) p.set('before', before);
    setBusy(true);
    try {
      const r = await rest.get('/calls?' + p.toString());
      setCalls((old) => (before ? [...(old || []), ...r.calls] : r.calls));
      setNext(r.next_before || '');
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(empty, ''), []);

  const set = (k) => (v) => setForm({ ...form, [k]: v });
  const submit = (e) => {
    e.preventDefault();
    setApplied(form);
    load(form, '');
  };
  const invalid = (k) => (error && error.field === k ? 'true' : undefined);
  const csv = '/api/v1/calls.csv?' + searchQuery(applied).toString();

  return html`<div class="page" data-testid="call-search">
    <div class="page-head">
      <h1>Calls</h1>
      <p class="muted">Past calls, newest first. Open one for its timeline and recording.</p>
    </div>
    <form class="card report-filters" aria-label="Call filters" onSubmit=${submit}>
      <div class="filter-grid">
        <label class="field"><span>From</span><input type="date" name="from" value=${form.from} onInput=${(e) => set('from')(e.target.value)} /></label>
        <label class="field"><span>To</span><input type="date" name="to" value=${form.to} aria-invalid=${invalid('until')} onInput=${(e) => set('to')(e.target.value)} /></label>
        <label class="field"><span>Number</span><input name="number" inputmode="tel" placeholder="part of a number" value=${form.number}
          aria-invalid=${invalid('number')} onInput=${(e) => set('number')(e.target.value)} /></label>
        <${Select} label="Agent" name="agent" value=${form.agent} options=${choices.agents} onChange=${set('agent')} />
        <${Select} label="Campaign" name="campaign" value=${form.campaign} options=${choices.campaigns} onChange=${set('campaign')} />
        <${Select} label="Queue" name="queue" value=${form.queue} options=${choices.queues} onChange=${set('queue')} />
        <${Select} label="Direction" name="direction" value=${form.direction} onChange=${set('direction')}
          options=${[{ id: 'inbound', name: 'Inbound' }, { id: 'outbound', name: 'Outbound' }]} />
        <${Select} label="Outcome" name="outcome" value=${form.outcome} onChange=${set('outcome')} options=${OUTCOMES.map(([id, name]) => ({ id, name }))} />
        <${Select} label="Disposition" name="disposition" value=${form.disposition} onChange=${set('disposition')}
          options=${dispos.map((d) => ({ id: d.code, name: d.label }))} />
        <label class="field"><span>Talked at least (s)</span><input type="number" min="0" max="86400" name="min_billsec" value=${form.min}
          aria-invalid=${invalid('min_billsec')} onInput=${(e) => set('min')(e.target.value)} /></label>
        <label class="field field-check"><span>Recording</span>
          <label class="check"><input type="checkbox" name="has_recording" checked=${form.recorded} onChange=${(e) => set('recorded')(e.target.checked)} /> Recorded only</label></label>
        <div class="filter-actions">
          <button class="btn btn-primary" type="submit" disabled=${busy}>Search</button>
          <a class="btn" href=${csv} download="calls.csv" data-testid="calls-csv">Download CSV</a>
        </div>
      </div>
    </form>
    ${error && html`<p class="form-error" role="alert" data-testid="call-search-error">${error.field ? error.field + ': ' : ''}${error.message}</p>`}
    ${!calls && !error && html`<div class="card" aria-busy="true"><div class="skeleton"></div><div class="skeleton short"></div></div>`}
    ${calls && calls.length === 0 && html`<div class="card empty center" data-testid="calls-empty"><p>No calls match.</p></div>`}
    ${calls && calls.length > 0 && html`<div class="card table-card">
      <table class="table calls-table" data-testid="calls-table">
        <thead><tr>
          <th scope="col">When</th><th scope="col">Number</th><th scope="col">Agent</th><th scope="col">Campaign</th>
          <th scope="col">Outcome</th><th scope="col">Disposition</th><th scope="col" class="num">Talk</th><th scope="col"><span class="sr-only">Recording</span></th>
        </tr></thead>
        <tbody>
          ${calls.map((c) => {
            const number = c.direction === 'inbound' ? c.from_number : c.to_number;
            return html`<tr key=${c.id} data-testid="call-row" data-call-id=${c.id} class="clickable" onClick=${(e) => e.target.tagName !== 'A' && navigate('/calls/' + c.id)}>
              <td class="nowrap">${stamp(c.created_at)}</td>
              <td class="nowrap"><span class="dir" aria-hidden="true"><${Icon} name=${c.direction === 'inbound' ? 'inbound' : 'outbound'} size=${14} /></span>
                <${Link} href=${'/calls/' + c.id}>${phone(number) || '—'}</${Link}>
                <span class="sr-only">${c.direction}</span></td>
              <td>${names[c.agent_id] || (c.agent_id ? '#' + c.agent_id : html`<span class="muted">—</span>`)}</td>
              <td>${campaigns[c.campaign_id] || html`<span class="muted">—</span>`}</td>
              <td>${c.outcome ? html`<span class=${'chip ' + (c.outcome === 'answered' ? 'chip-answered' : 'chip-missed')}>${OUTCOME[c.outcome] || c.outcome}</span>` : html`<span class="pill">live</span>`}</td>
              <td>${c.disposition ? html`<span class="chip chip-dispo">${c.disposition}</span>` : html`<span class="muted">—</span>`}</td>
              <td class="num">${duration(c.billsec)}</td>
              <td>${c.recording_path && html`<span title="Recorded" aria-label="Recorded"><${Icon} name="record" size=${14} /></span>`}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`}
    ${next && html`<p class="center"><button class="btn" disabled=${busy} data-testid="calls-more" onClick=${() => load(applied, next)}>Load more</button></p>`}
  </div>`;
}

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// step says what one timeline entry means, in words, with the party it
// concerns.
function step(ev, legs, names) {
  const d = ev.data || {};
  const who = (id) => names[id] || (id ? 'agent #' + id : 'an agent');
  const leg = legs[ev.leg_id];
  const party = leg ? (leg.role === 'agent' ? who(leg.agent_id) : leg.role === 'lead' ? 'the customer' : leg.endpoint) : '';
  switch (ev.kind) {
    case 'created': return [`Call started (${d.direction || ''}${d.origin ? ', ' + d.origin : ''})`, d.to ? 'to ' + phone(d.to) : ''];
    case 'leg_added': return [`${d.role === 'agent' ? who(d.agent_id) + "'s phone" : d.role === 'lead' ? 'Customer leg' : 'Leg'} dialed`, d.endpoint];
    case 'ringing': return ['Ringing', party];
    case 'answered': return ['Answered', party];
    case 'leg_answered': return [cap(`${party || 'a party'} answered`), ''];
    case 'queued': return [`Queued in ${d.queue}`, d.priority ? 'priority ' + d.priority : ''];
    case 'queue_announcement': return ['Position announced', d.position ? 'position ' + d.position : ''];
    case 'agent_reserved': return [`Offered to ${who(d.agent_id)}`, ''];
    case 'agent_no_answer': return [`${who(d.agent_id)} did not answer`, d.paused ? 'agent paused' : ''];
    case 'agent_leg_lost': return [`${who(d.agent_id)}'s phone was dropped before the call was put through`, 'not counted against the agent'];
    case 'bridge_stalled': return ['The switch has not put the call through', d.try === 1 ? 'asked again' : d.try === 2 ? "the agent's leg hung up" : "the agent's leg taken as gone"];
    case 'bridged': return [d.agent_id ? `Connected to ${who(d.agent_id)}` : 'Connected to an agent', ''];
    case 'hold': return ['On hold', ''];
    case 'unhold': return ['Off hold', d.held_ms ? 'held ' + duration(d.held_ms / 1000) : ''];
    case 'transfer': return ['Transferred', d.queue ? 'to queue ' + d.queue : d.to_agent ? 'to ' + who(d.to_agent) : d.number ? 'to ' + phone(d.number) : ''];
    case 'transfer_failed': return ['Transfer failed', ''];
    case 'party_added': return ['Party added', d.agent_id ? who(d.agent_id) : phone(d.number)];
    case 'party_removed': return ['Party removed', party];
    case 'recording_started': return ['Recording started', ''];
    case 'recording_stopped': return ['Recording stopped', ''];
    case 'leg_ended': return [cap(`${party || 'a party'} hung up`), d.cause || ''];
    case 'hangup_requested': return ['Hang-up requested', d.by ? 'by ' + d.by : ''];
    case 'abandon': return ['Abandoned: no agent came', ''];
    case 'queue_overflow': return ['Sent to overflow', [d.to, d.reason].filter(Boolean).join(', ')];
    case 'queue_give_up': return ['Left the queue', d.reason || ''];
    case 'ended': return ['Call ended', [d.cause, OUTCOME[d.outcome] || d.outcome, d.billsec ? 'talked ' + duration(d.billsec) : ''].filter(Boolean).join(' · ')];
    case 'disposition': return [`Disposition ${d.code}`, d.agent_id ? 'by ' + who(d.agent_id) : ''];
    case 'dtmf': return ['Keys pressed', d.digits || ''];
    case 'monitor': return ['Supervisor listening', [d.mode, d.by].filter(Boolean).join(', ')];
    case 'agent_left': return [`${who(d.agent_id)} left the call`, ''];
  }
  return [cap(ev.kind.replace(/_/g, ' ')), ''];
}

const TONE = { ended: 'end', leg_ended: 'end', abandon: 'bad', agent_no_answer: 'bad', agent_leg_lost: 'bad', transfer_failed: 'bad', bridged: 'good', answered: 'good', leg_answered: 'good', disposition: 'good', recording_started: 'rec' };

export function CallPage({ id }) {
  const [st, set] = useState({ data: null, error: null });
  const choices = useChoices();
  const names = Object.fromEntries(choices.agents.map((a) => [a.id, a.name]));
  const campaigns = Object.fromEntries(choices.campaigns.map((c) => [c.id, c.name]));
  useEffect(() => {
    let live = true;
    rest.get('/calls/' + encodeURIComponent(id)).then(
      (data) => live && set({ data, error: null }),
      (error) => live && set({ data: null, error }),
    );
    return () => (live = false);
  }, [id]);
  const back = html`<${Link} href="/calls" class="back-link">← All calls</${Link}>`;
  if (st.error) return html`<div class="page">${back}<p class="form-error" role="alert">${st.error.message}</p></div>`;
  if (!st.data) return html`<div class="page">${back}<div class="card" aria-busy="true"><div class="skeleton"></div></div></div>`;
  const d = st.data;
  if (d.live) {
    return html`<div class="page">${back}<div class="card empty center"><p>This call is still live: its timeline is here once it ends.</p></div></div>`;
  }
  const c = d.record || {};
  const legs = Object.fromEntries((d.legs || []).map((l) => [l.id, l]));
  const number = c.direction === 'inbound' ? c.from_number : c.to_number;
  const start = c.created_at ? new Date(c.created_at).getTime() : 0;
  return html`<div class="page call-page" data-testid="call-page">
    ${back}
    <div class="page-head">
      <h1>${c.direction === 'inbound' ? 'Call from ' : 'Call to '}${phone(number) || 'an unknown number'}</h1>
      <p class="muted">${stamp(c.created_at)}</p>
    </div>
    <div class="call-layout">
      <div class="card call-facts">
        <dl>
          <div><dt>Agent</dt><dd>${names[c.agent_id] || (c.agent_id ? '#' + c.agent_id : '—')}</dd></div>
          <div><dt>Campaign</dt><dd>${campaigns[c.campaign_id] || '—'}</dd></div>
          <div><dt>Direction</dt><dd>${c.direction}${c.origin && c.origin !== c.direction ? ` (${c.origin})` : ''}</dd></div>
          <div><dt>From</dt><dd>${phone(c.from_number) || '—'}</dd></div>
          <div><dt>To</dt><dd>${phone(c.to_number) || '—'}</dd></div>
          <div><dt>Outcome</dt><dd>${OUTCOME[c.outcome] || c.outcome || '—'}</dd></div>
          <div><dt>Hangup cause</dt><dd><code>${c.hangup_cause || '—'}</code></dd></div>
          <div><dt>Talk</dt><dd>${duration(c.billsec)}</dd></div>
          <div><dt>Disposition</dt><dd data-testid="call-disposition">${c.disposition ? html`<span class="chip chip-dispo">${c.disposition}</span>` : '—'}</dd></div>
        </dl>
        ${c.notes && html`<div class="call-notes"><h2>Notes</h2><p data-testid="call-notes">${c.notes}</p></div>`}
        ${c.recording_path ? html`<div class="call-recording"><h2>Recording</h2><${Recording} id=${c.id} at=${c.created_at} /></div>`
          : html`<p class="muted small">Not recorded.</p>`}
      </div>
      <div class="card">
        <h2>Timeline</h2>
        <ol class="timeline" data-testid="timeline">
          ${(d.timeline || []).map((ev) => {
            const [what, detail] = step(ev, legs, names);
            const at = new Date(ev.at).getTime();
            return html`<li key=${ev.seq} class=${'tl-item tl-' + (TONE[ev.kind] || 'plain')} data-testid="timeline-entry" data-kind=${ev.kind}>
              <span class="tl-dot" aria-hidden="true"></span>
              <div class="tl-time"><time datetime=${ev.at}>${time(ev.at)}</time><span class="muted small">+${duration((at - start) / 1000)}</span></div>
              <div class="tl-body"><div class="strong">${what}</div>${detail && html`<div class="muted small">${detail}</div>`}</div>
            </li>`;
          })}
        </ol>
      </div>
    </div>
  </div>`;
}
