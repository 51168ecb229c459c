// Runs a whole log through the core's partition step — the function the live profiler runs per
// batch — as one partition of the profiler would read it: the log split into its visit and
// purchase topics (each in event-time order), read in chunks by the core's in-memory partition
// simulator (profiles, due index, held lapses and partition state kept encoded, as Redis keeps
// them), and the clock moved up to the end of the period afterwards, as the group's clock moves
// an idle partition. The population's latency statistics, their weekly hurdle table, the outage
// guard and the timers are the step's: the backtest judges exactly what the profiler runs.
import {
  DAY_MS,
  roundRobinPlan,
  simulatePartition,
  simulationSettings,
  type CustomerEvent,
  type DecisionContext,
  type FittedModel,
  type PopulationLatency,
  type Profile,
  type RulesConfig,
  type Signal,
  type StepRecord,
} from '@pulse/core';

/** The topics of the simulated partition (names only: nothing is published). */
const VISITS = 'visits';
const PURCHASES = 'purchases';
/** Records per chunk: about what the profiler commits at once when catching up. */
const CHUNK_RECORDS = 1_000;

export interface LogRunOptions {
  config: RulesConfig;
  /** The purchase model decisions use (α in days); null: none. */
  model: FittedModel | null;
  /** Events at or after this instant are not applied; the clock is run up to it at the end. */
  untilMs: number;
}

export interface EmittedSignal {
  signal: Signal;
  /** Stream time at which the run emitted it. */
  emittedAtMs: number;
}

export interface LogRunResult {
  profiles: Map<string, Profile>;
  signals: EmittedSignal[];
  population: PopulationLatency;
  /** What decisions read at the end of the run. */
  context: DecisionContext;
  streamTimeMs: number;
}

const settings = simulationSettings();

export function runLog(events: readonly CustomerEvent[], options: LogRunOptions): LogRunResult {
  const { config, untilMs } = options;
  const logs = new Map<string, StepRecord[]>([
    [VISITS, []],
    [PURCHASES, []],
  ]);
  const ordered = events
    .map((event, index) => ({ event, index }))
    .filter(({ event }) => event.occurredAtMs < untilMs)
    .sort((x, y) => x.event.occurredAtMs - y.event.occurredAtMs || x.index - y.index);
  for (const { event } of ordered) {
    const log = logs.get(event.kind === 'purchase' ? PURCHASES : VISITS)!;
    log.push({
      offset: String(log.length),
      key: null,
      value: null,
      verdict: { ok: true, event },
    });
  }
  for (const [topic, log] of [...logs]) if (log.length === 0) logs.delete(topic);

  const signals: EmittedSignal[] = [];
  const result = simulatePartition({
    rules: config,
    settings,
    logs,
    plan: roundRobinPlan(CHUNK_RECORDS),
    // The log's own time is "now": nothing in it is from the future.
    nowMs: untilMs + DAY_MS,
    finalStreamTimeMs: untilMs,
    model: options.model,
    onStep(outbox, state) {
      for (const item of outbox) {
        if (item.type === 'signal')
          signals.push({ signal: item.signal, emittedAtMs: state.streamTimeMs ?? untilMs });
      }
    },
  });
  return {
    profiles: result.profiles,
    signals,
    population: result.state.population,
    context: { population: result.state.populationHurdles, model: options.model },
    streamTimeMs: result.state.streamTimeMs ?? untilMs,
  };
}
