import type { Admin } from 'kafkajs';

import { TOPICS } from '@pulse/contracts';

/** The wire contract's topic names: one catalogue, in @pulse/contracts (schemas/README.md). */
export { TOPICS };

export interface TopicLayout {
  /** Partitions of each input topic; visits and purchases always get the same count (co-partitioned). */
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
    { topic: names.lapseSignals, numPartitions: layout.signalPartitions, replicationFactor },
    { topic: names.readyToBuySignals, numPartitions: layout.signalPartitions, replicationFactor },
    { topic: names.deadLetter, numPartitions: layout.deadLetterPartitions, replicationFactor },
  ];
}

export interface InitTopicsResult {
  created: string[];
  existing: string[];
}

/**
 * Creates the missing topics and checks the existing ones. Idempotent. Refuses to go on when
 * the two input topics exist with different partition counts: co-partitioning is what puts
 * a customer's visits and purchases in the same task.
 */
export async function initTopics(admin: Admin, plan: TopicPlan[]): Promise<InitTopicsResult> {
  const existingNames = new Set(await admin.listTopics());
  const missing = plan.filter((entry) => !existingNames.has(entry.topic));
  if (missing.length > 0) {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  }
  const metadata = await admin.fetchTopicMetadata({ topics: plan.map((entry) => entry.topic) });
  const partitionsOf = new Map(
    metadata.topics.map((topic) => [topic.name, topic.partitions.length]),
  );
  const [visits, purchases] = plan;
  if (visits && purchases && partitionsOf.get(visits.topic) !== partitionsOf.get(purchases.topic)) {
    throw new Error(
      `${visits.topic} has ${partitionsOf.get(visits.topic)} partitions but ${purchases.topic} has ${partitionsOf.get(purchases.topic)}: input topics must be co-partitioned`,
    );
  }
  return {
    created: missing.map((entry) => entry.topic),
    existing: plan.filter((entry) => existingNames.has(entry.topic)).map((entry) => entry.topic),
  };
}
