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
import { URL, env, step, openPage, helpers, run, admin, until } from './harness.mjs';

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

  // ---- Dialing: a campaign, its lead list and import, a lead, do-not-call
  const fieldOn = (scope, label) => scope.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) }).locator('.field-error');

  await step('a campaign: max attempts 0 is refused on its field, then the campaign is made', async () => {
    await open('Campaigns');
    await page.getByRole('button', { name: 'New campaign' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('Spring renewals');
    await dialog().getByLabel('Dial mode', { exact: true }).selectOption('progressive');
    await dialog().getByLabel('Caller ID', { exact: true }).fill('+14155550100');
    await dialog().getByLabel('Max attempts per lead', { exact: true }).fill('0');
    await dialog().getByRole('button', { name: 'Create campaign' }).click();
    await fieldError('Max attempts per lead').waitFor();
    assert.match(await fieldError('Max attempts per lead').textContent(), /1-100/);
    await dialog().getByLabel('Max attempts per lead', { exact: true }).fill('4');
    await dialog().getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('heading', { name: 'Spring renewals', exact: true }).waitFor();
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
    await form.getByLabel('Hours', { exact: true }).fill('09:00-20:00');
    await form.getByLabel('Sun', { exact: true }).uncheck();
    await form.getByLabel('Country', { exact: true }).fill('US');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await notice('Saved the campaign.').waitFor();
    await form.getByRole('heading', { name: 'Spring renewals' }).scrollIntoViewIfNeeded();
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
  });

  await step('an imported lead is found by search and edited', async () => {
    await open('Leads');
    await page.getByLabel('Campaign', { exact: true }).selectOption(String(result.campaign));
    await page.getByLabel('Search leads').fill('Cyd');
    const row = page.getByTestId('leads-table-row').filter({ hasText: 'Cyd Nash' });
    await row.waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=leads-table-row]').length === 1);
    result.lead = Number(await row.getAttribute('data-key'));
    await row.getByRole('button', { name: 'Open' }).click();
    assert.equal(await dialog().getByLabel('account', { exact: true }).inputValue(), 'A-3');
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
    const row = page.getByTestId('campaigns-table-row').filter({ hasText: 'Spring renewals' });
    await row.waitFor();
    assert.match(await row.textContent(), /Paused.*Progressive\s*1\s*4/);
    await row.getByRole('button', { name: 'Archive' }).click();
    await row.filter({ hasText: 'Archived' }).waitFor();
    await row.getByRole('button', { name: 'Unarchive' }).click();
    await row.filter({ hasText: 'Paused' }).getByRole('button', { name: 'Resume' }).waitFor();
    await shot('40-admin-campaigns');
  });
});
