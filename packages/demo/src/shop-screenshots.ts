// Screenshots of the example shop and of the profile Pulse keeps of a customer who clicked
// through it, for docs/ (not a test). Run it against the shop `npx pulse demo --keep` started,
// with the environment the demo printed for `npx pulse profile`:
//
//   KAFKA_BROKERS=… REDIS_URL=… PULSE_KEY_PREFIX=… PULSE_VISITS_TOPIC=… \
//     npx tsx packages/demo/src/shop-screenshots.ts http://127.0.0.1:<port>/ [docs]
//
// It opens the shop in headless Chromium as a first-time visitor (the consent banner: the first
// screenshot), accepts, logs in as the demo customer, looks at two products, buys one, then
// waits until `npx pulse profile demo-shopper` counts those
// visits and renders that command's output as a terminal would show it (the second screenshot).
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { launchChromium } from './chromium.ts';
import { SHOP_DEMO_CUSTOMER } from './shop-server.ts';

const [shopUrl, outputDir = 'docs'] = process.argv.slice(2);
if (!shopUrl) throw new Error('usage: shop-screenshots.ts <shop URL> [output dir]');
const PULSE_BIN = fileURLToPath(new URL('../../../bin/pulse.mjs', import.meta.url));

async function pulseProfile(json: boolean): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    PULSE_BIN,
    'profile',
    SHOP_DEMO_CUSTOMER,
    ...(json ? ['--json'] : []),
  ]);
  return stdout;
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  await page.goto(shopUrl);
  await page.waitForSelector('#consent');
  await page.screenshot({ path: resolve(outputDir, 'example-shop.png') });

  // The click-through, at a person's pace (each page is seen for a moment): log in, look at
  // two products, buy one.
  const pause = () => sleep(1_500);
  const steps: (() => Promise<unknown>)[] = [
    () => page.click('#accept'),
    () => page.click('#log-in'),
    async () => {
      await page.fill('#customer-id', SHOP_DEMO_CUSTOMER);
      await page.click('#log-in-submit');
    },
    () => page.click('text=Products'),
    () => page.click('#product-rain-jacket'),
    () => page.click('text=← All products'),
    () => page.click('#product-trail-shoes'),
    async () => {
      await page.click('#add-to-cart');
      await page.click('#go-to-cart');
    },
    () => page.click('#check-out'),
    () => page.click('#place-order'),
    () => page.click('text=Keep shopping'),
  ];
  for (const step of steps) {
    await step();
    await pause();
  }
  await page.waitForFunction('window.pulse && pulse.pending() === 0');

  // Logged in: /cart/, /, two products and the list between, /cart/, shipping, done, / again.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const visits = await pulseProfile(true).then(
      (text) => (JSON.parse(text) as { lifetime: { visits: number } }).lifetime.visits,
      () => 0,
    );
    if (visits >= 9) break;
    if (Date.now() > deadline) throw new Error('the profile did not show the visits within 60s');
    await sleep(1_000);
  }
  const output = await pulseProfile(false);
  const terminal = await context.newPage();
  await terminal.setViewportSize({ width: 1100, height: 520 });
  await terminal.setContent(`<!doctype html><html><body style="margin:0;background:#1e1e1e">
    <pre style="margin:0;padding:24px 28px;color:#d4d4d4;font:15px/1.5 'DejaVu Sans Mono',monospace"><span style="color:#6a9955">$</span> npx pulse profile ${SHOP_DEMO_CUSTOMER}
${escapeHtml(output)}</pre></body></html>`);
  const height = await terminal.evaluate('document.body.scrollHeight');
  await terminal.setViewportSize({ width: 1100, height: Number(height) });
  await terminal.screenshot({ path: resolve(outputDir, 'example-shop-profile.png') });
  process.stdout.write(`${output}\n`);
} finally {
  await browser.close();
}
