export { commitResultToError, StoreError, type StoreErrorCode } from './errors.ts';
export {
  assertNamespace,
  liveNamespaceKey,
  maxEventField,
  offsetField,
  partitionKeys,
  LAST_EVENT_WALL_FIELD,
  SILENT_WINDOWS_FIELD,
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
