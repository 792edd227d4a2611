// A campaign's abandons on the supervisor's wall: wallalert_test.go makes
// a progressive campaign of three answering leads; this script logs its
// one agent in and makes it ready, so the dialer rings all three and
// abandons two, and waits for the pushed abandon rate to raise the
// campaign's alert; clicking it shows the campaign's agents. With
// AS_PACING_NAME (a predictive campaign, wallpacing_test.go) it first
// waits for the campaign's pacing tile to show it fall back to
// progressive with the abandons counted.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID,
// AS_CAMPAIGN_ID, AS_PACING_NAME (optional), AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { env, URL, admin, step, openPage, helpers, run } from './harness.mjs';

const AGENT = Number(env('AS_AGENT_ID'));
const CAMPAIGN = env('AS_CAMPAIGN_ID');
const PACING = process.env.AS_PACING_NAME || '';

// work logs the agent in on the campaign, makes it ready and resumes the
// campaign: it dials.
async function work() {
  await admin('POST', `/agents/${AGENT}/login`, { endpoint: { kind: 'sip' }, mode: 'ring', campaign_id: Number(CAMPAIGN) });
  await admin('POST', `/agents/${AGENT}/ready`);
  await admin('POST', `/campaigns/${CAMPAIGN}/resume`);
}
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
    assert.equal(await page.getByTestId('wall-pacing').count(), 0);
  });

  if (PACING) {
    await step('the agent works: the pacing tile shows the campaign fall back with the abandons', async () => {
      await work();
      const tile = page.locator(`[data-testid=wall-pacing][data-campaign="${PACING}"]`);
      await tile.waitFor({ timeout: 20000 });
      // The 24 h window is read from the call records every 5 s.
      await tile.locator('[data-testid=wall-pacing-state]', { hasText: 'Progressive (fallback)' }).waitFor({ timeout: 30000 });
      await tile.locator('[data-testid=wall-pacing-day]', { hasText: /^[1-9][\d.]*%$/ }).waitFor({ timeout: 30000 });
      assert.equal(await tile.getAttribute('data-alert'), 'true');
      result.reason = await tile.getByTestId('wall-pacing-state').getAttribute('title');
      result.day = await tile.getByTestId('wall-pacing-day').textContent();
      await shot('27-wall-pacing-1440');
    });
  }

  await step('the campaign dials for its agent; two answered leads are abandoned: the alert comes', async () => {
    if (!PACING) await work();
    // The service reads the rates every 15 s (a predictive campaign's
    // pacer every 5 s).
    const alert = page.locator(`[data-testid=wall-alert][data-kind=abandon][data-campaign-id="${CAMPAIGN}"]`);
    await alert.waitFor({ timeout: 45000 });
    result.alert = await alert.textContent();
    assert.match(result.alert, /Spring \w+: [\d.]+% abandoned \(\d+ of \d+, 24 h\)/);
    if (!PACING) await shot('26-wall-abandon-alert-1440');
    await alert.click();
    assert.equal(await page.getByTestId('wall-filter-campaign').inputValue(), CAMPAIGN);
    await page.locator(`[data-testid=wall-agent][data-agent-id="${AGENT}"]`).waitFor();
    assert.equal(await page.getByTestId('wall-agent').count(), 1);
  });
});
