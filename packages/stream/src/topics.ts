import type { Admin } from 'kafkajs';

import { TOPICS } from '@pulse/contracts';

/** The wire contract's topic names: one catalogue, in @pulse/contracts (schemas/README.md). */
export { TOPICS };

export interface TopicLayout {
  /**
   * Partitions of each input topic; visits, purchases and traits always get the same count
   * (co-partitioned).
   */
  inputPartitions: number;
  signalPartitions: number;
  deadLetterPartitions: number;
  replicationFactor: number;
}

export const defaultTopicLayout: TopicLayout = {
  inputPartitions: 12,
  signalPartitions: 12,
  deadLetterPartitions: 3,
  replicationFactor: 1,
};

export interface TopicPlan {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
}

/** Pure: which topics `pulse topics init` wants, with their sizes. */
export function planTopics(layout: TopicLayout, names: typeof TOPICS = TOPICS): TopicPlan[] {
  const { replicationFactor } = layout;
  return [
    { topic: names.visits, numPartitions: layout.inputPartitions, replicationFactor },
    { topic: names.purchases, numPartitions: layout.inputPartitions, replicationFactor },
    { topic: names.traits, numPartitions: layout.inputPartitions, replicationFactor },
    { topic: names.lapseSignals, numPartitions: layout.signalPartitions, replicationFactor },
    { topic: names.readyToBuySignals, numPartitions: layout.signalPartitions, replicationFactor },
    { topic: names.deadLetter, numPartitions: layout.deadLetterPartitions, replicationFactor },
  ];
}

/**
 * The topics' metadata once every partition has a leader. kafkajs's own wait for leaders (and a
 * metadata request right after creating topics) fails on a busy broker with "This server does not
 * host this topic-partition" while the topics are still being set up: ask again, a bounded
 * number of times, until they are.
 */
async function metadataWithLeaders(
  admin: Admin,
  topics: string[],
  attempts = 150,
  intervalMs = 200,
): Promise<Awaited<ReturnType<Admin['fetchTopicMetadata']>>> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.topics.every((topic) =>
        topic.partitions.every((partition) => partition.leader >= 0),
      );
      if (ready || attempt >= attempts) return metadata;
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable === true;
      if (!retriable || attempt >= attempts) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** planTopics lists the input topics first: visits, purchases, traits. */
const INPUT_TOPIC_COUNT = 3;

export interface InitTopicsResult {
  created: string[];
  existing: string[];
}

/**
 * Creates the missing topics and checks the existing ones. Idempotent. Refuses to go on when
 * the input topics (the first three of the plan) exist with different partition counts:
 * co-partitioning is what puts a customer's visits, purchases and traits in the same task.
 */
export async function initTopics(admin: Admin, plan: TopicPlan[]): Promise<InitTopicsResult> {
  const existingNames = new Set(await admin.listTopics());
  const missing = plan.filter((entry) => !existingNames.has(entry.topic));
  if (missing.length > 0) {
    await admin.createTopics({ topics: missing, waitForLeaders: false });
  }
  const metadata = await metadataWithLeaders(
    admin,
    plan.map((entry) => entry.topic),
  );
  const partitionsOf = new Map(
    metadata.topics.map((topic) => [topic.name, topic.partitions.length]),
  );
  const [first, ...others] = plan.slice(0, INPUT_TOPIC_COUNT);
  for (const other of others) {
    if (first && partitionsOf.get(first.topic) !== partitionsOf.get(other.topic)) {
      throw new Error(
        `${first.topic} has ${partitionsOf.get(first.topic)} partitions but ${other.topic} has ${partitionsOf.get(other.topic)}: input topics must be co-partitioned`,
      );
    }
  }
  return {
    created: missing.map((entry) => entry.topic),
    existing: plan.filter((entry) => existingNames.has(entry.topic)).map((entry) => entry.topic),
  };
}
