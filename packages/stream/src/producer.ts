import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';

export interface OutputRecord {
  topic: string;
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

/**
 * An idempotent producer with acks from all in-sync replicas: a retry inside the client never
 * writes a record twice, and a send resolves only once the record is durable.
 */
export class ReliableProducer {
  private readonly producer: Producer;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: 8 },
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

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

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
