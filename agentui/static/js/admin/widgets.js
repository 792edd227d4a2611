// The callback widgets: a site's "call me back" button and the managers
// who answer it. /admin/widgets lists them; /admin/widgets/<id>[/tab]
// edits one: main settings, managers and their hours, design, and the
// snippet and API keys a site integrates with.

import { html, useEffect, useMemo, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { notify } from '../common.js';
import { Link, navigate } from '../nav.js';
import { SecretOnce } from './apikeys.js';
import { Badge, Dialog, Field, Form, ResourcePage, Table, confirmed, errorFor } from './kit.js';

const SEQUENCES = [
  ['all', 'All managers at the same time'],
  ['random', 'In a random sequence, 5-10 s apart'],
  ['ordered', 'In the order of the list'],
  ['rank', 'By rank, highest first'],
];
const DAYS = [
  ['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday'],
];
const ZONES = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
const LOCAL_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

// flat turns {settings: {retry: {when}}} into {'settings.retry.when': …}
// so that form fields carry the names the server's errors use.
function flat(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj || {})) {
    if (v && typeof v === 'object' && !Array.isArray(v)) flat(v, prefix + k + '.', out);
    else out[prefix + k] = v;
  }
  return out;
}

// nest is flat's inverse, for the names given.
function nest(values, names) {
  const out = {};
  for (const name of names) {
    if (!(name in values)) continue;
    const parts = name.split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = o[p] = o[p] || {};
    o[parts[parts.length - 1]] = values[name];
  }
  return out;
}

const widgetPath = (id, tail = '') => `/widgets/${id}${tail}`;

// ---- the list

export function WidgetsPage({ path }) {
  const [, , , id, tab] = path.split('/');
  if (id) return html`<${WidgetPage} key=${id} id=${id} tab=${tab || ''} />`;
  return html`<${WidgetList} />`;
}

function WidgetList() {
  const spec = useMemo(
    () => ({
      title: 'My widgets',
      intro: 'A widget is the "call me back" button on a site: a visitor leaves a number and your managers call within seconds.',
      noun: 'widget',
      testid: 'widgets',
      empty: 'No widgets yet. Add one for the site it will be installed on.',
      load: async () => (await rest.get('/widgets')).widgets || [],
      searchKeys: ['name', 'site_url', 'widget_key'],
      columns: [
        { label: 'Widget', render: (r) => html`<${Link} href=${'/admin/widgets/' + r.id} class="strong" data-testid="widget-open">${r.name}</${Link}>
          <div class="muted small">${r.site_url}</div>` },
        { label: 'Key', render: (r) => html`<code class="small">${r.widget_key}</code>` },
        { label: 'Managers', class: 'num', render: (r) => r.managers },
        { label: 'Status', render: (r) => (r.active ? html`<${Badge} tone="green">Active</${Badge}>` : html`<${Badge}>Off</${Badge}>`) },
      ],
      fields: [
        { name: 'site_url', label: 'Site address', required: true, placeholder: 'https://www.example.com', hint: 'The site the widget is installed on (its origin, no path)' },
        { name: 'name', label: 'Name', required: true, hint: 'How you tell it apart, e.g. the shop' },
      ],
      blank: { site_url: '', name: '' },
      create: async (v) => {
        const w = await rest.post('/widgets', v);
        navigate('/admin/widgets/' + w.id);
      },
      remove: (r) => rest.del(widgetPath(r.id)),
      confirmRemove: (r) => `Delete the widget ${r.name} with its managers and keys? Its calls stay in their campaign.`,
      disable: { is: (r) => !r.active, set: (r, off) => rest.patch(widgetPath(r.id), { active: !off }) },
    }),
    [],
  );
  return html`<${ResourcePage} spec=${spec} />`;
}

// ---- one widget

const TABS = [
  ['', 'Main settings'],
  ['managers', 'Managers'],
  ['design', 'Design & content'],
  ['integration', 'Integration'],
];

function WidgetPage({ id, tab }) {
  const [w, setW] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    rest.get(widgetPath(id)).then(setW, setError);
  }, [id]);
  if (error) return html`<div class="card empty center"><p role="alert">${error.message}</p></div>`;
  if (!w) return html`<div class="card"><div class="skeleton"></div><div class="skeleton short"></div></div>`;
  const base = '/admin/widgets/' + w.id;
  return html`<div class="admin-section widget-page" data-testid="widget-page">
    <div class="page-head">
      <${Link} href="/admin/widgets" class="back small">← My widgets</${Link}>
      <h1>${w.name}</h1>
      <div class="widget-meta"><span class="muted">${w.site_url}</span>
        ${w.active ? html`<${Badge} tone="green">Active</${Badge}>` : html`<${Badge}>Off</${Badge}>`}</div>
    </div>
    <nav class="tabs" aria-label="Widget">
      ${TABS.map(([t, label]) => html`<${Link} key=${t} href=${base + (t ? '/' + t : '')} class=${'tab' + (tab === t ? ' on' : '')}
        aria-current=${tab === t ? 'page' : undefined} data-testid=${'widget-tab-' + (t || 'main')}>${label}</${Link}>`)}
    </nav>
    ${tab === 'managers' && html`<${Managers} w=${w} />`}
    ${tab === 'design' && html`<${Design} w=${w} onSaved=${setW} />`}
    ${tab === 'integration' && html`<${Integration} w=${w} />`}
    ${tab === '' && html`<${MainSettings} w=${w} onSaved=${setW} />`}
  </div>`;
}

const MAIN_FIELDS = [
  { name: 'site_url', label: 'Site address', section: 'Site', required: true },
  { name: 'name', label: 'Name', section: 'Site', required: true },
  { name: 'active', label: 'Active: the button shows on the site', type: 'checkbox', section: 'Site' },
  { name: 'settings.sequence', label: 'Call sequence', type: 'select', options: SEQUENCES, section: 'Calls',
    sectionIntro: 'Whom the widget rings when a visitor asks for a call, and how fast.' },
  { name: 'settings.callback_seconds', label: 'Time to call back (seconds)', type: 'number', min: 8, max: 59, section: 'Calls',
    hint: '8-59; the visitor sees this countdown' },
  { name: 'settings.confirm', label: 'Manager takes the call by', type: 'select', section: 'Calls',
    options: [['press1', 'Pressing 1'], ['stay', 'Staying on the line']] },
  { name: 'settings.retry.enabled', label: 'Call again when a call fails', type: 'checkbox', section: 'Retry' },
  { name: 'settings.retry.intervals', label: 'Wait before each attempt (seconds)', type: 'list', section: 'Retry',
    placeholder: '60, 300, 900', hint: 'Up to 10 attempts, each with its own wait', when: (v) => v['settings.retry.enabled'] },
  { name: 'settings.retry.when', label: 'Retry when', type: 'select', section: 'Retry', when: (v) => v['settings.retry.enabled'],
    options: [['visitor', 'The visitor did not answer'], ['managers', 'No manager answered'], ['both', 'Either']] },
  { name: 'settings.recording.enabled', label: 'Record calls', type: 'checkbox', section: 'Recording' },
  { name: 'settings.recording.warning', label: 'Warning played to the visitor', type: 'textarea', rows: 2, section: 'Recording',
    when: (v) => v['settings.recording.enabled'] },
  { name: 'settings.countries.mode', label: 'Countries the widget calls', type: 'select', section: 'Countries',
    options: [['all', 'All countries'], ['selected', 'Only the selected ones']] },
  { name: 'settings.countries.allowed', label: 'Allowed countries', type: 'list', section: 'Countries', placeholder: 'DE, AT, CH',
    hint: 'ISO codes, comma separated', when: (v) => v['settings.countries.mode'] === 'selected' },
  { name: 'settings.countries.first', label: 'Shown first', type: 'list', section: 'Countries', placeholder: 'DE', hint: 'At the top of the visitor’s list' },
  { name: 'settings.notify.new_request', label: 'New request', type: 'list', section: 'E-mail notifications',
    sectionIntro: 'Addresses told of each event, comma separated.', placeholder: 'sales@example.com' },
  { name: 'settings.notify.missed_call', label: 'Missed call', type: 'list', section: 'E-mail notifications' },
  { name: 'settings.notify.call_done', label: 'Call done', type: 'list', section: 'E-mail notifications' },
  { name: 'settings.sms.enabled', label: 'Text the visitor after the call', type: 'checkbox', section: 'SMS after the call' },
  { name: 'settings.sms.template', label: 'Message', type: 'textarea', rows: 3, section: 'SMS after the call',
    hint: 'May use {{widget}}, {{site}}, {{manager}}, {{visitor_phone}}, {{call_time}} and {{param_<name>}} for a lead parameter', when: (v) => v['settings.sms.enabled'] },
];

// save sends the fields named; lists of numbers go as numbers.
async function saveWidget(w, values, names, onSaved, done = 'Saved the widget.') {
  const body = nest(values, names);
  const r = body.settings && body.settings.retry;
  if (r && r.intervals) r.intervals = r.intervals.map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  onSaved(await rest.patch(widgetPath(w.id), body));
  notify(done, 'ok');
}

function MainSettings({ w, onSaved }) {
  const initial = flat({ site_url: w.site_url, name: w.name, active: w.active, settings: w.settings });
  const names = MAIN_FIELDS.map((f) => f.name);
  return html`<div data-testid="widget-main">
    <${Form} key=${w.updated_at} fields=${MAIN_FIELDS} initial=${initial} submitLabel="Save settings"
      onSubmit=${(v) => saveWidget(w, v, names, onSaved)} />
  </div>`;
}

// ---- design, with a preview of the button

const DESIGN_FIELDS = [
  { name: 'settings.design.button_color', label: 'Button', type: 'color' },
  { name: 'settings.design.background_color', label: 'Background', type: 'color' },
  { name: 'settings.design.text_color', label: 'Text', type: 'color' },
  { name: 'settings.design.position', label: 'Position', type: 'select', options: [['bottom-right', 'Bottom right'], ['bottom-left', 'Bottom left']] },
  { name: 'settings.design.language', label: 'Language', hint: 'e.g. en, de, pt-BR' },
  { name: 'settings.design.texts.title', label: 'Title', wide: true, hint: '{{seconds}} is the time to call back' },
  { name: 'settings.design.texts.button', label: 'Button text' },
  { name: 'settings.design.texts.countdown', label: 'Countdown', hint: '{{seconds}} counts down' },
  { name: 'settings.design.texts.success', label: 'After a call', wide: true },
  { name: 'settings.design.texts.failure', label: 'When nobody answered', wide: true },
  { name: 'settings.design.texts.outside_hours', label: 'Outside working hours', wide: true },
];

function Design({ w, onSaved }) {
  const [v, setV] = useState(() => flat({ settings: { design: w.settings.design } }));
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k, x) => setV((o) => ({ ...o, [k]: x }));
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      await saveWidget(w, v, DESIGN_FIELDS.map((f) => f.name), onSaved, 'Saved the design.');
      setErr(null);
    } catch (x) {
      setErr(errorFor(DESIGN_FIELDS, x));
    } finally {
      setBusy(false);
    }
  };
  const d = (k) => v['settings.design.' + k];
  const seconds = w.settings.callback_seconds;
  return html`<form class="widget-design" onSubmit=${save} noValidate data-testid="widget-design">
    <section class="card form-section">
      <h2>Look and words</h2>
      <div class="admin-fields">
        ${DESIGN_FIELDS.map((f) => html`<${Field} key=${f.name} f=${f} value=${v[f.name]}
          error=${err && err.field === f.name ? err.text : ''} onChange=${set} />`)}
      </div>
      ${err && !err.field && html`<p class="form-error" role="alert">${err.text}</p>`}
      <div class="form-foot"><button type="submit" class="btn btn-primary" disabled=${busy}>Save design</button></div>
    </section>
    <section class="card widget-preview-card" aria-label="Preview">
      <h2>Preview</h2>
      <div class="widget-preview-site">
        <div class=${'widget-preview ' + d('position')} data-testid="widget-preview"
          style=${{ background: d('background_color'), color: d('text_color') }}>
          <div class="widget-preview-title">${(d('texts.title') || '').replace('{{seconds}}', seconds)}</div>
          <div class="widget-preview-phone">+1 (555) 010-0000</div>
          <button type="button" class="widget-preview-button" style=${{ background: d('button_color') }}>${d('texts.button')}</button>
          <div class="widget-preview-small">${(d('texts.countdown') || '').replace('{{seconds}}', seconds)}</div>
        </div>
        <div class=${'widget-preview-bubble ' + d('position')} style=${{ background: d('button_color') }} aria-hidden="true">☎</div>
      </div>
    </section>
  </form>`;
}

// ---- integration: the snippet and the widget's API keys

function Integration({ w }) {
  const snippet = `<script src="${location.origin}/widget.js" data-widget-key="${w.widget_key}" async></script>`;
  const [keys, setKeys] = useState(null);
  const [name, setName] = useState('');
  const [err, setErr] = useState(null);
  const [made, setMade] = useState(null);
  const load = () => rest.get(widgetPath(w.id, '/api-keys')).then((r) => setKeys(r.api_keys || []), (e) => notify(e.message, 'error'));
  useEffect(() => void load(), [w.id]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(snippet);
      notify('Copied the snippet.', 'ok');
    } catch {
      notify('Copy did not work here: select the snippet and copy it.', 'error');
    }
  };
  const create = async (e) => {
    e.preventDefault();
    try {
      setMade(await rest.post(widgetPath(w.id, '/api-keys'), { name }));
      setName('');
      setErr(null);
      load();
    } catch (x) {
      setErr(x.message);
    }
  };
  const revoke = async (k) => {
    if (!confirmed(`Revoke the key ${k.name}? Whatever uses it stops working at once.`)) return;
    try {
      await rest.del(widgetPath(w.id, '/api-keys/' + k.id));
      load();
    } catch (x) {
      notify(x.message, 'error');
    }
  };
  return html`<div class="widget-integration" data-testid="widget-integration">
    <section class="card form-section">
      <h2>Install on ${w.site_url}</h2>
      <p class="muted">Paste this before <code>${'</body>'}</code> on every page of the site.</p>
      <div class="secret-row"><code class="secret snippet" data-testid="widget-snippet">${snippet}</code>
        <button class="btn" onClick=${copy} data-testid="widget-snippet-copy">Copy</button></div>
      <p class="muted small">The widget answers only on pages of ${w.site_url}. If the site sends a
        Content-Security-Policy, allow <code>${location.origin}</code> in its script-src, style-src and connect-src.</p>
    </section>
    <section class="card form-section">
      <h2>API keys</h2>
      <p class="muted">For your server to ask for calls to its leads (the lead-call API). The secret is shown once.</p>
      <form class="inline-form" onSubmit=${create}>
        <input aria-label="Key name" placeholder="Key name, e.g. crm" value=${name} onInput=${(e) => setName(e.target.value)} data-testid="widget-key-name" />
        <button class="btn btn-primary" type="submit" data-testid="widget-key-new">New API key</button>
      </form>
      ${err && html`<p class="form-error" role="alert">${err}</p>`}
      ${keys && keys.length === 0 && html`<p class="muted">No keys yet.</p>`}
      ${keys && keys.length > 0 && html`<${Table} rows=${keys} testid="widget-keys" columns=${[
        { label: 'Key', render: (k) => html`<div class="strong">${k.name}</div><code class="small muted">${k.prefix}…</code>` },
        { label: 'Made', render: (k) => new Date(k.created_at).toLocaleString() },
        { label: 'Status', render: (k) => (k.revoked_at ? html`<${Badge} tone="red">Revoked</${Badge}>` : html`<${Badge} tone="green">Active</${Badge}>`) },
      ]} actions=${(k) => !k.revoked_at && html`<button class="btn btn-small btn-danger" onClick=${() => revoke(k)}>Revoke</button>`} />`}
    </section>
    ${made && html`<${SecretOnce} made=${made} onClose=${() => setMade(null)} />`}
  </div>`;
}

// ---- managers

function hoursSummary(m) {
  const week = (m.hours && m.hours.week) || {};
  const open = DAYS.filter(([d]) => (week[d] || []).length);
  if (!open.length) return html`<span class="muted">No hours</span>`;
  return open.map(([d, label]) => html`<div key=${d} class="small"><span class="day">${label.slice(0, 3)}</span> ${week[d].join(', ')}</div>`);
}

function Managers({ w }) {
  const [rows, setRows] = useState(null);
  const [seats, setSeats] = useState([]);
  const [editing, setEditing] = useState(null);
  const [verifying, setVerifying] = useState(null);
  const [opening, setOpening] = useState(null);
  const base = widgetPath(w.id, '/managers');
  const load = async () => {
    try {
      setRows((await rest.get(base)).managers || []);
      setOpening(await rest.get(widgetPath(w.id, '/hours/next')));
    } catch (e) {
      notify(e.message, 'error');
    }
  };
  useEffect(() => {
    load();
    rest.get('/seats').then((r) => setSeats(r.agents || []), () => setSeats([]));
  }, [w.id]);
  const act = (fn, done) => async () => {
    try {
      await fn();
      if (done) notify(done, 'ok');
      load();
    } catch (e) {
      notify(e.message, 'error');
    }
  };
  const seatName = (id) => (seats.find((s) => s.id === id) || {}).name || 'Agent ' + id;
  return html`<div class="widget-managers" data-testid="widget-managers">
    <div class="admin-toolbar">
      <p class="muted grow">${opening && (opening.open
        ? html`<${Badge} tone="green">Open now</${Badge}> ${opening.open_managers.length} manager(s) can take a call.`
        : opening.next ? html`<${Badge} tone="amber">Closed</${Badge}> Next opening ${new Date(opening.next).toLocaleString()}.`
        : html`<${Badge}>Closed</${Badge}> No verified manager has working hours.`)}</p>
      <button class="btn btn-primary" data-testid="manager-new" onClick=${() => setEditing({ m: null })}>Add manager</button>
    </div>
    ${rows && rows.length === 0 && html`<div class="card empty center"><p>No managers yet. Add the people who answer this widget’s calls.</p></div>`}
    ${rows && rows.length > 0 && html`<${Table} rows=${rows} testid="managers" columns=${[
      { label: '#', class: 'num', render: (m) => m.position },
      { label: 'Manager', render: (m) => html`<div class="strong">${m.name}</div><div class="muted small">${m.time_zone}</div>` },
      { label: 'Answers on', render: (m) => m.agent_id
        ? html`<span>${seatName(m.agent_id)}</span> <${Badge} tone="blue">Seat</${Badge}>`
        : html`<span>${m.phone}</span> ${m.verified_at
          ? html`<${Badge} tone="green">Verified</${Badge}>`
          : html`<button class="btn btn-small" data-testid="manager-verify" onClick=${() => setVerifying(m)}>Verify</button>`}` },
      { label: 'Working hours', render: hoursSummary },
      { label: 'Rank', class: 'num', render: (m) => m.rank },
      { label: 'Status', render: (m) => (m.active ? html`<${Badge} tone="green">Active</${Badge}>` : html`<${Badge}>Off</${Badge}>`) },
    ]} actions=${(m) => html`
      <button class="btn btn-small" onClick=${() => setEditing({ m })}>Edit</button>
      <button class="btn btn-small" onClick=${act(() => rest.patch(`${base}/${m.id}`, { active: !m.active }))}>${m.active ? 'Deactivate' : 'Activate'}</button>
      <button class="btn btn-small btn-danger" onClick=${() => confirmed(`Delete the manager ${m.name}?`) && act(() => rest.del(`${base}/${m.id}`), 'Deleted the manager.')()}>Delete</button>`} />`}
    ${editing && html`<${ManagerDialog} w=${w} m=${editing.m} seats=${seats} next=${(rows || []).length}
      onClose=${() => setEditing(null)} onSaved=${() => { setEditing(null); load(); }} />`}
    ${verifying && html`<${VerifyDialog} w=${w} m=${verifying} onClose=${() => setVerifying(null)}
      onDone=${() => { setVerifying(null); notify('The number is verified.', 'ok'); load(); }} />`}
  </div>`;
}

function ManagerDialog({ w, m, seats, next, onClose, onSaved }) {
  const [v, setV] = useState(() => ({
    name: m ? m.name : '',
    kind: m && !m.agent_id ? 'phone' : 'agent',
    agent_id: m ? m.agent_id || 0 : 0,
    phone: m ? m.phone || '' : '',
    time_zone: m ? m.time_zone : LOCAL_ZONE,
    rank: m ? m.rank : 0,
    position: m ? m.position : next,
    active: m ? m.active : true,
  }));
  const [hours, setHours] = useState(() => ({
    week: { ...((m && m.hours && m.hours.week) || { mon: ['09:00-18:00'], tue: ['09:00-18:00'], wed: ['09:00-18:00'], thu: ['09:00-18:00'], fri: ['09:00-18:00'] }) },
    exceptions: [...((m && m.hours && m.hours.exceptions) || [])],
  }));
  const [err, setErr] = useState(null);
  const set = (k, x) => setV((o) => ({ ...o, [k]: x }));
  const save = async (e) => {
    e.preventDefault();
    const body = {
      name: v.name, time_zone: v.time_zone, rank: Number(v.rank) || 0, position: Number(v.position) || 0, active: v.active,
      agent_id: v.kind === 'agent' ? Number(v.agent_id) || 0 : 0, phone: v.kind === 'phone' ? v.phone : '', hours,
    };
    try {
      if (m) await rest.patch(widgetPath(w.id, `/managers/${m.id}`), body);
      else await rest.post(widgetPath(w.id, '/managers'), body);
      onSaved();
    } catch (x) {
      setErr({ field: x.field || '', text: x.message });
    }
  };
  const errOn = (name) => (err && err.field && (err.field === name || err.field.startsWith(name + '.') || err.field.startsWith(name + '[')) ? err.text : '');
  const f = (name, label, extra = {}) => html`<${Field} f=${{ name, label, ...extra }} value=${v[name]} error=${errOn(name)} onChange=${set} />`;
  return html`<${Dialog} title=${m ? 'Edit manager' : 'Add manager'} onClose=${onClose} wide=${true}>
    <form class="admin-form manager-form" onSubmit=${save} noValidate data-testid="manager-form">
      <div class="admin-fields">
        ${f('name', 'Name', { required: true })}
        ${f('kind', 'Answers on', { type: 'select', options: [['agent', 'An agent seat'], ['phone', 'An outside phone number']] })}
        ${v.kind === 'agent'
          ? f('agent_id', 'Agent', { type: 'select', options: [[0, 'Choose an agent…'], ...seats.map((s) => [s.id, `${s.name} (${s.extension})`])] })
          : f('phone', 'Phone number', { type: 'tel', placeholder: '+4930123456', hint: 'E.164; verified by an SMS code before it gets calls' })}
        ${f('time_zone', 'Time zone', { type: 'select', options: ZONES })}
        ${f('rank', 'Rank', { type: 'number', min: 0, max: 100, hint: 'Higher rings first with "by rank"' })}
        ${f('position', 'Order', { type: 'number', min: 0, hint: 'Place in the list for "in order"' })}
        ${f('active', 'Active', { type: 'checkbox' })}
      </div>
      <${HoursEditor} hours=${hours} onChange=${setHours} error=${errOn('hours') && { field: err.field, text: err.text }} />
      ${err && !err.field && html`<p class="form-error" role="alert">${err.text}</p>`}
      ${err && err.field && !['name', 'agent_id', 'phone', 'time_zone', 'rank', 'position', 'hours'].some((n) => errOn(n)) &&
        html`<p class="form-error" role="alert">${err.field}: ${err.text}</p>`}
      <div class="form-foot">
        <button type="button" class="btn" onClick=${onClose}>Cancel</button>
        <button type="submit" class="btn btn-primary" data-testid="manager-save">${m ? 'Save' : 'Add manager'}</button>
      </div>
    </form>
  </${Dialog}>`;
}

const split = (iv) => (iv || '-').split('-');

// HoursEditor edits a weekly schedule: per day its open intervals, and
// dated exceptions. error is the server's, named like hours.week.mon[1].
function HoursEditor({ hours, onChange, error }) {
  const setDay = (d, ivs) => {
    const week = { ...hours.week };
    if (ivs.length) week[d] = ivs;
    else delete week[d];
    onChange({ ...hours, week });
  };
  const copyMonday = () => {
    const mon = hours.week.mon || [];
    const week = { ...hours.week };
    for (const d of ['tue', 'wed', 'thu', 'fri']) {
      if (mon.length) week[d] = [...mon];
      else delete week[d];
    }
    onChange({ ...hours, week });
  };
  const setEx = (i, ex) => onChange({ ...hours, exceptions: hours.exceptions.map((e, j) => (j === i ? ex : e)) });
  const dayError = (d) => error && error.field.startsWith('hours.week.' + d) ? error.text : '';
  return html`<fieldset class="hours-editor" data-testid="hours-editor">
    <legend>Working hours</legend>
    <div class="hours-tools"><button type="button" class="btn btn-small" onClick=${copyMonday} data-testid="hours-copy-monday">Copy Monday to Tue–Fri</button></div>
    ${DAYS.map(([d, label]) => {
      const ivs = hours.week[d] || [];
      return html`<div class="hours-day" key=${d} data-testid=${'hours-' + d}>
        <label class="check day-name"><input type="checkbox" checked=${ivs.length > 0}
          onChange=${(e) => setDay(d, e.target.checked ? ['09:00-18:00'] : [])} /> ${label}</label>
        <div class="hours-intervals">
          ${ivs.length === 0 && html`<span class="muted small">Closed</span>`}
          ${ivs.map((iv, i) => {
            const [from, to] = split(iv);
            const put = (a, b) => setDay(d, ivs.map((x, j) => (j === i ? `${a}-${b}` : x)));
            return html`<span class="hours-iv" key=${i}>
              <input type="time" aria-label=${`${label} from`} value=${from} onInput=${(e) => put(e.target.value, to)} />
              <span>–</span>
              <input type="time" aria-label=${`${label} to`} value=${to === '24:00' ? '23:59' : to} onInput=${(e) => put(from, e.target.value)} />
              <button type="button" class="btn btn-ghost btn-icon" aria-label=${`Remove ${label} ${iv}`} onClick=${() => setDay(d, ivs.filter((_, j) => j !== i))}>×</button>
            </span>`;
          })}
          ${ivs.length > 0 && html`<button type="button" class="btn btn-small btn-ghost" onClick=${() => setDay(d, [...ivs, nextInterval(ivs)])}>+ interval</button>`}
        </div>
        ${dayError(d) && html`<small class="field-error" role="alert">${dayError(d)}</small>`}
      </div>`;
    })}
    <h3 class="field-heading">Exceptions</h3>
    <p class="muted small">Holidays and days with other hours.</p>
    ${hours.exceptions.map((ex, i) => html`<div class="hours-day" key=${i} data-testid="hours-exception">
      <input type="date" class="hours-date" aria-label="Date" value=${ex.date} onInput=${(e) => setEx(i, { ...ex, date: e.target.value })} />
      <label class="check"><input type="checkbox" checked=${!(ex.hours || []).length}
        onChange=${(e) => setEx(i, { ...ex, hours: e.target.checked ? [] : ['10:00-14:00'] })} /> Closed</label>
      ${(ex.hours || []).length > 0 && html`<input aria-label="Hours that day" value=${ex.hours.join(', ')} class="hours-text"
        onInput=${(e) => setEx(i, { ...ex, hours: e.target.value.split(',').map((s) => s.trim()).filter(Boolean) })} />`}
      <button type="button" class="btn btn-ghost btn-icon" aria-label="Remove exception"
        onClick=${() => onChange({ ...hours, exceptions: hours.exceptions.filter((_, j) => j !== i) })}>×</button>
      ${error && error.field.startsWith(`hours.exceptions[${i}]`) && html`<small class="field-error" role="alert">${error.text}</small>`}
    </div>`)}
    <button type="button" class="btn btn-small" data-testid="hours-add-exception"
      onClick=${() => onChange({ ...hours, exceptions: [...hours.exceptions, { date: new Date().toISOString().slice(0, 10), hours: [] }] })}>Add exception</button>
    ${error && !/^hours\.(week|exceptions)/.test(error.field) && html`<small class="field-error" role="alert">${error.text}</small>`}
  </fieldset>`;
}

// nextInterval suggests an hour after the day's last interval.
function nextInterval(ivs) {
  const last = split(ivs[ivs.length - 1])[1] || '12:00';
  const h = Math.min(Number(last.slice(0, 2)) + 1, 22);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(h)}:00-${p(h + 1)}:00`;
}

function VerifyDialog({ w, m, onClose, onDone }) {
  const [sent, setSent] = useState(null);
  const [code, setCode] = useState('');
  const [err, setErr] = useState('');
  const path = widgetPath(w.id, `/managers/${m.id}/verify`);
  const send = async () => {
    try {
      setSent(await rest.post(path));
      setErr('');
    } catch (e) {
      // Too soon after the last code: that one is still good.
      if (e.field === 'code') setSent({ earlier: true });
      setErr(e.message);
    }
  };
  useEffect(() => void send(), []);
  const confirm = async (e) => {
    e.preventDefault();
    try {
      await rest.post(path + '/confirm', { code: code.trim() });
      onDone();
    } catch (x) {
      setErr(x.message);
    }
  };
  return html`<${Dialog} title=${'Verify ' + m.phone} onClose=${onClose}>
    <form class="admin-form verify-form" onSubmit=${confirm} noValidate data-testid="verify-dialog">
      <p>${sent ? html`We sent a 6-digit code to <strong>${m.phone}</strong>. It is valid for 10 minutes.` : err ? '' : 'Sending a code…'}</p>
      <div class="field">
        <label for="verify-code">Code from the SMS</label>
        <input id="verify-code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" value=${code}
          onInput=${(e) => setCode(e.target.value)} aria-invalid=${err ? 'true' : undefined} data-testid="verify-code" />
        ${err && html`<small class="field-error" role="alert">${err}</small>`}
      </div>
      <div class="form-foot">
        <button type="button" class="btn" onClick=${send}>Send a new code</button>
        <button type="submit" class="btn btn-primary" data-testid="verify-confirm">Verify</button>
      </div>
    </form>
  </${Dialog}>`;
}
