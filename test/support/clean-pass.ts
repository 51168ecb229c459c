// The oracle's engine (the way Kafka's exactly-once system test recomputes expected results from
// the input log): each partition's events, in event-time order, through the core's partition step
// in memory — no Kafka, no Redis, no crashes — with the clock then run to the partition's final
// stream time. The step is the profiler's own decision function (population table included), so
// what the oracle checks is that Kafka, Redis, batches, crashes and restarts changed nothing.
import {
  advance,
  defaultGuardSettings,
  defaultRulesConfig,
  roundRobinPlan,
  simulatePartition,
  type CustomerEvent,
  type DecisionContext,
  type PopulationHurdles,
  type Profile,
  type RulesConfig,
  type Signal,
  type StepRecord,
  type TraitsEvent,
} from '@pulse/core';

export interface CleanPartition {
  profiles: Map<string, Profile>;
  /** Every signal the partition decided (the outage and storm guards left out). */
  signals: Signal[];
  populationHurdles: PopulationHurdles | null;
}

/** Each partition's events in event-time order: the input of a clean single pass. */
export function eventsByPartition(
  events: Iterable<CustomerEvent>,
  partitionOf: (customerId: string) => number,
): Map<number, CustomerEvent[]> {
  const byPartition = new Map<number, CustomerEvent[]>();
  for (const event of events) {
    const partition = partitionOf(event.customerId);
    const list = byPartition.get(partition) ?? [];
    list.push(event);
    byPartition.set(partition, list);
  }
  for (const list of byPartition.values()) list.sort((a, b) => a.occurredAtMs - b.occurredAtMs);
  return byPartition;
}

export function cleanPass(
  events: Iterable<CustomerEvent>,
  partitionOf: (customerId: string) => number,
  finalStreamTimeOf: (partition: number) => number,
  rules: RulesConfig = defaultRulesConfig,
  /** pulse.traits statements, read as a third input (outside the clock) in event-time order. */
  traits: readonly TraitsEvent[] = [],
): Map<number, CleanPartition> {
  const result = new Map<number, CleanPartition>();
  for (const [partition, list] of eventsByPartition(events, partitionOf)) {
    const logs = new Map<string, StepRecord[]>([
      ['visits', []],
      ['purchases', []],
    ]);
    if (traits.length > 0) {
      const statements = traits
        .filter((statement) => partitionOf(statement.customerId) === partition)
        .sort((a, b) => a.occurredAtMs - b.occurredAtMs);
      logs.set(
        'traits',
        statements.map((event, offset) => ({
          offset: String(offset),
          key: null,
          value: null,
          verdict: { ok: true, event },
        })),
      );
    }
    for (const event of list) {
      const log = logs.get(event.kind === 'purchase' ? 'purchases' : 'visits')!;
      log.push({
        offset: String(log.length),
        key: null,
        value: null,
        verdict: { ok: true, event },
      });
    }
    const signals: Signal[] = [];
    const run = simulatePartition({
      rules,
      settings: {
        partition,
        routing: {
          signalMode: 'outbox',
          lapseTopic: 'lapse',
          readyToBuyTopic: 'ready',
          deadLetterTopic: 'dead-letter',
        },
        ...(traits.length > 0 ? { traitsTopic: 'traits' } : {}),
        // Every decided signal, none held: the oracle states decisions, not their delivery.
        guard: {
          ...defaultGuardSettings,
          outageSilenceProbability: Number.MIN_VALUE,
          stormMinLapses: Number.MAX_SAFE_INTEGER,
        },
      },
      logs,
      plan: roundRobinPlan(1_000),
      nowMs: Date.now(),
      finalStreamTimeMs: finalStreamTimeOf(partition),
      onStep(outbox) {
        for (const item of outbox) if (item.type === 'signal') signals.push(item.signal);
      },
    });
    result.set(partition, {
      profiles: run.profiles,
      signals,
      populationHurdles: run.state.populationHurdles,
    });
  }
  return result;
}

/**
 * Brings a profile to a stream time with what the partition's decisions read there, so profiles
 * touched at different moments compare.
 */
export function settled(
  profile: Profile,
  streamTimeMs: number,
  rules: RulesConfig = defaultRulesConfig,
  context: DecisionContext = {},
): Profile {
  return advance(profile, streamTimeMs, rules, context).profile;
}
