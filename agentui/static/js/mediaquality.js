// The softphone's figures and words, apart from the browser's media
// objects so that they can be checked on their own: network quality from
// WebRTC stats, microphone errors in words, when to renew credentials.

// Thresholds of the plain word shown to the agent (ITU-T G.114 puts the
// comfortable one-way delay under 150 ms; VoIP codecs hide 1% loss).
const FAIR = { loss: 1, jitter: 30, rtt: 300 };
const POOR = { loss: 5, jitter: 60, rtt: 600 };

// qualityWord is Good, Fair or Poor for { loss (%), jitter (ms), rtt (ms) };
// a figure not known does not count, and none known is ''.
export function qualityWord({ loss, jitter, rtt } = {}) {
  const known = [loss, jitter, rtt].some((v) => Number.isFinite(v));
  if (!known) return '';
  const over = (t) => (Number.isFinite(loss) && loss >= t.loss) || (Number.isFinite(jitter) && jitter >= t.jitter) ||
    (Number.isFinite(rtt) && rtt >= t.rtt);
  if (over(POOR)) return 'Poor';
  if (over(FAIR)) return 'Fair';
  return 'Good';
}

const round1 = (v) => Math.round(v * 10) / 10;

// sampleStats reads one getStats() report (its values) against the
// counters of the previous one: the loss over the interval, the jitter
// of what is received and the round trip. It returns { sample, counters }
// where counters go into the next call.
export function sampleStats(stats, prev = null) {
  let lost = 0;
  let received = 0;
  let jitter = NaN;
  let rtt = NaN;
  for (const s of stats) {
    if (s.type === 'inbound-rtp' && (s.kind || s.mediaType) === 'audio') {
      lost += s.packetsLost || 0;
      received += s.packetsReceived || 0;
      if (Number.isFinite(s.jitter)) jitter = s.jitter * 1000;
    } else if (s.type === 'remote-inbound-rtp' && (s.kind || 'audio') === 'audio' && Number.isFinite(s.roundTripTime)) {
      rtt = s.roundTripTime * 1000;
    } else if (s.type === 'candidate-pair' && (s.nominated || s.selected) && s.state === 'succeeded' &&
      Number.isFinite(s.currentRoundTripTime) && !Number.isFinite(rtt)) {
      rtt = s.currentRoundTripTime * 1000;
    }
  }
  const dLost = Math.max(0, lost - (prev ? prev.lost : 0));
  const dReceived = Math.max(0, received - (prev ? prev.received : 0));
  const loss = dLost + dReceived > 0 ? (100 * dLost) / (dLost + dReceived) : NaN;
  const sample = {};
  if (Number.isFinite(loss)) sample.packet_loss_pct = round1(loss);
  if (Number.isFinite(jitter)) sample.jitter_ms = round1(jitter);
  if (Number.isFinite(rtt)) sample.rtt_ms = Math.round(rtt);
  return { sample, counters: { lost, received } };
}

// wordOf is qualityWord of a sample in the API's field names.
export const wordOf = (sample) =>
  qualityWord({ loss: sample.packet_loss_pct, jitter: sample.jitter_ms, rtt: sample.rtt_ms });

// micError says what went wrong with the microphone and what to do, for
// a getUserMedia error (a DOMException by name); retry names the button
// that tries again.
export function micError(err, retry = 'Try again') {
  const again = `press ${retry}`;
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `The browser is not allowed to use your microphone. Allow it for this site (the microphone or lock icon in the address bar), then ${again}.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No microphone was found. Plug in your headset, then ${again}.`;
    case 'NotReadableError':
    case 'AbortError':
      return `Your microphone could not be opened: another application may be using it. Close that application, then ${again}.`;
    case 'TypeError':
      return 'This page cannot use a microphone: it must be opened over https (or on this computer).';
  }
  return `Your microphone could not be opened (${(err && (err.message || err.name)) || 'unknown error'}). Check it, then ${again}.`;
}

// renewDelay is how long to wait (ms) before asking for new credentials
// that expire at expiresAt: two thirds of their life, or a minute before
// they expire if that is sooner, and no less than 5 s.
export function renewDelay(expiresAt, now) {
  const left = Date.parse(expiresAt) - now;
  if (!Number.isFinite(left)) return 60_000;
  return Math.max(5_000, Math.min((left * 2) / 3, left - 60_000));
}

// retryDelay is the wait (ms) before attempt n (from 0) to register
// again: 2, 4, 8... up to 30 s.
export const retryDelay = (n) => Math.min(30_000, 2_000 * 2 ** Math.min(n, 4));
