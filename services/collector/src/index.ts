export {
  batchRequestSchema,
  batchResponseSchema,
  checkBatchShape,
  collectorEventSchema,
  validateEvent,
  type BatchResponse,
  type EventResult,
  type FieldError,
} from './batch.ts';
export { startCollector, type Collector, type CollectorOptions } from './collector.ts';
export {
  collectorConfigFromEnv,
  collectorDefaults,
  parseCollectorConfig,
  parseCorsOrigins,
  writeKeysSchema,
  type CollectorConfig,
  type WriteKey,
} from './config.ts';
export { CollectorError, type CollectorErrorCode } from './errors.ts';
export { runCollector } from './main.ts';
export { CollectorMetrics } from './metrics.ts';
export { collectorOpenApi } from './openapi.ts';
export { buildCollectorServer, type CollectorServerOptions } from './server.ts';
export { KafkaEventSink, type EventSink } from './sink.ts';
export {
  registerTrackerRoutes,
  TRACKER_MAX_AGE_SECONDS,
  trackerScripts,
  type TrackerScripts,
} from './tracker-scripts.ts';
