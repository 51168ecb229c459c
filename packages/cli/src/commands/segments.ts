import type { Command } from 'commander';
import { CUSTOMER_SEGMENTS, parseDimensions } from '@pulse/core';
import { parseDay, readSegments, type SegmentsResponse } from '@pulse/profile-api';
import { readLiveNamespace } from '@pulse/store';
import { examples, paragraphs } from '../help-text.ts';
import { inputPartitionCount, stateSettings, withRedis } from './state-access.ts';

export function registerSegmentsCommand(program: Command): void {
  program
    .command('segments')
    .summary('customers and signals by segment and trait')
    .description(
      paragraphs(
        'Prints the live segment figures of the live namespace (or the one named), every ' +
          'partition merged: per group, the customers by behavioural segment (each as of the ' +
          "stream time of their partition), the median of their usual latency (to the sketch's " +
          'error, within 4.4 %) and the signals of each kind on the event-time days asked for ' +
          '(the partitions keep 90 days).',
        '--by groups by any of segment, band, country, region, acquisitionSource, ' +
          'customerType and plan (comma-separated); without it, one line for the whole ' +
          'namespace. (unknown) is a trait nobody stated; (other) the values past the bound ' +
          'a partition keeps per dimension. GET /v1/segments on the profile API answers the ' +
          'same, and --json prints that answer.',
      ),
    )
    .addHelpText(
      'after',
      examples(
        'npx pulse segments --by country',
        'npx pulse segments --by segment,customerType --from 2026-01-01 --json',
      ),
    )
    .option('--by <dimensions>', 'comma-separated dimensions to group by')
    .option('--from <day>', 'first event-time day of the signal counts (YYYY-MM-DD)')
    .option('--to <day>', 'last event-time day of the signal counts, inclusive')
    .option('--namespace <name>', 'profile namespace (default: the live one)')
    .option('--json', 'print the JSON answer of GET /v1/segments, for scripts')
    .action(
      async (options: {
        by?: string;
        from?: string;
        to?: string;
        namespace?: string;
        json?: boolean;
      }) => {
        const by = parseDimensions(options.by);
        const day = (name: 'from' | 'to'): number | null => {
          const text = options[name];
          if (text === undefined) return null;
          const parsed = parseDay(text);
          if (parsed === undefined) throw new Error(`--${name} must be a day (YYYY-MM-DD)`);
          return parsed;
        };
        const fromDay = day('from');
        const toDay = day('to');
        if (fromDay !== null && toDay !== null && fromDay > toDay)
          throw new Error('--from must not be after --to');
        const { connection, keyPrefix, visitsTopic } = await stateSettings();
        const partitionCount = await inputPartitionCount(connection, visitsTopic);
        await withRedis(connection, async (redis) => {
          const namespace = options.namespace ?? (await readLiveNamespace(redis, keyPrefix));
          const report = await readSegments(
            redis,
            namespace,
            partitionCount,
            keyPrefix,
            by,
            fromDay,
            toDay,
          );
          process.stdout.write(
            options.json ? `${JSON.stringify(report)}\n` : formatSegments(report),
          );
        });
      },
    );
}

const SEGMENT_HEADINGS: Record<string, string> = {
  lapsed: 'lapsed',
  reactivated: 'react.',
  new: 'new',
  at_risk: 'at risk',
  high_value: 'high val',
  active_regular: 'regular',
  one_time: 'one-time',
  forming: 'forming',
};

/** The answer as a table: one line per group, the customers by segment, latency and signals. */
export function formatSegments(report: SegmentsResponse): string {
  const headings = [
    ...report.by,
    'customers',
    ...CUSTOMER_SEGMENTS.map((segment) => SEGMENT_HEADINGS[segment] ?? segment),
    'median latency',
    'lapsed sig.',
    'reactivated sig.',
    'ready sig.',
  ];
  const rows = report.groups.map((group) => [
    ...report.by.map((dimension) => group.group[dimension] ?? ''),
    String(group.customers),
    ...CUSTOMER_SEGMENTS.map((segment) => String(group.bySegment[segment])),
    group.medianUsualLatencyDays === null ? '–' : `${group.medianUsualLatencyDays.toFixed(1)} d`,
    String(group.signals.lapsed),
    String(group.signals.reactivated),
    String(group.signals.ready_to_buy),
  ]);
  const widths = headings.map((heading, column) =>
    Math.max(heading.length, ...rows.map((row) => row[column]!.length)),
  );
  const textColumns = report.by.length;
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column < textColumns ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  const range =
    report.from === null && report.to === null
      ? `the last ${report.signalRetentionDays} days kept`
      : `${report.from ?? 'the oldest day kept'} to ${report.to ?? 'the newest'}`;
  const notes = [
    `namespace ${report.namespace}, ${report.partitions} partitions; signals of ${range} (event time)`,
    ...(report.complete
      ? []
      : [
          'incomplete: a partition was written by a Pulse version that kept no figures ' +
            '(replay the namespace to rebuild them)',
        ]),
  ];
  return `${[line(headings), ...rows.map(line)].join('\n')}\n\n${notes.join('\n')}\n`;
}
