// The HTTP API, as the workspace uses it. Every request that changes state
// carries the CSRF header the server requires of cookie sessions.

export class APIError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field || '';
  }
}

let onUnauthorized = () => {};

// whenUnauthorized is called when the session is gone (401), so the app
// can show the login page.
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-Requested-With'] = 'agentswitch';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new APIError(0, 'The server cannot be reached. Check your connection.');
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    if (res.status === 401 && path !== '/auth/login') onUnauthorized();
    let msg = e.message || res.statusText || 'Request failed';
    if (res.status === 403 && msg === 'forbidden') msg = 'Not allowed: this is not one of your calls or leads.';
    throw new APIError(res.status, msg.charAt(0).toUpperCase() + msg.slice(1), e.field);
  }
  return data;
}

// rest is the API by path, for the admin console's many records.
export const rest = {
  get: (p) => request('GET', p),
  post: (p, b) => request('POST', p, b),
  patch: (p, b) => request('PATCH', p, b),
  put: (p, b) => request('PUT', p, b),
  del: (p) => request('DELETE', p),
};

const get = (p) => request('GET', p);
const post = (p, b) => request('POST', p, b === undefined ? undefined : b);
const q = encodeURIComponent;

export const api = {
  me: () => get('/me'),
  audit: (query) => get('/audit' + (query ? '?' + query : '')),
  login: (username, password) => post('/auth/login', { username, password }),
  logout: () => post('/auth/logout'),

  pauseCodes: () => get('/pause-codes'),
  directory: () => get('/directory'),
  agent: (id) => get(`/agents/${id}`),
  agentLogin: (id, body) => post(`/agents/${id}/login`, body),
  agentLogout: (id) => post(`/agents/${id}/logout`),
  ready: (id) => post(`/agents/${id}/ready`),
  pause: (id, code) => post(`/agents/${id}/pause`, { code }),
  dial: (id, body) => post(`/agents/${id}/dial`, body),
  history: (id, limit = 50) => get(`/agents/${id}/history?limit=${limit}`),
  agentCampaigns: (id) => get(`/agents/${id}/campaigns`),
  setCampaign: (id, campaignId) => post(`/agents/${id}/campaign`, { campaign_id: campaignId }),
  previewDial: (id) => post(`/agents/${id}/preview/dial`),
  previewSkip: (id, reason) => post(`/agents/${id}/preview/skip`, { reason }),
  // The browser softphone: short-lived SIP credentials, and what it
  // measures of its audio for supervisors.
  webrtcCredentials: (id) => post(`/agents/${id}/webrtc/credentials`),
  dropWebrtcCredentials: (id) => request('DELETE', `/agents/${id}/webrtc/credentials`),
  mediaQuality: (id, body) => post(`/agents/${id}/media-quality`, body),

  call: (id) => get(`/calls/${q(id)}`),
  hangup: (id) => post(`/calls/${q(id)}/hangup`),
  hold: (id, on) => post(`/calls/${q(id)}/${on ? 'hold' : 'unhold'}`),
  mute: (id, on) => post(`/calls/${q(id)}/${on ? 'mute' : 'unmute'}`),
  leave: (id) => post(`/calls/${q(id)}/leave`),
  dtmf: (id, digits) => post(`/calls/${q(id)}/dtmf`, { digits }),
  record: (id, on) => post(`/calls/${q(id)}/recording`, { on }),
  transfer: (id, target) => post(`/calls/${q(id)}/transfer`, target),
  addParty: (id, target) => post(`/calls/${q(id)}/parties`, target),
  removeParty: (id, leg) => request('DELETE', `/calls/${q(id)}/parties/${q(leg)}`),
  monitor: (id, body) => post(`/calls/${q(id)}/monitor`, body),
  monitorMode: (id, leg, mode) => post(`/calls/${q(id)}/monitor/${q(leg)}`, { mode }),
  stopMonitor: (id, leg) => request('DELETE', `/calls/${q(id)}/monitor/${q(leg)}`),
  dispose: (id, body) => post(`/calls/${q(id)}/disposition`, body),

  dispositions: () => get('/dispositions'),
  callbacks: (scope) => get(`/callbacks?scope=${q(scope)}`),
  dialCallback: (id) => post(`/callbacks/${id}/dial`),
  doneCallback: (id) => post(`/callbacks/${id}/done`),

  lead: (id) => get(`/leads/${id}`),
  patchLead: (id, body) => request('PATCH', `/leads/${id}`, body),
  leadHistory: (id) => get(`/leads/${id}/history`),
  // A URL, not a request: the audio element fetches it with Range.
  recordingURL: (id, download) => `/api/v1/calls/${q(id)}/recording${download ? '?download=1' : ''}`,
  campaign: (id) => get(`/campaigns/${id}`),
  campaigns: () => get('/campaigns'),

  // /healthz says whether the switch is the built-in simulator (to a
  // signed-in caller).
  health: async () => {
    try {
      const res = await fetch('/healthz', { headers: { Accept: 'application/json' } });
      return await res.json();
    } catch {
      return null;
    }
  },
};
