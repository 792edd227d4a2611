// The admin console's sections in menu order: id (the path under
// /admin/), label, group and page.

import { UsersPage } from './users.js';
import { PauseCodesPage } from './pausecodes.js';

export const SECTIONS = [
  { id: 'users', label: 'Users', group: 'People', page: UsersPage },
  { id: 'pause-codes', label: 'Pause codes', group: 'Dialing', page: PauseCodesPage },
];
