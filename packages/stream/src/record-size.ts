import type { Admin, ConfigResourceTypes } from 'kafkajs';
import type { OutputRecord } from './producer.ts';

/** ConfigResourceTypes.TOPIC: kafkajs does not expose that enum to ES modules (only to require). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** Kafka's default `message.max.bytes` (broker) / `max.message.bytes` (topic): 1 MiB + 12. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** A record batch's fixed header (magic 2): base offset … record count. */
const RECORD_BATCH_HEADER_BYTES = 61;
/** Length, attributes, timestamp and offset deltas, key/value lengths, header count: varints at most this long. */
const RECORD_OVERHEAD_BYTES = 40;
/** Per header: the two length varints. */
const HEADER_OVERHEAD_BYTES = 10;

/**
 * An upper bound of what a record adds to an uncompressed record batch (format v2). The
 * broker's `message.max.bytes` limits one partition's batch in a produce request; a request
 * whose records add up to less than the limit can have no batch over it.
 */
export function recordSizeUpperBound(record: OutputRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(record.key);
  bytes += typeof record.value === 'string' ? Buffer.byteLength(record.value) : record.value.length;
  for (const [name, value] of Object.entries(record.headers ?? {}))
    bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/** How many record bytes one produce request may carry for a given `max.message.bytes`. */
export function produceBudgetBytes(maxMessageBytes: number): number {
  return Math.max(1, maxMessageBytes - RECORD_BATCH_HEADER_BYTES);
}

/**
 * Cuts records, in order, into runs whose sizes add up to at most `budgetBytes` (a record
 * larger than the budget alone forms a run of its own: the broker will say why it refuses it).
 */
export function splitBySize(
  records: readonly OutputRecord[],
  budgetBytes: number,
): OutputRecord[][] {
  const runs: OutputRecord[][] = [];
  let run: OutputRecord[] = [];
  let runBytes = 0;
  for (const record of records) {
    const bytes = recordSizeUpperBound(record);
    if (run.length > 0 && runBytes + bytes > budgetBytes) {
      runs.push(run);
      run = [];
      runBytes = 0;
    }
    run.push(record);
    runBytes += bytes;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * The smallest `max.message.bytes` of the topics, as the broker applies it (the topic's own
 * setting, else the broker's `message.max.bytes`). Undefined when the broker would not say (an
 * ACL without DescribeConfigs): the caller falls back to Kafka's default.
 */
export async function fetchMaxMessageBytes(
  admin: Admin,
  topics: readonly string[],
): Promise<number | undefined> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: TOPIC_RESOURCE,
      name,
      configNames: ['max.message.bytes'],
    })),
  });
  const limits = described.resources
    .flatMap((resource) => resource.configEntries)
    .filter((entry) => entry.configName === 'max.message.bytes')
    .map((entry) => Number(entry.configValue))
    .filter((value) => Number.isFinite(value) && value > 0);
  return limits.length === topics.length ? Math.min(...limits) : undefined;
}
