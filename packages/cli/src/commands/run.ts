import type { Command } from 'commander';
import { readStackState } from '@pulse/local-stack';

/** Fills connection settings a shell lacks from the stack `pulse infra up` started. */
function withLocalStackEnv(): NodeJS.ProcessEnv {
  const stack = readStackState();
  return { ...(stack?.settings ?? {}), ...process.env };
}

export function registerRunCommands(program: Command): void {
  const run = program.command('run').description("run one of Pulse's services in the foreground");
  run
    .command('profiler')
    .description(
      'consume pulse.visits and pulse.purchases, keep profiles in Redis, emit signals. ' +
        'Settings: KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL, PULSE_* (see services/profiler/README.md). ' +
        'Stops cleanly on SIGTERM / Ctrl-C.',
    )
    .option('--namespace <name>', 'profile key namespace (default: v1)')
    .option('--group-id <id>', 'consumer group (default: pulse-profiler)')
    .option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz (0 = any free port)')
    .action(async (options: { namespace?: string; groupId?: string; metricsPort?: string }) => {
      const { runProfiler } = await import('@pulse/profiler');
      await runProfiler(
        {
          ...(options.namespace ? { namespace: options.namespace } : {}),
          ...(options.groupId ? { groupId: options.groupId } : {}),
          ...(options.metricsPort !== undefined
            ? { metricsPort: Number(options.metricsPort) }
            : {}),
        },
        withLocalStackEnv(),
      );
    });
  run
    .command('collector')
    .description(
      'HTTP collector for trackers: POST /v1/events → pulse.visits / pulse.purchases. ' +
        'Settings: PULSE_COLLECTOR_WRITE_KEYS=source:key,… and PULSE_COLLECTOR_* (see services/collector/README.md).',
    )
    .option('--port <port>', 'HTTP port (default: 8080; 0 = any free port)')
    .action(async (options: { port?: string }) => {
      const { runCollector } = await import('@pulse/collector');
      await runCollector(
        options.port === undefined ? {} : { port: Number(options.port) },
        withLocalStackEnv(),
      );
    });
  run
    .command('profile-api')
    .description(
      'HTTP API: GET /v1/profiles/:customerId from the live namespace. ' +
        'Settings: PULSE_PROFILE_API_READ_KEYS=name:key,… and PULSE_PROFILE_API_* (see services/profile-api/README.md).',
    )
    .option('--port <port>', 'HTTP port (default: 8081; 0 = any free port)')
    .action(async (options: { port?: string }) => {
      const { runProfileApi } = await import('@pulse/profile-api');
      await runProfileApi(
        options.port === undefined ? {} : { port: Number(options.port) },
        withLocalStackEnv(),
      );
    });
}
