import {
  advance,
  applyEvent,
  defaultRulesConfig,
  dueTimeMs,
  type CustomerEvent,
  type Profile,
  type RulesConfig,
  type Signal,
} from '@pulse/core';
import { uniqueName, testConsumer } from './infra.ts';
import { eventsByPartition } from './profiler.ts';

export interface ReceivedSignal {
  topic: string;
  signalId: string;
  kind: string;
  customerId: string;
  detectedAt: string;
  emittedAt: string;
  evidence: Record<string, unknown>;
  rulesVersion: string;
}

/** Collects every signal published to the topics (from the beginning), as they arrive. */
export async function collectSignals(topics: string[]): Promise<ReceivedSignal[]> {
  const received: ReceivedSignal[] = [];
  const consumer = testConsumer(uniqueName('signals-reader'));
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      received.push({
        topic,
        ...(JSON.parse(String(message.value)) as Omit<ReceivedSignal, 'topic'>),
      });
    },
  });
  return received;
}

/**
 * The signal oracle: one clean pass of the core over each partition's events in event-time
 * order, firing every due timer as the stream time passes it (what the due index does), then
 * running the clock to the partition's final stream time. Returns the signals the profiler
 * should emit, by id.
 */
export function expectedSignals(
  events: Iterable<CustomerEvent>,
  partitionOf: (customerId: string) => number,
  finalStreamTimeOf: (partition: number) => number,
  rules: RulesConfig = defaultRulesConfig,
): Map<string, Signal> {
  const byPartition = eventsByPartition(events, partitionOf);
  const signals = new Map<string, Signal>();
  const record = (list: readonly Signal[]): void => {
    for (const signal of list) signals.set(signal.signalId, signal);
  };
  for (const [partition, list] of byPartition) {
    const profiles = new Map<string, Profile>();
    const fireDue = (streamTimeMs: number): void => {
      for (const [customerId, profile] of profiles) {
        const due = dueTimeMs(profile, rules);
        if (due === null || due > streamTimeMs) continue;
        const result = advance(profile, streamTimeMs, rules);
        profiles.set(customerId, result.profile);
        record(result.signals);
      }
    };
    let newestMs = Number.NEGATIVE_INFINITY;
    for (const event of list) {
      newestMs = Math.max(newestMs, event.occurredAtMs);
      const streamTimeMs = newestMs - rules.allowedLatenessMs;
      fireDue(streamTimeMs);
      const result = applyEvent(profiles.get(event.customerId), event, streamTimeMs, rules);
      profiles.set(event.customerId, result.profile);
      record(result.signals);
    }
    fireDue(finalStreamTimeOf(partition));
  }
  return signals;
}
