export { commitResultToError, StoreError, type StoreErrorCode } from './errors.ts';
export {
  assertNamespace,
  liveNamespaceKey,
  maxEventField,
  offsetField,
  partitionKeys,
  STREAM_TIME_FIELD,
  type PartitionKeys,
} from './keys.ts';
export {
  assertNoEviction,
  buildCommitArgs,
  parseMeta,
  PartitionStore,
  type BatchCommit,
  type LoadedBatch,
  type PartitionMeta,
} from './partition-store.ts';
export { defineScripts, SCRIPTS_VERSION } from './scripts.ts';
