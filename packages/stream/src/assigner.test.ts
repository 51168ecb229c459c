import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignCoPartitioned } from './assigner.ts';

describe('assignCoPartitioned', () => {
  it('gives partition p of every topic to the same member, and every partition to someone', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 24 }),
        (members, partitionCount) => {
          const partitions = Array.from({ length: partitionCount }, (_, p) => p);
          const plan = assignCoPartitioned(
            members,
            new Map([
              ['visits', partitions],
              ['purchases', [...partitions].reverse()],
            ]),
          );
          const ownerOf = (topic: string, partition: number) =>
            [...plan].filter(([, a]) => a[topic]?.includes(partition)).map(([m]) => m);
          for (const partition of partitions) {
            const visitsOwners = ownerOf('visits', partition);
            expect(visitsOwners).toHaveLength(1);
            expect(ownerOf('purchases', partition)).toEqual(visitsOwners);
          }
          // Balanced: no member has more than one partition more than another.
          const counts = [...plan.values()].map((a) => a.visits?.length ?? 0);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('is the same whatever order the members are listed in', () => {
    const topics = new Map([['t', [0, 1, 2, 3, 4]]]);
    expect(assignCoPartitioned(['b', 'a', 'c'], topics)).toEqual(
      assignCoPartitioned(['c', 'b', 'a'], topics),
    );
  });
});
