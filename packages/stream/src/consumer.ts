import type { Consumer, ConsumerRunConfig, Kafka } from 'kafkajs';
import { CoPartitionedAssigner } from './assigner.ts';

/** One record as Pulse sees it; nothing kafkajs-specific leaks past this module. */
export interface InputMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestampMs: number;
}

export interface InputBatch {
  topic: string;
  partition: number;
  messages: InputMessage[];
  /** Offset after the newest record the broker has for this partition (log end). */
  highWatermark: string;
}

export interface BatchControl {
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the batch's partition was reassigned. */
  shouldContinue(): boolean;
}

/** The partitions this member owns: partition number → its topics. */
export type Assignment = Map<number, string[]>;

export interface PartitionedConsumerOptions {
  groupId: string;
  topics: string[];
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBytesPerPartition: number;
  /** How long the broker may hold a fetch with nothing to return (default 500 ms). */
  maxWaitTimeMs?: number;
  /** Bytes the broker gathers (up to maxWaitTimeMs) before it answers a fetch (default 1). */
  minBytes?: number;
  partitionsConsumedConcurrently: number;
  /** Where a partition with no committed position starts. Redis positions override it. */
  fromBeginning: boolean;
  /** How often coalesced position hints go to Kafka (default 1000 ms). */
  hintIntervalMs?: number;
}

export interface PartitionedConsumerHandlers {
  /** The member's full assignment after each rebalance (generation counts joins). */
  onAssignment(assignment: Assignment, generation: number, memberId: string): void;
  onBatch(batch: InputBatch, control: BatchControl): Promise<void>;
  /** The client gave up (after its own retries); the runner decides what happens next. */
  onCrash(error: Error, willRestart: boolean): void;
}

/**
 * A consumer group member with co-partitioned assignment, batch delivery, and positions that
 * the caller owns: it never commits on its own, and `seek` moves a partition to where the
 * caller's state says it is.
 */
export class PartitionedConsumer {
  private readonly consumer: Consumer;
  private generation = 0;
  /** Restarts in a row after crashes kafkajs would not restart from (reset by a join). */
  private restartAttempt = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: PartitionedConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      partitionAssigners: [CoPartitionedAssigner],
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxBytes: Math.max(10 * 1_048_576, 4 * options.maxBytesPerPartition),
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
      minBytes: options.minBytes ?? 1,
      retry: { retries: 10 },
    });
  }

  async start(handlers: PartitionedConsumerHandlers): Promise<void> {
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, (event) => {
      this.generation += 1;
      this.restartAttempt = 0;
      const assignment: Assignment = new Map();
      for (const [topic, partitions] of Object.entries(event.payload.memberAssignment)) {
        for (const partition of partitions) {
          assignment.set(partition, [...(assignment.get(partition) ?? []), topic]);
        }
      }
      handlers.onAssignment(assignment, this.generation, event.payload.memberId);
    });
    // kafkajs restarts its consumer after a retriable error only. One it takes as final — "failed
    // to find group coordinator" while a broker comes back is one — would leave this member out
    // of the group for good, a live process that consumes nothing: start it again, backing off,
    // until stopped.
    this.consumer.on(events.CRASH, (event) => {
      const restartHere = !event.payload.restart && !this.stopped;
      handlers.onCrash(event.payload.error, event.payload.restart || restartHere);
      if (restartHere) this.restartLater(runConfig);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning,
    });
    const runConfig: ConsumerRunConfig = {
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        await handlers.onBatch(
          {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            messages: batch.messages.map((message) => ({
              offset: message.offset,
              key: message.key,
              value: message.value,
              timestampMs: Number(message.timestamp),
            })),
          },
          { heartbeat, shouldContinue: () => isRunning() && !isStale() },
        );
      },
    };
    await this.consumer.run(runConfig);
  }

  private restartLater(runConfig: ConsumerRunConfig): void {
    const delayMs = Math.min(30_000, 500 * 2 ** this.restartAttempt);
    this.restartAttempt += 1;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      // A start that fails crashes again (and comes back here); one that throws, too.
      this.consumer.run(runConfig).catch(() => {
        if (!this.stopped) this.restartLater(runConfig);
      });
    }, delayMs);
  }

  /** Moves a partition's next fetch to `offset` (the position stored with the state). */
  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  /** Positions waiting to be sent as a hint, by "topic/partition". */
  private readonly pendingHints = new Map<
    string,
    { topic: string; partition: number; offset: string }
  >();
  private hintTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * Commits positions to Kafka as a hint for lag tools. Redis holds the truth, so the hint is
   * neither awaited nor sent per batch: positions are coalesced and sent at most once per
   * `hintIntervalMs` (an OffsetCommit round trip per batch cost the batch path its latency).
   * A failed hint (for instance during a rebalance) is harmless.
   */
  commitHint(positions: { topic: string; partition: number; offset: string }[]): void {
    // After stop a hint would connect the consumer again (kafkajs does on use) and keep the
    // process alive; the positions are in Redis anyway.
    if (this.stopped) return;
    for (const position of positions) {
      this.pendingHints.set(`${position.topic}/${position.partition}`, position);
    }
    if (this.hintTimer !== undefined || this.pendingHints.size === 0) return;
    this.hintTimer = setTimeout(() => {
      this.hintTimer = undefined;
      void this.flushHints();
    }, this.options.hintIntervalMs ?? 1_000);
    this.hintTimer.unref();
  }

  private async flushHints(): Promise<void> {
    const positions = [...this.pendingHints.values()];
    this.pendingHints.clear();
    if (positions.length > 0) await this.consumer.commitOffsets(positions).catch(() => undefined);
  }

  pause(topic: string, partitions: number[]): void {
    this.consumer.pause([{ topic, partitions }]);
  }

  resume(topic: string, partitions: number[]): void {
    this.consumer.resume([{ topic, partitions }]);
  }

  /**
   * Leaves the group after the batch in hand is done (sending the last position hints first);
   * later hints are dropped.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.hintTimer);
    this.hintTimer = undefined;
    await this.flushHints();
    await this.consumer.disconnect();
  }
}

/** Log end offsets (high watermarks) of a topic, by partition. */
export async function fetchEndOffsets(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((entry) => [entry.partition, entry.high]));
  } finally {
    await admin.disconnect();
  }
}
