// A browser agent's phone on the supervisor's wall: wallphone_test.go
// logs the agent in on the browser endpoint; this script has it report
// its network (the Go side posts each report as the agent) and reads the
// indicator on the agent's row go Good, Poor, then offline with the
// phone's error; a desk-phone agent's row has none, and the phone filter
// keeps the agent in trouble. Then the supervisor logs the browser agent
// out from the wall.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID, AS_DESK_ID,
// AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { env, URL, ask, step, openPage, helpers, run } from './harness.mjs';

const AGENT = env('AS_AGENT_ID');
const DESK = env('AS_DESK_ID');
const report = (r) => ask({ do: 'media', report: JSON.stringify(r) });

const result = {};
const session = await openPage();
const { page } = session;
const { shot } = helpers(page);

await run(session, 'wall-phone-failure', result, async () => {
  const row = page.locator(`[data-testid=wall-agent][data-agent-id="${AGENT}"]`);
  const phone = row.getByTestId('wall-agent-phone');
  const quality = (q) => row.locator(`[data-testid=wall-agent-phone][data-quality=${q}]`).waitFor({ timeout: 10000 });

  await step('a supervisor opens the wall: the browser agent has no report yet, the desk agent no indicator', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(URL + '/');
    await page.getByLabel('Username').fill(env('AS_USER'));
    await page.getByLabel('Password').fill(env('AS_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-testid=wall][data-conn=live]').waitFor();
    await quality('none');
    await page.locator(`[data-testid=wall-agent][data-agent-id="${DESK}"]`).waitFor();
    assert.equal(await page.locator(`[data-testid=wall-agent][data-agent-id="${DESK}"] [data-testid=wall-agent-phone]`).count(), 0);
  });

  await step('the phone reports a clean line: Good, with its figures in the label', async () => {
    await report({ registered: true, packet_loss_pct: 0.2, jitter_ms: 4, rtt_ms: 40, audio_input: 'Headset Microphone' });
    await quality('good');
    result.good = await phone.getAttribute('aria-label');
    assert.equal((await phone.textContent()).trim(), 'Good');
    assert.match(result.good, /loss 0\.2% · jitter 4 ms · round trip 40 ms/);
  });

  await step('the line degrades: Poor', async () => {
    await report({ registered: true, packet_loss_pct: 7.5, jitter_ms: 80, rtt_ms: 420, audio_input: 'Headset Microphone' });
    await quality('poor');
    result.poor = await phone.getAttribute('aria-label');
    assert.equal((await phone.textContent()).trim(), 'Poor');
    assert.match(result.poor, /loss 7\.5%/);
    await shot('28-wall-browser-phone-poor-1440');
  });

  await step('the phone filter keeps the browser agent in trouble, not the desk agent', async () => {
    await page.getByTestId('wall-filter-phone').selectOption('trouble');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=wall-agent]').length === 1);
    await row.waitFor();
    await page.getByTestId('wall-filter-phone').selectOption('');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=wall-agent]').length === 2);
  });

  await step('the phone loses its registration: offline, with its error', async () => {
    await report({ registered: false, error: 'The connection to the phone server was lost.' });
    await quality('offline');
    result.offline = await phone.getAttribute('title');
    assert.equal((await phone.textContent()).trim(), 'Phone offline');
    assert.equal(result.offline, 'Phone offline: The connection to the phone server was lost.');
    await shot('28-wall-browser-phone-offline-1440');
  });

  await step('the supervisor logs the browser agent out from the wall: the indicator goes', async () => {
    await row.getByTestId('wall-agent-menu').click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await row.locator('[data-testid=wall-agent-state][data-state=LOGGED_OUT]').waitFor();
    assert.equal(await phone.count(), 0);
  });
});
