// Test support (not exported from the package): partition logs and step settings shared by the
// partition step's tests.
import { mulberry32 } from '@pulse/test-kit';
import { defaultRulesConfig as rules } from '../config.ts';
import type { CustomerEvent, Signal } from '../events.ts';
import { DAY_MS } from '../time.ts';
import { defaultGuardSettings } from './guard.ts';
import { randomChunkPlan, simulatePartition, type SimulationResult } from './simulator.ts';
import type { StepRecord, StepSettings } from './step.ts';

export const VISITS = 'visits';
export const PURCHASES = 'purchases';
/** The traits input: outside the clock (step.ts). */
export const TRAITS = 'traits';

/** Live topics; the storm guard out of reach (tests that want it set their own thresholds). */
export const propertySettings: StepSettings = {
  partition: 0,
  routing: {
    signalMode: 'outbox',
    lapseTopic: 'lapse',
    readyToBuyTopic: 'ready',
    deadLetterTopic: 'dlq',
  },
  guard: { ...defaultGuardSettings, stormMinLapses: 1_000_000 },
  traitsTopic: TRAITS,
};

/** Each topic's log: its events delayed by less than the lateness, plus a few bad records. */
export function logsOf(
  events: readonly CustomerEvent[],
  shuffleSeed: number,
  badRecords = 0,
): Map<string, StepRecord[]> {
  const random = mulberry32(shuffleSeed);
  const logs = new Map<string, StepRecord[]>([
    [VISITS, []],
    [PURCHASES, []],
  ]);
  const ordered = events
    .map((event, index) => ({
      event,
      index,
      releaseMs: event.occurredAtMs + Math.floor(random() * rules.allowedLatenessMs * 0.9),
    }))
    .sort((a, b) => a.releaseMs - b.releaseMs || a.index - b.index);
  for (const { event } of ordered) {
    const log = logs.get(event.kind === 'visit' ? VISITS : PURCHASES)!;
    log.push({
      offset: String(log.length),
      key: null,
      value: null,
      verdict: { ok: true, event },
    });
    if (badRecords > 0 && random() < 0.01) {
      badRecords -= 1;
      log.push({
        offset: String(log.length),
        key: null,
        value: new Uint8Array([1, 2, 3]),
        verdict: { ok: false, kind: 'not-json', message: 'not JSON' },
      });
    }
  }
  return logs;
}

/** A partition log read in chunks of up to 50 records, caught up at the end. */
export function runPartitionLog(
  events: readonly CustomerEvent[],
  options: { settings?: StepSettings; finalStreamTimeMs?: number; shuffleSeed?: number } = {},
): SimulationResult {
  const lastMs = Math.max(...events.map((event) => event.occurredAtMs));
  return simulatePartition({
    rules,
    settings: options.settings ?? propertySettings,
    logs: logsOf(events, options.shuffleSeed ?? 1),
    plan: randomChunkPlan(mulberry32(7), 50),
    nowMs: lastMs + 30 * DAY_MS,
    ...(options.finalStreamTimeMs !== undefined
      ? { finalStreamTimeMs: options.finalStreamTimeMs }
      : {}),
  });
}

/** Published signals of a kind, in publish order. */
export function published(result: SimulationResult, kind: Signal['kind']): Signal[] {
  return result.outbox.flatMap((item) =>
    item.type === 'signal' && item.signal.kind === kind ? [item.signal] : [],
  );
}
