export { APICURIO_VERSION, KAFKA_VERSION, ensureKafkaClasspath } from './artifacts.ts';
export { freePort } from './ports.ts';
export { cacheDir } from './paths.ts';
export { isAlive, stopPid } from './process.ts';
export { startRedis, waitForRedis, type RedisServer } from './redis.ts';
export {
  nodeCommand,
  redisCli,
  startClusterNode,
  startRedisCluster,
  waitForClusterOk,
  type RedisClusterNode,
  type RedisClusterServer,
} from './redis-cluster.ts';
export {
  startKafka,
  waitForKafka,
  type KafkaPorts,
  type KafkaSaslUser,
  type KafkaServer,
  type StartKafkaOptions,
} from './kafka.ts';
export { waitForSchemaRegistry } from './schema-registry.ts';
export {
  guardStack,
  infraDown,
  infraStatus,
  infraUp,
  readStackState,
  startStack,
  type ConnectionSettings,
  type RunningStack,
  type StackProcess,
  type StackStatus,
} from './stack.ts';
export { waitUntil } from './wait.ts';
