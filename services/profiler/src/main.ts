import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { loadConnectionEnv } from '@pulse/config';
import { defaultRulesConfig, parseRulesConfig } from '@pulse/core';
import { profilerConfigFromEnv, type ProfilerConfig } from './config.ts';
import { failpointsFromEnv, parseFailpoint } from './failpoints.ts';
import { startProfiler } from './profiler.ts';
import { superviseProfilers } from './supervisor.ts';

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

/**
 * `pulse run profiler --processes N`: N profiler processes (`command` starts one, with the same
 * settings; child i gets metrics port base + i unless the base is 0), replaced when one dies,
 * all stopped by SIGTERM/SIGINT. Resolves with the highest exit code of the stopped children.
 */
export async function runSupervisedProfilers(
  count: number,
  command: readonly [string, ...string[]],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const logger = pino({ name: 'pulse-profiler-supervisor', level: env.PULSE_LOG_LEVEL ?? 'info' });
  const basePort = profilerConfigFromEnv(env, {}).metricsPort;
  const [executable, ...args] = command;
  const supervisor = superviseProfilers({
    count,
    logger,
    spawnChild: (index) =>
      spawn(executable, args, {
        stdio: 'inherit',
        env: { ...env, PULSE_METRICS_PORT: String(basePort === 0 ? 0 : basePort + index) },
      }),
  });
  logger.info({ processes: count }, 'supervising profiler processes');
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'stopping every profiler process');
    void supervisor.stop(signal);
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const code = await supervisor.done;
  logger.info({ code }, 'stopped');
  return code;
}
