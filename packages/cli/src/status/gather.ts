import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '@pulse/store';
import {
  listNamespaces,
  readLiveNamespace,
  readPartitionHealth,
  readPartitionMetas,
} from '@pulse/store';
import type { ClusterInspector, LogOffsets } from '@pulse/stream';
import {
  buildStatusReport,
  type OtherNamespace,
  type OutputCount,
  type Snapshot,
  type StatusReport,
} from './report.ts';

/** Where `pulse status` looks: the same PULSE_* settings the profiler runs with. */
export interface StatusSettings {
  keyPrefix: string;
  groupId: string;
  /** The namespace to show (default: the live one, read on every refresh). */
  namespace?: string;
  visitsTopic: string;
  purchasesTopic: string;
  lapseTopic: string;
  readyToBuyTopic: string;
  deadLetterTopic: string;
  stuckAfterMs: number;
}

const HOUR_MS = 3_600_000;

/**
 * Reads what `pulse status` shows: the partitions' state through @pulse/store, the group and
 * the topics through @pulse/stream. Two reads of the partitions a known interval apart give the
 * rates and tell a partition that moves from one that is stuck; `--watch` reuses the previous
 * refresh's read as the first of the next pair.
 */
export class StatusReader {
  private previous: { namespace: string; snapshot: Snapshot } | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly cluster: ClusterInspector,
    private readonly settings: StatusSettings,
    private readonly nowMs: () => number = Date.now,
  ) {}

  private get inputTopics(): string[] {
    return [this.settings.visitsTopic, this.settings.purchasesTopic];
  }

  private async snapshot(namespace: string, partitionCount: number): Promise<Snapshot> {
    const [health, ...logs] = await Promise.all([
      readPartitionHealth(this.redis, namespace, partitionCount, this.settings.keyPrefix),
      ...this.inputTopics.map((topic) => this.cluster.logOffsets(topic)),
    ]);
    return {
      atMs: this.nowMs(),
      health,
      logs: new Map(this.inputTopics.map((topic, index) => [topic, logs[index]!])),
    };
  }

  /**
   * One report. The first call reads the partitions, waits `sampleMs`, and reads them again;
   * later calls wait `sampleMs` and compare with the previous call's read.
   */
  async read(sampleMs: number): Promise<StatusReport> {
    const { settings } = this;
    const liveNamespace = await readLiveNamespace(this.redis, settings.keyPrefix);
    const namespace = settings.namespace ?? liveNamespace;
    const partitionCount = await this.cluster.partitionCount(settings.visitsTopic);
    let before =
      this.previous?.namespace === namespace &&
      this.previous.snapshot.health.partitions.length === partitionCount
        ? this.previous.snapshot
        : undefined;
    before ??= await this.snapshot(namespace, partitionCount);
    const [, surroundings] = await Promise.all([
      sleep(Math.max(0, before.atMs + sampleMs - this.nowMs())),
      this.surroundings(namespace, liveNamespace, partitionCount),
    ]);
    const after = await this.snapshot(namespace, partitionCount);
    this.previous = { namespace, snapshot: after };
    return buildStatusReport({
      namespace,
      liveNamespace,
      inputTopics: this.inputTopics,
      before,
      after,
      group: surroundings.group,
      lastHourSinceMs: surroundings.sinceMs,
      signalsLastHour: surroundings.signals,
      deadLettersLastHour: surroundings.deadLetters,
      otherNamespaces: surroundings.otherNamespaces,
      stuckAfterMs: settings.stuckAfterMs,
      notes: surroundings.notes,
    });
  }

  /** The group, the output topics' last hour, and the namespaces beside the one shown. */
  private async surroundings(namespace: string, liveNamespace: string, partitionCount: number) {
    const { settings } = this;
    const notes: string[] = [];
    const [group, topics, groups, namespaces] = await Promise.all([
      this.cluster.describeGroup(settings.groupId),
      this.cluster.listTopics(),
      this.cluster.listGroups(),
      listNamespaces(this.redis, settings.keyPrefix),
    ]);

    const sinceMs = this.nowMs() - HOUR_MS;
    const countOf = async (topic: string, carries: string[]): Promise<OutputCount> => {
      if (!topics.has(topic)) {
        notes.push(`topic ${topic} does not exist: nothing can be delivered to it`);
        return { topic, carries, records: null };
      }
      return { topic, carries, records: await this.cluster.recordsSince(topic, sinceMs) };
    };
    // What each signal topic carries: the routing of the live run (@pulse/core's partition
    // step sends lapses and reactivations to the lapse topic, the rest to ready-to-buy).
    const carried = new Map<string, string[]>();
    carried.set(settings.lapseTopic, ['lapsed', 'reactivated']);
    carried.set(settings.readyToBuyTopic, [
      ...(carried.get(settings.readyToBuyTopic) ?? []),
      'ready_to_buy',
    ]);
    const [signals, deadLetters] = await Promise.all([
      Promise.all([...carried].map(([topic, carries]) => countOf(topic, carries))),
      countOf(settings.deadLetterTopic, ['dead letters']),
    ]);

    const logs = new Map<string, Map<number, LogOffsets>>();
    const otherNamespaces: OtherNamespace[] = [];
    for (const [other, partitions] of [...namespaces].sort(([a], [b]) => a.localeCompare(b))) {
      if (other === namespace || other === liveNamespace) continue;
      for (const topic of this.inputTopics) {
        if (!logs.has(topic)) logs.set(topic, await this.cluster.logOffsets(topic));
      }
      const metas = await readPartitionMetas(this.redis, other, partitionCount, settings.keyPrefix);
      let inputLag = 0n;
      let lastCommitWallMs: number | null = null;
      metas.forEach((meta, partition) => {
        for (const topic of this.inputTopics) {
          const log = logs.get(topic)?.get(partition);
          if (log === undefined) continue;
          const lag = BigInt(log.high) - BigInt(meta.offsets.get(topic) ?? log.low);
          if (lag > 0n) inputLag += lag;
        }
        const last = meta.lastCommitWallMs;
        if (last !== null && (lastCommitWallMs === null || last > lastCommitWallMs))
          lastCommitWallMs = last;
      });
      const replayGroup = `${settings.keyPrefix}-replay-${other}`;
      otherNamespaces.push({
        namespace: other,
        partitions: partitions.length,
        inputLag: Number(inputLag),
        lastCommitWallMs,
        group: groups.includes(replayGroup) ? await this.cluster.describeGroup(replayGroup) : null,
      });
    }
    return { group, sinceMs, signals, deadLetters, otherNamespaces, notes };
  }
}
