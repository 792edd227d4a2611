// The admin console's building blocks: a resource list with search, a
// form whose errors land on the field the server names, a dialog, and a
// page (ResourcePage) that puts them together for one kind of record.

import { html, useEffect, useRef, useState } from '../../vendor/htm-preact.js';
import { notify } from '../common.js';

// Dialog is a modal that closes on Escape or a click outside, and gives
// the focus back where it was.
export function Dialog({ title, onClose, children, wide }) {
  const box = useRef(null);
  useEffect(() => {
    const back = document.activeElement;
    const first = box.current && box.current.querySelector('input, select, textarea, button');
    if (first) first.focus();
    const key = (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      }
    };
    addEventListener('keydown', key, true);
    return () => {
      removeEventListener('keydown', key, true);
      if (back && back.focus) back.focus();
    };
  }, []);
  return html`<div class="overlay" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <div class=${'dialog admin-dialog' + (wide ? ' wide' : '')} role="dialog" aria-modal="true" aria-label=${title} ref=${box}>
      <div class="dialog-head"><h2>${title}</h2>
        <button class="btn btn-ghost btn-icon" aria-label="Close" onClick=${onClose}>×</button></div>
      ${children}
    </div>
  </div>`;
}

// fieldValue reads a form field as its kind says.
function fieldValue(f, el) {
  switch (f.type) {
    case 'checkbox':
      return el.checked;
    case 'number':
      return el.value === '' ? null : Number(el.value);
    case 'list':
      return el.value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return el.value;
  }
}

function shown(f, v) {
  if (f.type === 'list') return (v || []).join(', ');
  return v === undefined || v === null ? '' : v;
}

// Field draws one form field with its hint and, when the server named
// it, its error.
export function Field({ f, value, error, onChange }) {
  const id = 'f-' + f.name.replace(/[^a-z0-9_-]/gi, '-');
  const change = (e) => onChange(f.name, fieldValue(f, e.target));
  const invalid = error ? 'true' : undefined;
  const common = { id, name: f.name, 'aria-invalid': invalid, 'aria-describedby': error ? id + '-err' : undefined };
  let input;
  if (f.type === 'multi') {
    // A set of choices, one box each: the value is the list of those ticked.
    const on = new Set((value || []).map(String));
    const toggle = (v) => (e) => {
      const next = (f.options || []).map((o) => (Array.isArray(o) ? o[0] : o)).filter((x) => (String(x) === String(v) ? e.target.checked : on.has(String(x))));
      onChange(f.name, next);
    };
    return html`<fieldset class="field field-multi" id=${id} aria-invalid=${invalid} aria-describedby=${error ? id + '-err' : undefined}>
      <legend>${f.label}</legend>
      ${(f.options || []).length === 0 && html`<small class="muted">${f.empty || 'None to choose from.'}</small>`}
      <div class="multi-options">
        ${(f.options || []).map((o) => {
          const [v, label] = Array.isArray(o) ? o : [o, o];
          return html`<label class="check" key=${v}><input type="checkbox" name=${f.name} value=${v} checked=${on.has(String(v))}
            disabled=${f.readOnly} onChange=${toggle(v)} /> ${label}</label>`;
        })}
      </div>
      ${f.hint && html`<small class="muted">${f.hint}</small>`}
      ${error && html`<small class="field-error" id=${id + '-err'} role="alert">${error}</small>`}
    </fieldset>`;
  }
  if (f.type === 'checkbox') {
    return html`<div class="field field-check">
      <label class="check"><input type="checkbox" ...${common} checked=${!!value} disabled=${f.readOnly} onChange=${change} /> ${f.label}</label>
      ${f.hint && html`<small class="muted">${f.hint}</small>`}
      ${error && html`<small class="field-error" id=${id + '-err'} role="alert">${error}</small>`}
    </div>`;
  }
  if (f.type === 'select') {
    input = html`<select ...${common} value=${shown(f, value)} disabled=${f.readOnly} onChange=${change}>
      ${(f.options || []).map((o) => {
        const [v, label] = Array.isArray(o) ? o : [o, o];
        return html`<option value=${v}>${label}</option>`;
      })}
    </select>`;
  } else if (f.type === 'textarea') {
    input = html`<textarea ...${common} rows=${f.rows || 4} value=${shown(f, value)} readOnly=${f.readOnly} onInput=${change}></textarea>`;
  } else {
    const type = f.type === 'list' ? 'text' : f.type || 'text';
    input = html`<input ...${common} type=${type} value=${shown(f, value)} placeholder=${f.placeholder || ''}
      min=${f.min} max=${f.max} step=${f.step} readOnly=${f.readOnly} required=${f.required}
      autocomplete=${f.type === 'password' ? 'new-password' : 'off'} onInput=${change} />`;
  }
  return html`<div class="field">
    <label for=${id}>${f.label}</label>
    ${input}
    ${f.hint && html`<small class="muted">${f.hint}</small>`}
    ${error && html`<small class="field-error" id=${id + '-err'} role="alert">${error}</small>`}
  </div>`;
}

// errorFor places a server error: on the field it names (or the nearest
// form field whose name starts it), else on the form.
export function errorFor(fields, e) {
  const name = e && e.field;
  if (name) {
    const f = fields.find((f) => f.name === name) || fields.find((f) => name.startsWith(f.name + '.') || name.startsWith(f.name + '['));
    if (f) return { field: f.name, text: e.message };
  }
  return { field: '', text: (e && e.message) || String(e) };
}

// Form edits values with fields; onSubmit(values) saves them and may
// throw an API error, shown by its field.
export function Form({ fields, initial, onSubmit, submitLabel = 'Save', onCancel, children }) {
  const [values, setValues] = useState(() => ({ ...initial }));
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k, v) => {
    setValues((old) => ({ ...old, [k]: v }));
    if (err && err.field === k) setErr(null);
  };
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      await onSubmit(values);
    } catch (x) {
      setErr(errorFor(fields, x));
    } finally {
      setBusy(false);
    }
  };
  // options, readOnly and hint may depend on the values being edited.
  const resolve = (f) => {
    const out = { ...f };
    for (const k of ['options', 'readOnly', 'hint']) if (typeof f[k] === 'function') out[k] = f[k](values);
    return out;
  };
  const visible = fields.filter((f) => !f.when || f.when(values)).map(resolve);
  return html`<form class="admin-form" onSubmit=${submit} noValidate>
    <div class="admin-fields">
      ${visible.map((f) => html`<${Field} key=${f.name} f=${f} value=${values[f.name]}
        error=${err && err.field === f.name ? err.text : ''} onChange=${set} />`)}
    </div>
    ${children}
    ${err && !err.field && html`<p class="form-error" role="alert">${err.text}</p>`}
    <div class="form-foot">
      ${onCancel && html`<button type="button" class="btn" onClick=${onCancel}>Cancel</button>`}
      <button type="submit" class="btn btn-primary" disabled=${busy}>${busy ? 'Saving…' : submitLabel}</button>
    </div>
  </form>`;
}

// matches reports whether a row has q in one of keys (case-insensitive).
export function matches(row, keys, q) {
  if (!q) return true;
  const needle = q.toLowerCase();
  return keys.some((k) => {
    const v = typeof k === 'function' ? k(row) : row[k];
    return v !== undefined && v !== null && String(v).toLowerCase().includes(needle);
  });
}

// Table lists rows with columns [{key, label, render(row)}].
export function Table({ rows, columns, rowKey = (r) => r.id, testid, actions }) {
  return html`<div class="card table-card">
    <table class="table" data-testid=${testid}>
      <thead><tr>
        ${columns.map((c) => html`<th scope="col" key=${c.label}>${c.label}</th>`)}
        ${actions && html`<th scope="col" class="actions"><span class="sr-only">Actions</span></th>`}
      </tr></thead>
      <tbody>
        ${rows.map((r) => html`<tr key=${rowKey(r)} data-testid=${testid && testid + '-row'} data-key=${rowKey(r)}>
          ${columns.map((c) => html`<td key=${c.label} class=${c.class || ''}>${c.render ? c.render(r) : r[c.key]}</td>`)}
          ${actions && html`<td class="actions nowrap">${actions(r)}</td>`}
        </tr>`)}
      </tbody>
    </table>
  </div>`;
}

// Badge shows a short status word in a colour.
export const Badge = ({ tone = 'grey', children }) => html`<span class=${'pill pill-' + tone}>${children}</span>`;

// confirmed asks before something that cannot be undone.
export const confirmed = (text) => window.confirm(text);

// ResourcePage is a list of one kind of record with search, create, edit
// and delete or disable. spec:
//   title, intro, noun ("user"), testid
//   load(): rows          columns: [{key,label,render}]
//   searchKeys: keys or functions searched; searchLabel (optional)
//   fields: form fields (create and edit), editFields (edit only, optional)
//   blank: a new record's values; toForm(row): a record's form values
//   create(values), update(row, values), remove(row) (optional)
//   canRemove(row), confirmRemove(row): which rows may go, and the
//     question asked first (optional)
//   disable: {is(row), set(row, on)} (optional)
//   rowActions(row, reload): more buttons (optional)
//   filters: [{name,label,options,test(row,value)}] (optional)
export function ResourcePage({ spec }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [q, setQ] = useState('');
  const [filter, setFilter] = useState({});
  const [editing, setEditing] = useState(null); // {row} or {row:null} for new
  const load = async () => {
    try {
      setRows(await spec.load());
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void load(), [spec]);

  const noun = spec.noun;
  const save = async (values) => {
    const row = editing.row;
    if (row) {
      await spec.update(row, values);
      notify(`Saved the ${noun}.`, 'ok');
    } else {
      await spec.create(values);
      notify(`Created the ${noun}.`, 'ok');
    }
    setEditing(null);
    load();
  };
  const remove = async (row) => {
    if (!confirmed(spec.confirmRemove ? spec.confirmRemove(row) : `Delete this ${noun}? This cannot be undone.`)) return;
    try {
      await spec.remove(row);
      notify(`Deleted the ${noun}.`, 'ok');
      load();
    } catch (e) {
      notify(e.message, 'error');
    }
  };
  const toggle = async (row) => {
    try {
      await spec.disable.set(row, !spec.disable.is(row));
      load();
    } catch (e) {
      notify(e.message, 'error');
    }
  };

  const shownRows = (rows || []).filter(
    (r) =>
      matches(r, spec.searchKeys || [], q) &&
      (spec.filters || []).every((f) => !filter[f.name] || f.test(r, filter[f.name])),
  );
  const fields = editing && editing.row && spec.editFields ? spec.editFields : spec.fields;
  const search = spec.searchLabel || 'Search ' + spec.title.toLowerCase();
  return html`<div class="admin-section" data-testid=${spec.testid}>
    <div class="page-head">
      <h1>${spec.title}</h1>
      ${spec.intro && html`<p class="muted">${spec.intro}</p>`}
    </div>
    <div class="admin-toolbar">
      <input type="search" class="admin-search" placeholder=${search} aria-label=${search}
        value=${q} onInput=${(e) => setQ(e.target.value)} />
      ${(spec.filters || []).map((f) => html`<select key=${f.name} aria-label=${f.label} value=${filter[f.name] || ''}
        onChange=${(e) => setFilter({ ...filter, [f.name]: e.target.value })}>
        <option value="">${f.label}: all</option>
        ${f.options.map((o) => {
          const [v, label] = Array.isArray(o) ? o : [o, o];
          return html`<option value=${v}>${label}</option>`;
        })}
      </select>`)}
      ${spec.toolbar && spec.toolbar(load)}
      ${spec.create && html`<button class="btn btn-primary" data-testid=${spec.testid + '-new'} onClick=${() => setEditing({ row: null })}>New ${noun}</button>`}
    </div>
    ${error && html`<p class="form-error" role="alert">${error.message}</p>`}
    ${!rows && !error && html`<div class="card"><div class="skeleton"></div><div class="skeleton short"></div></div>`}
    ${rows && shownRows.length === 0 && html`<div class="card empty center"><p>${rows.length ? 'Nothing matches.' : spec.empty || `No ${noun}s yet.`}</p></div>`}
    ${rows && shownRows.length > 0 && html`<${Table} rows=${shownRows} columns=${spec.columns} testid=${spec.testid + '-table'} rowKey=${spec.rowKey}
      actions=${(r) => html`
        ${spec.rowActions && spec.rowActions(r, load)}
        ${spec.update && html`<button class="btn btn-small" onClick=${() => setEditing({ row: r })}>Edit</button>`}
        ${spec.disable && html`<button class="btn btn-small" onClick=${() => toggle(r)}>${spec.disable.is(r) ? 'Enable' : 'Disable'}</button>`}
        ${spec.remove && (!spec.canRemove || spec.canRemove(r)) && html`<button class="btn btn-small btn-danger" onClick=${() => remove(r)}>Delete</button>`}`} />`}
    ${editing && html`<${Dialog} title=${editing.row ? `Edit ${noun}` : `New ${noun}`} onClose=${() => setEditing(null)} wide=${spec.wide}>
      <${Form} fields=${fields} initial=${editing.row ? (spec.toForm ? spec.toForm(editing.row) : editing.row) : spec.blank || {}}
        submitLabel=${editing.row ? 'Save' : `Create ${noun}`} onSubmit=${save} onCancel=${() => setEditing(null)} />
    </${Dialog}>`}
  </div>`;
}
