// The sign-in page.

import { html, useState, useRef, useEffect } from '../vendor/htm-preact.js';
import { api } from './api.js';
import { startSession } from './session.js';
import { Icon } from './icons.js';

export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useRef(null);
  useEffect(() => first.current && first.current.focus(), []);

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api.login(username.trim(), password);
      startSession(await api.me());
    } catch (err) {
      setError(err.status === 401 ? 'Wrong username or password.' : err.message);
      setBusy(false);
    }
  };

  return html`<div class="login-page">
    <main class="login-card" aria-labelledby="login-title">
      <div class="login-brand"><span class="logo" aria-hidden="true"><${Icon} name="headset" size=${22} /></span> agentswitch</div>
      <h1 id="login-title">Sign in to your workspace</h1>
      <form onSubmit=${submit} novalidate>
        <label class="field">
          <span>Username</span>
          <input ref=${first} name="username" autocomplete="username" required value=${username}
            onInput=${(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Password</span>
          <input type="password" name="password" autocomplete="current-password" required value=${password}
            onInput=${(e) => setPassword(e.currentTarget.value)} />
        </label>
        ${error && html`<p class="form-error" role="alert">${error}</p>`}
        <button class="btn btn-primary btn-block" type="submit" disabled=${busy || !username || !password}>
          ${busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  </div>`;
}
