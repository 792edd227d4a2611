// The admin console's sections in menu order: id (the path under
// /admin/), label, group and page.

import { UsersPage } from './users.js';
import { AgentsPage } from './agents.js';
import { TeamsPage } from './teams.js';
import { PauseCodesPage } from './pausecodes.js';
import { DispositionsPage } from './dispositions.js';
import { APIKeysPage } from './apikeys.js';

export const SECTIONS = [
  { id: 'users', label: 'Users', group: 'People', page: UsersPage },
  { id: 'agents', label: 'Agents', group: 'People', page: AgentsPage },
  { id: 'teams', label: 'Teams', group: 'People', page: TeamsPage },
  { id: 'pause-codes', label: 'Pause codes', group: 'Dialing', page: PauseCodesPage },
  { id: 'dispositions', label: 'Dispositions', group: 'Dialing', page: DispositionsPage },
  { id: 'api-keys', label: 'API keys', group: 'Access', page: APIKeysPage },
];
