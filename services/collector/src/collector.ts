import type { Logger } from 'pino';
import type { ConnectionEnv } from '@pulse/config';
import { BrokerProbe, createKafka, kafkaAuthenticationHint, quietKafkaLogs } from '@pulse/stream';
import { buildTrackerBundles } from '@pulse/tracker';
import type { CollectorConfig } from './config.ts';
import { CollectorMetrics } from './metrics.ts';
import { buildCollectorServer } from './server.ts';
import { KafkaEventSink } from './sink.ts';
import { trackerScripts, type TrackerScripts } from './tracker-scripts.ts';

export interface Collector {
  port: number;
  url: string;
  metrics: CollectorMetrics;
  /** The browser tracker it serves at /v1/tracker.js (bytes, ETag, gzipped size). */
  tracker: TrackerScripts;
  stop(): Promise<void>;
}

export interface CollectorOptions {
  connection: ConnectionEnv;
  config: CollectorConfig;
  logger: Logger;
  collectDefaultMetrics?: boolean;
  /**
   * Kafka refused the login (after it was logged): retrying cannot help. `pulse run collector`
   * stops on it; by default the collector keeps answering 503 and /readyz 503.
   */
  onFatal?: (error: Error) => void;
}

/**
 * Starts listening at once and connects to Kafka in the background: while Kafka is
 * unreachable the collector is alive (/healthz), not ready (/readyz 503: a metadata round trip
 * to the broker, cached a few seconds), and answers event batches with 503 + Retry-After.
 */
export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const { config, logger } = options;
  const kafka = createKafka(options.connection, {
    // Fail a connection attempt in seconds, not the client's default half a minute: the
    // tracker is waiting, and it retries on 503 anyway.
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    ...quietKafkaLogs,
  });
  const sink = new KafkaEventSink(kafka, {
    produceTimeoutMs: config.produceTimeoutMs,
    logger,
    topics: [config.visitsTopic, config.purchasesTopic, config.traitsTopic],
    probe: new BrokerProbe(options.connection),
    onAuthenticationFailure: (error) => {
      const hint = kafkaAuthenticationHint(options.connection);
      logger.error({ err: error instanceof Error ? error.message : String(error) }, hint);
      options.onFatal?.(new Error(hint, { cause: error }));
    },
  });
  const metrics = new CollectorMetrics(options.collectDefaultMetrics ?? true);
  // Built from the tracker's sources at start-up (esbuild, tens of milliseconds), like the rest
  // of Pulse runs from its sources: the served script always matches this version.
  const tracker = trackerScripts(await buildTrackerBundles());
  const app = buildCollectorServer({ config, sink, metrics, logger, trackerScripts: tracker });
  void sink.start();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  return {
    port,
    url: `http://${host}:${port}`,
    metrics,
    tracker,
    async stop() {
      await app.close();
      await sink.close();
    },
  };
}
