// Pure: an evaluation → one self-contained HTML page. Inline SVG charts (ROC curves of every
// predictor, P(alive) against the observed return rate), inline styles, no script and no
// external URL, so the file opens anywhere without a network. Chart elements carry ids, classes
// and data attributes that the browser test counts.
import type { EvaluationResult, PredictorFigures } from './evaluate.ts';
import type { CalibrationBin, RocPoint } from './metrics.ts';

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const SIZE = 360;
const MARGIN = 40;
const PLOT = SIZE - 2 * MARGIN;
const COLORS: Record<string, string> = {
  pulse: '#2563eb',
  naive: '#6b7280',
  bgnbd: '#dc2626',
  mbgnbd: '#16a34a',
};
const fixed = (value: number) => value.toFixed(1);
const x = (share: number) => fixed(MARGIN + share * PLOT);
const y = (share: number) => fixed(MARGIN + (1 - share) * PLOT);

function frame(xLabel: string, yLabel: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (tick) =>
        `<line class="grid" x1="${x(tick)}" y1="${y(0)}" x2="${x(tick)}" y2="${y(1)}"/>` +
        `<line class="grid" x1="${x(0)}" y1="${y(tick)}" x2="${x(1)}" y2="${y(tick)}"/>` +
        `<text class="tick" x="${x(tick)}" y="${SIZE - MARGIN + 14}" text-anchor="middle">${tick}</text>` +
        `<text class="tick" x="${MARGIN - 6}" y="${y(tick)}" text-anchor="end" dominant-baseline="middle">${tick}</text>`,
    )
    .join('');
  return (
    ticks +
    `<line class="diagonal" x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}"/>` +
    `<text class="label" x="${SIZE / 2}" y="${SIZE - 6}" text-anchor="middle">${xLabel}</text>` +
    `<text class="label" transform="translate(12 ${SIZE / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>`
  );
}

/** At most ~400 points per curve: enough for the eye, small file. */
function thin(points: readonly RocPoint[]): RocPoint[] {
  const step = Math.max(1, Math.floor(points.length / 400));
  return points.filter((_, index) => index % step === 0 || index === points.length - 1);
}

function rocChart(curves: Record<string, RocPoint[]>, figures: Record<string, PredictorFigures>) {
  const paths = Object.entries(curves)
    .map(([name, points]) => {
      const d = thin(points)
        .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.falsePositiveRate)},${y(p.truePositiveRate)}`)
        .join('');
      return `<path class="roc-curve" data-predictor="${name}" d="${d}" stroke="${COLORS[name] ?? '#000'}"/>`;
    })
    .join('');
  const legend = Object.keys(curves)
    .map(
      (name, index) =>
        `<text class="legend" x="${x(0.55)}" y="${fixed(MARGIN + PLOT * 0.62 + index * 16)}" fill="${COLORS[name] ?? '#000'}">${escapeHtml(name)} AUC ${figures[name]!.auc.toFixed(3)}</text>`,
    )
    .join('');
  return `<svg id="roc-chart" width="${SIZE}" height="${SIZE}" role="img" aria-label="ROC curves">${frame('false positive rate', 'true positive rate')}${paths}${legend}</svg>`;
}

function calibrationChart(bins: Record<string, CalibrationBin[]>) {
  const points = Object.entries(bins)
    .map(([name, list]) =>
      list
        .map(
          (bin) =>
            `<circle class="calibration-point" data-predictor="${name}" cx="${x(bin.predicted)}" cy="${y(bin.observed)}" r="${fixed(2 + Math.sqrt(bin.customers) / 3)}" fill="${COLORS[name] ?? '#000'}"><title>${escapeHtml(name)}: predicted ${bin.predicted.toFixed(2)}, observed ${bin.observed.toFixed(2)}, ${bin.customers} customers</title></circle>`,
        )
        .join(''),
    )
    .join('');
  return `<svg id="calibration-chart" width="${SIZE}" height="${SIZE}" role="img" aria-label="calibration">${frame('P(alive) at the cut-off', 'share active in the holdout')}${points}</svg>`;
}

const percent = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : '—');

export function buildReport(result: EvaluationResult, title = 'Pulse evaluation'): string {
  const figures = result.predictors as unknown as Record<string, PredictorFigures>;
  const rows = Object.entries(figures)
    .map(([name, f]) => {
      const c = f.confusion;
      return `<tr data-predictor="${name}"><th>${escapeHtml(name)}</th><td>${percent(f.judgedShare)}</td><td>${c.truePositives} / ${c.falsePositives} / ${c.falseNegatives} / ${c.trueNegatives}</td><td>${percent(f.precision)}</td><td>${percent(f.recall)}</td><td>${percent(f.f1)}</td><td>${percent(f.accuracy)}</td><td>${percent(f.auc)}</td></tr>`;
    })
    .join('');
  const model = (name: 'bgnbd' | 'mbgnbd') => {
    const m = result.models[name];
    return `<tr><th>${name}</th><td>${m.r.toFixed(3)}</td><td>${m.alpha.toFixed(3)}</td><td>${m.a.toFixed(3)}</td><td>${m.b.toFixed(3)}</td><td>${m.logLikelihood.toFixed(1)}</td></tr>`;
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111;max-width:980px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:right}
th:first-child{text-align:left}.charts{display:flex;gap:24px;flex-wrap:wrap}
.grid{stroke:#e5e7eb}.diagonal{stroke:#9ca3af;stroke-dasharray:4 4}.tick,.label,.legend{font-size:11px}
.roc-curve{fill:none;stroke-width:2}.calibration-point{fill-opacity:.7}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>Calibration up to ${escapeHtml(result.cutoff)}, holdout to ${escapeHtml(result.holdoutEnd)}: ${result.customers} customers, ${percent(result.goneShare)} of them without activity in the holdout ("gone"). Pulse judged ${result.judged} (${percent(result.judgedShare)}); lapse rule <code>${escapeHtml(result.lapseRule)}</code>, rules ${escapeHtml(result.rulesVersion)}. Of Pulse's ${result.predictors.pulse.lapseAlerts} lapse alerts during calibration, ${percent(result.predictors.pulse.falseAlarmShare180d)} were followed by activity within 180 days.</p>
<h2>Predictors of "gone" at the cut-off</h2>
<table id="figures"><thead><tr><th>predictor</th><th>judged</th><th>TP / FP / FN / TN</th><th>precision</th><th>recall</th><th>F1</th><th>accuracy</th><th>AUC</th></tr></thead><tbody>${rows}</tbody></table>
<p>pulse: the open lapse episode (AUC of Pulse's risk score); naive: no activity in the last ${result.predictors.naive.days} days (AUC of recency); bgnbd, mbgnbd: P(alive) &lt; 0.5 (AUC of 1 − P(alive)).</p>
<div class="charts">${rocChart(result.curves.roc, figures)}${calibrationChart(result.curves.calibration)}</div>
<h2>Models fitted on the calibration period (time unit: week)</h2>
<table id="models"><thead><tr><th>model</th><th>r</th><th>α</th><th>a</th><th>b</th><th>log-likelihood</th></tr></thead><tbody>${model('bgnbd')}${model('mbgnbd')}</tbody></table>
</body></html>
`;
}
