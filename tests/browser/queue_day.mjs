// An inbound queue in Chromium against `agentswitch serve` on the
// simulated switch: a caller to the support queue reaches the agent, who
// sees the queue, the wait and the caller's lead, then blind-transfers the
// caller to the billing queue picked in the transfer panel; billing's
// member takes it. queue_test.go (TestInboundQueue) provisions the queues
// and checks the record.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID, AS_BOB,
// AS_LEAD_NUMBER, AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import path from 'node:path';
import { env, ARTIFACTS, admin, ask, until, step, openPage, helpers, run } from './harness.mjs';

const BOB = Number(env('AS_BOB'));
const result = {};
const session = await openPage();
const { page } = session;
const { waitState, waitConnected, dispose, signInReady } = helpers(page);
const form = () => page.getByRole('form', { name: 'Blind transfer' });

let leg;
await run(session, 'queue-failure', result, async () => {
  await step('sign in, log in to the phone, go ready', signInReady);

  await step('a caller to the support queue: inbound, the queue and its wait, the caller\'s lead', async () => {
    ({ leg } = await ask({ do: 'inbound', from: env('AS_LEAD_NUMBER') }));
    await page.getByTestId('call-panel').waitFor();
    result.call = await page.getByTestId('call-panel').getAttribute('data-call-id');
    await waitConnected(result.call);
    await page.getByTestId('call-direction').filter({ hasText: 'Inbound' }).waitFor();
    await page.getByTestId('call-queue').filter({ hasText: /Queue support · waited \d+:\d\d/ }).waitFor();
    await page.getByTestId('lead-name').filter({ hasText: 'Jane Cooper' }).waitFor();
    const live = await admin('GET', '/queues/live');
    const support = live.queues.find((q) => q.name === 'support');
    assert.equal(support.answered, 1, JSON.stringify(support));
    assert.equal(support.waiting, 0);
    await page.screenshot({ path: path.join(ARTIFACTS, '12-queue-call.png') });
  });

  await step('transfer to the billing queue, picked by keyboard; the agent wraps up, Bob takes the caller', async () => {
    await page.locator('body').press('t');
    await form().waitFor();
    await form().locator('.segmented label').filter({ hasText: 'Queue' }).click();
    const box = form().getByRole('combobox', { name: 'Inbound queue' });
    await box.pressSequentially('bill');
    await box.press('Enter');
    await form().getByTestId('target-to').filter({ hasText: 'To the billing queue' }).waitFor();
    await form().screenshot({ path: path.join(ARTIFACTS, '12-queue-transfer.png') });
    await box.press('Enter');
    await waitState('DISPO');
    const c = await until('Bob on the call', () => admin('GET', `/calls/${result.call}`),
      (c) => c.live && c.view.agent_id === BOB && c.view.state === 'connected' && c.view.queue === 'billing');
    assert.ok(c.view.queued_at, 'the caller kept its first arrival');
    const billing = (await admin('GET', '/queues/live')).queues.find((q) => q.name === 'billing');
    assert.equal(billing.answered, 1, JSON.stringify(billing));
    const panel = await dispose('Sale', { notes: 'Passed to billing' });
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
    await ask({ do: 'hangup', leg });
  });
});
