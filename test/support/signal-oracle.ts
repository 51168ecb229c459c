import { defaultRulesConfig, type CustomerEvent, type RulesConfig, type Signal } from '@pulse/core';
import { cleanPass } from './clean-pass.ts';
import { uniqueName, testConsumer } from './infra.ts';

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
 * The signal oracle: each partition's events in one clean pass through the core's partition step
 * (see clean-pass.ts), the clock then run to the partition's final stream time. Returns every
 * signal the profiler should decide, by id.
 */
export function expectedSignals(
  events: Iterable<CustomerEvent>,
  partitionOf: (customerId: string) => number,
  finalStreamTimeOf: (partition: number) => number,
  rules: RulesConfig = defaultRulesConfig,
): Map<string, Signal> {
  const signals = new Map<string, Signal>();
  for (const pass of cleanPass(events, partitionOf, finalStreamTimeOf, rules).values())
    for (const signal of pass.signals) signals.set(signal.signalId, signal);
  return signals;
}
