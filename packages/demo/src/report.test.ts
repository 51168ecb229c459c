import { describe, expect, it } from 'vitest';
import { buildReport, escapeHtml, spotlightSvg, timelineSvg } from './report.ts';
import { coreOnlyReportData } from './report.test-support.ts';

const data = coreOnlyReportData();

describe('buildReport', () => {
  it('has what the issue asks for, and the data to draw it', () => {
    // The fixture is a real run of the rules: the founding example lapsed, buyers were pushed.
    expect(data.spotlight.lapse).not.toBeNull();
    expect(data.readyToBuy.length).toBeGreaterThan(0);
    const html = buildReport(data);
    expect(html).toContain('<svg id="timeline-chart"');
    expect(html).toContain('<svg id="lapse-chart"');
    expect(html).toContain('<svg id="episodes-chart"');
    expect(html).toContain('id="alert-marker"');
    expect(html).toContain('id="hurdle-band"');
    expect(html).toContain('<table id="ready-to-buy"');
    expect(html.match(/<tr data-signal-id=/g)).toHaveLength(data.readyToBuy.length);
    expect(html).toContain(data.summary.signalsFingerprint);
  });

  it('is self-contained: no external URL, no script', () => {
    const html = buildReport(data);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
  });

  it('is the same page for the same data (no wall clock in it)', () => {
    expect(buildReport(coreOnlyReportData())).toBe(buildReport(data));
  });

  it('escapes what it prints', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
    const html = buildReport({
      ...data,
      spotlight: { ...data.spotlight, customerId: '<script>alert(1)</script>' },
    });
    expect(html).not.toContain('<script>alert(1)</script>');
  });
});

describe('timelineSvg', () => {
  it('draws one stacked area per status over the days', () => {
    const svg = timelineSvg(data.timeline);
    expect(svg.match(/<path class="area" data-series="(\w+)"/g)).toHaveLength(3);
    expect(svg).toContain(`data-points="${data.timeline.length}"`);
    for (const series of ['active', 'lapsed', 'reactivated']) {
      expect(svg).toContain(`data-series="${series}"`);
    }
  });

  it('draws an empty chart for no data', () => {
    expect(timelineSvg([])).toContain('data-points="0"');
  });
});

describe('spotlightSvg', () => {
  it('draws one bar per active day, the hurdle band after the last one and the alert', () => {
    const svg = spotlightSvg(data.spotlight);
    const activeDays = data.spotlight.activity.filter((a) => a.visits + a.purchases > 0).length;
    expect(svg.match(/class="activity-bar"/g)).toHaveLength(activeDays);
    expect(svg).toContain(`data-hurdle-days="${data.spotlight.lapse!.evidence.hurdleDays}"`);
    expect(svg).toContain(`data-detected-at="${data.spotlight.lapse!.detectedAt}"`);
  });

  it('draws no alert for a customer who was not flagged', () => {
    const svg = spotlightSvg({ ...data.spotlight, lapse: null });
    expect(svg).not.toContain('alert-marker');
    expect(svg).not.toContain('hurdle-band');
  });
});
