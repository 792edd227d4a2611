// The admin console's sections in menu order: id (the path under
// /admin/), label, group and page; supervisor: supervisors read it too.

import { UsersPage } from './users.js';
import { AgentsPage } from './agents.js';
import { TeamsPage } from './teams.js';
import { PauseCodesPage } from './pausecodes.js';
import { DispositionsPage } from './dispositions.js';
import { APIKeysPage } from './apikeys.js';
import { QueuesPage } from './queues.js';
import { DIDsPage } from './dids.js';
import { GatewaysPage } from './gateways.js';
import { NodesPage } from './nodes.js';
import { CampaignsPage } from './campaigns.js';
import { LeadsPage } from './leads.js';
import { DNCPage } from './dnc.js';
import { WidgetsPage } from './widgets.js';
import { WebhooksPage } from './webhooks.js';
import { WidgetCallsPage } from './widgetcalls.js';
import { WidgetDashboardPage } from './widgetdash.js';

export const SECTIONS = [
  { id: 'users', label: 'Users', group: 'People', page: UsersPage },
  { id: 'agents', label: 'Agents', group: 'People', page: AgentsPage },
  { id: 'teams', label: 'Teams', group: 'People', page: TeamsPage },
  { id: 'campaigns', label: 'Campaigns', group: 'Dialing', page: CampaignsPage },
  { id: 'leads', label: 'Leads', group: 'Dialing', page: LeadsPage },
  { id: 'dnc', label: 'Do not call', group: 'Dialing', page: DNCPage },
  { id: 'pause-codes', label: 'Pause codes', group: 'Dialing', page: PauseCodesPage },
  { id: 'dispositions', label: 'Dispositions', group: 'Dialing', page: DispositionsPage },
  { id: 'queues', label: 'Queues', group: 'Inbound', page: QueuesPage },
  { id: 'dids', label: 'DIDs', group: 'Inbound', page: DIDsPage },
  { id: 'gateways', label: 'Gateways', group: 'PBX', page: GatewaysPage },
  { id: 'nodes', label: 'Switch nodes', group: 'PBX', page: NodesPage },
  { id: 'api-keys', label: 'API keys', group: 'Access', page: APIKeysPage },
  { id: 'widgets', label: 'My widgets', group: 'Widgets', page: WidgetsPage },
  { id: 'widget-calls', label: 'Calls', group: 'Widgets', page: WidgetCallsPage, supervisor: true },
  { id: 'widget-dashboard', label: 'Dashboard', group: 'Widgets', page: WidgetDashboardPage, supervisor: true },
  { id: 'webhooks', label: 'Webhooks', group: 'Access', page: WebhooksPage },
];
