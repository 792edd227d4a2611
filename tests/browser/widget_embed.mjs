// A visitor on a customer's site (its own origin, a strict CSP) uses the
// callback widget by keyboard: a country, a bad number's field error, a
// good number's countdown; outside hours a time picked from the openings.
// A third origin gets no widget and its request is refused.

import assert from 'node:assert/strict';
import path from 'node:path';
import { ARTIFACTS, URL, env, openPage, run, step, until } from './harness.mjs';

const SITE = env('AS_SITE');
const STRANGER = env('AS_STRANGER');
const session = await openPage();
const { browser, page, problems } = session;
const result = {};

// watch reports the page's CSP violations (the page's own scripts cannot
// run under its CSP; an init script is the browser's, not the page's).
async function watch(p, into) {
  await p.exposeFunction('__cspViolation', (v) => into.push('CSP violation: ' + v));
  await p.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI));
  });
}

const w = (p) => ({
  launcher: p.locator('.aw-launch'),
  panel: p.getByRole('dialog'),
  country: p.getByLabel('Country'),
  number: p.getByLabel('Your phone number'),
  slot: p.getByLabel('When should we call?'),
  numberError: p.locator('#aw-number-err'),
  live: p.getByRole('status'),
  count: p.locator('.aw-count'),
  // focused is the id or class of the element focused in the shadow root.
  focused: () => p.evaluate(() => {
    const host = document.querySelector('[data-agentswitch-widget]');
    const a = host && host.shadowRoot.activeElement;
    return a ? a.id || a.className : '';
  }),
});
const shot = (p, name) => p.screenshot({ path: path.join(ARTIFACTS, name + '.png') });

await watch(page, problems);

await run(session, 'widget-embed-failure', result, async () => {
  const ui = w(page);

  await step('the snippet draws the button on the site, under its CSP', async () => {
    await page.goto(SITE + '/open');
    await ui.launcher.waitFor();
    assert.equal(await ui.launcher.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.context().cookies().then((c) => c.length), 0, 'no cookies');
    await shot(page, 'widget-closed');
  });

  await step('the keyboard opens it; Escape closes it and gives focus back', async () => {
    for (let i = 0; i < 8 && (await ui.focused()) !== 'aw-launch'; i++) await page.keyboard.press('Tab');
    assert.equal(await ui.focused(), 'aw-launch', 'the launcher is reachable by Tab');
    await page.keyboard.press('Enter');
    await ui.panel.waitFor();
    assert.equal(await ui.launcher.getAttribute('aria-expanded'), 'true');
    assert.equal(await ui.focused(), 'aw-number', 'focus moves into the panel');
    await page.keyboard.press('Escape');
    await ui.panel.waitFor({ state: 'hidden' });
    assert.equal(await ui.focused(), 'aw-launch', 'focus returns to the launcher');
    await page.keyboard.press('Enter');
    await ui.panel.waitFor();
  });

  await step('countries: the first one on top, then by name with dial codes; picked by keyboard', async () => {
    const options = await ui.country.locator('option').allTextContents();
    assert.deepEqual(options, ['Germany +49', '──────────', 'France +33', 'United Kingdom +44', 'United States +1']);
    assert.equal(await ui.country.inputValue(), 'DE');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await ui.focused(), 'aw-country');
    for (let i = 0; i < 6 && (await ui.country.inputValue()) !== 'US'; i++) await page.keyboard.press('ArrowDown');
    assert.equal(await ui.country.inputValue(), 'US');
    await shot(page, 'widget-open');
  });

  await step('a bad number gets the server\'s error under the field', async () => {
    // The browser logs the refused request; the widget shows the reason.
    session.expectError(/status of 400/);
    await page.keyboard.press('Tab');
    await page.keyboard.type('12');
    await page.keyboard.press('Enter');
    await until('the field error', () => ui.numberError.textContent(), (t) => t.length > 0);
    assert.equal(await ui.number.getAttribute('aria-invalid'), 'true');
    assert.equal(await ui.live.textContent(), '', 'a field error is not the failure text');
    await shot(page, 'widget-error');
    session.expectError(null);
  });

  await step('a good number starts the countdown', async () => {
    await ui.number.fill('(415) 555-0199');
    await page.keyboard.press('Enter');
    await ui.count.waitFor();
    const first = Number(await ui.count.getAttribute('data-seconds'));
    await until('the countdown to move', () => ui.count.getAttribute('data-seconds').then(Number), (n) => n < first);
    result.countdown = [first, Number(await ui.count.getAttribute('data-seconds'))];
    assert.match(await ui.count.textContent(), /Calling you in \d+ s/);
    await shot(page, 'widget-counting');
  });

  await step('on a phone the panel spans the screen', async () => {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, locale: 'en-US', reducedMotion: 'reduce', deviceScaleFactor: 2 });
    const phone = await ctx.newPage();
    await watch(phone, problems);
    phone.on('console', (m) => m.type() === 'error' && problems.push('phone console: ' + m.text()));
    await phone.goto(SITE + '/open');
    await w(phone).launcher.click();
    await w(phone).panel.waitFor();
    const box = await w(phone).panel.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 375, `panel within the screen: ${JSON.stringify(box)}`);
    await shot(phone, 'widget-phone-open');
    await phone.goto(SITE + '/closed');
    await w(phone).launcher.click();
    await w(phone).slot.waitFor();
    await shot(phone, 'widget-phone-outside-hours');
    await ctx.close();
  });

  await step('outside hours: the opening times are offered and a chosen one is taken', async () => {
    await page.goto(SITE + '/closed');
    await ui.launcher.click();
    await ui.slot.waitFor();
    assert.match(await ui.panel.textContent(), /We are closed now/);
    const slots = await ui.slot.locator('option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(slots.length > 0 && slots.length <= 50, `slots ${slots.length}`);
    await ui.slot.focus();
    await page.keyboard.press('ArrowDown');
    const chosen = await ui.slot.inputValue();
    assert.equal(chosen, slots[1]);
    await ui.country.selectOption('US');
    await ui.number.fill('415 555 0177');
    await shot(page, 'widget-outside-hours');
    const sent = page.waitForRequest((r) => r.url().endsWith('/requests') && r.method() === 'POST');
    await page.keyboard.press('Enter');
    const body = JSON.parse((await sent).postData());
    assert.equal(body.scheduled_at, chosen);
    assert.equal(body.website, '');
    await until('the confirmation', () => page.locator('[data-state]').first().getAttribute('data-state'), (s) => s === 'scheduled');
    assert.match(await ui.live.textContent(), /We will call you/);
    result.scheduled_at = chosen;
    await shot(page, 'widget-scheduled');
  });

  await step('a third origin gets no widget, and its request is refused', async () => {
    const ctx = await browser.newContext({ locale: 'en-US' });
    const other = await ctx.newPage();
    const expected = [];
    other.on('console', (m) => m.type() === 'error' && expected.push(m.text()));
    await other.goto(STRANGER + '/open');
    // The settings are answered without a grant for this origin: the
    // browser keeps them from the page, and the widget draws nothing.
    await until('the browser to block the settings', async () => expected.slice(), (e) => e.some((t) => /CORS/.test(t) && /config/.test(t)));
    assert.equal(await other.locator('[data-agentswitch-widget]').count(), 0, 'no widget on a stranger\'s page');
    const key = new globalThis.URL(await other.locator('script[data-widget-key]').getAttribute('src')).origin === URL &&
      (await other.locator('script[data-widget-key]').getAttribute('data-widget-key'));
    result.refused = await other.evaluate(async ([url, key]) => {
      try {
        await fetch(url + '/api/v1/widget/' + key + '/requests', {
          method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'agentswitch' },
          body: JSON.stringify({ number: '+14155550155' }),
        });
        return '';
      } catch (e) {
        return String(e);
      }
    }, [URL, key]);
    assert.match(result.refused, /TypeError/);
    assert.ok(expected.some((t) => /CORS/.test(t) && /requests/.test(t)), `the browser blocked the request: ${expected}`);
    await ctx.close();
  });
});
await browser.close();
