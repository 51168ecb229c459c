// GET /v1/segments: the live namespace's segment figures, every partition's merged (they add up)
// and grouped by the dimensions asked for. The zod schema documents the answer (/openapi.json).
import { z } from 'zod';
import {
  CUSTOMER_SEGMENTS,
  DAY_MS,
  decodeFigureTable,
  emptyFigureTable,
  LATENCY_BANDS,
  NO_BAND,
  SEGMENT_DIMENSIONS,
  segmentReport,
  SIGNAL_RETENTION_DAYS,
  SKETCH_MEDIAN_RELATIVE_ERROR,
  type SegmentDimension,
  type SegmentFigureTable,
} from '@pulse/core';
import { readSegmentFigures, type RedisClient } from '@pulse/store';

const counts = <T extends string>(names: readonly T[]) =>
  z.object(Object.fromEntries(names.map((name) => [name, z.int().min(0)])) as Record<T, z.ZodInt>);

export const segmentsResponseSchema = z.object({
  namespace: z.string(),
  partitions: z.int().min(0),
  by: z.array(z.enum(SEGMENT_DIMENSIONS)),
  from: z.string().nullable().meta({ description: 'First event-time day of the signal counts' }),
  to: z.string().nullable().meta({ description: 'Last event-time day of the signal counts' }),
  complete: z.boolean().meta({
    description:
      'false when a partition was written by a Pulse version that kept no figures: its ' +
      'customers from then are missing until a replay rebuilds the namespace',
  }),
  signalRetentionDays: z.int(),
  medianRelativeError: z.number().meta({
    description: 'Largest relative error of medianUsualLatencyDays (a mergeable sketch)',
  }),
  groups: z.array(
    z.object({
      group: z.record(z.string(), z.string()).meta({
        description:
          "The group's value of each dimension in `by`; (unknown): not stated, (other): past " +
          'the bound of distinct values a partition keeps per dimension',
      }),
      customers: z.int().min(0),
      bySegment: counts(CUSTOMER_SEGMENTS),
      byBand: counts([...LATENCY_BANDS, NO_BAND]),
      medianUsualLatencyDays: z.number().nullable(),
      signals: counts(['lapsed', 'reactivated', 'ready_to_buy'] as const),
    }),
  ),
});

export type SegmentsResponse = z.infer<typeof segmentsResponseSchema>;

const dayText = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** A `YYYY-MM-DD` day or an ISO-8601 UTC instant, as a day number; undefined: not one. */
export function parseDay(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z)?$/.test(text)) return undefined;
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  return Number.isFinite(ms) ? Math.floor(ms / DAY_MS) : undefined;
}

/** Reads every partition's figures of the namespace and reports them grouped by `by`. */
export async function readSegments(
  redis: RedisClient,
  namespace: string,
  partitionCount: number,
  prefix: string,
  by: readonly SegmentDimension[],
  fromDay: number | null,
  toDay: number | null,
): Promise<SegmentsResponse> {
  const stored = await readSegmentFigures(redis, namespace, partitionCount, prefix);
  const tables = stored.map(({ figures, committed }) =>
    figures !== null ? decodeFigureTable(figures) : { ...emptyFigureTable(), complete: !committed },
  );
  return segmentsAnswer(namespace, tables, by, fromDay, toDay);
}

/** The answer for partitions' figure tables (pure: the oracle of the tests builds it too). */
export function segmentsAnswer(
  namespace: string,
  tables: readonly SegmentFigureTable[],
  by: readonly SegmentDimension[],
  fromDay: number | null,
  toDay: number | null,
): SegmentsResponse {
  const report = segmentReport(tables, by, fromDay, toDay);
  return {
    namespace,
    partitions: tables.length,
    by: [...report.by],
    from: fromDay === null ? null : dayText(fromDay),
    to: toDay === null ? null : dayText(toDay),
    complete: report.complete,
    signalRetentionDays: SIGNAL_RETENTION_DAYS,
    medianRelativeError: SKETCH_MEDIAN_RELATIVE_ERROR,
    groups: report.groups.map((group) => ({
      group: group.group as Record<string, string>,
      customers: group.customers,
      bySegment: group.bySegment,
      byBand: group.byBand,
      medianUsualLatencyDays: group.medianUsualLatencyDays,
      signals: group.signals,
    })),
  };
}
