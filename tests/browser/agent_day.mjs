// One agent's day in the workspace, in Chromium against `agentswitch serve`
// on the simulated switch. browser_test.go provisions the data, runs this
// script and then checks what reached the switch and the call records.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENT_ID, AS_CAMPAIGN_ID,
// AS_LEAD_ID, AS_LEAD_NUMBER, AS_SECOND_NUMBER, AS_WARM_NUMBER,
// AS_BLIND_NUMBER, AS_LONG_PAUSE (a configured pause code of 32 characters),
// AS_ARTIFACTS (screenshots), AS_RESULT (JSON written at the end for the Go
// side).

import assert from 'node:assert/strict';
import path from 'node:path';
import { env, URL, ARTIFACTS, ask, admin, step, openPage, helpers, run } from './harness.mjs';

const AGENT_ID = Number(env('AS_AGENT_ID'));
const LEAD_NUMBER = env('AS_LEAD_NUMBER');
const LONG_PAUSE = env('AS_LONG_PAUSE');
const result = { calls: {} };
const session = await openPage();
const { page, expectError } = session;
const { shot, waitState, notice, callPanel, waitConnected, dispose } = helpers(page);

// The event stream goes through a route the test can cut.
let stream = null;
let blocked = false;
let streams = 0;
await page.routeWebSocket(/\/api\/v1\/stream$/, (ws) => {
  if (blocked) {
    ws.close({ code: 4000, reason: 'network down (test)' });
    return;
  }
  streams++;
  ws.connectToServer();
  stream = ws;
});

const seconds = async (loc) => Number(await loc.getAttribute('data-seconds'));
const callTimer = () => page.getByTestId('call-panel').getByRole('timer', { name: 'Call duration' });

// inView asserts that a locator's box lies inside the viewport.
async function inView(loc, what) {
  const box = await loc.boundingBox();
  const vp = page.viewportSize();
  assert.ok(box, `${what} is not shown`);
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height,
    `${what} at ${JSON.stringify(box)} is outside the ${vp.width}x${vp.height} viewport`);
}

// waitFocus waits for the focus to be on the element matching selector,
// or on the element of a locator.
const waitFocus = async (target) =>
  typeof target === 'string'
    ? page.waitForFunction((sel) => document.activeElement && document.activeElement.matches(sel), target)
    : page.waitForFunction((el) => document.activeElement === el, await target.elementHandle());

await run(session, 'failure', result, async () => {
  await step('sign-in page', async () => {
    await page.goto(URL + '/');
    await page.waitForURL(/\/login$/);
    await page.getByRole('heading', { name: 'Sign in to your workspace' }).waitFor();
    await shot('01-login');
    await page.getByLabel('Username').fill(env('AS_USER'));
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();
    await page.getByLabel('Password').fill(env('AS_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Start your session' }).waitFor();
  });

  await step('log in to the phone (SIP extension, ring mode), then go ready', async () => {
    await page.getByLabel(/SIP phone/).check();
    await page.getByLabel(/Ring each call/).check();
    await page.getByRole('button', { name: 'Log in to phone' }).click();
    await waitState('PAUSED');
    await page.getByRole('button', { name: 'Go ready' }).first().click();
    await waitState('READY');
    await page.getByRole('heading', { name: 'Waiting for the next call' }).waitFor();
  });

  await step('pause with a code, then Alt+R to go ready', async () => {
    await page.getByTestId('pause-menu').click();
    await page.getByRole('menuitem', { name: 'Lunch' }).click();
    await waitState('PAUSED');
    await page.locator('[data-testid=pause-code][data-code=LUNCH]').filter({ hasText: /^Lunch$/ }).waitFor();
    await page.keyboard.press('Alt+R');
    await waitState('READY');
  });

  await step('a pause code an admin adds is in the menu without a reload; deactivated, it leaves', async () => {
    await admin('POST', '/pause-codes', { code: 'QUALITY_REVIEW', label: 'Quality review' });
    await page.getByTestId('pause-menu').click();
    await page.getByRole('menuitem', { name: 'Quality review' }).click();
    await waitState('PAUSED');
    await page.locator('[data-testid=pause-code][data-code=QUALITY_REVIEW]').filter({ hasText: /^Quality review$/ }).waitFor();
    await admin('PATCH', '/pause-codes/QUALITY_REVIEW', { active: false });
    await page.getByTestId('pause-menu').click();
    await page.getByRole('menuitem', { name: 'Quality review' }).waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Alt+R');
    await waitState('READY');
  });

  await step('a long pause code: the header fits at 1440 and 1024 px, the user menu in reach', async () => {
    const label = 'Coaching session with supervisor';
    await page.getByTestId('pause-menu').click();
    await page.getByRole('menuitem', { name: label }).click();
    await waitState('PAUSED');
    const code = page.locator(`[data-testid=pause-code][data-code=${LONG_PAUSE}]`);
    await code.filter({ hasText: label }).waitFor();
    // Cut short when space runs out, the reason is whole on hover.
    assert.equal(await code.getAttribute('title'), label);
    for (const width of [1440, 1024]) {
      await page.setViewportSize({ width, height: 900 });
      const widths = await page.evaluate(() => {
        const bar = document.querySelector('.topbar');
        return { page: document.documentElement.scrollWidth, bar: bar.scrollWidth, barBox: bar.clientWidth };
      });
      assert.ok(widths.page <= width && widths.bar <= widths.barBox, `the header overflows at ${width} px: ${JSON.stringify(widths)}`);
      for (const [loc, what] of [
        [page.getByTestId('user-menu'), 'the user menu'], [page.getByTestId('pause-menu'), 'the pause menu'],
        [page.getByRole('button', { name: 'Go ready' }).first(), 'Go ready'], [page.getByRole('link', { name: 'Callbacks' }), 'the Callbacks link'],
        [page.getByTestId('agent-state'), 'the state'],
      ]) await inView(loc, `${what} at ${width} px`);
      // The reason is cut short, not squeezed out.
      assert.ok((await code.boundingBox()).width >= 40, `the pause reason is squeezed out at ${width} px`);
      await page.screenshot({ path: path.join(ARTIFACTS, `10-header-${width}.png`), clip: { x: 0, y: 0, width, height: 140 } });
      // The menu opens on screen, and Escape closes it.
      await page.getByTestId('user-menu').click();
      const signOut = page.getByRole('menuitem', { name: 'Sign out' });
      await inView(signOut, `Sign out at ${width} px`);
      await page.keyboard.press('Escape');
      await signOut.waitFor({ state: 'detached' });
      await waitFocus('[data-testid=user-menu]');
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.keyboard.press('Alt+R');
    await waitState('READY');
  });

  await step('cut off from the server past the heartbeat: paused, told why in words', async () => {
    blocked = true;
    await stream.close({ code: 4000, reason: 'network down (test)' });
    await page.getByTestId('reconnecting').waitFor();
    await ask({ do: 'lose-heartbeat' });
    blocked = false;
    await page.getByTestId('reconnecting').waitFor({ state: 'detached', timeout: 20000 });
    await waitState('PAUSED');
    const code = page.locator('[data-testid=pause-code][data-code=NO_HEARTBEAT]');
    await code.filter({ hasText: /^Connection lost$/ }).waitFor();
    assert.match(await code.getAttribute('title'), /no heartbeat from this page for 30 s/i);
    await page.getByTestId('idle-title').filter({ hasText: 'Paused · Connection lost' }).waitFor();
    await page.getByTestId('pause-detail').filter({ hasText: /No heartbeat from this page for 30 s/ }).waitFor();
    // The raw code is nowhere the agent reads, hover titles included.
    const shown = await page.evaluate(() => [document.body.innerText, ...[...document.querySelectorAll('[title]')].map((e) => e.title)].join('\n'));
    assert.doesNotMatch(shown, /no_heartbeat/i);
    await shot('09-no-heartbeat');
    // The other reasons the service pauses with have words too.
    const reasons = await page.evaluate(async () => {
      const { pauseReason } = await import('/assets/js/pause.js');
      return Object.fromEntries(['RESTART', 'CALL_LOST', 'no_heartbeat', 'RONA', 'PHONE_DOWN'].map((c) => [c, pauseReason(c)]));
    });
    for (const [c, r] of Object.entries(reasons)) {
      assert.ok(r.system && r.label && r.detail, `${c}: ${JSON.stringify(r)}`);
      assert.doesNotMatch(r.label + r.detail, /_|[A-Z]{4,}/, `${c} reads like a code: ${JSON.stringify(r)}`);
    }
    assert.match(reasons.RESTART.detail, /the service restarted while you were on a call/i);
    assert.match(reasons.CALL_LOST.detail, /lost your call/i);
    assert.equal(reasons.no_heartbeat.label, 'Connection lost');
    await page.keyboard.press('Alt+R');
    await waitState('READY');
  });

  let first;
  await step('a lead answers: the workspace shows the call, the lead and the script', async () => {
    first = (await admin('POST', '/calls', {
      number: LEAD_NUMBER, agent_id: AGENT_ID, campaign_id: Number(env('AS_CAMPAIGN_ID')), lead_id: Number(env('AS_LEAD_ID')),
    })).id;
    result.calls.first = first;
    await waitConnected(first);
    await page.getByTestId('lead-name').filter({ hasText: 'Jane Cooper' }).waitFor();
    const script = page.getByTestId('script');
    await script.filter({ hasText: 'Hello Jane' }).waitFor();
    await script.filter({ hasText: 'your Gold plan' }).waitFor();
    // Lead data is text, never markup.
    await script.filter({ hasText: '<img src=x onerror=' }).waitFor();
    assert.equal(await script.locator('img').count(), 0, 'lead data became markup in the script');
    assert.equal(await page.evaluate(() => window.__xss), undefined, 'lead data ran as script');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.lastCue), 'connected', 'no tone on connect');
    // The timer runs, from the server's connect time.
    const t = callTimer();
    const s0 = await seconds(t);
    await page.waitForFunction((s) => {
      const el = document.querySelector('[data-testid=call-panel] [role=timer]');
      return el && Number(el.dataset.seconds) > s;
    }, s0);
    await page.getByTestId('status-call-timer').waitFor();
  });

  await step('hold and unhold (button and H)', async () => {
    const hold = page.getByRole('button', { name: 'Hold', exact: true });
    await hold.click();
    await page.getByTestId('hold-flag').waitFor();
    await page.getByRole('button', { name: 'Unhold' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Unhold' }).getAttribute('aria-pressed'), 'true');
    await page.locator('body').press('h');
    await page.getByTestId('hold-flag').waitFor({ state: 'detached' });
  });

  await step('mute and unmute (M and button)', async () => {
    await page.locator('body').press('m');
    await page.getByTestId('mute-flag').waitFor();
    await page.getByRole('button', { name: 'Unmute' }).click();
    await page.getByTestId('mute-flag').waitFor({ state: 'detached' });
  });

  await step('keypad: 1 2 3 reach the lead as tones', async () => {
    await page.getByRole('button', { name: 'Keypad' }).click();
    for (const d of ['1', '2', '3']) await page.getByRole('button', { name: 'Send ' + d }).click();
    await page.getByTestId('dtmf-sent').filter({ hasText: '123' }).waitFor();
    await page.getByRole('button', { name: 'Keypad' }).click();
  });

  await step('Escape closes the transfer, conference and keypad panels, from their fields too', async () => {
    for (const [name, key, form] of [['Transfer', 't', 'Blind transfer'], ['Conference', 'c', 'Conference'], ['Keypad', 'k', 'Keypad (tones to the caller)']]) {
      const button = page.getByRole('button', { name, exact: true });
      await page.locator('body').press(key);
      const shown = page.getByRole(name === 'Keypad' ? 'group' : 'form', { name: form });
      await shown.waitFor();
      assert.equal(await button.getAttribute('aria-expanded'), 'true');
      if (name === 'Keypad') {
        await page.keyboard.press('Escape');
      } else {
        // The panel opens on the directory's search; typing leaves the
        // focus in it.
        const field = shown.getByRole('combobox', { name: 'Colleague' });
        await field.pressSequentially('Ann');
        await waitFocus('input[name=target-agent]');
        await field.press('Escape');
      }
      await shown.waitFor({ state: 'detached' });
      assert.equal(await button.getAttribute('aria-expanded'), 'false');
      // The focus goes back to the panel's button.
      await waitFocus(button);
    }
    // The shortcut list closes alone: the panel under it stays open.
    const keypad = page.getByRole('group', { name: 'Keypad (tones to the caller)' });
    await page.locator('body').press('k');
    await keypad.waitFor();
    await page.locator('body').press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    assert.equal(await keypad.count(), 1, 'one Escape closed the shortcut list and the keypad');
    await page.keyboard.press('Escape');
    await keypad.waitFor({ state: 'detached' });
  });

  await step('record on and off', async () => {
    await page.getByRole('button', { name: 'Record' }).click();
    await page.getByTestId('rec-indicator').waitFor();
    await page.getByRole('button', { name: 'Stop rec' }).click();
    await page.getByTestId('rec-indicator').waitFor({ state: 'detached' });
  });

  await step('edit the lead: the script follows, and it is saved', async () => {
    const lead = page.getByTestId('lead-panel');
    await lead.getByLabel('plan', { exact: true }).fill('Platinum');
    await page.getByTestId('script').filter({ hasText: 'your Platinum plan' }).waitFor();
    await lead.getByRole('button', { name: 'Save lead' }).click();
    await lead.getByText('All changes saved').waitFor();
    const saved = await admin('GET', '/leads/' + env('AS_LEAD_ID'));
    assert.equal(saved.custom.plan, 'Platinum');
    // The notice goes by itself.
    await notice('Lead saved').waitFor();
    await notice('Lead saved').waitFor({ state: 'detached', timeout: 6000 });
    await shot('03-in-call');
  });

  await step('reload mid-call: the call comes back from the snapshot', async () => {
    const before = await seconds(callTimer());
    await page.reload();
    await waitConnected(first);
    await page.getByTestId('lead-name').filter({ hasText: 'Jane Cooper' }).waitFor();
    assert.ok((await seconds(callTimer())) >= before, 'the call timer restarted after a reload');
  });

  await step('the network drops: reconnecting banner, then the call panel carries on', async () => {
    const before = streams;
    blocked = true;
    await stream.close({ code: 4000, reason: 'network down (test)' });
    await page.getByTestId('reconnecting').waitFor();
    await callPanel(first).waitFor();
    await shot('04-reconnecting');
    blocked = false;
    await page.getByTestId('reconnecting').waitFor({ state: 'detached', timeout: 20000 });
    assert.ok(streams > before, 'no new stream after the drop');
    await waitConnected(first);
    // Controls work on the new stream.
    await page.locator('body').press('h');
    await page.getByTestId('hold-flag').waitFor();
    await page.locator('body').press('h');
    await page.getByTestId('hold-flag').waitFor({ state: 'detached' });
  });

  let callbackNoticeAt = 0;
  await step('hang up (Alt+X): wrap-up with a callback tomorrow 10:30, lead time', async () => {
    // A notice of the call screen does not follow to the wrap-up.
    const lead = page.getByTestId('lead-panel');
    await lead.getByLabel('renewal', { exact: true }).fill('2 December');
    await lead.getByRole('button', { name: 'Save lead' }).click();
    await notice('Lead saved').waitFor();
    const posted = Date.now();
    await page.keyboard.press('Alt+X');
    await waitState('DISPO');
    await page.getByTestId('dispo-panel').waitFor();
    assert.ok(Date.now() - posted < 3000, 'too slow to tell the wrap-up from the notice timing out');
    assert.equal(await notice('Lead saved').count(), 0, "the call screen's notice is on the wrap-up");
    const panel = await dispose('Call back', { notes: 'Wants the Platinum offer', callbackTime: '10:30' });
    await panel.getByTestId('cb-zone-note').filter({ hasText: "lead's time zone" }).waitFor();
    assert.equal(await panel.getByLabel('Time zone').inputValue(), 'America/New_York');
    result.callbackDate = await panel.getByLabel('Date').inputValue();
    await shot('05-disposition');
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
    // The wrap-up's confirmation follows it to the next screen, not further.
    await notice('Callback set for').waitFor();
    callbackNoticeAt = Date.now();
  });

  let second;
  await step('Callbacks page lists it; click to dial places the call', async () => {
    await page.getByRole('link', { name: 'Callbacks' }).click();
    await page.waitForURL(/\/callbacks$/);
    await page.getByRole('heading', { name: 'Callbacks' }).waitFor();
    assert.ok(Date.now() - callbackNoticeAt < 3000, 'too slow to tell the page change from the notice timing out');
    assert.equal(await notice('Callback set for').count(), 0, "the wrap-up's notice is on the Callbacks page");
    const row = page.getByTestId('callback-row').filter({ hasText: 'Jane Cooper' });
    await row.waitFor();
    await row.filter({ hasText: '10:30' }).waitFor();
    await row.filter({ hasText: 'Wants the Platinum offer' }).waitFor();
    const id = Number(await row.getAttribute('data-callback-id'));
    result.callback = (await admin('GET', '/callbacks?scope=all')).callbacks.find((c) => c.id === id);
    await shot('06-callbacks');
    await row.getByRole('button', { name: /^Dial / }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByTestId('call-panel').waitFor();
    second = await page.getByTestId('call-panel').getAttribute('data-call-id');
    result.calls.callback = second;
    await waitConnected(second);
    await page.getByTestId('lead-name').filter({ hasText: 'Jane Cooper' }).waitFor();
  });

  await step('warm transfer: add a third party, talk, Leave', async () => {
    await page.locator('body').press('c');
    await page.locator('.segmented label').filter({ hasText: 'Phone number' }).click();
    await page.getByLabel('Number', { exact: true }).fill(env('AS_WARM_NUMBER'));
    await page.getByRole('button', { name: 'Add to call' }).click();
    await page.getByTestId('party').filter({ hasText: 'On the call' }).waitFor();
    await page.getByRole('button', { name: /Leave/ }).click();
    await waitState('DISPO');
    await page.getByText('The call goes on without you.').waitFor();
    const panel = await dispose('Sale', { notes: 'Handed to billing' });
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
    // The lead and the colleague finish their talk.
    await admin('POST', `/calls/${second}/hangup`);
  });

  await step('History tab lists the calls; clicking one dials it', async () => {
    await page.getByRole('tab', { name: 'History' }).click();
    const list = page.getByTestId('history-list');
    for (const id of [first, second]) await list.locator(`[data-call-id="${id}"]`).waitFor();
    const row = list.locator(`[data-call-id="${first}"]`);
    assert.equal(await row.getAttribute('data-number'), LEAD_NUMBER);
    await row.filter({ hasText: 'Answered' }).waitFor();
    await shot('07-history');
    await row.click();
    await page.getByTestId('call-panel').waitFor();
    const fourth = await page.getByTestId('call-panel').getAttribute('data-call-id');
    result.calls.history = fourth;
    await waitConnected(fourth);
    await page.getByRole('button', { name: /Hang up/ }).click();
    const panel = await dispose('Sale');
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
    await page.getByTestId('stat-calls').filter({ hasText: /^[3-9]$/ }).waitFor();
  });

  await step('manual dial: type a number, Enter', async () => {
    await page.getByRole('tab', { name: 'Dialpad' }).click();
    const box = page.getByLabel('Phone number');
    // A wrong number: the error waits to be read, and × closes it.
    expectError(/status of 400/);
    await box.fill('12');
    await box.press('Enter');
    const error = page.locator('.notice-error').filter({ hasText: /number/i });
    await error.waitFor();
    await error.getByRole('button', { name: 'Dismiss' }).click();
    await error.waitFor({ state: 'detached' });
    expectError(null);
    await box.fill('(212) 555-01');
    await page.getByRole('button', { name: '5', exact: true }).click();
    await page.getByRole('button', { name: '5', exact: true }).click();
    await box.press('Enter');
    await page.getByTestId('call-panel').waitFor();
    const id = await page.getByTestId('call-panel').getAttribute('data-call-id');
    result.calls.manual = id;
    await waitConnected(id);
    await page.getByTestId('call-name').filter({ hasText: '+1 (212) 555-0155' }).waitFor();
    await page.getByRole('button', { name: /Hang up/ }).click();
    const panel = await dispose('Wrong number');
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
    await shot('02-ready');
  });

  await step('an inbound call: the caller\'s number and lead; the caller hangs up', async () => {
    const { leg } = await ask({ do: 'inbound', from: LEAD_NUMBER });
    await page.getByTestId('call-panel').waitFor();
    const id = await page.getByTestId('call-panel').getAttribute('data-call-id');
    result.calls.inbound = id;
    await waitConnected(id);
    await page.getByTestId('call-direction').filter({ hasText: 'Inbound' }).waitFor();
    await page.getByTestId('lead-name').filter({ hasText: 'Jane Cooper' }).waitFor();
    await shot('08-inbound');
    await ask({ do: 'hangup', leg });
    await waitState('DISPO');
    const panel = await dispose('Not interested', { notes: 'Asked about the invoice' });
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
  });

  await step('end the phone session; start again on a persistent line', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'End phone session' }).click();
    await waitState('LOGGED_OUT');
    await page.getByLabel(/Persistent line/).check();
    await page.getByRole('button', { name: 'Log in to phone' }).click();
    await waitState('PAUSED');
    await page.keyboard.press('Alt+R');
    await waitState('READY');
    await page.getByText('line connected').waitFor();
  });

  await step('blind transfer to an outside number: the call goes on without the agent', async () => {
    const last = (await admin('POST', '/calls', {
      number: env('AS_SECOND_NUMBER'), agent_id: AGENT_ID, campaign_id: Number(env('AS_CAMPAIGN_ID')),
    })).id;
    result.calls.blind = last;
    await waitConnected(last);
    await page.getByRole('button', { name: 'Transfer' }).click();
    await page.locator('.segmented label').filter({ hasText: 'Phone number' }).click();
    await page.getByLabel('Number', { exact: true }).fill(env('AS_BLIND_NUMBER'));
    await page.getByRole('button', { name: 'Transfer now' }).click();
    await waitState('DISPO');
    await page.getByTestId('dispo-panel').getByText('The call goes on without you.').waitFor();
    // The wrap-up is the agent's even while the lead talks on.
    const panel = await dispose('Call back', { notes: 'Transferred to the branch', callbackTime: '16:00' });
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
  });
});
