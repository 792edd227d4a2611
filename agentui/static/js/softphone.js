// The browser softphone: when the agent's phone session is of kind
// `webrtc`, this tab registers to the switch over a SIP WebSocket (JsSIP)
// with short-lived credentials from the service, answers the calls the
// switch sends it with the chosen microphone and plays them on the chosen
// speaker. Every call control stays with the service (the existing
// buttons and keypad); the page never sends its own hold, transfer or DTMF.
//
// What tests read (data-testid):
//   softphone              the panel; data-reg = off | registering | ready |
//                          reconnecting | error | elsewhere, data-call = none |
//                          active; the compact strip of the call view and
//                          the wrap-up is softphone-strip with the same
//                          attributes
//   softphone-state        the registration state in words (Registering…,
//                          Ready, Reconnecting…, Error, In another tab)
//   softphone-error        the error and what to do; data-kind = mic |
//                          mic-lost | speaker | credentials | network |
//                          policy | register | elsewhere
//   softphone-retry        Try again (or Use this tab)
//   softphone-quality      the network quality word; data-word = Good | Fair |
//                          Poor, data-loss, data-jitter, data-rtt (the figures)
//   softphone-mic, softphone-speaker   the device pickers
//   softphone-level        the input level meter (aria-hidden; data-level 0..1)
//   softphone-level-text   its text alternative
//   softphone-audio        the <audio> element that plays the call (in <body>,
//                          outside the screens, so it survives their changes)
// and document.documentElement.dataset.softphone is the registration state.

import { html, useEffect, useRef, useState } from '../vendor/htm-preact.js';
import JsSIP from '../vendor/jssip.js';
import { api } from './api.js';
import { subscribe } from './store.js';
import { announce } from './nav.js';
import { notify } from './common.js';
import { Icon } from './icons.js';
import { micError, renewDelay, retryDelay, sampleStats, wordOf } from './mediaquality.js';

const STATE_WORD = {
  off: 'Off',
  registering: 'Registering…',
  ready: 'Ready',
  reconnecting: 'Reconnecting…',
  error: 'Error',
  elsewhere: 'In another tab',
};

// The panel's state; the controller below is its only writer.
let sp = {
  reg: 'off',
  call: 'none',
  error: '',
  errorKind: '',
  sample: null, // the last quality sample, in the API's field names
  mics: [],
  speakers: [],
  mic: stored('agentswitch.mic'),
  speaker: stored('agentswitch.speaker'),
  micLabel: '',
  speaking: false,
};
const listeners = new Set();

function set(patch) {
  const before = sp;
  sp = { ...sp, ...patch };
  document.documentElement.dataset.softphone = sp.reg;
  for (const l of listeners) l(sp);
  if (before.reg !== sp.reg || before.error !== sp.error) report();
}

export const softphoneState = () => sp;

export function useSoftphone() {
  const [s, setS] = useState(sp);
  useEffect(() => {
    listeners.add(setS);
    setS(sp);
    return () => listeners.delete(setS);
  }, []);
  return s;
}

function stored(key) {
  try {
    return localStorage.getItem(key) || '';
  } catch {
    return '';
  }
}
function store(key, v) {
  try {
    localStorage.setItem(key, v);
  } catch {
    // Storage off: the choice lasts as long as the page.
  }
}

// ---- the controller

let agentId = 0;
let gen = 0; // bumped by start and stop: a late answer of an older run is dropped
let ua = null;
let creds = null;
let mic = null; // the microphone's MediaStream
let session = null;
let pc = null;
let stopping = false;
// leaving: unregistered on purpose, the session ending; it holds until
// the tab stops, so that the line's hangup at logout reports nothing to a
// session already gone.
let leaving = false;
let endingHere = false; // this tab ends the phone session (not a supervisor, not a lapse)
let yielded = false; // another tab took the phone over
let retries = 0;
let renewTimer = 0;
let retryTimer = 0;
let statsTimer = 0;
let watchTimer = 0;
let counters = null;
let channel = null;
const tabId = Math.random().toString(36).slice(2);

let audioEl = null;
function audio() {
  if (!audioEl) {
    audioEl = document.createElement('audio');
    audioEl.autoplay = true;
    audioEl.dataset.testid = 'softphone-audio';
    audioEl.hidden = true;
    document.body.append(audioEl);
    if (sp.speaker && audioEl.setSinkId) audioEl.setSinkId(sp.speaker).catch(() => {});
  }
  return audioEl;
}

const clear = () => {
  clearTimeout(renewTimer);
  clearTimeout(retryTimer);
  clearInterval(statsTimer);
  clearTimeout(watchTimer);
};

// checkMicrophone asks for the microphone before the agent logs in with
// the browser phone, so that a refusal is said on the start screen.
// It resolves to '' when allowed, else to what went wrong.
export async function checkMicrophone() {
  try {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true });
    s.getTracks().forEach((t) => t.stop());
    return '';
  } catch (e) {
    return micError(e, 'Log in to phone again');
  }
}

async function start(id) {
  const run = ++gen;
  agentId = id;
  stopping = false;
  leaving = false;
  yielded = false;
  retries = 0;
  claim(id);
  set({ reg: 'registering', error: '', errorKind: '', call: 'none', sample: null });
  if (!(await openMic(run))) return;
  if (run !== gen) return;
  await connect(run);
}

// stop ends the softphone; revoke also drops the credentials (the agent
// logged out: the service does it too, this is belt and braces).
function stop({ revoke = false, reg = 'off' } = {}) {
  gen++;
  stopping = true;
  leaving = false;
  clear();
  clearTimeout(reportTimer);
  reportTimer = 0;
  if (session && !session.isEnded()) {
    try {
      session.terminate();
    } catch {
      // Already going.
    }
  }
  session = null;
  pc = null;
  if (ua) {
    const u = ua;
    ua = null;
    u.removeAllListeners();
    u.stop();
  }
  if (mic) mic.getTracks().forEach((t) => t.stop());
  mic = null;
  stopMeter();
  if (audioEl) audioEl.srcObject = null;
  const id = agentId;
  creds = null;
  if (revoke && id) api.dropWebrtcCredentials(id).catch(() => {});
  if (reg === 'off') agentId = 0;
  if (channel && reg === 'off') {
    channel.close();
    channel = null;
  }
  set({ reg, call: 'none', sample: null, error: '', errorKind: '' });
}

function fail(kind, message, reg = 'error') {
  set({ reg, error: message, errorKind: kind });
}

// ---- microphone

async function openMic(run) {
  let s = null;
  try {
    s = await getMic(sp.mic);
  } catch (e) {
    if (run !== gen) return false;
    fail('mic', micError(e));
    return false;
  }
  if (run !== gen) {
    s.getTracks().forEach((t) => t.stop());
    return false;
  }
  useMic(s);
  refreshDevices();
  return true;
}

// getMic opens the chosen microphone, or the default one if it is gone.
async function getMic(deviceId) {
  const opts = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (deviceId) {
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: { ...opts, deviceId: { exact: deviceId } } });
    } catch (e) {
      if (e.name !== 'OverconstrainedError' && e.name !== 'NotFoundError') throw e;
    }
  }
  return navigator.mediaDevices.getUserMedia({ audio: opts });
}

function useMic(s) {
  const old = mic;
  mic = s;
  const track = s.getAudioTracks()[0];
  track.addEventListener('ended', micLost);
  set({ micLabel: track.label || 'Microphone' });
  if (sp.errorKind === 'mic' || sp.errorKind === 'mic-lost') {
    set({ error: '', errorKind: '', reg: ua && ua.isRegistered() ? 'ready' : sp.reg === 'error' ? 'registering' : sp.reg });
  }
  // A call goes on with the new microphone.
  if (pc) {
    const sender = pc.getSenders().find((x) => !x.track || x.track.kind === 'audio');
    if (sender) sender.replaceTrack(track).catch(() => {});
  }
  if (old && old !== s) old.getTracks().forEach((t) => t.stop());
  startMeter();
}

function micLost() {
  if (stopping || !mic) return;
  fail('mic-lost', 'Your microphone stopped (unplugged?): you cannot be heard. Plug it back in and it is used again by itself.', sp.reg);
  announce('Microphone lost');
  // When a device comes back, devicechange opens it again.
}

async function pickMic(deviceId) {
  store('agentswitch.mic', deviceId);
  set({ mic: deviceId });
  if (!agentId || yielded) return;
  try {
    useMic(await getMic(deviceId));
  } catch (e) {
    fail('mic', micError(e), sp.reg === 'ready' ? 'ready' : 'error');
  }
}

function pickSpeaker(deviceId) {
  store('agentswitch.speaker', deviceId);
  set({ speaker: deviceId });
  const a = audio();
  if (a.setSinkId) a.setSinkId(deviceId).catch((e) => fail('speaker', `That speaker cannot be used (${e.message}). Choose another.`, sp.reg));
}

async function refreshDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  const all = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  const named = (d, i, kind) => ({ id: d.deviceId, label: d.label || `${kind} ${i + 1}` });
  const mics = all.filter((d) => d.kind === 'audioinput').map((d, i) => named(d, i, 'Microphone'));
  const speakers = all.filter((d) => d.kind === 'audiooutput').map((d, i) => named(d, i, 'Speaker'));
  set({ mics, speakers });
  if (sp.errorKind === 'mic-lost' && agentId && !yielded && mics.length) {
    // A microphone is back (or another one is there): use it.
    try {
      useMic(await getMic(sp.mic));
      announce('Microphone back');
    } catch {
      // Still none usable: the error stays.
    }
  }
}
if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
  navigator.mediaDevices.addEventListener('devicechange', refreshDevices);
}

// ---- the level meter: an AnalyserNode read once a frame, drawn on the
// meters on screen without re-rendering them.

let actx = null;
let analyser = null;
let source = null;
let frame = 0;
let lastText = 0;
const meters = new Set();

function startMeter() {
  if (!mic) return;
  try {
    if (!actx) {
      actx = new AudioContext();
      // Made without a click (a reload), it starts suspended.
      const resume = () => actx && actx.resume();
      addEventListener('pointerdown', resume, { once: true, capture: true });
      addEventListener('keydown', resume, { once: true, capture: true });
    }
    if (source) source.disconnect();
    analyser = actx.createAnalyser();
    analyser.fftSize = 1024;
    source = actx.createMediaStreamSource(mic);
    source.connect(analyser);
  } catch {
    analyser = null;
    return;
  }
  if (!frame) frame = requestAnimationFrame(tick);
}

function stopMeter() {
  if (source) source.disconnect();
  source = null;
  analyser = null;
  cancelAnimationFrame(frame);
  frame = 0;
  for (const m of meters) draw(m, 0);
}

const buf = new Float32Array(1024);
function tick(t) {
  frame = 0;
  if (!analyser) return;
  analyser.getFloatTimeDomainData(buf);
  let sum = 0;
  for (const v of buf) sum += v * v;
  const level = Math.min(1, Math.sqrt(sum / buf.length) * 4);
  for (const m of meters) draw(m, level);
  // The text alternative changes at most once a second.
  if (t - lastText > 1000 && sp.speaking !== level > 0.05) {
    lastText = t;
    set({ speaking: level > 0.05 });
  }
  frame = requestAnimationFrame(tick);
}

function draw(el, level) {
  el.style.setProperty('--level', level.toFixed(3));
  el.dataset.level = level.toFixed(2);
}

// ---- registration

const iceServers = (c) =>
  (c.ice_servers || []).map((s) => ({ urls: s.urls, username: s.username, credential: s.credential }));

// FINAL are the answers to a credentials request that another try would
// not change (no route, not allowed, not configured): Try again is left
// to the agent.
const FINAL = [403, 404, 503];

function credentialsError(e) {
  if (e.status === 404) {
    return 'This service does not offer the browser phone. End the phone session and log in with a SIP phone, or ask your administrator.';
  }
  if (e.status === 403) return 'You may not use the browser phone. Ask your supervisor.';
  if (e.status === 503) {
    return `The browser phone is not set up on this service (${e.message}). End the phone session and log in with a SIP phone, or ask your administrator.`;
  }
  return `The phone settings could not be read: ${e.message}. Retrying…`;
}

async function connect(run) {
  try {
    creds = await api.webrtcCredentials(agentId);
  } catch (e) {
    if (run !== gen) return;
    fail('credentials', credentialsError(e));
    if (!FINAL.includes(e.status)) retryLater(run, () => connect(run));
    return;
  }
  if (run !== gen) return;
  scheduleRenew(run);
  try {
    ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(creds.ws_url)],
      uri: creds.sip_uri,
      authorization_user: creds.authorization_user,
      password: creds.password,
      display_name: creds.display_name || undefined,
      register: true,
      register_expires: 300,
      session_timers: false,
      user_agent: 'agentswitch browser phone',
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 30,
    });
  } catch (e) {
    ua = null;
    fail('credentials', `The phone settings from the service are not valid (${e.parameter || e.message}). Ask your administrator.`);
    return;
  }
  const u = ua;
  const mine = (fn) => (...a) => u === ua && run === gen && fn(...a);
  u.on('disconnected', mine(() => {
    const was = sp.reg;
    if (sp.errorKind === 'policy') return;
    fail('network', `The phone server cannot be reached (${creds.ws_url}). Retrying… If it lasts, check your network, or ask your administrator whether that port is open and its certificate trusted by this browser.`,
      'reconnecting');
    if (was === 'ready') announce('Browser phone disconnected, reconnecting');
  }));
  u.on('registered', mine(() => {
    const was = sp.reg;
    retries = 0;
    const keep = sp.errorKind === 'mic-lost' || sp.errorKind === 'speaker';
    set({ reg: 'ready', ...(keep ? {} : { error: '', errorKind: '' }) });
    if (was === 'reconnecting') announce('Browser phone reconnected');
    else if (was !== 'ready') announce('Browser phone ready');
  }));
  u.on('unregistered', mine(() => {
    if (stopping || leaving) return;
    set({ reg: 'registering' });
    retryLater(run, () => u.register());
  }));
  u.on('registrationFailed', mine((e) => {
    const cause = e && e.cause;
    if (cause === JsSIP.C.causes.CONNECTION_ERROR || cause === JsSIP.C.causes.REQUEST_TIMEOUT) {
      fail('network', `The phone server does not answer (${creds.ws_url}). Retrying…`, 'reconnecting');
      return; // the transport reconnects by itself and registers again
    }
    if (cause === JsSIP.C.causes.AUTHENTICATION_ERROR || cause === JsSIP.C.causes.REJECTED) {
      // Expired or revoked credentials: new ones, then register again.
      fail('register', 'The phone server refused this browser. Getting new credentials and retrying…', 'reconnecting');
      retryLater(run, () => renew(run, true));
      return;
    }
    fail('register', `Registration failed (${cause || 'unknown'}). Retrying…`, 'reconnecting');
    retryLater(run, () => u.register());
  }));
  u.on('newRTCSession', mine((e) => {
    if (e.originator === 'remote') incoming(e.session);
  }));
  u.start();
  // A connection that neither opens nor fails (a server that swallows
  // the upgrade) is said after a while too.
  clearTimeout(watchTimer);
  watchTimer = setTimeout(() => {
    if (run === gen && sp.reg === 'registering' && !sp.error) {
      fail('network', `The phone server does not answer (${creds.ws_url}). Still trying… If it lasts, check your network, or ask your administrator whether that port is open.`, 'reconnecting');
    }
  }, 10_000);
}

// A WebSocket to a server the page's Content-Security-Policy does not
// name fails like an unreachable one: say which it is.
document.addEventListener('securitypolicyviolation', (e) => {
  if (!creds || !agentId || !String(e.violatedDirective).startsWith('connect-src')) return;
  try {
    if (new URL(e.blockedURI).host !== new URL(creds.ws_url).host) return;
  } catch {
    return;
  }
  fail('policy', `This page is not allowed to reach the phone server (${creds.ws_url}): the service does not list it. Ask your administrator to check the service's WebRTC WebSocket address.`);
});

// retryLater runs fn after a growing delay (wall-clock timers: the page's
// own clock is the one that matters for a retry).
function retryLater(run, fn) {
  clearTimeout(retryTimer);
  const wait = retryDelay(retries++);
  retryTimer = setTimeout(() => run === gen && fn(), wait);
}

function scheduleRenew(run) {
  clearTimeout(renewTimer);
  renewTimer = setTimeout(() => renew(run, false), renewDelay(creds.expires_at, Date.now()));
}

// renew asks for new credentials before these expire and registers again
// with them; a call in progress is not touched (its dialog needs no new
// authentication).
async function renew(run, force) {
  let c;
  try {
    c = await api.webrtcCredentials(agentId);
  } catch (e) {
    if (run !== gen) return;
    if (force) fail('credentials', credentialsError(e), 'reconnecting');
    if (!FINAL.includes(e.status)) {
      clearTimeout(renewTimer);
      renewTimer = setTimeout(() => renew(run, force), retryDelay(retries++));
    }
    return;
  }
  if (run !== gen || !ua) return;
  creds = { ...c, ws_url: creds.ws_url };
  ua.set('authorization_user', c.authorization_user);
  ua.set('password', c.password);
  scheduleRenew(run);
  ua.register();
}

// ---- calls

function incoming(s) {
  if (session && !session.isEnded()) {
    s.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
    return;
  }
  if (!mic) {
    s.terminate({ status_code: 480, reason_phrase: 'No Microphone' });
    if (!sp.error) fail('mic', 'A call came but your microphone is not open. Press Try again.', sp.reg);
    return;
  }
  session = s;
  counters = null;
  const done = () => {
    if (session !== s) return;
    session = null;
    pc = null;
    clearInterval(statsTimer);
    if (audioEl) audioEl.srcObject = null;
    set({ call: 'none' });
    report();
  };
  s.on('peerconnection', (e) => hook(e.peerconnection));
  s.on('confirmed', () => {
    set({ call: 'active' });
    clearInterval(statsTimer);
    statsTimer = setInterval(measure, 5000);
  });
  s.on('ended', done);
  s.on('failed', done);
  // Gathering may wait long on a TURN server out of reach: a second
  // after the first candidate is enough on a LAN and with TURN alike.
  let gathering = 0;
  s.on('icecandidate', (e) => {
    if (!gathering) gathering = setTimeout(e.ready, 1000);
  });
  // Only the switch calls this phone, for the calls the service delivers
  // (it plays the delivery tone): they are answered at once.
  try {
    s.answer({ mediaStream: mic, pcConfig: { iceServers: iceServers(creds || {}) } });
  } catch (e) {
    fail('register', `The call could not be answered (${e.message}).`, sp.reg);
  }
  if (s.connection) hook(s.connection);
}

function hook(conn) {
  if (pc === conn) return;
  pc = conn;
  conn.addEventListener('track', (e) => {
    const a = audio();
    a.srcObject = (e.streams && e.streams[0]) || new MediaStream([e.track]);
    a.play().catch(() => {});
  });
}

async function measure() {
  if (!pc) return;
  let report;
  try {
    report = await pc.getStats();
  } catch {
    return;
  }
  const { sample, counters: next } = sampleStats([...report.values()], counters);
  counters = next;
  set({ sample });
  reportSoon();
}

// ---- what the service hears of it: registration, errors and quality

let reportTimer = 0;
function reportSoon() {
  if (!reportTimer) reportTimer = setTimeout(report, 300);
}
function report() {
  clearTimeout(reportTimer);
  reportTimer = 0;
  // Stopping or leaving: the session is over, or about to be.
  if (!agentId || stopping || leaving || sp.reg === 'off' || sp.reg === 'elsewhere') return;
  // The service keeps at most 256 and 512 characters of these.
  const body = { registered: sp.reg === 'ready', audio_input: sp.micLabel.slice(0, 250), error: sp.error.slice(0, 500) };
  if (sp.call === 'active' && sp.sample) Object.assign(body, sp.sample);
  api.mediaQuality(agentId, body).catch(() => {});
}

// ---- one tab per agent: the newest takes the phone over

function claim(id) {
  if (typeof BroadcastChannel === 'undefined') return;
  if (!channel) {
    channel = new BroadcastChannel(`agentswitch.softphone.${id}`);
    channel.onmessage = (e) => {
      const m = e.data || {};
      if (m.type !== 'claim' || m.tab === tabId || !agentId || yielded) return;
      yielded = true;
      stop({ reg: 'elsewhere' });
      set({
        error: 'The browser phone moved to another tab or window of this workspace: calls ring there now. To take them here, press Use this tab.',
        errorKind: 'elsewhere',
      });
      announce('The browser phone moved to another tab');
    };
  }
  channel.postMessage({ type: 'claim', tab: tabId });
}

// endPhoneSession runs logout (the agent ending the phone session) once
// this tab has unregistered: the switch checks the unregister against the
// password the service withdraws with the session. Should logout fail,
// the tab registers again.
export async function endPhoneSession(logout) {
  const u = ua;
  endingHere = true;
  if (u && u.isRegistered()) {
    leaving = true;
    await new Promise((resolve) => {
      // A switch that does not answer does not hold the agent up for long.
      const timer = setTimeout(resolve, 3000);
      u.once('unregistered', () => {
        clearTimeout(timer);
        resolve();
      });
      u.unregister();
    });
  }
  try {
    return await logout();
  } catch (e) {
    endingHere = false;
    const was = leaving;
    leaving = false;
    if (was && u === ua) u.register();
    throw e;
  }
}

function retry() {
  if (!agentId) return;
  const id = agentId;
  stop({ reg: 'registering' });
  start(id);
}

// follow starts the softphone when the agent's session is a browser one
// and stops it when that session ends.
let was = { id: 0, web: false };
subscribe((s) => {
  const id = (s.me && s.me.agent && s.me.agent.id) || 0;
  const ep = s.agent && s.agent.endpoint;
  const web = s.auth === 'in' && !!id && !!ep && ep.kind === 'webrtc';
  if (web && !was.web && !yielded) start(id);
  if (!web && was.web) {
    // Signed out: the service's logout drops the credentials itself.
    stop({ revoke: s.auth === 'in' });
    yielded = false;
    // Ended elsewhere (a supervisor, a lapsed session): the phone stops
    // for good, and the agent is told why calls no longer come.
    if (!endingHere && s.auth === 'in') {
      notify('Your phone session was ended by a supervisor or timed out: the browser phone is off. Log in to phone to take calls again.', 'error');
      announce('Phone session ended: the browser phone is off');
    }
    endingHere = false;
  }
  was = { id, web };
});

addEventListener('pagehide', () => {
  // Unregister on the way out, so that the switch stops ringing a closed tab.
  if (ua) ua.stop();
});

// ---- the screens

function Meter() {
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    meters.add(el);
    return () => meters.delete(el);
  }, []);
  return html`<span class="sp-meter" aria-hidden="true" data-testid="softphone-level" ref=${ref}><span></span></span>`;
}

// The meter's text alternative: a word, not a figure sixty times a second.
const LevelText = ({ s, testid }) =>
  html`<span class="sr-only" data-testid=${testid}>${s.speaking ? 'Your microphone picks up sound' : 'Your microphone is silent'}</span>`;

function Quality({ s }) {
  const q = s.sample;
  if (s.call !== 'active') {
    return html`<p class="sp-quality muted" data-testid="softphone-quality" data-word="">
      <${Icon} name="signal" size=${14} /> Network quality shows during a call</p>`;
  }
  const word = q ? wordOf(q) : '';
  const fig = (v, unit) => (Number.isFinite(v) ? `${v}${unit}` : '–');
  return html`<p class="sp-quality" data-testid="softphone-quality" data-word=${word}
      data-loss=${q && q.packet_loss_pct} data-jitter=${q && q.jitter_ms} data-rtt=${q && q.rtt_ms}>
    <${Icon} name="signal" size=${14} />
    <span>Network: <strong class=${'sp-word sp-' + (word || 'none').toLowerCase()}>${word || 'measuring…'}</strong></span>
    ${q && html`<span class="muted small">loss ${fig(q.packet_loss_pct, '%')} · jitter ${fig(q.jitter_ms, ' ms')} · round trip ${fig(q.rtt_ms, ' ms')}</span>`}
  </p>`;
}

function StateBadge({ s }) {
  return html`<span class=${'sp-state sp-' + s.reg} role="status" aria-live="polite" data-testid="softphone-state">
    <span class="sp-dot" aria-hidden="true"></span>${STATE_WORD[s.reg] || s.reg}</span>`;
}

function ErrorLine({ s }) {
  if (!s.error) return null;
  const retryable = ['mic', 'credentials', 'policy', 'register', 'elsewhere'].includes(s.errorKind) && s.reg !== 'ready';
  return html`<div class="sp-alert" role="alert" data-testid="softphone-error" data-kind=${s.errorKind}>
    <${Icon} name="alert" size=${16} />
    <p>${s.error}</p>
    ${retryable && html`<button class="btn btn-small" type="button" data-testid="softphone-retry" onClick=${retry}>
      ${s.errorKind === 'elsewhere' ? 'Use this tab' : 'Try again'}</button>`}
  </div>`;
}

function Picker({ id, label, icon, list, value, onChange, testid }) {
  return html`<label class="sp-picker" for=${id}>
    <span><${Icon} name=${icon} size=${14} /> ${label}</span>
    <select id=${id} data-testid=${testid} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      <option value="">Default</option>
      ${list.filter((d) => d.id && d.id !== 'default').map((d) => html`<option value=${d.id} key=${d.id}>${d.label}</option>`)}
    </select>
  </label>`;
}

// SoftphonePanel is the browser phone on the idle workspace: its state,
// the devices, the level and the network.
export function SoftphonePanel() {
  const s = useSoftphone();
  useEffect(() => void refreshDevices(), []);
  const sink = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
  return html`<section class="card softphone" aria-labelledby="sp-title" data-testid="softphone" data-reg=${s.reg} data-call=${s.call}>
    <header class="sp-head">
      <h2 id="sp-title"><${Icon} name="browser" size=${16} /> Browser phone</h2>
      <${StateBadge} s=${s} />
    </header>
    <${ErrorLine} s=${s} />
    <div class="sp-devices">
      <div class="sp-mic">
        <${Picker} id="sp-mic" label="Microphone" icon="mic" list=${s.mics} value=${s.mic} onChange=${pickMic} testid="softphone-mic" />
        <${Meter} />
        <${LevelText} s=${s} testid="softphone-level-text" />
      </div>
      ${sink
        ? html`<${Picker} id="sp-speaker" label="Speaker" icon="speaker" list=${s.speakers} value=${s.speaker} onChange=${pickSpeaker} testid="softphone-speaker" />`
        : html`<p class="muted small">Calls play on this browser's default speaker.</p>`}
    </div>
    ${s.mics.length > 0 && s.mics.every((d) => !d.label) &&
    html`<p class="muted small">Device names show once the microphone is allowed.</p>`}
    <${Quality} s=${s} />
  </section>`;
}

// SoftphoneStrip is the browser phone in the call view and the wrap-up:
// one line.
export function SoftphoneStrip() {
  const s = useSoftphone();
  return html`<div class="sp-strip" data-testid="softphone-strip" data-reg=${s.reg} data-call=${s.call}>
    <div class="sp-strip-row">
      <${StateBadge} s=${s} />
      <${Meter} />
      <${LevelText} s=${s} />
    </div>
    <${ErrorLine} s=${s} />
    <${Quality} s=${s} />
  </div>`;
}
