// The admin console, in Chromium against `agentswitch serve`: an admin
// signs in and provisions from its pages alone. admin_test.go
// (TestAdminDay) checks what the pages made through the API.
//
// Env: AS_URL, AS_USER, AS_PASSWORD (the admin), AS_ADMIN_KEY,
// AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { URL, env, step, openPage, helpers, run } from './harness.mjs';

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
    await page.getByLabel('Search agents').fill('sales');
    await rowsShown('agents', 1);
    await page.getByLabel('Search agents').fill('');
    await rowsShown('agents', 2);
    await page.getByLabel('Team', { exact: true }).selectOption({ label: 'Closers' });
    await rowsShown('agents', 1);
    await page.getByLabel('Team', { exact: true }).selectOption('');
    await rowsShown('agents', 2);
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
});
