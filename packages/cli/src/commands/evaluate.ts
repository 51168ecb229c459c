import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { CustomerEvent } from '@pulse/core';
import {
  buildReport,
  evaluateLog,
  parseLog,
  syntheticFigures,
  syntheticVisitPopulation,
  type EvaluationResult,
} from '@pulse/evaluate';
import { loadRules } from './state-access.ts';
import { examples, paragraphs } from '../help-text.ts';

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError('expected an ISO date, YYYY-MM-DD');
  }
  return value;
}

function wholeNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new InvalidArgumentError('expected a whole number >= 1');
  return parsed;
}

interface EvaluateCommandOptions {
  purchases?: string;
  visits?: string;
  cutoff?: string;
  holdoutEnd?: string;
  naiveDays: number;
  rules?: string;
  json?: string;
  report?: string;
  syntheticVisits?: boolean;
  seed: number;
}

const three = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : '—');

function summary(result: EvaluationResult): string {
  const lines = [
    `customers ${result.customers}, gone in the holdout ${three(result.goneShare)}, judged by Pulse ${result.judged} (${three(result.judgedShare)})`,
    `lapse rule ${result.lapseRule}, rules ${result.rulesVersion}`,
    'predictor  judged  precision  recall  F1     accuracy  AUC',
  ];
  for (const [name, f] of Object.entries(result.predictors)) {
    lines.push(
      `${name.padEnd(10)} ${three(f.judgedShare)}   ${three(f.precision)}      ${three(f.recall)}   ${three(f.f1)}  ${three(f.accuracy)}     ${three(f.auc)}`,
    );
  }
  const pulse = result.predictors.pulse;
  lines.push(
    `Pulse lapse alerts during calibration: ${pulse.lapseAlerts}, followed by activity within 180 days: ${three(pulse.falseAlarmShare180d)}`,
    `Pulse ready-to-buy signals during calibration: ${pulse.readyToBuySignals}`,
  );
  for (const name of ['bgnbd', 'mbgnbd'] as const) {
    const m = result.models[name];
    lines.push(
      `${name} (weeks): r=${m.r.toFixed(3)} alpha=${m.alpha.toFixed(3)} a=${m.a.toFixed(3)} b=${m.b.toFixed(3)} LL=${m.logLikelihood.toFixed(1)}`,
    );
  }
  const { bestRecencyRule: rule, lookup } = result.ceilings;
  lines.push(
    `ceilings of this log (fitted on the holdout itself, so optimistic): best N-day rule N=${rule.days} F1 ${three(rule.f1)}; ` +
      `recency × frequency lookup (${lookup.groups} groups) AUC ${three(lookup.auc)}`,
  );
  return `${lines.join('\n')}\n`;
}

export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .summary('backtest the rules on a log and its holdout')
    .description(
      paragraphs(
        'Runs the calibration part of a log (up to --cutoff) through the same core the ' +
          "profiler runs, in event-time order, and reads every customer's state at the end of " +
          'the cut-off day. A customer is "gone" when they have no activity between the ' +
          'cut-off and --holdout-end.',
        "For each predictor — Pulse's lapse state (with its risk score's AUC), the naive " +
          'N-day rule, and BG/NBD and MBG/NBD P(alive) < 0.5 fitted on the calibration period ' +
          '— it prints, and writes as JSON, the share judged, the confusion matrix, precision, ' +
          "recall, F1, accuracy and ROC AUC; the share of Pulse's lapse alerts during " +
          'calibration that were followed by activity within 180 days; the fitted ' +
          'parameters with their log-likelihood; and the ceilings of the log itself: the ' +
          'best F1 any N-day rule reaches, and the AUC of a lookup of the gone share by ' +
          'recency and frequency, both fitted on the holdout (no real predictor does better).',
        'The CSV files need a header naming at least customerId and occurredAt (ISO date or ' +
          'date-time) and, for purchases, amount (decimal, major units) or amountMinor. ' +
          '--synthetic-visits instead evaluates a seeded synthetic visit population (regular ' +
          'and memoryless visitors, 40 % of whom stop for good) and adds figures only a known ' +
          'truth gives.',
      ),
    )
    .addHelpText(
      'after',
      examples(
        'npx pulse evaluate --purchases purchases.csv --cutoff 1997-09-30 \\\n' +
          '--holdout-end 1998-06-30 --json evaluation.json --report evaluation.html',
        'npx pulse evaluate --synthetic-visits',
      ),
    )
    .option('--purchases <file>', 'purchase log (CSV)')
    .option('--visits <file>', 'visit log (CSV)')
    .option('--cutoff <date>', 'last day of the calibration period (YYYY-MM-DD)', isoDate)
    .option('--holdout-end <date>', 'last day of the holdout period (YYYY-MM-DD)', isoDate)
    .option('--naive-days <n>', "the naive rule's N: gone after N silent days", wholeNumber, 90)
    .option('--rules <file>', 'JSON rule parameters (default: PULSE_RULES_FILE, else the defaults)')
    .option('--json <file>', 'write the figures as JSON')
    .option('--report <file>', 'write a self-contained HTML report (ROC curves, calibration)')
    .option('--synthetic-visits', 'evaluate a seeded synthetic visit population instead of files')
    .option('--seed <n>', 'seed of the synthetic population', wholeNumber, 42)
    .action((options: EvaluateCommandOptions) => {
      const config = loadRules(options.rules);
      let purchases: CustomerEvent[] = [];
      let visits: CustomerEvent[] = [];
      let cutoff = options.cutoff;
      let holdoutEnd = options.holdoutEnd;
      const synthetic = options.syntheticVisits
        ? syntheticVisitPopulation({ seed: options.seed })
        : null;
      if (synthetic) {
        visits = synthetic.visits;
        cutoff ??= synthetic.cutoff;
        holdoutEnd ??= synthetic.holdoutEnd;
      } else {
        if (!options.purchases && !options.visits) {
          throw new Error('give --purchases and/or --visits (or --synthetic-visits)');
        }
        if (options.purchases) {
          purchases = parseLog(
            readFileSync(options.purchases, 'utf8'),
            'purchase',
            options.purchases,
          );
        }
        if (options.visits) {
          visits = parseLog(readFileSync(options.visits, 'utf8'), 'visit', options.visits);
        }
      }
      if (!cutoff || !holdoutEnd) throw new Error('--cutoff and --holdout-end are required');
      const result = evaluateLog({
        purchases,
        visits,
        cutoff,
        holdoutEnd,
        naiveDays: options.naiveDays,
        config,
      });
      const { signals, ...figures } = result;
      const extra = synthetic ? { synthetic: syntheticFigures(synthetic, signals ?? []) } : {};
      process.stdout.write(summary(result));
      if (synthetic) {
        const s = extra.synthetic!;
        process.stdout.write(
          `synthetic: lapse alerts ${s.lapseAlerts}, followed by a return ${three(s.followedByReturnShare)}; ` +
            `regular churners flagged after a median of ${three(s.churnerDelayInGaps.regular ?? Number.NaN)} usual gaps ` +
            `(${Object.entries(s.churnerDelayInGaps)
              .map(([group, gaps]) => `${group} ${three(gaps ?? Number.NaN)}`)
              .join(', ')})\n`,
        );
      }
      if (options.json) {
        writeFileSync(options.json, `${JSON.stringify({ ...figures, ...extra }, null, 2)}\n`);
      }
      if (options.report) writeFileSync(options.report, buildReport(result));
    });
}
