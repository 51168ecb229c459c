import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { readStackState } from '@pulse/local-stack';
import { examples, paragraphs } from '../help-text.ts';
import { positiveInteger } from '../options.ts';

/** The `pulse` launcher, to start more profiler processes with the same command. */
const PULSE_BIN = fileURLToPath(new URL('../../../../bin/pulse.mjs', import.meta.url));

interface ProfilerRunOptions {
  namespace?: string;
  groupId?: string;
  metricsPort?: string;
  processes: number;
}

/** Fills connection settings a shell lacks from the stack `pulse infra up` started. */
function withLocalStackEnv(): NodeJS.ProcessEnv {
  const stack = readStackState();
  return { ...(stack?.settings ?? {}), ...process.env };
}

export function registerRunCommands(program: Command): void {
  const run = program
    .command('run')
    .summary('run a service in the foreground')
    .description(
      paragraphs(
        "Runs one of Pulse's services in the foreground until SIGTERM or Ctrl-C. Each reads " +
          "its settings from the environment (the service's README lists them) and logs JSON " +
          'lines to stdout, never event payloads.',
      ),
    )
    .addHelpText('after', examples('npx pulse run profiler'));
  run
    .command('profiler')
    .summary('consume the inputs, keep profiles, emit signals')
    .description(
      paragraphs(
        'Consumes pulse.visits and pulse.purchases as a member of a consumer group, keeps ' +
          "every customer's profile in Redis and emits signals through each partition's " +
          'outbox. Start more of them, on this host or others, to share the partitions; ' +
          '--processes starts several under this one, one per core.',
        'Settings: KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL and the PULSE_* variables ' +
          'of services/profiler/README.md. It serves /healthz, /readyz and /metrics on the ' +
          'metrics port. On SIGTERM or Ctrl-C it finishes the batch in hand, commits it and ' +
          'leaves the group.',
      ),
    )
    .addHelpText(
      'after',
      examples(
        'npx pulse run profiler',
        'npx pulse run profiler --processes 2 --metrics-port 9464',
      ),
    )
    .option(
      '--namespace <name>',
      'profile key namespace (default: the live one, following pulse promote)',
    )
    .option('--group-id <id>', 'consumer group (default: pulse-profiler)')
    .option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz (0 = any free port)')
    .option(
      '--processes <n>',
      'run n profiler processes under this one (one per core); each is a group member and ' +
        'process i serves its metrics on port + i',
      positiveInteger,
      1,
    )
    .action(async (options: ProfilerRunOptions) => {
      const processes = options.processes;
      if (processes > 1) {
        const { runSupervisedProfilers, pulseLaunchArgs } = await import('@pulse/profiler');
        const env = withLocalStackEnv();
        if (options.metricsPort !== undefined) env.PULSE_METRICS_PORT = options.metricsPort;
        const childArgs = [
          ...(options.namespace ? ['--namespace', options.namespace] : []),
          ...(options.groupId ? ['--group-id', options.groupId] : []),
        ];
        process.exitCode = await runSupervisedProfilers(
          processes,
          // This process's flags, and the profiler's when it was started without them.
          [
            process.execPath,
            ...pulseLaunchArgs(PULSE_BIN, ['run', 'profiler', ...childArgs], process.execArgv),
          ],
          env,
        );
        return;
      }
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
    .summary('the HTTP front door for trackers and order systems')
    .description(
      paragraphs(
        'Serves POST /v1/events for trackers and order systems (write keys, browser origins ' +
          'per key, size limits, a rate limit per key) and produces the events to pulse.visits ' +
          'and pulse.purchases, answering 202 only for events the broker acknowledged. It also ' +
          'serves the browser tracker at GET /v1/tracker.js.',
        'Settings: PULSE_COLLECTOR_WRITE_KEYS=source:key,… and the PULSE_COLLECTOR_* ' +
          'variables of services/collector/README.md.',
      ),
    )
    .addHelpText(
      'after',
      examples('PULSE_COLLECTOR_WRITE_KEYS=web:web-key-0123456789ab npx pulse run collector'),
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
    .summary('HTTP read access to profiles')
    .description(
      paragraphs(
        "Serves GET /v1/profiles/:customerId: a customer's profile with its derived values " +
          '(usual latency, days silent, hurdle, status), from the live namespace, to clients ' +
          'with a read key.',
        'Settings: PULSE_PROFILE_API_READ_KEYS=name:key,… and the PULSE_PROFILE_API_* ' +
          'variables of services/profile-api/README.md.',
      ),
    )
    .addHelpText(
      'after',
      examples('PULSE_PROFILE_API_READ_KEYS=crm:crm-key-0123456789ab npx pulse run profile-api'),
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
