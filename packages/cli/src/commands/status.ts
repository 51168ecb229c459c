import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, type Command } from 'commander';
import {
  ClusterInspector,
  isKafkaAuthenticationError,
  kafkaAuthenticationHint,
} from '@pulse/stream';
import { StatusReader } from '../status/gather.ts';
import { renderStatus } from '../status/render.ts';
import type { StatusReport } from '../status/report.ts';
import { stateSettings, withRedis } from './state-access.ts';

/** Exit codes of `pulse status`, for scripts and probes. */
export const STATUS_EXIT = { healthy: 0, stuck: 1, couldNotRead: 2 } as const;

function seconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0.1 || parsed > 86_400) {
    throw new InvalidArgumentError('expected a number of seconds between 0.1 and 86400');
  }
  return parsed;
}

interface StatusOptions {
  json?: boolean;
  watch?: boolean;
  interval: number;
  stuckAfter: number;
  namespace?: string;
  groupId?: string;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause =
    error.cause instanceof Error && !error.message.includes(error.cause.message)
      ? `: ${error.cause.message}`
      : '';
  return `${error.message}${cause}`;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .summary('is Pulse keeping up? is a partition stuck?')
    .description(
      [
        'Shows the pipeline at a glance, the way `kafka-consumer-groups --describe` shows a ' +
          'group. Above: the consumer group and its members, the events per second the ' +
          'profilers commit, the signals and dead letters of the last hour, the live namespace ' +
          'and any replay. Below, one row per partition: the member that owns it, its stream ' +
          'time and how far that is behind the wall clock, the input lag per topic (log end ' +
          'minus the position stored in Redis), the outbox depth and the age of its oldest ' +
          'entry, held lapses, timers due, and the time since the last commit.',
        'A partition is stuck when its outbox does not drain, when input records wait and ' +
          'nothing commits, or when its stream time stands still while input records wait. ' +
          'Each must last --stuck-after seconds and hold across the sample. A stuck row is ' +
          'red on a terminal and its reason is printed in words below the table.',
        'It reads the partitions twice, --interval seconds apart, so it takes that long. It ' +
          'reads the same PULSE_* settings as the profiler (key prefix, group, topics) and the ' +
          'connection settings from the environment or from `npx pulse infra up`.',
        'Exit code: 0 when no partition is stuck, 1 when one is, 2 when Kafka or Redis could ' +
          'not be read. The --json fields are described in the README (Operations).',
      ].join('\n\n'),
    )
    .option('--json', 'print one JSON object (with --watch: one per line)')
    .option('--watch', 'redraw every --interval seconds until Ctrl-C')
    .option(
      '--interval <seconds>',
      'time between the two reads, and between redraws with --watch',
      seconds,
      2,
    )
    .option(
      '--stuck-after <seconds>',
      'how long a partition must be stuck before it counts',
      seconds,
      60,
    )
    .option('--namespace <name>', 'the namespace to show (default: the live one)')
    .option('--group-id <id>', "the profilers' consumer group (default: PULSE_GROUP_ID)")
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx pulse status',
        '  npx pulse status --json --stuck-after 120 | jq .partitions',
      ].join('\n'),
    )
    .action(async (options: StatusOptions) => {
      const { connection, keyPrefix } = await stateSettings();
      const { profilerConfigFromEnv } = await import('@pulse/profiler');
      const config = profilerConfigFromEnv(process.env);
      const settings = {
        keyPrefix,
        groupId: options.groupId ?? config.groupId,
        ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
        visitsTopic: config.visitsTopic,
        purchasesTopic: config.purchasesTopic,
        lapseTopic: config.lapseTopic,
        readyToBuyTopic: config.readyToBuyTopic,
        deadLetterTopic: config.deadLetterTopic,
        stuckAfterMs: Math.round(options.stuckAfter * 1000),
      };
      const tty = process.stdout.isTTY === true;
      const color = tty && !process.env.NO_COLOR;
      const sampleMs = Math.round(options.interval * 1000);
      const show = (report: StatusReport, first: boolean): void => {
        if (options.json) {
          process.stdout.write(`${JSON.stringify(report, null, options.watch ? 0 : 2)}\n`);
          return;
        }
        const text = renderStatus(report, {
          color,
          width: Math.max(80, process.stdout.columns ?? 80),
        });
        if (options.watch && tty) {
          // Home, draw, clear what is left of the previous frame: a redraw in place.
          process.stdout.write(`\u001b[H${text.replaceAll('\n', '\u001b[K\n')}\u001b[J`);
        } else {
          process.stdout.write(`${options.watch && !first ? '\n' : ''}${text}`);
        }
      };

      let cluster: ClusterInspector;
      try {
        cluster = await ClusterInspector.connect(connection);
      } catch (error) {
        process.stderr.write(
          `pulse status: ${
            isKafkaAuthenticationError(error)
              ? kafkaAuthenticationHint(connection)
              : `cannot reach Kafka: ${errorText(error)}`
          }\n`,
        );
        process.exitCode = STATUS_EXIT.couldNotRead;
        return;
      }
      const stop = new AbortController();
      const interrupt = (): void => stop.abort();
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      try {
        await withRedis(connection, async (redis) => {
          const reader = new StatusReader(redis, cluster, settings);
          if (options.watch && tty && !options.json) process.stdout.write('\u001b[2J');
          for (let first = true; ; first = false) {
            let report: StatusReport;
            try {
              report = await reader.read(sampleMs);
            } catch (error) {
              // Watching rides out a broker or Redis that is briefly away: say so, try again.
              if (!options.watch || stop.signal.aborted) throw error;
              process.stderr.write(
                `pulse status: cannot read the pipeline: ${errorText(error)}; ` +
                  `trying again in ${options.interval}s\n`,
              );
              process.exitCode = STATUS_EXIT.couldNotRead;
              await sleep(sampleMs);
              continue;
            }
            if (stop.signal.aborted) return;
            show(report, first);
            process.exitCode = report.healthy ? STATUS_EXIT.healthy : STATUS_EXIT.stuck;
            if (!options.watch) return;
          }
        });
      } catch (error) {
        if (stop.signal.aborted) return;
        process.stderr.write(`pulse status: cannot read the pipeline: ${errorText(error)}\n`);
        process.exitCode = STATUS_EXIT.couldNotRead;
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
        await cluster.disconnect().catch(() => undefined);
      }
    });
}
