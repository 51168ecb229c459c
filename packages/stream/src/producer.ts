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

/**
 * An idempotent producer with acks from all in-sync replicas: a retry inside the client never
 * writes a record twice, and a send resolves only once the record is durable.
 */
export class ReliableProducer {
  private producer: Producer;
  private admin: Admin | undefined;
  private readonly limits = new Map<string, number>();
  private resetting: Promise<void> | undefined;

  constructor(private readonly kafka: Kafka) {
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: 8 },
    });
  }

  /**
   * Replaces the client's producer with a new one (a new producer id, sequence numbers from
   * zero). Needed after a send that the broker took for some partitions and refused for
   * another: kafkajs then rolls back the sequence numbers of every partition of the request,
   * and the next send to a partition that did take its records would reuse a number the broker
   * has already seen. Concurrent calls share one reset.
   */
  reset(): Promise<void> {
    this.resetting ??= (async () => {
      const old = this.producer;
      const next = this.newProducer();
      await next.connect();
      this.producer = next;
      await old.disconnect().catch(() => undefined);
    })().finally(() => {
      this.resetting = undefined;
    });
    return this.resetting;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** One request; the broker takes all records or none of a partition's. Split big sends with
   * splitBySize and recordLimitBytes first. */
  async send(records: OutputRecord[]): Promise<void> {
    if (records.length === 0) return;
    const byTopic = new Map<string, OutputRecord[]>();
    for (const record of records)
      byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record]);
    await this.producer.sendBatch({
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
        const admin = this.kafka.admin();
        await admin.connect();
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
    await this.admin?.disconnect().catch(() => undefined);
    await this.producer.disconnect();
  }
}
