// The admin console, in Chromium against `agentswitch serve`: an admin
// signs in and provisions from its pages alone. admin_test.go
// (TestAdminDay) checks what the pages made through the API.
//
// Env: AS_URL, AS_USER, AS_PASSWORD (the admin), AS_ADMIN_KEY,
// AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { URL, env, ask, step, openPage, helpers, run } from './harness.mjs';

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
});
