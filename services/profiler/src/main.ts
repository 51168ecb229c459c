import { readFileSync } from 'node:fs';
import pino from 'pino';
import { loadConnectionEnv } from '@pulse/config';
import { defaultRulesConfig, parseRulesConfig } from '@pulse/core';
import { profilerConfigFromEnv, type ProfilerConfig } from './config.ts';
import { failpointsFromEnv, parseFailpoint } from './failpoints.ts';
import { startProfiler } from './profiler.ts';

/**
 * `pulse run profiler`: runs until SIGTERM/SIGINT, then finishes the batch in hand, commits,
 * leaves the group and exits 0 within the shutdown timeout.
 */
export async function runProfiler(
  overrides: Partial<ProfilerConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const loggerOptions = { name: 'pulse-profiler', level: env.PULSE_LOG_LEVEL ?? 'info' };
  // An armed test failpoint stops the process right after its log line: log synchronously then,
  // so that line and every one before it reach stdout first.
  const logger = parseFailpoint(env.PULSE_TEST_FAILPOINT)
    ? pino(loggerOptions, pino.destination({ dest: 1, sync: true }))
    : pino(loggerOptions);
  const connection = loadConnectionEnv(env);
  const config = profilerConfigFromEnv(env, overrides);
  const rules = env.PULSE_RULES_FILE
    ? parseRulesConfig(JSON.parse(readFileSync(env.PULSE_RULES_FILE, 'utf8')))
    : defaultRulesConfig;
  // Test-only (fault tests aim a SIGKILL / SIGSTOP at an exact window): see failpoints.ts.
  const failpoints = failpointsFromEnv(env, (failpoint) =>
    logger.warn({ failpoint }, 'test failpoint reached; stopping the process'),
  );
  const profiler = await startProfiler({ connection, config, rules, logger, failpoints });
  logger.info(
    {
      namespace: config.namespace,
      groupId: config.groupId,
      opsPort: profiler.opsPort,
      signalMode: config.signalMode,
    },
    'profiler started',
  );

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      const timer = setTimeout(() => {
        logger.error('shutdown timed out; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      void profiler.stop().then(resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  logger.info('stopped');
}
