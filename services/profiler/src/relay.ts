import type { Logger } from 'pino';
import type { PartitionStore } from '@pulse/store';
import type { ReliableProducer } from '@pulse/stream';
import type { ProfilerMetrics } from './metrics.ts';
import { decodeOutboxEntry, toOutputRecord } from './outbox.ts';

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
    private readonly options: { batchSize: number; nowMs: () => number },
    private readonly metrics: ProfilerMetrics,
    private readonly logger: Logger,
  ) {}

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

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const entries = await this.store.readOutbox(this.options.batchSize);
        if (entries.length === 0) return;
        const emittedAtMs = this.options.nowMs();
        await this.producer.send(
          entries.map((entry) => toOutputRecord(decodeOutboxEntry(entry.payload), emittedAtMs)),
        );
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
