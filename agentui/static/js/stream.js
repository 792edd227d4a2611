// The live event stream: one WebSocket, a snapshot first, then events.
// It reconnects with capped, jittered backoff and starts again from a
// fresh snapshot, so nothing is lost across a network drop.

const KEEPALIVE_MS = 15000; // the server counts any message as a heartbeat
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const SESSION_ENDED = 4001;

export class Stream {
  // handlers: onSnapshot(msg), onEvent(ev), onStatus('connecting'|'live'|'reconnecting'),
  // onSessionEnded().
  constructor(handlers) {
    this.h = handlers;
    this.ws = null;
    this.stopped = true;
    this.attempt = 0;
    this.retryTimer = 0;
    this.keepalive = 0;
    this.wake = () => {
      if (!this.stopped && !this.ws) this.connectNow();
    };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.wake);
    document.addEventListener('visibilitychange', this.wake);
    this.h.onStatus('connecting');
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.wake);
    document.removeEventListener('visibilitychange', this.wake);
    clearTimeout(this.retryTimer);
    clearInterval(this.keepalive);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, 'bye');
    }
  }

  connectNow() {
    clearTimeout(this.retryTimer);
    this.connect();
  }

  connect() {
    if (this.stopped || this.ws) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/stream`);
    this.ws = ws;
    let gotSnapshot = false;
    ws.onmessage = (m) => {
      let msg;
      try {
        msg = JSON.parse(m.data);
      } catch {
        return;
      }
      if (msg.type === 'snapshot') {
        gotSnapshot = true;
        this.attempt = 0;
        this.h.onSnapshot(msg);
        this.h.onStatus('live');
        return;
      }
      if (gotSnapshot) this.h.onEvent(msg);
    };
    ws.onopen = () => {
      clearInterval(this.keepalive);
      // A background tab's timers may be throttled; the browser still
      // answers the server's pings, and this covers the rest.
      this.keepalive = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"alive"}');
      }, KEEPALIVE_MS);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.keepalive);
      if (this.stopped) return;
      if (e.code === SESSION_ENDED) {
        this.stop();
        this.h.onSessionEnded();
        return;
      }
      // Refused before the snapshot: maybe the session is gone.
      if (!gotSnapshot && this.h.onRefused) this.h.onRefused();
      this.h.onStatus('reconnecting');
      this.scheduleRetry();
    };
  }

  scheduleRetry() {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    this.attempt++;
    const delay = base / 2 + Math.random() * (base / 2);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
