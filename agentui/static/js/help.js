// The "?" overlay listing the shortcuts active on the current screen.

import { html, useEffect, useState, useRef } from '../vendor/htm-preact.js';
import { active, bind } from './shortcuts.js';

const names = { 'alt+x': 'Alt+X', 'alt+r': 'Alt+R', escape: 'Esc', enter: 'Enter' };

export function ShortcutHelp() {
  const [open, setOpen] = useState(false);
  const [list, setList] = useState([]);
  const close = useRef(null);
  useEffect(
    () =>
      bind({
        '?': { run: () => (setList(active()), setOpen((o) => !o)) },
      }),
    [],
  );
  useEffect(() => {
    if (!open) return undefined;
    if (close.current) close.current.focus();
    const onKey = (e) => e.key === 'Escape' && setOpen(false);
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [open]);
  if (!open) return null;
  return html`<div class="overlay" onClick=${(e) => e.target === e.currentTarget && setOpen(false)}>
    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title">
      <h2 id="help-title">Keyboard shortcuts</h2>
      <dl class="shortcut-list">
        ${list.map((s) => html`<div><dt><kbd>${names[s.key] || s.key.toUpperCase()}</kbd></dt><dd>${s.label}</dd></div>`)}
        <div><dt><kbd>?</kbd></dt><dd>Show or hide this list</dd></div>
      </dl>
      <p class="muted">Letter keys work when the cursor is not in a text field.</p>
      <button ref=${close} class="btn" onClick=${() => setOpen(false)}>Close</button>
    </div>
  </div>`;
}
