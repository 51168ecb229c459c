import pino from 'pino';
import { loadConnectionEnv } from '@pulse/config';
import { startCollector } from './collector.ts';
import { collectorConfigFromEnv, type CollectorConfig } from './config.ts';

/** `pulse run collector`: serves until SIGTERM/SIGINT, then stops taking requests and exits. */
export async function runCollector(
  overrides: Partial<CollectorConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const logger = pino({ name: 'pulse-collector', level: env.PULSE_LOG_LEVEL ?? 'info' });
  const connection = loadConnectionEnv(env);
  const config = collectorConfigFromEnv(env, overrides);
  let failed: (error: Error) => void = () => undefined;
  const fatal = new Promise<never>((_, reject) => {
    failed = reject;
  });
  fatal.catch(() => undefined);
  const collector = await startCollector({
    connection,
    config,
    logger,
    // A refused Kafka login will not heal by retrying: stop, and let the exit code say so.
    onFatal: (error) => failed(error),
  });
  logger.info(
    {
      url: collector.url,
      sources: config.writeKeys.map((entry) => entry.source),
      corsOrigins: config.corsOrigins,
      sourceOrigins: config.sourceOrigins,
      trackerGzipBytes: collector.tracker.classic.gzipBytes,
      visitsTopic: config.visitsTopic,
      purchasesTopic: config.purchasesTopic,
      traitsTopic: config.traitsTopic,
    },
    'collector started',
  );
  const stopped = new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      void collector.stop().then(resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  try {
    await Promise.race([stopped, fatal]);
  } catch (error) {
    await collector.stop();
    throw error;
  }
  logger.info('stopped');
}
