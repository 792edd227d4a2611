// An agent on the browser phone in ring mode works a progressive campaign
// against real FreeSWITCH with the page's own controls: the dialer's call,
// Hold, Mute, the keypad, Hang up, a number dialed from the page, a conference and a transfer
// with a colleague.
// softphone_test.go (TestServiceBrowserSoftphoneDialer) plays the lead and
// the colleague and checks what they hear; the page checks it hears them.
//
// Env: as tests/browser/harness.mjs, and AS_USER, AS_PASSWORD,
// AS_MIC_WAV, AS_LEAD_HZ (the lead's tone), AS_DELIVERY_HZ (the dialer's
// delivery tone), AS_COLLEAGUE (the colleague's agent id), AS_TRUST_SPKI.

import { env, ask, step, openPage, helpers, run } from '../../../tests/browser/harness.mjs';
import { listenTone, softphone, webrtcArgs } from '../../../tests/browser/softphone.mjs';
import { trustArgs } from './trust.mjs';

const args = [...webrtcArgs(env('AS_MIC_WAV')), ...trustArgs()];
const result = {};
const session = await openPage({ args, permissions: ['microphone'] });
const { page } = session;
page.on('response', (r) => r.status() >= 400 && console.log(`  ${r.request().method()} ${r.url()}: ${r.status()}`));
const { waitState, waitConnected, dispose, signIn } = helpers(page);
const sp = softphone(page);
const leadHz = Number(env('AS_LEAD_HZ'));

// hearsLead waits until the page plays the lead's tone.
async function hearsLead(listening, what) {
  const h = await listening.result();
  if (!h.heard) throw new Error(`${what}: the page did not hear the lead: ${JSON.stringify(h)}`);
}

// wrapUp checks the browser phone is on the wrap-up screen, then submits.
async function wrapUp() {
  await waitState('DISPO', 20000);
  await page.locator('[data-testid=softphone-strip][data-reg=ready]').waitFor();
  await dispose('Sale');
  await page.getByTestId('dispo-panel').getByRole('button', { name: /Submit and go ready/ }).click();
  await waitState('READY', 20000);
}

await run(session, 'softphone-dialer-e2e-failure', result, async () => {
  await step('sign in; log in to the browser phone, each call put through; registered over WSS', async () => {
    await signIn();
    await page.getByTestId('campaign-choice').getByLabel(/e2e browser progressive/).waitFor();
    await page.getByTestId('kind-webrtc').check();
    await page.getByLabel(/Ring each call/).check();
    await page.getByRole('button', { name: 'Log in to phone' }).click();
    await sp.reg('ready', 30000);
    await ask({ do: 'registered' }, 40000);
    await waitState('PAUSED', 20000);
    await page.keyboard.press('Alt+R');
    await waitState('READY', 20000);
  });

  await step('the dialer calls the lead: the tab answers, the tone, then each hears the other', async () => {
    // The delivery tone lasts 250 ms: heard when it fills 120 of them.
    const tone = await listenTone(page, Number(env('AS_DELIVERY_HZ')), 30000, 120);
    const voice = await listenTone(page, leadHz, 30000);
    const { id } = await ask({ do: 'dial' }, 60000);
    result.dialer = id;
    await waitConnected(id);
    const t = await tone.result();
    if (!t.heard) throw new Error(`no delivery tone in the page: ${JSON.stringify(t)}`);
    await hearsLead(voice, 'dialer call');
  });

  await step("the page's Hold: the lead hears the music; Unhold: each hears the other again", async () => {
    await page.getByRole('button', { name: 'Hold', exact: true }).click();
    await page.getByTestId('hold-flag').waitFor();
    await ask({ do: 'held' }, 40000);
    const back = await listenTone(page, leadHz, 20000);
    await page.getByRole('button', { name: 'Unhold' }).click();
    await page.getByTestId('hold-flag').waitFor({ state: 'detached' });
    await ask({ do: 'unheld' }, 40000);
    await hearsLead(back, 'after unhold');
  });

  await step("the page's Mute: the lead stops hearing the browser; Unmute: it hears it again", async () => {
    await page.locator('body').press('m');
    await page.getByTestId('mute-flag').waitFor();
    await ask({ do: 'muted' }, 40000);
    await page.getByRole('button', { name: 'Unmute' }).click();
    await page.getByTestId('mute-flag').waitFor({ state: 'detached' });
    await ask({ do: 'unheld' }, 40000);
  });

  await step("the page's keypad: 1 2 # 9 reach the lead as DTMF", async () => {
    await page.getByRole('button', { name: 'Keypad' }).click();
    for (const d of ['1', '2', '#', '9']) await page.getByRole('button', { name: 'Send ' + d }).click();
    await page.getByTestId('dtmf-sent').filter({ hasText: '12#9' }).waitFor();
    await page.getByRole('button', { name: 'Keypad' }).click();
    await ask({ do: 'digits', want: '12#9' }, 40000);
  });

  await step("the page's Hang up ends the lead's call; wrap-up shows the browser phone", async () => {
    await page.getByRole('button', { name: /Hang up/ }).click();
    await ask({ do: 'lead-hung-up' }, 40000);
    await wrapUp();
  });

  // dial dials a number from the page's dialpad: the tab is rung first,
  // then the lead; it waits until the page hears the lead.
  async function dial(what) {
    const { number } = await ask({ do: 'manual-number' });
    await page.getByRole('tab', { name: 'Dialpad' }).click();
    const box = page.getByLabel('Phone number');
    await box.fill(number);
    const voice = await listenTone(page, leadHz, 40000);
    await box.press('Enter');
    await page.getByTestId('call-panel').waitFor({ timeout: 20000 });
    const id = await page.getByTestId('call-panel').getAttribute('data-call-id');
    await ask({ do: 'manual-lead', number }, 60000);
    await waitConnected(id);
    await hearsLead(voice, what);
    return id;
  }

  await step('a number dialed from the page: the tab first, then the lead; each hears the other', async () => {
    result.manual = await dial('manual call');
  });

  await step("the page's conference panel adds a colleague, all three talk; Leave: the two talk on", async () => {
    await ask({ do: 'colleague-ready' }, 20000);
    await page.locator('body').press('c');
    const conf = page.getByRole('form', { name: 'Conference' });
    await conf.waitFor();
    const colleague = env('AS_COLLEAGUE');
    await conf.locator(`[role=option][data-key="${colleague}"][data-state=READY]`).waitFor({ timeout: 20000 });
    await conf.locator(`[role=option][data-key="${colleague}"]`).click();
    await conf.getByRole('button', { name: 'Add to call' }).click();
    await ask({ do: 'conferenced' }, 60000);
    await page.getByTestId('party').filter({ hasText: 'On the call' }).waitFor();
    await page.getByRole('button', { name: /Leave/ }).click();
    await ask({ do: 'left' }, 40000);
    await wrapUp();
  });

  await step("another number dialed; the page's transfer panel hands the lead to a colleague; the tab wraps up", async () => {
    result.transferred = await dial('second manual call');
    await ask({ do: 'colleague-ready' }, 20000);
    await page.locator('body').press('t');
    const form = page.getByRole('form', { name: 'Blind transfer' });
    await form.waitFor();
    const colleague = env('AS_COLLEAGUE');
    await form.locator(`[role=option][data-key="${colleague}"][data-state=READY]`).waitFor({ timeout: 20000 });
    await form.locator(`[role=option][data-key="${colleague}"]`).click();
    await form.getByRole('button', { name: 'Transfer now' }).click();
    await ask({ do: 'transferred' }, 60000);
    await wrapUp();
  });

  await step('end the phone session: unregistered', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'End phone session' }).click();
    await waitState('LOGGED_OUT', 20000);
    await ask({ do: 'logged-out' }, 40000);
  });
});
