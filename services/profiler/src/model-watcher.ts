import type { RedisClient } from '@pulse/store';
import type { Logger } from 'pino';
import type { FittedModel } from '@pulse/core';
import { parseModel, readModelText } from '@pulse/store';
import type { ProfilerMetrics } from './metrics.ts';

/**
 * The purchase model decisions read, as `pulse model fit` last stored it for the namespace. The
 * profiler asks on every tick (one GET of a small key; parsed only when the text changed), so a
 * new fit is used from the next step on without a restart. A stored model that does not parse
 * is logged and the one in use is kept.
 */
export class ModelWatcher {
  private text: string | null = null;
  private model: FittedModel | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly logger: Logger,
    private readonly metrics: ProfilerMetrics,
  ) {}

  current(): FittedModel | null {
    return this.model;
  }

  async refresh(namespace: string): Promise<void> {
    const text = await readModelText(this.redis, namespace, this.keyPrefix);
    if (text === this.text) return;
    this.text = text;
    if (text === null) {
      this.model = null;
      this.metrics.purchaseModel.set(0);
      return;
    }
    try {
      const stored = parseModel(text);
      this.model = { version: stored.version, parameters: stored.parameters };
      this.metrics.purchaseModel.set(stored.fittedAtMs / 1000);
      this.logger.info({ namespace, version: stored.version }, 'purchase model in use');
    } catch (error) {
      this.logger.warn(
        { namespace, err: (error as Error).message },
        'stored purchase model unreadable; keeping the one in use',
      );
    }
  }
}
