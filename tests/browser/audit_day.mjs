// The audit log screen, in Chromium against `agentswitch serve`: an admin
// signs in, opens "Audit log", creates a queue through the API, finds the
// entry after applying the filters, narrows them to the action, opens the
// details, pages with "Load more"; an agent signed in sees no link to the log.
// audit_test.go (TestAuditLog) provisions the agent.
//
// Env: AS_URL, AS_USER, AS_PASSWORD (the admin), AS_ADMIN_KEY,
// AS_AGENT_USER, AS_AGENT_PASSWORD, AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { URL, env, admin, step, openPage, helpers, run } from './harness.mjs';

const result = {};
const session = await openPage();
const { page } = session;
const { shot } = helpers(page);

const nav = () => page.getByRole('navigation', { name: 'Screens' });
const filters = () => page.getByRole('form', { name: 'Audit filters' });
const rows = () => page.getByTestId('audit-row');

async function signIn(user, password) {
  await page.goto(URL + '/');
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await nav().waitFor();
}

await run(session, 'audit-failure', result, async () => {
  await step('the admin signs in and opens the audit log', async () => {
    await signIn(env('AS_USER'), env('AS_PASSWORD'));
    await nav().getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    // The admin's own sign-in is there already.
    await rows().filter({ hasText: 'auth.login' }).first().waitFor();
  });

  await step('a queue made through the API shows after Apply, with its details', async () => {
    const q = await admin('POST', '/queues', { name: 'audit-sales', active: true });
    result.queue = q.id;
    await filters().getByRole('button', { name: 'Apply' }).click();
    const row = page.locator('[data-testid=audit-row][data-action="queue.create"]');
    await row.waitFor();
    assert.match(await row.textContent(), new RegExp(`queue:${q.id}`));
    assert.match(await row.textContent(), /browser-test/, 'the key that acted is named');
    await row.getByText('Show').click();
    assert.match(await row.locator('pre').textContent(), /"name": "audit-sales"/);
  });

  await step('filtering by an action prefix keeps only those actions; the CSV link follows', async () => {
    await filters().getByLabel('Action').fill('queue.');
    await filters().getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => {
      const r = [...document.querySelectorAll('[data-testid=audit-row]')];
      return r.length > 0 && r.every((x) => x.dataset.action.startsWith('queue.'));
    });
    const csv = await filters().getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    assert.equal(csv, '/api/v1/audit.csv?action=queue.');
    const body = await page.evaluate((u) => fetch(u).then((r) => r.text()), csv);
    assert.match(body.split('\n')[0], /^id,at,actor,actor_name,role,action,target,details,remote/);
    assert.match(body, /queue\.create/);
    assert.doesNotMatch(body, /auth\.login/);
    await rows().first().locator('details').evaluate((d) => (d.open = true));
    await rows().first().locator('pre').waitFor();
    await shot('20-audit-log');
  });

  await step('"Load more" reads the next page, and stops at the end', async () => {
    for (let i = 0; i < 55; i++) await admin('POST', '/dispositions', { code: `AUD${i}`, label: `Audit ${i}` });
    await filters().getByLabel('Action').fill('disposition.create');
    await filters().getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-action="disposition.create"]').length === 50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-action="disposition.create"]').length === 55);
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
    const targets = await rows().evaluateAll((r) => r.map((x) => x.cells[3].textContent));
    assert.equal(targets[0], 'disposition:AUD54', 'newest first');
    assert.equal(targets[54], 'disposition:AUD0');
  });

  await step('an agent sees no link to the log, and its address shows the workspace', async () => {
    await page.context().clearCookies();
    await signIn(env('AS_AGENT_USER'), env('AS_AGENT_PASSWORD'));
    await page.getByRole('heading', { name: 'Start your session' }).waitFor();
    assert.equal(await nav().getByRole('link', { name: 'Audit log' }).count(), 0);
    await page.goto(URL + '/audit');
    await page.getByRole('heading', { name: 'Start your session' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Audit log' }).count(), 0);
  });
});
