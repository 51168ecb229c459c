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
