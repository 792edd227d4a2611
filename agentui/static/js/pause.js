// Pause reasons in words. The service pauses agents by itself with the
// codes below; any other code is one an admin configured
// (GET /api/v1/pause-codes) and the agent chose. Agents never see a raw
// code: a new system code is one line in SYSTEM.

// The service's heartbeat grace (dialer.EngineConfig.HeartbeatGrace).
const GRACE = '30 s';

// code: [short label, what happened]
const SYSTEM = {
  NO_HEARTBEAT: ['Connection lost', `No heartbeat from this page for ${GRACE}: the connection was lost, so the server paused you.`],
  RESTART: ['Service restarted', 'The service restarted while you were on a call. Check the call in History.'],
  CALL_LOST: ['Call lost', 'The service lost your call when it restarted. Check the call in History.'],
  RONA: ['Missed call', 'A call rang your phone and was not answered.'],
  PHONE_DOWN: ['Phone disconnected', 'Your persistent line dropped. You go ready again when it reconnects.'],
  LOGIN: ['Session started', 'You start each session paused.'],
  MANUAL: ['Manual dial', 'You dialed by hand, so calls stopped coming to you.'],
  PREVIEW: ['Previewing', 'Read the lead, then dial it or skip it. No other calls come to you meanwhile.'],
};

// words turns an admin's code into a label: COACHING_1_ON_1 -> "Coaching 1 on 1".
function words(code) {
  const s = code.replace(/_+/g, ' ').trim().toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// pauseReason: { label, detail (system codes only), system }.
export function pauseReason(code) {
  if (!code) return { label: '', detail: '', system: false };
  const sys = SYSTEM[code.toUpperCase()];
  if (sys) return { label: sys[0], detail: sys[1], system: true };
  return { label: words(code), detail: '', system: false };
}
