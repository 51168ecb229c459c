import { Partitioners } from 'kafkajs';
import { defaultRulesConfig } from '@pulse/core';
import { partitionKeys } from '@pulse/store';
import { partitionForKey } from '@pulse/stream';
import type { BenchContext } from './context.ts';
import { spawnProfiler, stopChild, waitForCommitted, type ProfilerSettings } from './drain.ts';
import { preproduce } from './produce.ts';
import { latencySummary, type LatencySummary } from './stats.ts';
import type { WireRecord } from './workload.ts';

export interface SignalDelayOptions {
  settings: ProfilerSettings;
  partitions: number;
  /** Records before this event time are the history, pre-produced and drained first. */
  liveFromMs: number;
  records: Iterable<WireRecord>;
  /** Offered rate of the live part, events per second. */
  rate: number;
}

export interface SignalDelayResult extends Partial<LatencySummary> {
  /** Signals decided by the live part (the ones measured). */
  signals: number;
  liveEvents: number;
}

interface Crossing {
  occurredAtMs: number;
  sentAt: number;
}

/**
 * Signal delay: a profiler is brought up to date on a history, then the rest of the log is
 * played live at a fixed rate. A lapse or ready-to-buy signal decided at `detectedAt` (a due
 * time, or the end of a sealed day) can be taken once the partition's stream time (newest
 * event time − allowed lateness) passes it; the clock starts when the producer sends the first
 * event of that partition new enough to move stream time there, and stops at the signal
 * record's timestamp on its topic (set by the relay's producer when it sends it).
 * Reactivations are left out: the customer's return event decides them, no timer does.
 */
export async function measureSignalDelay(
  context: BenchContext,
  options: SignalDelayOptions,
): Promise<SignalDelayResult> {
  const { settings, partitions } = options;
  const history: WireRecord[] = [];
  const live: WireRecord[] = [];
  for (const record of options.records) {
    (record.occurredAtMs < options.liveFromMs ? history : live).push(record);
  }
  await preproduce(context, settings.topics, history);
  const profiler = spawnProfiler(context, settings);
  const consumer = context.kafka.consumer({ groupId: `${settings.groupId}-signals` });
  const producer = context.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  // Newest history event time per partition: signals decidable before it are not live ones.
  const historyNewest = new Map<number, number>();
  for (const record of history) {
    const partition = partitionForKey(record.key, partitions);
    historyNewest.set(partition, Math.max(historyNewest.get(partition) ?? 0, record.occurredAtMs));
  }
  const received: {
    kind: string;
    customerId: string;
    detectedAtMs: number;
    appendedAtMs: number;
  }[] = [];
  // Wall-clock (epoch ms) send times of the live records, per partition, in event-time order.
  const crossings = new Map<number, Crossing[]>();
  try {
    await waitForCommitted(context, settings, partitions, {
      profiler,
      timeoutMs: 600_000,
      what: 'the signal-delay log',
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [settings.topics.lapseSignals, settings.topics.readyToBuySignals],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const signal = JSON.parse(message.value?.toString() ?? '{}') as {
          kind: string;
          customerId: string;
          detectedAt: string;
        };
        received.push({
          kind: signal.kind,
          customerId: signal.customerId,
          detectedAtMs: Date.parse(signal.detectedAt),
          appendedAtMs: Number(message.timestamp),
        });
      },
    });
    await producer.connect();
    const startedAt = Date.now();
    let sent = 0;
    while (sent < live.length) {
      const due = Math.min(
        live.length,
        Math.floor(((Date.now() - startedAt) / 1000) * options.rate),
      );
      if (due > sent) {
        const batch = live.slice(sent, due);
        sent = due;
        const sentAt = Date.now();
        for (const record of batch) {
          const partition = partitionForKey(record.key, partitions);
          const list = crossings.get(partition) ?? [];
          list.push({ occurredAtMs: record.occurredAtMs, sentAt });
          crossings.set(partition, list);
        }
        const visits = batch.filter((record) => record.kind === 'visit');
        const purchases = batch.filter((record) => record.kind === 'purchase');
        await producer.sendBatch({
          acks: -1,
          topicMessages: [
            { topic: settings.topics.visits, messages: visits },
            { topic: settings.topics.purchases, messages: purchases },
          ]
            .filter((entry) => entry.messages.length > 0)
            .map((entry) => ({
              topic: entry.topic,
              messages: entry.messages.map((record) => ({
                key: record.key,
                value: record.value,
                partition: partitionForKey(record.key, partitions),
              })),
            })),
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await waitForCommitted(context, settings, partitions, {
      profiler,
      timeoutMs: 600_000,
      what: 'the signal-delay log',
    });
    await waitOutboxesEmpty(context, settings, partitions);
    // The relay has produced everything; give the signal consumer the time to read it.
    const expectedRecords = await signalRecordCount(context, settings);
    const deadline = Date.now() + 60_000;
    while (received.length < expectedRecords && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (received.length < expectedRecords) {
      throw new Error(`read ${received.length} of ${expectedRecords} signal records`);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await stopChild(profiler);
  }

  const lateness = defaultRulesConfig.allowedLatenessMs;
  const delays: number[] = [];
  for (const signal of received) {
    // Reactivations are decided by the customer's return event, not by a timer on a due time.
    if (signal.kind === 'reactivated') continue;
    const partition = partitionForKey(signal.customerId, partitions);
    const threshold = signal.detectedAtMs + lateness;
    if (threshold <= (historyNewest.get(partition) ?? 0)) continue; // decided by the history
    const list = crossings.get(partition) ?? [];
    const crossing = list.find((entry) => entry.occurredAtMs >= threshold);
    if (!crossing) continue;
    delays.push(Math.max(0, signal.appendedAtMs - crossing.sentAt));
  }
  return {
    signals: delays.length,
    liveEvents: live.length,
    ...(delays.length > 0 ? latencySummary(delays) : {}),
  };
}

async function waitOutboxesEmpty(
  context: BenchContext,
  settings: ProfilerSettings,
  partitions: number,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const reads: Promise<number>[] = [];
    for (let partition = 0; partition < partitions; partition += 1) {
      reads.push(
        context.redis.xlen(partitionKeys(settings.namespace, partition, settings.keyPrefix).outbox),
      );
    }
    const lengths = await Promise.all(reads);
    if (lengths.every((length) => length === 0)) return;
    if (Date.now() > deadline) throw new Error('the relay did not empty the outboxes');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function signalRecordCount(
  context: BenchContext,
  settings: ProfilerSettings,
): Promise<number> {
  let count = 0;
  for (const topic of [settings.topics.lapseSignals, settings.topics.readyToBuySignals]) {
    for (const { high, low } of await context.admin.fetchTopicOffsets(topic)) {
      count += Number(high) - Number(low);
    }
  }
  return count;
}
