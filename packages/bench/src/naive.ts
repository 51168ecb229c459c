import {
  applyEvent,
  decodeProfile,
  defaultRulesConfig,
  encodeProfile,
  newProfile,
  type Profile,
} from '@pulse/core';
import { createEventDecoder } from '@pulse/contracts';
import type { BenchContext, TopicNames } from './context.ts';

export interface NaiveOptions {
  topics: TopicNames;
  keyPrefix: string;
  /** Stop after this long, or earlier when the log is consumed. */
  maxSeconds: number;
  events: number;
}

export interface NaiveResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

/**
 * The profiler a developer writes first, for comparison: kafkajs `eachMessage`, and per event
 * one Redis read-modify-write (GET the profile, apply the same core logic, SET it back), with
 * no batching and no script. Offsets are auto-committed by the client. It keeps no due index,
 * outbox or positions, so it does less than Pulse per event.
 */
export async function runNaive(context: BenchContext, options: NaiveOptions): Promise<NaiveResult> {
  const consumer = context.kafka.consumer({ groupId: `${options.keyPrefix}-naive` });
  const decoder = createEventDecoder();
  const rules = defaultRulesConfig;
  const streamTime = new Map<string, number>();
  let processed = 0;
  let startedAt: number | undefined;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  await consumer.connect();
  await consumer.subscribe({
    topics: [options.topics.visits, options.topics.purchases],
    fromBeginning: true,
  });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      startedAt ??= performance.now();
      const decoded = await decoder.decode(
        topic === options.topics.visits ? 'visit' : 'purchase',
        message.value,
      );
      if (decoded.ok) {
        const key = `${options.keyPrefix}:naive:${decoded.event.customerId}`;
        const stored = await context.redis.getBuffer(key);
        const profile: Profile = stored
          ? decodeProfile(stored)
          : newProfile(decoded.event.customerId);
        const clockKey = String(partition);
        const now = Math.max(
          streamTime.get(clockKey) ?? 0,
          decoded.event.occurredAtMs - rules.allowedLatenessMs,
        );
        streamTime.set(clockKey, now);
        const applied = applyEvent(profile, decoded.event, now, rules);
        await context.redis.set(key, Buffer.from(encodeProfile(applied.profile)));
      }
      processed += 1;
      const elapsed = (performance.now() - startedAt) / 1000;
      if (processed >= options.events || elapsed >= options.maxSeconds) finished();
    },
  });
  const guard = setTimeout(finished, (options.maxSeconds + 60) * 1000);
  await done;
  clearTimeout(guard);
  const seconds = (performance.now() - (startedAt ?? performance.now())) / 1000;
  const events = processed;
  await consumer.disconnect();
  return { events, seconds, eventsPerSecond: events / Math.max(seconds, 0.001) };
}
