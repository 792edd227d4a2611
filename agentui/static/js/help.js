// The "?" overlay listing the shortcuts active on the current screen.

import { html, useEffect, useState, useRef } from '../vendor/htm-preact.js';
import { active, bind } from './shortcuts.js';

const names = { 'alt+x': 'Alt+X', 'alt+r': 'Alt+R', escape: 'Esc', enter: 'Enter' };

export function ShortcutHelp() {
  const [open, setOpen] = useState(false);
  const [list, setList] = useState([]);
  const close = useRef(null);
  // Open as rendered. The Escape listener is there from the start and
  // asks this, so an Escape pressed right after the dialog opens, before
  // effects run, closes the dialog alone, and one pressed after it closed
  // goes to the page.
  const shown = useRef(open);
  shown.current = open;
  useEffect(() => {
    const unbind = bind({
      '?': { run: () => (setList(active()), setOpen((o) => !o)) },
    });
    // Before the page's shortcuts (capture): Escape closes the dialog alone.
    const onKey = (e) => {
      if (e.key !== 'Escape' || !shown.current) return;
      e.preventDefault();
      setOpen(false);
    };
    addEventListener('keydown', onKey, true);
    return () => {
      unbind();
      removeEventListener('keydown', onKey, true);
    };
  }, []);
  useEffect(() => {
    if (!open) return undefined;
    // Closed, the dialog gives the focus back where it was.
    const back = document.activeElement;
    if (close.current) close.current.focus();
    return () => {
      if (back && back.isConnected && back.focus) back.focus();
    };
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
