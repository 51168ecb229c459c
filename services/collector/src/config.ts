import { z } from 'zod';
import { accessKeyListSchema } from '@pulse/config';

/**
 * The collector's own settings (connections come from @pulse/config). Units are in the names.
 * Parsed once at start-up; a bad value stops the process naming the setting.
 */
export const collectorDefaults = {
  host: '0.0.0.0',
  port: 8080,
  visitsTopic: 'pulse.visits',
  purchasesTopic: 'pulse.purchases',
  traitsTopic: 'pulse.traits',
  /** Segment's batch endpoint takes 500 KB; Snowplow's collector about 1 MB. */
  maxEventsPerBatch: 500,
  maxBodyBytes: 512 * 1024,
  /** Browser origins allowed to post with any write key (CORS). Empty: none; ['*']: any. */
  corsOrigins: [] as string[],
  /** Browser origins allowed to post with one source's write key only: { shop: ['https://shop.example'] }. */
  sourceOrigins: {} as Record<string, string[]>,
  /** Token bucket per write key: sustained requests per second and the burst on top. */
  rateLimitPerSecond: 20,
  rateLimitBurst: 40,
  /** Longest wait for the broker's acknowledgement before answering 503. */
  produceTimeoutMs: 10_000,
  /** Retry-After sent with 503 (Kafka unavailable). */
  unavailableRetryAfterSeconds: 5,
  metricsToken: undefined as string | undefined,
};

/**
 * A browser origin exactly as the Origin header carries it: scheme, host and port only (no path,
 * no trailing slash), or `null` (sandboxed frames, file: pages).
 */
const originSchema = z
  .string()
  .regex(
    /^(null|https?:\/\/[^/?#\s]+)$/,
    'must be an origin such as https://shop.example or http://127.0.0.1:8090 (no path, no trailing slash)',
  );

const topicName = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'not a valid Kafka topic name');

/** `source1:key1,source2:key2`: which source a write key belongs to (keys at least 16 chars). */
export const writeKeysSchema = accessKeyListSchema({
  keyWord: 'write',
  ownerWord: 'source',
  uniqueOwners: true,
}).transform((keys) => keys.map(({ owner, key }) => ({ source: owner, key })));

export type WriteKey = z.output<typeof writeKeysSchema>[number];

export const collectorConfigSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65_535),
    visitsTopic: topicName,
    purchasesTopic: topicName,
    traitsTopic: topicName,
    writeKeys: z.array(z.object({ source: z.string(), key: z.string().min(16) })).min(1),
    maxEventsPerBatch: z.number().int().min(1).max(10_000),
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024),
    corsOrigins: z.array(z.union([z.literal('*'), originSchema])),
    sourceOrigins: z.record(z.string(), z.array(originSchema)),
    rateLimitPerSecond: z.number().positive(),
    rateLimitBurst: z.number().int().min(1),
    produceTimeoutMs: z.number().int().min(100),
    unavailableRetryAfterSeconds: z.number().int().min(1),
    metricsToken: z.string().min(16).optional(),
  })
  .superRefine((config, context) => {
    const sources = new Set(config.writeKeys.map((entry) => entry.source));
    for (const source of Object.keys(config.sourceOrigins)) {
      if (!sources.has(source))
        context.addIssue({
          code: 'custom',
          path: ['sourceOrigins', source],
          message: `names the source "${source}", which has no write key`,
        });
    }
    if (config.visitsTopic === config.purchasesTopic) {
      context.addIssue({
        code: 'custom',
        path: ['purchasesTopic'],
        message: 'must differ from visitsTopic',
      });
    }
    if (config.traitsTopic === config.visitsTopic || config.traitsTopic === config.purchasesTopic) {
      context.addIssue({
        code: 'custom',
        path: ['traitsTopic'],
        message: 'must differ from visitsTopic and purchasesTopic',
      });
    }
  });

export type CollectorConfig = z.infer<typeof collectorConfigSchema>;

export function parseCollectorConfig(
  input: Partial<CollectorConfig> & Pick<CollectorConfig, 'writeKeys'>,
): CollectorConfig {
  const parsed = collectorConfigSchema.safeParse({ ...collectorDefaults, ...input });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`invalid collector setting: ${problems.join('; ')}`);
  }
  return parsed.data;
}

const numericEnv: Record<string, keyof CollectorConfig> = {
  PULSE_COLLECTOR_PORT: 'port',
  PULSE_COLLECTOR_MAX_EVENTS_PER_BATCH: 'maxEventsPerBatch',
  PULSE_COLLECTOR_MAX_BODY_BYTES: 'maxBodyBytes',
  PULSE_COLLECTOR_RATE_LIMIT_PER_SECOND: 'rateLimitPerSecond',
  PULSE_COLLECTOR_RATE_LIMIT_BURST: 'rateLimitBurst',
  PULSE_COLLECTOR_PRODUCE_TIMEOUT_MS: 'produceTimeoutMs',
  PULSE_COLLECTOR_RETRY_AFTER_SECONDS: 'unavailableRetryAfterSeconds',
};

const textEnv: Record<string, keyof CollectorConfig> = {
  PULSE_COLLECTOR_HOST: 'host',
  PULSE_VISITS_TOPIC: 'visitsTopic',
  PULSE_PURCHASES_TOPIC: 'purchasesTopic',
  PULSE_TRAITS_TOPIC: 'traitsTopic',
  PULSE_COLLECTOR_METRICS_TOKEN: 'metricsToken',
};

/** Settings from PULSE_COLLECTOR_* (and the shared PULSE_*_TOPIC) variables, then overrides. */
export function collectorConfigFromEnv(
  env: NodeJS.ProcessEnv,
  overrides: Partial<CollectorConfig> = {},
): CollectorConfig {
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(numericEnv)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = Number(value);
  }
  for (const [name, key] of Object.entries(textEnv)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const origins = env.PULSE_COLLECTOR_CORS_ORIGINS;
  if (origins) Object.assign(fromEnv, parseCorsOrigins(origins));
  if (overrides.writeKeys === undefined) {
    const keys = writeKeysSchema.safeParse(env.PULSE_COLLECTOR_WRITE_KEYS ?? '');
    if (!keys.success) {
      const problems = keys.error.issues.map((issue) => issue.message).join('; ');
      throw new Error(`invalid collector setting: PULSE_COLLECTOR_WRITE_KEYS: ${problems}`);
    }
    fromEnv.writeKeys = keys.data;
  }
  return parseCollectorConfig({
    ...(fromEnv as Partial<CollectorConfig>),
    ...overrides,
  } as Partial<CollectorConfig> & Pick<CollectorConfig, 'writeKeys'>);
}

/**
 * PULSE_COLLECTOR_CORS_ORIGINS: a comma-separated list of `origin` (allowed with every write key)
 * and `source=origin` (allowed with that source's write key only), e.g.
 * `shop=https://shop.example,shop=https://www.shop.example,https://status.example`.
 */
export function parseCorsOrigins(
  text: string,
): Pick<CollectorConfig, 'corsOrigins' | 'sourceOrigins'> {
  const corsOrigins: string[] = [];
  const sourceOrigins: Record<string, string[]> = {};
  for (const entry of text.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const match = /^([a-zA-Z0-9._-]{1,64})=(.*)$/.exec(entry);
    if (match) (sourceOrigins[match[1]!] ??= []).push(match[2]!.trim());
    else corsOrigins.push(entry);
  }
  return { corsOrigins, sourceOrigins };
}
