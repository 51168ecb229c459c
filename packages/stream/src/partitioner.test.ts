import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from './partitioner.ts';

/** kafkajs's own partitioner, the one every Pulse producer (and the tests) use. */
function kafkajsPartition(key: string | Buffer, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('partitionForKey', () => {
  it('agrees with kafkajs DefaultPartitioner on customer-like, unicode and random keys', () => {
    const keys: (string | Buffer)[] = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'é', '客户-42'];
    for (let i = 0; i < 2_000; i += 1) keys.push(`customer-${i}`, `c${i * 7919}`);
    for (let i = 0; i < 300; i += 1) keys.push(randomBytes(i % 37));
    for (const partitions of [1, 3, 4, 12, 64, 1000]) {
      for (const key of keys) {
        expect(partitionForKey(key, partitions), `${String(key)} / ${partitions}`).toBe(
          kafkajsPartition(key, partitions),
        );
      }
    }
  });

  it('refuses a partition count that is not a positive whole number', () => {
    expect(() => partitionForKey('c1', 0)).toThrow(/invalid partition count/);
    expect(() => partitionForKey('c1', 2.5)).toThrow(/invalid partition count/);
  });
});
