export {
  createRedisClient,
  isCluster,
  redisNodes,
  type RedisClient,
  type RedisClientTuning,
} from './client.ts';
export { commitResultToError, StoreError, type StoreErrorCode } from './errors.ts';
export {
  assertNamespace,
  BUCKETS,
  customerBucket,
  singleKeyLayout,
  liveNamespaceKey,
  maxEventField,
  META_FIELDS,
  META_TOPIC_FIELD_PREFIXES,
  offsetField,
  partitionKeyList,
  partitionKeys,
  trafficField,
  type PartitionKeys,
} from './keys.ts';
export {
  parsePartitionHealth,
  readPartitionHealth,
  streamIdTimeMs,
  type NamespaceHealth,
  type PartitionHealth,
} from './health.ts';
export { decodeOutboxEntry, encodeOutboxEntry, type OutboxEntry } from './outbox.ts';
export {
  assertNoEviction,
  buildCommitArgs,
  parseMeta,
  PartitionStore,
  readPartitionMetas,
  type BatchCommit,
  type LoadedBatch,
  type PartitionMeta,
} from './partition-store.ts';
export {
  DEFAULT_LIVE_NAMESPACE,
  dropNamespace,
  forgetCustomer,
  forgottenGenerationKey,
  forgottenKey,
  groupByHashTag,
  hashCustomerId,
  listNamespaces,
  migrateNamespaceToBuckets,
  type MigrationResult,
  namespaceIsEmpty,
  namespaceKeyPattern,
  namespaceOutboxLength,
  parseMetaKey,
  promoteNamespace,
  readForgotten,
  readLiveNamespace,
  readNamespacePositions,
  readPartitionDue,
  readPartitionProfiles,
  readSegmentFigures,
  readStoredProfile,
  seedPartitionPositions,
  type ForgetResult,
  type ForgottenSet,
} from './namespaces.ts';
export { defineScripts, SCRIPTS_VERSION } from './scripts.ts';
export {
  modelKey,
  parseModel,
  readModel,
  readModelText,
  scanProfiles,
  storedModelSchema,
  writeModel,
  type StoredModel,
} from './model.ts';
