// The admin console: one page per kind of record, reached from a side
// menu grouped the way an admin thinks of the job. Sections register in
// sections.js.

import { html } from '../../vendor/htm-preact.js';
import { Link } from '../nav.js';
import { SECTIONS } from './sections.js';

// sectionsFor are the sections a role reaches: all for an admin, those
// marked for supervisors for a supervisor.
export const sectionsFor = (role) => (role === 'admin' ? SECTIONS : SECTIONS.filter((s) => s.supervisor && role === 'supervisor'));

// sectionOf is the section a path names (/admin/<id>/...), the first one
// for /admin itself; null for an unknown one or one out of role's reach.
export function sectionOf(path, role = 'admin') {
  const mine = sectionsFor(role);
  const id = path.replace(/^\/admin\/?/, '').split('/')[0];
  if (!id) return mine[0] || null;
  return mine.find((s) => s.id === id) || null;
}

export function AdminPage({ path, role = 'admin' }) {
  const sec = sectionOf(path, role);
  const mine = sectionsFor(role);
  const groups = [...new Set(mine.map((s) => s.group))];
  return html`<div class="admin" data-testid="admin">
    <nav class="admin-nav" aria-label="Admin sections">
      ${groups.map((g) => html`<div class="admin-group" key=${g}>
        <div class="admin-group-name">${g}</div>
        ${mine.filter((s) => s.group === g).map((s) => html`<${Link} key=${s.id} href=${'/admin/' + s.id}
          class=${'admin-link' + (sec === s ? ' on' : '')} aria-current=${sec === s ? 'page' : undefined}
          data-testid=${'admin-nav-' + s.id}>${s.label}</${Link}>`)}
      </div>`)}
    </nav>
    <div class="admin-body">
      ${sec ? html`<${sec.page} path=${path} />` : html`<div class="card empty center"><p>No such section.</p></div>`}
    </div>
  </div>`;
}
