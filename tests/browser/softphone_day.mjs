// An agent on the browser phone, in Chromium with a fake microphone (a
// steady tone) against `agentswitch serve` on the simulated switch, with
// the test peer standing in for FreeSWITCH's WebSocket SIP side: the
// browser registers, the call put through to it is answered by itself,
// audio flows both ways, a microphone unplugged mid-call is said and the
// call goes on until one comes back, the keypad's digit goes from the
// service, hanging up ends the browser's call and the wrap-up keeps the
// phone's strip in view, and logging out unregisters it.
// softphone_test.go (TestSoftphoneDay) plays the switch's part and checks
// what the peer and the switch saw.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID,
// AS_LEAD_NUMBER, AS_MIC_WAV (the microphone's WAV), AS_PEER_HZ (the
// peer's tone), AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { env, ask, admin, step, openPage, helpers, run } from './harness.mjs';
import { hearTone, softphone, webrtcArgs } from './softphone.mjs';

const result = { calls: {}, figures: {} };
const session = await openPage({ args: webrtcArgs(env('AS_MIC_WAV')), permissions: ['microphone'] });
const { page } = session;
const { shot, waitState, callPanel, dispose, signIn } = helpers(page);
const sp = softphone(page);
// The microphones the page opens, so that a step can unplug one as
// Chromium does (softphone.js keeps its stream to itself).
await page.addInitScript(() => {
  const md = navigator.mediaDevices;
  const open = md.getUserMedia.bind(md);
  window.__mics = [];
  window.__liveMics = () => window.__mics.flatMap((s) => s.getAudioTracks()).filter((t) => t.readyState === 'live');
  md.getUserMedia = async (c) => {
    const s = await open(c);
    window.__mics.push(s);
    return s;
  };
});

await run(session, 'softphone-failure', result, async () => {
  await step('sign in; choose the browser phone', async () => {
    await signIn();
    await page.getByTestId('kind-webrtc').check();
    await page.getByText('The browser asks to use your microphone').waitFor();
    await page.getByLabel(/Ring each call/).check();
    await shot('s1-start');
  });

  await step('log in to phone: the browser registers with the service\'s password', async () => {
    await ask({ do: 'login-clicked' });
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Log in to phone' }).click();
    await waitState('PAUSED');
    await sp.reg('ready', 30000);
    result.figures.login_to_ready_ms = Date.now() - t0;
    await ask({ do: 'registered' }, 40000);
    await page.getByTestId('softphone-state').filter({ hasText: 'Ready' }).waitFor();
    // The fake microphone's tone shows on the level meter.
    await page.getByTestId('softphone-level-text').filter({ hasText: 'picks up sound' }).waitFor({ timeout: 15000 });
    assert.equal(await page.getByTestId('softphone-error').count(), 0, 'an error shows while ready');
    await shot('s2-registered');
  });

  await step('go ready; a call comes and the browser answers it by itself', async () => {
    await page.keyboard.press('Alt+R');
    await waitState('READY');
    const t0 = Date.now();
    const { id } = await admin('POST', '/calls', { number: env('AS_LEAD_NUMBER'), agent_id: Number(env('AS_AGENT_ID')) });
    result.calls.first = id;
    await callPanel(id).waitFor({ timeout: 20000 });
    await waitState('INCALL', 20000);
    await sp.strip('active', 30000);
    result.figures.call_to_answered_ms = Date.now() - t0;
    await page.locator('[data-testid=call-state].cs-connected').waitFor();
  });

  await step('audio both ways: the peer hears the microphone, the page hears the peer', async () => {
    await ask({ do: 'audio' }, 40000);
    const heard = await hearTone(page, Number(env('AS_PEER_HZ')));
    assert.ok(heard.heard, `the page did not hear the peer's tone: ${JSON.stringify(heard)}`);
    result.figures.page_heard = heard;
    await page.getByTestId('softphone-quality').filter({ hasText: 'Network' }).waitFor();
    await shot('s3-call');
  });

  await step('microphone unplugged mid-call: said, the call goes on, and plugged back in it is heard again', async () => {
    // Chromium ends an unplugged microphone's track and fires ended
    // (stop() alone fires nothing).
    const unplugged = await page.evaluate(() => {
      const live = window.__liveMics();
      for (const t of live) {
        t.stop();
        t.dispatchEvent(new Event('ended'));
      }
      return live.length;
    });
    assert.equal(unplugged, 1, 'live microphone tracks in the page');
    const lost = page.getByTestId('softphone-strip').locator('[data-testid=softphone-error][data-kind=mic-lost]');
    await lost.waitFor();
    assert.equal(await lost.getAttribute('role'), 'alert');
    assert.match(await lost.innerText(), /unplugged.*Plug it back in/s);
    // The call goes on: still connected, and the lead still heard.
    await waitState('INCALL');
    await sp.strip('active');
    const heard = await hearTone(page, Number(env('AS_PEER_HZ')));
    assert.ok(heard.heard, `the page stopped hearing the peer with the microphone gone: ${JSON.stringify(heard)}`);
    await shot('s3-mic-lost');
    // A device comes back: the microphone is opened again and the call
    // goes on with it.
    await page.evaluate(() => navigator.mediaDevices.dispatchEvent(new Event('devicechange')));
    await page.getByTestId('softphone-error').waitFor({ state: 'detached' });
    const reopened = await page.evaluate(() => window.__liveMics().length);
    assert.equal(reopened, 1, 'live microphone tracks once plugged back in');
    // The old track is stopped: a tone the peer hears from now on comes
    // from the reopened microphone.
    await ask({ do: 'audio' }, 40000);
    await sp.strip('active');
  });

  await step('keypad: 5 goes to the lead from the service', async () => {
    await page.getByRole('button', { name: 'Keypad' }).click();
    await page.getByRole('button', { name: 'Send 5' }).click();
    await page.getByTestId('dtmf-sent').filter({ hasText: '5' }).waitFor();
    await page.getByRole('button', { name: 'Keypad' }).click();
  });

  await step('hang up: the browser\'s call ends', async () => {
    await page.getByRole('button', { name: /Hang up/ }).click();
    await waitState('DISPO');
    await ask({ do: 'ended' }, 40000);
    await page.waitForFunction(() => !document.querySelector('[data-testid=softphone-audio]').srcObject, null, { timeout: 20000 });
    // The wrap-up keeps the phone's strip in view, registered, the call gone.
    const strip = page.getByTestId('dispo-panel').getByTestId('softphone-strip');
    await strip.and(page.locator('[data-reg=ready][data-call=none]')).waitFor({ timeout: 20000 });
    await strip.getByTestId('softphone-state').filter({ hasText: 'Ready' }).waitFor();
    assert.ok(await strip.isVisible(), 'the softphone strip is not visible in wrap-up');
    await shot('s4-wrapup');
    const panel = await dispose('Sale');
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
    await sp.reg('ready');
    await sp.panel().and(page.locator('[data-call=none]')).waitFor();
  });

  await step('end the phone session: unregistered, the password withdrawn', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'End phone session' }).click();
    await waitState('LOGGED_OUT');
    await ask({ do: 'logged-out' }, 40000);
    await page.waitForFunction(() => document.documentElement.dataset.softphone === 'off');
    // The agent ended it: no word of a supervisor having done so.
    assert.equal(await page.locator('.notice', { hasText: 'ended by a supervisor' }).count(), 0);
  });
});
