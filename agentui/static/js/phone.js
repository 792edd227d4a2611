// The phone widget: number entry and dialpad with Dial, and the History
// tab of recent calls (click one to call the number back).

import { html, useEffect, useRef, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { useAction, Kbd } from './common.js';
import { duration, phone, when } from './format.js';
import { Icon } from './icons.js';
import { Recording } from './history.js';

const KEYS = [
  ['1', ''], ['2', 'ABC'], ['3', 'DEF'], ['4', 'GHI'], ['5', 'JKL'], ['6', 'MNO'],
  ['7', 'PQRS'], ['8', 'TUV'], ['9', 'WXYZ'], ['*', ''], ['0', '+'], ['#', ''],
];
const DIALABLE = ['READY', 'PAUSED', 'DISPO'];

export function PhoneWidget({ s }) {
  const [tab, setTab] = useState('dial');
  const [number, setNumber] = useState('');
  const [run, busy] = useAction();
  const input = useRef(null);
  const id = s.me.agent.id;
  const canDial = s.agent && DIALABLE.includes(s.agent.state);

  const dial = async (n) => {
    const num = (n ?? number).trim();
    if (!num || !canDial || busy) return;
    // A manual dial counts on the campaign the agent works.
    const body = { number: num };
    if (s.agent.campaign) body.campaign_id = s.agent.campaign.id;
    const r = await run(() => api.dial(id, body));
    if (r.ok) setNumber('');
  };
  const tabs = [
    ['dial', 'Dialpad', 'keypad'],
    ['history', 'History', 'clock'],
  ];
  const onTabKey = (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const next = tab === 'dial' ? 'history' : 'dial';
    setTab(next);
    const el = document.getElementById('tab-' + next);
    if (el) el.focus();
  };
  return html`<section class="panel phone" aria-label="Phone">
    <div class="tabs" role="tablist" aria-label="Phone" onKeyDown=${onTabKey}>
      ${tabs.map(
        ([k, label, icon]) => html`<button role="tab" id=${'tab-' + k} aria-selected=${tab === k} aria-controls=${'tabpanel-' + k}
          tabindex=${tab === k ? 0 : -1} class=${'tab' + (tab === k ? ' on' : '')} onClick=${() => setTab(k)}>
          <${Icon} name=${icon} size=${15} /> ${label}</button>`,
      )}
    </div>
    ${tab === 'dial'
      ? html`<div role="tabpanel" id="tabpanel-dial" aria-labelledby="tab-dial" class="dialer">
          <form onSubmit=${(e) => (e.preventDefault(), dial())}>
            <label class="sr-only" for="dial-number">Phone number</label>
            <div class="number-box">
              <input id="dial-number" ref=${input} type="tel" inputmode="tel" autocomplete="off" placeholder="Enter a number"
                value=${number} onInput=${(e) => setNumber(e.currentTarget.value)} aria-keyshortcuts="Enter" />
              ${number &&
              html`<button type="button" class="btn btn-icon btn-ghost" aria-label="Delete the last digit"
                onClick=${() => (setNumber(number.slice(0, -1)), input.current.focus())}><${Icon} name="backspace" size=${18} /></button>`}
            </div>
            <div class="keys">
              ${KEYS.map(
                ([d, letters]) => html`<button type="button" class="key" aria-label=${d}
                  onClick=${() => (setNumber(number + d), input.current.focus())}>
                  <span class="key-digit">${d}</span><span class="key-letters">${letters}</span></button>`,
              )}
            </div>
            <button class="btn btn-dial btn-block" type="submit" disabled=${!number.trim() || !canDial || busy}>
              <${Icon} name="phone" size=${18} /> ${busy ? 'Dialing…' : 'Dial'} <${Kbd} k="Enter" />
            </button>
            ${!canDial && html`<p class="muted small center">${s.agent ? 'You can dial when you are not on a call.' : 'Log in to your phone to dial.'}</p>`}
          </form>
        </div>`
      : html`<${History} s=${s} id=${id} canDial=${canDial} dial=${dial} />`}
  </section>`;
}

const STATUS = { answered: 'Answered', missed: 'Missed', failed: 'Failed' };

function History({ s, id, canDial, dial }) {
  const [calls, setCalls] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    api.history(id, 50).then(
      (r) => live && (setCalls(r.calls || []), setError('')),
      (e) => live && setError(e.message),
    );
    return () => (live = false);
  }, [id, s.historyRev]);
  return html`<div role="tabpanel" id="tabpanel-history" aria-labelledby="tab-history" class="history">
    ${error && html`<p class="form-error">${error}</p>`}
    ${!calls && !error && html`<p class="muted pad">Loading…</p>`}
    ${calls && calls.length === 0 && html`<p class="muted pad center">No calls yet today.</p>`}
    ${calls &&
    calls.length > 0 &&
    html`<ul class="history-list" data-testid="history-list">
      ${calls.map((c) => {
        const icon = c.direction === 'inbound' ? 'inbound' : 'outbound';
        return html`<li key=${c.call_id}>
          <button class="history-row" disabled=${!canDial} data-testid="history-row" data-call-id=${c.call_id} data-number=${c.number}
            aria-label=${`Call ${phone(c.number)} back: ${c.direction} ${STATUS[c.status] || c.status}, ${when(c.time)}`}
            onClick=${() => dial(c.number)}>
            <span class=${'hdir hs-' + c.status} title=${c.direction === 'inbound' ? 'Inbound' : 'Outbound'}>
              <${Icon} name=${icon} size=${16} />
            </span>
            <span class="hmain">
              <span class="hnum">${phone(c.number)}</span>
              <span class="hsub">${c.direction === 'inbound' ? 'Inbound' : 'Outbound'} · ${when(c.time)}${c.disposition ? ' · ' + c.disposition : ''}</span>
            </span>
            <span class="hright">
              <span class=${'chip chip-' + c.status}>${STATUS[c.status] || c.status}</span>
              <span class="hdur">${c.status === 'answered' ? duration(c.duration_sec) : '—'}</span>
            </span>
          </button>
          ${c.recording && html`<${Recording} id=${c.call_id} at=${c.time} />`}
        </li>`;
      })}
    </ul>`}
  </div>`;
}
