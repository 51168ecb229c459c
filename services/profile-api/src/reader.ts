import type { RedisClient } from '@pulse/store';
import {
  DAY_MS,
  decodeProfile,
  deriveView,
  segmentOf,
  traitsView,
  type RulesConfig,
  type SegmentDimension,
} from '@pulse/core';
import { liveNamespaceKey, readStoredProfile } from '@pulse/store';
import { partitionForKey } from '@pulse/stream';
import type { PartitionCount } from './partition-count.ts';
import { readSegments, type SegmentsResponse } from './segments.ts';
import type { ProfileResponse } from './view.ts';

export interface ReaderSettings {
  keyPrefix: string;
  defaultNamespace: string;
}

/**
 * Finds a customer's profile where the profiler keeps it: live namespace, the partition the
 * producers' partitioner gives the customer id, the partition's profiles hash.
 */
export class ProfileReader {
  constructor(
    private readonly redis: RedisClient,
    private readonly partitions: PartitionCount,
    private readonly settings: ReaderSettings,
    private readonly rules: RulesConfig,
  ) {}

  async liveNamespace(): Promise<string> {
    return (
      (await this.redis.get(liveNamespaceKey(this.settings.keyPrefix))) ??
      this.settings.defaultNamespace
    );
  }

  /** The live namespace's segment figures, partitions merged, grouped by `by`. */
  async segments(
    by: readonly SegmentDimension[],
    fromDay: number | null,
    toDay: number | null,
  ): Promise<SegmentsResponse> {
    const namespace = await this.liveNamespace();
    return readSegments(
      this.redis,
      namespace,
      await this.partitions.count(),
      this.settings.keyPrefix,
      by,
      fromDay,
      toDay,
    );
  }

  /** The profile with its derived values, or undefined for a customer Pulse has never seen. */
  async read(customerId: string, asOfMs?: number): Promise<ProfileResponse | undefined> {
    const namespace = await this.liveNamespace();
    const partition = partitionForKey(customerId, await this.partitions.count());
    const stored = await readStoredProfile(
      this.redis,
      namespace,
      partition,
      customerId,
      this.settings.keyPrefix,
    );
    if (!stored.profile) return undefined;
    const profile = decodeProfile(stored.profile);
    const streamTimeMs = stored.streamTimeMs;
    const basis = asOfMs === undefined ? 'stream-time' : 'requested';
    const at =
      asOfMs ?? streamTimeMs ?? profile.clockMs ?? profile.lastVisitMs ?? profile.firstSeenMs ?? 0;
    const view = deriveView(profile, at, this.rules);
    const lapseOpen = profile.openEpisodeSinceMs !== null;
    const traits = traitsView(profile.traits);
    const { segment, latencyBand } = segmentOf(profile, view, this.rules);
    return {
      ...view,
      namespace,
      partition,
      asOf: new Date(at).toISOString(),
      asOfBasis: basis,
      traits,
      segment: { segment, latencyBand },
      lastSignals: {
        lapse:
          profile.episodeCount === 0
            ? null
            : {
                kind: lapseOpen ? 'lapsed' : 'reactivated',
                episode: profile.episodeCount,
                sinceMs: profile.openEpisodeSinceMs,
              },
        readyToBuy:
          profile.readyToBuyCount === 0 || profile.lastReadyToBuyDay === null
            ? null
            : {
                count: profile.readyToBuyCount,
                lastDay: new Date(profile.lastReadyToBuyDay * DAY_MS).toISOString().slice(0, 10),
              },
      },
    };
  }
}
