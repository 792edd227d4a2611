// The browser phone's bad paths, in Chromium with a fake microphone
// against the test peer: the microphone refused (said on the start
// screen; the login goes through once allowed), a second tab of the same
// agent taking the phone over (the first says "In another tab", and can
// take it back), and the phone server going away (the panel says it
// cannot be reached and reconnects, after a reload too; a supervisor
// ending the session then stops it for good, and the page says why).
// softphone_test.go (TestSoftphoneBadPaths) runs the peer.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID,
// AS_MIC_WAV, AS_WS_URL (the peer's), AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { URL, env, ask, admin, step, openPage, helpers, run } from './harness.mjs';
import { softphone, webrtcArgs } from './softphone.mjs';

const result = {};
// No microphone permission to begin with: the browser refuses it.
const session = await openPage({ args: webrtcArgs(env('AS_MIC_WAV')) });
const { page, watch, expectError } = session;
const { shot, waitState, signIn } = helpers(page);
const sp = softphone(page);
let page2;

await run(session, 'softphone-bad-failure', result, async () => {
  await step('microphone refused: said on the start screen, no session started', async () => {
    await signIn();
    await page.getByTestId('kind-webrtc').check();
    await page.getByRole('button', { name: 'Log in to phone' }).click();
    const err = page.getByTestId('mic-error');
    await err.waitFor();
    assert.match(await err.innerText(), /microphone/i);
    await page.getByRole('heading', { name: 'Start your session' }).waitFor();
    await waitState('LOGGED_OUT');
    assert.equal(await page.getByTestId('softphone').count(), 0, 'the softphone started without a microphone');
    await shot('b1-mic-refused');
  });

  await step('microphone allowed: the login goes through and the browser registers', async () => {
    await page.context().grantPermissions(['microphone'], { origin: URL });
    await page.getByRole('button', { name: 'Log in to phone' }).click();
    await waitState('PAUSED');
    await page.getByTestId('mic-error').waitFor({ state: 'detached' });
    await sp.reg('ready', 30000);
    await ask({ do: 'registered' }, 40000);
  });

  await step('a second tab of the same agent takes the phone over; the first says so', async () => {
    page2 = watch(await page.context().newPage());
    await page2.goto(URL + '/');
    const sp2 = softphone(page2);
    await sp2.reg('ready', 30000);
    await sp.reg('elsewhere', 15000);
    await sp.state().filter({ hasText: 'In another tab' }).waitFor();
    await sp.error('elsewhere').filter({ hasText: 'moved to another tab' }).waitFor();
    await ask({ do: 'registered' }, 40000);
    await shot('b2-elsewhere');
    // Use this tab takes it back.
    await page.getByTestId('softphone-retry').filter({ hasText: 'Use this tab' }).click();
    await sp.reg('ready', 30000);
    await sp2.reg('elsewhere', 15000);
    await page2.close();
  });

  await step('the phone server goes away: the panel says so and reconnects', async () => {
    // Chromium logs each failed WebSocket connection.
    expectError(/WebSocket connection to .* failed/);
    await ask({ do: 'peer-down' });
    await sp.reg('reconnecting', 20000);
    await sp.state().filter({ hasText: 'Reconnecting' }).waitFor();
    await sp.error('network').filter({ hasText: env('AS_WS_URL') }).waitFor();
    await shot('b3-reconnecting');
  });

  await step('a reload while the server is away: the same, from the start', async () => {
    await page.reload();
    await waitState('PAUSED');
    await sp.reg('reconnecting', 30000);
    await sp.error('network').filter({ hasText: 'cannot be reached' }).waitFor();
  });

  await step('a supervisor ends the session while the page retries: the phone stops and says why', async () => {
    await admin('POST', `/agents/${env('AS_AGENT_ID')}/logout`);
    await waitState('LOGGED_OUT');
    await page.waitForFunction(() => document.documentElement.dataset.softphone === 'off');
    await page.locator('.notice', { hasText: 'Your phone session was ended by a supervisor' }).waitFor();
    await shot('b4-ended-by-supervisor');
    // Back on the browser phone for the agent's own ending.
    await admin('POST', `/agents/${env('AS_AGENT_ID')}/login`, { endpoint: { kind: 'webrtc' } });
    await waitState('PAUSED');
    await sp.reg('reconnecting', 30000);
  });

  await step('end the phone session', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'End phone session' }).click();
    await waitState('LOGGED_OUT');
    await page.waitForFunction(() => document.documentElement.dataset.softphone === 'off');
  });
});
