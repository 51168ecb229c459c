import { logLevel, type Admin, type Kafka } from 'kafkajs';
import type { ConnectionEnv } from '@pulse/config';
import { createKafka } from './client.ts';

export const BROKER_PROBE_DEFAULTS = {
  /** How long an answer stands before the broker is asked again. */
  maxAgeMs: 2_000,
  /** Longest wait for the connection and for the metadata answer; past it, not reachable. */
  timeoutMs: 2_000,
} as const;

export interface BrokerProbeOptions {
  maxAgeMs?: number;
  timeoutMs?: number;
  /** Wall clock, injectable for tests. */
  nowMs?: () => number;
}

/**
 * Whether the brokers answer right now, for readiness: a metadata round trip (the cluster's
 * brokers and controller), cached for `maxAgeMs` so a load balancer polling /readyz does not
 * turn into broker load. A producer or consumer that was connected once says nothing about now:
 * kafkajs keeps "connected" while the broker is stopped or frozen, which is how /readyz once
 * stayed 200 through a Kafka outage.
 *
 * Its own client, with no retries and short timeouts: the answer must come in about
 * `timeoutMs`, and a failed round trip drops the connection so the next one starts clean.
 */
export class BrokerProbe {
  private readonly kafka: Kafka;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly nowMs: () => number;
  private admin: Admin | undefined;
  private answer: { reachable: boolean; atMs: number } | undefined;
  private pending: Promise<boolean> | undefined;
  private closed = false;

  constructor(env: ConnectionEnv, options: BrokerProbeOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? BROKER_PROBE_DEFAULTS.maxAgeMs;
    this.timeoutMs = options.timeoutMs ?? BROKER_PROBE_DEFAULTS.timeoutMs;
    this.nowMs = options.nowMs ?? Date.now;
    this.kafka = createKafka(env, {
      clientId: `${env.KAFKA_CLIENT_ID}-readiness`,
      connectionTimeout: this.timeoutMs,
      requestTimeout: this.timeoutMs,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
  }

  /** The last answer (false before the first one), without asking: for synchronous readers. */
  lastKnown(): boolean {
    return this.answer?.reachable ?? false;
  }

  /** A fresh enough answer, asking the broker when the cached one is older than maxAgeMs. */
  check(): Promise<boolean> {
    if (this.answer && this.nowMs() - this.answer.atMs < this.maxAgeMs)
      return Promise.resolve(this.answer.reachable);
    this.pending ??= this.roundTrip()
      .then((reachable) => {
        this.answer = { reachable, atMs: this.nowMs() };
        return reachable;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async roundTrip(): Promise<boolean> {
    if (this.closed) return false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      // connect + request, each bounded by the client's own timeouts; this bounds the sum.
      timer = setTimeout(() => reject(new Error('broker probe timed out')), 2 * this.timeoutMs);
    });
    try {
      this.admin ??= this.kafka.admin();
      const admin = this.admin;
      await Promise.race([
        (async () => {
          await admin.connect();
          await admin.describeCluster();
        })(),
        deadline,
      ]);
      return true;
    } catch {
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pending;
    await this.admin?.disconnect().catch(() => undefined);
  }
}
