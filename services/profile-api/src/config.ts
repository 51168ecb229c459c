import { z } from 'zod';
import { accessKeyListSchema, AccessKeyRing, bearerToken } from '@pulse/config';

/**
 * The profile API's settings (connections come from @pulse/config). Units in the names; parsed
 * once at start-up, a bad value stops the process naming the setting.
 */
export const profileApiDefaults = {
  host: '0.0.0.0',
  port: 8081,
  /** Must match the profiler's: the API reads the profiler's keys and partitions. */
  keyPrefix: 'pulse',
  visitsTopic: 'pulse.visits',
  /** Namespace read when `<prefix>:live-namespace` is unset (the profiler's default). */
  defaultNamespace: 'v1',
  /** How long the visits topic's partition count is trusted before it is fetched again. */
  partitionCountTtlMs: 60_000,
  redisCommandTimeoutMs: 2_000,
  metricsToken: undefined as string | undefined,
};

/** `name1:key1,name2:key2`: who a read key belongs to (keys at least 16 characters). */
export const readKeysSchema = accessKeyListSchema({
  keyWord: 'read',
  ownerWord: 'name',
  uniqueOwners: false,
}).transform((keys) => keys.map(({ owner, key }) => ({ name: owner, key })));

export type ReadKey = z.output<typeof readKeysSchema>[number];

export const profileApiConfigSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(0).max(65_535),
  keyPrefix: z.string().regex(/^[a-z0-9_-]{1,32}$/),
  visitsTopic: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'not a valid Kafka topic name'),
  defaultNamespace: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/),
  partitionCountTtlMs: z.number().int().min(1_000),
  redisCommandTimeoutMs: z.number().int().min(100),
  readKeys: z.array(z.object({ name: z.string(), key: z.string().min(16) })).min(1),
  metricsToken: z.string().min(16).optional(),
});

export type ProfileApiConfig = z.infer<typeof profileApiConfigSchema>;

export function parseProfileApiConfig(
  input: Partial<ProfileApiConfig> & Pick<ProfileApiConfig, 'readKeys'>,
): ProfileApiConfig {
  const parsed = profileApiConfigSchema.safeParse({ ...profileApiDefaults, ...input });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`invalid profile-api setting: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Settings from PULSE_PROFILE_API_* and the profiler's shared PULSE_KEY_PREFIX / PULSE_VISITS_TOPIC. */
export function profileApiConfigFromEnv(
  env: NodeJS.ProcessEnv,
  overrides: Partial<ProfileApiConfig> = {},
): ProfileApiConfig {
  const fromEnv: Record<string, unknown> = {};
  const text: Record<string, keyof ProfileApiConfig> = {
    PULSE_PROFILE_API_HOST: 'host',
    PULSE_KEY_PREFIX: 'keyPrefix',
    PULSE_VISITS_TOPIC: 'visitsTopic',
    PULSE_NAMESPACE: 'defaultNamespace',
    PULSE_PROFILE_API_METRICS_TOKEN: 'metricsToken',
  };
  const numeric: Record<string, keyof ProfileApiConfig> = {
    PULSE_PROFILE_API_PORT: 'port',
    PULSE_PROFILE_API_PARTITION_COUNT_TTL_MS: 'partitionCountTtlMs',
  };
  for (const [name, key] of Object.entries(text)) if (env[name]) fromEnv[key] = env[name];
  for (const [name, key] of Object.entries(numeric))
    if (env[name]) fromEnv[key] = Number(env[name]);
  if (overrides.readKeys === undefined) {
    const keys = readKeysSchema.safeParse(env.PULSE_PROFILE_API_READ_KEYS ?? '');
    if (!keys.success) {
      const problems = keys.error.issues.map((issue) => issue.message).join('; ');
      throw new Error(`invalid profile-api setting: PULSE_PROFILE_API_READ_KEYS: ${problems}`);
    }
    fromEnv.readKeys = keys.data;
  }
  return parseProfileApiConfig({
    ...(fromEnv as Partial<ProfileApiConfig>),
    ...overrides,
  } as Partial<ProfileApiConfig> & Pick<ProfileApiConfig, 'readKeys'>);
}

/** Who a presented read key (`Authorization: Bearer`) belongs to; constant-time, see AccessKeyRing. */
export class ReadKeyRing {
  private readonly ring: AccessKeyRing;

  constructor(keys: readonly ReadKey[]) {
    this.ring = new AccessKeyRing(keys.map(({ name, key }) => ({ owner: name, key })));
  }

  nameOf(authorization: string | undefined): string | undefined {
    return this.ring.ownerOf(bearerToken(authorization));
  }
}
