/*
 * One oversized record never blocks a partition. Dead letters and signals leave a partition
 * through its Redis outbox, in order; a record the broker refuses in that queue would hold back
 * everything behind it, forever (the relay re-sent the whole slice on every tick). That is what
 * happened with two 2 MB values and a 1,000,000-element array (gzip lets them onto the input
 * topic): their dead letters carried the whole value, larger than the broker's
 * message.max.bytes, and no later dead letter or signal of that partition ever left. Also at
 * risk: many near-limit dead letters whose sum, sent as one request, the broker refuses.
 *
 * Both cases put the hostile records first on one partition, then a whole log of good events
 * with signals, then one more bad record on that partition; they pass only when every outbox
 * drains (a wait, not a timing), the partition's later dead letter and its signals are on their
 * topics, and each oversized record's dead letter carries a bounded prefix, the original size
 * and SHA-256. The second case gives the dead-letter topic a 20,000-byte max.message.bytes, so
 * one dead letter is refused even alone: it must be moved aside (kind `undeliverable`), counted,
 * and the 40 dead letters behind it — together far over the limit — must go out in pieces.
 */
import { createHash } from 'node:crypto';
import { CompressionTypes, type Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, DLQ_MAX_VALUE_BYTES } from '@pulse/contracts';
import type { CustomerEvent } from '@pulse/core';
import type { Profiler, ProfilerConfig } from '@pulse/profiler';
import { partitionForKey } from '@pulse/stream';
import { generatePopulation } from '@pulse/test-kit';
import { collectRecords, type ReadRecord } from '../support/dead-letters.ts';
import { connectedAdmin, connectedProducer } from '../support/infra.ts';
import {
  createProfilerTopics,
  startTestProfiler,
  testProfilerConfig,
  type ProfilerTopics,
} from '../support/profiler.ts';
import { produceLog, readSignals, waitForSignalsSettled } from '../support/signal-topics.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
const MIB = 1024 * 1024;
const HOUR_MS = 3_600_000;

interface Produced {
  topic: string;
  partition: number;
  offset: string;
  value: Buffer;
}

async function produceOne(
  producer: Producer,
  topic: string,
  key: string,
  value: Buffer,
): Promise<Produced> {
  // gzip: the broker checks the compressed batch against its limit, so a 2 MB value of
  // repetitive bytes gets onto the input topic, as it would from any compressing producer.
  const [metadata] = await producer.send({
    topic,
    acks: -1,
    compression: CompressionTypes.GZIP,
    messages: [{ key, value }],
  });
  return {
    topic,
    partition: metadata?.partition as number,
    offset: metadata?.baseOffset as string,
    value,
  };
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function deadLetterOf(records: ReadRecord[], origin: Produced): ReadRecord | undefined {
  return records.find(
    (record) =>
      record.headers[DLQ_HEADERS.sourceTopic] === origin.topic &&
      record.headers[DLQ_HEADERS.sourcePartition] === String(origin.partition) &&
      record.headers[DLQ_HEADERS.sourceOffset] === origin.offset,
  );
}

/**
 * Hostile records first on the partition of one customer, then a log with signals, then one
 * more bad record there. Runs a profiler until every outbox is empty; checks the signals.
 */
async function scenario(
  topics: ProfilerTopics,
  hostile: (producer: Producer, customerId: string) => Promise<Produced[]>,
): Promise<{
  config: ProfilerConfig;
  profiler: Profiler;
  target: number;
  origins: Produced[];
  last: Produced;
  deadLetters: ReadRecord[];
}> {
  // No outage guard and no wall-clock idling on a preloaded log: every decided signal is sent.
  const config = testProfilerConfig(topics, { idleAfterMs: 600_000 });
  const events: CustomerEvent[] = [
    ...generatePopulation({
      customers: 200,
      startMs: Date.UTC(2026, 0, 1),
      durationDays: 120,
      seed: 61,
      lapseShare: 0.6,
      returnShare: 0.5,
      shuffleWithinMs: 6 * HOUR_MS,
    }).events(),
  ];
  const victim = (events[0] as CustomerEvent).customerId;
  const target = partitionForKey(victim, PARTITIONS);
  const producer = await connectedProducer();
  const origins = await hostile(producer, victim);
  for (const origin of origins) expect(origin.partition, 'hostile record partition').toBe(target);
  await produceLog(producer, events, topics);
  const last = await produceOne(producer, topics.visits, victim, Buffer.from([0xff, 0x00, 0x2a]));
  expect(last.partition).toBe(target);

  const deadLetters = await collectRecords([topics.deadLetter]);
  const admin = await connectedAdmin();
  const profiler = await startTestProfiler(config);
  // Before the fix, the target partition's outbox never drained: this wait timed out.
  await waitForSignalsSettled(admin, config, PARTITIONS, { timeoutMs: 60_000 });

  const decided =
    (await profiler.metrics.registry.getSingleMetric('pulse_signals_total')?.get())?.values ?? [];
  const decidedCount = decided.reduce((sum, sample) => sum + sample.value, 0);
  const delivered = await readSignals(admin, [topics.lapse, topics.readyToBuy]);
  const ids = new Set(delivered.map((observed) => observed.signal.signalId));
  expect(ids.size, 'signal ids on the topics = signals decided').toBe(decidedCount);
  const ofTarget = delivered.filter(
    (observed) => partitionForKey(observed.signal.customerId, PARTITIONS) === target,
  );
  expect(ofTarget.length, `signals of partition ${target}`).toBeGreaterThan(0);
  await waitFor(
    'the last bad record of the partition on the dead-letter topic',
    () => deadLetterOf(deadLetters, last),
    { timeoutMs: 30_000 },
  );
  return { config, profiler, target, origins, last, deadLetters };
}

describe('oversized records', () => {
  it("never block a partition: its later signals and dead letters arrive; each dead letter is a bounded prefix with the original's size and SHA-256", async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    const { origins, deadLetters, last, profiler } = await scenario(
      topics,
      async (producer, customerId) => {
        const visit = (eventId: string, filler: string) =>
          Buffer.from(
            JSON.stringify({
              eventId,
              customerId,
              occurredAt: '2026-01-01T08:00:00.000Z',
              page: filler.repeat(2 * MIB),
            }),
          );
        return [
          await produceOne(producer, topics.visits, customerId, visit('big-1', 'a')),
          await produceOne(producer, topics.visits, customerId, visit('big-2', 'b')),
          await produceOne(
            producer,
            topics.purchases,
            customerId,
            Buffer.from(JSON.stringify(new Array(1_000_000).fill(0))),
          ),
        ];
      },
    );
    expect(deadLetters).toHaveLength(origins.length + 1);
    for (const origin of origins) {
      const where = `${origin.topic}/${origin.partition}/${origin.offset}`;
      const record = deadLetterOf(deadLetters, origin);
      expect(record, `dead letter of ${where}`).toBeDefined();
      expect(record?.headers[DLQ_HEADERS.errorKind], where).toBe('oversized');
      expect(origin.value.length, where).toBeGreaterThanOrEqual(2_000_000);
      expect(record?.value?.length, where).toBe(DLQ_MAX_VALUE_BYTES);
      expect(record?.value?.equals(origin.value.subarray(0, DLQ_MAX_VALUE_BYTES)), where).toBe(
        true,
      );
      expect(record?.headers[DLQ_HEADERS.originalValueBytes], where).toBe(
        String(origin.value.length),
      );
      expect(record?.headers[DLQ_HEADERS.originalValueSha256], where).toBe(sha256(origin.value));
    }
    const tail = deadLetterOf(deadLetters, last);
    expect(tail?.headers[DLQ_HEADERS.errorKind]).toBe('not-json');
    expect(tail?.value).toEqual(last.value);
    // Bounded at the source: nothing had to be moved aside.
    const undeliverable = await profiler.metrics.registry
      .getSingleMetric('pulse_outbox_undeliverable_total')
      ?.get();
    expect(undeliverable?.values ?? []).toEqual([]);
  });

  it('moves a dead letter the broker refuses even alone aside as undeliverable, and sends the 40 behind it in pieces', async () => {
    const limitBytes = 20_000;
    const topics = await createProfilerTopics(PARTITIONS, {
      deadLetterConfigs: { 'max.message.bytes': String(limitBytes) },
    });
    const notJson = (bytes: number, fill: number) => {
      const value = Buffer.alloc(bytes, fill);
      value[0] = 0xff;
      return value;
    };
    const { origins, deadLetters, target, profiler } = await scenario(
      topics,
      async (producer, customerId) => {
        // Within the event size limit (copied whole into its dead letter), over the DLQ's.
        const refused = await produceOne(producer, topics.visits, customerId, notJson(30_000, 1));
        const behind: Produced[] = [];
        for (let index = 0; index < 40; index += 1)
          behind.push(
            await produceOne(producer, topics.purchases, customerId, notJson(15_000, 2 + index)),
          );
        return [refused, ...behind];
      },
    );
    const [refused, ...behind] = origins as [Produced, ...Produced[]];
    expect(deadLetters).toHaveLength(origins.length + 1);

    const aside = deadLetters.find(
      (record) => record.headers[DLQ_HEADERS.errorKind] === 'undeliverable',
    );
    expect(aside, 'the moved-aside dead letter').toBeDefined();
    expect(aside?.headers).toMatchObject({
      [DLQ_HEADERS.sourceTopic]: topics.deadLetter,
      [DLQ_HEADERS.sourcePartition]: String(target),
      [DLQ_HEADERS.originalValueBytes]: String(refused.value.length),
      [DLQ_HEADERS.originalValueSha256]: sha256(refused.value),
    });
    const refusedHeaders = JSON.parse(aside?.headers['pulse-refused-headers'] ?? '{}') as Record<
      string,
      string
    >;
    expect(refusedHeaders).toMatchObject({
      [DLQ_HEADERS.errorKind]: 'not-json',
      [DLQ_HEADERS.sourceTopic]: refused.topic,
      [DLQ_HEADERS.sourceOffset]: refused.offset,
    });
    const prefix = aside?.value as Buffer;
    expect(prefix.length).toBeGreaterThan(0);
    expect(prefix.length).toBeLessThan(limitBytes);
    expect(prefix.equals(refused.value.subarray(0, prefix.length))).toBe(true);

    for (const origin of behind) {
      const record = deadLetterOf(deadLetters, origin);
      expect(record?.headers[DLQ_HEADERS.errorKind], origin.offset).toBe('not-json');
      expect(record?.value?.equals(origin.value), origin.offset).toBe(true);
    }
    const undeliverable = await profiler.metrics.registry
      .getSingleMetric('pulse_outbox_undeliverable_total')
      ?.get();
    expect(undeliverable?.values).toEqual([{ labels: { topic: topics.deadLetter }, value: 1 }]);
  });
});
