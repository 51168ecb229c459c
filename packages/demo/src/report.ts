// Pure: the demo's data → one self-contained HTML page (`demo-report.html`). Charts are inline
// SVG drawn here, styles are inline, there is no script and no external URL, so the file opens
// anywhere without a network. Chart elements carry ids and data attributes that tests count.
// The page holds no wall-clock time: the same seed gives the same bytes.
import type { SignalWire } from '@pulse/contracts';
import { DAY_MS } from '@pulse/core';
import { day, explainSignal, formatSummary, type DemoSummary } from './format.ts';
import type { DailyActivity } from './scenario.ts';
import type { SegmentReport } from './segments.ts';
import type { TimelinePoint } from './timeline.ts';

export interface ReportData {
  summary: DemoSummary;
  timeline: TimelinePoint[];
  /** One lapsed customer (the founding example): their activity, hurdle and alert. */
  spotlight: {
    customerId: string;
    description: string;
    activity: DailyActivity[];
    lapse: SignalWire | null;
  };
  readyToBuy: { signal: SignalWire; description: string }[];
  /** Lapses by segment, from the traits the signals carry. */
  segments: SegmentReport;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const WIDTH = 920;
const MARGIN = { left: 56, right: 16, top: 16, bottom: 34 };
const COLORS = { active: '#3b82f6', lapsed: '#ef4444', reactivated: '#10b981' };

const fixed = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '0');

interface Scale {
  x: (ms: number) => number;
  y: (value: number) => number;
  height: number;
}

function scale(startMs: number, endMs: number, maxValue: number, height: number): Scale {
  const spanMs = Math.max(DAY_MS, endMs - startMs);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const top = Math.max(1, maxValue);
  return {
    x: (ms) => MARGIN.left + ((ms - startMs) / spanMs) * plotWidth,
    y: (value) => MARGIN.top + plotHeight - (value / top) * plotHeight,
    height,
  };
}

/** Month ticks along the bottom and a few value ticks on the left. */
function axes(s: Scale, startMs: number, endMs: number, maxValue: number): string {
  const parts: string[] = [];
  const bottom = s.height - MARGIN.bottom;
  parts.push(
    `<line class="axis" x1="${MARGIN.left}" y1="${bottom}" x2="${WIDTH - MARGIN.right}" y2="${bottom}"/>`,
  );
  const first = new Date(startMs);
  for (
    let month = Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1);
    month < endMs;
    month = Date.UTC(new Date(month).getUTCFullYear(), new Date(month).getUTCMonth() + 1, 1)
  ) {
    const x = fixed(s.x(month));
    parts.push(
      `<line class="grid" x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${bottom}"/>`,
      `<text class="tick" x="${x}" y="${bottom + 16}" text-anchor="middle">${day(month).slice(0, 7)}</text>`,
    );
  }
  const step = niceStep(maxValue);
  for (let value = 0; value <= maxValue; value += step) {
    const y = fixed(s.y(value));
    parts.push(
      `<line class="grid" x1="${MARGIN.left}" y1="${y}" x2="${WIDTH - MARGIN.right}" y2="${y}"/>`,
      `<text class="tick" x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${value}</text>`,
    );
  }
  return parts.join('');
}

function niceStep(maxValue: number): number {
  const rough = Math.max(1, maxValue / 5);
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const factor of [1, 2, 5, 10]) if (factor * power >= rough) return factor * power;
  return 10 * power;
}

/** Stacked areas of active / lapsed / reactivated customers per day. */
export function timelineSvg(points: readonly TimelinePoint[]): string {
  const height = 300;
  if (points.length === 0) {
    return `<svg id="timeline-chart" data-points="0" viewBox="0 0 ${WIDTH} ${height}"></svg>`;
  }
  const startMs = points[0]!.dayMs;
  const endMs = points[points.length - 1]!.dayMs + DAY_MS;
  const maxValue = Math.max(...points.map((p) => p.active + p.lapsed + p.reactivated));
  const s = scale(startMs, endMs, maxValue, height);
  const layers: { key: keyof typeof COLORS; below: (p: TimelinePoint) => number }[] = [
    { key: 'active', below: () => 0 },
    { key: 'reactivated', below: (p) => p.active },
    { key: 'lapsed', below: (p) => p.active + p.reactivated },
  ];
  const paths = layers.map(({ key, below }) => {
    const upper = points.map(
      (p) => `${fixed(s.x(p.dayMs + DAY_MS))},${fixed(s.y(below(p) + p[key]))}`,
    );
    const lower = [...points]
      .reverse()
      .map((p) => `${fixed(s.x(p.dayMs + DAY_MS))},${fixed(s.y(below(p)))}`);
    return `<path class="area" data-series="${key}" fill="${COLORS[key]}" d="M${upper.join('L')}L${lower.join('L')}Z"><title>${key}</title></path>`;
  });
  return (
    `<svg id="timeline-chart" role="img" aria-label="customers by status over event time" data-points="${points.length}" viewBox="0 0 ${WIDTH} ${height}">` +
    axes(s, startMs, endMs, maxValue) +
    paths.join('') +
    `</svg>`
  );
}

/** Lapsed and reactivated customers alone, as lines on their own scale (small beside "active"). */
export function episodesSvg(points: readonly TimelinePoint[]): string {
  const height = 220;
  if (points.length === 0) {
    return `<svg id="episodes-chart" data-points="0" viewBox="0 0 ${WIDTH} ${height}"></svg>`;
  }
  const startMs = points[0]!.dayMs;
  const endMs = points[points.length - 1]!.dayMs + DAY_MS;
  const maxValue = Math.max(1, ...points.map((p) => Math.max(p.lapsed, p.reactivated)));
  const s = scale(startMs, endMs, maxValue, height);
  const lines = (['lapsed', 'reactivated'] as const).map((key) => {
    const d = points
      .map(
        (p, index) =>
          `${index === 0 ? 'M' : 'L'}${fixed(s.x(p.dayMs + DAY_MS))},${fixed(s.y(p[key]))}`,
      )
      .join('');
    return `<path class="line" data-series="${key}" stroke="${COLORS[key]}" d="${d}"><title>${key}</title></path>`;
  });
  return (
    `<svg id="episodes-chart" role="img" aria-label="lapsed and reactivated customers over event time" data-points="${points.length}" viewBox="0 0 ${WIDTH} ${height}">` +
    axes(s, startMs, endMs, maxValue) +
    lines.join('') +
    `</svg>`
  );
}

/** The spotlight customer's visits per day, their hurdle after the last active day, the alert. */
export function spotlightSvg(spotlight: ReportData['spotlight']): string {
  const height = 260;
  const activity = spotlight.activity;
  if (activity.length === 0) {
    return `<svg id="lapse-chart" data-bars="0" viewBox="0 0 ${WIDTH} ${height}"></svg>`;
  }
  const startMs = activity[0]!.dayMs;
  const endMs = activity[activity.length - 1]!.dayMs + DAY_MS;
  const maxValue = Math.max(2, ...activity.map((a) => a.visits + a.purchases));
  const s = scale(startMs, endMs, maxValue, height);
  const bottom = height - MARGIN.bottom;
  const parts: string[] = [axes(s, startMs, endMs, maxValue)];

  const lapse = spotlight.lapse;
  if (lapse) {
    const evidence = lapse.evidence;
    const lastActiveMs =
      typeof evidence.lastActiveDay === 'string' ? Date.parse(evidence.lastActiveDay) : NaN;
    const hurdle = typeof evidence.hurdleDays === 'number' ? evidence.hurdleDays : NaN;
    if (Number.isFinite(lastActiveMs) && Number.isFinite(hurdle)) {
      // Silence up to the hurdle is still "their rhythm"; past it, a lapse.
      const from = s.x(lastActiveMs + DAY_MS);
      const to = s.x(lastActiveMs + DAY_MS + hurdle * DAY_MS);
      const twoWeeks = s.x(lastActiveMs + DAY_MS + 14 * DAY_MS);
      parts.push(
        `<rect id="hurdle-band" data-hurdle-days="${hurdle}" x="${fixed(from)}" y="${MARGIN.top}" width="${fixed(Math.max(1, to - from))}" height="${bottom - MARGIN.top}" fill="#fde68a"><title>hurdle: ${hurdle} days of silence are still within this customer's rhythm</title></rect>`,
        `<text class="label" x="${fixed(from - 4)}" y="${MARGIN.top + 14}" text-anchor="end">hurdle ${hurdle} d</text>`,
        `<line id="two-weeks-marker" class="marker-soft" x1="${fixed(twoWeeks)}" y1="${MARGIN.top}" x2="${fixed(twoWeeks)}" y2="${bottom}"/>`,
        `<text class="label" x="${fixed(twoWeeks + 4)}" y="${MARGIN.top + 30}">2 weeks silent</text>`,
      );
    }
  }
  for (const entry of activity) {
    if (entry.visits + entry.purchases === 0) continue;
    const x = s.x(entry.dayMs);
    const w = Math.max(1, s.x(entry.dayMs + DAY_MS) - x - 1);
    parts.push(
      `<rect class="activity-bar" data-day="${day(entry.dayMs)}" x="${fixed(x)}" y="${fixed(s.y(entry.visits))}" width="${fixed(w)}" height="${fixed(bottom - s.y(entry.visits))}" fill="${COLORS.active}"><title>${day(entry.dayMs)}: ${entry.visits} visits</title></rect>`,
    );
    if (entry.purchases > 0) {
      parts.push(
        `<circle class="purchase-dot" cx="${fixed(x + w / 2)}" cy="${fixed(s.y(entry.visits) - 6)}" r="3.5" fill="#111827"><title>${day(entry.dayMs)}: purchase</title></circle>`,
      );
    }
  }
  if (lapse) {
    const x = fixed(s.x(Date.parse(lapse.detectedAt)));
    parts.push(
      `<line id="alert-marker" class="marker" data-detected-at="${escapeHtml(lapse.detectedAt)}" x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${bottom}"/>`,
      `<text class="label alert" x="${x}" y="${MARGIN.top + 46}" dx="4">lapsed: alert on ${day(lapse.detectedAt)}</text>`,
    );
  }
  const bars = activity.filter((entry) => entry.visits + entry.purchases > 0).length;
  return (
    `<svg id="lapse-chart" role="img" aria-label="activity of ${escapeHtml(spotlight.customerId)}" data-bars="${bars}" viewBox="0 0 ${WIDTH} ${height}">` +
    parts.join('') +
    `</svg>`
  );
}

const SOURCE_COLORS = ['#ef4444', '#3b82f6', '#10b981', '#f59e0b', '#8b5cf6', '#6b7280'];

/** Share of each acquisition source's customers who have lapsed, every 4 weeks of event time. */
export function segmentSvg(segments: SegmentReport, endMs: number): string {
  const height = 240;
  const periods = segments.bySourceOverTime;
  if (periods.length === 0 || segments.sources.length === 0) {
    return `<svg id="segment-chart" data-lines="0" viewBox="0 0 ${WIDTH} ${height}"></svg>`;
  }
  const startMs = periods[0]!.fromMs;
  const percent = (rate: number) => rate * 100;
  const maxValue = Math.max(
    5,
    ...periods.flatMap((period) => Object.values(period.rates).map(percent)),
  );
  const s = scale(startMs, endMs, maxValue, height);
  const untilOf = (index: number) => Math.min(endMs, periods[index + 1]?.fromMs ?? endMs);
  const lines = segments.sources.map((source, sourceIndex) => {
    const d = periods
      .map(
        (period, index) =>
          `${index === 0 ? 'M' : 'L'}${fixed(s.x(untilOf(index)))},${fixed(s.y(percent(period.rates[source] ?? 0)))}`,
      )
      .join('');
    const color = SOURCE_COLORS[sourceIndex % SOURCE_COLORS.length]!;
    return `<path class="line segment-line" data-source="${escapeHtml(source)}" stroke="${color}" d="${d}"><title>${escapeHtml(source)}</title></path>`;
  });
  return (
    `<svg id="segment-chart" role="img" aria-label="share of customers lapsed by acquisition source over event time" data-lines="${lines.length}" viewBox="0 0 ${WIDTH} ${height}">` +
    axes(s, startMs, endMs, maxValue) +
    lines.join('') +
    `</svg>`
  );
}

function segmentLegend(segments: SegmentReport): string {
  return segments.sources
    .map(
      (source, index) =>
        `<span><i style="background:${SOURCE_COLORS[index % SOURCE_COLORS.length]}"></i>${escapeHtml(source)}</span>`,
    )
    .join('');
}

function segmentTable(segments: SegmentReport): string {
  const body = segments.rows
    .map(
      (row) =>
        `<tr data-dimension="${row.dimension}"><td>${row.dimension}</td><td>${escapeHtml(row.value)}</td><td>${row.customers}</td><td>${row.lapsedCustomers}</td><td>${(row.lapseRate * 100).toFixed(1)} %</td></tr>`,
    )
    .join('');
  return `<table id="segment-table"><thead><tr><th>by</th><th>segment</th><th>customers</th><th>lapsed</th><th>lapse rate</th></tr></thead><tbody>${body}</tbody></table>`;
}

function readyToBuyTable(rows: ReportData['readyToBuy']): string {
  if (rows.length === 0) {
    return '<p id="ready-to-buy-empty">No ready-to-buy signal in this run (runs shorter than five months have no buyer with enough purchase history).</p>';
  }
  const body = rows
    .map(
      ({ signal, description }) =>
        `<tr data-signal-id="${escapeHtml(signal.signalId)}"><td>${day(signal.detectedAt)}</td><td><code>${escapeHtml(signal.customerId)}</code><br><small>${escapeHtml(description)}</small></td>` +
        `<td>${escapeHtml(String(signal.evidence.reasons ?? ''))}</td><td>${escapeHtml(explainSignal(signal))}</td></tr>`,
    )
    .join('');
  return `<table id="ready-to-buy"><thead><tr><th>detected</th><th>customer</th><th>reasons</th><th>evidence</th></tr></thead><tbody>${body}</tbody></table>`;
}

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:960px;color:#111827;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem}
.muted{color:#6b7280}svg{width:100%;height:auto;background:#fff;border:1px solid #e5e7eb;border-radius:6px}
.axis{stroke:#374151}.grid{stroke:#f3f4f6}.tick{font-size:11px;fill:#6b7280}.label{font-size:12px;fill:#374151}
.alert{fill:#b91c1c;font-weight:600}.marker{stroke:#b91c1c;stroke-width:2}.marker-soft{stroke:#9ca3af;stroke-dasharray:4 3}
.area{opacity:.85}.line{fill:none;stroke-width:2}td:first-child{white-space:nowrap}.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e5e7eb;padding:.35rem .5rem;text-align:left;vertical-align:top}
pre{background:#f9fafb;border:1px solid #e5e7eb;border-radius:6px;padding:.8rem;overflow-x:auto;font-size:12.5px}
`;

/** The whole page. */
export function buildReport(data: ReportData): string {
  const { summary } = data;
  const lapse = data.spotlight.lapse;
  const legend = (Object.keys(COLORS) as (keyof typeof COLORS)[])
    .map((key) => `<span><i style="background:${COLORS[key]}"></i>${key}</span>`)
    .join('');
  const spotlightText = lapse
    ? `<code>${escapeHtml(data.spotlight.customerId)}</code> (${escapeHtml(data.spotlight.description)}): ${escapeHtml(explainSignal(lapse))}. ` +
      `The yellow band is the silence their own rhythm allows (the hurdle); the red line is the moment Pulse flagged them, in event time.`
    : `<code>${escapeHtml(data.spotlight.customerId)}</code> was not flagged in this run.`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pulse demo report — seed ${summary.seed}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Pulse demo report</h1>
<p class="muted">Seed ${summary.seed} · ${summary.customers.toLocaleString('en-US')} synthetic customers · event time ${day(summary.startMs)} → ${day(summary.endMs - DAY_MS)} · decisions up to ${day(summary.decidedUpToMs)} · signals fingerprint <code>${escapeHtml(summary.signalsFingerprint)}</code></p>

<h2>Customers over event time</h2>
<p class="legend">${legend}</p>
${timelineSvg(data.timeline)}
${episodesSvg(data.timeline)}
<p class="muted">From the signals on the lapse topic: a customer is lapsed from their lapse signal until a reactivation, and "reactivated" after coming back.</p>

<h2>One lapsed customer: the founding example</h2>
${spotlightSvg(data.spotlight)}
<p>${spotlightText}</p>

<section id="segments">
<h2>Lapses by segment</h2>
<p class="legend">${segmentLegend(data.segments)}</p>
${segmentSvg(data.segments, summary.decidedUpToMs)}
<p class="muted">Share of each acquisition source's customers (first seen by then) who had received a lapse signal, every four weeks of event time. The segment is the one each signal carries (its traits at the decision), as a retention system receives it.</p>
${segmentTable(data.segments)}
</section>

<h2>Ready to buy (${data.readyToBuy.length})</h2>
${readyToBuyTable(data.readyToBuy)}

<h2>Summary</h2>
<pre id="summary">${escapeHtml(formatSummary(summary))}</pre>
</body>
</html>
`;
}
