import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { ReliableProducer, type OutputRecord } from '@pulse/stream';
import { CollectorError } from './errors.ts';

/** Records of one produce request at most: a few MB of events, well under the broker's limit. */
const MAX_RECORDS_PER_PRODUCE = 5_000;

interface Waiting {
  records: OutputRecord[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Where accepted events go. `send` resolves only once the broker acknowledged every record. */
export interface EventSink {
  send(records: OutputRecord[]): Promise<void>;
  isReady(): boolean;
  close(): Promise<void>;
}

/**
 * The idempotent acks=all producer, connected in the background: the collector starts and
 * answers (503) while Kafka is unreachable, and every request while disconnected joins or starts
 * a connection attempt. A send that outlives `produceTimeoutMs` is reported as failed although
 * the broker may still take it later: the sender retries with the same eventIds and the
 * profiler counts each eventId once (its dedup memory), so a timeout costs a duplicate record
 * on the topic, never a lost or double-counted event.
 */
export class KafkaEventSink implements EventSink {
  private readonly producer: ReliableProducer;
  private connected = false;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private readonly waiting: Waiting[] = [];
  private draining = false;

  constructor(
    kafka: Kafka,
    private readonly options: { produceTimeoutMs: number; logger: Logger },
  ) {
    this.producer = new ReliableProducer(kafka);
  }

  /** Starts connecting; resolves when this attempt ends (connected or not). */
  start(): Promise<void> {
    if (this.connected || this.closed) return Promise.resolve();
    this.connecting ??= this.producer
      .connect()
      .then(() => {
        this.connected = true;
        this.options.logger.info('connected to Kafka');
      })
      .catch((error: unknown) => {
        this.options.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'Kafka unreachable; answering 503 until it is back',
        );
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  isReady(): boolean {
    if (!this.connected) void this.start();
    return this.connected;
  }

  async send(records: OutputRecord[]): Promise<void> {
    // A request arriving while the producer (re)connects waits for that attempt; one that
    // fails answers 503 at once (a closed port fails in about a second).
    if (!this.connected) await this.start();
    if (!this.connected) throw new CollectorError('KAFKA_UNAVAILABLE', 'not connected to Kafka');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CollectorError(
              'PRODUCE_TIMEOUT',
              `no acknowledgement from Kafka within ${this.options.produceTimeoutMs} ms`,
            ),
          ),
        this.options.produceTimeoutMs,
      );
    });
    const sending = this.enqueue(records);
    sending.catch(() => undefined); // still settles after a timeout; nothing left to tell
    try {
      await Promise.race([sending, timeout]);
    } catch (error) {
      if (error instanceof CollectorError) throw error;
      throw new CollectorError('PRODUCE_FAILED', 'Kafka did not acknowledge the batch', {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Group commit: while one produce request is in flight, the batches of other HTTP requests
   * wait and then go out together in the next one. The idempotent producer allows one request
   * in flight per broker connection, so without this the collector's throughput would be one
   * produce round trip (acks=all) per HTTP request. Each HTTP request still learns the fate of
   * exactly the produce request that carried its records.
   */
  private enqueue(records: OutputRecord[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ records, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const group: Waiting[] = [];
        let count = 0;
        while (
          this.waiting.length > 0 &&
          (group.length === 0 || count + this.waiting[0]!.records.length <= MAX_RECORDS_PER_PRODUCE)
        ) {
          const next = this.waiting.shift()!;
          group.push(next);
          count += next.records.length;
        }
        try {
          await this.producer.send(group.flatMap((entry) => entry.records));
          for (const entry of group) entry.resolve();
        } catch (error) {
          for (const entry of group) entry.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting;
    await this.producer.disconnect().catch(() => undefined);
  }
}
