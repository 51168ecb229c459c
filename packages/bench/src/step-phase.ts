// The partition step alone: the same log's records of a few partitions run through the core's
// in-memory partition (simulatePartition: the function the profiler runs per batch, with the
// profiles kept decoded between steps, as the profiler's optional cache keeps them), with no
// Kafka, no Redis, no wire decoding (the profiler by default decodes every batch's profiles).
// What the core costs per event, steadier than a drain (no broker or Redis shares the cores),
// so a change to the core can be judged before and after on its own.
import { toDomainEvent, type PurchaseWire, type VisitWire } from '@pulse/contracts';
import {
  defaultRulesConfig,
  roundRobinPlan,
  simulatePartition,
  simulationSettings,
  DAY_MS,
  type StepRecord,
} from '@pulse/core';
import { profilerDefaults } from '@pulse/profiler';
import { partitionForKey } from '@pulse/stream';
import type { Workload } from './workload.ts';

/** Records per step: about what the profiler applies per load/commit while catching up. */
const CHUNK_RECORDS = 500;

export interface StepLogs {
  /** Per measured partition: its visit and purchase logs, in log order. */
  partitions: Map<number, Map<string, StepRecord[]>>;
  events: number;
  lastEventMs: number;
}

/** The records of `measured` partitions (of `partitions`), decoded once, off the clock. */
export function stepLogsOf(
  workload: Workload,
  partitions: number,
  measured: readonly number[],
): StepLogs {
  const logs = new Map(
    measured.map((partition) => [
      partition,
      new Map<string, StepRecord[]>([
        ['visits', []],
        ['purchases', []],
      ]),
    ]),
  );
  let events = 0;
  let lastEventMs = 0;
  for (const record of workload.records()) {
    const partitionLogs = logs.get(partitionForKey(record.key, partitions));
    if (partitionLogs === undefined) continue;
    const log = partitionLogs.get(record.kind === 'purchase' ? 'purchases' : 'visits')!;
    const wire = JSON.parse(record.value.toString('utf8')) as VisitWire | PurchaseWire;
    log.push({
      offset: String(log.length),
      key: null,
      value: null,
      verdict: { ok: true, event: toDomainEvent(wire) },
    });
    events += 1;
    lastEventMs = Math.max(lastEventMs, record.occurredAtMs);
  }
  return { partitions: logs, events, lastEventMs };
}

/** One pass of the step over the logs: events per second of step time, and signals decided. */
export function runStepPass(logs: StepLogs): {
  eventsPerSecond: number;
  signals: number;
  /** Customers the timers advanced, and how many of those advances only moved a clock. */
  timerLooks: { total: number; clockOnly: number };
} {
  const startedAt = performance.now();
  let signals = 0;
  const timerLooks = { total: 0, clockOnly: 0 };
  for (const [partition, topics] of logs.partitions) {
    const result = simulatePartition({
      rules: defaultRulesConfig,
      settings: simulationSettings(partition),
      logs: topics,
      plan: roundRobinPlan(CHUNK_RECORDS),
      nowMs: logs.lastEventMs + DAY_MS,
      maxDuePerSweep: profilerDefaults.maxDuePerSweep,
      // Decoded profiles between steps: the core alone, no profile decoding.
      roundTrip: false,
      // Chunks taken up to where the step cuts them, as the profiler takes them.
      takeReach: true,
    });
    for (const item of result.outbox) if (item.type === 'signal') signals += 1;
    timerLooks.total += result.counts.timerLooks.total;
    timerLooks.clockOnly += result.counts.timerLooks.clockOnly;
  }
  const seconds = (performance.now() - startedAt) / 1000;
  return { eventsPerSecond: logs.events / Math.max(seconds, 1e-6), signals, timerLooks };
}
