// A lead's history: its earlier calls (who, when, how it went, the
// disposition and the note) and its callbacks, as the preview card and
// the lead panel show it. The last few are shown; "Show all" opens the rest.

import { html, useEffect, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { duration, inZone, when } from './format.js';
import { Icon } from './icons.js';
import { loadDispositions } from './dispo.js';

const OUTCOME = {
  answered: 'Answered', no_answer: 'No answer', busy: 'Busy', rejected: 'Rejected', failed: 'Failed',
  unreachable: 'Unreachable', abandoned: 'Abandoned', machine: 'Answering machine', cancelled: 'Cancelled',
  transfer_failed: 'Transfer failed',
};
const CALLBACK = { scheduled: 'Scheduled', dialing: 'Dialing', done: 'Done', cancelled: 'Cancelled', missed: 'Missed' };
const ORIGIN = { dialer: 'dialer', manual: 'dialed by hand', api: 'lead call', widget: 'website', callback: 'callback', inbound: 'inbound' };

// Recording plays a past call's recording; nothing is fetched until
// played (the browser then asks for ranges as it seeks).
export function Recording({ id, at }) {
  const name = 'the call of ' + when(at);
  return html`<div class="rec-player" data-testid="recording">
    <audio controls preload="none" src=${api.recordingURL(id)} aria-label=${'Recording of ' + name}></audio>
    <a class="small" href=${api.recordingURL(id, true)} download=${`call-${id}.wav`} data-testid="recording-download">
      Download<span class="sr-only"> the recording of ${name}</span></a>
  </div>`;
}

// useLeadHistory reads the history again when rev changes (a call ended
// or was disposed).
function useLeadHistory(leadId, rev) {
  const [st, set] = useState({ data: null, error: null });
  useEffect(() => {
    if (!leadId) return undefined;
    let live = true;
    api.leadHistory(leadId).then(
      (data) => live && set({ data, error: null }),
      (error) => live && set((s) => ({ data: s.data, error })),
    );
    return () => (live = false);
  }, [leadId, rev]);
  return st;
}

function useDispositionLabels() {
  const [labels, set] = useState({});
  useEffect(() => {
    loadDispositions().then((d) => set(Object.fromEntries(d.map((x) => [x.code, x.label]))), () => {});
  }, []);
  return labels;
}

// LeadHistory: exclude is the call on screen, not yet history.
export function LeadHistory({ leadId, exclude, rev, few = 3, zone }) {
  const { data, error } = useLeadHistory(leadId, rev);
  const labels = useDispositionLabels();
  const [all, setAll] = useState(false);
  if (error && !data) {
    return html`<div class="history-block" data-testid="lead-history"><p class="muted small">${
      error.status === 403 ? 'The history of this lead is not open to you.' : `The history could not be read: ${error.message}`
    }</p></div>`;
  }
  if (!data) {
    return html`<div class="history-block" aria-busy="true" data-testid="lead-history"><div class="skeleton short"></div></div>`;
  }
  const calls = (data.calls || []).filter((c) => c.id !== exclude);
  const cbs = data.callbacks || [];
  if (!calls.length && !cbs.length) {
    return html`<div class="history-block" data-testid="lead-history">
      <p class="muted small" data-testid="history-empty">First contact: this lead has not been called before.</p></div>`;
  }
  const shownCalls = all ? calls : calls.slice(0, few);
  const shownCbs = all ? cbs : cbs.filter((c) => c.status === 'scheduled').slice(0, few);
  const more = calls.length - shownCalls.length + cbs.length - shownCbs.length;
  return html`<div class="history-block" data-testid="lead-history">
    ${shownCbs.length > 0 && html`<ul class="lead-history" aria-label="Callbacks">
      ${shownCbs.map((cb) => html`<li key=${'cb' + cb.id} class="lh-item lh-callback" data-testid="lead-history-callback">
        <span class="lh-icon" aria-hidden="true"><${Icon} name="calendar" size=${14} /></span>
        <div class="lh-main">
          <div class="lh-line">
            <strong>Callback ${inZone(cb.due_at, cb.time_zone || zone)}</strong>
            <span class=${'chip chip-cb-' + cb.status}>${CALLBACK[cb.status] || cb.status}</span>
          </div>
          <div class="lh-sub muted small">${cb.agent_name ? 'For ' + cb.agent_name : 'For anyone'}</div>
          ${cb.notes && html`<p class="lh-note">${cb.notes}</p>`}
        </div>
      </li>`)}
    </ul>`}
    ${shownCalls.length > 0 && html`<ul class="lead-history" aria-label="Earlier calls">
      ${shownCalls.map((c) => {
        const answered = c.outcome === 'answered' || c.outcome === 'transfer_failed';
        return html`<li key=${c.id} class="lh-item" data-testid="lead-history-call" data-call-id=${c.id}>
          <span class=${'lh-icon ' + (answered ? 'ok' : 'miss')} aria-hidden="true">
            <${Icon} name=${c.direction === 'inbound' ? 'inbound' : 'outbound'} size=${14} /></span>
          <div class="lh-main">
            <div class="lh-line">
              <strong>${when(c.created_at)}</strong>
              <span class=${'chip ' + (answered ? 'chip-answered' : 'chip-missed')}>${OUTCOME[c.outcome] || c.outcome}</span>
              ${c.disposition && html`<span class="chip chip-dispo" title=${c.disposition}>${labels[c.disposition] || c.disposition}</span>`}
            </div>
            <div class="lh-sub muted small">
              ${c.direction === 'inbound' ? 'Called in' : 'Called'}${c.origin && c.origin !== 'inbound' ? ` (${ORIGIN[c.origin] || c.origin})` : ''}
              ${c.agent_name ? ' · ' + c.agent_name : ''}${answered ? ' · ' + duration(c.billsec) : ''}
            </div>
            ${c.note && html`<p class="lh-note">${c.note}</p>`}
            ${c.recording && html`<${Recording} id=${c.id} at=${c.created_at} />`}
          </div>
        </li>`;
      })}
    </ul>`}
    ${(more > 0 || all) &&
    html`<button type="button" class="btn btn-small btn-ghost" aria-expanded=${String(all)} onClick=${() => setAll(!all)}>
      ${all ? 'Show fewer' : `Show all (${more} more)`}</button>`}
  </div>`;
}
