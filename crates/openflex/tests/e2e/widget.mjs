// The Flexiti hosted widget in headless Chromium, as shoppers use it: one signs in to an
// existing account (a wrong code first, then the sandbox's 2222) and buys on a plan; another
// applies and buys on the regular rate. Each flow runs at 1280 px and at 390 px (the apply flow
// in French on the phone). Every step is checked with axe-core against WCAG 2 A/AA (serious and
// critical findings fail) and screenshotted to $SHOTS. The merchant's return page is stubbed:
// the widget must send the shopper there with the outcome, which is printed as `RESULT <flow>
// <query>` for the Rust test `widget_e2e` to check through the API.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const base = process.env.BASE_URL;
const shots = process.env.SHOTS;
const sessions = JSON.parse(process.env.SESSIONS);
const SHOP = 'https://shop.example/';
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const failures = [];

// A page at `width` px, axe-injectable (the widget's CSP allows no script of its own; it has
// none), with the merchant's return page stubbed.
async function shopperAt(width) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
  await context.route(`${SHOP}**`, (route) => route.fulfill({
    status: 200,
    contentType: 'text/html',
    body: '<!doctype html><html lang="en"><title>Shop</title><main><h1>Back at the shop</h1></main></html>',
  }));
  const page = await context.newPage();
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  // A refused form answers 422 on purpose (the wrong code); Chromium logs that as an error.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 422/.test(m.text())) failures.push(`console: ${m.text()}`);
  });
  return page;
}

// Screenshot, axe-core audit and no horizontal scrolling, for the page as it is now.
async function check(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  });
  if (found.length) failures.push(`${name}: ${found.join('; ')}`);
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (scroll > inner) failures.push(`${name}: ${scroll} px wide in a ${inner} px window`);
}

// The shop's URL once the widget sent the shopper back: the outcome's query.
async function backAtShop(page) {
  await page.waitForURL(`${SHOP}**`);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('status'), 'approved', page.url());
  return url.search.slice(1);
}

async function signInAndBuy(width, path) {
  const page = await shopperAt(width);
  const name = (step) => `widget-${width}-purchase-${step}`;
  await page.goto(`${base}${path}`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await check(page, name('01-account'));
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await page.getByLabel('Code from the text message').fill('1111');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  await check(page, name('02-wrong-code'));
  await page.getByLabel('Code from the text message').fill('2222');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Choose your plan' }).waitFor();
  await check(page, name('03-plans'));
  await page.getByRole('radio').first().check();
  await page.getByLabel('I have read and accept the terms and conditions.').check();
  await page.getByRole('button', { name: 'Confirm the purchase' }).click();
  console.log(`RESULT purchase ${await backAtShop(page)}`);
  await page.context().close();
}

async function applyAndBuy(width, path, lang) {
  const page = await shopperAt(width);
  const name = (step) => `widget-${width}-apply-${step}`;
  await page.goto(`${base}${path}`);
  assert.equal(await page.getAttribute('html', 'lang'), lang);
  assert.equal(await page.inputValue('#f-first_name'), 'Ann', 'prefilled from widget/init');
  await check(page, name('01-form'));
  await page.locator('#f-annual_income').fill('80000');
  await page.locator('#f-tos').check();
  await page.locator('button[value=apply]').click();
  await page.locator('#plan-regular').waitFor();
  await check(page, name('02-plans'));
  await page.locator('#plan-regular').check();
  await page.locator('#f-accept').check();
  await page.locator('button[value=accept]').click();
  console.log(`RESULT apply ${await backAtShop(page)}`);
  await page.context().close();
}

try {
  await signInAndBuy(1280, sessions.purchase_wide);
  await signInAndBuy(390, sessions.purchase_phone);
  await applyAndBuy(1280, sessions.apply_wide, 'en');
  await applyAndBuy(390, sessions.apply_phone, 'fr');
} catch (e) {
  failures.push(e.stack || String(e));
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log('widget e2e: ok');
