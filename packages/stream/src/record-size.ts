// Sizes of produce requests. A broker refuses a record batch (all records of one send for one
// partition) larger than the topic's max.message.bytes (the broker's message.max.bytes unless
// the topic overrides it, 1 MiB by default), and a refused send refuses every record in it. So a
// sender of many records cuts them into sends whose size stays under the limit, and a record
// too large on its own goes alone, where only it is refused.
import type { Admin, ConfigResourceTypes } from 'kafkajs';
import type { OutputRecord } from './producer.ts';

/** ConfigResourceTypes.TOPIC: kafkajs does not expose that enum to ES modules (only to require). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** Kafka's default message.max.bytes: what a topic accepts when nothing says otherwise. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Record batch header of the v2 format (magic 2): base offset … record count. */
const RECORD_BATCH_OVERHEAD_BYTES = 61;
/** Per record beyond its key, value and header bytes: length, attributes, timestamp and offset
 * deltas and the key, value and header-count lengths as varints, at their widest. */
const RECORD_OVERHEAD_BYTES = 40;
/** Per header beyond its name and value: two varint lengths at their widest. */
const HEADER_OVERHEAD_BYTES = 10;

function byteLength(data: Buffer | string | null): number {
  if (data === null) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
}

/** Upper bound of a record's size inside an uncompressed v2 record batch, in bytes. */
export function recordSizeUpperBound(record: OutputRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(record.key) + byteLength(record.value);
  for (const [name, value] of Object.entries(record.headers ?? {}))
    bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/**
 * Cuts records (or items carrying one: `recordOf`), in order, into consecutive sends whose estimated size (records plus one batch
 * header) stays within the smallest limit of the topics they go to. The whole send is bounded,
 * not each partition's share of it, so no partition's batch can exceed the limit whatever the
 * partitioner does. A record larger than its limit on its own gets a send of its own: the
 * broker, which knows its exact size, decides, and refuses only it.
 */
export function splitBySize<T>(
  items: readonly T[],
  limitBytesOf: (topic: string) => number,
  recordOf: (item: T) => OutputRecord = (item) => item as OutputRecord,
): T[][] {
  const sends: T[][] = [];
  let current: T[] = [];
  let currentBytes = RECORD_BATCH_OVERHEAD_BYTES;
  let currentLimit = Number.POSITIVE_INFINITY;
  for (const item of items) {
    const record = recordOf(item);
    const bytes = recordSizeUpperBound(record);
    const limit = Math.min(currentLimit, limitBytesOf(record.topic));
    if (current.length > 0 && currentBytes + bytes > limit) {
      sends.push(current);
      current = [];
      currentBytes = RECORD_BATCH_OVERHEAD_BYTES;
      currentLimit = Number.POSITIVE_INFINITY;
    }
    current.push(item);
    currentBytes += bytes;
    currentLimit = Math.min(currentLimit, limitBytesOf(record.topic));
  }
  if (current.length > 0) sends.push(current);
  return sends;
}

const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/**
 * True when a send failed because the broker refuses the records' size (not because it is
 * unreachable or busy): retrying the same records can never succeed. kafkajs wraps the broker's
 * error in its retrier's, so the whole cause chain is searched.
 */
export function isRecordTooLarge(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string' && TOO_LARGE_TYPES.has(type)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** How many record bytes one produce request may carry for a given `max.message.bytes`. */
export function produceBudgetBytes(maxMessageBytes: number): number {
  return Math.max(1, maxMessageBytes - RECORD_BATCH_OVERHEAD_BYTES);
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
