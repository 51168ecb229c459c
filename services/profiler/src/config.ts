import { z } from 'zod';
import { TOPICS } from '@pulse/contracts';
import { defaultGuardSettings, guardSettingsSchema, type GuardSettings } from '@pulse/core';

/**
 * The profiler's own settings (connections come from @pulse/config, rules from @pulse/core).
 * Units are in the names. Parsed once at start-up; a bad value stops the process naming it.
 */
export const profilerDefaults = {
  groupId: 'pulse-profiler',
  namespace: 'v1',
  /** Read the namespace from `<prefix>:live-namespace` at start and follow `pulse promote`
   * Set when no namespace is configured explicitly (profilerConfigFromEnv). */
  followLiveNamespace: false,
  keyPrefix: 'pulse',
  visitsTopic: TOPICS.visits,
  purchasesTopic: TOPICS.purchases,
  /** Customers' traits: a third input, co-partitioned, outside the stream clock. */
  traitsTopic: TOPICS.traits,
  lapseTopic: TOPICS.lapseSignals,
  readyToBuyTopic: TOPICS.readyToBuySignals,
  deadLetterTopic: TOPICS.deadLetter,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  /** Bigger fetches: fewer round trips per event (a larger single record still comes). */
  maxBytesPerPartition: 4 * 1_048_576,
  /** How long the broker may hold a fetch that has nothing to return: bounds how long leaving
   * the group waits for the fetch in hand (a stop within a second). */
  fetchMaxWaitMs: 500,
  /** Bytes a fetch waits for (up to fetchMaxWaitMs) before it returns. */
  fetchMinBytes: 1,
  /**
   * Batches applied at once: every batch of one fetch on a typical deployment (three inputs ×
   * 12 partitions), so that while one task waits on Redis another applies its batch; with fewer,
   * a partition's purchases and traits batches wait for another task to finish first (measured
   * in services/profiler/README.md).
   */
  partitionsConsumedConcurrently: 36,
  /** Most events applied per Redis load/commit pair; bounds one script call's size. */
  maxEventsPerCommit: 5_000,
  /**
   * Most due customers swept per commit. A weekly look at a partition's customers waiting for a
   * lapse comes due for all of them at once; when they are more than this, Redis must choose the
   * first ones (through a scratch sorted set, on every load until all are looked at): at 2,000 that
   * choosing was a quarter of Redis's CPU in the benchmark's drain.
   */
  maxDuePerSweep: 10_000,
  /**
   * Decoded profiles a partition task keeps between batches (estimated heap bytes); 0: none.
   * None by default: on the benchmark's drain (2 cores shared with the broker and Redis) a
   * cache of 32 MiB a partition cost more collector work than the loads and decodes it saved
   * (services/profiler/README.md, "The profile cache").
   */
  profileCacheBytesPerPartition: 0,
  /**
   * Records behind its input from which a partition task keeps profiles between batches (a
   * backlog); it stops, and drops them, once back within a fifth of it. 0: always keeps them.
   */
  profileCacheMinLag: 5_000,
  /** How often idle partitions sweep their due index and the relay drains outboxes. */
  tickIntervalMs: 1_000,
  relayBatchSize: 500,
  /** Upper bound of one Redis call; a frozen Redis fails calls instead of hanging batches. */
  redisCommandTimeoutMs: 5_000,
  /** First and longest back-off while Redis or Kafka is unavailable. */
  retryInitialMs: 200,
  retryMaxMs: 5_000,
  /** SIGTERM: time allowed to finish the batch in hand and leave the group. */
  shutdownTimeoutMs: 20_000,
  metricsPort: 9464,
  metricsHost: '127.0.0.1',
  /** Where signals go: the outbox (live), nowhere (replay, counted) or another topic. */
  signalMode: 'outbox' as 'outbox' | 'suppress' | 'redirect',
  redirectTopic: undefined as string | undefined,
  /** Input with no committed position starts here. */
  fromBeginning: true,
  /** A caught-up partition with no input for this long (wall clock) is idle and follows the
   * group's low watermark, so its timers fire late by a bounded delay, never never. */
  idleAfterMs: 30_000,
  /** When every partition is idle, stream time may follow the wall clock minus this much
   * (unset: it waits for traffic; the outage guard then holds what the resumed clock finds). */
  idleWallClockLagMs: undefined as number | undefined,
  // The outage guard (see @pulse/core, partition/guard.ts for what each one means).
  outageSilenceProbability: defaultGuardSettings.outageSilenceProbability,
  outageGraceMs: defaultGuardSettings.outageGraceMs,
  holdConfirmMs: defaultGuardSettings.holdConfirmMs,
  stormMaxLapseShare: defaultGuardSettings.stormMaxLapseShare,
  stormMinLapses: defaultGuardSettings.stormMinLapses,
};

const topicName = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'not a valid Kafka topic name');

export const profilerConfigSchema = z
  .object({
    groupId: z.string().min(1),
    namespace: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'use lower-case letters, digits, - or _'),
    followLiveNamespace: z.boolean(),
    keyPrefix: z.string().regex(/^[a-z0-9_-]{1,32}$/),
    visitsTopic: topicName,
    purchasesTopic: topicName,
    traitsTopic: topicName,
    lapseTopic: topicName,
    readyToBuyTopic: topicName,
    deadLetterTopic: topicName,
    sessionTimeoutMs: z.number().int().min(6_000).max(300_000),
    heartbeatIntervalMs: z.number().int().min(100),
    maxBytesPerPartition: z.number().int().min(1024),
    fetchMaxWaitMs: z.number().int().min(10).max(30_000),
    fetchMinBytes: z.number().int().min(1).max(67_108_864),
    partitionsConsumedConcurrently: z.number().int().min(1).max(64),
    maxEventsPerCommit: z.number().int().min(1).max(50_000),
    maxDuePerSweep: z.number().int().min(1).max(50_000),
    profileCacheBytesPerPartition: z.number().int().min(0),
    profileCacheMinLag: z.number().int().min(0),
    tickIntervalMs: z.number().int().min(10),
    relayBatchSize: z.number().int().min(1).max(10_000),
    redisCommandTimeoutMs: z.number().int().min(100),
    retryInitialMs: z.number().int().min(1),
    retryMaxMs: z.number().int().min(1),
    shutdownTimeoutMs: z.number().int().min(1_000),
    metricsPort: z.number().int().min(0).max(65_535),
    metricsHost: z.string().min(1),
    metricsToken: z.string().min(16).optional(),
    signalMode: z.enum(['outbox', 'suppress', 'redirect']),
    redirectTopic: topicName.optional(),
    fromBeginning: z.boolean(),
    idleAfterMs: z.number().int().min(0),
    idleWallClockLagMs: z.number().int().min(0).optional(),
    outageSilenceProbability: guardSettingsSchema.shape.outageSilenceProbability,
    outageGraceMs: guardSettingsSchema.shape.outageGraceMs,
    holdConfirmMs: guardSettingsSchema.shape.holdConfirmMs,
    stormMaxLapseShare: guardSettingsSchema.shape.stormMaxLapseShare,
    stormMinLapses: guardSettingsSchema.shape.stormMinLapses,
  })
  .superRefine((config, context) => {
    if (config.heartbeatIntervalMs * 3 > config.sessionTimeoutMs) {
      context.addIssue({
        code: 'custom',
        path: ['heartbeatIntervalMs'],
        message: 'must be at most a third of sessionTimeoutMs',
      });
    }
    if (new Set([config.visitsTopic, config.purchasesTopic, config.traitsTopic]).size !== 3) {
      context.addIssue({
        code: 'custom',
        path: ['traitsTopic'],
        message: 'visitsTopic, purchasesTopic and traitsTopic must be three different topics',
      });
    }
    if (config.retryInitialMs > config.retryMaxMs) {
      context.addIssue({
        code: 'custom',
        path: ['retryInitialMs'],
        message: 'must not exceed retryMaxMs',
      });
    }
    if (config.signalMode === 'redirect' && !config.redirectTopic) {
      context.addIssue({
        code: 'custom',
        path: ['redirectTopic'],
        message: 'signalMode redirect needs redirectTopic',
      });
    }
    const live = [config.lapseTopic, config.readyToBuyTopic];
    if (config.redirectTopic && live.includes(config.redirectTopic)) {
      context.addIssue({
        code: 'custom',
        path: ['redirectTopic'],
        message: 'must not be a live signal topic',
      });
    }
  });

export type ProfilerConfig = z.infer<typeof profilerConfigSchema>;

export function parseProfilerConfig(input: Partial<ProfilerConfig>): ProfilerConfig {
  const parsed = profilerConfigSchema.safeParse({ ...profilerDefaults, ...input });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`invalid profiler setting: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Settings the environment may override (PULSE_* variables), as strings to be coerced. */
const envNames: Record<string, keyof ProfilerConfig> = {
  PULSE_GROUP_ID: 'groupId',
  PULSE_NAMESPACE: 'namespace',
  PULSE_KEY_PREFIX: 'keyPrefix',
  PULSE_VISITS_TOPIC: 'visitsTopic',
  PULSE_PURCHASES_TOPIC: 'purchasesTopic',
  PULSE_TRAITS_TOPIC: 'traitsTopic',
  PULSE_LAPSE_TOPIC: 'lapseTopic',
  PULSE_READY_TO_BUY_TOPIC: 'readyToBuyTopic',
  PULSE_DLQ_TOPIC: 'deadLetterTopic',
  PULSE_PARTITIONS_CONCURRENTLY: 'partitionsConsumedConcurrently',
  PULSE_FETCH_MAX_WAIT_MS: 'fetchMaxWaitMs',
  PULSE_FETCH_MIN_BYTES: 'fetchMinBytes',
  PULSE_MAX_EVENTS_PER_COMMIT: 'maxEventsPerCommit',
  PULSE_MAX_DUE_PER_SWEEP: 'maxDuePerSweep',
  PULSE_PROFILE_CACHE_BYTES_PER_PARTITION: 'profileCacheBytesPerPartition',
  PULSE_PROFILE_CACHE_MIN_LAG: 'profileCacheMinLag',
  PULSE_TICK_INTERVAL_MS: 'tickIntervalMs',
  PULSE_SESSION_TIMEOUT_MS: 'sessionTimeoutMs',
  PULSE_HEARTBEAT_INTERVAL_MS: 'heartbeatIntervalMs',
  PULSE_METRICS_PORT: 'metricsPort',
  PULSE_METRICS_HOST: 'metricsHost',
  PULSE_METRICS_TOKEN: 'metricsToken',
  PULSE_SIGNAL_MODE: 'signalMode',
  PULSE_REDIRECT_TOPIC: 'redirectTopic',
  PULSE_REDIS_COMMAND_TIMEOUT_MS: 'redisCommandTimeoutMs',
  PULSE_IDLE_AFTER_MS: 'idleAfterMs',
  PULSE_IDLE_WALL_CLOCK_LAG_MS: 'idleWallClockLagMs',
  PULSE_OUTAGE_SILENCE_PROBABILITY: 'outageSilenceProbability',
  PULSE_OUTAGE_GRACE_MS: 'outageGraceMs',
  PULSE_HOLD_CONFIRM_MS: 'holdConfirmMs',
  PULSE_STORM_MAX_LAPSE_SHARE: 'stormMaxLapseShare',
  PULSE_STORM_MIN_LAPSES: 'stormMinLapses',
};

export function profilerConfigFromEnv(
  env: NodeJS.ProcessEnv,
  overrides: Partial<ProfilerConfig> = {},
): ProfilerConfig {
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(envNames)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const numeric =
      typeof profilerDefaults[key as keyof typeof profilerDefaults] === 'number' ||
      key === 'idleWallClockLagMs';
    fromEnv[key] = numeric ? Number(value) : value;
  }
  // No namespace named anywhere: follow the live one (`pulse promote`).
  const followLiveNamespace =
    overrides.followLiveNamespace ??
    (fromEnv.namespace === undefined && overrides.namespace === undefined);
  return parseProfilerConfig({
    ...(fromEnv as Partial<ProfilerConfig>),
    ...overrides,
    followLiveNamespace,
  });
}

/** The outage and storm guard's settings, as the core's partition step takes them. */
export function guardSettingsOf(config: ProfilerConfig): GuardSettings {
  return {
    outageSilenceProbability: config.outageSilenceProbability,
    outageGraceMs: config.outageGraceMs,
    holdConfirmMs: config.holdConfirmMs,
    stormMaxLapseShare: config.stormMaxLapseShare,
    stormMinLapses: config.stormMinLapses,
  };
}
