import type { Command } from 'commander';
import pino from 'pino';
import { formatDuration, formatProgressLine, formatProgressLog } from '../progress.ts';
import {
  parseFromOption,
  parseSignalsOption,
  type FromOption,
  type SignalsOption,
} from '../replay-options.ts';
import { loadRules, stateSettings } from './state-access.ts';
import { examples, paragraphs } from '../help-text.ts';

/** Non-TTY progress: a log line this often (a terminal's line is redrawn every second). */
const LOG_EVERY_MS = 5_000;

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .summary('rebuild profiles into a new namespace')
    .description(
      paragraphs(
        'Rebuilds profiles from the retained input log into a new namespace, in a consumer ' +
          'group of its own, on event time: timers fire at their historical moments, so the ' +
          'same log gives the same profiles and signals. Signals are suppressed (counted) or ' +
          'redirected to another topic, never sent to the live signal topics.',
        'It stops once caught up with the log end offsets taken at its start, unless --follow ' +
          'keeps it current. Then make it live with `npx pulse promote <namespace>`.',
      ),
    )
    .addHelpText(
      'after',
      examples(
        'npx pulse replay --namespace v2 && npx pulse promote v2',
        'npx pulse replay --namespace v3 --from 2026-03-01T00:00:00Z --signals suppress',
      ),
    )
    .requiredOption('--namespace <name>', 'namespace to build, e.g. v2 (must not be live)')
    .option(
      '--from <time>',
      'earliest (default), or an ISO-8601 time: start at the first offsets at or after it',
      parseFromOption,
    )
    .option(
      '--signals <mode>',
      'suppress (default: dropped, counted) or redirect:<topic>',
      parseSignalsOption,
    )
    .option('--rules <file>', 'JSON rule parameters (default: PULSE_RULES_FILE, else the defaults)')
    .option('--follow', 'keep running as a shadow that stays current, until promoted or stopped')
    .option('--group-id <id>', 'consumer group (default: <key prefix>-replay-<namespace>)')
    .action(
      async (options: {
        namespace: string;
        from?: FromOption;
        signals?: SignalsOption;
        rules?: string;
        follow?: boolean;
        groupId?: string;
      }) => {
        const rules = loadRules(options.rules);
        const signals: SignalsOption = options.signals ?? { mode: 'suppress' };
        const from: FromOption = options.from ?? { kind: 'earliest' };
        const { connection, keyPrefix } = await stateSettings();
        const { profilerConfigFromEnv, runReplay } = await import('@pulse/profiler');
        const config = profilerConfigFromEnv(process.env, {
          namespace: options.namespace,
          followLiveNamespace: false,
          groupId: options.groupId ?? `${keyPrefix}-replay-${options.namespace}`,
          signalMode: signals.mode,
          ...(signals.mode === 'redirect' ? { redirectTopic: signals.topic } : {}),
          fromBeginning: true,
          metricsPort: 0,
        });
        const tty = process.stderr.isTTY === true;
        const logger = pino(
          { name: 'pulse-replay', level: process.env.PULSE_LOG_LEVEL ?? (tty ? 'warn' : 'info') },
          pino.destination(2),
        );
        const abort = new AbortController();
        const stop = (): void => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        let loggedAtMs = Number.NEGATIVE_INFINITY;
        try {
          const result = await runReplay({
            connection,
            config,
            rules,
            logger,
            from,
            follow: options.follow === true,
            signal: abort.signal,
            onProgress(progress) {
              if (tty) {
                process.stderr.write(
                  `\r${formatProgressLine(progress, process.stderr.columns ?? 80)}\u001b[K`,
                );
              } else if (Date.now() - loggedAtMs >= LOG_EVERY_MS) {
                loggedAtMs = Date.now();
                process.stdout.write(`${formatProgressLog(progress)}\n`);
              }
            },
          });
          if (tty) process.stderr.write('\n');
          const { progress } = result;
          process.stdout.write(
            `${formatProgressLog(progress)}\n` +
              `replay ${options.namespace} ${result.stoppedBecause}: ${progress.done} events in ${formatDuration(progress.elapsedMs)}` +
              (result.stoppedBecause === 'caught-up'
                ? `; make it live with: npx pulse promote ${options.namespace}\n`
                : '\n'),
          );
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      },
    );
}
