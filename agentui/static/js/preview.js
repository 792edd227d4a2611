// The preview card: a preview campaign offers the agent a lead before it
// is dialed. The agent reads the lead and its history, then dials it or
// skips it with a reason (the lead goes back to the campaign for later).
// When the campaign dials by itself after a while, a countdown says when.

import { html, useEffect, useRef, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { ms } from './store.js';
import { useAction, useNow, Kbd, notify } from './common.js';
import { duration, fullName, phone } from './format.js';
import { Icon } from './icons.js';
import { bind } from './shortcuts.js';
import { ZoneClock } from './lead.js';
import { LeadHistory } from './history.js';
import { modeSentence } from './campaign.js';

export const SKIP_REASONS = ['Wrong time zone', 'Already spoke today', 'Bad data'];
const OTHER = 'Other';
const REASON_MAX = 200;

export function PreviewCard({ s }) {
  const p = s.agent.preview;
  // A new lead starts with a fresh card: no half-typed reason carried over.
  return html`<${Preview} key=${p.lead.id + '@' + p.offered_at} s=${s} p=${p} />`;
}

function Preview({ s, p }) {
  const lead = p.lead;
  const agentId = s.me.agent.id;
  const campaign = s.agent.campaign;
  const [skipping, setSkipping] = useState(false);
  const [error, setError] = useState(null);
  const [run, busy] = useAction();
  const root = useRef(null);
  const name = fullName(lead) || phone(lead.phone);

  const dial = async () => {
    if (busy) return;
    setError(null);
    const r = await run(() => api.previewDial(agentId), { quiet: true });
    if (!r.ok) setError(r.error);
  };
  const closeSkip = () => {
    setSkipping(false);
    const b = root.current && root.current.querySelector('[data-action=skip]');
    if (b) b.focus();
  };
  useEffect(
    () =>
      bind(
        skipping
          ? { escape: { run: closeSkip } }
          : {
              d: { run: dial, label: 'Dial the previewed lead' },
              s: { run: () => setSkipping(true), label: 'Skip the previewed lead' },
            },
      ),
    [skipping, busy],
  );

  const custom = Object.entries(lead.custom || {}).sort(([a], [b]) => a.localeCompare(b));
  return html`<section class="card preview-card" ref=${root} aria-labelledby="preview-title" data-testid="preview-card" data-lead-id=${lead.id}>
    <header class="preview-head">
      <div>
        <p class="eyebrow"><${Icon} name="user" size=${13} /> Lead to preview${campaign ? ' · ' + campaign.name : ''}</p>
        <h2 id="preview-title" class="preview-name" data-testid="preview-name">${name}</h2>
        <p class="preview-meta">
          <span data-testid="preview-phone"><${Icon} name="phone" size=${13} /> ${phone(lead.phone)}</span>
          ${lead.time_zone
            ? html`<span data-testid="preview-local-time"><${Icon} name="clock" size=${13} /> Their time: <${ZoneClock} zone=${lead.time_zone} /></span>`
            : html`<span class="muted"><${Icon} name="clock" size=${13} /> Time zone unknown</span>`}
          <span class="muted">${lead.attempts ? `${lead.attempts} earlier attempt${lead.attempts === 1 ? '' : 's'}` : 'Never called'}</span>
        </p>
      </div>
      <${Countdown} at=${ms(p.dial_at)} />
    </header>

    ${custom.length > 0 &&
    html`<dl class="preview-fields" aria-label="Lead details">
      ${lead.email && html`<div><dt>Email</dt><dd>${lead.email}</dd></div>`}
      ${custom.map(([k, v]) => html`<div key=${k}><dt>${k.replace(/_/g, ' ')}</dt><dd>${v}</dd></div>`)}
    </dl>`}

    <h3 class="section-title">History</h3>
    <${LeadHistory} leadId=${lead.id} rev=${s.historyRev} zone=${lead.time_zone} />

    ${error && html`<p class="form-error" role="alert" data-testid="preview-error">${error.message}</p>`}
    ${skipping
      ? html`<${SkipForm} agentId=${agentId} onCancel=${closeSkip} />`
      : html`<div class="preview-actions">
          <button class="btn btn-dial btn-big" disabled=${busy} onClick=${dial} aria-keyshortcuts="D" data-testid="preview-dial">
            <${Icon} name="phone" size=${18} /> ${busy ? 'Dialing…' : `Dial ${phone(lead.phone)}`} <${Kbd} k="D" />
          </button>
          <button class="btn" data-action="skip" disabled=${busy} onClick=${() => setSkipping(true)} aria-keyshortcuts="S">
            Skip… <${Kbd} k="S" />
          </button>
        </div>`}
    ${campaign && html`<p class="muted small">${modeSentence(campaign.dial_mode)}. Skipped leads go back to the campaign for later.</p>`}
  </section>`;
}

// Countdown: when the campaign dials the lead by itself.
function Countdown({ at }) {
  const now = useNow();
  if (!at) return null;
  const left = Math.max(0, Math.ceil((at - now) / 1000));
  return html`<div class=${'countdown' + (left <= 5 ? ' soon' : '')} role="timer" aria-live=${left <= 5 ? 'polite' : 'off'}
    data-testid="preview-countdown" data-seconds=${left}>
    ${left > 0 ? html`Dialing in <strong>${left < 60 ? left + ' s' : duration(left)}</strong>` : 'Dialing…'}
  </div>`;
}

// SkipForm asks why: the reason is kept with the lead.
function SkipForm({ agentId, onCancel }) {
  const [choice, setChoice] = useState('');
  const [other, setOther] = useState('');
  const [error, setError] = useState(null);
  const [run, busy] = useAction();
  const form = useRef(null);
  useEffect(() => {
    const first = form.current && form.current.querySelector('input[name=skip-reason]');
    if (first) first.focus();
  }, []);
  const reason = choice === OTHER ? other.trim() : choice;
  const submit = async (e) => {
    e.preventDefault();
    if (!reason) {
      setError({ field: 'reason', message: choice === OTHER ? 'Say why in a few words.' : 'Choose a reason.' });
      return;
    }
    setError(null);
    const r = await run(() => api.previewSkip(agentId, reason), { quiet: true });
    if (r.ok) notify('Lead skipped: it goes back to the campaign', 'ok');
    else setError(r.error);
  };
  const invalid = error && error.field === 'reason';
  return html`<form class="skip-form" ref=${form} onSubmit=${submit} aria-label="Skip this lead" data-testid="skip-form">
    <fieldset class="choice">
      <legend>Why skip this lead?</legend>
      ${[...SKIP_REASONS, OTHER].map(
        (r) => html`<label class="option compact" key=${r}>
          <input type="radio" name="skip-reason" value=${r} checked=${choice === r} onChange=${() => setChoice(r)}
            aria-invalid=${invalid && !reason ? 'true' : undefined} />
          <span><strong>${r}</strong></span>
        </label>`,
      )}
      ${choice === OTHER &&
      html`<div class="field">
        <label for="skip-other">Reason</label>
        <input id="skip-other" name="skip-other" maxlength=${REASON_MAX} value=${other} autocomplete="off"
          placeholder="e.g. Asked to be called in March" aria-describedby="skip-other-count"
          aria-invalid=${invalid ? 'true' : undefined} onInput=${(e) => setOther(e.currentTarget.value)} />
        <small class="muted" id="skip-other-count">${other.length} of ${REASON_MAX} characters</small>
      </div>`}
    </fieldset>
    ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
    <div class="preview-actions">
      <button class="btn btn-primary" type="submit" disabled=${busy}>${busy ? 'Skipping…' : 'Skip lead'}</button>
      <button class="btn btn-ghost" type="button" onClick=${onCancel}>Cancel <${Kbd} k="Esc" /></button>
    </div>
  </form>`;
}
