// Teams: groups of agents under supervisors; the wall filters by them.
// Deleting a team leaves its agents without one.

import { html, useEffect, useMemo, useState } from '../../vendor/htm-preact.js';
import { rest } from '../api.js';
import { ResourcePage } from './kit.js';

function TeamsList({ users }) {
  const spec = useMemo(() => {
    const leads = users.filter((u) => u.role !== 'agent' && !u.disabled);
    const name = (id) => {
      const u = users.find((u) => u.id === id);
      return u ? u.display_name || u.username : `user ${id}`;
    };
    const fields = [
      { name: 'name', label: 'Name', required: true, hint: 'Unique, e.g. Spanish inbound' },
      { name: 'supervisors', label: 'Supervisors', type: 'multi', options: leads.map((u) => [u.id, name(u.id)]), empty: 'No supervisors yet: add users with the supervisor role.' },
    ];
    return {
      title: 'Teams',
      intro: 'Groups of agents with the supervisors who lead them. Agents join a team on their page; the wall filters by team.',
      noun: 'team',
      testid: 'teams',
      load: async () => (await rest.get('/teams')).teams || [],
      searchKeys: ['name', (r) => (r.supervisors || []).map(name).join(' ')],
      columns: [
        { label: 'Team', render: (r) => html`<span class="strong">${r.name}</span>` },
        { label: 'Agents', render: (r) => html`<span data-testid="team-members">${r.members}</span>`, class: 'num' },
        { label: 'Supervisors', render: (r) => (r.supervisors || []).map(name).join(', ') || html`<span class="muted">none</span>` },
        { label: 'Changed', render: (r) => new Date(r.updated_at).toLocaleDateString() },
      ],
      fields,
      blank: { name: '', supervisors: [] },
      create: (v) => rest.post('/teams', { name: v.name, supervisors: v.supervisors || [] }),
      update: (r, v) => rest.patch(`/teams/${r.id}`, { name: v.name, supervisors: v.supervisors || [] }),
      remove: (r) => rest.del(`/teams/${r.id}`),
      confirmRemove: (r) =>
        r.members
          ? `Delete the team ${r.name}? Its ${r.members} agent(s) stay, without a team.`
          : `Delete the team ${r.name}?`,
    };
  }, [users]);
  return html`<${ResourcePage} spec=${spec} />`;
}

export function TeamsPage() {
  const [users, setUsers] = useState(null);
  useEffect(() => void rest.get('/users').then((r) => setUsers(r.users || []), () => setUsers([])), []);
  if (!users) return html`<div class="card"><div class="skeleton"></div></div>`;
  return html`<${TeamsList} users=${users} />`;
}
