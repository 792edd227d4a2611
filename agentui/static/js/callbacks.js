// Callbacks: the page listing every scheduled callback with its lead, the
// short list beside the phone, and the offers the dialer pushes when one
// is due.

import { html, useEffect, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { setState, useStore } from './store.js';
import { useAction, useNow, notify } from './common.js';
import { clock, fullName, inZone, localZone, phone, relative } from './format.js';
import { Icon } from './icons.js';
import { navigate, Link } from './nav.js';

function useCallbacks(scope, rev) {
  const [list, setList] = useState(null);
  const [error, setError] = useState('');
  const [n, reload] = useState(0);
  useEffect(() => {
    let live = true;
    api.callbacks(scope).then(
      (r) => live && (setList(r.callbacks || []), setError('')),
      (e) => live && setError(e.message),
    );
    return () => (live = false);
  }, [scope, rev, n]);
  return [list, error, () => reload((x) => x + 1)];
}

// useCampaignNames maps campaign ids to names, read once.
let campaignNames = null;
function useCampaignNames() {
  const [names, set] = useState(campaignNames || {});
  useEffect(() => {
    if (campaignNames) return;
    api.campaigns().then(
      (r) => set((campaignNames = Object.fromEntries((r.campaigns || []).map((c) => [c.id, c.name])))),
      () => {},
    );
  }, []);
  return names;
}

function canDialNow(s) {
  return s.agent && ['READY', 'PAUSED', 'DISPO'].includes(s.agent.state);
}

async function dialCallback(run, cb) {
  const r = await run(() => api.dialCallback(cb.id));
  if (r.ok) {
    setState((s) => ({ offers: s.offers.filter((o) => o.id !== cb.id) }));
    navigate('/');
  }
  return r;
}

function dueClass(cb, now) {
  const d = Date.parse(cb.due_at) - now;
  if (d < 0) return 'overdue';
  if (d < 3600000) return 'soon';
  return 'later';
}

export function CallbacksPage() {
  const s = useStore();
  const supervisor = s.me.role === 'supervisor' || s.me.role === 'admin';
  const [scope, setScope] = useState('mine');
  const [list, error, reload] = useCallbacks(scope, s.callbacksRev);
  const campaigns = useCampaignNames();
  const [run, busy] = useAction();
  const now = useNow();
  const dialable = canDialNow(s);
  const done = async (cb) => {
    const r = await run(() => api.doneCallback(cb.id));
    if (r.ok) {
      notify('Callback marked done', 'ok');
      reload();
    }
  };
  return html`<div class="page">
    <div class="page-head">
      <h1>Callbacks</h1>
      <p class="muted">Scheduled follow-up calls, soonest first. Times are the lead's local time.</p>
      ${supervisor &&
      html`<div class="segmented" role="radiogroup" aria-label="Whose callbacks">
        <label class=${scope === 'mine' ? 'on' : ''}><input type="radio" name="scope" checked=${scope === 'mine'} onChange=${() => setScope('mine')} /> Mine</label>
        <label class=${scope === 'all' ? 'on' : ''}><input type="radio" name="scope" checked=${scope === 'all'} onChange=${() => setScope('all')} /> Everyone's</label>
      </div>`}
    </div>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    ${!list && !error && html`<div class="card"><div class="skeleton"></div><div class="skeleton short"></div></div>`}
    ${list && list.length === 0 && html`<div class="card empty center">
      <${Icon} name="calendar" size=${28} /><p>No callbacks scheduled.</p>
      <p class="muted small">Choose a callback disposition after a call to schedule one.</p></div>`}
    ${list &&
    list.length > 0 &&
    html`<div class="card table-card">
      <table class="table" data-testid="callbacks-table">
        <thead><tr>
          <th scope="col">Due</th><th scope="col">Lead</th><th scope="col">Phone</th><th scope="col">Notes</th>
          <th scope="col">Status</th><th scope="col"><span class="sr-only">Actions</span></th>
        </tr></thead>
        <tbody>
          ${list.map((cb) => {
            const l = cb.lead || {};
            const due = dueClass(cb, now);
            return html`<tr key=${cb.id} data-testid="callback-row" data-callback-id=${cb.id}>
              <td><div class=${'due due-' + due}>${inZone(cb.due_at, cb.time_zone)}</div>
                <div class="muted small">${relative(cb.due_at, now)}${cb.time_zone ? ' · ' + cb.time_zone : ''}
                  ${cb.time_zone && cb.time_zone !== localZone() ? html` · ${clock(cb.due_at)} your time` : ''}</div></td>
              <td><div class="strong">${fullName(l) || 'Lead #' + cb.lead_id}</div>
                <div class="muted small">${[campaigns[cb.campaign_id], l.email].filter(Boolean).join(' · ')}</div></td>
              <td class="nowrap">${phone(l.phone)}</td>
              <td class="notes">${cb.notes || html`<span class="muted">—</span>`}</td>
              <td><span class=${'chip chip-' + due}>${due === 'overdue' ? 'Overdue' : due === 'soon' ? 'Due soon' : 'Scheduled'}</span>
                ${!cb.agent_id && html` <span class="chip">Anyone</span>`}</td>
              <td class="actions nowrap">
                <button class="btn btn-dial btn-small" disabled=${!dialable || busy} onClick=${() => dialCallback(run, cb)}
                  aria-label=${'Dial ' + (fullName(l) || phone(l.phone))}><${Icon} name="phone" size=${14} /> Dial</button>
                <button class="btn btn-ghost btn-small" disabled=${busy} onClick=${() => done(cb)}
                  aria-label=${'Mark the callback to ' + (fullName(l) || phone(l.phone)) + ' done'}><${Icon} name="check" size=${14} /> Done</button>
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`}
    ${!dialable && s.agent && html`<p class="muted small">You can dial a callback when you are not on a call.</p>`}
  </div>`;
}

// NextCallbacks is the short list beside the phone.
export function NextCallbacks() {
  const s = useStore();
  const [list] = useCallbacks('mine', s.callbacksRev);
  const now = useNow();
  if (!list || list.length === 0) return null;
  return html`<section class="card next-callbacks" aria-labelledby="nc-title">
    <header class="panel-head"><h2 id="nc-title"><${Icon} name="calendar" size=${16} /> Next callbacks</h2>
      <${Link} href="/callbacks" class="small">See all ${list.length}</${Link}></header>
    <ul>
      ${list.slice(0, 4).map((cb) => {
        const l = cb.lead || {};
        return html`<li key=${cb.id}><span class=${'dot due-' + dueClass(cb, now)} aria-hidden="true"></span>
          <span class="strong">${fullName(l) || phone(l.phone)}</span>
          <span class="muted small">${relative(cb.due_at, now)} · ${inZone(cb.due_at, cb.time_zone)}</span></li>`;
      })}
    </ul>
  </section>`;
}

// Offers are callbacks the dialer says are due now.
export function Offers({ s }) {
  return s.offers.length ? html`<${OfferCards} s=${s} />` : null;
}

function OfferCards({ s }) {
  const [run, busy] = useAction();
  // The offer names the lead; the list has its name and number.
  const [list] = useCallbacks('mine', s.callbacksRev);
  const dialable = canDialNow(s);
  return html`${s.offers.map((cb) => {
    const item = (list || []).find((x) => x.id === cb.id);
    const l = (item && item.lead) || {};
    const dismiss = () => setState((st) => ({ offers: st.offers.filter((o) => o.id !== cb.id) }));
    return html`<section class="card offer" role="alert" data-testid="callback-offer">
      <div class="offer-icon" aria-hidden="true"><${Icon} name="calendar" size=${22} /></div>
      <div class="offer-text">
        <h2>Callback due: ${fullName(l) || phone(l.phone) || 'lead #' + cb.lead_id}</h2>
        <p class="muted small">${inZone(cb.due_at, cb.time_zone)}${cb.notes ? ' · ' + cb.notes : ''}</p>
      </div>
      <div class="offer-actions">
        <button class="btn btn-dial" disabled=${!dialable || busy} onClick=${() => dialCallback(run, cb)}><${Icon} name="phone" size=${14} /> Dial now</button>
        <button class="btn btn-ghost" onClick=${dismiss}>Later</button>
      </div>
    </section>`;
  })}`;
}
