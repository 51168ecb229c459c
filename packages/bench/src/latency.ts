import { Producer as LightProducer } from '@platformatic/kafka';
import { Partitioners } from 'kafkajs';
import { partitionForKey } from '@pulse/stream';
import {
  committedOffsets,
  spawnProfiler,
  stopChild,
  waitForCommitted,
  type ProfilerSettings,
} from './drain.ts';
import type { BenchContext } from './context.ts';
import { latencySummary, type LatencySummary } from './stats.ts';
import { processCpuSeconds } from './machine-cpu.ts';
import type { CustomerEvent } from '@pulse/core';
import { mulberry32, randomInt } from '@pulse/test-kit';
import { DEFAULT_START_MS, wireJson, type WireRecord } from './workload.ts';

function liveEvent(
  customerId: string,
  eventId: string,
  occurredAtMs: number,
  purchase: boolean,
): CustomerEvent {
  return purchase
    ? {
        kind: 'purchase',
        eventId,
        customerId,
        occurredAtMs,
        orderId: `o-${eventId}`,
        amountMinor: 2_500 + (occurredAtMs % 7_500),
        currency: 'EUR',
      }
    : { kind: 'visit', eventId, customerId, occurredAtMs };
}

export interface LatencyOptions {
  /** Offered rate, events per second. */
  rate: number;
  /** Length of the measured window. */
  seconds: number;
  /**
   * Seconds at the offered rate before the measured window: a profiler just started compiles
   * its hot path and grows its heap under the first load (the start, reported on its own).
   */
  warmupSeconds: number;
  partitions: number;
  settings: ProfilerSettings;
  /** Live traffic: events of this many customers, event time moving with the wall clock. */
  customers: number;
  seed: number;
}

export interface LatencyResult extends LatencySummary {
  /** Send → broker acknowledgement (acks=all), part of the produce → committed latency. */
  produceAck: LatencySummary;
  /** The warm-up at the offered rate: the first seconds of a profiler under load. */
  start: LatencySummary;
  offeredRate: number;
  /** Events the producer managed to send per second (below the offered rate if it fell behind). */
  achievedRate: number;
  /**
   * CPU the benchmark's own process spent per event sent in the window, µs: the load generator
   * (event JSON, produce requests) and the reader of committed positions, which share the cores
   * with the profiler, the broker and Redis (undefined when no event was sent).
   */
  harnessCpuUsPerEvent: number | undefined;
  /**
   * CPU the profiler process spent (user + system, all its threads) per event sent in the
   * measured window, µs: what a live event costs when every batch's profiles are read from
   * Redis (undefined where /proc cannot be read).
   */
  profilerCpuUsPerEvent: number | undefined;
}

/** How often the load generator starts a produce request. */
const SEND_INTERVAL_MS = 10;

interface Pending {
  offset: number;
  sentAt: number;
  /** Sent during the warm-up at the rate (not in the measured window). */
  warm: boolean;
}

/**
 * Produce → committed latency at a fixed offered rate: a profiler runs caught up on fresh
 * topics; the producer sends what the rate allows every 10 ms (acks=all) and notes each
 * record's send time and, from the broker's answer, its offset; a reader polls the positions
 * the profiler commits to Redis (together with the profiles) every 5 ms and stamps each record
 * when its partition's position passes it. The first `warmupSeconds` at the rate are the
 * profiler's start (its JIT compiles the hot path, its heap grows to the load): measured, and
 * reported apart from the window that follows.
 */
export async function measureLatency(
  context: BenchContext,
  options: LatencyOptions,
): Promise<LatencyResult> {
  const { settings, partitions } = options;
  const topicOf = (record: WireRecord) =>
    record.kind === 'visit' ? settings.topics.visits : settings.topics.purchases;
  const pending = new Map<string, Pending[]>();
  const latencies: number[] = [];
  const startLatencies: number[] = [];
  const ackLatencies: number[] = [];
  const producer = await loadProducer(context);
  const profiler = spawnProfiler(context, settings);

  const send = async (
    batch: WireRecord[],
    track: boolean,
    warm: boolean = false,
  ): Promise<void> => {
    const sentAt = performance.now();
    const messages = batch.map((record) => ({
      topic: topicOf(record),
      key: Buffer.from(record.key),
      value: record.value,
      partition: partitionForKey(record.key, partitions),
    }));
    const replies = await producer.send(messages);
    if (!track) return;
    if (!warm) ackLatencies.push(performance.now() - sentAt);
    // Records of one partition in one request get consecutive offsets from its base offset.
    const counts = new Map<string, number>();
    for (const { topic, partition } of messages) {
      const name = `${topic}/${partition}`;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    for (const [name, count] of counts) {
      const baseOffset = replies.get(name);
      if (baseOffset === undefined) throw new Error(`no offset for ${name}`);
      const list = pending.get(name) ?? [];
      for (let index = 0; index < count; index += 1) {
        list.push({ offset: baseOffset + index, sentAt, warm });
      }
      pending.set(name, list);
    }
  };

  const random = mulberry32(options.seed);
  const clockStartedAt = performance.now();
  let serial = 0;
  const take = (count: number): WireRecord[] => {
    // Live traffic as it comes from trackers: event time is now (the wall clock since the
    // start, from the workload's first day), customers at random, one event in 12 a purchase.
    const occurredAtMs = DEFAULT_START_MS + Math.round(performance.now() - clockStartedAt);
    return Array.from({ length: count }, () => {
      serial += 1;
      const event: CustomerEvent = liveEvent(
        `l${options.seed}-${randomInt(random, 0, options.customers - 1)}`,
        `live-${options.seed}-${serial}`,
        occurredAtMs,
        random() < 1 / 12,
      );
      return { kind: event.kind, key: event.customerId, value: wireJson(event), occurredAtMs };
    });
  };

  let reading = true;
  let stoppedReadingAt = 0;
  const reader = (async () => {
    while (reading || [...pending.values()].some((list) => list.length > 0)) {
      const { offsets } = await committedOffsets(context.redis, settings, partitions);
      const now = performance.now();
      for (const [partition, byTopic] of offsets) {
        for (const [topic, committed] of byTopic) {
          const list = pending.get(`${topic}/${partition}`);
          if (!list) continue;
          let done = 0;
          while (done < list.length && list[done]!.offset < committed) {
            const record = list[done]!;
            (record.warm ? startLatencies : latencies).push(now - record.sentAt);
            done += 1;
          }
          if (done > 0) list.splice(0, done);
        }
      }
      if (profiler.exitCode !== null)
        throw new Error('the profiler stopped during the latency run');
      if (!reading && now - stoppedReadingAt > 120_000) {
        throw new Error('the profiler did not commit the latency run within 2 minutes of its end');
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  let readerError: unknown;
  reader.catch((error: unknown) => {
    readerError = error;
  });

  let sent = 0;
  let elapsedSeconds = 0;
  // The profiler's CPU seconds when the measured window starts and once it has committed it.
  let cpuAtWindowStart: number | undefined;
  let cpuAtWindowEnd: number | undefined;
  // The benchmark's own CPU over the same window (µs: user + system, all its threads).
  let harnessCpuAtWindowStart: number | undefined;
  let harnessCpuInWindow: number | undefined;
  try {
    // Warm-up: the profiler joins its group and claims its partitions on a first trickle.
    await send(take(Math.max(200, Math.ceil(options.rate / 10))), false);
    await waitForCommitted(context, settings, partitions, {
      profiler,
      timeoutMs: 120_000,
      what: 'the warm-up',
    });

    // One request at a time (each carries what the rate allowed since the previous one), so
    // offsets come back in send order and a slow broker shows as a lower achieved rate. The
    // rate runs on from the warm-up into the measured window, with no pause between them.
    // Requests start every SEND_INTERVAL_MS (or as soon as the previous one was answered, if
    // later): the log's record batches are the same size whatever the client's speed.
    const startedAt = performance.now();
    const windowSeconds = options.warmupSeconds + options.seconds;
    let warmSent = 0;
    for (;;) {
      if (readerError) throw readerError;
      const sinceStart = (performance.now() - startedAt) / 1000;
      if (sinceStart >= windowSeconds) break;
      const warm = sinceStart < options.warmupSeconds;
      if (!warm && cpuAtWindowStart === undefined) {
        cpuAtWindowStart = processCpuSeconds(profiler.pid) ?? Number.NaN;
        harnessCpuAtWindowStart = cpuMicros();
      }
      const due = Math.min(20_000, Math.floor(options.rate * sinceStart) - sent - warmSent);
      if (due > 0) {
        const batch = take(due);
        if (batch.length === 0) break;
        if (warm) warmSent += batch.length;
        else sent += batch.length;
        await send(batch, true, warm);
      }
      elapsedSeconds = Math.max(0, sinceStart - options.warmupSeconds);
      const nextAt = startedAt + sinceStart * 1000 + SEND_INTERVAL_MS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextAt - performance.now())));
    }
    stoppedReadingAt = performance.now();
    reading = false;
    await reader;
    // Everything sent is committed now: the window's events and nothing after them.
    cpuAtWindowEnd = processCpuSeconds(profiler.pid);
    if (harnessCpuAtWindowStart !== undefined)
      harnessCpuInWindow = cpuMicros() - harnessCpuAtWindowStart;
  } finally {
    reading = false;
    await reader.catch(() => undefined);
    await producer.close();
    await stopChild(profiler);
  }
  return {
    produceAck: latencySummary(ackLatencies),
    start: latencySummary(startLatencies),
    offeredRate: options.rate,
    achievedRate: sent / Math.max(elapsedSeconds, 0.001),
    harnessCpuUsPerEvent:
      harnessCpuInWindow === undefined || sent === 0 ? undefined : harnessCpuInWindow / sent,
    profilerCpuUsPerEvent:
      cpuAtWindowStart === undefined ||
      cpuAtWindowEnd === undefined ||
      Number.isNaN(cpuAtWindowStart) ||
      sent === 0
        ? undefined
        : ((cpuAtWindowEnd - cpuAtWindowStart) * 1e6) / sent,
    ...latencySummary(latencies),
  };
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Sends one request of records (each with its partition) and answers each partition's base offset. */
interface LoadProducer {
  send(
    messages: { topic: string; key: Buffer; value: Buffer; partition: number }[],
  ): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/**
 * The load generator's producer (acks=all, one request at a time). It shares the two cores with
 * what it measures, so it is the cheaper client where it can be: @platformatic/kafka spent about
 * 20 µs of CPU per record here where kafkajs spent 46, which at 20,000 events/s is most of a
 * core. kafkajs stays for brokers behind TLS or SASL (the light client is given brokers only).
 */
async function loadProducer(context: BenchContext): Promise<LoadProducer> {
  const { connection } = context;
  if (!connection.KAFKA_SSL && connection.KAFKA_SASL_MECHANISM === undefined) {
    const producer = new LightProducer({
      clientId: 'pulse-bench-load',
      bootstrapBrokers: connection.KAFKA_BROKERS,
      acks: -1,
    });
    return {
      async send(messages) {
        const { offsets } = await producer.send({ messages });
        return new Map(
          (offsets ?? []).map((entry) => [
            `${entry.topic}/${entry.partition}`,
            Number(entry.offset),
          ]),
        );
      },
      close: () => producer.close(),
    };
  }
  const producer = context.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return {
    async send(messages) {
      const byTopic = new Map<string, { key: Buffer; value: Buffer; partition: number }[]>();
      for (const { topic, ...message } of messages) {
        const list = byTopic.get(topic);
        if (list) list.push(message);
        else byTopic.set(topic, [message]);
      }
      const replies = await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
      });
      return new Map(
        replies
          .filter((reply) => reply.baseOffset !== undefined)
          .map((reply) => [`${reply.topicName}/${reply.partition}`, Number(reply.baseOffset)]),
      );
    },
    close: () => producer.disconnect(),
  };
}
