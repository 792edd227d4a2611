// A campaign's lead lists, and the CSV import into one: the header row is
// read here to map each column to a lead field, the file streams to the
// server, and the import's counts come back on the event stream while
// the bar follows the bytes sent.

import { html, useEffect, useRef, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { notify } from '../common.js';
import { Stream } from '../stream.js';
import { navigate } from '../nav.js';
import { Badge, Dialog, Form, Table, confirmed } from './kit.js';

const STATUSES = ['new', 'retry', 'callback', 'dialing', 'done', 'dnc', 'invalid'];

// TARGETS are the lead fields a column may fill; "custom" asks for a key.
export const TARGETS = [
  ['', 'Ignore'],
  ['phone', 'Phone'],
  ['phone2', 'Second phone'],
  ['first_name', 'First name'],
  ['last_name', 'Last name'],
  ['email', 'E-mail'],
  ['time_zone', 'Time zone'],
  ['custom', 'Custom field'],
];

// REASONS say why the import refused rows, for people.
export const REASONS = {
  missing_phone: 'No phone number',
  bad_number: 'Not a valid phone number',
  duplicate_in_file: 'Number repeated in the file',
  duplicate_in_campaign: 'Number already a lead of the campaign',
  dnc: 'On the do-not-call list',
  too_many_columns: 'More columns than the header',
  invalid_utf8: 'Not UTF-8 text',
  line_too_long: 'Line too long',
  malformed_csv: 'Not valid CSV',
  bad_field: 'A field is invalid',
};

// csvRow splits the first record of text (RFC 4180 quoting); it returns
// the fields and where the record ends.
export function csvRow(text, from = 0) {
  const out = [];
  let i = from;
  let cur = '';
  let quoted = false;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      i++;
      break;
    } else cur += ch;
  }
  out.push(cur);
  return { fields: out, next: i };
}

// guess is the lead field a column's header most likely holds.
export function guess(header) {
  const h = header.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  const rules = [
    [/^(alt|alternate|second|secondary|other|2nd)\b|(phone|number|tel) ?2$/, 'phone2'],
    [/(^| )(phone|telephone|tel|number|msisdn|mobile|cell)( |$)/, 'phone'],
    [/^(first|given|fore)( ?name)?$|^fname$/, 'first_name'],
    [/^(last|family|sur)( ?name)?$|^lname$|^surname$/, 'last_name'],
    [/e ?mail/, 'email'],
    [/(time ?zone|^tz$|^zone$)/, 'time_zone'],
  ];
  for (const [re, t] of rules) if (re.test(h)) return t;
  return 'custom';
}

// customKey turns a header into a custom field key: 1-32 of [A-Za-z0-9_].
export const customKey = (h) => h.trim().replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 32) || 'field';

// initialMapping guesses a target for each column; a target is given once.
function initialMapping(header) {
  const taken = new Set();
  return header.map((h) => {
    let t = guess(h);
    // A second number column is the second phone.
    if (t === 'phone' && taken.has('phone')) t = 'phone2';
    if (t !== 'custom' && taken.has(t)) t = 'custom';
    taken.add(t);
    return { target: t, key: customKey(h) };
  });
}

async function readHead(file) {
  // The header and a few rows are in the first 64 KiB of any sane file.
  const text = (await file.slice(0, 64 << 10).text()).replace(/^\uFEFF/, '');
  const { fields: header, next } = csvRow(text);
  const sample = [];
  for (let at = next; at < text.length && sample.length < 3; ) {
    const r = csvRow(text, at);
    if (r.next === at) break;
    at = r.next;
    if (r.fields.some((f) => f !== '')) sample.push(r.fields);
  }
  return { header: header.map((h) => h.trim()), sample };
}

// upload sends file as the request body with the mapping; onSent(share)
// follows the bytes sent, onStart(abort) gives the way to stop it. It
// resolves to the import's record.
function upload(listId, file, mapping, onSent, onStart) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    onStart(() => x.abort());
    const q = `mapping=${encodeURIComponent(JSON.stringify(mapping))}&file_name=${encodeURIComponent(file.name)}`;
    x.open('POST', `/api/v1/lists/${listId}/import?${q}`);
    x.setRequestHeader('Content-Type', 'text/csv');
    x.setRequestHeader('Accept', 'application/json');
    x.setRequestHeader('X-Requested-With', 'agentswitch');
    x.upload.onprogress = (e) => e.lengthComputable && onSent(e.loaded / e.total);
    x.onload = () => {
      let data = null;
      try {
        data = JSON.parse(x.responseText);
      } catch {
        data = null;
      }
      if (x.status >= 200 && x.status < 300) resolve(data);
      else {
        const e = (data && data.error) || {};
        const err = new Error(e.message || x.statusText || 'The import failed');
        err.field = e.field || '';
        reject(err);
      }
    };
    x.onerror = () => reject(new Error('The server cannot be reached. Check your connection.'));
    x.onabort = () => reject(new Error('The import was stopped: nothing of it was kept.'));
    x.send(file);
  });
}

// useImportEvents calls fn with each import.progress record of list
// while on is set.
function useImportEvents(on, listId, fn) {
  const cb = useRef(fn);
  cb.current = fn;
  useEffect(() => {
    if (!on) return;
    const s = new Stream({
      onSnapshot: () => {},
      onEvent: (ev) => ev.type === 'import.progress' && ev.import && ev.import.list_id === listId && cb.current(ev.import),
      onStatus: () => {},
      onSessionEnded: () => {},
      onRefused: () => {},
    });
    s.start();
    return () => s.stop();
  }, [on, listId]);
}

// Report shows an import's counts, its refusals by reason and, when some
// rows were refused, the link to their report.
export function ImportReport({ im, done }) {
  const reasons = Object.entries(im.rejected_by_reason || {}).sort((a, b) => b[1] - a[1]);
  return html`<div class="import-report" data-testid="import-report">
    <dl class="figures">
      <div><dt>Rows read</dt><dd data-testid="import-read">${im.rows_read}</dd></div>
      <div><dt>Imported</dt><dd class="good" data-testid="import-imported">${im.rows_imported}</dd></div>
      <div><dt>Rejected</dt><dd class=${im.rows_rejected ? 'bad' : ''} data-testid="import-rejected">${im.rows_rejected}</dd></div>
    </dl>
    ${reasons.length > 0 && html`<table class="table reasons"><thead><tr><th scope="col">Rejected because</th><th scope="col" class="num">Rows</th></tr></thead>
      <tbody>${reasons.map(([r, n]) => html`<tr key=${r}><td>${REASONS[r] || r}</td><td class="num">${n}</td></tr>`)}</tbody></table>`}
    ${done && im.rows_rejected > 0 && html`<p><a class="btn" href=${`/api/v1/imports/${im.id}/errors.csv`} download data-testid="import-errors">Download error report</a>
      <span class="muted small"> each refused row with its line and reason</span></p>`}
  </div>`;
}

function ImportDialog({ list, onClose }) {
  const [file, setFile] = useState(null);
  const [head, setHead] = useState(null);
  const [cols, setCols] = useState([]);
  const [err, setErr] = useState(null);
  const [phase, setPhase] = useState('pick'); // pick, running, done
  const [sent, setSent] = useState(0);
  const [im, setIm] = useState(null);
  const stop = useRef(null);
  useImportEvents(phase === 'running', list.id, (rec) => setIm((old) => (old && old.status !== 'running' ? old : rec)));

  const pick = async (e) => {
    const f = e.target.files[0];
    setErr(null);
    if (!f) return;
    try {
      const h = await readHead(f);
      if (!h.header.length || h.header.every((x) => !x)) throw new Error('The file has no header row.');
      setFile(f);
      setHead(h);
      setCols(initialMapping(h.header));
    } catch (x) {
      setErr({ field: 'file', text: x.message });
    }
  };
  const setCol = (i, patch) => {
    setCols(cols.map((c, j) => (j === i ? { ...c, ...patch } : c)));
    setErr(null);
  };
  const mapping = () => {
    const m = {};
    head.header.forEach((h, i) => {
      const c = cols[i];
      if (c.target) m[h] = c.target === 'custom' ? 'custom:' + c.key : c.target;
    });
    return m;
  };
  const start = async () => {
    if (!cols.some((c) => c.target === 'phone')) {
      setErr({ field: '', text: 'Map one column to Phone.' });
      return;
    }
    setErr(null);
    setPhase('running');
    setSent(0);
    setIm(null);
    try {
      const out = await upload(list.id, file, mapping(), setSent, (abort) => (stop.current = abort));
      setIm(out);
      setPhase('done');
      notify(`Imported ${out.rows_imported} leads into ${list.name}.`, 'ok');
    } catch (x) {
      setPhase('pick');
      const col = x.field && x.field.startsWith('mapping.') ? x.field.slice(8) : '';
      setErr({ field: col ? 'col:' + col : x.field === 'file' ? 'file' : '', text: x.message });
    }
  };

  const share = phase === 'done' ? 1 : sent;
  // Leaving while it runs stops the import, which keeps none of its
  // leads: by its id once the stream has named it (the server may hold
  // the whole file already), and by dropping the upload.
  const close = async () => {
    if (phase !== 'running') return onClose();
    if (!confirmed('Stop the import? None of its leads will be kept.')) return;
    if (im && im.id) {
      try {
        await rest.post(`/imports/${im.id}/cancel`);
      } catch (x) {
        notify(x.message, 'error');
      }
    }
    if (stop.current) stop.current();
    notify('Import stopped: none of its leads were kept.', 'info');
    onClose();
  };
  return html`<${Dialog} title=${'Import leads into ' + list.name} onClose=${close} wide>
    ${phase === 'pick' && html`<div class="import-pick">
      <div class="field">
        <label for="import-file">CSV file</label>
        <input id="import-file" type="file" accept=".csv,text/csv,text/plain" onChange=${pick}
          aria-invalid=${err && err.field === 'file' ? 'true' : undefined} />
        <small class="muted">The first row names the columns. Numbers without + are read in the campaign's country.</small>
        ${err && err.field === 'file' && html`<small class="field-error" role="alert">${err.text}</small>`}
      </div>
      ${head && html`<h3>Columns</h3>
        <p class="muted small">Say what each column holds. Rows whose number is invalid, repeated in the file, already a lead of
          the campaign or on the do-not-call list are not imported; they are listed in the error report.</p>
        <table class="table mapping" data-testid="import-mapping">
          <thead><tr><th scope="col">Column</th><th scope="col">Sample</th><th scope="col">Goes to</th></tr></thead>
          <tbody>${head.header.map((h, i) => {
            const bad = err && err.field === 'col:' + h;
            return html`<tr key=${i}>
              <th scope="row">${h || html`<span class="muted">(unnamed)</span>`}</th>
              <td class="muted small sample">${head.sample.map((r) => r[i]).filter(Boolean).slice(0, 2).join(', ')}</td>
              <td>
                <div class="map-to">
                  <select aria-label=${'Column ' + h} value=${cols[i].target} aria-invalid=${bad ? 'true' : undefined}
                    onChange=${(e) => setCol(i, { target: e.target.value })}>
                    ${TARGETS.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
                  </select>
                  ${cols[i].target === 'custom' && html`<input aria-label=${'Custom field for ' + h} value=${cols[i].key}
                    onInput=${(e) => setCol(i, { key: e.target.value })} />`}
                </div>
                ${bad && html`<small class="field-error" role="alert">${err.text}</small>`}
              </td>
            </tr>`;
          })}</tbody>
        </table>`}
      ${err && err.field !== 'file' && !err.field.startsWith('col:') && html`<p class="form-error" role="alert">${err.text}</p>`}
      <div class="form-foot">
        <button class="btn" onClick=${close}>Cancel</button>
        <button class="btn btn-primary" disabled=${!head} onClick=${start}>Import</button>
      </div>
    </div>`}
    ${phase !== 'pick' && html`<div class="import-run">
      <p>${phase === 'running' ? html`Importing <strong>${file.name}</strong>…` : html`<strong>${file.name}</strong>: ${im && im.status === 'committed' ? 'done.' : im ? im.status : ''}`}</p>
      <div class="progress" role="progressbar" aria-label="Import progress" aria-valuemin="0" aria-valuemax="100"
        aria-valuenow=${Math.round(share * 100)} data-testid="import-progress" data-import=${im ? im.id : ''}>
        <div class="progress-bar" style=${`width:${(share * 100).toFixed(1)}%`}></div>
      </div>
      ${im ? html`<${ImportReport} im=${im} done=${phase === 'done'} />` : html`<p class="muted small">Waiting for the first counts…</p>`}
      ${phase === 'done' && html`<div class="form-foot"><button class="btn btn-primary" onClick=${onClose}>Done</button></div>`}
    </div>`}
  </${Dialog}>`;
}

function NameDialog({ title, name, submitLabel, onSubmit, onClose }) {
  return html`<${Dialog} title=${title} onClose=${onClose}>
    <${Form} fields=${[{ name: 'name', label: 'List name', required: true, hint: 'Where the leads came from, e.g. "Trade show, March"' }]}
      initial=${{ name }} submitLabel=${submitLabel} onSubmit=${onSubmit} onCancel=${onClose} />
  </${Dialog}>`;
}

const leadsOf = (c, l) => `/admin/leads?campaign=${c.id}&list=${l.id}`;

// openLink goes to an admin path with a query without reloading: the
// query is the page's to read, the path the console's.
function openLink(e, href) {
  if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
  e.preventDefault();
  history.pushState(null, '', href);
  navigate(href.split('?')[0]);
}

// CampaignLists is the campaign page's Lead lists tab.
export function CampaignLists({ campaign, onChange = () => {} }) {
  const [lists, setLists] = useState(null);
  const [error, setError] = useState(null);
  const [dialog, setDialog] = useState(null); // {kind, list}
  const load = async () => {
    try {
      const ls = (await rest.get(`/campaigns/${campaign.id}/lists`)) || [];
      setLists(await Promise.all(ls.map((l) => rest.get(`/lists/${l.id}`).catch(() => l))));
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void load(), [campaign.id]);
  const close = () => {
    setDialog(null);
    load();
    onChange();
  };
  const create = async (v) => {
    await rest.post(`/campaigns/${campaign.id}/lists`, { name: v.name });
    notify('Created the list.', 'ok');
    close();
  };
  const rename = async (v) => {
    await rest.patch(`/lists/${dialog.list.id}`, { name: v.name });
    notify('Renamed the list.', 'ok');
    close();
  };
  const toggle = async (l) => {
    try {
      await rest.patch(`/lists/${l.id}`, { active: !l.active });
      load();
    } catch (e) {
      notify(e.message, 'error');
    }
  };
  const remove = async (l) => {
    if (!confirmed(`Delete the list ${l.name}? Its leads never called go; the others stay in the campaign.`)) return;
    try {
      const r = await rest.del(`/lists/${l.id}`);
      notify(`Deleted the list: ${r.deleted} leads removed, ${r.detached} kept.`, 'ok');
      load();
      onChange();
    } catch (e) {
      notify(e.message, 'error');
    }
  };
  const counts = (l) => STATUSES.filter((s) => l.leads && l.leads[s]).map((s) => html`<span class="count" key=${s}>${s} ${l.leads[s]}</span>`);
  return html`<div data-testid="lists">
    <div class="admin-toolbar">
      <p class="muted">Leads come in lists; a list switched off keeps its leads without dialing them.</p>
      <button class="btn btn-primary" onClick=${() => setDialog({ kind: 'new' })}>New list</button>
    </div>
    ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
    ${!lists && !error && html`<div class="card"><div class="skeleton"></div></div>`}
    ${lists && lists.length === 0 && html`<div class="card empty center"><p>No lead lists yet: make one, then import a CSV file into it.</p></div>`}
    ${lists && lists.length > 0 && html`<${Table} rows=${lists} testid="lists-table" columns=${[
      { label: 'List', render: (l) => html`<div class="strong">${l.name}</div><div class="muted small">since ${new Date(l.created_at).toLocaleDateString()}</div>` },
      { label: 'Status', render: (l) => (l.active ? html`<${Badge} tone="green">Dialing</${Badge}>` : html`<${Badge}>Off</${Badge}>`) },
      { label: 'Leads', class: 'num', render: (l) => l.total ?? '–' },
      { label: 'By status', render: (l) => html`<div class="counts">${counts(l)}</div>` },
    ]} actions=${(l) => html`
      <button class="btn btn-small btn-primary" onClick=${() => setDialog({ kind: 'import', list: l })}>Import CSV</button>
      <a class="btn btn-small" href=${leadsOf(campaign, l)} onClick=${(e) => openLink(e, leadsOf(campaign, l))}>Leads</a>
      <button class="btn btn-small" onClick=${() => setDialog({ kind: 'rename', list: l })}>Rename</button>
      <button class="btn btn-small" onClick=${() => toggle(l)}>${l.active ? 'Switch off' : 'Switch on'}</button>
      <button class="btn btn-small btn-danger" onClick=${() => remove(l)}>Delete</button>`} />`}
    ${dialog && dialog.kind === 'new' && html`<${NameDialog} title="New lead list" name="" submitLabel="Create list" onSubmit=${create} onClose=${() => setDialog(null)} />`}
    ${dialog && dialog.kind === 'rename' && html`<${NameDialog} title="Rename the list" name=${dialog.list.name} submitLabel="Rename" onSubmit=${rename} onClose=${() => setDialog(null)} />`}
    ${dialog && dialog.kind === 'import' && html`<${ImportDialog} list=${dialog.list} onClose=${close} />`}
  </div>`;
}
