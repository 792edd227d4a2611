// Users: who signs in and with which role. Passwords are set at creation
// and reset here; a generated one is shown once.

import { html, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { getState } from '../store.js';
import { notify } from '../common.js';
import { Badge, Dialog, Form, ResourcePage } from './kit.js';

const ROLES = [
  ['agent', 'Agent'],
  ['supervisor', 'Supervisor'],
  ['admin', 'Admin'],
];

const NEW = [
  { name: 'username', label: 'Username', required: true, hint: 'What they sign in with: letters, digits, . _ -' },
  { name: 'display_name', label: 'Name', hint: 'Shown to colleagues' },
  { name: 'role', label: 'Role', type: 'select', options: ROLES },
  { name: 'password', label: 'Password', type: 'password', required: true, hint: 'At least 10 characters' },
];

const EDIT = [
  { name: 'username', label: 'Username', readOnly: true },
  { name: 'display_name', label: 'Name' },
  { name: 'role', label: 'Role', type: 'select', options: ROLES },
];

// ResetPassword sets a user's password, or asks the server for one and
// shows it once.
function ResetPassword({ user, onClose }) {
  const [shown, setShown] = useState('');
  const fields = [{ name: 'password', label: 'New password', type: 'password', hint: 'Leave empty to generate one' }];
  const submit = async (v) => {
    const r = await rest.post(`/users/${user.id}/password`, v.password ? { password: v.password } : undefined);
    const ended = r.sessions_ended ? ` ${r.sessions_ended} signed-in session(s) ended.` : '';
    if (r.password) setShown(r.password);
    else {
      notify(`Password changed for ${user.username}.${ended}`, 'ok');
      onClose();
    }
  };
  return html`<${Dialog} title=${'Reset the password of ' + user.username} onClose=${onClose}>
    ${shown
      ? html`<div class="secret-once" data-testid="generated-password">
          <p>The new password, shown this once:</p>
          <p><code class="secret">${shown}</code></p>
          <div class="form-foot"><button class="btn btn-primary" onClick=${onClose}>Done</button></div>
        </div>`
      : html`<${Form} fields=${fields} initial=${{ password: '' }} submitLabel="Reset password" onSubmit=${submit} onCancel=${onClose} />`}
  </${Dialog}>`;
}

function UsersList() {
  const [resetting, setResetting] = useState(null);
  const me = (getState().me || {}).user || {};
  const spec = {
    title: 'Users',
    intro: 'Everyone who signs in: agents, supervisors and admins.',
    noun: 'user',
    testid: 'users',
    load: async () => (await rest.get('/users')).users || [],
    searchKeys: ['username', 'display_name', 'role'],
    filters: [{ name: 'role', label: 'Role', options: ROLES, test: (r, v) => r.role === v }],
    columns: [
      { label: 'User', render: (r) => html`<div class="strong">${r.display_name || r.username}</div><div class="muted small">${r.username}</div>` },
      { label: 'Role', render: (r) => ROLES.find(([k]) => k === r.role)?.[1] || r.role },
      { label: 'Status', render: (r) => (r.disabled ? html`<${Badge} tone="red">Disabled</${Badge}>` : html`<${Badge} tone="green">Active</${Badge}>`) },
      { label: 'Since', render: (r) => new Date(r.created_at).toLocaleDateString() },
    ],
    fields: NEW,
    editFields: EDIT,
    blank: { username: '', display_name: '', role: 'agent', password: '' },
    create: (v) => rest.post('/users', v),
    update: (r, v) => rest.patch(`/users/${r.id}`, { display_name: v.display_name, role: v.role }),
    disable: { is: (r) => r.disabled, set: (r, on) => rest.patch(`/users/${r.id}`, { disabled: on }) },
    rowActions: (r) =>
      r.id !== me.id && html`<button class="btn btn-small" onClick=${() => setResetting(r)}>Reset password</button>`,
  };
  return html`<${ResourcePage} spec=${spec} />
    ${resetting && html`<${ResetPassword} user=${resetting} onClose=${() => setResetting(null)} />`}`;
}

export const UsersPage = () => html`<${UsersList} />`;
