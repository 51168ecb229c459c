import type { Admin } from 'kafkajs';

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`, which kafkajs's DefaultPartitioner
 * copies): 32-bit arithmetic, seed 0x9747b28c. Math.imul gives the Java `int` multiply.
 */
export function murmur2(key: Buffer): number {
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const length = key.length;
  let h = (seed ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (key[i] as number) |
      ((key[i + 1] as number) << 8) |
      ((key[i + 2] as number) << 16) |
      ((key[i + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= (key[whole + 2] as number) << 16;
  if (tail >= 2) h ^= (key[whole + 1] as number) << 8;
  if (tail >= 1) {
    h ^= key[whole] as number;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition a keyed record lands on with the producers' partitioner (kafkajs's
 * DefaultPartitioner = the Java client's): positive murmur2 of the key bytes modulo the
 * partition count. Trackers key by customer id, so this finds a customer's partition.
 */
export function partitionForKey(key: string | Buffer, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new Error(`invalid partition count ${partitionCount}`);
  }
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return (murmur2(bytes) & 0x7fffffff) % partitionCount;
}

/** Partition count of a topic from the broker's metadata; throws when the topic is unknown. */
export async function topicPartitionCount(admin: Admin, topic: string): Promise<number> {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const count = metadata.topics[0]?.partitions.length ?? 0;
  if (count === 0) throw new Error(`topic ${topic} has no partitions (does it exist?)`);
  return count;
}
