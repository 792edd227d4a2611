// The wall on a busy floor, measured: wallbench_test.go logs in 2,000
// agents and places 500 callers; this script opens the wall, times the
// grid's first full paint, then lets events flow for AS_SPAN_MS while it
// records frame gaps (requestAnimationFrame), long tasks
// (PerformanceObserver) and the renderer's CPU (CDP Performance metrics),
// and times one filter change in the middle of it.
//
// Env: AS_URL, AS_USER, AS_PASSWORD, AS_ADMIN_KEY, AS_AGENTS, AS_SPAN_MS,
// AS_ARTIFACTS, AS_RESULT.

import { env, URL, ask, step, openPage, helpers, run } from './harness.mjs';

const AGENTS = Number(env('AS_AGENTS'));
const SPAN = Number(env('AS_SPAN_MS'));
const result = {};
const session = await openPage();
const { page } = session;
const { shot } = helpers(page);
page.context().setDefaultTimeout(60000);

// Every message the wall's stream receives while events flow.
let events = 0;
let counting = false;
page.on('websocket', (ws) => ws.on('framereceived', () => counting && events++));

// allCounted: the wall shows the grid and counts every agent.
const allCounted = (n) =>
  !!document.querySelector('[data-testid=wall-agent]') &&
  [...document.querySelectorAll('.wall-filters .muted')].some((e) => e.textContent.trim().endsWith(`of ${n}`));

const cpu = (m) => Object.fromEntries(m.metrics.map((x) => [x.name, x.value]));
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

await run(session, 'wall-bench-failure', result, async () => {
  await step('the supervisor signs in', async () => {
    await page.goto(URL + '/');
    await page.getByLabel('Username').fill(env('AS_USER'));
    await page.getByLabel('Password').fill(env('AS_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-testid=wall][data-conn=live]').waitFor();
  });

  await step(`first paint of ${AGENTS} agents`, async () => {
    await page.goto(URL + '/wall');
    await page.waitForFunction(allCounted, AGENTS, { polling: 'raf' });
    // Painted: the frame after the one that holds the grid.
    result.first_paint_ms = await page.evaluate(
      () => new Promise((r) => requestAnimationFrame(() => setTimeout(() => r(Math.round(performance.now()))))),
    );
    result.rows_in_dom = await page.locator('[data-testid=wall-agent]').count();
    await shot('30-wall-floor-1440');
  });

  await step(`events flow for ${SPAN / 1000} s`, async () => {
    await page.evaluate(() => {
      const b = (window.__bench = { gaps: [], long: [], slow: [], t0: performance.now(), stop: false });
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) b.long.push(e.duration), b.slow.push(`task ${Math.round(e.duration)} ms at ${((e.startTime - b.t0) / 1000).toFixed(1)} s`);
      }).observe({ type: 'longtask' });
      let last = performance.now();
      const frame = (t) => {
        b.gaps.push(t - last);
        if (t - last > 50) b.slow.push(`frame ${Math.round(t - last)} ms at ${((last - b.t0) / 1000).toFixed(1)} s`);
        last = t;
        if (!b.stop) requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const m0 = cpu(await cdp.send('Performance.getMetrics'));
    const t0 = Date.now();
    counting = true;
    await ask({ do: 'churn-start' });

    await pause(SPAN / 2);
    // Interactive while it flows: a filter change shows its rows.
    const f0 = Date.now();
    result.filter_at_s = (f0 - t0) / 1000;
    await page.getByTestId('wall-filter-state').selectOption('PAUSED');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid=wall-agent]')];
      return rows.length > 0 && rows.every((r) => r.dataset.state === 'PAUSED');
    }, null, { polling: 'raf' });
    result.filter_ms = Date.now() - f0;
    await page.getByTestId('wall-filter-state').selectOption('');
    await pause(Math.max(0, SPAN - (Date.now() - t0)));

    counting = false;
    result.churn = await ask({ do: 'churn-stop' });
    const m1 = cpu(await cdp.send('Performance.getMetrics'));
    const secs = (Date.now() - t0) / 1000;
    const b = await page.evaluate(() => ((window.__bench.stop = true), window.__bench));
    const gaps = b.gaps.slice(1).sort((x, y) => x - y);
    const hist = { '<=17': 0, '<=33': 0, '<=50': 0, '<=100': 0, '>100': 0 };
    for (const g of gaps) hist[g <= 17 ? '<=17' : g <= 33 ? '<=33' : g <= 50 ? '<=50' : g <= 100 ? '<=100' : '>100']++;
    Object.assign(result, {
      events,
      events_per_sec: Math.round(events / secs),
      frames: gaps.length,
      frames_over_50ms: gaps.filter((g) => g > 50).length,
      max_frame_ms: Math.round(gaps[gaps.length - 1] || 0),
      frame_p99_ms: Math.round(gaps[Math.floor(gaps.length * 0.99)] || 0),
      frame_histogram: hist,
      long_tasks: b.long.length,
      long_task_max_ms: Math.round(Math.max(0, ...b.long)),
      // When the slow frames and long tasks came, from the span's start.
      slow: b.slow,
      // Shares of one core over the span: the renderer's main thread busy
      // (task), running script, laying out, recalculating styles.
      cpu: Object.fromEntries(
        ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration'].map((k) => [k, Math.round((1000 * (m1[k] - m0[k])) / secs) / 10]),
      ),
    });
    await shot('32-wall-floor-after-1440');
  });
});
