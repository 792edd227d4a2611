// What the browser scenarios share: the environment browser_test.go sets,
// requests to act on the simulated switch, the admin's API, timed steps,
// Chromium with the page's errors collected, and the run's end (the result
// for the Go side, or a screenshot and the page on failure).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

export const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run this through browser_test.go (make test)`);
  return v;
};
export const URL = env('AS_URL').replace(/\/$/, '');
export const ARTIFACTS = env('AS_ARTIFACTS');
fs.mkdirSync(ARTIFACTS, { recursive: true });

// ask has browser_test.go act on the simulated switch (a caller dials in,
// a far end hangs up): one JSON line out, one JSON line back.
const replies = [];
const input = readline.createInterface({ input: process.stdin });
input.on('line', (l) => {
  const r = replies.shift();
  if (r) r(JSON.parse(l));
});
export function ask(req, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer to ' + JSON.stringify(req))), ms);
    replies.push((a) => (clearTimeout(timer), a.error ? reject(new Error(a.error)) : resolve(a)));
    process.stdout.write('@@ask ' + JSON.stringify(req) + '\n');
  });
}

// admin calls the API with the admin key, as an integrator would.
export async function admin(method, p, body) {
  const res = await fetch(URL + '/api/v1' + p, {
    method,
    headers: { Authorization: 'Bearer ' + env('AS_ADMIN_KEY'), 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// until polls the API until ok(answer) holds.
export async function until(what, fn, ok, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const startedAt = Date.now();
const steps = [];
export async function step(name, fn) {
  const t0 = Date.now();
  process.stdout.write(`- ${name} ... `);
  await fn();
  const ms = Date.now() - t0;
  steps.push({ name, ms });
  process.stdout.write(`${ms} ms\n`);
}

// openPage starts Chromium with one page at 1440x900. problems collects
// the page's errors; expectError(re) lets a step provoke one on purpose.
// args are more Chromium switches; permissions are granted to the page
// (microphone).
export async function openPage({ args = [], permissions = [] } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.AS_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', ...args,
    ],
  });
  // Reduced motion: screenshots show the screen at rest, not mid-animation.
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Paris', locale: 'en-US', reducedMotion: 'reduce', permissions,
  });
  context.setDefaultTimeout(10000);
  const problems = [];
  let expected = null;
  // watch collects the errors of a page of this browser.
  const watch = (page) => {
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => {
      // 401 before sign-in and 404 for an agent not yet on the phone are
      // answers the page expects; a 403 is not (the transfer panels read the
      // directory, not the supervisors' agent list).
      if (m.type() !== 'error' || /status of (401|404)/.test(m.text())) return;
      if (expected && expected.test(m.text())) return;
      problems.push('console: ' + m.text());
    });
    return page;
  };
  const page = watch(await context.newPage());
  return { browser, page, problems, watch, expectError: (re) => (expected = re) };
}

// Helpers on the page.
export function helpers(page) {
  const waitState = (st, timeout = 10000) => page.locator(`[data-testid=agent-state][data-state=${st}]`).waitFor({ timeout });
  const callPanel = (id) => page.locator(`[data-testid=call-panel][data-call-id="${id}"]`);
  // signIn signs in as AS_USER, up to the start of the session.
  const signIn = async () => {
    await page.goto(URL + '/');
    await page.getByLabel('Username').fill(env('AS_USER'));
    await page.getByLabel('Password').fill(env('AS_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Start your session' }).waitFor();
  };
  return {
    waitState,
    callPanel,
    signIn,
    // signInReady signs in, logs in to the phone (SIP, each call rung)
    // and goes READY.
    signInReady: async () => {
      await signIn();
      await page.getByLabel(/SIP phone/).check();
      await page.getByLabel(/Ring each call/).check();
      await page.getByRole('button', { name: 'Log in to phone' }).click();
      await waitState('PAUSED');
      await page.keyboard.press('Alt+R');
      await waitState('READY');
    },
    // waitConnected waits for the agent to be talking on call id.
    waitConnected: async (id) => {
      await callPanel(id).waitFor();
      await waitState('INCALL');
      await page.locator('[data-testid=call-state].cs-connected').waitFor();
    },
    // dispose picks a code (and a callback time) and submits.
    dispose: async (label, { notes, callbackTime } = {}) => {
      const panel = page.getByTestId('dispo-panel');
      await panel.waitFor();
      await panel.getByText(label, { exact: true }).click();
      if (callbackTime) await panel.getByLabel('Time', { exact: true }).fill(callbackTime);
      if (notes) await panel.getByLabel('Notes').fill(notes);
      return panel;
    },
    // recordedCall has the admin call AS_LEAD_NUMBER for AS_AGENT_ID on
    // AS_CAMPAIGN_ID; the agent records it, hangs up and wraps up with
    // the code labelled label, going READY again. It answers the call's id.
    recordedCall: async (label, opts) => {
      const { id } = await admin('POST', '/calls', {
        number: env('AS_LEAD_NUMBER'), agent_id: Number(env('AS_AGENT_ID')), campaign_id: Number(env('AS_CAMPAIGN_ID')),
      });
      await callPanel(id).waitFor();
      await waitState('INCALL');
      await page.locator('[data-testid=call-state].cs-connected').waitFor();
      await page.getByTestId('call-panel').getByRole('button', { name: 'Record', exact: true }).click();
      await page.getByTestId('rec-indicator').waitFor();
      await page.getByRole('button', { name: /Hang up/ }).click();
      const panel = page.getByTestId('dispo-panel');
      await panel.waitFor();
      await panel.getByText(label, { exact: true }).click();
      if (opts && opts.notes) await panel.getByLabel('Notes').fill(opts.notes);
      await panel.getByRole('button', { name: /Submit and go ready/ }).click();
      await waitState('READY');
      return id;
    },
    // shot saves a screen, without the passing notices.
    shot: async (name) => {
      // A notice may go by itself meanwhile, or sit under a dialog: don't wait on it.
      for (const b of await page.getByRole('button', { name: 'Dismiss' }).all()) await b.click({ timeout: 500 }).catch(() => {});
      await page.screenshot({ path: path.join(ARTIFACTS, name + '.png') });
    },
    state: () => page.getByTestId('agent-state'),
    // notice is a passing message (a toast) with the text.
    notice: (text) => page.locator('.notice').filter({ hasText: text }),
  };
}

// run runs a scenario's steps, then writes result for the Go side; on a
// failure it leaves a screenshot and the page's HTML under prefix.
export async function run({ browser, page, problems }, prefix, result, body) {
  for (const f of [prefix + '.png', prefix + '.html']) fs.rmSync(path.join(ARTIFACTS, f), { force: true });
  try {
    await body();
    assert.deepEqual(problems, [], 'the page reported errors');
    result.steps = steps;
    result.ms = Date.now() - startedAt;
    fs.writeFileSync(env('AS_RESULT'), JSON.stringify(result, null, 2));
    console.log(`done in ${result.ms} ms`);
  } catch (e) {
    console.error('FAILED:', e.message);
    if (problems.length) console.error(problems.join('\n'));
    try {
      await helpers(page).shot(prefix);
      fs.writeFileSync(path.join(ARTIFACTS, prefix + '.html'), await page.content());
      console.error('state on failure:', await helpers(page).state().getAttribute('data-state'));
    } catch {
      // The page may be gone.
    }
    process.exitCode = 1;
  } finally {
    input.close();
    await browser.close();
  }
}
