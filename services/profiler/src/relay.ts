import type { Logger } from 'pino';
import { decodeOutboxEntry, type PartitionStore } from '@pulse/store';
import {
  buildDeadLetter,
  DLQ_MAX_KEY_BYTES,
  DLQ_MAX_VALUE_BYTES,
  type DeadLetterReason,
} from '@pulse/contracts';
import {
  recordSizeUpperBound,
  isRecordTooLarge,
  splitBySize,
  type OutputRecord,
  type ReliableProducer,
} from '@pulse/stream';
import { noFailpoints, type Failpoints } from './failpoints.ts';
import type { ProfilerMetrics } from './metrics.ts';
import { toOutputRecord } from './outbox-records.ts';

/** Room left on a moved-aside record for its key and headers, beside the value prefix. */
const MOVED_ASIDE_HEADROOM_BYTES = 8 * 1024;
/** Header of a moved-aside record: the refused record's own headers, as JSON. */
export const REFUSED_HEADERS = 'pulse-refused-headers';
/** The refused record's own headers travel along as JSON when they take no more than this. */
const MAX_REFUSED_HEADERS_BYTES = 4 * 1024;

interface Pending {
  id: string;
  record: OutputRecord;
  decidedAtWallMs: number | undefined;
}

export interface OutboxRelayOptions {
  batchSize: number;
  nowMs: () => number;
  /** Where entries that cannot be sent go: the run's dead-letter destination. */
  deadLetterTopic: string;
  failpoints?: Failpoints;
}

/**
 * Drains a partition's outbox to Kafka: read a slice, produce it with the idempotent acks=all
 * producer, and only then delete it. A crash between the two sends the slice again after
 * restart — with the same signal ids, so consumers can recognise repeats.
 *
 * No single entry may hold the partition's outbox back (signals and dead letters behind it would
 * wait forever): the slice goes out in sends that stay under each topic's max.message.bytes
 * (splitBySize), each trimmed as soon as it is acknowledged; an entry the broker still refuses as
 * too large is moved aside — to the dead-letter topic as kind `undeliverable`, a bounded prefix
 * with its size and SHA-256 — counted and logged without its payload.
 */
export class OutboxRelay {
  private running = false;
  private again = false;
  private closed = false;
  private pass: Promise<void> = Promise.resolve();
  private readonly failpoints: Failpoints;

  constructor(
    private readonly store: PartitionStore,
    private readonly producer: ReliableProducer,
    private readonly options: OutboxRelayOptions,
    private readonly metrics: ProfilerMetrics,
    private readonly logger: Logger,
  ) {
    this.failpoints = options.failpoints ?? noFailpoints;
  }

  /** The partition state this relay drains (its namespace and partition). */
  get partitionStore(): PartitionStore {
    return this.store;
  }

  /** Asks for a drain; concurrent asks fold into one more pass. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.pass = this.drain().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Starts no more passes and waits for the one under way (the producer closes next). */
  async close(): Promise<void> {
    this.closed = true;
    this.again = false;
    while (this.running) await this.pass;
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
      const built = buildDeadLetter(
        {
          kind: 'schema-violation',
          message,
          sourceTopic: decoded.topic,
          sourcePartition: this.store.partition,
          sourceOffset: entry.id,
        },
        {
          key: Buffer.from(decoded.type === 'signal' ? decoded.signal.customerId : ''),
          value: Buffer.from(entry.payload),
        },
      );
      return { topic: this.options.deadLetterTopic, ...built };
    }
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const entries = await this.store.readOutbox(this.options.batchSize);
        if (entries.length === 0) return;
        const emittedAtMs = this.options.nowMs();
        const pending: Pending[] = entries.map((entry) => {
          const record = this.toRecord(entry, emittedAtMs);
          const decided = decodeOutboxEntry(entry.payload);
          return {
            id: entry.id,
            record,
            decidedAtWallMs: decided.type === 'signal' ? decided.decidedAtWallMs : undefined,
          };
        });
        const limits = new Map<string, number>();
        for (const topic of new Set(pending.map((each) => each.record.topic)))
          limits.set(topic, await this.producer.recordLimitBytes(topic));
        const sends = splitBySize(
          pending,
          (topic) => limits.get(topic) as number,
          (each) => each.record,
        );
        for (const send of sends) await this.deliver(send);
      }
    } catch (error) {
      // Left in the outbox: the next tick tries again.
      this.logger.warn(
        { partition: this.store.partition, err: (error as Error).message },
        'outbox relay failed; will retry',
      );
    }
  }

  /** Produces one send, then trims it; a refusal for size is narrowed down to its entries. */
  private async deliver(send: Pending[]): Promise<void> {
    try {
      await this.producer.send(send.map((each) => each.record));
    } catch (error) {
      if (!isRecordTooLarge(error)) throw error;
      if (send.length > 1) {
        // The limit changed since it was read (the estimate is an upper bound): the broker may
        // have taken some partitions' records of this send (the producer starts afresh after a
        // failed send, see ReliableProducer), so go one by one.
        for (const each of send) await this.deliver([each]);
        return;
      }
      await this.moveAside(send[0] as Pending, error);
    }
    this.failpoints.reach('kill-after-relay-produce');
    const acknowledgedAtMs = this.options.nowMs();
    for (const each of send) {
      if (each.decidedAtWallMs !== undefined) {
        this.metrics.signalDelay.observe(
          Math.max(0, acknowledgedAtMs - each.decidedAtWallMs) / 1000,
        );
      }
    }
    await this.store.ackOutbox(send.map((each) => each.id));
    this.metrics.signalsRelayed.inc(send.length);
  }

  /**
   * The broker refused this entry's record as too large (an entry written before dead letters
   * were bounded, a topic with a smaller max.message.bytes than the outbox assumed …). It goes
   * to the dead-letter topic instead, as kind `undeliverable`: a prefix of its value that fits
   * that topic, the original size and SHA-256, where it was meant to go (source topic), the
   * partition and outbox entry id (source partition / offset), and its own headers as JSON. The
   * caller trims it from the outbox once this send is acknowledged.
   */
  private async moveAside(pending: Pending, refusal: unknown): Promise<void> {
    const { record } = pending;
    const deadLetterTopic = this.options.deadLetterTopic;
    const limit = await this.producer.recordLimitBytes(deadLetterTopic);
    const bytes = recordSizeUpperBound(record);
    const refusedHeaders = JSON.stringify(record.headers ?? {});
    const reason: DeadLetterReason = {
      kind: 'undeliverable',
      message: `${record.topic} refused the record (about ${bytes} bytes) as too large: ${(refusal as Error).message}`,
      sourceTopic: record.topic,
      sourcePartition: this.store.partition,
      sourceOffset: pending.id,
    };
    const original = {
      key: record.key === null ? null : Buffer.from(record.key),
      value: record.value === null ? null : Buffer.from(record.value),
    };
    const built = buildDeadLetter(reason, original, {
      maxKeyBytes: DLQ_MAX_KEY_BYTES,
      maxValueBytes: Math.max(0, Math.min(DLQ_MAX_VALUE_BYTES, limit - MOVED_ASIDE_HEADROOM_BYTES)),
    });
    if (Buffer.byteLength(refusedHeaders) <= MAX_REFUSED_HEADERS_BYTES)
      built.headers[REFUSED_HEADERS] = refusedHeaders;
    this.metrics.outboxUndeliverable.inc({ topic: record.topic });
    this.logger.error(
      {
        partition: this.store.partition,
        outboxId: pending.id,
        topic: record.topic,
        bytes,
        limitBytes: await this.producer.recordLimitBytes(record.topic),
        deadLetterTopic,
      },
      'the broker refused an outbox entry as too large; moved to the dead-letter topic as undeliverable',
    );
    try {
      await this.producer.send([{ topic: deadLetterTopic, ...built }]);
    } catch (error) {
      if (!isRecordTooLarge(error)) throw error;
      // Even the prefix is too large for the dead-letter topic: the headers alone still say
      // what it was, how big, its SHA-256 and where it came from.
      const bare = buildDeadLetter(
        { ...reason, message: `${reason.message}; ${deadLetterTopic} refused its prefix too` },
        original,
        { maxKeyBytes: 0, maxValueBytes: 0 },
      );
      await this.producer.send([{ topic: deadLetterTopic, ...bare }]);
    }
  }
}
