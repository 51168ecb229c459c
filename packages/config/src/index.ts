export {
  connectionEnvSchema,
  kafkaClientOptions,
  loadConnectionEnv,
  redisClientOptions,
  type ConnectionEnv,
} from './connections.ts';
export { ConfigError, type ConfigErrorCode } from './errors.ts';
