// The portal in headless Chromium, as a merchant uses it: sign in, find a transaction,
// redeliver a webhook, filter the delivery log, reveal and roll the webhook signing secret,
// find a rescue order by its card and email, issue an API key (shown once; a reload shows nothing), meet the
// confirmation step of a revoke and of disabling a webhook endpoint, have a too-high retry
// policy refused beside its field, meet an unknown page, capture a rescue order and have a
// refund of more than is left refused, capture a FlexPay authorization from its page and
// follow Related back, search the transaction list (status pills, bookkeeping toggle), open a
// decline's recovery panel, see the financing status legend, pick the overview's period, add a
// Stripe gateway and open its page (credentials shown only as "set"), test the sandbox
// gateway's connection, advance the test clock. Screenshots
// of each step go to $SHOTS. Then every page (and each confirmation and refusal) is checked
// with axe-core against WCAG 2 A/AA (serious and critical findings fail) at 1280 and 390 px. Run by the Rust test `portal_e2e` (which starts the server and
// seeds the data); exits non-zero on the first failed expectation.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PAGES = ['/portal/', '/portal/transactions', '/portal/payment-methods', '/portal/orders',
  '/portal/flexiti', '/portal/webhooks', '/portal/credentials', '/portal/settings', '/portal/clock'];

const base = process.env.BASE_URL;
const shots = process.env.SHOTS;
const mtid = process.env.MTID;
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const failures = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  // A refusal the flow asks for (422, 404, 409) is answered with its status, which Chromium logs as
  // a failed load; only those expected ones are let through.
  let refusalsExpected = 0;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (refusalsExpected > 0 && /status of (404|409|422)/.test(m.text())) { refusalsExpected -= 1; return; }
    failures.push(`console: ${m.text()}`);
  });
  const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

  // Sign in (a deep link comes back after the login).
  await page.goto(`${base}/portal/transactions`);
  assert.match(page.url(), /\/portal\/login\?next=/);
  await page.getByLabel('Email').fill(process.env.EMAIL);
  await page.getByLabel('Password').fill(process.env.PASSWORD);
  await shot('01-login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/portal/transactions`);
  await page.getByRole('link', { name: 'Overview' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  assert.equal(await page.getByRole('img', { name: 'Approved volume per day' }).count(), 1);
  await page.getByRole('heading', { name: 'Recovery of declined payments, last 30 days' }).waitFor();
  assert.equal(await page.getByRole('img', { name: 'Declined and recovered revenue by day of the decline' }).count(), 1);
  await shot('02-overview');

  // The overview's period: a preset, compared with the period before it.
  await page.getByRole('link', { name: 'Last 7 days' }).click();
  await page.getByRole('heading', { name: 'Recovery of declined payments, last 7 days' }).waitFor();
  assert.ok((await page.textContent('main')).includes('in the previous period'));
  assert.equal(await page.getByRole('img', { name: /Attempts per day \(y: attempts per day; x: day, UTC\)/ }).count(), 1);
  await shot('02b-overview-7-days');

  // Find a transaction by its merchantTransactionId.
  await page.getByRole('link', { name: 'Transactions' }).click();
  await page.getByLabel('Transaction id or merchantTransactionId').fill(mtid);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('heading', { name: 'Transaction', exact: true }).waitFor();
  assert.ok((await page.textContent('main')).includes(mtid));
  const txnPath = new URL(page.url()).pathname;
  await shot('03-transaction');

  // Search the list by the card's last four with bookkeeping rows shown: each row leads with
  // its status pill; a declined payment opens on its recovery panel; the financing page has
  // its status legend; keyboard focus draws the ring in the portal's focus colour.
  await page.getByRole('link', { name: 'Transactions' }).click();
  await page.getByLabel('Last four digits').fill('9560');
  await page.getByLabel('Show payment-method bookkeeping').check();
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('status').filter({ hasText: 'matching' }).waitFor();
  assert.ok((await page.locator('tbody tr td:first-child .pill').count()) > 2, 'a pill leads each row');
  assert.ok(await page.getByLabel('Show payment-method bookkeeping').isChecked());
  assert.ok((await page.textContent('main')).includes('CreatePaymentMethod'));
  const searchPath = new URL(page.url()).pathname + new URL(page.url()).search;
  await shot('03b-transactions-searched');
  await page.getByRole('row').filter({ hasText: 'e2e-declined-1' }).getByRole('link').click();
  await page.getByRole('heading', { name: 'Recovery', exact: true }).waitFor();
  assert.ok((await page.textContent('main')).includes('Insufficient funds'));
  const declinedPath = new URL(page.url()).pathname;
  await shot('03c-recovery-panel');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => getComputedStyle(document.activeElement).outlineColor), 'rgb(11, 61, 145)');
  await page.getByRole('link', { name: 'Financing' }).click();
  await page.getByText('What the account statuses mean').waitFor();
  await shot('03d-financing-legend');

  // Redeliver a webhook.
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.locator('.deliveries summary').first().click();
  await shot('04-webhook-delivery');
  await page.getByRole('button', { name: 'Redeliver' }).first().click();
  await page.getByRole('status').filter({ hasText: 'queued again' }).waitFor();
  await shot('05-webhook-redelivered');

  // The delivery log names each delivery's endpoint and filters by status.
  assert.ok((await page.locator('.deliveries li').first().textContent()).includes('/hook'), 'the endpoint is named');
  await page.getByLabel('Status').selectOption('delivered');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('status').filter({ hasText: 'matching deliver' }).waitFor();
  assert.ok(page.url().includes('state=delivered'));
  const hooksFiltered = new URL(page.url()).pathname + new URL(page.url()).search;
  await shot('05a-webhook-log-filtered');

  // The signing secret: shown by a button (never on the page itself), rolled after a confirmation.
  await page.getByRole('button', { name: 'Reveal the signing secret' }).click();
  await page.getByRole('heading', { name: 'Webhook signing secret', exact: true }).waitFor();
  const secret = (await page.locator('code.secret').textContent()).trim();
  assert.ok(secret.length >= 40, 'the key is shown');
  await shot('05c-webhook-secret');
  await page.getByRole('link', { name: 'Back to webhooks' }).click();
  assert.ok(!(await page.content()).includes(secret), 'not on the webhooks page');
  await page.getByRole('button', { name: 'Roll the secret…' }).click();
  await page.getByRole('heading', { name: 'Roll the signing secret?' }).waitFor();
  await shot('05d-webhook-roll-confirm');
  await page.getByRole('button', { name: 'Roll the secret', exact: true }).click();
  await page.getByRole('heading', { name: 'New webhook signing secret' }).waitFor();
  assert.notEqual((await page.locator('code.secret').textContent()).trim(), secret, 'a new key');
  await shot('05e-webhook-secret-rolled');
  await page.getByRole('link', { name: 'Back to webhooks' }).click();

  // Disabling an endpoint asks first; Back leaves it enabled, Confirm disables it.
  await page.getByRole('button', { name: 'Disable…' }).first().click();
  await page.getByRole('heading', { name: 'Disable this endpoint?' }).waitFor();
  await shot('05b-webhook-disable-confirm');
  await page.getByRole('link', { name: 'Back' }).click();
  await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
  await page.getByRole('button', { name: 'Disable…' }).first().click();
  await page.getByRole('button', { name: 'Disable the endpoint' }).click();
  await page.getByRole('status').filter({ hasText: 'was disabled' }).waitFor();

  // Issue an API key: the secrets are shown once.
  await page.getByRole('link', { name: 'API credentials' }).click();
  await page.getByRole('button', { name: /Issue new sandbox credentials/ }).click();
  await page.getByRole('heading', { name: 'New credentials' }).waitFor();
  const key = (await page.locator('code.secret').first().textContent()).trim();
  assert.ok(key.length >= 32, `API key shown: ${key}`);
  await shot('06-key-issued');
  const test = await fetch(`${base}/api/test`, { headers: { Authorization: `Basic ${key}` } });
  assert.equal(test.status, 200, 'the issued key works');
  assert.match(page.url(), /\/portal\/credentials\/new$/, 'the secrets page is a GET after a redirect');
  await page.reload();
  await page.getByRole('heading', { name: 'Secrets already shown' }).waitFor();
  assert.equal(await page.locator('code.secret').count(), 0, 'a reload shows no secret');
  await shot('06b-key-reloaded');

  // Revoking asks first and says what will happen; Back changes nothing.
  await page.getByRole('link', { name: 'Back to credentials' }).click();
  await page.getByRole('button', { name: /^Revoke flexpay_api_key/ }).first().click();
  await page.getByRole('heading', { name: 'Revoke this credential?' }).waitFor();
  await shot('06c-revoke-confirm');
  await page.getByRole('link', { name: 'Back' }).click();
  await page.getByRole('heading', { name: 'API credentials' }).waitFor();

  // A retry policy past the networks' ceiling is refused beside its field, as typed.
  await page.getByRole('link', { name: 'Settings' }).click();
  // (The field's own max already stops a browser that validates forms; the server's answer is
  // what one that does not gets, so the browser's check is switched off here.)
  await page.locator('form[action="/portal/settings"]').evaluate((f) => { f.noValidate = true; });
  await page.getByLabel('Most retries of one declined payment').fill('99');
  refusalsExpected += 1;
  await page.getByRole('button', { name: 'Save retry policy' }).click();
  await page.getByRole('alert').filter({ hasText: 'not saved' }).waitFor();
  assert.equal(await page.getByLabel('Most retries of one declined payment').inputValue(), '99');
  assert.equal(await page.getByLabel('Most retries of one declined payment').getAttribute('aria-invalid'), 'true');
  await shot('06d-retry-policy-refused');

  // An unknown address is a portal page with its navigation.
  refusalsExpected += 1;
  await page.goto(`${base}/portal/no-such-page`);
  await page.getByRole('alert').filter({ hasText: 'no page at this address' }).waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Portal' }).count(), 1);
  await shot('06e-not-found');

  // Rescue orders found by the card's last four and the payer's email; the export keeps the filters.
  await page.getByRole('link', { name: 'Rescue orders' }).click();
  await page.getByLabel('Last four digits').fill('3184');
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('status').filter({ hasText: '1 matching orders' }).waitFor();
  assert.match(await page.getByRole('link', { name: 'Export these as CSV' }).getAttribute('href'), /last4=3184/);
  const ordersFiltered = new URL(page.url()).pathname + new URL(page.url()).search;
  await shot('06e2-orders-filtered');

  // A rescue order: captured, then a refund of more than is left is refused in red.
  await page.getByRole('link', { name: 'Rescue orders' }).click();
  await page.locator(`a[href="${process.env.ORDER}"]`).click();
  await page.getByRole('heading', { name: 'Rescue order' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Refund/ }).count(), 0, 'nothing to refund yet');
  await page.getByRole('button', { name: 'Capture' }).click();
  await page.getByRole('status').filter({ hasText: 'captured' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Capture' }).count(), 0, 'captured once');
  assert.equal(await page.getByRole('button', { name: /^Cancel/ }).count(), 0, 'a completed order is not cancelled');
  await page.getByLabel(/Refund amount/).fill('100.00');
  await page.getByRole('button', { name: /^Refund/ }).click();
  await page.getByRole('heading', { name: 'Refund this order?' }).waitFor();
  await shot('06f-refund-confirm');
  refusalsExpected += 1;
  await page.getByRole('button', { name: 'Refund', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'more than the $15.00 USD left to refund' }).waitFor();
  assert.equal(await page.locator('.flash').count(), 0, 'no success box beside a refusal');
  await shot('06g-refund-refused');

  // A FlexPay authorization captured from its page, after the confirmation; the capture and
  // the authorization then list each other under Related.
  const auth = process.env.AUTH;
  await page.goto(`${base}${auth}`);
  await page.getByRole('heading', { name: 'Transaction', exact: true }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Refund/ }).count(), 0, 'an authorization is not refunded');
  assert.equal(await page.getByLabel(/Capture amount/).inputValue(), '30.00', 'the capture defaults to all');
  await page.getByRole('button', { name: 'Capture…' }).click();
  await page.getByRole('heading', { name: 'Capture this authorization?' }).waitFor();
  assert.ok((await page.textContent('main')).includes('30.00 USD'));
  await shot('06h-capture-confirm');
  await page.getByRole('button', { name: 'Capture', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'The capture was approved' }).waitFor();
  const capturePath = new URL(page.url()).pathname;
  assert.notEqual(capturePath, auth, 'the capture has its own page');
  await shot('06i-captured');
  await page.locator(`main a[href="${auth}"]`).first().click();
  await page.getByRole('table', { name: 'Captures, voids and refunds of this transaction' }).waitFor();
  assert.equal(await page.locator(`main table a[href="${capturePath}"]`).count(), 1, 'the capture is related');
  assert.equal(await page.getByRole('button', { name: 'Capture…' }).count(), 0, 'captured once');
  await shot('06j-authorization-related');

  // Advance the sandbox test clock by two days.
  await page.getByRole('link', { name: 'Test clock' }).click();
  const before = await page.locator('#sandbox-now').textContent();
  await page.getByLabel('Days to move forward').fill('2');
  await page.getByRole('button', { name: 'Advance the clock' }).click();
  await page.getByRole('status').filter({ hasText: 'moved forward' }).waitFor();
  await page.getByLabel('Days to move forward').fill('0');
  refusalsExpected += 1;
  await page.getByRole('button', { name: 'Advance the clock' }).click();
  await page.getByRole('alert').filter({ hasText: 'at least one hour' }).waitFor();
  const after = await page.locator('#sandbox-now').textContent();
  assert.notEqual(before, after);
  await shot('07-clock-advanced');

  // A gateway (last, so no payment above is routed to it): a Stripe one added, its page
  // shows the key only as "set"; the sandbox gateway's connection is tested (it asks nobody).
  await page.goto(`${base}/portal/gateways/new?type=stripe`);
  await page.getByLabel('Name').fill('E2E Stripe');
  await page.getByLabel(/Secret key/).fill('sk_test_e2eSecretKey0001');
  await page.getByRole('button', { name: 'Create gateway' }).click();
  await page.getByRole('status').filter({ hasText: 'was created' }).waitFor();
  await page.getByRole('link', { name: 'E2E Stripe' }).click();
  await page.getByRole('heading', { name: 'Gateway E2E Stripe' }).waitFor();
  const stripePath = new URL(page.url()).pathname;
  assert.ok(!(await page.content()).includes('sk_test_e2eSecretKey0001'), 'the key is never shown');
  assert.equal(await page.getByLabel(/Secret key/).inputValue(), '', 'the key input is empty');
  await shot('06k-gateway-page');
  await page.getByRole('link', { name: 'Back to settings' }).click();
  await page.locator('main table').getByRole('link', { name: 'Sandbox', exact: true }).click();
  const gatewayPath = new URL(page.url()).pathname;
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.getByRole('status').filter({ hasText: 'Connection works' }).waitFor();
  await shot('06l-gateway-tested');

  // Accessibility: axe-core in a context that may inject it (the portal's CSP allows no
  // script of its own), signed in with the same session.
  // Pages reached by a form (a confirmation, a refusal) are audited after that form is used.
  const audit = await browser.newContext({ bypassCSP: true, storageState: await context.storageState() });
  const a11y = await audit.newPage();
  const submit = (button) => Promise.all([a11y.waitForNavigation(), button.click()]);
  const reached = [
    ['gateway tested', gatewayPath, () => submit(a11y.getByRole('button', { name: 'Test connection' }))],
    ['webhook secret shown', '/portal/webhooks', () => submit(a11y.getByRole('button', { name: 'Reveal the signing secret' }))],
    ['webhook roll confirmation', '/portal/webhooks', () => submit(a11y.getByRole('button', { name: 'Roll the secret…' }))],
    ['revoke confirmation', '/portal/credentials', () => submit(a11y.getByRole('button', { name: /^Revoke / }).first())],
    ['redact confirmation', '/portal/payment-methods', () => submit(a11y.getByRole('button', { name: /^Redact / }).first())],
    ['retry policy refused', '/portal/settings', async () => {
      await a11y.locator('form[action="/portal/settings"]').evaluate((f) => { f.noValidate = true; });
      await a11y.getByLabel('Most retries of one declined payment').fill('99');
      await submit(a11y.getByRole('button', { name: 'Save retry policy' }));
    }],
    ['clock refused', '/portal/clock', async () => {
      await a11y.getByLabel('Days to move forward').fill('0');
      await submit(a11y.getByRole('button', { name: 'Advance the clock' }));
    }],
    ['refund confirmation', process.env.ORDER, () => submit(a11y.getByRole('button', { name: /^Refund/ }))],
    ['transaction refund confirmation', txnPath, () => submit(a11y.getByRole('button', { name: 'Refund…' }))],
    ['transaction void confirmation', process.env.VOIDABLE, () => submit(a11y.getByRole('button', { name: 'Void…' }))],
    ['transaction refund refused', txnPath, async () => {
      await a11y.getByLabel(/Refund amount/).fill('1000.00');
      await submit(a11y.getByRole('button', { name: 'Refund…' }));
      await submit(a11y.getByRole('button', { name: 'Refund', exact: true }));
      assert.equal(await a11y.getByRole('alert').filter({ hasText: 'The refund was refused' }).count(), 1);
    }],
    ['refund refused', process.env.ORDER, async () => {
      await a11y.getByLabel(/Refund amount/).fill('100.00');
      await submit(a11y.getByRole('button', { name: /^Refund/ }));
      await submit(a11y.getByRole('button', { name: 'Refund', exact: true }));
    }],
  ];
  const check = async (name) => {
    await a11y.addScriptTag({ path: axePath });
    const found = await a11y.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
    });
    const [scroll, inner] = await a11y.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    if (found.length) failures.push(`${name}: ${found.join('; ')}`);
    if (scroll > inner) failures.push(`${name}: scrolls sideways (${scroll} px in ${inner})`);
  };
  for (const width of [1280, 390]) {
    await a11y.setViewportSize({ width, height: 900 });
    for (const path of [...PAGES, txnPath, auth, capturePath, process.env.ORDER, '/portal/credentials/new', '/portal/no-such-page', searchPath, declinedPath, '/portal/transactions?last4=12', stripePath, gatewayPath, '/portal/?days=7', '/portal/?days=8', hooksFiltered, ordersFiltered, '/portal/orders?last4=12']) {
      await a11y.goto(`${base}${path}`);
      await check(`${path} at ${width} px`);
    }
    for (const [name, path, act] of reached) {
      await a11y.goto(`${base}${path}`);
      await act();
      await check(`${name} at ${width} px`);
    }
  }
  await audit.close();

  // The same pages on a phone-sized screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('link', { name: 'Overview' }).click();
  const width = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(width[0] <= width[1], `no horizontal scrolling on a phone (page ${width[0]} px wide)`);
  await shot('08-overview-phone');

  // Sign out: the session is gone.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/portal\/login/);
  await page.goto(`${base}/portal/`);
  assert.match(page.url(), /\/portal\/login/);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log('portal e2e: ok');
