// The admin console: one page per kind of record, reached from a side
// menu grouped the way an admin thinks of the job. Sections register in
// sections.js.

import { html } from '../../vendor/htm-preact.js';
import { Link } from '../nav.js';
import { SECTIONS } from './sections.js';

// sectionOf is the section a path names (/admin/<id>/...), the first one
// for /admin itself; null for an unknown one.
export function sectionOf(path) {
  const id = path.replace(/^\/admin\/?/, '').split('/')[0];
  if (!id) return SECTIONS[0];
  return SECTIONS.find((s) => s.id === id) || null;
}

export function AdminPage({ path }) {
  const sec = sectionOf(path);
  const groups = [...new Set(SECTIONS.map((s) => s.group))];
  return html`<div class="admin" data-testid="admin">
    <nav class="admin-nav" aria-label="Admin sections">
      ${groups.map((g) => html`<div class="admin-group" key=${g}>
        <div class="admin-group-name">${g}</div>
        ${SECTIONS.filter((s) => s.group === g).map((s) => html`<${Link} key=${s.id} href=${'/admin/' + s.id}
          class=${'admin-link' + (sec === s ? ' on' : '')} aria-current=${sec === s ? 'page' : undefined}
          data-testid=${'admin-nav-' + s.id}>${s.label}</${Link}>`)}
      </div>`)}
    </nav>
    <div class="admin-body">
      ${sec ? html`<${sec.page} path=${path} />` : html`<div class="card empty center"><p>No such section.</p></div>`}
    </div>
  </div>`;
}
