// The admin console, in Chromium against `agentswitch serve`: an admin
// signs in and provisions from its pages alone. admin_test.go
// (TestAdminDay) checks what the pages made through the API.
//
// Env: AS_URL, AS_USER, AS_PASSWORD (the admin), AS_ADMIN_KEY,
// AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { URL, env, ask, step, openPage, helpers, run, admin, until } from './harness.mjs';

const result = {};
const session = await openPage();
const { page } = session;
const { shot, notice } = helpers(page);

const nav = () => page.getByRole('navigation', { name: 'Screens' });
const sections = () => page.getByRole('navigation', { name: 'Admin sections' });
const dialog = () => page.getByRole('dialog');

// open goes to an admin section from the side menu.
async function open(label, heading = label) {
  await sections().getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { name: heading, exact: true }).waitFor();
}

// fieldError is the error shown under the form field labelled label.
const fieldError = (label) => dialog().locator('.field').filter({ has: page.getByLabel(label, { exact: true }) }).locator('.field-error');

await run(session, 'admin-failure', result, async () => {
  await step('the admin signs in and opens the console', async () => {
    await page.goto(URL + '/');
    await page.getByLabel('Username').fill(env('AS_USER'));
    await page.getByLabel('Password').fill(env('AS_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await nav().getByRole('link', { name: 'Admin' }).click();
    await sections().waitFor();
    assert.equal(new globalThis.URL(page.url()).pathname, '/admin');
  });

  await step('a user: a bad username is refused on its field, then the user is made', async () => {
    // The refusals the steps provoke are logged by the browser.
    session.expectError(/status of 400/);
    await open('Users');
    await page.getByRole('button', { name: 'New user' }).click();
    await dialog().getByLabel('Username', { exact: true }).fill('nora lee');
    await dialog().getByLabel('Name', { exact: true }).fill('Nora Lee');
    await dialog().getByLabel('Role', { exact: true }).selectOption('supervisor');
    await dialog().getByLabel('Password', { exact: true }).fill('nora-first-pass-1');
    await dialog().getByRole('button', { name: 'Create user' }).click();
    await fieldError('Username').waitFor();
    assert.match(await fieldError('Username').textContent(), /A-Za-z0-9/);
    await dialog().getByLabel('Username', { exact: true }).fill('nora');
    await dialog().getByRole('button', { name: 'Create user' }).click();
    await dialog().waitFor({ state: 'detached' });
    const row = page.getByTestId('users-table-row').filter({ hasText: 'Nora Lee' });
    await row.waitFor();
    result.user = Number(await row.getAttribute('data-key'));
    await page.getByLabel('Search users').fill('nora');
    assert.equal(await page.getByTestId('users-table-row').count(), 1);
    await shot('30-admin-users');
  });

  await step("the user's password is reset to a generated one, shown once", async () => {
    const row = page.getByTestId('users-table-row').filter({ hasText: 'Nora Lee' });
    await row.getByRole('button', { name: 'Reset password' }).click();
    await dialog().getByRole('button', { name: 'Reset password' }).click();
    const shown = dialog().getByTestId('generated-password').locator('code');
    await shown.waitFor();
    result.password = (await shown.textContent()).trim();
    assert.ok(result.password.length >= 10, 'a generated password');
    await dialog().getByRole('button', { name: 'Done' }).click();
    await dialog().waitFor({ state: 'detached' });
  });

  await step('a pause code: made, then edited; agents are offered it', async () => {
    await open('Pause codes');
    await page.getByRole('button', { name: 'New pause code' }).click();
    await dialog().getByLabel('Code', { exact: true }).fill('QA_REVIEW');
    await dialog().getByLabel('Label', { exact: true }).fill('QA review');
    await dialog().getByRole('button', { name: 'Create pause code' }).click();
    await dialog().waitFor({ state: 'detached' });
    const row = page.getByTestId('pause-codes-table-row').filter({ hasText: 'QA_REVIEW' });
    await row.getByRole('button', { name: 'Edit' }).click();
    assert.equal(await dialog().getByLabel('Code', { exact: true }).getAttribute('readonly'), '', 'a code keeps its name');
    await dialog().getByLabel('Label', { exact: true }).fill('Quality review');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await notice('Saved the pause code.').waitFor();
    await row.filter({ hasText: 'Quality review' }).waitFor();
    await shot('31-admin-pause-codes');
  });

  // ---- people: a team, an agent's SIP seat in it, dispositions, API keys

  // rowsShown waits for the table to show n rows (a search re-renders it).
  const rowsShown = (testid, n) =>
    page.waitForFunction(([t, k]) => document.querySelectorAll(`[data-testid=${t}-table-row]`).length === k, [testid, n]);

  await step('a team is made', async () => {
    await open('Teams');
    await page.getByRole('button', { name: 'New team' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('Closers');
    await dialog().getByRole('checkbox', { name: 'Nora Lee' }).check();
    await dialog().getByRole('button', { name: 'Create team' }).click();
    await dialog().waitFor({ state: 'detached' });
    const row = page.getByTestId('teams-table-row').filter({ hasText: 'Closers' });
    await row.filter({ hasText: 'Nora Lee' }).waitFor();
    result.team = Number(await row.getAttribute('data-key'));
  });

  await step('a user for the new agent', async () => {
    await open('Users');
    await page.getByRole('button', { name: 'New user' }).click();
    await dialog().getByLabel('Username', { exact: true }).fill('maria');
    await dialog().getByLabel('Name', { exact: true }).fill('Maria Lopez');
    await dialog().getByLabel('Role', { exact: true }).selectOption('agent');
    await dialog().getByLabel('Password', { exact: true }).fill('maria-first-pass-1');
    await dialog().getByRole('button', { name: 'Create user' }).click();
    await dialog().waitFor({ state: 'detached' });
    const row = page.getByTestId('users-table-row').filter({ hasText: 'Maria Lopez' });
    result.maria = Number(await row.getAttribute('data-key'));
  });

  await step("an agent's SIP seat: a taken extension is refused on its field, then the phone's settings are shown once", async () => {
    session.expectError(/status of 409/);
    await open('Agents');
    await page.getByRole('button', { name: 'New agent' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('Maria Lopez');
    await dialog().getByLabel('Extension', { exact: true }).fill('2001');
    await dialog().getByLabel('SIP password', { exact: true }).fill('sip-maria-2002');
    await dialog().getByLabel('Login', { exact: true }).selectOption({ label: 'Maria Lopez (maria)' });
    await dialog().getByLabel('Team', { exact: true }).selectOption({ label: 'Closers' });
    await dialog().getByLabel('Skills', { exact: true }).fill('en, sales');
    await dialog().getByRole('checkbox', { name: 'Spring renewals' }).check();
    await dialog().getByRole('button', { name: 'Create agent' }).click();
    await fieldError('Extension').waitFor();
    assert.match(await fieldError('Extension').textContent(), /taken by Existing Seat/);
    await shot('32-admin-agent-form');
    await dialog().getByLabel('Extension', { exact: true }).fill('2002');
    await dialog().getByRole('button', { name: 'Create agent' }).click();
    const card = page.getByTestId('sip-card');
    await card.waitFor();
    await page.getByRole('dialog').nth(1).waitFor({ state: 'detached' });
    assert.equal(await card.getByTestId('sip-user').textContent(), '2002');
    assert.equal(await card.getByTestId('sip-password').textContent(), 'sip-maria-2002');
    result.realm = await card.getByTestId('sip-domain').textContent();
    assert.ok(result.realm, 'the SIP domain is shown');
    await shot('32-admin-agent-phone');
    await card.getByRole('button', { name: 'Done' }).click();
    await dialog().waitFor({ state: 'detached' });
    const row = page.getByTestId('agents-table-row').filter({ hasText: 'Maria Lopez' });
    await row.filter({ hasText: 'Closers' }).waitFor();
    assert.equal(await row.getByTestId('agent-live-state').textContent(), 'Logged out');
    result.agent = Number(await row.getAttribute('data-key'));
    // The state follows the phone live: logged in, the row says so.
    await admin('POST', `/agents/${result.agent}/login`, { endpoint: { kind: 'sip' }, mode: 'ring' });
    await row.getByTestId('agent-live-state').filter({ hasText: 'Paused' }).waitFor();
    await admin('POST', `/agents/${result.agent}/logout`);
    await row.getByTestId('agent-live-state').filter({ hasText: 'Logged out' }).waitFor();
    await page.getByLabel('Search agents').fill('sales');
    await rowsShown('agents', 1);
    await page.getByLabel('Search agents').fill('');
    await rowsShown('agents', 4);
    await page.getByLabel('Team', { exact: true }).selectOption({ label: 'Closers' });
    await rowsShown('agents', 1);
    await page.getByLabel('Team', { exact: true }).selectOption('');
    await rowsShown('agents', 4);
    await shot('32-admin-agents');
  });

  await step('the agent is edited: skills and phone mode, the SIP password kept', async () => {
    const row = page.getByTestId('agents-table-row').filter({ hasText: 'Maria Lopez' });
    await row.getByRole('button', { name: 'Edit' }).click();
    assert.equal(await dialog().getByLabel('New SIP password', { exact: true }).inputValue(), '');
    assert.equal(await dialog().getByLabel('Skills', { exact: true }).inputValue(), 'en, sales');
    await dialog().getByLabel('Skills', { exact: true }).fill('en, es, sales');
    await dialog().getByLabel('Phone mode', { exact: true }).selectOption('persistent');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await notice('Saved the agent.').waitFor();
    await row.filter({ hasText: 'Persistent' }).filter({ hasText: 'es' }).waitFor();
  });

  await step('the team counts its agent; a team deleted after a question leaves its agent teamless', async () => {
    await open('Teams');
    const row = page.getByTestId('teams-table-row').filter({ hasText: 'Closers' });
    assert.equal(await row.getByTestId('team-members').textContent(), '1');
    await shot('33-admin-teams');
    const night = page.getByTestId('teams-table-row').filter({ hasText: 'Night shift' });
    page.once('dialog', (d) => {
      result.askedTeamDelete = /1 agent\(s\) stay, without a team/.test(d.message());
      d.accept();
    });
    await night.getByRole('button', { name: 'Delete' }).click();
    await notice('Deleted the team.').waitFor();
    await night.waitFor({ state: 'detached' });
  });

  await step('a disposition: made, then edited; system codes cannot be deleted', async () => {
    await open('Dispositions');
    await page.getByRole('button', { name: 'New disposition' }).click();
    await dialog().getByLabel('Code', { exact: true }).fill('APPT_SET');
    await dialog().getByLabel('Label', { exact: true }).fill('Appointment');
    await dialog().getByRole('checkbox', { name: /^final/i }).check();
    await dialog().getByRole('button', { name: 'Create disposition' }).click();
    await dialog().waitFor({ state: 'detached' });
    const row = page.getByTestId('dispositions-table-row').filter({ hasText: 'APPT_SET' });
    await row.getByRole('button', { name: 'Edit' }).click();
    await dialog().getByLabel('Label', { exact: true }).fill('Appointment set');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await notice('Saved the disposition.').waitFor();
    await row.filter({ hasText: 'Appointment set' }).waitFor();
    const sale = page.locator('[data-testid=dispositions-table-row][data-key=SALE]');
    assert.equal(await sale.getByRole('button', { name: 'Delete' }).count(), 0, 'a system code offers no delete');
    await shot('34-admin-dispositions');
  });

  await step("an API key: its secret shown once; another key revoked", async () => {
    await open('API keys');
    await page.getByRole('button', { name: 'New API key' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('crm-sync');
    await dialog().getByLabel('Role', { exact: true }).selectOption('supervisor');
    await dialog().getByRole('button', { name: 'Create API key' }).click();
    const shown = page.getByTestId('api-key-secret-value');
    await shown.waitFor();
    await page.getByRole('dialog').nth(1).waitFor({ state: 'detached' });
    assert.match(await page.getByTestId('api-key-secret').textContent(), /will not be shown again/);
    result.apiKey = (await shown.textContent()).trim();
    await shot('35-admin-api-key-secret');
    await dialog().getByRole('button', { name: 'I have copied it' }).click();
    await dialog().waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('api-key-secret-value').count(), 0, 'the secret is gone');
    const old = page.getByTestId('api-keys-table-row').filter({ hasText: 'legacy-export' });
    page.once('dialog', (d) => d.accept());
    await old.getByRole('button', { name: 'Revoke' }).click();
    await notice('Revoked legacy-export.').waitFor();
    await old.getByTestId('api-key-status').filter({ hasText: 'Revoked' }).waitFor();
    await shot('35-admin-api-keys');
  });

  // ---- The PBX: gateways, queues with members, DIDs, switch nodes.
  result.pbx = {};
  const gwRow = () => page.getByTestId('gateways-table-row').filter({ hasText: 'carrier1' });
  const gwState = () => gwRow().getByTestId('gateway-status');

  await step('a gateway that registers to its carrier is made and shows registered, live', async () => {
    await open('Gateways');
    await page.getByRole('button', { name: 'New gateway' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('carrier1');
    await dialog().getByLabel('Proxy', { exact: true }).fill('sip.carrier.example');
    await dialog().getByLabel('Username', { exact: true }).fill('acme');
    await dialog().getByLabel('Password', { exact: true }).fill('carrier-pass-1');
    await dialog().getByLabel(/Register to the carrier/).check();
    await shot('34-admin-gateway-form');
    await dialog().getByRole('button', { name: 'Create gateway' }).click();
    await dialog().waitFor({ state: 'detached' });
    result.pbx.gateway = Number(await gwRow().getAttribute('data-key'));
    // Registering, then registered: pushed by the switch, no reload.
    await gwRow().locator('[data-state=REGED]').waitFor();
    assert.equal((await gwState().textContent()).trim(), 'Registered');
    await gwRow().getByRole('button', { name: 'Edit' }).click();
    assert.equal(await dialog().getByLabel('Password', { exact: true }).inputValue(), '', 'the password is never shown back');
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await shot('34-admin-gateways');
  });

  await step('the carrier refuses the registration: the page and the wall say so live', async () => {
    await ask({ do: 'fail-gateway', name: 'carrier1' });
    await gwRow().locator('[data-state=FAILED]').waitFor();
    await nav().getByRole('link', { name: 'Wall' }).click();
    const alert = page.getByTestId('switch-alerts').locator('[data-kind=gateway][data-name=carrier1]');
    await alert.waitFor();
    assert.match(await alert.textContent(), /Gateway carrier1 is not registered.*403 Forbidden/);
    await shot('38-wall-switch-alert');
    await ask({ do: 'register-gateway', name: 'carrier1' });
    await alert.waitFor({ state: 'detached' });
    result.pbx.alerted = true;
    await nav().getByRole('link', { name: 'Admin' }).click();
    await sections().waitFor();
  });

  await step('a queue is made, and two members are added, ordered and ranked in the editor', async () => {
    session.expectError(/status of (400|409)/);
    await open('Queues');
    await page.getByRole('button', { name: 'New queue' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('support');
    await dialog().getByLabel('Ring strategy', { exact: true }).selectOption('top-down');
    await dialog().getByLabel('Ring timeout (s)', { exact: true }).fill('25');
    await dialog().getByLabel('Wrap-up (s)', { exact: true }).fill('10');
    await dialog().getByLabel('Send callers to', { exact: true }).selectOption('number');
    await dialog().getByLabel('Number', { exact: true }).fill('+12125550177');
    await dialog().getByLabel(/waited the max wait/).check();
    await dialog().getByLabel('Max wait (s)', { exact: true }).fill('120');
    await shot('35-admin-queue-form');
    await dialog().getByRole('button', { name: 'Create queue' }).click();
    await dialog().waitFor({ state: 'detached' });
    const row = page.getByTestId('queues-table-row').filter({ hasText: 'support' });
    result.pbx.queue = Number(await row.getAttribute('data-key'));
    await row.getByTestId('queue-live').waitFor();
    await row.getByRole('button', { name: 'Members' }).click();
    const ed = dialog().getByTestId('members-editor');
    await ed.getByText('No members yet').waitFor();
    await ed.getByTestId('member-pick').selectOption({ label: 'Ana Ortiz (4001)' });
    await ed.getByTestId('member-add').click();
    await ed.getByTestId('member-pick').selectOption({ label: 'Ben Cole (4002)' });
    await ed.getByTestId('member-add').click();
    assert.equal(await ed.getByTestId('member-row').count(), 2);
    await ed.getByTestId('member-row').nth(1).getByRole('button', { name: 'Move up' }).click();
    await ed.getByLabel('Rank of Ben Cole (4002)').fill('5');
    await ed.getByLabel('Skills of Ben Cole (4002)').fill('spanish');
    await shot('35-admin-queue-members');
    await ed.getByTestId('members-save').click();
    await notice('Saved the members of support.').waitFor();
    await dialog().waitFor({ state: 'detached' });
    await shot('35-admin-queues');
  });

  await step('a DID: a bad number is refused on its field, then it routes to the queue', async () => {
    await open('DIDs');
    await page.getByRole('button', { name: 'New DID' }).click();
    await dialog().getByLabel('Number', { exact: true }).fill('12ab');
    await dialog().getByLabel('Name', { exact: true }).fill('Support line');
    await dialog().getByLabel('Queue', { exact: true }).selectOption('support');
    await dialog().getByLabel('Priority', { exact: true }).fill('5');
    await dialog().getByLabel('Skills', { exact: true }).fill('spanish');
    await dialog().getByRole('button', { name: 'Create DID' }).click();
    await fieldError('Number').waitFor();
    await dialog().getByLabel('Number', { exact: true }).fill('+1 212 555 0188');
    await dialog().getByRole('button', { name: 'Create DID' }).click();
    await dialog().waitFor({ state: 'detached' });
    const row = page.getByTestId('dids-table-row').filter({ hasText: 'Support line' });
    result.pbx.did = await row.getAttribute('data-key');
    assert.match(await row.textContent(), /support/);
    await shot('36-admin-dids');
  });

  await step('the queue cannot be deleted while the DID routes to it: the page says which', async () => {
    await open('Queues');
    page.once('dialog', (d) => d.accept());
    const row = page.getByTestId('queues-table-row').filter({ hasText: 'support' });
    await row.getByRole('button', { name: 'Delete' }).click();
    await notice(result.pbx.did).waitFor();
    assert.equal(await page.getByTestId('queues-table-row').count(), 1);
  });

  await step('the switch node is up, with its health', async () => {
    await open('Switch nodes');
    const node = page.locator('[data-testid=node][data-node=fs1]');
    await node.waitFor();
    assert.equal(await node.getAttribute('data-up'), 'true');
    await node.getByTestId('node-sessions').filter({ hasText: /of 1000/ }).waitFor();
    await shot('37-admin-nodes');
  });

  // ---- Dialing: a campaign, its lead list and import, a lead, do-not-call
  const fieldOn = (scope, label) => scope.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) }).locator('.field-error');

  await step('a campaign: max attempts 0 is refused on its field, then the campaign is made', async () => {
    // The refusals these steps provoke (a bad setting) are logged by the browser.
    session.expectError(/status of 400/);
    await open('Campaigns');
    await page.getByRole('button', { name: 'New campaign' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('Winter reactivation');
    await dialog().getByLabel('Dial mode', { exact: true }).selectOption('progressive');
    await dialog().getByLabel('Caller ID', { exact: true }).fill('+14155550100');
    await dialog().getByLabel('Max attempts per lead', { exact: true }).fill('0');
    await dialog().getByRole('button', { name: 'Create campaign' }).click();
    await fieldError('Max attempts per lead').waitFor();
    assert.match(await fieldError('Max attempts per lead').textContent(), /1-100/);
    await dialog().getByLabel('Max attempts per lead', { exact: true }).fill('4');
    await dialog().getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('heading', { name: 'Winter reactivation', exact: true }).waitFor();
    result.campaign = Number(new globalThis.URL(page.url()).pathname.split('/')[3]);
    assert.ok(result.campaign > 0, 'on the campaign page');
  });

  await step("the campaign's settings: a bad retry delay lands on its field, then they are saved", async () => {
    const form = page.getByTestId('campaign-page');
    await form.getByLabel('Busy', { exact: true }).fill('-5');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await fieldOn(form, 'Busy').waitFor();
    assert.match(await fieldOn(form, 'Busy').textContent(), /seconds/);
    await form.getByLabel('Busy', { exact: true }).fill('900');
    await form.getByLabel('Lines per agent', { exact: true }).fill('2');
    await form.getByLabel('Pacing mode', { exact: true }).selectOption('tapered');
    await form.getByLabel('Abandon ceiling (%)', { exact: true }).fill('2.5');
    await form.getByLabel('Hours', { exact: true }).fill('09:00-20:00');
    await form.getByLabel('Sun', { exact: true }).uncheck();
    await form.getByLabel('Country', { exact: true }).fill('US');
    await form.getByLabel('Maria Lopez (2002)', { exact: true }).check();
    await form.getByRole('button', { name: 'Save settings' }).click();
    await notice('Saved the campaign.').waitFor();
    await form.getByRole('heading', { name: 'Winter reactivation' }).scrollIntoViewIfNeeded();
    await shot('36-admin-campaign');
    for (const [section, name] of [['Retry delays', '36-admin-campaign-retries'], ['Agents', '36-admin-campaign-agents']]) {
      await form.getByRole('heading', { name: section, exact: true }).evaluate((h) => h.scrollIntoView({ block: 'start' }));
      await shot(name);
    }
  });

  await step("the import's header reading and column guesses, case by case", async () => {
    const got = await page.evaluate(async () => {
      const m = await import('/assets/js/admin/lists.js');
      const k = await import('/assets/js/admin/kit.js');
      const heads = ['Mobile Number', 'Phone 2', 'Alt phone', 'phone_number', 'Given Name', 'fname', 'Surname', 'Last Name',
        'E-mail address', 'TZ', 'Time Zone', 'Account'];
      const fields = [{ name: 'retry_delays' }, { name: 'retry_delays.busy' }, { name: 'calling_window.hours' }, { name: 'caller_id_pool' }];
      return {
        guesses: heads.map((h) => m.guess(h)),
        row: m.csvRow('"Lee, Ann","say ""hi""",,x\r\nnext').fields,
        keys: ['Account #', ' plan ', '***'].map(m.customKey),
        errors: ['retry_delays.busy', 'retry_delays.failed', 'calling_window.hours[0].end', 'caller_id_pool[1]', 'name'].map(
          (f) => k.errorFor(fields, { field: f, message: 'x' }).field),
      };
    });
    assert.deepEqual(got.guesses, ['phone', 'phone2', 'phone2', 'phone', 'first_name', 'first_name', 'last_name', 'last_name',
      'email', 'time_zone', 'time_zone', 'custom']);
    assert.deepEqual(got.row, ['Lee, Ann', 'say "hi"', '', 'x']);
    assert.deepEqual(got.keys, ['Account', 'plan', 'field']);
    // An error lands on its own field, else the nearest enclosing one.
    assert.deepEqual(got.errors, ['retry_delays.busy', 'retry_delays', 'calling_window.hours', 'caller_id_pool', '']);
  });

  await step('a lead list is made and a CSV imported into it: columns mapped, progress to the end, the bad row reported', async () => {
    const page2 = page.getByTestId('campaign-page');
    await page2.getByRole('link', { name: 'Lead lists' }).click();
    await page.getByRole('button', { name: 'New list' }).click();
    await dialog().getByLabel('List name', { exact: true }).fill('Spring file');
    await dialog().getByRole('button', { name: 'Create list' }).click();
    const row = page.getByTestId('lists-table-row').filter({ hasText: 'Spring file' });
    await row.waitFor();
    result.list = Number(await row.getAttribute('data-key'));
    await row.getByRole('button', { name: 'Import CSV' }).click();

    const csv = [
      'Mobile Number,Given Name,Surname,E-mail address,Account,Notes (internal)',
      '+1 415 555 0101,Ann,Lee,ann@example.com,A-1,x',
      '+1 415 555 0102,Bob,Moss,bob@example.com,A-2,x',
      '+1 415 555 0103,Cyd,Nash,cyd@example.com,A-3,x',
      '+1 415 555 0104,Dee,Orr,dee@example.com,A-4,x',
      '+1 415 555 0105,Eve,Park,eve@example.com,A-5,x',
      '12,Fay,Quin,fay@example.com,A-6,x',
    ].join('\n');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'admin-import-')), 'spring.csv');
    fs.writeFileSync(file, csv + '\n');
    await dialog().getByLabel('CSV file', { exact: true }).setInputFiles(file);
    const mapping = dialog().getByTestId('import-mapping');
    await mapping.waitFor();
    // Guessed from the header names; the rest is set by hand.
    assert.equal(await dialog().getByLabel('Column Mobile Number').inputValue(), 'phone');
    assert.equal(await dialog().getByLabel('Column Given Name').inputValue(), 'first_name');
    await dialog().getByLabel('Column Notes (internal)').selectOption('');
    await dialog().getByLabel('Column Account').selectOption('custom');
    await dialog().getByLabel('Custom field for Account').fill('account');
    await dialog().getByLabel('Column E-mail address').selectOption('email');
    await shot('37-admin-import-mapping');
    await dialog().getByRole('button', { name: 'Import', exact: true }).click();
    const bar = dialog().getByRole('progressbar', { name: 'Import progress' });
    await bar.waitFor();
    await dialog().getByTestId('import-errors').waitFor();
    assert.equal(await bar.getAttribute('aria-valuenow'), '100');
    assert.equal((await dialog().getByTestId('import-imported').textContent()).trim(), '5');
    assert.equal((await dialog().getByTestId('import-rejected').textContent()).trim(), '1');
    assert.match(await dialog().getByTestId('import-report').textContent(), /Not a valid phone number/);
    await shot('37-admin-import');
    const href = await dialog().getByTestId('import-errors').getAttribute('href');
    const report = await page.evaluate(async (u) => (await fetch(u)).text(), href);
    assert.match(report, /^line,reason,detail,Mobile Number/m);
    assert.match(report, /^7,bad_number,.*,12,Fay,Quin/m);
    assert.equal(report.trim().split('\n').length, 2, 'the header and the one bad row');
    await dialog().getByRole('button', { name: 'Done' }).click();
    await dialog().waitFor({ state: 'detached' });
    await row.filter({ hasText: '5' }).waitFor();
  });

  await step('an import stopped while it runs keeps nothing', async () => {
    // The upload still open when the import is stopped may be answered
    // 409 (the import is over) before the page drops it.
    session.expectError(/status of (400|409)/);
    const lines = ['Phone,First'];
    for (let i = 0; i < 150000; i++) lines.push(`+1212${String(2000000 + i).padStart(7, '0')},N${i}`);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'admin-big-')), 'big.csv');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const row = page.getByTestId('lists-table-row').filter({ hasText: 'Spring file' });
    await row.getByRole('button', { name: 'Import CSV' }).click();
    await dialog().getByLabel('CSV file', { exact: true }).setInputFiles(file);
    await dialog().getByRole('button', { name: 'Import', exact: true }).click();
    // Counts come from the event stream while the file is read.
    await dialog().getByTestId('import-read').waitFor();
    const id = await dialog().getByTestId('import-progress').getAttribute('data-import');
    page.once('dialog', (d) => d.accept());
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    await notice('Import stopped').waitFor();
    await until('the stopped import rolled back', () => admin('GET', `/lists/${result.list}`), (l) => l.total === 5);
    result.cancelledImport = (await admin('GET', `/imports/${id}`)).status;
    session.expectError(/status of 400/);
  });

  await step('an imported lead is found by search and edited', async () => {
    // The list's Leads link opens the Leads page filtered to it.
    await page.getByTestId('lists-table-row').filter({ hasText: 'Spring file' }).getByRole('link', { name: 'Leads' }).click();
    await page.getByRole('heading', { name: 'Leads', exact: true }).waitFor();
    // The pickers show their value once their options are read.
    await until('the campaign picked', () => page.getByLabel('Campaign', { exact: true }).inputValue(), (v) => v === String(result.campaign));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=leads-table-row]').length === 5);
    await until('the list picked', () => page.getByLabel('List', { exact: true }).inputValue(), (v) => v === String(result.list));
    await page.getByLabel('Search leads').fill('Cyd');
    const row = page.getByTestId('leads-table-row').filter({ hasText: 'Cyd Nash' });
    await row.waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=leads-table-row]').length === 1);
    result.lead = Number(await row.getAttribute('data-key'));
    await row.getByRole('button', { name: 'Open' }).click();
    // The lead is read when the dialog opens: wait for its fields.
    const account = dialog().getByLabel('account', { exact: true });
    await until('the lead in the dialog', () => account.inputValue(), (v) => v === 'A-3');
    await dialog().getByLabel('Last name', { exact: true }).fill('Nash-Ortiz');
    await shot('38-admin-lead');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await notice('Saved the lead.').waitFor();
    await page.getByTestId('leads-table-row').filter({ hasText: 'Cyd Nash-Ortiz' }).waitFor();
    await page.getByLabel('Search leads').fill('');
    await page.getByTestId('leads-table-row').nth(4).waitFor();
    await shot('38-admin-leads');
  });

  await step('the leads a filter selects are deleted at once', async () => {
    await page.getByLabel('Search leads').fill('Eve');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=leads-table-row]').length === 1);
    await page.getByRole('button', { name: 'Change these leads…' }).click();
    await dialog().getByLabel('Action', { exact: true }).selectOption('delete');
    page.once('dialog', (d) => d.accept());
    await dialog().getByRole('button', { name: 'Apply' }).click();
    await notice('Deleted 1 lead.').waitFor();
    await page.getByText('No lead matches.').waitFor();
    await page.getByLabel('Search leads').fill('');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=leads-table-row]').length === 4);
  });

  await step('a number is added to the do-not-call list and looked up', async () => {
    await open('Do not call');
    await page.getByRole('button', { name: 'Add number' }).click();
    await dialog().getByLabel('Number', { exact: true }).fill('+1 415 555 0199');
    await dialog().getByLabel('Reason', { exact: true }).fill('Asked on the phone');
    await dialog().getByRole('button', { name: 'Add number' }).click();
    await dialog().waitFor({ state: 'detached' });
    await page.getByTestId('dnc-table-row').filter({ hasText: 'Asked on the phone' }).waitFor();
    await page.getByLabel('Look a number up').fill('+14155550199');
    await page.getByRole('button', { name: 'Look up' }).click();
    const verdict = page.getByTestId('dnc-verdict');
    await verdict.waitFor();
    assert.match(await verdict.textContent(), /is on the do-not-call list[\s\S]*System-wide[\s\S]*Asked on the phone/);
    await shot('39-admin-dnc');
  });

  await step('numbers are imported into the do-not-call list from a CSV file', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'admin-dnc-')), 'complaints.csv');
    fs.writeFileSync(file, 'name,phone\nGus,+1 415 555 0188\nHal,(415) 555-0189\nIvy,nope\n');
    await page.getByRole('button', { name: 'Import CSV' }).click();
    await dialog().getByLabel('CSV file', { exact: true }).setInputFiles(file);
    await dialog().getByLabel('Reason', { exact: true }).fill('Complaint list');
    await dialog().getByRole('button', { name: 'Import' }).click();
    const rep = dialog().getByTestId('dnc-import-report');
    await rep.waitFor();
    assert.match(await rep.textContent(), /Rows3Added2Already listed0Refused1/);
    assert.match(await rep.textContent(), /4nope/);
    await dialog().getByRole('button', { name: 'Done' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=dnc-table-row]').length === 3);
  });

  await step('the campaigns list shows the campaign with its list and leads', async () => {
    await open('Campaigns');
    const row = page.getByTestId('campaigns-table-row').filter({ hasText: 'Winter reactivation' });
    await row.waitFor();
    assert.match(await row.textContent(), /Paused.*Progressive\s*1\s*4/);
    await row.getByRole('button', { name: 'Archive' }).click();
    await row.filter({ hasText: 'Archived' }).waitFor();
    await row.getByRole('button', { name: 'Unarchive' }).click();
    await row.filter({ hasText: 'Paused' }).getByRole('button', { name: 'Resume' }).waitFor();
    await shot('40-admin-campaigns');
  });

  // Webhooks: an endpoint on the test's receiver (AS_WEBHOOK_URL, on
  // 127.0.0.1), a call's event delivered to it, and a replay.
  await step('a webhook: a bad URL is refused on its field, then the endpoint is made and its secret shown once', async () => {
    session.expectError(/status of 400/);
    await open('Webhooks');
    await page.getByTestId('webhooks').getByText('No webhooks yet').waitFor();
    await page.getByRole('button', { name: 'New webhook' }).click();
    await dialog().getByLabel('URL', { exact: true }).fill('ftp://crm.example.com/in');
    await dialog().getByRole('button', { name: 'Create webhook' }).click();
    await fieldError('URL').waitFor();
    assert.match(await fieldError('URL').textContent(), /http/);
    await shot('41-admin-webhook-form');
    await dialog().getByLabel('URL', { exact: true }).fill(env('AS_WEBHOOK_URL'));
    await dialog().getByLabel('Description', { exact: true }).fill('CRM call log');
    assert.ok(await dialog().getByLabel('Every event').isChecked());
    await dialog().getByRole('button', { name: 'Create webhook' }).click();
    const secret = page.getByTestId('webhook-secret-value');
    await secret.waitFor();
    result.webhook = { secret: (await secret.textContent()).trim() };
    assert.match(result.webhook.secret, /^whsec_/);
    await shot('41-admin-webhook-secret-once');
    await dialog().getByRole('button', { name: 'I have copied it' }).click();
    await dialog().waitFor({ state: 'detached' });
    const row = page.getByTestId('webhooks-table-row').filter({ hasText: 'CRM call log' });
    await row.waitFor();
    result.webhook.id = Number(await row.getAttribute('data-key'));
    assert.match(await row.textContent(), /every event.*Active.*none yet/);
  });

  await step("a call's start is posted to the receiver and shows in the endpoint's deliveries; a replay is sent again", async () => {
    await admin('POST', '/calls', { number: '+1 415 555 0142' });
    await until('the receiver gets call.started', () => ask({ do: 'webhook-received', event: 'call.started' }), (a) => Number(a.count) >= 1);
    const row = page.getByTestId('webhooks-table-row').filter({ hasText: 'CRM call log' });
    await row.getByRole('button', { name: 'Deliveries' }).click();
    const started = dialog().getByTestId('webhook-delivery-row').filter({ hasText: 'call.started' });
    await until('the log shows call.started delivered', async () => {
      await dialog().getByRole('button', { name: 'Refresh' }).click();
      return started.first().getAttribute('data-state', { timeout: 2000 }).catch(() => '');
    }, (st) => st === 'delivered');
    await started.first().getByRole('button', { name: 'Attempts' }).click();
    await dialog().locator('.webhook-attempts').getByText('HTTP 200').waitFor();
    await shot('42-admin-webhook-deliveries');
    await started.first().getByRole('button', { name: 'Replay' }).click();
    const replay = dialog().getByTestId('webhook-delivery-row').filter({ hasText: 'replay of' });
    await until('the replay is delivered', async () => {
      await dialog().getByRole('button', { name: 'Refresh' }).click();
      return replay.first().getAttribute('data-state', { timeout: 2000 }).catch(() => '');
    }, (st) => st === 'delivered');
    result.webhook.replayed = Number((await replay.first().locator('td').first().textContent()).match(/^\d+/)[0]);
    await until('the receiver gets the replay', () => ask({ do: 'webhook-received', event: 'call.started' }), (a) => Number(a.count) >= 2);
    await shot('43-admin-webhook-replayed');
    await dialog().getByRole('button', { name: 'Close' }).click();
    await row.getByTestId('webhook-last').waitFor();
    await shot('44-admin-webhooks');
  });

  // ---- Widgets: a callback widget for a site, its managers, settings,
  // design and integration.
  const widget = {};
  result.widget = widget;
  const fieldOnPage = (label) => page.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) }).locator('.field-error');

  await step('widgets: a widget is made for a site and listed with its key', async () => {
    await open('My widgets');
    await page.getByText('No widgets yet').waitFor();
    await page.getByRole('button', { name: 'New widget' }).click();
    await dialog().getByLabel('Site address', { exact: true }).fill('https://shop.example.com/');
    await dialog().getByLabel('Name', { exact: true }).fill('Shop');
    await dialog().getByRole('button', { name: 'Create widget' }).click();
    await page.getByTestId('widget-page').waitFor();
    widget.id = Number(new globalThis.URL(page.url()).pathname.split('/')[3]);
    assert.ok(widget.id > 0, 'the widget page opened');
    await page.getByRole('link', { name: '← My widgets' }).click();
    const row = page.getByTestId('widgets-table-row').filter({ hasText: 'Shop' });
    await row.waitFor();
    assert.match(await row.textContent(), /https:\/\/shop\.example\.com.*wk_\w+\s*0\s*Active/);
    widget.key = (await row.locator('code').textContent()).trim();
    await shot('50-admin-widgets');
    await row.getByTestId('widget-open').click();
    await page.getByTestId('widget-main').waitFor();
  });

  await step('widgets: a manager on an agent seat with split hours copied to the weekdays', async () => {
    await page.getByTestId('widget-tab-managers').click();
    await page.getByText('No managers yet').waitFor();
    await page.getByTestId('manager-new').click();
    await dialog().getByLabel('Name', { exact: true }).fill('Ann Seat');
    await dialog().getByLabel('Agent', { exact: true }).selectOption({ index: 1 });
    await dialog().getByLabel('Time zone', { exact: true }).selectOption('Europe/Berlin');
    await dialog().getByLabel('Monday to', { exact: true }).fill('12:30');
    await dialog().getByTestId('hours-mon').getByRole('button', { name: '+ interval' }).click();
    await dialog().getByLabel('Monday from').nth(1).fill('13:30');
    await dialog().getByLabel('Monday to').nth(1).fill('18:00');
    await dialog().getByTestId('hours-copy-monday').click();
    assert.equal(await dialog().getByTestId('hours-fri').locator('input[type=time]').count(), 4);
    await dialog().getByTestId('hours-add-exception').click();
    await dialog().getByLabel('Date', { exact: true }).fill('2026-12-25');
    await shot('51-admin-widget-manager-hours');
    await dialog().getByTestId('manager-save').click();
    await dialog().waitFor({ state: 'detached' });
    await page.getByTestId('managers-row').filter({ hasText: 'Ann Seat' }).waitFor();
  });

  await step('widgets: a manager on an outside number, refused until the number is E.164, then verified by SMS code', async () => {
    session.expectError(/status of 400/);
    await page.getByTestId('manager-new').click();
    await dialog().getByLabel('Name', { exact: true }).fill('Max Mobile');
    await dialog().getByLabel('Answers on', { exact: true }).selectOption('phone');
    await dialog().getByLabel('Phone number', { exact: true }).fill('030 123');
    await dialog().getByLabel('Time zone', { exact: true }).selectOption('Europe/Berlin');
    await dialog().getByTestId('manager-save').click();
    await fieldError('Phone number').waitFor();
    assert.match(await fieldError('Phone number').textContent(), /E\.164/);
    await dialog().getByLabel('Phone number', { exact: true }).fill('+4930123456');
    await dialog().getByTestId('manager-save').click();
    await dialog().waitFor({ state: 'detached' });
    const row = page.getByTestId('managers-row').filter({ hasText: 'Max Mobile' });
    await row.getByTestId('manager-verify').click();
    await dialog().getByText('We sent a 6-digit code').waitFor();
    const { code } = await ask({ do: 'widget-code', phone: '+4930123456' });
    await dialog().getByTestId('verify-code').fill(code);
    await dialog().getByTestId('verify-confirm').click();
    await dialog().waitFor({ state: 'detached' });
    await row.filter({ hasText: 'Verified' }).waitFor();
    await page.getByText('Open now').or(page.getByText('Next opening')).first().waitFor();
    await shot('51-admin-widget-managers');
  });

  await step('widgets: the call sequence, time to call back and retries are set; a bad time is refused on its field', async () => {
    await page.getByTestId('widget-tab-main').click();
    await page.getByLabel('Call sequence', { exact: true }).selectOption('rank');
    await page.getByLabel('Time to call back (seconds)', { exact: true }).fill('70');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await fieldOnPage('Time to call back (seconds)').waitFor();
    assert.match(await fieldOnPage('Time to call back (seconds)').textContent(), /8-59/);
    await page.getByLabel('Time to call back (seconds)', { exact: true }).fill('20');
    await page.getByLabel('Call again when a call fails', { exact: true }).check();
    await page.getByLabel('Wait before each attempt (seconds)', { exact: true }).fill('60, 300');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await notice('Saved the widget.').waitFor();
    await shot('52-admin-widget-settings');
  });

  await step('widgets: the design is changed and the preview follows', async () => {
    await page.getByTestId('widget-tab-design').click();
    await page.getByLabel('Button', { exact: true }).fill('#aa3300');
    await page.getByLabel('Button text', { exact: true }).fill('Call me now');
    const button = page.getByTestId('widget-preview').getByRole('button');
    await until('the preview button', () => button.textContent(), (t) => t === 'Call me now');
    assert.match(await button.getAttribute('style'), /170, 51, 0|#aa3300/i);
    await page.getByRole('button', { name: 'Save design' }).click();
    await notice('Saved the design.').waitFor();
    await shot('53-admin-widget-design');
  });

  await step('widgets: the snippet is copied and an API key is made and shown once', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: URL });
    await page.getByTestId('widget-tab-integration').click();
    await page.getByTestId('widget-snippet-copy').click();
    await notice('Copied the snippet.').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.ok(copied.includes(`data-widget-key="${widget.key}"`) && copied.includes('/widget.js'), copied);
    await page.getByTestId('widget-key-name').fill('crm');
    await page.getByTestId('widget-key-new').click();
    const secret = dialog().getByTestId('api-key-secret-value');
    await secret.waitFor();
    widget.secret = (await secret.textContent()).trim();
    await shot('54-admin-widget-key');
    await dialog().getByRole('button', { name: 'I have copied it' }).click();
    await dialog().waitFor({ state: 'detached' });
    await page.getByTestId('widget-keys-row').filter({ hasText: 'crm' }).waitFor();
    assert.ok(!(await page.content()).includes(widget.secret), 'the secret is shown once');
    await shot('54-admin-widget-integration');
  });
});
