import type { Logger } from 'pino';
import type { BrokerProbe } from '@pulse/stream';
import {
  fetchMaxMessageBytes,
  isKafkaAuthenticationError,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  produceBudgetBytes,
  recordSizeUpperBound,
  ReliableProducer,
  splitBySize,
  type KafkaClient,
  type OutputRecord,
} from '@pulse/stream';
import { CollectorError } from './errors.ts';

/** Records of one produce request at most, whatever their size. */
const MAX_RECORDS_PER_PRODUCE = 5_000;

interface Waiting {
  records: OutputRecord[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Where accepted events go. `send` resolves only once the broker acknowledged every record. */
export interface EventSink {
  send(records: OutputRecord[]): Promise<void>;
  /** Connected, and the broker answered a metadata request lately (cached a few seconds). */
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}

export interface KafkaEventSinkOptions {
  produceTimeoutMs: number;
  logger: Logger;
  /** The topics records go to: their `max.message.bytes` caps one produce request. */
  topics: readonly string[];
  /** Answers readiness; without one, readiness is "connected". */
  probe?: BrokerProbe;
  /** Kafka refused the login: nothing will work until the settings change. */
  onAuthenticationFailure?: (error: unknown) => void;
}

/**
 * The idempotent acks=all producer, connected in the background: the collector starts and
 * answers (503) while Kafka is unreachable, and every request while disconnected joins or starts
 * a connection attempt. A send that outlives `produceTimeoutMs` is reported as failed although
 * the broker may still take it later: the sender retries with the same eventIds and the
 * profiler counts each eventId once (its dedup memory), so a timeout costs a duplicate record
 * on the topic, never a lost or double-counted event.
 *
 * A refused login is not an outage: it is reported once through `onAuthenticationFailure`
 * (`pulse run collector` stops on it) and every later request is answered 503 at once.
 */
export class KafkaEventSink implements EventSink {
  private readonly producer: ReliableProducer;
  private connected = false;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private authenticationFailure: unknown;
  private readonly waiting: Waiting[] = [];
  private draining = false;
  /** Record bytes one produce request may carry (from the topics' max.message.bytes). */
  private budgetBytes = produceBudgetBytes(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
  /** The topics' smallest max.message.bytes, which the budget is derived from. */
  private maxMessageBytes = KAFKA_DEFAULT_MAX_MESSAGE_BYTES;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: KafkaEventSinkOptions,
  ) {
    this.producer = new ReliableProducer(kafka);
  }

  /** Starts connecting; resolves when this attempt ends (connected or not). */
  start(): Promise<void> {
    if (this.connected || this.closed || this.authenticationFailure) return Promise.resolve();
    this.connecting ??= this.producer
      .connect()
      .then(async () => {
        await this.learnRequestBudget();
        this.connected = true;
        this.options.logger.info({ maxRequestBytes: this.budgetBytes }, 'connected to Kafka');
      })
      .catch((error: unknown) => {
        if (isKafkaAuthenticationError(error)) {
          this.authenticationFailure = error;
          this.options.onAuthenticationFailure?.(error);
          return;
        }
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

  /**
   * One produce request carries several HTTP requests' batches (group commit, below). Kafka
   * refuses a partition's batch over its `max.message.bytes`, and a refused request once failed
   * every batch grouped into it: seven valid 421 KB batches, 503 each.
   */
  private async learnRequestBudget(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      // Only the topics that exist: a deployment that has not created one yet (pulse.traits,
      // say) still gets the real limit of the others rather than the default.
      const existing = new Set(await admin.listTopics());
      const topics = this.options.topics.filter((topic) => existing.has(topic));
      const limit = topics.length > 0 ? await fetchMaxMessageBytes(admin, topics) : undefined;
      this.maxMessageBytes = limit ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
      this.budgetBytes = produceBudgetBytes(this.maxMessageBytes);
    } catch (error) {
      this.options.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        `could not read the topics' max.message.bytes; assuming Kafka's default ${KAFKA_DEFAULT_MAX_MESSAGE_BYTES}`,
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async isReady(): Promise<boolean> {
    if (this.authenticationFailure) return false;
    if (!this.connected) {
      void this.start();
      return false;
    }
    return this.options.probe ? this.options.probe.check() : true;
  }

  async send(records: OutputRecord[]): Promise<void> {
    // A request arriving while the producer (re)connects waits for that attempt; one that
    // fails answers 503 at once (a closed port fails in about a second).
    if (!this.connected) await this.start();
    if (this.authenticationFailure)
      throw new CollectorError('KAFKA_UNAVAILABLE', 'Kafka refused the login');
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
   * wait and then go out together in the next one, up to the request budget in bytes. The
   * idempotent producer allows one request in flight per broker connection, so without this
   * the collector's throughput would be one produce round trip (acks=all) per HTTP request.
   * Each HTTP request learns the fate of exactly the produce requests that carried its
   * records (more than one only when its own batch is over the budget).
   */
  private enqueue(records: OutputRecord[]): Promise<void> {
    const runs = splitBySize(records, () => this.maxMessageBytes).map(
      (run) =>
        new Promise<void>((resolve, reject) => {
          const bytes = run.reduce((total, record) => total + recordSizeUpperBound(record), 0);
          this.waiting.push({ records: run, bytes, resolve, reject });
        }),
    );
    void this.drain();
    return Promise.all(runs).then(() => undefined);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const group: Waiting[] = [];
        let count = 0;
        let bytes = 0;
        while (this.waiting.length > 0) {
          const next = this.waiting[0]!;
          const fits =
            count + next.records.length <= MAX_RECORDS_PER_PRODUCE &&
            bytes + next.bytes <= this.budgetBytes;
          if (group.length > 0 && !fits) break;
          this.waiting.shift();
          group.push(next);
          count += next.records.length;
          bytes += next.bytes;
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
    await this.options.probe?.close();
  }
}
