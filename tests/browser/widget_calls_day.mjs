// The widget's Calls and Dashboard screens, in Chromium against
// `agentswitch serve` on the simulated switch. First on the real
// backend: requests made with the lead-call API (one connected, one
// refused for its country, two scheduled outside the managers' hours,
// one cancelled from its dialog and one refused a cancel with a 409) and
// the dashboard's figures for them. Then on FIXTURES (served with
// page.route in place of /api/v1/widget-requests and
// /api/v1/widget-dashboard), so that every status and a long list are on
// screen at once: filters kept in the URL, paging, the detail opened and
// closed with the keyboard, the list following a call that ends while a
// dialog is open, and the dashboard's chart, table, CSV and ranges. widget_calls_test.go (TestWidgetCallsDay) makes the
// widgets and checks the requests afterwards.
//
// Env: AS_URL, AS_USER, AS_PASSWORD (the admin), AS_ADMIN_KEY,
// AS_WIDGET_ID, AS_WIDGET_NAME, AS_WIDGET_KEY, AS_WIDGET_API_KEY (the
// shop: German numbers only), AS_NIGHT_KEY, AS_NIGHT_API_KEY (a widget
// whose manager is not open today), AS_LEAD, AS_OPERATOR (numbers that
// answer; the lead hangs up after a moment), AS_SUPERVISOR,
// AS_SUPERVISOR_PASSWORD, AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { URL, env, step, openPage, helpers, run, admin } from './harness.mjs';

const result = {};
const session = await openPage();
const { page } = session;
const { shot } = helpers(page);

const WIDGET = Number(env('AS_WIDGET_ID'));
const WIDGET_NAME = env('AS_WIDGET_NAME');
const sections = () => page.getByRole('navigation', { name: 'Admin sections' });
const dialog = () => page.getByRole('dialog');
const rows = () => page.getByTestId('wr-row');
const row = (id) => page.locator(`[data-testid=wr-row][data-key="${id}"]`);
// widgetPicked waits for the widget filter to show id, once the widgets are read.
const widgetPicked = (id) => page.waitForFunction((want) => document.querySelector('select[name=widget_id]')?.value === want, String(id));

// ---- fixtures: the lead requests the backend would answer

const NOW = Date.now();
const ago = (min) => new Date(NOW - min * 60000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const base = { widget_id: WIDGET, widget_name: WIDGET_NAME, source: 'widget', country: 'DE', params: {}, reason: '', field: '', message: '',
  attempts: 0, max_attempts: 3, next_attempt_at: null, manager: '', call_id: '', connected_at: null, talk_seconds: 0, recording: '' };
const req = (id, min, more) => ({ ...base, id, created_at: ago(min), numbers: ['+4930' + String(1000000 + id)], ...more });

// IDs: 100 calling, 99 scheduled, 98 refused (×3), 97 missed, 96 connected
// with a recording; 95..46 older, connected and missed by turns.
const CALLING = 100, SCHEDULED = 99, REFUSED = 98, MISSED = 97, CONNECTED = 96;
const fixtures = [
  req(CALLING, 1, { status: 'calling', attempts: 1, call_id: 'c-100', params: { name: 'Ada Park', page: '/pricing' } }),
  req(SCHEDULED, 3, { status: 'scheduled', source: 'api', next_attempt_at: ago(-95), attempts: 0, params: { order: 'A-1182' } }),
  req(REFUSED, 7, { status: 'refused', reason: 'country', field: 'lc_number', message: 'Calls to +1 are not allowed for this widget', count: 3, numbers: ['+15550104477'], country: 'US', max_attempts: 0 }),
  req(MISSED, 12, { status: 'missed', reason: 'lead_no_answer', attempts: 3, call_id: 'c-97c' }),
  req(CONNECTED, 25, { status: 'connected', attempts: 2, manager: 'Mia Sommer', call_id: 'c-96b', connected_at: ago(24.6), talk_seconds: 214,
    recording: '/api/v1/calls/c-96b/recording', params: { name: 'Jonas Weber', utm_source: 'newsletter', product: 'Solar 5 kW' }, numbers: ['+4930555123', '+4917612345678'] }),
  ...Array.from({ length: 50 }, (_, i) => req(95 - i, 40 + i * 30, i % 3 === 2
    ? { status: 'missed', reason: 'no_manager', attempts: 3 }
    : { status: 'connected', attempts: 1, manager: i % 2 ? 'Mia Sommer' : 'Tom Berg', talk_seconds: 30 + i * 7, connected_at: ago(40 + i * 30 - 0.3) })),
];
const detail = (r) => ({
  ...r,
  attempts_log: Array.from({ length: r.attempts }, (_, i) => ({
    n: i + 1, call_id: `${r.call_id || 'c-' + r.id}-${i + 1}`, started_at: r.created_at, ended_at: i + 1 === r.attempts && r.status === 'calling' ? null : r.created_at,
    result: i + 1 === r.attempts ? ({ connected: 'connected', missed: r.reason, calling: '' }[r.status] ?? 'lead_no_answer') : 'lead_no_answer',
    manager: r.status === 'connected' && i + 1 === r.attempts ? r.manager : '', talk_seconds: r.status === 'connected' && i + 1 === r.attempts ? r.talk_seconds : 0,
  })),
});

const seen = []; // the list's queries, as the page asked
const json = (route, status, body) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });

async function serveFixtures() {
  await page.route(/\/api\/v1\/widget-requests(\?.*)?$/, (route) => {
    const q = new globalThis.URL(route.request().url()).searchParams;
    seen.push(q.toString());
    const needle = (q.get('q') || '').toLowerCase();
    let list = fixtures.filter((r) => (!q.get('status') || r.status === q.get('status')) && (!q.get('widget_id') || String(r.widget_id) === q.get('widget_id')) &&
      (!needle || JSON.stringify([r.numbers, r.params]).toLowerCase().includes(needle)));
    if (q.get('before')) list = list.filter((r) => r.id < Number(q.get('before')));
    const limit = Number(q.get('limit') || 50);
    const pageRows = list.slice(0, limit);
    return json(route, 200, { requests: pageRows, next_before: list.length > limit ? pageRows[pageRows.length - 1].id : null });
  });
  await page.route(/\/api\/v1\/widget-requests\/\d+$/, (route) => {
    const id = Number(route.request().url().split('/').pop());
    const r = fixtures.find((x) => x.id === id);
    return r ? json(route, 200, detail(r)) : json(route, 404, { error: { message: 'no such request' } });
  });
  await page.route(/\/api\/v1\/widget-dashboard\?/, (route) => {
    const q = new globalThis.URL(route.request().url()).searchParams;
    result.dashboardQuery = q.toString();
    const days = [];
    const end = Date.parse(q.get('to'));
    // Noon steps day by day across a change of clocks.
    for (let t = Date.parse(q.get('from')) + 12 * 3600e3, i = 0; t < end; t += 24 * 3600e3, i++) {
      const d = new Date(t);
      const requests = 6 + ((i * 5) % 9), connected = Math.max(0, requests - 2 - (i % 3)), refused = i % 2, missed = requests - connected - refused;
      days.push({ day: d.toLocaleDateString('en-CA', { timeZone: q.get('tz') }), requests, connected, missed, refused, scheduled: 0,
        avg_connect_seconds: connected ? 9 + (i % 5) * 1.5 : null, avg_talk_seconds: connected ? 150 + i * 11 : null });
    }
    const sum = (k) => days.reduce((n, d) => n + d[k], 0);
    const totals = { requests: sum('requests'), connected: sum('connected'), missed: sum('missed'), refused: sum('refused'), scheduled: 0,
      avg_connect_seconds: 11.2, avg_talk_seconds: 187.5 };
    return json(route, 200, { totals, days });
  });
  // The recording behind the fixtures' link: not played, only linked.
  await page.route(/\/api\/v1\/calls\/[^/]+\/recording/, (route) => route.fulfill({ status: 200, contentType: 'audio/wav', body: Buffer.alloc(0) }));
}

// leadCall asks for a call-back as a site's server does: no session,
// the widget's keys in the body. It answers the status and the body.
async function leadCall(key, apiKey, fields) {
  const res = await fetch(URL + '/api/v1/lead-calls', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ widget_key: env(key), api_key: env(apiKey), ...fields }),
  });
  return { status: res.status, body: await res.json() };
}

await run(session, 'widget-calls-failure', result, async () => {
  await step('the admin signs in and opens Widgets → Calls: no request yet says how to get some', async () => {
    await page.goto(URL + '/');
    await page.getByLabel('Username').fill(env('AS_USER'));
    await page.getByLabel('Password').fill(env('AS_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Admin' }).click();
    await sections().getByRole('link', { name: 'Calls', exact: true }).click();
    await page.getByRole('heading', { name: 'Calls', exact: true }).waitFor();
    assert.equal(new globalThis.URL(page.url()).pathname, '/admin/widget-calls');
    const e = page.getByTestId('wr-empty');
    await e.waitFor();
    assert.match(await e.textContent(), /No callback requests yet.*snippet.*POST \/api\/v1\/lead-calls/s);
    await shot('63-widget-calls-empty');
  });

  await step('a lead call through the API connects: its row arrives and ends connected, with the manager and the talk', async () => {
    const { status, body } = await leadCall('AS_WIDGET_KEY', 'AS_WIDGET_API_KEY', {
      lc_number: env('AS_LEAD'), lc_param_name: 'Jonas Weber', lc_param_product: 'Solar 5 kW', lc_param_agent01name: 'Mia Sommer', lc_param_agent01phone: env('AS_OPERATOR'),
    });
    assert.equal(status, 201, JSON.stringify(body));
    result.connected = body.request_id;
    // The list follows by itself: the call's end, or the 10 s refresh.
    const r = row(body.request_id);
    await r.and(page.locator('[data-status=connected]')).waitFor({ timeout: 30000 });
    assert.match(await r.textContent(), /Mia Sommer/);
    assert.match(await r.locator('td').nth(4).textContent(), /^1\/\d+$/);
    const rec = r.getByRole('link', { name: 'Listen' });
    assert.match(await rec.getAttribute('href'), /^\/api\/v1\/calls\/[^/]+\/recording$/);
    // The detail: the parameters, the one attempt with its manager and call, the player.
    await r.press('Enter');
    await dialog().getByTestId('wr-log').waitFor();
    assert.match(await dialog().getByTestId('wr-params').textContent(), /product\s*Solar 5 kW/);
    assert.match(await dialog().getByTestId('wr-log').locator('tbody tr').textContent(), /connected.*Mia Sommer/);
    assert.equal(await dialog().locator('audio').getAttribute('src'), await rec.getAttribute('href'));
    await shot('61-widget-call-detail-real');
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
  });

  await step('a number of a country the widget does not call is refused, and listed with the reason, field and message', async () => {
    const { status, body } = await leadCall('AS_WIDGET_KEY', 'AS_WIDGET_API_KEY', { lc_number: '+15550104477', lc_param_name: 'Sam Doe' });
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.error.field, 'lc_number');
    const r = rows().and(page.locator('[data-status=refused]'));
    await r.waitFor({ timeout: 15000 });
    result.refused = Number(await r.getAttribute('data-key'));
    assert.match(await r.textContent(), /country not allowed/);
    await r.click();
    await dialog().getByTestId('wr-refusal').waitFor();
    assert.match(await dialog().getByTestId('wr-refusal').textContent(), /lc_number.*does not call numbers of this country/s);
    assert.match(await dialog().getByTestId('wr-params').textContent(), /name\s*Sam Doe/);
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
  });

  await step('outside the managers\' hours two requests are scheduled; one is cancelled from its dialog, the other was cancelled meanwhile: 409', async () => {
    session.expectError(/status of 409/);
    const one = await leadCall('AS_NIGHT_KEY', 'AS_NIGHT_API_KEY', { lc_number: '+4930555000111', lc_param_order: 'A-1182' });
    const two = await leadCall('AS_NIGHT_KEY', 'AS_NIGHT_API_KEY', { lc_number: '+4930555000222' });
    assert.equal(one.status, 202, JSON.stringify(one.body));
    assert.equal(two.status, 202, JSON.stringify(two.body));
    [result.cancelled, result.cancelledElsewhere] = [one.body.request_id, two.body.request_id];
    await page.getByLabel('Status').selectOption('scheduled');
    await page.waitForURL(/\?status=scheduled$/);
    await row(result.cancelled).waitFor();
    await row(result.cancelledElsewhere).waitFor();
    assert.match(await row(result.cancelled).locator('.wr-why').textContent(), /^at /);
    await shot('68-widget-calls-scheduled');

    await row(result.cancelledElsewhere).click();
    await dialog().getByTestId('wr-next').waitFor();
    await admin('POST', `/widget-requests/${result.cancelledElsewhere}/cancel`);
    await dialog().getByRole('button', { name: 'Cancel the call-back' }).click();
    await dialog().getByTestId('wr-cancel-error').waitFor();
    assert.match(await dialog().getByTestId('wr-cancel-error').textContent(), /only a scheduled request can be cancelled/i);
    // The dialog reads the request again: cancelled, no button any more.
    await dialog().locator('.wr-head [data-status=cancelled]').waitFor();
    assert.equal(await dialog().getByRole('button', { name: 'Cancel the call-back' }).count(), 0);
    await shot('62-widget-call-cancel-refused');
    await page.keyboard.press('Escape');

    await row(result.cancelled).click();
    assert.match(await dialog().getByTestId('wr-params').textContent(), /order\s*A-1182/);
    await dialog().getByRole('button', { name: 'Cancel the call-back' }).click();
    await dialog().locator('.wr-head [data-status=cancelled]').waitFor();
    await page.keyboard.press('Escape');
    // The list asked for scheduled ones only: both are gone from it.
    await row(result.cancelled).waitFor({ state: 'detached' });
    await row(result.cancelledElsewhere).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await row(result.cancelled).and(page.locator('[data-status=cancelled]')).waitFor();
    await shot('69-widget-calls-real');
  });

  await step("the dashboard counts today's requests", async () => {
    await sections().getByRole('link', { name: 'Dashboard', exact: true }).click();
    // The last 7 days first (seven rows), then today alone.
    await page.getByTestId('wd-table').locator('tbody tr').nth(6).waitFor();
    await page.getByRole('button', { name: 'Today' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=wd-table] tbody tr').length === 1);
    const card = (k) => page.locator(`.wd-card[data-card=${k}] .wd-value`);
    await page.waitForFunction(() => document.querySelector('.wd-card[data-card=requests] .wd-value')?.textContent === '4');
    assert.equal(await card('connected').textContent(), '1');
    assert.equal(await card('refused').textContent(), '1');
    assert.equal(await card('rate').textContent(), '100%');
    await shot('70-widget-dashboard-real');
  });

  // ---- on fixtures from here on

  await step('fixtures: every status on one page of 50, newest first', async () => {
    await serveFixtures();
    await page.goto(URL + '/admin/widget-calls');
    await rows().first().waitFor();
    assert.equal(await rows().count(), 50, 'a page of 50');
    assert.deepEqual(await rows().evaluateAll((rs) => rs.slice(0, 5).map((r) => Number(r.dataset.key))), [CALLING, SCHEDULED, REFUSED, MISSED, CONNECTED], 'newest first');
  });

  await step('each status shows as it should: calling pulses, scheduled has its time, refused its reason ×count', async () => {
    assert.equal(await row(CONNECTED).locator('.pill').textContent(), 'Connected');
    assert.equal(await row(CONNECTED).locator('.pill-green').count(), 1);
    assert.equal(await row(MISSED).locator('.pill-red').count(), 1);
    assert.match(await row(MISSED).textContent(), /the visitor did not answer/);
    assert.match(await row(REFUSED).locator('.wr-status').textContent(), /Refused\s*country not allowed\s*×3/);
    // The pulse itself is off under reduced motion, as the harness runs.
    assert.equal(await row(CALLING).locator('.wr-calling .pill-amber').count(), 1);
    assert.ok(await row(SCHEDULED).locator('.wr-why').textContent(), 'the scheduled time');
    assert.match(await row(CONNECTED).textContent(), /2\/3.*Mia Sommer.*3:34/s);
    assert.equal(await row(CONNECTED).getByRole('link', { name: 'Listen' }).getAttribute('href'), '/api/v1/calls/c-96b/recording');
    const t = row(CONNECTED).locator('time');
    assert.match(await t.textContent(), /25 min ago/);
    assert.ok((await t.getAttribute('title')).length > 8, 'the exact time on hover');
    await shot('60-widget-calls');
  });

  await step('paging: Next reads the page before the last row, Previous comes back', async () => {
    await page.getByRole('button', { name: 'Next' }).click();
    await rows().first().and(page.locator('[data-key="50"]')).waitFor();
    assert.match(seen[seen.length - 1], /before=51/);
    assert.equal(await rows().count(), 5);
    await page.getByRole('button', { name: 'Previous' }).click();
    await row(CALLING).waitFor();
  });

  await step('filters go to the API and stay in the URL; a link with a filter opens filtered', async () => {
    await page.getByLabel('Status').selectOption('missed');
    await page.waitForURL(/\/admin\/widget-calls\?status=missed$/);
    await rows().first().and(page.locator('[data-status=missed]')).waitFor();
    assert.equal(await rows().locator('xpath=self::*[@data-status!="missed"]').count(), 0, 'only missed ones');
    await page.getByLabel('Search numbers and parameters').fill('newsletter');
    await page.getByLabel('Status').selectOption('');
    await page.waitForURL(/\?q=newsletter$/);
    // The parameter value matched one request only.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=wr-row]').length === 1);
    await row(CONNECTED).waitFor();
    const [sent] = await Promise.all([
      page.waitForRequest(/widget-requests\?.*from=/),
      page.getByLabel('From').fill(new Date(NOW).toISOString().slice(0, 10)),
    ]);
    await page.waitForURL(/from=\d{4}-\d\d-\d\d/);
    // The day starts at midnight in Paris, the browser's zone.
    assert.match(sent.url(), /from=\d{4}-\d\d-\d\dT23%3A00%3A00Z/, 'the day sent as an instant');
    await page.goto(URL + '/admin/widget-calls?status=refused&widget_id=' + WIDGET);
    await row(REFUSED).waitFor();
    assert.equal(await page.getByLabel('Status').inputValue(), 'refused');
    await widgetPicked(WIDGET);
    assert.equal(await rows().count(), 1);
    // The link in a widget's e-mails opens that request.
    await page.goto(URL + '/admin/widget-calls?status=refused&widget_id=' + WIDGET + '&id=' + REFUSED);
    await dialog().getByTestId('wr-refusal').waitFor();
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
  });

  await step('keyboard: arrows move through the rows, Enter opens the detail, Escape gives the focus back', async () => {
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL(/\/admin\/widget-calls$/);
    await row(MISSED).waitFor();
    await row(CALLING).focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.key), String(REFUSED));
    await page.keyboard.press('Enter');
    await dialog().getByTestId('wr-refusal').waitFor();
    assert.match(await dialog().getByTestId('wr-refusal').textContent(), /country not allowed \(×3\).*lc_number.*Calls to \+1 are not allowed/s);
    assert.match(await dialog().textContent(), /Never dialed/);
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement.dataset.key), String(REFUSED), 'the focus is back on the row');
  });

  await step("a connected request's detail: parameters, the attempts log, the recording player", async () => {
    await row(CONNECTED).click();
    const params = dialog().getByTestId('wr-params');
    await params.waitFor();
    assert.match(await params.textContent(), /utm_source\s*newsletter/);
    const log = dialog().getByTestId('wr-log');
    assert.equal(await log.locator('tbody tr').count(), 2);
    assert.match(await log.locator('tbody tr').nth(1).textContent(), /connected.*Mia Sommer.*3:34/s);
    assert.equal(await dialog().locator('audio').getAttribute('src'), '/api/v1/calls/c-96b/recording');
    await shot('61-widget-call-detail');
    await dialog().getByTestId('wr-detail').getByRole('button', { name: 'Close', exact: true }).click();
    await dialog().waitFor({ state: 'detached' });
  });

  await step('live: a call ends while a dialog is open and the list is scrolled; both stay as they were', async () => {
    await page.setViewportSize({ width: 1440, height: 600 });
    await row(CALLING).click();
    await dialog().getByTestId('wr-log').waitFor();
    result.scroller = await page.evaluate(() => {
      // The list scrolls in the page or in the console's body, whichever scrolls.
      const el = [document.scrollingElement, ...document.querySelectorAll('main, .admin-body')].find((e) => e && e.scrollHeight > e.clientHeight + 500);
      el.scrollTop = 400;
      return el === document.scrollingElement ? 'page' : el.className;
    });
    Object.assign(fixtures[0], { status: 'connected', manager: 'Tom Berg', connected_at: ago(0.5), talk_seconds: 42 });
    // The 10 s refresh, or the stream's call.ended.
    await row(CALLING).and(page.locator('[data-status=connected]')).waitFor({ timeout: 15000 });
    await dialog().locator('.wr-head [data-status=connected]').waitFor({ timeout: 5000 });
    const top = await page.evaluate(() => {
      const el = [document.scrollingElement, ...document.querySelectorAll('main, .admin-body')].find((e) => e && e.scrollTop > 0);
      return el ? el.scrollTop : 0;
    });
    assert.equal(top, 400, 'the scroll is kept');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step('dashboard: cards, a chart and a table per day in the browser zone, and the CSV', async () => {
    await sections().getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
    await page.getByTestId('wd-table').locator('tbody tr').first().waitFor();
    assert.match(result.dashboardQuery, /tz=Europe%2FParis/);
    assert.equal(await page.getByTestId('wd-table').locator('tbody tr').count(), 7, 'the last 7 days by default');
    const card = (k) => page.locator(`.wd-card[data-card=${k}] .wd-value`).textContent();
    assert.ok(Number(await card('requests')) > 0);
    assert.match(await card('rate'), /^\d+(\.\d)?%$/);
    assert.equal(await card('connect'), '0:11');
    assert.equal(await card('talk'), '3:08');
    assert.ok(Number(await page.getByTestId('wd-chart').getAttribute('data-points')) >= 21, 'three series drawn');
    await shot('64-widget-dashboard');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('wd-csv').click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8').trim().split(/\r\n/);
    assert.equal(csv.length, 8);
    assert.match(csv[0], /^Day,Requests,Connected,Missed,Refused,Scheduled,Connect rate/);
    assert.match(csv[1], /^\d{4}-\d\d-\d\d,\d+,\d+,\d+,\d+,0,0\.\d{4}/);
  });

  await step('dashboard: 30 days, then a custom range of one day and one widget', async () => {
    await page.getByRole('button', { name: 'Last 30 days' }).click();
    await page.getByTestId('wd-table').locator('tbody tr').nth(29).waitFor();
    await page.getByRole('button', { name: 'Custom' }).click();
    await page.getByLabel('From').fill('2026-11-02');
    await page.getByLabel('To').fill('2026-11-02');
    await Promise.all([page.waitForResponse(/widget-dashboard\?.*widget_id=/), page.getByLabel('Widget').selectOption(String(WIDGET))]);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=wd-table] tbody tr').length === 1);
    // 2 November in Paris: from its midnight (23:00 UTC the day before) to the next.
    assert.match(result.dashboardQuery, /from=2026-11-01T23%3A00%3A00Z&to=2026-11-02T23%3A00%3A00Z&tz=Europe%2FParis&widget_id=\d+/);
    await shot('65-widget-dashboard-custom');
    // The selection is in the address: a reload (or a sent link) shows the same.
    await page.waitForURL(/\/admin\/widget-dashboard\?widget_id=\d+&range=custom&from=2026-11-02&to=2026-11-02$/);
    await page.reload();
    await page.getByTestId('wd-table').locator('tbody tr').first().waitFor();
    assert.equal(await page.getByLabel('From').inputValue(), '2026-11-02');
    await widgetPicked(WIDGET);
    assert.equal(await page.getByTestId('wd-table').locator('tbody tr').count(), 1);
  });

  await step('at 1024 px both screens fit the window', async () => {
    await page.setViewportSize({ width: 1024, height: 800 });
    for (const [path, ready, name] of [['/admin/widget-calls', 'wr-table', '66-widget-calls-1024'], ['/admin/widget-dashboard', 'wd-table', '67-widget-dashboard-1024']]) {
      await page.goto(URL + path);
      await page.getByTestId(ready).waitFor();
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 1024, `${path} overflows at 1024 px: ${wide}`);
      const card = await page.getByTestId(ready).evaluate((t) => [t.parentElement.scrollWidth, t.parentElement.clientWidth]);
      assert.ok(card[0] <= card[1], `the table of ${path} is cut at 1024 px: ${card}`);
      await shot(name);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step("the screens' mappings: the URL to a dashboard selection, filters to the API's query, days to CSV", async () => {
    const got = await page.evaluate(async () => {
      const calls = await import('/assets/js/admin/widgetcalls.js');
      const dash = await import('/assets/js/admin/widgetdash.js');
      const now = Date.parse('2026-12-07T10:00:00Z');
      const sel = (q) => dash.selectionOf(q, 'Europe/Paris', now);
      return {
        selections: ['', '?range=today', '?range=30d&widget_id=3', '?range=custom&from=2026-11-02&to=2026-11-03',
          '?range=custom&from=2026-11-05&to=2026-11-03', '?range=custom&from=bad&to=2026-11-03', '?range=bogus'].map(sel),
        queries: [
          calls.requestsQuery({ status: 'missed' }),
          calls.requestsQuery({ q: ' +4930 ', widget_id: '2' }, 42),
          // The day the clocks go forward in Paris is 23 hours long.
          calls.requestsQuery({ from: '2026-03-29', to: '2026-03-29' }),
        ],
        csv: dash.csvOf([
          { day: '2026-12-07', requests: 4, connected: 1, missed: 1, refused: 1, scheduled: 1, avg_connect_seconds: 7.26, avg_talk_seconds: null },
          { day: '2026-12-08', requests: 1, connected: 0, missed: 0, refused: 1, scheduled: 0, avg_connect_seconds: null, avg_talk_seconds: null },
        ]),
      };
    });
    const week = { preset: '7d', from: '2026-12-01', to: '2026-12-07' };
    assert.deepEqual(got.selections, [
      { widget_id: '', ...week },
      { widget_id: '', preset: 'today', from: '2026-12-07', to: '2026-12-07' },
      { widget_id: '3', preset: '30d', from: '2026-11-08', to: '2026-12-07' },
      { widget_id: '', preset: 'custom', from: '2026-11-02', to: '2026-11-03' },
      { widget_id: '', ...week }, // from after to
      { widget_id: '', ...week }, // not a day
      { widget_id: '', ...week }, // no such range
    ]);
    assert.deepEqual(got.queries, [
      'status=missed&limit=50',
      'widget_id=2&q=%2B4930&limit=50&before=42',
      'from=2026-03-28T23%3A00%3A00Z&to=2026-03-29T22%3A00%3A00Z&limit=50',
    ]);
    assert.equal(got.csv, 'Day,Requests,Connected,Missed,Refused,Scheduled,Connect rate,Avg. time to connect (s),Avg. talk (s)\r\n' +
      '2026-12-07,4,1,1,1,1,0.5000,7.3,\r\n2026-12-08,1,0,0,1,0,,,\r\n');
  });

  await step('a supervisor reads the widgets\' Calls and Dashboard from the Widgets link, and is offered no cancel', async () => {
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.goto(URL + '/admin/widget-calls');
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByLabel('Username').fill(env('AS_SUPERVISOR'));
    await page.getByLabel('Password').fill(env('AS_SUPERVISOR_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const screens = page.getByRole('navigation', { name: 'Screens' });
    await screens.getByRole('link', { name: 'Widgets' }).click();
    await page.getByRole('heading', { name: 'Calls', exact: true }).waitFor();
    assert.equal(await screens.getByRole('link', { name: 'Admin' }).count(), 0);
    // Only the widgets' two sections are in the menu.
    assert.deepEqual(await sections().getByRole('link').allTextContents(), ['Calls', 'Dashboard']);
    await row(result.connected).waitFor();
    await page.getByLabel('Status').selectOption('cancelled');
    await row(result.cancelled).click();
    await dialog().locator('.wr-head [data-status=cancelled]').waitFor();
    assert.equal(await dialog().getByRole('button', { name: 'Cancel the call-back' }).count(), 0);
    await page.keyboard.press('Escape');
    await shot('71-widget-calls-supervisor');
    await sections().getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByTestId('wd-table').waitFor();
    // Another admin section is out of reach.
    await page.goto(URL + '/admin/users');
    await screens.waitFor();
    assert.equal(await page.getByTestId('admin').count(), 0, 'a supervisor reached the users section');
  });
});
