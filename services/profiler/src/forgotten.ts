import type { RedisClient } from '@pulse/store';
import { hashCustomerId, readForgotten } from '@pulse/store';

/**
 * The profiler's copy of the forgotten-customers set (`pulse forget`): events of a
 * forgotten customer are consumed but never applied, so neither the live run nor a replay
 * brings them back. Refreshed when a partition's meta carries a newer generation than this
 * copy (the forget script stamps it and bumps the version, so a commit loaded before the
 * forget fails its CAS and is recomputed against the refreshed set).
 */
export class ForgottenCustomers {
  private generation = -1;
  private hashes = new Set<string>();
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Reads the set when this copy is older than `generation` (or never read). */
  async syncTo(generation: number): Promise<void> {
    while (this.generation < generation || this.generation < 0) {
      this.refreshing ??= readForgotten(this.redis, this.prefix)
        .then((set) => {
          this.generation = Math.max(this.generation, set.generation);
          this.hashes = set.hashes;
        })
        .finally(() => {
          this.refreshing = undefined;
        });
      await this.refreshing;
      // The counter is bumped before the meta is stamped, so one read is always enough.
      if (this.generation < generation) this.generation = generation;
    }
  }

  has(customerId: string): boolean {
    return this.hashes.size > 0 && this.hashes.has(hashCustomerId(customerId));
  }
}
