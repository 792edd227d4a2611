// Small pieces shared by the screens: the one-second ticker, timers,
// notices and the busy state of buttons.

import { html, useEffect, useState, useCallback, useRef } from '../vendor/htm-preact.js';
import { getState, screen, serverNow, subscribe } from './store.js';
import { duration } from './format.js';

// One ticker for every timer on the page, aligned to the second.
const tickers = new Set();
let tickTimer = 0;
function tick() {
  const now = serverNow();
  for (const f of tickers) f(now);
  tickTimer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
}

export function useNow() {
  const [now, setNow] = useState(serverNow());
  useEffect(() => {
    tickers.add(setNow);
    if (!tickTimer) tick();
    return () => {
      tickers.delete(setNow);
      if (!tickers.size) {
        clearTimeout(tickTimer);
        tickTimer = 0;
      }
    };
  }, []);
  return now;
}

// Timer counts up from a server instant (ms).
export function Timer({ from, class: cls = '', label }) {
  const now = useNow();
  const sec = from ? (now - from) / 1000 : 0;
  return html`<span class="timer ${cls}" role="timer" aria-label=${label} data-seconds=${Math.floor(Math.max(0, sec))}>${duration(sec)}</span>`;
}

// ---- notices

// A notice belongs to the screen it was posted on and goes with it, or
// by itself after a few seconds (errors stay longer); × closes it.
let notices = [];
const noticeListeners = new Set();
let noticeId = 0;
const setNotices = (list) => {
  notices = list;
  noticeListeners.forEach((f) => f(notices));
};

export const currentScreen = () => screen(getState());

// notify posts a notice. from: the screen an action started on, for a
// notice that reports an action which changes the screen (a transfer, a
// wrap-up): until that change comes, the notice waits to follow it.
export function notify(text, kind = 'info', { from } = {}) {
  const id = ++noticeId;
  const on = currentScreen();
  // A few at a time: the newest matter.
  setNotices([...notices, { id, text, kind, screen: on, carry: from === on }].slice(-3));
  setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 4000);
}

function dismiss(id) {
  if (notices.some((n) => n.id === id)) setNotices(notices.filter((n) => n.id !== id));
}

let shownScreen = screen(getState());
subscribe((s) => {
  const now = screen(s);
  if (now === shownScreen) return;
  const was = shownScreen;
  shownScreen = now;
  const kept = notices.filter((n) => n.screen === now || (n.carry && n.screen === was));
  setNotices(kept.map((n) => ({ ...n, screen: now, carry: false })));
});

export function Notices() {
  const [list, set] = useState(notices);
  useEffect(() => {
    noticeListeners.add(set);
    return () => noticeListeners.delete(set);
  }, []);
  return html`<div class="notices" role="status" aria-live="polite">
    ${list.map(
      (n) => html`<div key=${n.id} class="notice notice-${n.kind}">
        <span>${n.text}</span>
        <button class="notice-close" aria-label="Dismiss" onClick=${() => dismiss(n.id)}>×</button>
      </div>`,
    )}
  </div>`;
}

// useAction wraps an API call: busy while it runs, errors shown as
// notices (and returned, for forms that show them by their field).
export function useAction() {
  const [busy, setBusy] = useState(false);
  const mounted = useRef(true);
  useEffect(() => () => (mounted.current = false), []);
  const run = useCallback(async (fn, { quiet = false } = {}) => {
    setBusy(true);
    try {
      return { ok: true, value: await fn() };
    } catch (e) {
      if (!quiet) notify(e.message || String(e), 'error');
      return { ok: false, error: e };
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  return [run, busy];
}

// Kbd shows a shortcut hint.
export const Kbd = ({ k }) => html`<kbd aria-hidden="true">${k}</kbd>`;
