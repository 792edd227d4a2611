// An agent on a preview campaign, in Chromium against `agentswitch serve`
// on the simulated switch: the campaign chosen at the start, a previewed
// lead read with its history and skipped with a reason, the next one
// dialed, answered and wrapped up; then a switch to a progressive campaign
// and the dialer's call. browser_test.go (TestPreviewDay) provisions the
// data and checks the records.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID,
// AS_LEADS ("id:name:plan,id:name:plan", the preview campaign's leads),
// AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { env, step, openPage, helpers, run } from './harness.mjs';

const leads = new Map(
  env('AS_LEADS').split(',').map((x) => {
    const [id, name, plan] = x.split(':');
    return [Number(id), { name, plan }];
  }),
);
const result = { calls: {} };
const session = await openPage();
const { page } = session;
const { shot, waitState, waitConnected, dispose, signIn } = helpers(page);

const card = () => page.getByTestId('preview-card');
const previewedLead = async () => Number(await card().getAttribute('data-lead-id'));
const callId = async () => page.getByTestId('call-panel').getAttribute('data-call-id');

// seePreview checks the card of a previewed lead: who, their clock, their
// details and the earlier attempt (which failed) in the history.
async function seePreview(id) {
  const lead = leads.get(id);
  assert.ok(lead, `lead ${id} previewed, not one of the campaign's ${[...leads.keys()]}`);
  await page.getByTestId('preview-name').filter({ hasText: lead.name }).waitFor();
  await card().getByTestId('preview-local-time').filter({ hasText: 'Their time' }).waitFor();
  await card().getByText(lead.plan, { exact: true }).waitFor();
  const earlier = card().getByTestId('lead-history-call');
  await earlier.first().waitFor();
  assert.equal(await earlier.count(), 1, 'the history lists one earlier call');
  await earlier.filter({ hasText: /Busy|Cancelled/ }).waitFor();
  await page.locator('[data-testid=pause-code][data-code=PREVIEW]').filter({ hasText: 'Previewing' }).waitFor();
  // The campaign dials by itself after 10 minutes: the card counts down.
  const countdown = card().getByTestId('preview-countdown');
  await countdown.filter({ hasText: /^Dialing in \d+:\d\d$/ }).waitFor();
  const left = Number(await countdown.getAttribute('data-seconds'));
  assert.ok(left > 540 && left <= 600, `the countdown shows ${left} s of 600`);
}

await run(session, 'preview-failure', result, async () => {
  await step('sign in', async () => {
    await signIn();
  });

  await step('the start screen: the campaigns and their modes in words; a campaign is required', async () => {
    const choice = page.getByTestId('campaign-choice');
    await choice.getByText('Preview: you choose when to dial').waitFor();
    await choice.getByText('Progressive: calls come to you').waitFor();
    // Two campaigns and none worked before here: no guess is made for the agent.
    await page.getByRole('button', { name: 'Log in to phone' }).click();
    await choice.getByRole('alert').filter({ hasText: 'Choose the campaign' }).waitFor();
    await shot('p1-start');
    await page.getByLabel(/Winter preview/).check();
    await page.getByRole('button', { name: 'Log in to phone' }).click();
    await waitState('PAUSED');
    await page.getByTestId('campaign-name').filter({ hasText: 'Winter preview' }).waitFor();
    await page.getByTestId('campaign-mode').filter({ hasText: 'Preview' }).waitFor();
  });

  let first;
  await step('go ready: a lead is previewed with its history', async () => {
    await page.getByRole('button', { name: 'Go ready' }).first().click();
    await card().waitFor();
    first = await previewedLead();
    await seePreview(first);
    // A preview is left with Dial or Skip, not by going ready.
    assert.equal(await page.getByRole('button', { name: 'Go ready' }).count(), 0);
    await shot('p2-preview');
  });

  let second;
  await step('skip it with a reason: the next lead at once', async () => {
    await page.locator('body').press('s');
    const form = page.getByTestId('skip-form');
    await form.waitFor();
    await form.getByRole('button', { name: 'Skip lead' }).click();
    await form.getByRole('alert').filter({ hasText: 'Choose a reason' }).waitFor();
    await form.getByLabel('Already spoke today').check();
    await form.getByRole('button', { name: 'Skip lead' }).click();
    await page.waitForFunction((id) => {
      const c = document.querySelector('[data-testid=preview-card]');
      return c && Number(c.dataset.leadId) !== id;
    }, first);
    second = await previewedLead();
    await seePreview(second);
    result.skipped = first;
    result.dialed = second;
  });

  await step('dial it (D): it answers; the lead panel shows its history', async () => {
    await page.locator('body').press('d');
    await page.getByTestId('call-panel').waitFor();
    const id = await callId();
    result.calls.preview = id;
    await waitConnected(id);
    const panel = page.getByTestId('lead-panel');
    await panel.getByTestId('lead-name').filter({ hasText: leads.get(second).name }).waitFor();
    // The call on screen is not history yet: the earlier attempt is.
    await panel.getByTestId('lead-history-call').filter({ hasText: /Busy|Cancelled/ }).waitFor();
    assert.equal(await panel.getByTestId('lead-history-call').count(), 1);
    // The campaign's call, dialed when the agent chose.
    await page.getByTestId('dialer-badge').filter({ hasText: 'Dialer call' }).waitFor();
    assert.ok(await page.getByTestId('campaign-menu').isDisabled(), 'the campaign can be changed during a call');
    await shot('p3-call');
    await page.keyboard.press('Alt+X');
    await waitState('DISPO');
    const wrap = await dispose('Not interested', { notes: 'Renewed with another supplier' });
    await wrap.getByRole('button', { name: /Submit and go ready/ }).click();
    await wrap.waitFor({ state: 'detached' });
  });

  await step('switch to the progressive campaign: the dialer\'s call comes, marked', async () => {
    await page.getByTestId('campaign-menu').click();
    await page.getByRole('menuitemradio', { name: /Spring progressive/ }).click();
    // The dialer may put its call through before the confirmation is read,
    // taking the notice with the idle screen: the status bar says it.
    await page.getByTestId('campaign-name').filter({ hasText: 'Spring progressive' }).waitFor();
    await page.getByTestId('call-panel').waitFor({ timeout: 20000 });
    const id = await callId();
    result.calls.dialer = id;
    await waitConnected(id);
    await page.getByTestId('dialer-badge').filter({ hasText: 'Dialer call' }).waitFor();
    await page.getByTestId('lead-name').filter({ hasText: 'Cleo Park' }).waitFor();
    await shot('p4-dialer-call');
    await page.getByRole('button', { name: /Hang up/ }).click();
    const wrap = await dispose('Sale');
    await wrap.getByRole('button', { name: /Submit and go ready/ }).click();
    await wrap.waitFor({ state: 'detached' });
  });

  await step('end the phone session', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'End phone session' }).click();
    await waitState('LOGGED_OUT');
  });
});
