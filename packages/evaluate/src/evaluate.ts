// The backtest: run a log's calibration period through the core as the profiler would, read
// every customer's state at the cut-off, and score it against what the holdout period shows
// ("gone" = no activity in the holdout), beside the naive "N days silent" rule and the BG/NBD and
// MBG/NBD models fitted on the calibration period.
import {
  dayOf,
  fitPurchaseModel,
  groupHistories,
  lapsePlanAsOf,
  probabilityAlive,
  riskScore,
  rulesVersion,
  DAY_MS,
  type CustomerEvent,
  type CustomerHistory,
  type FittedModel,
  type ModelFit,
  type PurchaseModelKind,
  type RulesConfig,
} from '@pulse/core';
import { ceilingsOf, type Ceilings } from './ceilings.ts';
import { runLog, type EmittedSignal } from './log-runner.ts';
import {
  calibration,
  classify,
  rocAuc,
  rocCurve,
  type CalibrationBin,
  type Classification,
  type RocPoint,
} from './metrics.ts';

const WEEK_DAYS = 7;
/** A lapse alert "followed by activity" within this many days counts as a false alarm. */
export const FALSE_ALARM_WINDOW_DAYS = 180;

export interface EvaluateOptions {
  purchases: readonly CustomerEvent[];
  visits: readonly CustomerEvent[];
  /** Last day of the calibration period (ISO date, UTC). */
  cutoff: string;
  /** Last day of the holdout period (ISO date, UTC). */
  holdoutEnd: string;
  /** The naive rule's N: gone when silent for at least N days. */
  naiveDays: number;
  config: RulesConfig;
}

export interface PredictorFigures extends Classification {
  /** Share of customers the predictor gives a verdict for (the others count as "not gone"). */
  judgedShare: number;
  /** Of its continuous score (Pulse: the risk score), NaN when the truth has one class only. */
  auc: number;
}

export interface PulseFigures extends PredictorFigures {
  /** Share of the lapse alerts emitted during calibration followed by activity within 180 days. */
  falseAlarmShare180d: number;
  lapseAlerts: number;
  /** Ready-to-buy signals emitted during calibration. */
  readyToBuySignals: number;
}

export interface FittedParameters {
  r: number;
  alpha: number;
  a: number;
  b: number;
  logLikelihood: number;
  timeUnit: 'week';
  customers: number;
  converged: boolean;
}

export interface EvaluationResult {
  /** The lapse / ready-to-buy signals the run emitted (not serialised by the CLI). */
  signals?: EmittedSignal[];
  customers: number;
  judged: number;
  judgedShare: number;
  /** Share of customers with no activity in the holdout. */
  goneShare: number;
  cutoff: string;
  holdoutEnd: string;
  rulesVersion: string;
  lapseRule: RulesConfig['lapseRule'];
  predictors: {
    pulse: PulseFigures;
    naive: PredictorFigures & { days: number };
    bgnbd: PredictorFigures;
    mbgnbd: PredictorFigures;
  };
  models: { bgnbd: FittedParameters; mbgnbd: FittedParameters };
  /** What the log itself allows (fitted on the holdout, so optimistic): see ceilings.ts. */
  ceilings: Ceilings;
  curves: {
    roc: Record<'pulse' | 'naive' | 'bgnbd' | 'mbgnbd', RocPoint[]>;
    /** P(alive) at the cut-off against the share that came back in the holdout. */
    calibration: Record<'bgnbd' | 'mbgnbd', CalibrationBin[]>;
  };
}

function dayFromIso(text: string, what: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
    throw new Error(`${what} must be an ISO date (YYYY-MM-DD), got "${text}"`);
  }
  return dayOf(Date.parse(`${text}T00:00:00Z`));
}

/** Distinct active days per customer, ascending, up to and including `lastDay`. */
function activeDaysByCustomer(events: readonly CustomerEvent[], lastDay: number) {
  const days = new Map<string, Set<number>>();
  for (const event of events) {
    const day = dayOf(event.occurredAtMs);
    if (day > lastDay) continue;
    let set = days.get(event.customerId);
    if (!set) days.set(event.customerId, (set = new Set()));
    set.add(day);
  }
  return new Map([...days].map(([id, set]) => [id, [...set].sort((a, b) => a - b)]));
}

/** The paper's (x, tx, T) in weeks: T runs to the start of the cut-off day. */
function historyInWeeks(days: readonly number[], cutoffDay: number): CustomerHistory {
  const first = days[0]!;
  return {
    x: days.length - 1,
    tx: (days[days.length - 1]! - first) / WEEK_DAYS,
    T: (cutoffDay - first) / WEEK_DAYS,
  };
}

function parametersOf(fit: ModelFit): FittedParameters {
  const { r, alpha, a, b } = fit.parameters;
  return {
    r,
    alpha,
    a,
    b,
    logLikelihood: fit.logLikelihood,
    timeUnit: 'week',
    customers: fit.customers,
    converged: fit.converged,
  };
}

export function evaluateLog(options: EvaluateOptions): EvaluationResult {
  const { config } = options;
  const cutoffDay = dayFromIso(options.cutoff, '--cutoff');
  const holdoutEndDay = dayFromIso(options.holdoutEnd, '--holdout-end');
  if (holdoutEndDay <= cutoffDay) throw new Error('--holdout-end must be after --cutoff');
  const calibrationEndMs = (cutoffDay + 1) * DAY_MS;
  const all = [...options.purchases, ...options.visits];

  const calibrationDays = activeDaysByCustomer(all, cutoffDay);
  const customerIds = [...calibrationDays.keys()].sort();
  const laterDays = activeDaysByCustomer(all, holdoutEndDay);
  const gone = customerIds.map(
    (id) => !(laterDays.get(id) ?? []).some((day) => day > cutoffDay && day <= holdoutEndDay),
  );

  // The models, fitted on the calibration period (the paper's unit: weeks).
  const histories = customerIds.map((id) => historyInWeeks(calibrationDays.get(id)!, cutoffDay));
  const grouped = groupHistories(histories);
  const fits = {
    bgnbd: fitPurchaseModel('bgnbd', grouped),
    mbgnbd: fitPurchaseModel('mbgnbd', grouped),
  } satisfies Record<PurchaseModelKind, ModelFit>;

  // Pulse: the calibration log through the core, judged at the end of the cut-off day. The
  // variant's parameters (α in days) stand for a `pulse model fit` run on the same data.
  const model: FittedModel = {
    version: `mbgnbd-${options.cutoff}`,
    parameters: { ...fits.mbgnbd.parameters, alpha: fits.mbgnbd.parameters.alpha * WEEK_DAYS },
  };
  const run = runLog(all, { config, model, untilMs: calibrationEndMs });
  const lapsed: boolean[] = [];
  const judgedFlags: boolean[] = [];
  const risk: number[] = [];
  for (const id of customerIds) {
    const profile = run.profiles.get(id)!;
    const isLapsed = profile.openEpisodeSinceMs !== null;
    const lastDay = profile.activeDays[profile.activeDays.length - 1]!;
    lapsed.push(isLapsed);
    judgedFlags.push(isLapsed || lapsePlanAsOf(profile, lastDay, config, run.context) !== null);
    risk.push(riskScore(profile, cutoffDay, config, run.context) ?? 0);
  }
  const judged = judgedFlags.filter(Boolean).length;
  const falseAlarms = falseAlarmShare(run.signals, calibrationEndMs, all);

  // The naive rule and the models' P(alive) < 0.5.
  const recencyDays = customerIds.map((id) => cutoffDay - calibrationDays.get(id)!.at(-1)!);
  const alive = (kind: PurchaseModelKind) =>
    histories.map((history) => probabilityAlive(fits[kind].parameters, history));
  const aliveBg = alive('bgnbd');
  const aliveMbg = alive('mbgnbd');

  const figures = (predicted: boolean[], score: number[], judgedShare = 1): PredictorFigures => ({
    ...classify(predicted, gone),
    judgedShare,
    auc: rocAuc(score, gone),
  });
  const negate = (values: number[]) => values.map((value) => 1 - value);
  const returned = gone.map((isGone) => !isGone);

  return {
    signals: run.signals,
    customers: customerIds.length,
    judged,
    judgedShare: judged / Math.max(1, customerIds.length),
    goneShare: gone.filter(Boolean).length / Math.max(1, gone.length),
    cutoff: options.cutoff,
    holdoutEnd: options.holdoutEnd,
    rulesVersion: rulesVersion(config),
    lapseRule: config.lapseRule,
    predictors: {
      pulse: {
        ...figures(lapsed, risk, judged / Math.max(1, customerIds.length)),
        falseAlarmShare180d: falseAlarms.share,
        lapseAlerts: falseAlarms.alerts,
        readyToBuySignals: run.signals.filter(({ signal }) => signal.kind === 'ready_to_buy')
          .length,
      },
      naive: {
        ...figures(
          recencyDays.map((days) => days >= options.naiveDays),
          recencyDays,
        ),
        days: options.naiveDays,
      },
      bgnbd: figures(
        aliveBg.map((p) => p < 0.5),
        negate(aliveBg),
      ),
      mbgnbd: figures(
        aliveMbg.map((p) => p < 0.5),
        negate(aliveMbg),
      ),
    },
    models: { bgnbd: parametersOf(fits.bgnbd), mbgnbd: parametersOf(fits.mbgnbd) },
    ceilings: ceilingsOf({
      recencyDays,
      repeatDays: histories.map((history) => history.x),
      gone,
    }),
    curves: {
      roc: {
        pulse: rocCurve(risk, gone),
        naive: rocCurve(recencyDays, gone),
        bgnbd: rocCurve(negate(aliveBg), gone),
        mbgnbd: rocCurve(negate(aliveMbg), gone),
      },
      calibration: {
        bgnbd: calibration(aliveBg, returned),
        mbgnbd: calibration(aliveMbg, returned),
      },
    },
  };
}

/**
 * Of the lapse alerts detected before `beforeMs`, the share followed by activity of the same
 * customer within FALSE_ALARM_WINDOW_DAYS (looking into the whole log, holdout included).
 */
export function falseAlarmShare(
  signals: readonly EmittedSignal[],
  beforeMs: number,
  events: readonly CustomerEvent[],
): { share: number; alerts: number; followed: number } {
  const activity = new Map<string, number[]>();
  for (const event of events) {
    let list = activity.get(event.customerId);
    if (!list) activity.set(event.customerId, (list = []));
    list.push(event.occurredAtMs);
  }
  let alerts = 0;
  let followed = 0;
  for (const { signal } of signals) {
    if (signal.kind !== 'lapsed' || signal.detectedAtMs >= beforeMs) continue;
    alerts += 1;
    const until = signal.detectedAtMs + FALSE_ALARM_WINDOW_DAYS * DAY_MS;
    const times = activity.get(signal.customerId) ?? [];
    if (times.some((at) => at >= signal.detectedAtMs && at < until)) followed += 1;
  }
  return { share: alerts === 0 ? 0 : followed / alerts, alerts, followed };
}
