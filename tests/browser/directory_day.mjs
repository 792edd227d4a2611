// The transfer panel's directory, in Chromium against `agentswitch serve`
// on the simulated switch: colleagues found by name with their presence,
// READY ones first, a paused one listed but not pickable, a colleague
// coming online while the panel is open, the queues, a blind transfer
// to a colleague picked with the keyboard, then a conference with another.
// directory_test.go (TestDirectoryTransfer) provisions the colleagues and
// checks the calls' legs.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID,
// AS_CAMPAIGN_ID, AS_LEAD_NUMBER, AS_SECOND_NUMBER (the conference's
// lead), AS_BOB (READY), AS_BEA (paused),
// AS_BILL (logged out), AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import path from 'node:path';
import { env, ARTIFACTS, admin, until, step, openPage, helpers, run } from './harness.mjs';

const [BOB, BEA, BILL] = ['AS_BOB', 'AS_BEA', 'AS_BILL'].map((k) => Number(env(k)));
const result = {};
const session = await openPage();
const { page } = session;
const { waitState, waitConnected, dispose, signInReady } = helpers(page);

const form = () => page.getByRole('form', { name: 'Blind transfer' });
const search = () => form().getByRole('combobox', { name: 'Colleague' });
const list = () => form().getByRole('listbox', { name: 'Colleague' });
const option = (id) => list().locator(`[role=option][data-key="${id}"]`);
// active is the option the search field names as active.
const active = async () => {
  const id = await search().getAttribute('aria-activedescendant');
  return id ? Number(await page.locator('#' + id).getAttribute('data-key')) : null;
};
const waitActive = (id) =>
  page.waitForFunction((want) => {
    const box = document.querySelector('#target-agent');
    const el = box && document.getElementById(box.getAttribute('aria-activedescendant'));
    return el && Number(el.dataset.key) === want;
  }, id);
const waitFocusOnSearch = () => page.waitForFunction(() => document.activeElement && document.activeElement.id === 'target-agent');
// kind picks a destination kind as a pointer does: by its label.
const kind = (name) => form().locator('.segmented label').filter({ hasText: name }).click();
const keys = async () => Promise.all((await list().getByRole('option').all()).map(async (o) => Number(await o.getAttribute('data-key'))));

// callIn has a lead at number put through to the agent and waits for
// the talk; it returns the call's id.
async function callIn(number) {
  const { id } = await admin('POST', '/calls', { number, agent_id: Number(env('AS_AGENT_ID')), campaign_id: Number(env('AS_CAMPAIGN_ID')) });
  await waitConnected(id);
  return id;
}

await run(session, 'directory-failure', result, async () => {
  await step('sign in, log in to the phone, go ready', signInReady);

  await step('a call connects; T opens the transfer panel on the directory, the focus in its search', async () => {
    result.call = await callIn(env('AS_LEAD_NUMBER'));
    await page.locator('body').press('t');
    await form().waitFor();
    await waitFocusOnSearch();
    assert.equal(await form().getByRole('radio', { name: 'Agent' }).isChecked(), true, 'the panel opens on the directory');
    await option(BOB).waitFor();
  });

  await step('presence: READY first, a paused and a logged-out colleague listed but not pickable, me not listed', async () => {
    assert.deepEqual(await keys(), [BOB, BEA, BILL]);
    for (const [id, st, word, disabled] of [[BOB, 'READY', 'Ready', null], [BEA, 'PAUSED', 'Paused', 'true'], [BILL, 'LOGGED_OUT', 'Logged out', 'true']]) {
      const o = option(id);
      assert.equal(await o.getAttribute('data-state'), st);
      assert.equal(await o.getAttribute('aria-disabled'), disabled, `option ${id} aria-disabled`);
      await o.locator('.picker-word').filter({ hasText: new RegExp(`^${word}$`) }).waitFor();
      await o.locator('.presence-dot').waitFor();
    }
    await list().getByRole('option', { name: /Bob Stone/ }).filter({ hasText: 'ext 2002' }).waitFor();
    await form().getByText('3 in all, 1 ready.').waitFor();
    await waitActive(BOB);
    await form().screenshot({ path: path.join(ARTIFACTS, '11-directory-presence.png') });
  });

  await step('a colleague logs in while the panel is open: the list follows', async () => {
    await admin('POST', `/agents/${BILL}/login`, { endpoint: { kind: 'sip' }, mode: 'ring' });
    await admin('POST', `/agents/${BILL}/ready`);
    await list().locator(`[role=option][data-key="${BILL}"][data-state=READY]`).waitFor({ timeout: 15000 });
    assert.deepEqual(await keys(), [BILL, BOB, BEA], 'READY ones first, by name');
    assert.equal(await option(BILL).getAttribute('aria-disabled'), null);
  });

  await step('screenshots of the picker at 1440 and 1024 px', async () => {
    await search().fill('b');
    for (const width of [1440, 1024]) {
      await page.setViewportSize({ width, height: 900 });
      const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth }));
      assert.ok(widths.page <= width, `the page overflows at ${width} px: ${JSON.stringify(widths)}`);
      const box = await form().boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= width, `the transfer panel at ${JSON.stringify(box)} leaves the ${width} px viewport`);
      const row = await option(BEA).boundingBox();
      assert.ok(row.x + row.width <= box.x + box.width, `an option overflows the panel at ${width} px`);
      await form().scrollIntoViewIfNeeded();
      await form().screenshot({ path: path.join(ARTIFACTS, `11-directory-${width}.png`) });
      await page.screenshot({ path: path.join(ARTIFACTS, `11-directory-page-${width}.png`) });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    await search().fill('');
  });

  await step('the Queue tab lists the active queues', async () => {
    await kind('Queue');
    const queues = form().getByRole('listbox', { name: 'Inbound queue' });
    await queues.getByRole('option', { name: /sales/ }).waitFor();
    assert.equal(await queues.getByRole('option').count(), 1, 'an inactive queue is listed');
    await form().getByRole('combobox', { name: 'Inbound queue' }).press('Enter');
    await form().getByTestId('target-to').filter({ hasText: 'To the sales queue' }).waitFor();
    await form().screenshot({ path: path.join(ARTIFACTS, '11-directory-queues.png') });
    await kind('Agent');
    await waitFocusOnSearch();
  });

  await step('type part of a name, arrows and Enter: a paused colleague is refused, Bob is picked', async () => {
    const box = search();
    await box.pressSequentially('b');
    // READY first: Bill, Bob, then Bea.
    await waitActive(BILL);
    await box.press('ArrowDown');
    await box.press('ArrowDown');
    await waitActive(BEA);
    await box.press('Enter');
    await form().getByText('Bea Lang is paused: only a colleague who is ready can take the call.').waitFor();
    await form().screenshot({ path: path.join(ARTIFACTS, '11-directory-refused.png') });
    assert.equal(await option(BEA).getAttribute('aria-selected'), 'false');
    assert.equal(await form().getByRole('button', { name: 'Transfer now' }).isDisabled(), true);
    await box.pressSequentially('o');
    await list().getByRole('option').first().waitFor();
    assert.deepEqual(await keys(), [BOB], '"bo" matches Bob only');
    assert.equal(await active(), BOB);
    await box.press('Enter');
    assert.equal(await option(BOB).getAttribute('aria-selected'), 'true');
    await form().getByTestId('target-to').filter({ hasText: 'To Bob Stone' }).waitFor();
    await waitFocusOnSearch();
    await form().screenshot({ path: path.join(ARTIFACTS, '11-directory-picked.png') });
  });

  await step('Enter again transfers; the call reaches Bob and Dana wraps up', async () => {
    await search().press('Enter');
    await waitState('DISPO');
    await page.getByTestId('dispo-panel').getByText('The call goes on without you.').waitFor();
    await until('Bob on the call', () => admin('GET', `/calls/${result.call}`), (c) => c.live && c.view.agent_id === BOB && c.view.state === 'connected');
    await until('Bob INCALL', () => admin('GET', `/agents/${BOB}`), (a) => a.state === 'INCALL' && a.call_id === result.call);
    const panel = await dispose('Sale', { notes: 'Passed to Bob' });
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
  });

  await step('another call: the conference panel adds Bill, found and picked by keyboard; the party has his name; Leave', async () => {
    result.conference = await callIn(env('AS_SECOND_NUMBER'));
    await page.locator('body').press('c');
    const conf = page.getByRole('form', { name: 'Conference' });
    const box = conf.getByRole('combobox', { name: 'Colleague' });
    await waitFocusOnSearch();
    await box.pressSequentially('orr');
    await conf.locator(`[role=option][data-key="${BILL}"]`).waitFor();
    await waitActive(BILL);
    await box.press('Enter');
    await conf.getByTestId('target-to').filter({ hasText: 'To Bill Orr' }).waitFor();
    await box.press('Enter');
    await page.getByTestId('party').filter({ hasText: 'Bill Orr' }).filter({ hasText: 'On the call' }).waitFor();
    await page.getByRole('button', { name: 'Remove Bill Orr' }).waitFor();
    await page.getByRole('button', { name: /Leave/ }).click();
    await waitState('DISPO');
    const panel = await dispose('Sale', { notes: 'Introduced to Bill' });
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
  });
});
