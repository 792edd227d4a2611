// Campaigns: the list with each one's state and figures, and a page per
// campaign with every setting the dialer reads, in sections, and its lead
// lists. A save sends only what changed, so settings someone else changed
// meanwhile are kept.

import { html, useEffect, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { notify } from '../common.js';
import { zones } from '../format.js';
import { Link, navigate } from '../nav.js';
import { Badge, Form, ResourcePage } from './kit.js';
import { CampaignLists } from './lists.js';

export const DIAL_MODES = [
  ['manual', 'Manual: agents dial'],
  ['preview', 'Preview: agents see the lead first'],
  ['progressive', 'Progressive: a line per ready agent'],
  ['predictive', 'Predictive: paced by answer rate'],
];

const ORDERS = [
  ['new_first', 'New leads first'],
  ['oldest_first', 'Longest waiting first'],
  ['priority', 'By priority'],
  ['random', 'Random'],
];

const DAYS = [
  ['mon', 'Mon'],
  ['tue', 'Tue'],
  ['wed', 'Wed'],
  ['thu', 'Thu'],
  ['fri', 'Fri'],
  ['sat', 'Sat'],
  ['sun', 'Sun'],
];

const RETRIES = [
  ['busy', 'Busy'],
  ['no_answer', 'No answer'],
  ['failed', 'Failed or unreachable'],
  ['machine', 'Answering machine'],
  ['abandoned', 'Abandoned (no agent came)'],
];

const ACTIONS = [
  ['retry', 'Retry later'],
  ['callback', 'Callback'],
  ['done', 'Done'],
  ['dnc', 'Do not call'],
];

// span reads seconds as people say them: "90 min", "4 h", "2 days".
export function span(sec) {
  if (sec === null || sec === undefined || sec === '' || Number.isNaN(sec)) return '';
  if (sec < 120) return `${sec} s`;
  if (sec < 2 * 3600) return `${+(sec / 60).toFixed(1)} min`;
  if (sec < 2 * 86400) return `${+(sec / 3600).toFixed(1)} h`;
  return `${+(sec / 86400).toFixed(1)} days`;
}

// status is a campaign's state in one word.
export const status = (c) => (c.archived_at ? 'archived' : c.active ? 'active' : 'paused');

const STATUS_TONE = { active: 'green', paused: 'amber', archived: 'grey' };

export const StatusBadge = ({ c }) => {
  const s = status(c);
  return html`<${Badge} tone=${STATUS_TONE[s]}>${s[0].toUpperCase() + s.slice(1)}</${Badge}>`;
};

// PACING_MODES are a predictive campaign's ways of spending its abandon
// allowance, named as other dialers name them.
const PACING_MODES = [
  ['strict', 'Strict: plan at 60% of the ceiling, stop near it'],
  ['tapered', 'Tapered: plan at the ceiling, ease off as the day nears it'],
  ['average', 'Average: hold the 30-day average at the ceiling'],
];

const modeLabel = (m) => (DIAL_MODES.find(([k]) => k === m) || [m, m])[1].split(':')[0];

// settingsFields are the campaign page's form: columns and settings by
// their API names, nested ones dotted (retry_delays.busy) so that the
// server's errors land on them.
function settingsFields(dispositions, agents) {
  const defaultAction = (d) => (d.marks_dnc ? 'dnc' : d.schedules_callback ? 'callback' : d.final ? 'done' : 'retry');
  const actionLabel = (a) => ACTIONS.find(([k]) => k === a)[1];
  return [
    { section: 'General', name: 'name', label: 'Name', required: true },
    { section: 'General', name: 'dial_mode', label: 'Dial mode', type: 'select', options: DIAL_MODES },
    { section: 'General', name: 'lead_order', label: 'Lead order', type: 'select', options: ORDERS },
    { section: 'General', name: 'lines_per_agent', label: 'Lines per agent', type: 'number', min: 1, max: 10, hint: 'Progressive mode: leads dialed per ready agent, 1-10' },
    { section: 'General', name: 'preview_timeout_seconds', label: 'Preview timeout (seconds)', type: 'number', min: 0, max: 3600, hint: 'Preview mode dials by itself after this; 0 waits for the agent' },
    { section: 'General', name: 'max_attempts', label: 'Max attempts per lead', type: 'number', min: 1, max: 100, hint: '1-100' },
    { section: 'General', name: 'wrapup_seconds', label: 'Wrap-up (seconds)', type: 'number', min: 0, max: 3600, hint: 'Agents are made ready after this; 0 waits for them' },

    { section: 'Predictive pacing', sectionIntro: 'Predictive mode: how many lines the pacer may dial, and the abandoned calls it may risk.',
      name: 'pacing_mode', label: 'Pacing mode', type: 'select', options: PACING_MODES },
    { section: 'Predictive pacing', name: 'abandon_ceiling_pct', label: 'Abandon ceiling (%)', type: 'number', min: 0.1, max: 3, step: 0.1,
      hint: 'Abandoned calls per 100 answered by a person; at most 3, the legal limit' },
    { section: 'Predictive pacing', name: 'min_agents', label: 'Minimum agents', type: 'number', min: 1, max: 1000,
      hint: 'With fewer agents working, the campaign dials progressive' },
    { section: 'Predictive pacing', name: 'max_lines_per_agent', label: 'Max lines per agent', type: 'number', min: 1, max: 10, step: 0.1,
      hint: 'Lines ringing per agent working, at most' },

    { section: 'Caller ID', name: 'caller_id', label: 'Caller ID', placeholder: '+14155550100', hint: "Shown to leads; empty: the gateway's" },
    { section: 'Caller ID', name: 'country', label: 'Country', placeholder: 'US', hint: 'ISO code numbers without + are read in; empty: the service default' },
    { section: 'Caller ID', name: 'caller_id_pool', label: 'Local presence pool', type: 'list', wide: true, placeholder: '+14155550100, +12125550100',
      hint: "Numbers shown to leads in their own area code, comma separated; others get the caller ID" },

    { section: 'Calling window', sectionIntro: "When leads may be called, in each lead's local time.", name: 'calling_window.days', label: 'Days', type: 'multi', options: DAYS, wide: true },
    { section: 'Calling window', name: 'calling_window.hours', label: 'Hours', placeholder: '08:00-21:00', hint: 'Spans such as 09:00-12:00, 13:00-20:00; empty: 08:00-21:00' },
    { section: 'Calling window', name: 'calling_window.time_zone', label: 'Time zone when the lead has none', type: 'select', options: [['', 'UTC'], ...zones()] },
    { section: 'Calling window', name: 'calling_window.holidays', label: 'Holidays', type: 'list', wide: true, placeholder: '2026-12-25, 2027-01-01', hint: 'Dates (YYYY-MM-DD) no lead is called' },

    ...RETRIES.map(([k, label], i) => ({
      section: 'Retry delays', sectionIntro: i === 0 ? 'Seconds before a lead is dialed again after a call that ended so.' : undefined,
      name: 'retry_delays.' + k, label, type: 'number', min: 0, step: 60, hint: (v) => (v['retry_delays.' + k] ? span(v['retry_delays.' + k]) : 'at once'),
    })),

    ...dispositions.map((d, i) => ({
      section: 'Dispositions', sectionIntro: i === 0 ? 'What each disposition does to its lead in this campaign.' : undefined,
      name: 'disposition_actions.' + d.code, label: `${d.label} (${d.code})`, type: 'select',
      options: [['', `Default: ${actionLabel(defaultAction(d))}`], ...ACTIONS],
    })),

    { section: 'Recording and messages', name: 'recording', label: 'Record calls', type: 'select', options: [['off', 'Never'], ['always', 'Always'], ['ask', 'After a consent message']] },
    { section: 'Recording and messages', name: 'consent_message', label: 'Consent message', placeholder: 'consent/en.wav', hint: 'Sound played before recording; required with consent' },
    { section: 'Recording and messages', name: 'abandon_message', label: 'Abandon message', placeholder: 'abandon/en.wav', hint: 'Sound played when no agent is free in time' },

    { section: 'Agents', name: 'allowed_agents', label: 'Only these agents take its calls', type: 'multi', wide: true,
      options: agents.map((a) => [a.id, `${a.name} (${a.extension})`]), hint: 'None chosen: every agent assigned to the campaign', empty: 'No agents yet.' },

    { section: 'Script', name: 'script', label: 'Script', type: 'textarea', rows: 10, wide: true, hint: 'Shown to agents on the call; {first_name} and other lead fields are filled in' },
  ];
}

// toForm flattens a campaign into the form's values.
function toForm(c, dispositions) {
  const s = c.settings || {};
  const cw = s.calling_window || {};
  const v = {
    name: c.name, dial_mode: c.dial_mode, caller_id: c.caller_id || '', abandon_message: c.abandon_message || '', script: c.script || '',
    wrapup_seconds: c.wrapup_seconds, max_attempts: c.max_attempts,
    lines_per_agent: s.lines_per_agent, lead_order: s.lead_order, preview_timeout_seconds: s.preview_timeout_seconds,
    pacing_mode: s.pacing_mode, abandon_ceiling_pct: s.abandon_ceiling_pct, min_agents: s.min_agents, max_lines_per_agent: s.max_lines_per_agent,
    caller_id_pool: s.caller_id_pool || [], country: s.country || '', recording: s.recording, consent_message: s.consent_message || '',
    allowed_agents: s.allowed_agents || [],
    'calling_window.days': cw.days || DAYS.map(([d]) => d),
    'calling_window.hours': (cw.hours || []).map((h) => `${h.start}-${h.end}`).join(', '),
    'calling_window.time_zone': cw.time_zone || '',
    'calling_window.holidays': cw.holidays || [],
  };
  for (const [k] of RETRIES) v['retry_delays.' + k] = (s.retry_delays || {})[k];
  for (const d of dispositions) v['disposition_actions.' + d.code] = (s.disposition_actions || {})[d.code] || '';
  return v;
}

// callingWindow builds the calling_window value over the stored one
// (keeping its regions); null when nothing is left: the default window.
function callingWindow(v, stored) {
  const cw = { ...(stored || {}) };
  const days = v['calling_window.days'] || [];
  if (days.length === DAYS.length) delete cw.days;
  else cw.days = DAYS.map(([d]) => d).filter((d) => days.includes(d));
  const hours = (v['calling_window.hours'] || '').split(',').map((s) => s.trim()).filter(Boolean);
  if (hours.length) {
    cw.hours = hours.map((h) => {
      const m = h.match(/^(\S+?)\s*-\s*(\S+)$/);
      return m ? { start: m[1], end: m[2] } : { start: h, end: '' };
    });
  } else delete cw.hours;
  if (v['calling_window.time_zone']) cw.time_zone = v['calling_window.time_zone'];
  else delete cw.time_zone;
  if ((v['calling_window.holidays'] || []).length) cw.holidays = v['calling_window.holidays'];
  else delete cw.holidays;
  return Object.keys(cw).length ? cw : null;
}

// toBody is the PATCH body of the form's values: nested objects built
// back from their dotted fields.
function toBody(v, c, dispositions) {
  const b = {};
  for (const k of ['name', 'dial_mode', 'caller_id', 'abandon_message', 'script', 'wrapup_seconds', 'max_attempts', 'lines_per_agent',
    'lead_order', 'preview_timeout_seconds', 'pacing_mode', 'abandon_ceiling_pct', 'min_agents', 'max_lines_per_agent',
    'caller_id_pool', 'country', 'recording', 'consent_message', 'allowed_agents']) {
    b[k] = v[k];
  }
  b.retry_delays = Object.fromEntries(RETRIES.map(([k]) => [k, v['retry_delays.' + k]]));
  b.disposition_actions = Object.fromEntries(dispositions.map((d) => [d.code, v['disposition_actions.' + d.code] || null]));
  b.calling_window = callingWindow(v, (c.settings || {}).calling_window);
  return b;
}

// changes keeps the keys of body whose value differs from before's; in
// nested objects only the keys that changed (the API merges them).
function changes(body, before) {
  const out = {};
  for (const [k, v] of Object.entries(body)) {
    if (JSON.stringify(v) === JSON.stringify(before[k])) continue;
    if ((k === 'retry_delays' || k === 'disposition_actions') && v) {
      out[k] = Object.fromEntries(Object.entries(v).filter(([kk, vv]) => JSON.stringify(vv) !== JSON.stringify((before[k] || {})[kk])));
    } else out[k] = v;
  }
  return out;
}

// stateActions are the buttons that pause, resume, archive and unarchive.
function StateActions({ c, onDone }) {
  const act = async (action, done) => {
    try {
      onDone(await rest.post(`/campaigns/${c.id}/${action}`));
      notify(`${c.name} ${done}.`, 'ok');
    } catch (e) {
      notify(e.message, 'error');
    }
  };
  const s = status(c);
  return html`
    ${s === 'active' && html`<button class="btn btn-small" onClick=${() => act('pause', 'paused')}>Pause</button>`}
    ${s === 'paused' && html`<button class="btn btn-small" onClick=${() => act('resume', 'resumed')}>Resume</button>`}
    ${s === 'archived'
      ? html`<button class="btn btn-small" onClick=${() => act('unarchive', 'unarchived')}>Unarchive</button>`
      : html`<button class="btn btn-small" onClick=${() => act('archive', 'archived')}>Archive</button>`}`;
}

const pct = (x) => (x * 100).toFixed(1) + '%';

function CampaignList() {
  const spec = {
    title: 'Campaigns',
    intro: 'Outbound campaigns: how they dial, when, and whom.',
    noun: 'campaign',
    testid: 'campaigns',
    load: async () => {
      const list = (await rest.get('/campaigns?archived=all')).campaigns || [];
      // Figures are a nicety: a campaign without them still lists.
      const [stats, lists] = await Promise.all([
        Promise.all(list.map((c) => rest.get(`/campaigns/${c.id}/stats`).catch(() => null))),
        Promise.all(list.map((c) => rest.get(`/campaigns/${c.id}/lists`).catch(() => null))),
      ]);
      return list.map((c, i) => ({ ...c, stats: stats[i], lists: lists[i] }));
    },
    searchKeys: ['name', 'dial_mode', 'caller_id'],
    filters: [{ name: 'status', label: 'Status', options: [['active', 'Active'], ['paused', 'Paused'], ['archived', 'Archived']], test: (r, v) => status(r) === v }],
    columns: [
      { label: 'Campaign', class: 'wide-cell', render: (r) => html`<${Link} href=${'/admin/campaigns/' + r.id} class="strong">${r.name}</${Link}>
        <div class="muted small">${r.caller_id || 'Gateway caller ID'}</div>` },
      { label: 'Status', render: (r) => html`<${StatusBadge} c=${r} />` },
      { label: 'Dial mode', render: (r) => modeLabel(r.dial_mode) },
      { label: 'Lists', class: 'num', render: (r) => (r.lists ? r.lists.length : '–') },
      { label: 'Leads', class: 'num', render: (r) => (r.stats ? r.stats.leads_total : '–') },
      { label: 'Dialable', class: 'num', render: (r) => (r.stats ? r.stats.dialable_now : '–') },
      { label: 'Calls today', class: 'num', render: (r) => (r.stats ? r.stats.today.attempts : '–') },
      { label: 'Abandon rate', class: 'num', render: (r) => (r.stats && r.stats.today.answered ? pct(r.stats.today.abandon_rate) : '–') },
    ],
    fields: [
      { name: 'name', label: 'Name', required: true },
      { name: 'dial_mode', label: 'Dial mode', type: 'select', options: DIAL_MODES },
      { name: 'caller_id', label: 'Caller ID', placeholder: '+14155550100', hint: "Shown to leads; empty: the gateway's" },
      { name: 'max_attempts', label: 'Max attempts per lead', type: 'number', min: 1, max: 100, hint: '1-100' },
    ],
    blank: { name: '', dial_mode: 'progressive', caller_id: '', max_attempts: 3 },
    create: async (v) => {
      const c = await rest.post('/campaigns', v);
      // The rest of its settings are on its page.
      navigate('/admin/campaigns/' + c.id);
    },
    rowActions: (r, reload) => html`<${Link} class="btn btn-small" href=${'/admin/campaigns/' + r.id}>Open</${Link}>
      <${StateActions} c=${r} onDone=${reload} />`,
    empty: 'No campaigns yet: make one, then import its leads.',
  };
  return html`<${ResourcePage} spec=${spec} />`;
}

// Figures is the campaign's live strip: its leads and today's calls.
function Figures({ stats }) {
  if (!stats) return null;
  const t = stats.today;
  const items = [
    ['Leads', stats.leads_total],
    ['Dialable now', stats.dialable_now],
    ['Calls today', t.attempts],
    ['Answered', t.answered],
    ['Abandon rate', t.answered ? pct(t.abandon_rate) : '–'],
    ['Avg talk', t.avg_talk_seconds ? Math.round(t.avg_talk_seconds) + ' s' : '–'],
  ];
  return html`<dl class="figures card">${items.map(([k, v]) => html`<div key=${k}><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

function CampaignPage({ id, tab }) {
  const [c, setC] = useState(null);
  const [aux, setAux] = useState(null); // {dispositions, agents}
  const [stats, setStats] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    Promise.all([
      rest.get(`/campaigns/${id}`),
      rest.get('/dispositions').then((r) => r.dispositions || []),
      // Every seat, signed in or not.
      rest.get('/seats').then((r) => r.agents || []).catch(() => []),
    ]).then(([cp, dispositions, agents]) => {
      if (!live) return;
      setC(cp);
      setAux({ dispositions, agents });
    }, (e) => live && setError(e));
    return () => (live = false);
  }, [id]);
  const loadStats = () => rest.get(`/campaigns/${id}/stats`).then(setStats, () => {});
  useEffect(() => void loadStats(), [id]);

  if (error) return html`<div class="card empty center"><p role="alert">${error.message}</p><${Link} href="/admin/campaigns">All campaigns</${Link}></div>`;
  if (!c || !aux) return html`<div class="card"><div class="skeleton"></div><div class="skeleton short"></div></div>`;

  const fields = settingsFields(aux.dispositions, aux.agents);
  const initial = toForm(c, aux.dispositions);
  const save = async (v) => {
    const before = toBody(initial, c, aux.dispositions);
    const body = changes(toBody(v, c, aux.dispositions), before);
    if (!Object.keys(body).length) {
      notify('Nothing to save: no setting changed.', 'info');
      return;
    }
    setC(await rest.patch(`/campaigns/${c.id}`, body));
    notify('Saved the campaign.', 'ok');
  };
  const base = '/admin/campaigns/' + c.id;
  return html`<div class="admin-section campaign-page" data-testid="campaign-page">
    <div class="page-head campaign-head">
      <${Link} href="/admin/campaigns" class="back small">← Campaigns</${Link}>
      <h1>${c.name}</h1>
      <div class="campaign-meta"><${StatusBadge} c=${c} /> <span class="muted">${modeLabel(c.dial_mode)}</span></div>
      <div class="campaign-actions"><${StateActions} c=${c} onDone=${setC} /></div>
    </div>
    <${Figures} stats=${stats} />
    <nav class="tabs" aria-label="Campaign">
      <${Link} href=${base} class=${'tab' + (tab ? '' : ' on')} aria-current=${tab ? undefined : 'page'}>Settings</${Link}>
      <${Link} href=${base + '/lists'} class=${'tab' + (tab === 'lists' ? ' on' : '')} aria-current=${tab === 'lists' ? 'page' : undefined}>Lead lists</${Link}>
    </nav>
    ${tab === 'lists'
      ? html`<${CampaignLists} campaign=${c} onChange=${loadStats} />`
      : html`<${Form} key=${c.updated_at} fields=${fields} initial=${initial} onSubmit=${save} submitLabel="Save settings" />`}
  </div>`;
}

// CampaignsPage is /admin/campaigns, /admin/campaigns/<id> and
// /admin/campaigns/<id>/lists.
export function CampaignsPage({ path }) {
  const [, , , id, tab] = path.split('/');
  if (id) return html`<${CampaignPage} key=${id} id=${id} tab=${tab || ''} />`;
  return html`<${CampaignList} />`;
}
