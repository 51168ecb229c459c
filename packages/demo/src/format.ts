// What the demo prints, as pure functions of the data: one line per signal for a person, the
// progress line, and the summary table. No I/O here (demo.ts writes the strings).
import type { SignalWire } from '@pulse/contracts';
import { DAY_MS } from '@pulse/core';
import type { CustomerKind } from './scenario.ts';

const KIND_LABEL: Record<CustomerKind, string> = {
  daily: 'daily visitor',
  weekly: 'weekly visitor',
  monthly: 'monthly visitor',
  irregular: 'irregular visitor',
  'founding-example': 'daily visitor',
  'accelerating-buyer': 'buyer, 30-day cycle',
};

export function describeCustomerKind(kind: CustomerKind | undefined): string {
  return kind === undefined ? 'customer' : KIND_LABEL[kind];
}

/** 2025-03-14 from an ISO timestamp or ms. */
export function day(value: string | number): string {
  return new Date(value).toISOString().slice(0, 10);
}

function num(value: unknown, digits = 1): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '?';
}

function whole(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(Math.round(value)) : '?';
}

const plural = (count: number, one: string, many = `${one}s`) =>
  `${count} ${count === 1 ? one : many}`;

/** Why a signal fired, in words, with the numbers from its evidence. */
export function explainSignal(signal: SignalWire): string {
  const e = signal.evidence;
  switch (signal.kind) {
    case 'lapsed':
      return (
        `usually active every ${num(e.usualLatencyDays)} d (±${num(e.latencySpreadDays)}), ` +
        `silent ${whole(e.daysSilent)} d since ${String(e.lastActiveDay ?? '?')} — ` +
        `past their own hurdle of ${num(e.hurdleDays)} d (episode ${whole(e.episode)})`
      );
    case 'reactivated':
      return (
        `back after ${whole(e.daysSilent)} silent days` +
        (typeof e.lapsedAtMs === 'number' ? ` (lapsed since ${day(e.lapsedAtMs)})` : '') +
        `; usual gap ${num(e.usualLatencyDays)} d`
      );
    case 'ready_to_buy': {
      const reasons: string[] = [];
      if (e.visitAcceleration === true) {
        reasons.push(
          `visits speeding up: ${whole(e.activeDaysLast7)} active days in the last 7` +
            (typeof e.baselineWeeklyActiveDays === 'number'
              ? ` vs ${num(e.baselineWeeklyActiveDays)}/week before`
              : '') +
            (typeof e.recentGapDays === 'number'
              ? `, recent gap ${num(e.recentGapDays)} d vs usual ${num(e.usualLatencyDays)} d`
              : ''),
        );
      }
      if (e.repurchaseWindow === true) {
        reasons.push(
          `in the repurchase window: ${whole(e.daysSinceLastPurchase)} d since the last purchase, ` +
            `usually every ${num(e.usualPurchaseGapDays)} d`,
        );
      }
      return reasons.join('; ') || String(e.reasons ?? '');
    }
  }
}

const SIGNAL_TAG: Record<SignalWire['kind'], string> = {
  lapsed: 'LAPSED      ',
  reactivated: 'REACTIVATED ',
  ready_to_buy: 'READY TO BUY',
};

/** One line for a person: when (event time), what, who, why. */
export function formatSignalLine(
  signal: SignalWire,
  kind: CustomerKind | undefined,
  note?: string,
): string {
  return (
    `${day(signal.detectedAt)}  ${SIGNAL_TAG[signal.kind]}  ${signal.customerId} ` +
    `(${describeCustomerKind(kind)}): ${explainSignal(signal)}` +
    (note ? `  ← ${note}` : '')
  );
}

/** The note printed beside the founding example's lapse: how quickly it was flagged. */
export function foundingExampleNote(signal: SignalWire): string {
  const silent = typeof signal.evidence.daysSilent === 'number' ? signal.evidence.daysSilent : NaN;
  return (
    `the founding example: a daily visitor gone silent, flagged after ${plural(silent, 'day')} ` +
    `(${silent < 14 ? 'within' : 'NOT within'} two weeks)`
  );
}

export interface ProgressFigures {
  /** Day of the period the playback has sent (1-based) and the period's length. */
  dayPlayed: number;
  days: number;
  /** Newest event time the profiler has applied on every partition (null: not yet). */
  appliedUpToMs: number | null;
  eventsSent: number;
  eventsApplied: number;
  eventsPerSecond: number;
  signals: Record<SignalWire['kind'], number>;
  deadLetters: number;
  elapsedMs: number;
}

export function formatProgress(progress: ProgressFigures, columns = 120): string {
  const line =
    `day ${progress.dayPlayed}/${progress.days}` +
    ` · event time ${progress.appliedUpToMs === null ? '—' : day(progress.appliedUpToMs)}` +
    ` · ${progress.eventsApplied.toLocaleString('en-US')}/${progress.eventsSent.toLocaleString('en-US')} events applied` +
    ` · ${Math.round(progress.eventsPerSecond).toLocaleString('en-US')}/s` +
    ` · lapsed ${progress.signals.lapsed} · reactivated ${progress.signals.reactivated}` +
    ` · ready to buy ${progress.signals.ready_to_buy} · DLQ ${progress.deadLetters}` +
    ` · ${Math.round(progress.elapsedMs / 1000)}s`;
  return line.length < columns ? line : `${line.slice(0, Math.max(20, columns - 2))}…`;
}

export interface DemoSummary {
  seed: number;
  customers: number;
  startMs: number;
  endMs: number;
  /** The stream time every partition ended at: decisions are taken up to here. */
  decidedUpToMs: number;
  events: { total: number; viaCollector: number; direct: number };
  /** Customers by status at the end, from their profiles in Redis (derived by @pulse/core). */
  statuses: {
    active: number;
    lapsed: number;
    unknown: number;
    cameBack: number;
    lateEvents: number;
  };
  signals: Record<SignalWire['kind'], number>;
  deadLetters: { total: number; byKind: Record<string, number> };
  collectorRejected: number;
  /** SHA-256 over the signals (ids, kinds, customers, detectedAt, evidence): same seed, same value. */
  signalsFingerprint: string;
  foundingExample: { flagged: boolean; daysSilent: number | null; detectedAt: string | null };
}

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}

/** The end-of-run summary table. */
export function formatSummary(summary: DemoSummary): string {
  const dlqKinds = Object.entries(summary.deadLetters.byKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  const days = Math.round((summary.endMs - summary.startMs) / DAY_MS);
  return [
    `Summary (seed ${summary.seed}; ${summary.customers.toLocaleString('en-US')} customers; ` +
      `${day(summary.startMs)} → ${day(summary.endMs - DAY_MS)}, ${days} days of event time; ` +
      `decided up to ${day(summary.decidedUpToMs)})`,
    '',
    'customers by status',
    table([
      ['active', `${summary.statuses.active} (of whom ${summary.statuses.cameBack} came back)`],
      ['lapsed', String(summary.statuses.lapsed)],
      ['no rhythm yet', String(summary.statuses.unknown)],
    ]),
    '',
    'signals by kind',
    table([
      ['lapsed', String(summary.signals.lapsed)],
      ['reactivated', String(summary.signals.reactivated)],
      ['ready to buy', String(summary.signals.ready_to_buy)],
    ]),
    '',
    'input',
    table([
      [
        'events',
        `${summary.events.total.toLocaleString('en-US')} (${summary.events.viaCollector.toLocaleString('en-US')} through the collector's HTTP API, ${summary.events.direct.toLocaleString('en-US')} straight to Kafka)`,
      ],
      ['dead letters', `${summary.deadLetters.total}${dlqKinds ? ` (${dlqKinds})` : ''}`],
      ['collector rejected', String(summary.collectorRejected)],
      ['applied late', String(summary.statuses.lateEvents)],
    ]),
    '',
    summary.foundingExample.flagged
      ? `founding example: flagged on ${day(summary.foundingExample.detectedAt!)} after ${summary.foundingExample.daysSilent} silent days`
      : 'founding example: NOT flagged',
    `signals fingerprint: ${summary.signalsFingerprint} (same seed → same value)`,
  ].join('\n');
}
