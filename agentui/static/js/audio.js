// Where the agent's audio is: the agent's SIP phone, an external phone
// the switch rings, or this browser (the softphone, js/softphone.js); the
// tones are the page's own cues.

export function describeDevice(agent) {
  const ep = (agent && agent.endpoint) || {};
  if (ep.kind === 'webrtc') {
    return { kind: 'webrtc', inBrowser: true, label: 'Browser phone', detail: 'This tab' };
  }
  if (ep.kind === 'phone') {
    return { kind: 'phone', inBrowser: false, label: 'External phone', detail: ep.phone || '' };
  }
  const ext = ep.extension || (agent && agent.extension) || '';
  return { kind: 'sip', inBrowser: false, label: 'SIP phone', detail: ext ? `Extension ${ext}` : '' };
}

// Cues are short tones made in the page (no sound files): the browser
// lets a page play sound once the user has clicked or typed in it.
let ctx = null;
let unlocked = false;

function unlock() {
  if (unlocked) return;
  unlocked = true;
  try {
    ctx = new AudioContext();
    if (ctx.state === 'suspended') ctx.resume();
  } catch {
    ctx = null;
  }
}
addEventListener('pointerdown', unlock, { once: true, capture: true });
addEventListener('keydown', unlock, { once: true, capture: true });

const CUES = {
  connected: [[660, 0, 0.12], [880, 0.16, 0.18]],
  offer: [[784, 0, 0.15], [784, 0.25, 0.15]],
  ended: [[520, 0, 0.12], [390, 0.15, 0.2]],
};

export function cue(name) {
  const notes = CUES[name];
  if (!notes) return;
  // Visible to tests and to the page's own styles.
  document.documentElement.dataset.lastCue = name;
  if (!ctx) return;
  const t0 = ctx.currentTime + 0.01;
  for (const [freq, at, len] of notes) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t0 + at);
    gain.gain.exponentialRampToValueAtTime(0.2, t0 + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + len);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0 + at);
    osc.stop(t0 + at + len + 0.05);
  }
}
