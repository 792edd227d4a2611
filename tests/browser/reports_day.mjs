// Reports and call search in Chromium against `agentswitch serve` on the
// simulated switch: an agent takes a recorded outbound call (Sale) and a
// caller from the sales queue (Not interested); a supervisor, in a
// browser of its own, reads the agent report and the queue report with
// their charts, downloads the queue report as CSV, finds the outbound
// call by its number, opens its page (the timeline in order) and plays
// its recording. reports_test.go (TestReportsDay) provisions the day and
// checks the report through the API.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_SUP_USER, AS_SUP_PASSWORD,
// AS_ADMIN_KEY, AS_AGENT_ID, AS_CAMPAIGN_ID, AS_LEAD_NUMBER, AS_CALLER,
// AS_ARTIFACTS, AS_RESULT.

import assert from 'node:assert/strict';
import { env, URL, ask, step, openPage, helpers, run } from './harness.mjs';

const result = {};
const session = await openPage();
const { page } = session;
const { waitState, waitConnected, dispose, signInReady, recordedCall } = helpers(page);

// The supervisor's own browser context, its errors counted as the page's.
let sup;
let shot;
// The recording's requests and answers, as the supervisor's browser sent them.
const fetched = [];

await run(session, 'reports-failure', result, async () => {
  await step('the agent signs in, logs in to the phone, goes ready', signInReady);

  await step('an outbound call, recorded, sold with a note', async () => {
    result.call = await recordedCall('Sale', { notes: 'Wants the yearly plan' });
  });

  await step('a caller from the sales queue, not interested', async () => {
    await ask({ do: 'inbound', from: env('AS_CALLER') });
    await page.getByTestId('call-panel').waitFor();
    const id = await page.getByTestId('call-panel').getAttribute('data-call-id');
    await waitConnected(id);
    await page.getByRole('button', { name: /Hang up/ }).click();
    const panel = await dispose('Not interested');
    await panel.getByRole('button', { name: /Submit and go ready/ }).click();
    await waitState('READY');
  });

  await step('a supervisor signs in and opens Reports: the agent report', async () => {
    const ctx = await session.browser.newContext({
      viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Paris', locale: 'en-US', reducedMotion: 'reduce',
    });
    ctx.setDefaultTimeout(10000);
    sup = await ctx.newPage();
    sup.on('pageerror', (e) => session.problems.push('supervisor page error: ' + e.message));
    sup.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401/.test(m.text())) session.problems.push('supervisor console: ' + m.text());
    });
    sup.on('response', (r) => {
      if (r.url().includes('/recording')) fetched.push({ range: r.request().headers().range || '', status: r.status() });
    });
    shot = helpers(sup).shot;
    await sup.goto(URL + '/');
    await sup.getByLabel('Username').fill(env('AS_SUP_USER'));
    await sup.getByLabel('Password').fill(env('AS_SUP_PASSWORD'));
    await sup.getByRole('button', { name: 'Sign in' }).click();
    await sup.getByTestId('nav-reports').click();
    await sup.waitForURL(URL + '/reports');
    assert.equal(await sup.getByTestId('preset-today').getAttribute('aria-pressed'), 'true');
    result.day = await sup.locator('input[name=from]').inputValue();
    const row = sup.locator('[data-testid=agent-row][data-agent="Remy Diaz"]');
    await row.waitFor();
    assert.equal(await row.locator('[data-col=calls]').textContent(), '2');
    const dispos = await row.locator('[data-col=dispositions]').textContent();
    assert.match(dispos, /SALE 1/);
    assert.match(dispos, /NI 1/);
    assert.notEqual(await row.locator('[data-col=talk]').textContent(), '', 'talk time shown');
    const chart = sup.getByTestId('chart-agents');
    await chart.locator('canvas').waitFor();
    assert.ok(Number(await chart.getAttribute('data-points')) >= 2, 'the chart has the agent\'s calls and talk');
    await shot('40-reports-agents');
  });

  await step('the queue report: offered and answered, its service-level chart drawn', async () => {
    await sup.getByTestId('report-tab-queues').click();
    await sup.waitForURL(URL + '/reports/queues');
    const row = sup.locator('[data-testid=queue-row][data-queue=sales]');
    await row.waitFor();
    assert.equal(await row.locator('[data-col=offered]').textContent(), '1');
    assert.equal(await row.locator('[data-col=answered]').textContent(), '1');
    assert.equal(await row.locator('[data-col=abandoned]').textContent(), '0');
    const chart = sup.getByTestId('chart-queues');
    await chart.locator('canvas').waitFor();
    assert.equal(await chart.getAttribute('data-points'), '1', 'one day with callers drawn');
    // The canvas has been painted: some pixel is not blank.
    const painted = await chart.locator('canvas').evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
      return false;
    });
    assert.ok(painted, 'the chart is painted');
    await shot('41-reports-queue');
  });

  await step('the same selection downloads as CSV', async () => {
    const href = await sup.getByTestId('report-csv').getAttribute('href');
    assert.match(href, /^\/api\/v1\/reports\/queues\.csv\?from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d&tz=Europe%2FParis$/);
    const { status, type, text } = await sup.evaluate(async (h) => {
      const r = await fetch(h);
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
    }, href);
    assert.equal(status, 200);
    assert.match(type, /^text\/csv/);
    const lines = text.trim().split('\n');
    assert.equal(lines[0], 'queue_id,name,start,offered,answered,in_service,service_level,abandoned,avg_wait_sec,max_wait_sec');
    assert.ok(lines.some((l) => /,sales,\d{4}-\d\d-\d\d,1,1,/.test(l)), text);
  });

  await step('the campaign report draws the abandon rate against its ceiling; hangup causes', async () => {
    await sup.getByTestId('report-tab-campaigns').click();
    await sup.getByTestId('campaign-row').filter({ hasText: 'Spring offer' }).waitFor();
    await sup.getByTestId('chart-campaigns').locator('canvas').waitFor();
    await sup.getByTestId('chart-campaigns').locator('.u-legend').getByText('3% ceiling', { exact: true }).waitFor();
    await shot('44-reports-campaigns');
    await sup.getByTestId('report-tab-hangups').click();
    await sup.getByTestId('report-hangups').getByText('NORMAL_CLEARING').first().waitFor();
    await sup.getByTestId('chart-hangups').locator('canvas').waitFor();
    await shot('45-reports-hangups');
  });

  await step('call search finds the outbound call by its number', async () => {
    await sup.getByTestId('nav-calls').click();
    await sup.getByTestId('calls-table').waitFor();
    await sup.getByRole('textbox', { name: 'Number' }).fill(env('AS_LEAD_NUMBER').slice(1));
    await sup.getByRole('button', { name: 'Search' }).click();
    await sup.waitForFunction(() => document.querySelectorAll('[data-testid=call-row]').length === 1);
    const row = sup.getByTestId('call-row');
    assert.equal(await row.getAttribute('data-call-id'), result.call);
    await shot('42-call-search');
  });

  await step('the call page: the timeline in order, the disposition and the note', async () => {
    await sup.getByTestId('call-row').getByRole('link').click();
    await sup.waitForURL(URL + '/calls/' + result.call);
    const entries = sup.getByTestId('timeline-entry');
    await entries.first().waitFor();
    const kinds = await entries.evaluateAll((els) => els.map((e) => e.dataset.kind));
    const want = ['created', 'answered', 'agent_reserved', 'bridged', 'recording_started', 'ended', 'disposition'];
    let at = -1;
    for (const k of want) {
      const i = kinds.indexOf(k, at + 1);
      assert.ok(i > at, `timeline ${kinds.join(', ')} lacks ${k} after position ${at}`);
      at = i;
    }
    await sup.locator('[data-kind=agent_reserved]').getByText('Offered to Remy Diaz').waitFor();
    await sup.locator('[data-kind=bridged]').getByText('Connected to Remy Diaz').waitFor();
    assert.match(await sup.getByTestId('call-disposition').textContent(), /SALE/);
    assert.equal(await sup.getByTestId('call-notes').textContent(), 'Wants the yearly plan');
    await shot('43-call-timeline');
  });

  await step('the recording plays, fetched with Range', async () => {
    const audio = sup.getByTestId('recording').locator('audio');
    const ok = await audio.evaluate(async (a) => {
      a.muted = true;
      await a.play();
      return !a.error;
    });
    assert.ok(ok, 'the recording plays');
    await sup.waitForFunction(() => {
      const a = document.querySelector('[data-testid=recording] audio');
      return a.readyState >= 2 && (a.currentTime > 0 || a.ended);
    });
    assert.ok(fetched.some((f) => f.range.startsWith('bytes=') && f.status === 206), 'a range request answered 206: ' + JSON.stringify(fetched));
    assert.match(await sup.getByTestId('recording-download').getAttribute('href'), new RegExp(`/calls/${result.call}/recording\\?download=1$`));
  });

  await step('an agent who types the reports\' or a call\'s address gets the workspace, with no link to them', async () => {
    for (const p of ['/reports/agents', '/calls/' + result.call]) {
      await page.goto(URL + p);
      await waitState('READY');
      assert.equal(await page.getByTestId('reports-page').count(), 0);
      assert.equal(await page.getByTestId('call-page').count(), 0);
      assert.equal(await page.getByTestId('nav-reports').count(), 0);
      assert.equal(await page.getByTestId('nav-calls').count(), 0);
    }
  });
});
