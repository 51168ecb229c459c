import { describe, expect, it } from 'vitest';
import { defaultTopicLayout, planTopics, TOPICS } from './topics.ts';

describe('planTopics', () => {
  it('co-partitions the three input topics', () => {
    const plan = planTopics({ ...defaultTopicLayout, inputPartitions: 7 });
    const sizeOf = (topic: string) => plan.find((entry) => entry.topic === topic)?.numPartitions;
    expect(sizeOf(TOPICS.visits)).toBe(7);
    expect(sizeOf(TOPICS.purchases)).toBe(7);
    expect(sizeOf(TOPICS.traits)).toBe(7);
    expect(plan.map((entry) => entry.topic).sort()).toEqual(Object.values(TOPICS).sort());
  });
});
