// The report as a browser draws it: headless Chromium (Debian's `chromium`) opens a generated
// demo-report.html from disk and the charts must have drawn shapes, with no error and no
// request for anything outside the file. Without Chromium this test fails, saying how to
// install it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, renderReport } from './chromium.ts';
import { buildReport } from './report.ts';
import { coreOnlyReportData } from './report.test-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'pulse-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo-report.html in Chromium', () => {
  it('renders the timeline, the lapsed customer chart, the ready-to-buy table and the segment chart', async () => {
    const data = coreOnlyReportData();
    const file = join(dir, 'demo-report.html');
    writeFileSync(file, buildReport(data));
    const browser = await launchChromium();
    try {
      const rendered = await renderReport(browser, file);
      expect(rendered.errors).toEqual([]);
      expect(rendered.externalRequests).toEqual([]);
      expect(rendered.title).toContain('Pulse demo report');
      expect(rendered.timelineSeries.sort()).toEqual(['active', 'lapsed', 'reactivated']);
      expect(rendered.timelineAreas).toBeGreaterThanOrEqual(2);
      expect(rendered.episodeLines).toBe(2);
      expect(rendered.activityBars).toBe(
        data.spotlight.activity.filter((a) => a.visits + a.purchases > 0).length,
      );
      expect(rendered.alertMarkers).toBe(1);
      expect(rendered.hurdleBands).toBe(1);
      expect(rendered.readyToBuyRows).toBe(data.readyToBuy.length);
      expect(rendered.segmentLines).toBe(data.segments.sources.length);
      expect(rendered.segmentRows).toBe(data.segments.rows.length);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
