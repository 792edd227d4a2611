// The directory of colleagues and queues a call can go to, with each
// colleague's presence, and the picker that finds one by keyboard.
//
// Presence is read when a transfer or conference panel opens and every
// 10 s while it stays open: the agent's event stream carries its own
// state only, and carrying everyone's changes to every agent would cost
// the server a message per change per agent all day for a panel that is
// seldom open.

import { html, useEffect, useMemo, useRef, useState } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { STATE_LABEL } from './statusbar.js';
import { Icon } from './icons.js';

const REFRESH_MS = 10000;
// Options drawn at most; typing narrows the rest (a thousand rows would
// slow every keystroke).
const SHOWN = 50;

// The last directory read: a panel opened again shows it at once.
let last = null;

// useDirectory reads the directory now and every REFRESH_MS while the
// component is shown; one request at a time.
export function useDirectory() {
  const [dir, setDir] = useState(last);
  const [error, setError] = useState(null);
  useEffect(() => {
    let alive = true;
    let timer = 0;
    const load = async () => {
      try {
        const d = await api.directory();
        last = { agents: d.agents || [], queues: d.queues || [] };
        if (alive) {
          setDir(last);
          setError(null);
        }
      } catch (e) {
        if (alive) setError(e);
      }
      if (alive) timer = setTimeout(load, REFRESH_MS);
    };
    load();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, []);
  return { dir, error };
}

// colleagueName is a colleague's name as last read, if it was.
export function colleagueName(id) {
  const a = last && last.agents.find((x) => x.id === id);
  return a ? a.name : '';
}

// Presence order: who can take a call now first, then who will soon.
const RANK = { READY: 0, RESERVED: 1, RINGING: 1, INCALL: 1, DISPO: 2, PAUSED: 3, LOGGED_OUT: 4 };

// Why a colleague cannot be picked, in a sentence.
const BUSY = {
  RESERVED: 'taking a call', RINGING: 'taking a call', INCALL: 'on a call', DISPO: 'wrapping up a call',
  PAUSED: 'paused', LOGGED_OUT: 'logged out',
};

// colleagueItems are the picker's options for the colleagues other than
// me, READY ones first, by name within each presence.
export function colleagueItems(dir, me) {
  if (!dir) return [];
  const list = dir.agents.filter((a) => a.id !== me);
  const rank = (a) => RANK[a.state] ?? 3;
  // The server sends them by name; the sort is stable.
  list.sort((a, b) => rank(a) - rank(b));
  return list.map((a) => ({
    key: a.id,
    name: a.name,
    detail: 'ext ' + a.extension,
    state: a.state,
    word: STATE_LABEL[a.state] || a.state,
    available: a.state === 'READY',
    search: (a.name + ' ' + a.extension).toLowerCase(),
  }));
}

export function queueItems(dir) {
  if (!dir) return [];
  return dir.queues.map((q) => ({
    key: q.id, name: q.name, detail: 'Inbound queue', available: true, search: q.name.toLowerCase(),
  }));
}

// Picker is a search field over a list of options (a combobox with its
// listbox always shown): typing filters by name or extension, arrows
// move, Enter picks; Enter on the option already picked submits the
// form. Options that cannot take the call are listed but cannot be
// picked. The focus stays in the field; the active option is named by
// aria-activedescendant.
export function Picker({ id, name, label, noun, items, value, onPick, placeholder, invalid, loading, error }) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(null);
  const [note, setNote] = useState('');
  const list = useRef(null);
  const q = query.trim().toLowerCase();
  const matches = useMemo(() => (q ? items.filter((it) => it.search.includes(q)) : items), [items, q]);
  const shown = matches.slice(0, SHOWN);
  // Until an arrow moves it, the first match that can be picked.
  const act = shown.find((it) => it.key === active) || shown.find((it) => it.available) || shown[0] || null;
  const optId = (it) => `${id}-opt-${it.key}`;

  useEffect(() => {
    const el = act && list.current && list.current.querySelector('#' + CSS.escape(optId(act)));
    if (el) el.scrollIntoView({ block: 'nearest' });
  }, [act && act.key]);

  const choose = (it) => {
    if (!it) return;
    setActive(it.key);
    if (!it.available) {
      setNote(`${it.name} is ${BUSY[it.state] || 'not ready'}: only a colleague who is ready can take the call.`);
      return;
    }
    setNote('');
    onPick(it);
  };
  const move = (d) => {
    if (!shown.length) return;
    const i = act ? shown.indexOf(act) : -1;
    setActive(shown[Math.max(0, Math.min(shown.length - 1, i + d))].key);
  };
  const onKeyDown = (e) => {
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: 8, PageUp: -8 }[e.key];
    if (step) {
      e.preventDefault();
      move(step);
    } else if (e.key === 'Enter' && act && act.key !== value) {
      e.preventDefault();
      choose(act);
    }
  };

  const ready = items.filter((it) => it.available).length;
  let count;
  if (loading) count = 'Loading…';
  else if (q && !matches.length) count = `No ${noun} matches “${query.trim()}”.`;
  else if (!items.length) count = `No ${noun} to show.`;
  else if (shown.length < matches.length) count = `Showing ${shown.length} of ${matches.length}: type to narrow.`;
  else if (q) count = `${matches.length} of ${items.length} match.`;
  else count = items[0].state ? `${items.length} in all, ${ready} ready.` : `${items.length} in all.`;

  return html`<div class="field picker">
    <label for=${id} id=${id + '-label'}>${label}</label>
    <input id=${id} name=${name} type="text" role="combobox" aria-autocomplete="list" aria-expanded="true"
      aria-controls=${id + '-list'} aria-activedescendant=${act ? optId(act) : undefined} aria-describedby=${id + '-count'}
      aria-invalid=${invalid ? 'true' : undefined} autocomplete="off" spellcheck="false" placeholder=${placeholder}
      value=${query} onInput=${(e) => { setQuery(e.currentTarget.value); setActive(null); setNote(''); }} onKeyDown=${onKeyDown} />
    <ul id=${id + '-list'} class="picker-list" role="listbox" aria-labelledby=${id + '-label'} ref=${list} data-testid=${name + '-list'}>
      ${shown.map(
        (it) => html`<li key=${it.key} id=${optId(it)} role="option" aria-selected=${it.key === value ? 'true' : 'false'}
          aria-disabled=${it.available ? undefined : 'true'} data-state=${it.state} data-key=${it.key}
          class=${'picker-option' + (it === act ? ' active' : '') + (it.available ? '' : ' unavailable')}
          onMouseDown=${(e) => e.preventDefault()} onClick=${() => choose(it)}>
          ${it.state
            ? html`<span class="presence-dot" data-state=${it.state} aria-hidden="true"></span>`
            : html`<span class="picker-icon" aria-hidden="true"><${Icon} name="list" size=${14} /></span>`}
          <span class="picker-main"><span class="picker-name">${it.name}</span><span class="picker-detail">${it.detail}</span></span>
          ${it.word && html`<span class="picker-word">${it.word}</span>`}
          <span class="picker-check" aria-hidden="true">${it.key === value && html`<${Icon} name="check" size=${16} />`}</span>
        </li>`,
      )}
    </ul>
    <p id=${id + '-count'} class="picker-count" aria-live="polite">${error ? html`<span class="picker-error">${error}</span>` : note || count}</p>
  </div>`;
}
