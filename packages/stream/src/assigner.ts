import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

export const CO_PARTITIONED_ASSIGNER_NAME = 'PulseCoPartitioned';

/**
 * Pure: partition p of every subscribed topic goes to the same member, so a customer's visits
 * and purchases (same key, same partitioner, same partition count) meet in one task.
 * Members are sorted so every member computes the same answer; partition p goes to member
 * p mod M, which spreads partitions evenly.
 */
export function assignCoPartitioned(
  memberIds: string[],
  partitionsByTopic: Map<string, number[]>,
): Map<string, Record<string, number[]>> {
  const members = [...memberIds].sort();
  const result = new Map<string, Record<string, number[]>>(members.map((id) => [id, {}]));
  if (members.length === 0) return result;
  for (const [topic, partitions] of partitionsByTopic) {
    for (const partition of [...partitions].sort((a, b) => a - b)) {
      const member = members[partition % members.length] as string;
      const assignment = result.get(member) as Record<string, number[]>;
      (assignment[topic] ??= []).push(partition);
    }
  }
  return result;
}

/** The kafkajs face of assignCoPartitioned. */
export const CoPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITIONED_ASSIGNER_NAME,
  version: 1,
  async assign({ members, topics }) {
    const partitionsByTopic = new Map<string, number[]>();
    for (const topic of topics) {
      const metadata = cluster.findTopicPartitionMetadata(topic);
      partitionsByTopic.set(
        topic,
        metadata.map((partition) => partition.partitionId),
      );
    }
    const plan = assignCoPartitioned(
      members.map((member) => member.memberId),
      partitionsByTopic,
    );
    return [...plan].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: CO_PARTITIONED_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: Buffer.alloc(0),
      }),
    };
  },
});
