import type { Logger } from 'pino';
import { decodeOutboxEntry, type PartitionStore } from '@pulse/store';
import { deadLetterHeaders } from '@pulse/contracts';
import type { OutputRecord, ReliableProducer } from '@pulse/stream';
import type { ProfilerMetrics } from './metrics.ts';
import { toOutputRecord } from './outbox-records.ts';

/**
 * Drains a partition's outbox to Kafka (DESIGN.md decision 5): read a slice, produce it with
 * the idempotent acks=all producer, and only then delete it. A crash between the two sends the
 * slice again after restart — with the same signal ids, so consumers can recognise repeats.
 */
export class OutboxRelay {
  private running = false;
  private again = false;

  constructor(
    private readonly store: PartitionStore,
    private readonly producer: ReliableProducer,
    private readonly options: { batchSize: number; nowMs: () => number; deadLetterTopic: string },
    private readonly metrics: ProfilerMetrics,
    private readonly logger: Logger,
  ) {}

  /** The partition state this relay drains (its namespace and partition). */
  get partitionStore(): PartitionStore {
    return this.store;
  }

  /** Asks for a drain; concurrent asks fold into one more pass. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.drain().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /**
   * An entry that cannot be encoded (a signal breaking its own contract: a bug in Pulse) must
   * not block the partition's outbox forever: it goes to the dead-letter topic with the reason,
   * counted and logged (without its payload), and the outbox moves on.
   */
  private toRecord(entry: { id: string; payload: string }, emittedAtMs: number): OutputRecord {
    const decoded = decodeOutboxEntry(entry.payload);
    try {
      return toOutputRecord(decoded, emittedAtMs);
    } catch (error) {
      const message = (error as Error).message;
      this.metrics.outboxPoison.inc();
      this.logger.error(
        { partition: this.store.partition, outboxId: entry.id, topic: decoded.topic, err: message },
        'outbox entry breaks its contract; sent to the dead-letter topic',
      );
      return {
        topic: this.options.deadLetterTopic,
        key: decoded.type === 'signal' ? decoded.signal.customerId : (decoded.key ?? ''),
        value: entry.payload,
        headers: deadLetterHeaders({
          kind: 'schema-violation',
          message,
          sourceTopic: decoded.topic,
          sourcePartition: this.store.partition,
          sourceOffset: entry.id,
        }),
      };
    }
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const entries = await this.store.readOutbox(this.options.batchSize);
        if (entries.length === 0) return;
        const emittedAtMs = this.options.nowMs();
        await this.producer.send(entries.map((entry) => this.toRecord(entry, emittedAtMs)));
        const acknowledgedAtMs = this.options.nowMs();
        for (const entry of entries) {
          const decided = decodeOutboxEntry(entry.payload);
          if (decided.type === 'signal' && decided.decidedAtWallMs !== undefined) {
            this.metrics.signalDelay.observe(
              Math.max(0, acknowledgedAtMs - decided.decidedAtWallMs) / 1000,
            );
          }
        }
        await this.store.ackOutbox(entries.map((entry) => entry.id));
        this.metrics.signalsRelayed.inc(entries.length);
      }
    } catch (error) {
      // Left in the outbox: the next tick tries again.
      this.logger.warn(
        { partition: this.store.partition, err: (error as Error).message },
        'outbox relay failed; will retry',
      );
    }
  }
}
