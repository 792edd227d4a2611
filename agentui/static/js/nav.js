// Navigation between the workspace's screens, and the screen reader's
// live region.

import { html } from '../vendor/htm-preact.js';
import { setState } from './store.js';

export function navigate(path) {
  if (location.pathname !== path) history.pushState(null, '', path);
  setState({ path });
}

// Link navigates without reloading the page.
export function Link({ href, children, ...rest }) {
  const click = (e) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${click} ...${rest}>${children}</a>`;
}

let liveEl = null;
export function announce(text) {
  if (!liveEl) return;
  liveEl.textContent = '';
  setTimeout(() => liveEl && (liveEl.textContent = text), 50);
}

export function LiveRegion() {
  return html`<div class="sr-only" aria-live="assertive" ref=${(el) => (liveEl = el)}></div>`;
}
