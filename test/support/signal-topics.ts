import type { Admin, Kafka, Producer } from 'kafkajs';
import { expect } from 'vitest';
import { signalWireSchema, type SignalWire } from '@pulse/contracts';
import { DAY_MS, type CustomerEvent } from '@pulse/core';
import type { ProfilerConfig } from '@pulse/profiler';
import { partitionKeys } from '@pulse/store';
import { toMessages, type InputTopics } from './events.ts';
import { connectedAdmin, onCleanup, testConsumer, testRedisClient, uniqueName } from './infra.ts';
import { inputEndOffsets, readCommittedOffsets } from './profiler.ts';
import { waitFor } from './wait.ts';

/**
 * Helpers for the signal tests (test/signals): create topics under names chosen beforehand,
 * produce a whole input log up front, look into the Redis outboxes, read every signal a topic
 * holds (validated against the wire contract) and compare two runs' signals.
 */

/**
 * Creates the named topics (deleted after the file) and waits until every partition has a
 * leader. Unlike createTopics' own waitForLeaders, a metadata answer of "unknown topic" right
 * after creation (seen on a busy broker) is waited out, not thrown.
 */
export async function createTopicsNamed(
  specs: { topic: string; partitions: number }[],
): Promise<void> {
  const admin = await connectedAdmin();
  const topics = specs.map((spec) => ({
    topic: spec.topic,
    numPartitions: spec.partitions,
    replicationFactor: 1,
  }));
  onCleanup(() => admin.deleteTopics({ topics: topics.map((each) => each.topic) }));
  await admin.createTopics({ topics, waitForLeaders: false });
  await waitForTopicLeaders(admin, topics);
}

/**
 * Waits until every partition of the topics just created has a leader (an "unknown topic"
 * metadata answer meanwhile is waited out, not thrown).
 */
export async function waitForTopicLeaders(
  admin: Admin,
  topics: { topic: string; numPartitions: number }[],
): Promise<void> {
  await waitFor(
    `leaders for ${topics.map((each) => each.topic).join(', ')}`,
    async () => {
      const metadata = await admin.fetchTopicMetadata({
        topics: topics.map((each) => each.topic),
      });
      const ready = topics.every((spec) => {
        const found = metadata.topics.find((topic) => topic.name === spec.topic);
        return (
          found?.partitions.length === spec.numPartitions &&
          found.partitions.every((partition) => partition.leader >= 0)
        );
      });
      return ready ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

/** Produces every event (acks=all) before any profiler runs: a log to replay, not a stream. */
export async function produceLog(
  producer: Producer,
  events: readonly CustomerEvent[],
  topics: InputTopics,
): Promise<void> {
  for (const batch of toMessages(events, topics)) {
    for (let start = 0; start < batch.messages.length; start += 2_000) {
      await producer.send({
        topic: batch.topic,
        acks: -1,
        messages: batch.messages.slice(start, start + 2_000),
      });
    }
  }
}

export interface PartitionBacklog {
  /** XLEN of `<keyPrefix>:{<namespace>:p<n>}:outbox`, per partition. */
  outbox: number[];
  /** Lapses held by the outage guard, per partition. */
  held: number[];
}

/** What each partition's outbox and held hash contain right now. */
export async function readBacklog(
  config: ProfilerConfig,
  partitions: number,
  redisUrl?: string,
): Promise<PartitionBacklog> {
  const redis = testRedisClient(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const outbox: Promise<number>[] = [];
    const held: Promise<number>[] = [];
    for (let partition = 0; partition < partitions; partition += 1) {
      const keys = partitionKeys(config.namespace, partition, config.keyPrefix);
      outbox.push(redis.xlen(keys.outbox));
      held.push(redis.hlen(keys.held));
    }
    return { outbox: await Promise.all(outbox), held: await Promise.all(held) };
  } finally {
    redis.disconnect();
  }
}

/** The signals waiting in the outboxes (XRANGE of every partition's stream), decoded. */
export async function readOutboxSignals(
  config: ProfilerConfig,
  partitions: number,
  redisUrl?: string,
): Promise<{ topic: string; signalId: string }[]> {
  const redis = testRedisClient(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const found: { topic: string; signalId: string }[] = [];
    for (let partition = 0; partition < partitions; partition += 1) {
      const keys = partitionKeys(config.namespace, partition, config.keyPrefix);
      for (const [, fields] of await redis.xrange(keys.outbox, '-', '+')) {
        // Each entry's fields are [name, payload, …]; the payload is the encoded OutboxEntry.
        for (let index = 1; index < fields.length; index += 2) {
          const entry = JSON.parse(fields[index] as string) as {
            type: string;
            topic: string;
            signal?: { signalId: string };
          };
          expect(entry.type, `outbox entry ${fields[index]}`).toBe('signal');
          found.push({ topic: entry.topic, signalId: entry.signal?.signalId ?? '' });
        }
      }
    }
    return found;
  } finally {
    redis.disconnect();
  }
}

export const total = (values: readonly number[]): number =>
  values.reduce((sum, value) => sum + value, 0);

/** partition → topic → offset, as sorted text: equal positions compare equal whatever the order. */
function positionsText(positions: Map<number, Map<string, string>>): string {
  return JSON.stringify(
    [...positions]
      .filter(([, byTopic]) => byTopic.size > 0)
      .sort(([a], [b]) => a - b)
      .map(([partition, byTopic]) => [partition, [...byTopic].sort()]),
  );
}

/** Waits until Redis's committed positions equal the log ends of every input topic-partition. */
export async function waitForInputCommitted(
  admin: Admin,
  config: ProfilerConfig,
  partitions: number,
  options: { timeoutMs?: number; failFast?: () => Error | undefined } = {},
): Promise<void> {
  const wanted = positionsText(await inputEndOffsets(admin, config));
  let positions = '';
  await waitFor(
    `${config.keyPrefix}/${config.namespace} to commit every input record`,
    async () => {
      positions = positionsText(await readCommittedOffsets(config, partitions));
      return positions === wanted ? true : undefined;
    },
    { timeoutMs: options.timeoutMs ?? 90_000, intervalMs: 250, ...options },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; input ends ${wanted}, committed ${positions}`);
  });
}

/**
 * Waits until every input record is committed and every outbox is empty: from then on (no new
 * input, no idle advance) the profiler has nothing more to say.
 */
export async function waitForSignalsSettled(
  admin: Admin,
  config: ProfilerConfig,
  partitions: number,
  options: { timeoutMs?: number; failFast?: () => Error | undefined } = {},
): Promise<void> {
  await waitForInputCommitted(admin, config, partitions, options);
  let backlog: PartitionBacklog | undefined;
  await waitFor(
    `the outboxes of ${config.keyPrefix}/${config.namespace} to be empty`,
    async () => {
      backlog = await readBacklog(config, partitions);
      return total(backlog.outbox) === 0 ? true : undefined;
    },
    { timeoutMs: options.timeoutMs ?? 90_000, intervalMs: 250, ...options },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; outboxes ${JSON.stringify(backlog?.outbox)}`);
  });
}

export interface ObservedSignal {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
  signal: SignalWire;
}

/**
 * Every record the topics hold right now (up to their current log ends), each value parsed
 * with the wire schema: a record that breaks the contract fails the test.
 */
export async function readSignals(
  admin: Admin,
  topics: readonly string[],
  kafka?: Kafka,
): Promise<ObservedSignal[]> {
  const ends = new Map<string, bigint>();
  for (const topic of topics)
    for (const entry of await admin.fetchTopicOffsets(topic))
      if (BigInt(entry.high) > BigInt(entry.low))
        ends.set(`${topic}/${entry.partition}`, BigInt(entry.high));
  if (ends.size === 0) return [];

  const observed: ObservedSignal[] = [];
  const problems: string[] = [];
  const next = new Map<string, bigint>();
  const consumer = testConsumer(uniqueName('signal-reader'), kafka);
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      next.set(`${topic}/${partition}`, BigInt(message.offset) + 1n);
      const text = message.value?.toString('utf8') ?? '';
      let parsed: ReturnType<typeof signalWireSchema.safeParse> | undefined;
      try {
        parsed = signalWireSchema.safeParse(JSON.parse(text));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        problems.push(`${topic}/${partition}@${message.offset}: ${text}`);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {}))
        headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
      observed.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? '',
        headers,
        signal: parsed.data,
      });
    },
  });
  try {
    await waitFor(
      `every record of ${topics.join(', ')} read`,
      () => ([...ends].every(([slot, end]) => (next.get(slot) ?? 0n) >= end) ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  } finally {
    await consumer.stop();
  }
  expect(problems, 'records that break the signal contract').toEqual([]);
  return observed;
}

/** Observed signals grouped by signalId (a repeat after a crash lands in the same group). */
export function bySignalId(observed: readonly ObservedSignal[]): Map<string, SignalWire[]> {
  const groups = new Map<string, SignalWire[]>();
  for (const { signal } of observed) {
    const group = groups.get(signal.signalId) ?? [];
    group.push(signal);
    groups.set(signal.signalId, group);
  }
  return groups;
}

/** Everything of a signal but the wall-clock emittedAt (which a resend legitimately changes). */
function decision(signal: SignalWire): Omit<SignalWire, 'emittedAt'> {
  const { emittedAt: _emittedAt, ...rest } = signal;
  return rest;
}

/**
 * Expects two runs over the same input to have made the same decisions: the same signal ids,
 * each with the same kind, customer, evidence, rules version and detectedAt. One difference is
 * documented by the core (packages/core/README.md, "Reactivation") and tolerated, strictly: a
 * reactivation is stamped with the time of the returning event when the lapse was already open
 * as that event was applied, and with the start of the return day when the return had been
 * recorded before the lapse came due. Which of the two happens depends on the partition's
 * stream time when the event is applied (see the report of test/signals). Tolerated only when
 * one value is the UTC start of the other's day and the other is the time of one of that
 * customer's input events. Returns the ids stamped differently.
 */
export function expectSameDecisions(
  actual: readonly SignalWire[],
  expected: readonly SignalWire[],
  events: readonly CustomerEvent[],
  label: string,
): string[] {
  const first = (list: readonly SignalWire[]) => {
    const byId = new Map<string, SignalWire>();
    for (const signal of list) if (!byId.has(signal.signalId)) byId.set(signal.signalId, signal);
    return byId;
  };
  const actualById = first(actual);
  const expectedById = first(expected);
  const sorted = (ids: Iterable<string>) => [...ids].sort();
  const missing = sorted(expectedById.keys()).filter((id) => !actualById.has(id));
  const unexpected = sorted(actualById.keys()).filter((id) => !expectedById.has(id));
  expect({ missing, unexpected }, `${label}: signal ids`).toEqual({ missing: [], unexpected: [] });

  const eventTimes = new Map<string, Set<number>>();
  for (const event of events) {
    const times = eventTimes.get(event.customerId) ?? new Set<number>();
    times.add(event.occurredAtMs);
    eventTimes.set(event.customerId, times);
  }
  const restamped: string[] = [];
  for (const [signalId, want] of expectedById) {
    const got = actualById.get(signalId) as SignalWire;
    if (got.detectedAt === want.detectedAt) {
      expect(decision(got), `${label}: ${signalId}`).toEqual(decision(want));
      continue;
    }
    expect(
      { ...decision(got), detectedAt: undefined },
      `${label}: ${signalId} (detectedAt ${got.detectedAt}, expected ${want.detectedAt})`,
    ).toEqual({ ...decision(want), detectedAt: undefined });
    const [early, late] = [Date.parse(got.detectedAt), Date.parse(want.detectedAt)].sort(
      (a, b) => a - b,
    ) as [number, number];
    const documented =
      want.kind === 'reactivated' &&
      early === Math.floor(late / DAY_MS) * DAY_MS &&
      (eventTimes.get(want.customerId)?.has(late) ?? false);
    expect(
      documented,
      `${label}: ${want.kind} ${signalId} of ${want.customerId} has detectedAt ${got.detectedAt}, expected ${want.detectedAt}`,
    ).toBe(true);
    restamped.push(signalId);
  }
  return restamped;
}

/** Count of each kind, for "the input really produced signals of every kind" checks. */
export function kindCounts(signals: Iterable<SignalWire>): Record<string, number> {
  const counts: Record<string, number> = { lapsed: 0, reactivated: 0, ready_to_buy: 0 };
  for (const signal of signals) counts[signal.kind] = (counts[signal.kind] ?? 0) + 1;
  return counts;
}
