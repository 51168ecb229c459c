import type { KafkaAdmin } from '@pulse/stream';

/**
 * The visits topic's partition count, from Kafka metadata, cached for `ttlMs`. A failed refresh
 * keeps serving the last known count (partitions never shrink, and Pulse does not add any to
 * live input topics); with no count ever known, `count()` throws and the API answers 503.
 */
export class PartitionCount {
  private known: { count: number; fetchedAtMs: number } | undefined;
  private fetching: Promise<number> | undefined;

  constructor(
    private readonly admin: KafkaAdmin,
    private readonly topic: string,
    private readonly ttlMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  isKnown(): boolean {
    return this.known !== undefined;
  }

  async count(): Promise<number> {
    const known = this.known;
    if (known && this.nowMs() - known.fetchedAtMs < this.ttlMs) return known.count;
    const refresh = this.refresh();
    if (known) {
      refresh.catch(() => undefined); // stale but usable while Kafka is away
      return known.count;
    }
    return refresh;
  }

  refresh(): Promise<number> {
    // connect() is a no-op on a connected admin and recovers one that never reached Kafka.
    this.fetching ??= this.admin
      .connect()
      .then(() => this.admin.fetchTopicMetadata({ topics: [this.topic] }))
      .then((metadata) => {
        const count = metadata.topics.find((topic) => topic.name === this.topic)?.partitions.length;
        if (!count) throw new Error(`topic ${this.topic} has no partitions`);
        this.known = { count, fetchedAtMs: this.nowMs() };
        return count;
      })
      .finally(() => {
        this.fetching = undefined;
      });
    return this.fetching;
  }
}
