export {
  connectionEnvSchema,
  kafkaClientOptions,
  loadConnectionEnv,
  describeRedis,
  redisConnection,
  type RedisAuthOptions,
  type RedisConnection,
  type ConnectionEnv,
} from './connections.ts';
export { ConfigError, type ConfigErrorCode } from './errors.ts';
export { accessKeyListSchema, AccessKeyRing, bearerToken, type AccessKey } from './access-keys.ts';
