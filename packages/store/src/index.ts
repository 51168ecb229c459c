export { commitResultToError, StoreError, type StoreErrorCode } from './errors.ts';
export {
  assertNamespace,
  FORGOTTEN_GENERATION_FIELD,
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
export {
  DEFAULT_LIVE_NAMESPACE,
  dropNamespace,
  forgetCustomer,
  forgottenGenerationKey,
  forgottenKey,
  hashCustomerId,
  listNamespaces,
  namespaceIsEmpty,
  namespaceKeyPattern,
  namespaceOutboxLength,
  parseMetaKey,
  promoteNamespace,
  readForgotten,
  readLiveNamespace,
  readNamespacePositions,
  readStoredProfile,
  seedPartitionPositions,
  type ForgetResult,
  type ForgottenSet,
} from './namespaces.ts';
export { defineScripts, SCRIPTS_VERSION } from './scripts.ts';
