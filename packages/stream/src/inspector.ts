import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import type { ConnectionEnv } from '@pulse/config';
import { offsetsAtTime, topicOffsets } from './admin.ts';
import { createKafka, quietKafkaLogs } from './client.ts';
import { topicPartitionCount } from './partitioner.ts';

// Not among the names Node can import from kafkajs's CommonJS module: read it off the module.
const { AssignerProtocol } = kafkajs;

/** One member of a consumer group, as the group coordinator describes it. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  /** Where the member connects from, as the broker sees it (`127.0.0.1`). */
  host: string;
  /** Topic → partitions the group's leader assigned to this member (empty mid-rebalance). */
  assignment: Map<string, number[]>;
}

export interface GroupDescription {
  groupId: string;
  /** The coordinator's word for the group: `Stable`, `PreparingRebalance`,
   * `CompletingRebalance`, `Empty` or `Dead` (no such group). */
  state: string;
  members: GroupMember[];
}

/** A partition's log start and log end (the offset the next record will get). */
export interface LogOffsets {
  low: string;
  high: string;
}

function decodeAssignment(bytes: Buffer): Map<string, number[]> {
  const assignment = new Map<string, number[]>();
  if (bytes.length === 0) return assignment;
  let decoded;
  try {
    decoded = AssignerProtocol.MemberAssignment.decode(bytes);
  } catch {
    // Not the consumer protocol's layout (another kind of group): no partitions to show.
    return assignment;
  }
  for (const [topic, partitions] of Object.entries(decoded?.assignment ?? {}))
    assignment.set(
      topic,
      [...partitions].sort((a, b) => a - b),
    );
  return assignment;
}

/**
 * Read-only questions an operator asks the cluster (`pulse status`): which members a group
 * has and what each owns, where each partition's log ends, how many records a topic took
 * since a point in time. One admin connection, opened by `connect` and closed by
 * `disconnect`; nothing here writes to Kafka.
 */
export class ClusterInspector {
  private constructor(private readonly admin: Admin) {}

  /**
   * Connects an admin client. `kafka` defaults to one with few retries, so a command against an
   * unreachable broker fails in seconds instead of retrying for a minute.
   */
  static async connect(env: ConnectionEnv, kafka?: Kafka): Promise<ClusterInspector> {
    const client =
      kafka ??
      createKafka(env, {
        connectionTimeout: 3_000,
        retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
        ...quietKafkaLogs,
      });
    const admin = client.admin();
    await admin.connect();
    return new ClusterInspector(admin);
  }

  async disconnect(): Promise<void> {
    await this.admin.disconnect();
  }

  async listTopics(): Promise<Set<string>> {
    return new Set(await this.admin.listTopics());
  }

  /** Partition count of a topic; throws when the topic does not exist. */
  partitionCount(topic: string): Promise<number> {
    return topicPartitionCount(this.admin, topic);
  }

  /** Log start and end of every partition of a topic. */
  logOffsets(topic: string): Promise<Map<number, LogOffsets>> {
    return topicOffsets(this.admin, topic);
  }

  /**
   * How many records the topic took at or after `sinceMs` (record timestamps: the producer's
   * clock for CreateTime topics, Kafka's default): per partition, the log end minus the first
   * offset whose timestamp is at or after `sinceMs`. Exact for topics without transactions (no
   * control records take offsets), which is how Pulse writes its outputs.
   */
  async recordsSince(topic: string, sinceMs: number): Promise<number> {
    const first = await offsetsAtTime(this.admin, topic, sinceMs);
    const ends = await this.logOffsets(topic);
    let records = 0n;
    for (const [partition, offset] of first) {
      const end = ends.get(partition);
      if (end === undefined) continue;
      const count = BigInt(end.high) - BigInt(offset);
      if (count > 0n) records += count;
    }
    return Number(records);
  }

  /** Every consumer group the brokers know, by id. */
  async listGroups(): Promise<string[]> {
    const { groups } = await this.admin.listGroups();
    return groups.map((group) => group.groupId).sort();
  }

  /** A group's state and members with their assignments (state `Dead`: no such group). */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    const { groups } = await this.admin.describeGroups([groupId]);
    const group = groups[0];
    if (group === undefined) return { groupId, state: 'Dead', members: [] };
    return {
      groupId,
      state: group.state,
      members: group.members.map((member) => ({
        memberId: member.memberId,
        clientId: member.clientId,
        host: member.clientHost.replace(/^\//, ''),
        assignment: decodeAssignment(member.memberAssignment),
      })),
    };
  }
}
