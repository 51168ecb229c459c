export {
  connectionEnvSchema,
  kafkaClientOptions,
  loadConnectionEnv,
  redisClientOptions,
  type ConnectionEnv,
} from './connections.ts';
export { ConfigError, type ConfigErrorCode } from './errors.ts';
export { accessKeyListSchema, AccessKeyRing, bearerToken, type AccessKey } from './access-keys.ts';
