import kafkajs, { CompressionTypes, type Admin, type Kafka, type Producer } from 'kafkajs';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from './record-size.ts';

/** A record as Pulse produces it. */
export interface OutputRecord {
  topic: string;
  /** null: no key (the partitioner picks the partition). */
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
}

// Not among the names Node can import from kafkajs's CommonJS module: read it off the module.
const { ConfigResourceTypes } = kafkajs;

/** One kafkajs producer and the sends still running on it. */
interface Generation {
  producer: Producer;
  connecting: Promise<void> | undefined;
  inFlight: number;
  retired: boolean;
}

/**
 * An idempotent producer with acks from all in-sync replicas: a retry inside the client never
 * writes a record twice, and a send resolves only once the record is durable.
 *
 * A failed send retires the kafkajs producer and the next send starts a new one (a new producer
 * id, every sequence from 0). kafkajs rolls back its per-partition sequence numbers when a
 * produce request fails, but the broker may have appended some of the request's batches anyway:
 * one partition refused (a batch over `message.max.bytes`) while the others in the same request
 * were written, or a request that timed out client-side and landed later. From then on every
 * send to those partitions carries a sequence the broker already saw, is refused with
 * OUT_OF_ORDER_SEQUENCE_NUMBER, and the partition stays unusable for the producer's life (the
 * Java client bumps the epoch on that error; kafkajs does not). A fresh producer id is what the
 * broker accepts again. The records of the failed send may then be on the topic twice once the
 * caller retries; its consumers de-duplicate (event ids, signal ids).
 */
export class ReliableProducer {
  private current: Generation;
  private admin: Admin | undefined;
  private readonly limits = new Map<string, number>();
  /** Set by disconnect: no send or lookup may open a connection after it (a relay still
   * draining while the service stops would otherwise leave a socket keeping the process alive). */
  private closed = false;

  constructor(private readonly kafka: Kafka) {
    this.current = this.newGeneration();
  }

  private newGeneration(): Generation {
    return {
      producer: this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { retries: 8 },
      }),
      connecting: undefined,
      inFlight: 0,
      retired: false,
    };
  }

  private connectGeneration(generation: Generation): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the producer is disconnected'));
    generation.connecting ??= generation.producer.connect().catch((error: unknown) => {
      generation.connecting = undefined; // the next call tries again
      throw error;
    });
    return generation.connecting;
  }

  connect(): Promise<void> {
    return this.connectGeneration(this.current);
  }

  /** One request; the broker takes all records or none of a partition's. Split big sends with
   * splitBySize and recordLimitBytes first. */
  async send(records: OutputRecord[]): Promise<void> {
    if (records.length === 0) return;
    const generation = this.current;
    generation.inFlight += 1;
    try {
      await this.connectGeneration(generation);
      const byTopic = new Map<string, OutputRecord[]>();
      for (const record of records)
        byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record]);
      await generation.producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((record) => ({
            key: record.key,
            value: record.value,
            ...(record.headers ? { headers: record.headers } : {}),
          })),
        })),
      });
    } catch (error) {
      this.retire(generation);
      throw error;
    } finally {
      generation.inFlight -= 1;
      if (generation.retired && generation.inFlight === 0)
        void generation.producer.disconnect().catch(() => undefined);
    }
  }

  /** Replaces the producer for later sends; the old one closes once its last send settles. */
  private retire(generation: Generation): void {
    if (generation.retired) return;
    generation.retired = true;
    if (this.current === generation && !this.closed) this.current = this.newGeneration();
  }

  /**
   * The largest record batch the topic accepts: its max.message.bytes as the broker reports it
   * (the broker's message.max.bytes unless the topic overrides it), asked once per topic. When
   * the broker cannot be asked (unreachable, the topic does not exist yet, no DescribeConfigs
   * permission), Kafka's default, not remembered, so a later call asks again.
   */
  async recordLimitBytes(topic: string): Promise<number> {
    const known = this.limits.get(topic);
    if (known !== undefined) return known;
    try {
      if (this.admin === undefined) {
        if (this.closed) return KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
        const admin = this.kafka.admin();
        await admin.connect();
        if (this.closed) {
          // disconnect() ran while this one was connecting: it is ours to close.
          await admin.disconnect().catch(() => undefined);
          return KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
        }
        this.admin = admin;
      }
      const described = await this.admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] },
        ],
      });
      const entry = described.resources[0]?.configEntries.find(
        (config) => config.configName === 'max.message.bytes',
      );
      const limit = Number(entry?.configValue);
      if (!Number.isSafeInteger(limit) || limit <= 0) return KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
      this.limits.set(topic, limit);
      return limit;
    } catch {
      return KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    }
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    await this.admin?.disconnect().catch(() => undefined);
    const generation = this.current;
    generation.retired = true;
    await generation.producer.disconnect();
  }
}
