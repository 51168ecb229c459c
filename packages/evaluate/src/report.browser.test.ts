// The evaluation report as a browser draws it: headless Chromium (Debian's `chromium`, or
// PULSE_CHROMIUM_PATH) opens a generated report from disk; the ROC curves and calibration points
// must have drawn shapes, with no error and no request for anything outside the file.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultRulesConfig } from '@pulse/core';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateLog } from './evaluate.ts';
import { buildReport } from './report.ts';
import { syntheticVisitPopulation } from './synthetic.ts';

const CHROMIUM_PATH = process.env.PULSE_CHROMIUM_PATH ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'pulse-evaluate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('evaluation report in Chromium', () => {
  it('draws a ROC curve per predictor and the calibration points, self-contained', async () => {
    expect(existsSync(CHROMIUM_PATH), `Chromium missing at ${CHROMIUM_PATH}`).toBe(true);
    const population = syntheticVisitPopulation({ seed: 3, customersPerGroup: 20 });
    const result = evaluateLog({
      purchases: [],
      visits: population.visits,
      cutoff: population.cutoff,
      holdoutEnd: population.holdoutEnd,
      naiveDays: 30,
      config: defaultRulesConfig,
    });
    const file = join(dir, 'report.html');
    writeFileSync(file, buildReport(result));
    const url = pathToFileURL(file).href;
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--no-sandbox', '--headless', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const external: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await page.route('**/*', async (route) => {
        if (route.request().url() === url) return route.continue();
        external.push(route.request().url());
        return route.abort();
      });
      await page.goto(url, { waitUntil: 'load' });
      const drawn = (selector: string) =>
        page.$$eval(selector, (elements) =>
          elements
            .filter((element) => {
              const box = (
                element as unknown as { getBBox(): { width: number; height: number } }
              ).getBBox();
              return box.width > 0 || box.height > 0;
            })
            .map((element) => element.getAttribute('data-predictor')),
        );
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      expect((await drawn('#roc-chart path.roc-curve')).sort()).toEqual([
        'bgnbd',
        'mbgnbd',
        'naive',
        'pulse',
      ]);
      const points = await drawn('#calibration-chart circle.calibration-point');
      expect(points.length).toBe(
        result.curves.calibration.bgnbd.length + result.curves.calibration.mbgnbd.length,
      );
      expect(await page.$$eval('#figures tbody tr', (rows) => rows.length)).toBe(4);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
