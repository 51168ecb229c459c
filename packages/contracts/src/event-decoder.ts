// The profiler's hot path: bytes from pulse.visits / pulse.purchases / pulse.traits in, a domain
// event (or traits record) or a dead-letter verdict out. Bad input never throws; only
// infrastructure failures do (the registry is down), as a retriable ContractsError, because
// dead-lettering good events for an outage would be worse than pausing.
//
// Avro path: the writer schema is fetched from the registry once per schema id, and a resolver
// from it to the topic's current reader schema (schemas/avro) is built once and cached. Each
// message then costs one avsc decode plus the zod checks — the same checks as JSON, so both
// encodings accept and reject exactly the same events.
import { isUtf8 } from 'node:buffer';
import avro from 'avsc';
import type { z } from 'zod';
import { currentSchema, type ContractName } from './catalog.ts';
import { parseConfluentFrame } from './confluent-frame.ts';
import type { DlqErrorKind } from './dead-letter.ts';
import {
  purchaseToDomain,
  traitsToDomain,
  visitToDomain,
  type DomainEvent,
  type TraitsEvent,
} from './domain.ts';
import { ContractsError } from './errors.ts';
import { MAX_EVENT_PAYLOAD_BYTES } from './limits.ts';
import { httpStatusOf } from './registry-errors.ts';
import { describeIssues } from './validation-messages.ts';
import { fastPurchase, fastTraits, fastVisit } from './fast-validation.ts';
import {
  ID_RULE_ISSUE,
  inputWireSchemas,
  parseTraitsWire,
  type EventTopicKind,
  type InputTopicKind,
} from './wire.ts';

/** A record that cannot be applied: the dead-letter kind and why. */
export interface DecodeRejection {
  ok: false;
  kind: DlqErrorKind;
  message: string;
  /** Set on a `key-mismatch` verdict: the (valid) event's customer, so that a caller can
   * treat a forgotten customer's record as forgotten rather than dead-letter it. */
  customerId?: string;
}

/** A verdict on a visit or purchase (or, with TraitsEvent, on a traits record). */
export type DecodeResult<Event = DomainEvent> = { ok: true; event: Event } | DecodeRejection;

/** A verdict on a pulse.traits record. */
export type TraitsDecodeResult = DecodeResult<TraitsEvent>;

type AnyDecodeResult = DecodeResult<DomainEvent | TraitsEvent>;

/**
 * The one rule for a record's key (schemas/README.md, "Topics and keys"): an input record must
 * be keyed by its customerId, byte for byte. Kafka put the record in the partition its *key*
 * hashes to, and a customer's state lives in the partition of their customerId, so a record
 * keyed otherwise (null, empty, a 10 KB key, another customer's id) would be applied where the
 * customer's profile is not: a second profile, a split rhythm, a 404 from the profile API.
 * Re-routing it by customerId would mean producing into the input topics (which a replay must
 * never do, and which would make a replay's result depend on when it ran), so it is a dead
 * letter, kind `key-mismatch`. Returns the verdict, or undefined when the key is right.
 */
export function checkRecordKey(
  key: Buffer | null,
  event: { customerId: string },
): DecodeRejection | undefined {
  const expected = Buffer.from(event.customerId, 'utf8');
  if (key !== null && key.equals(expected)) return undefined;
  const actual = key === null ? 'null' : `${key.length} bytes`;
  return {
    ok: false,
    kind: 'key-mismatch',
    message: `message key (${actual}) is not the event's customerId (${expected.length} bytes of UTF-8): records must be keyed by customerId`,
    customerId: event.customerId,
  };
}

/** The one registry call the decoder needs; @kafkajs/confluent-schema-registry's SchemaRegistry fits. */
export interface SchemaRegistryReader {
  getSchema(registryId: number): Promise<unknown>;
}

export interface EventDecoderOptions {
  registry?: SchemaRegistryReader;
  /** How long a schema id the registry did not know stays "unknown" before it is asked again. */
  unknownSchemaRetryMs?: number;
  /** Wall clock, injectable for tests. */
  nowMs?: () => number;
}

export const EVENT_DECODER_DEFAULTS = {
  unknownSchemaRetryMs: 30_000,
} as const;

export interface EventDecoder {
  /**
   * Bytes to a domain event or a dead-letter verdict. With `record.key` (the Kafka message key,
   * null for none), an otherwise valid event keyed differently from its customerId is a
   * `key-mismatch` verdict (checkRecordKey); without it the key is not checked.
   */
  decode(
    topicKind: EventTopicKind,
    value: Buffer | null,
    record?: { key: Buffer | null },
  ): Promise<DecodeResult>;
  /** A pulse.traits record: the same rules (size, encodings, ids, key), its own schema. */
  decode(
    topicKind: 'traits',
    value: Buffer | null,
    record?: { key: Buffer | null },
  ): Promise<TraitsDecodeResult>;
  /**
   * The same verdict without waiting, or undefined when it needs the registry (an Avro record
   * whose writer schema was not read yet): then call `decode`. The hot path: JSON and known
   * Avro schemas never allocate a promise.
   */
  decodeSync(
    topicKind: EventTopicKind,
    value: Buffer | null,
    record?: { key: Buffer | null },
  ): DecodeResult | undefined;
  decodeSync(
    topicKind: 'traits',
    value: Buffer | null,
    record?: { key: Buffer | null },
  ): TraitsDecodeResult | undefined;
}

type Resolver = ReturnType<avro.Type['createResolver']>;

type ReaderEntry =
  | { readable: true; readerType: avro.Type; resolver: Resolver }
  | { readable: false; kind: DlqErrorKind; message: string; retryAfterMs: number };

interface TopicContract {
  contract: ContractName;
  readerType: avro.Type;
}

const ID_FIELDS = new Set(['eventId', 'customerId', 'orderId']);
const TIMESTAMP_FIELDS = new Set(['occurredAt']);

function reject(kind: DlqErrorKind, message: string): DecodeRejection {
  return { ok: false, kind, message };
}

/**
 * missing-id, invalid-id and invalid-timestamp are more useful to a tracker team than a generic
 * violation.
 */
function classifyIssues(issues: readonly z.core.$ZodIssue[]): DlqErrorKind {
  const firstField = (issue: z.core.$ZodIssue) => String(issue.path[0] ?? '');
  const missingId = issues.some(
    (issue) =>
      ID_FIELDS.has(firstField(issue)) &&
      (issue.code === 'too_small' ||
        (issue.code === 'invalid_type' && /received (undefined|null)$/.test(issue.message))),
  );
  if (missingId) return 'missing-id';
  const invalidId = issues.some(
    (issue) => issue.code === 'custom' && issue.params?.rule === ID_RULE_ISSUE,
  );
  if (invalidId) return 'invalid-id';
  if (issues.some((issue) => TIMESTAMP_FIELDS.has(firstField(issue)))) return 'invalid-timestamp';
  return 'schema-violation';
}

function violation(error: z.ZodError): DecodeRejection {
  return reject(classifyIssues(error.issues), describeIssues(error.issues));
}

function toAvroType(writerSchema: unknown): avro.Type | undefined {
  if (writerSchema instanceof avro.Type) return writerSchema;
  // A registry client built on another copy of avsc: rebuild the type from its JSON form.
  if (typeof writerSchema === 'object' && writerSchema !== null && 'schema' in writerSchema) {
    const toJson = (writerSchema as { schema: unknown }).schema;
    if (typeof toJson === 'function') {
      return avro.Type.forSchema((toJson as () => avro.Schema).call(writerSchema));
    }
  }
  return undefined;
}

export function createEventDecoder(options: EventDecoderOptions = {}): EventDecoder {
  const registry = options.registry;
  const unknownSchemaRetryMs =
    options.unknownSchemaRetryMs ?? EVENT_DECODER_DEFAULTS.unknownSchemaRetryMs;
  const nowMs = options.nowMs ?? Date.now;

  const topicContract = (contract: InputTopicKind): TopicContract => ({
    contract,
    readerType: avro.Type.forSchema(currentSchema(contract) as unknown as avro.Schema),
  });
  const topics: Record<InputTopicKind, TopicContract> = {
    visit: topicContract('visit'),
    purchase: topicContract('purchase'),
    traits: topicContract('traits'),
  };

  // Per topic kind, per writer schema id. Ids are immutable in a registry, so positive entries
  // never expire; negative ones do, in case the id is registered later.
  const readers: Record<InputTopicKind, Map<number, ReaderEntry>> = {
    visit: new Map(),
    purchase: new Map(),
    traits: new Map(),
  };
  const pending = new Map<string, Promise<ReaderEntry>>();

  async function buildReader(topicKind: InputTopicKind, schemaId: number): Promise<ReaderEntry> {
    const { readerType, contract } = topics[topicKind];
    const unreadable = (message: string): ReaderEntry => ({
      readable: false,
      kind: 'unknown-schema',
      message,
      retryAfterMs: nowMs() + unknownSchemaRetryMs,
    });
    if (registry === undefined) {
      return unreadable(`schema id ${schemaId}: Avro message but no schema registry is configured`);
    }
    let writerSchema: unknown;
    try {
      writerSchema = await registry.getSchema(schemaId);
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 404) return unreadable(`schema id ${schemaId} is not known to the registry`);
      if (status === undefined && error instanceof Error && /schemaType/i.test(error.message)) {
        return unreadable(`schema id ${schemaId} is not an Avro schema`);
      }
      throw new ContractsError(
        'REGISTRY_UNAVAILABLE',
        `schema registry failed while fetching schema id ${schemaId}`,
        { cause: error, schemaId },
      );
    }
    const writerType = toAvroType(writerSchema);
    if (writerType === undefined) return unreadable(`schema id ${schemaId} is not an Avro schema`);
    try {
      return { readable: true, readerType, resolver: readerType.createResolver(writerType) };
    } catch {
      return unreadable(
        `schema id ${schemaId} (${writerType.name ?? 'unnamed'}) cannot be read as ${readerType.name ?? contract}`,
      );
    }
  }

  /** The reader of a schema id when it is known (and, for an unknown id, not due a retry). */
  function cachedReader(topicKind: InputTopicKind, schemaId: number): ReaderEntry | undefined {
    const cached = readers[topicKind].get(schemaId);
    if (cached !== undefined && (cached.readable || cached.retryAfterMs > nowMs())) return cached;
    return undefined;
  }

  async function readerFor(topicKind: InputTopicKind, schemaId: number): Promise<ReaderEntry> {
    const cached = cachedReader(topicKind, schemaId);
    if (cached !== undefined) return cached;
    // Concurrent misses for the same id share one registry request.
    const key = `${topicKind}:${schemaId}`;
    let request = pending.get(key);
    if (request === undefined) {
      request = buildReader(topicKind, schemaId).finally(() => pending.delete(key));
      pending.set(key, request);
    }
    const entry = await request;
    readers[topicKind].set(schemaId, entry);
    return entry;
  }

  function validate(topicKind: InputTopicKind, decoded: unknown): AnyDecodeResult {
    // The hand-written check first (every valid record passes it); zod only for the others,
    // to say exactly why (fast-validation.ts).
    const fast =
      topicKind === 'visit'
        ? fastVisit(decoded)
        : topicKind === 'purchase'
          ? fastPurchase(decoded)
          : fastTraits(decoded);
    if (fast !== undefined) return { ok: true, event: fast };
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
      return reject('schema-violation', `(value) must be a ${topicKind} object`);
    }
    if (topicKind === 'visit') {
      const parsed = inputWireSchemas.visit.safeParse(decoded);
      return parsed.success
        ? { ok: true, event: visitToDomain(parsed.data) }
        : violation(parsed.error);
    }
    if (topicKind === 'purchase') {
      const parsed = inputWireSchemas.purchase.safeParse(decoded);
      return parsed.success
        ? { ok: true, event: purchaseToDomain(parsed.data) }
        : violation(parsed.error);
    }
    const parsed = parseTraitsWire(decoded);
    return parsed.success
      ? { ok: true, event: traitsToDomain(parsed.data) }
      : violation(parsed.error);
  }

  async function decode(
    topicKind: InputTopicKind,
    value: Buffer | null,
    record?: { key: Buffer | null },
  ): Promise<AnyDecodeResult> {
    const result = decodeValue(topicKind, value) ?? (await decodeAvroSlowly(topicKind, value!));
    if (!result.ok || record === undefined) return result;
    return checkRecordKey(record.key, result.event) ?? result;
  }

  function decodeSync(
    topicKind: InputTopicKind,
    value: Buffer | null,
    record?: { key: Buffer | null },
  ): AnyDecodeResult | undefined {
    const result = decodeValue(topicKind, value);
    if (result === undefined || !result.ok || record === undefined) return result;
    return checkRecordKey(record.key, result.event) ?? result;
  }

  /** An Avro record whose writer schema is not read yet: ask the registry, then decode. */
  async function decodeAvroSlowly(
    topicKind: InputTopicKind,
    value: Buffer,
  ): Promise<AnyDecodeResult> {
    const frame = parseConfluentFrame(value);
    if (!frame.ok) throw new Error('decodeAvroSlowly: not an Avro frame');
    await readerFor(topicKind, frame.schemaId);
    const result = decodeValue(topicKind, value);
    if (result === undefined) throw new Error('decodeAvroSlowly: reader still unknown');
    return result;
  }

  /** The verdict, or undefined when it needs the registry (an Avro schema id not read yet). */
  function decodeValue(
    topicKind: InputTopicKind,
    value: Buffer | null,
  ): AnyDecodeResult | undefined {
    if (value === null || value.length === 0)
      return reject('empty-payload', 'message value is empty');
    if (value.length > MAX_EVENT_PAYLOAD_BYTES) {
      return reject(
        'oversized',
        `message value is ${value.length} bytes; the limit is ${MAX_EVENT_PAYLOAD_BYTES}`,
      );
    }

    const frame = parseConfluentFrame(value);
    if (frame.ok) {
      const entry = cachedReader(topicKind, frame.schemaId);
      if (entry === undefined) return undefined;
      if (!entry.readable) return reject(entry.kind, entry.message);
      let decoded: unknown;
      try {
        decoded = entry.readerType.fromBuffer(frame.body, entry.resolver);
      } catch {
        // avsc's error text can quote the bytes it choked on: keep it out of the message.
        return reject(
          'avro-decode',
          `Avro body (${frame.body.length} bytes) does not decode with schema id ${frame.schemaId}`,
        );
      }
      return validate(topicKind, decoded);
    }
    if (frame.reason === 'truncated-header') {
      return reject('avro-decode', `Confluent header truncated: ${value.length} bytes`);
    }

    let decoded: unknown;
    try {
      decoded = JSON.parse(value.toString('utf8'));
    } catch {
      // JSON.parse quotes the input in its error: report only the size.
      return reject('not-json', `message value (${value.length} bytes) is neither JSON nor Avro`);
    }
    const verdict = validate(topicKind, decoded);
    // JSON is UTF-8 (RFC 8259). toString above replaced invalid bytes with U+FFFD; in an id the
    // id rule refuses it (invalid-id: two ids differing in an invalid byte must never merge).
    // Elsewhere (page) the document is still not what its sender meant: refuse it as well.
    if (verdict.ok && !isUtf8(value)) {
      return reject('schema-violation', 'message value is not valid UTF-8 (JSON must be)');
    }
    return verdict;
  }

  // The overloads only narrow the event type by topic kind; the verdicts are the same function.
  return {
    decode: decode as EventDecoder['decode'],
    decodeSync: decodeSync as EventDecoder['decodeSync'],
  };
}
