// A recorded call played back, in Chromium against `agentswitch serve` on
// the simulated switch: the agent's call is recorded, wrapped up, then its
// recording is played from the History tab; the player fetches it with
// Range and gets 206. recording_test.go (TestRecordingPlayback) checks
// the call's record.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID,
// AS_CAMPAIGN_ID, AS_LEAD_NUMBER, AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { step, openPage, helpers, run } from './harness.mjs';

const result = {};
const session = await openPage();
const { page } = session;
const { recordedCall, signInReady, shot } = helpers(page);

// The recording's requests and answers, as the browser sent them.
const fetched = [];
page.on('response', (r) => {
  if (r.url().includes('/recording')) fetched.push({ url: r.url(), range: r.request().headers().range || '', status: r.status() });
});

await run(session, 'recording-failure', result, async () => {
  await step('sign in, log in to the phone, go ready', signInReady);

  await step('a call connects and is recorded, then hung up and wrapped up', async () => {
    result.call = await recordedCall('Sale');
  });

  await step('the History tab plays the recording, fetched with Range', async () => {
    await page.getByRole('tab', { name: 'History' }).click();
    const item = page.getByTestId('history-list').locator('li').filter({ has: page.locator(`[data-call-id="${result.call}"]`) });
    const player = item.getByTestId('recording');
    await player.waitFor();
    const audio = player.locator('audio');
    assert.equal(await audio.getAttribute('preload'), 'none', 'nothing is fetched before playing');
    assert.match(await audio.getAttribute('aria-label'), /^Recording of the call of /);
    const link = player.getByTestId('recording-download');
    assert.match(await link.getAttribute('href'), new RegExp(`/calls/${result.call}/recording\\?download=1$`));
    assert.equal(await link.getAttribute('download'), `call-${result.call}.wav`);
    await shot('recording-history');
    // Muted, so that the headless browser plays without a gesture.
    const ok = await audio.evaluate(async (a) => {
      a.muted = true;
      await a.play();
      return a.duration > 0 && !a.error;
    });
    assert.ok(ok, 'the recording plays');
    await page.waitForFunction(() => document.querySelector('[data-testid=recording] audio').readyState >= 1);
    assert.ok(fetched.length > 0, 'the player fetched the recording');
    assert.ok(fetched.every((f) => f.url.endsWith(`/calls/${result.call}/recording`)), JSON.stringify(fetched));
    assert.ok(fetched.some((f) => f.range.startsWith('bytes=') && f.status === 206), 'a range request answered 206: ' + JSON.stringify(fetched));
  });
});
