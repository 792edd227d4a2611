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
});
