// Headless Chromium (Debian's `chromium` package) driven by playwright-core, for the browser
// tests (the report, the tracker in the example shop) and the screenshots under docs/.
// Development only: the demo itself never imports this file.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PULSE_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The browser's path; throws, saying how to install it, when it is missing. */
export function requireChromium(): string {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: the browser tests need it. ` +
        'Install it with `sudo apt-get update && sudo apt-get install -y chromium` (Debian/Ubuntu), ' +
        'or point PULSE_CHROMIUM_PATH at a Chromium binary.',
    );
  }
  return CHROMIUM_PATH;
}

/**
 * Headless, no sandbox (containers and CI users lack the namespaces it needs), and none of the
 * browser's own background traffic (updates, sync, first-run pages): the only requests are the
 * test's.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
}

export interface RenderedReport {
  title: string;
  /** Stacked areas of the timeline chart with a non-empty drawn box. */
  timelineAreas: number;
  timelineSeries: string[];
  /** Lines of the lapsed / reactivated chart with a non-empty drawn box. */
  episodeLines: number;
  /** Activity bars of the lapsed customer's chart with a non-empty drawn box. */
  activityBars: number;
  alertMarkers: number;
  hurdleBands: number;
  readyToBuyRows: number;
  /** Lines of the lapse-rate-by-source chart with a non-empty drawn box. */
  segmentLines: number;
  segmentRows: number;
  /** Console errors and page errors while loading. */
  errors: string[];
  /** Requests for anything but the file itself (there must be none). */
  externalRequests: string[];
}

/** Opens the report from disk and measures what the browser actually drew. */
export async function renderReport(
  browser: Browser,
  file: string,
  screenshotPath?: string,
  segmentsScreenshotPath?: string,
): Promise<RenderedReport> {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  const externalRequests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.route('**/*', async (route) => {
    const requested = route.request().url();
    if (requested === url) return route.continue();
    externalRequests.push(requested);
    return route.abort();
  });
  try {
    await page.goto(url, { waitUntil: 'load' });
    const drawn = (selector: string) =>
      page.$$eval(
        selector,
        (elements) =>
          elements.filter((element) => {
            const box = (
              element as unknown as { getBBox(): { width: number; height: number } }
            ).getBBox();
            return box.width > 0 && box.height > 0;
          }).length,
      );
    const result: RenderedReport = {
      title: await page.title(),
      timelineAreas: await drawn('#timeline-chart path.area'),
      timelineSeries: await page.$$eval('#timeline-chart path.area', (paths) =>
        paths.map((path) => path.getAttribute('data-series') ?? ''),
      ),
      episodeLines: await drawn('#episodes-chart path.line'),
      activityBars: await drawn('#lapse-chart rect.activity-bar'),
      alertMarkers: await page.$$eval('#lapse-chart #alert-marker', (lines) => lines.length),
      hurdleBands: await drawn('#lapse-chart #hurdle-band'),
      readyToBuyRows: await page.$$eval('#ready-to-buy tbody tr', (rows) => rows.length),
      segmentLines: await drawn('#segment-chart path.segment-line'),
      segmentRows: await page.$$eval('#segment-table tbody tr', (rows) => rows.length),
      errors,
      externalRequests,
    };
    if (screenshotPath) await page.screenshot({ path: screenshotPath, fullPage: true });
    if (segmentsScreenshotPath) {
      await page.locator('#segments').screenshot({ path: segmentsScreenshotPath });
    }
    return result;
  } finally {
    await page.close();
  }
}
