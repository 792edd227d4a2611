// The supervisor's wall in Chromium against `agentswitch serve` on the
// simulated switch: the team filter shows the agent's team; the wall
// follows an agent (driven through the API) from logged out to paused,
// ready and talking; a caller waits in the agent's queue meanwhile; the
// supervisor listens in (connecting, then listening, pushed), whispers,
// then barges; with the alert limits lowered on the wall, a hold and the
// agent's wrap-up raise alerts that bring their rows into view; the
// supervisor forces the agent into a pause; an agent cannot reach the
// wall.
// wall_test.go (TestSupervisorWall) provisions the agents, the queue and
// its DID.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID, AS_CALLER,
// AS_AGENT_USER, AS_AGENT_PASSWORD, AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import path from 'node:path';
import { env, URL, ARTIFACTS, admin, ask, until, step, openPage, helpers, run } from './harness.mjs';

const AGENT = Number(env('AS_AGENT_ID'));
const result = {};
const session = await openPage();
const { page } = session;
const { shot } = helpers(page);
const row = () => page.locator(`[data-testid=wall-agent][data-agent-id="${AGENT}"]`);
const rowIn = (st) => page.locator(`[data-testid=wall-agent][data-agent-id="${AGENT}"][data-state=${st}]`);
const tile = () => page.locator('[data-testid=wall-queue][data-queue=support]');

await run(session, 'wall-failure', result, async () => {
  await step('a supervisor signs in and lands on the wall', async () => {
    await page.goto(URL + '/');
    await page.getByLabel('Username').fill(env('AS_USER'));
    await page.getByLabel('Password').fill(env('AS_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-testid=wall][data-conn=live]').waitFor();
    await page.getByRole('heading', { name: 'Wall' }).waitFor();
    assert.equal(await page.getByText('No agent seat').count(), 0);
    await page.getByTestId('nav-wall').waitFor();
    await rowIn('LOGGED_OUT').waitFor();
    await tile().waitFor();
  });

  await step("the supervisor's own team is shown first; all teams one choice away", async () => {
    // Sara leads the Support team: the wall opens on it.
    await page.waitForFunction(() => document.querySelector('[data-testid=wall-filter-team]')?.selectedOptions[0]?.textContent === 'Support team');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=wall-agent]').length === 1);
    assert.equal(await row().getByTestId('wall-agent-team').textContent(), 'Support team');
    await page.getByTestId('wall-filter-team').selectOption('');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=wall-agent]').length === 2);
  });

  await step('the agent logs in: paused on the wall, a timer running', async () => {
    await admin('POST', `/agents/${AGENT}/login`, { endpoint: { kind: 'sip' }, mode: 'ring' });
    await rowIn('PAUSED').waitFor();
    const timer = row().getByRole('timer', { name: 'Time in state' });
    await page.waitForFunction((el) => /^0:0[1-9]$/.test(el.textContent), await timer.elementHandle());
  });

  await step('a caller waits in the queue: the tile shows the caller and the wait', async () => {
    await ask({ do: 'inbound', from: env('AS_CALLER') });
    await tile().locator('[data-testid=wall-queue-waiting]').filter({ hasText: /^1$/ }).waitFor();
    await tile().getByTestId('wall-queue-oldest').waitFor();
    await shot('20-wall-waiting-1440');
  });

  await step('the agent goes ready and takes the call: state and call on the wall', async () => {
    await admin('POST', `/agents/${AGENT}/ready`);
    await rowIn('INCALL').waitFor();
    await row().getByTestId('wall-agent-call').filter({ hasText: '(415) 555-0199' }).waitFor();
    await tile().locator('[data-testid=wall-queue-waiting]').filter({ hasText: /^0$/ }).waitFor();
    const call = page.getByTestId('wall-call');
    await call.waitFor();
    result.call = await call.getAttribute('data-call-id');
  });

  await step('listen, then whisper: the monitor requests reach the API', async () => {
    const call = page.locator(`[data-testid=wall-call][data-call-id="${result.call}"]`);
    // No extension yet: the wall asks for one first.
    await call.getByRole('button', { name: 'Listen' }).click();
    await page.locator('.notice').filter({ hasText: 'Enter your phone extension' }).waitFor();
    await page.getByTestId('wall-extension').fill('3100');
    await page.getByRole('button', { name: 'Save' }).click();
    const started = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/calls/${result.call}/monitor`));
    await call.getByRole('button', { name: 'Listen' }).click();
    const res = await started;
    assert.equal(res.status(), 201);
    const body = JSON.parse(res.request().postData());
    assert.deepEqual(body, { mode: 'listen', endpoint: { kind: 'sip', extension: '3100' } });
    result.monitor_leg = (await res.json()).leg_id;
    await call.locator('button[aria-pressed=true]', { hasText: 'Listen' }).waitFor();
    // Until the supervisor's phone answers the wall says so; the answer
    // is pushed.
    const monState = call.getByTestId('wall-monitor-state');
    await monState.filter({ hasText: 'Connecting…' }).waitFor();
    // At once: the phone answers in 3 s.
    await page.screenshot({ path: path.join(ARTIFACTS, '21a-wall-connecting-1440.png') });
    await call.locator('[data-testid=wall-monitor-state][data-state=up]', { hasText: 'Listening' }).waitFor();
    // The mode switches once the supervisor's phone (simulated) answers.
    await until('the supervisor\'s phone answers', () => admin('GET', `/calls/${result.call}`),
      (v) => ((v.view && v.view.parties) || []).some((p) => p.leg_id === result.monitor_leg && p.state === 'up'));

    const switched = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/monitor/${result.monitor_leg}`));
    await call.getByRole('button', { name: 'Whisper' }).click();
    const sres = await switched;
    assert.equal(sres.status(), 204);
    result.whisper_mode = JSON.parse(sres.request().postData()).mode;
    await call.locator('button[aria-pressed=true]', { hasText: 'Whisper' }).waitFor();
    await monState.filter({ hasText: 'Whispering' }).waitFor();
    // The extension is remembered for the next visit.
    assert.equal(await page.evaluate(() => localStorage.getItem('agentswitch.wall.extension')), '3100');
    await shot('21-wall-call-1440');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await shot('22-wall-call-1920');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step('barge: the agent and the caller hear the supervisor, the wall shows it', async () => {
    const call = page.locator(`[data-testid=wall-call][data-call-id="${result.call}"]`);
    const switched = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/monitor/${result.monitor_leg}`));
    await call.getByRole('button', { name: 'Barge' }).click();
    const res = await switched;
    assert.equal(res.status(), 204);
    result.barge_mode = JSON.parse(res.request().postData()).mode;
    await call.locator('button[aria-pressed=true]', { hasText: 'Barge' }).waitFor();
    await call.locator('[data-testid=wall-monitor-state][data-mode=barge][data-state=up]', { hasText: 'Barging' }).waitFor();
    await shot('24-wall-barge-1440');
  });

  await step('the alert limits lowered on the wall; a caller on hold too long raises an alert', async () => {
    const alerts = page.getByTestId('wall-alerts');
    assert.equal(await alerts.getAttribute('data-count'), '0');
    await page.getByTestId('wall-limits').click();
    await page.getByTestId('wall-limit-wrapup').fill('5');
    await page.getByTestId('wall-limit-hold').fill('5');
    await page.getByRole('button', { name: 'Save limits' }).click();
    assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem('agentswitch.wall.alerts'))), { wrapup: 5, hold: 5, abandon: 2.5 });
    await admin('POST', `/calls/${result.call}/hold`);
    const alert = page.locator(`[data-testid=wall-alert][data-kind=hold][data-call-id="${result.call}"]`);
    await alert.filter({ hasText: '(415) 555-0199 on hold (Quinn Park)' }).waitFor();
    await alert.click();
    await page.waitForFunction((id) => document.activeElement && document.activeElement.dataset.callId === id, result.call);
    await admin('POST', `/calls/${result.call}/unhold`);
    await alert.waitFor({ state: 'detached' });
  });

  await step('the call ends; the supervisor forces a pause from the agent menu, by keyboard', async () => {
    const call = page.locator(`[data-testid=wall-call][data-call-id="${result.call}"]`);
    await call.getByRole('button', { name: 'Hang up' }).click();
    await call.waitFor({ state: 'detached' });
    await rowIn('DISPO').waitFor();

    // A wrap-up alert, under the limit lowered to 5 s.
    const alert = page.locator(`[data-testid=wall-alert][data-kind=wrapup][data-agent-id="${AGENT}"]`);
    await alert.filter({ hasText: 'Quinn Park in wrap-up' }).waitFor();
    assert.equal(await page.getByTestId('wall-alerts-count').textContent(), '1');
    await shot('25-wall-alert-1440');
    await alert.click();
    await page.waitForFunction((id) => document.activeElement && document.activeElement.dataset.agentId === String(id), AGENT);
    await admin('POST', `/calls/${result.call}/disposition`, { code: 'SALE' });
    await admin('POST', `/agents/${AGENT}/ready`).catch(() => {});
    await rowIn('READY').waitFor();
    await alert.waitFor({ state: 'detached' });
    await row().getByTestId('wall-agent-menu').focus();
    await page.keyboard.press('Enter');
    const menu = page.getByRole('menu', { name: 'Actions for Quinn Park' });
    await menu.waitFor();
    await menu.getByRole('menuitem', { name: /Pause: Lunch/ }).click();
    await rowIn('PAUSED').waitFor();
    await row().getByTestId('wall-agent-state').filter({ hasText: 'Lunch' }).waitFor();
    const v = await admin('GET', `/agents/${AGENT}`);
    assert.equal(v.pause_code, 'LUNCH');
  });

  await step('filters: by state, by name, by queue', async () => {
    await page.getByTestId('wall-filter-state').selectOption('PAUSED');
    assert.equal(await page.getByTestId('wall-agent').count(), 1);
    await page.getByTestId('wall-filter-state').selectOption('');
    await page.getByTestId('wall-search').fill('bob');
    await page.locator('[data-testid=wall-agent]', { hasText: 'Bob Stone' }).waitFor();
    assert.equal(await page.getByTestId('wall-agent').count(), 1);
    await page.getByTestId('wall-search').fill('');
    // By queue: its members only.
    await page.getByTestId('wall-filter-queue').selectOption({ label: 'support' });
    await page.locator('[data-testid=wall-shown]', { hasText: /^1 of 2$/ }).waitFor();
    assert.equal(await page.getByTestId('wall-agent').getAttribute('data-agent-id'), String(AGENT));
    await page.getByTestId('wall-filter-queue').selectOption('');
    // Row to row by keyboard, from a row's menu button.
    await row().getByTestId('wall-agent-menu').focus();
    const focusOn = (id) =>
      page.waitForFunction((id) => (document.activeElement.closest('tr') || {}).dataset?.agentId === id, String(id));
    await page.keyboard.press('ArrowDown');
    await focusOn(await page.locator('[data-testid=wall-agent]', { hasText: 'Bob Stone' }).getAttribute('data-agent-id'));
    await page.keyboard.press('ArrowUp');
    await focusOn(AGENT);
    await shot('23-wall-paused-1440');
  });

  await step("the last row's menu shows whole, over the grid's edge", async () => {
    const bob = page.locator('[data-testid=wall-agent]', { hasText: 'Bob Stone' });
    await bob.getByTestId('wall-agent-menu').click();
    const menu = page.getByRole('menu', { name: 'Actions for Bob Stone' });
    await menu.waitFor();
    // Every item is the element at its own centre: nothing cut off or covered.
    const hidden = await menu.evaluate((m) =>
      [...m.querySelectorAll('[role=menuitem]')]
        .filter((i) => {
          const r = i.getBoundingClientRect();
          return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) !== i;
        })
        .map((i) => i.textContent),
    );
    assert.deepEqual(hidden, [], 'menu items cut off');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
  });

  await step('an agent neither sees the wall\'s link nor reaches the wall', async () => {
    const ctx = await session.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const p = await ctx.newPage();
    await p.goto(URL + '/wall');
    await p.getByLabel('Username').fill(env('AS_AGENT_USER'));
    await p.getByLabel('Password').fill(env('AS_AGENT_PASSWORD'));
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Start your session' }).waitFor();
    assert.equal(await p.getByTestId('wall').count(), 0);
    assert.equal(await p.getByTestId('nav-wall').count(), 0);
    await ctx.close();
  });
});
