import type { Admin } from 'kafkajs';

/** Kafka's admin client, as the rest of Pulse names it (only this package imports kafkajs). */
export type KafkaAdmin = Admin;

/** Per partition of a topic, its log start (`low`) and log end (`high`) offsets. */
export async function topicOffsets(
  admin: Admin,
  topic: string,
): Promise<Map<number, { low: string; high: string }>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((entry) => [entry.partition, { low: entry.low, high: entry.high }]));
}

/**
 * Per partition of a topic, the offset of the first record at or after `timestampMs` (the log
 * end when there is none): where a read "from this time" starts.
 */
export async function offsetsAtTime(
  admin: Admin,
  topic: string,
  timestampMs: number,
): Promise<Map<number, string>> {
  const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
  return new Map(offsets.map((entry) => [entry.partition, entry.offset]));
}
