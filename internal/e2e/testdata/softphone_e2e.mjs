// An agent on the browser phone against real FreeSWITCH: Chromium (a fake
// microphone playing a steady tone) registers to the agents profile over
// WS, takes the persistent line and then the lead calls the service puts
// through to it. softphone_test.go (TestServiceBrowserSoftphone) places
// the calls, plays the lead and checks what the lead and FreeSWITCH saw;
// the page checks it hears the lead.
//
// Env: as tests/browser/harness.mjs, and AS_USER, AS_PASSWORD,
// AS_MIC_WAV, AS_LEAD_HZ (the lead's tone), AS_CALLS (how many calls),
// AS_LOGINS (how many logins, the first ones logged out at once).

import { env, ask, step, openPage, helpers, run } from '../../../tests/browser/harness.mjs';
import { listenTone, softphone, webrtcArgs } from '../../../tests/browser/softphone.mjs';
import { trustArgs } from './trust.mjs';

// No WebRTC switches beyond the fake devices: with the microphone allowed,
// Chromium offers its host addresses as they are (not mDNS names, which
// FreeSWITCH could not resolve), as it does for an agent.
const args = [...webrtcArgs(env('AS_MIC_WAV')), ...trustArgs()];
const result = { calls: [], figures: { login_to_ready_ms: [] } };
const session = await openPage({ args, permissions: ['microphone'] });
const { page } = session;
// A refused request is named in the output, the page's console does not.
page.on('response', (r) => r.status() >= 400 && console.log(`  ${r.request().method()} ${r.url()}: ${r.status()}`));
const { waitState, callPanel, dispose, signIn } = helpers(page);
const sp = softphone(page);
const leadHz = Number(env('AS_LEAD_HZ'));

// logIn logs in to the browser phone (persistent line) and waits for it
// to be registered at the page and at FreeSWITCH.
async function logIn() {
  // The seat's one campaign is chosen already.
  await page.getByTestId('campaign-choice').getByLabel(/e2e browser phone/).waitFor();
  await page.getByTestId('kind-webrtc').check();
  await page.getByLabel(/Persistent line/).check();
  await ask({ do: 'login-clicked' });
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Log in to phone' }).click();
  await sp.reg('ready', 30000);
  result.figures.login_to_ready_ms.push(Date.now() - t0);
  await ask({ do: 'registered' }, 40000);
  await waitState('PAUSED', 30000);
}

async function logOut() {
  await page.getByTestId('user-menu').click();
  await page.getByRole('menuitem', { name: 'End phone session' }).click();
  await waitState('LOGGED_OUT', 20000);
  await ask({ do: 'logged-out' }, 40000);
}

await run(session, 'softphone-e2e-failure', result, async () => {
  await step('sign in', signIn);

  const logins = Number(env('AS_LOGINS'));
  for (let i = 1; i < logins; i++) {
    await step(`log in to phone ${i}: the browser registers to FreeSWITCH; log out`, async () => {
      await logIn();
      await logOut();
      await page.getByRole('button', { name: 'Log in to phone' }).waitFor();
    });
  }

  await step('log in to phone: the browser registers to FreeSWITCH', logIn);

  await step('go ready: the persistent line is up', async () => {
    await page.keyboard.press('Alt+R');
    await waitState('READY', 30000);
    await ask({ do: 'line-up' }, 40000);
  });

  const calls = Number(env('AS_CALLS'));
  for (let i = 0; i < calls; i++) {
    const last = i === calls - 1;
    await step(`call ${i + 1}: the lead is put through; each hears the other`, async () => {
      const heard = await listenTone(page, leadHz, 20000);
      const { id } = await ask({ do: 'call', last: String(last) }, 40000);
      await callPanel(id).waitFor({ timeout: 20000 });
      await waitState('INCALL', 20000);
      const h = await heard.result();
      if (!h.heard) throw new Error(`call ${id}: the page did not hear the lead: ${JSON.stringify(h)}`);
      result.calls.push(id);
      await ask({ do: 'lead-hears', id, heard_at: String(h.at) }, 40000);
      if (last) return;
      await ask({ do: 'lead-hangs-up', id }, 40000);
      await dispose('Sale');
      await page.getByTestId('dispo-panel').getByRole('button', { name: /Submit and go ready/ }).click();
      await waitState('READY', 20000);
    });
  }

  await step('hold: the lead hears the music; unhold: the page hears the lead again', async () => {
    const id = result.calls[result.calls.length - 1];
    await ask({ do: 'hold', id }, 40000);
    const back = await listenTone(page, leadHz, 20000);
    await ask({ do: 'unhold', id }, 40000);
    const h = await back.result();
    if (!h.heard) throw new Error(`after unhold the page does not hear the lead: ${JSON.stringify(h)}`);
  });

  await step('blind transfer to a colleague: the browser is released to wrap up', async () => {
    const id = result.calls[result.calls.length - 1];
    await ask({ do: 'transfer', id }, 60000);
    await waitState('DISPO', 20000);
    await dispose('Sale');
    await page.getByTestId('dispo-panel').getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY', 20000);
    await sp.reg('ready');
  });

  await step('end the phone session: unregistered', logOut);
});
