// A campaign's abandons on the supervisor's wall: wallalert_test.go makes
// a progressive campaign of three answering leads; this script logs its
// one agent in and makes it ready, so the dialer rings all three and
// abandons two, and waits for the pushed abandon rate to raise the
// campaign's alert; clicking it shows the campaign's agents.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID,
// AS_CAMPAIGN_ID, AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { env, URL, admin, step, openPage, helpers, run } from './harness.mjs';

const AGENT = Number(env('AS_AGENT_ID'));
const CAMPAIGN = env('AS_CAMPAIGN_ID');
const result = {};
const session = await openPage();
const { page } = session;
const { shot } = helpers(page);

await run(session, 'wall-alert-failure', result, async () => {
  await step('a supervisor opens the wall: no alert', async () => {
    await page.goto(URL + '/');
    await page.getByLabel('Username').fill(env('AS_USER'));
    await page.getByLabel('Password').fill(env('AS_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-testid=wall][data-conn=live]').waitFor();
    assert.equal(await page.getByTestId('wall-alerts').getAttribute('data-count'), '0');
  });

  await step('the campaign dials for its agent; two answered leads are abandoned: the alert comes', async () => {
    await admin('POST', `/agents/${AGENT}/login`, { endpoint: { kind: 'sip' }, mode: 'ring', campaign_id: Number(CAMPAIGN) });
    await admin('POST', `/agents/${AGENT}/ready`);
    await admin('POST', `/campaigns/${CAMPAIGN}/resume`);
    // The service reads the rates every 15 s.
    const alert = page.locator(`[data-testid=wall-alert][data-kind=abandon][data-campaign-id="${CAMPAIGN}"]`);
    await alert.waitFor({ timeout: 45000 });
    result.alert = await alert.textContent();
    assert.match(result.alert, /Spring renewals: [\d.]+% abandoned \(\d+ of \d+, 24 h\)/);
    await shot('26-wall-abandon-alert-1440');
    await alert.click();
    assert.equal(await page.getByTestId('wall-filter-campaign').inputValue(), CAMPAIGN);
    await page.locator(`[data-testid=wall-agent][data-agent-id="${AGENT}"]`).waitFor();
    assert.equal(await page.getByTestId('wall-agent').count(), 1);
  });
});
