// A button with a list of actions below it: the status bar's menus.

import { html, useEffect, useRef, useState } from '../vendor/htm-preact.js';
import { Icon } from './icons.js';

// arrowKeys moves the focus through a menu's items with the arrow keys.
export function arrowKeys(root, e) {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const items = [...root.querySelectorAll('[role^=menuitem]:not([disabled])')];
  const i = items.indexOf(document.activeElement);
  const n = items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length];
  if (n) n.focus();
  e.preventDefault();
}

// Menu is a button with a list of actions below it.
export function Menu({ label, buttonClass = 'btn', icon, children, testid, title, disabled, onToggle }) {
  const [open, setOpen] = useState(false);
  const root = useRef(null);
  // Open as rendered. The listeners are there from the start and ask
  // this, so a key pressed right after the menu opens or closes, before
  // effects run, goes to the menu it sees.
  const shown = useRef(open);
  shown.current = open;
  useEffect(() => {
    if (onToggle) onToggle(open);
    if (!open) return;
    const first = root.current && root.current.querySelector('[role^=menuitem]');
    if (first) first.focus();
  }, [open]);
  useEffect(() => {
    const away = (e) => shown.current && root.current && !root.current.contains(e.target) && setOpen(false);
    const key = (e) => {
      if (!shown.current) return;
      if (e.key === 'Escape') {
        // One Escape closes the menu alone, not a call's panel too.
        e.preventDefault();
        setOpen(false);
        root.current && root.current.querySelector('button').focus();
      }
      arrowKeys(root.current, e);
    };
    addEventListener('pointerdown', away);
    addEventListener('keydown', key, true);
    return () => {
      removeEventListener('pointerdown', away);
      removeEventListener('keydown', key, true);
    };
  }, []);
  return html`<div class="menu" ref=${root}>
    <button class=${buttonClass} aria-haspopup="menu" aria-expanded=${open} data-testid=${testid} title=${title}
      disabled=${disabled} onClick=${() => setOpen(!open)}>
      ${icon && html`<${Icon} name=${icon} size=${16} />`} ${label} <${Icon} name="chevron" size=${14} />
    </button>
    ${open && html`<div class="menu-list" role="menu" onClick=${() => setOpen(false)}>${children}</div>`}
  </div>`;
}
