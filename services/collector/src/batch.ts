// The collector's request and response contract, and the per-event check. Pure: no I/O.
//
// Each event is the JSON wire form of schemas/ (visit or purchase) plus a `type` field saying
// which of the two it is; `type` is dropped before the event goes to Kafka, so the topic carries
// exactly the contract's record. Validation is the contracts package's zod schemas, one event at
// a time, so one bad event is rejected with its field and reason while the others go through.
import { z } from 'zod';
import {
  checkId,
  parseTraitsWire,
  purchaseWireSchema,
  traitsWireSchema,
  visitWireSchema,
  type PurchaseWire,
  type TraitsWire,
  type VisitWire,
} from '@pulse/contracts';

export const EVENT_TYPES = ['visit', 'purchase'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const collectorVisitSchema = visitWireSchema
  .extend({ type: z.literal('visit') })
  .meta({ description: 'A visit (schemas/avro/visit.v2.avsc) plus type: "visit".' });

export const collectorPurchaseSchema = purchaseWireSchema
  .extend({ type: z.literal('purchase') })
  .meta({
    description: 'A purchase (schemas/avro/purchase.v2.avsc) plus type: "purchase".',
  });

export const collectorEventSchema = z.discriminatedUnion('type', [
  collectorVisitSchema,
  collectorPurchaseSchema,
]);

export const collectorTraitsSchema = traitsWireSchema.meta({
  description:
    "A customer's traits as of occurredAt (schemas/avro/traits.v1.avsc): absent or null = not " +
    'stated, a value sets the trait, the empty string clears it; per trait the latest occurredAt wins.',
});

/** Documentation of the traits body (the check itself is checkBatchShape + validateTraits). */
export function traitsBatchRequestSchema(maxEventsPerBatch: number) {
  return z.object({
    writeKey: z
      .string()
      .optional()
      .meta({ description: 'The write key, for senders that cannot set headers.' }),
    traits: z.array(collectorTraitsSchema).min(1).max(maxEventsPerBatch),
  });
}

/** Documentation of the body (the check itself is checkBatchShape + validateEvent). */
export function batchRequestSchema(maxEventsPerBatch: number) {
  return z.object({
    writeKey: z
      .string()
      .optional()
      .meta({
        description:
          'The write key, for senders that cannot set headers (navigator.sendBeacon). ' +
          'Otherwise send Authorization: Bearer <write key>.',
      }),
    events: z.array(collectorEventSchema).min(1).max(maxEventsPerBatch),
  });
}

export const fieldErrorSchema = z.object({
  field: z
    .string()
    .meta({ description: 'Path of the field in the event, "(event)" for the whole' }),
  reason: z.string(),
});

export const eventResultSchema = z.object({
  index: z.int().min(0),
  eventId: z.string().optional(),
  status: z.enum(['accepted', 'rejected']),
  errors: z.array(fieldErrorSchema).optional(),
});

export const batchResponseSchema = z.object({
  accepted: z.int().min(0),
  rejected: z.int().min(0),
  results: z.array(eventResultSchema),
});

export const errorResponseSchema = z.object({ error: z.string(), message: z.string() });

export type FieldError = z.infer<typeof fieldErrorSchema>;
export type EventResult = z.infer<typeof eventResultSchema>;
export type BatchResponse = z.infer<typeof batchResponseSchema>;

export type BatchShape =
  | { ok: true; events: unknown[]; writeKey: string | undefined }
  | { ok: false; status: 400 | 413; error: string; message: string };

/** The list a batch body carries: `events` on POST /v1/events, `traits` on POST /v1/traits. */
export type BatchList = 'events' | 'traits';

/** Whole-request checks, before any event (or traits record) is looked at. */
export function checkBatchShape(
  body: unknown,
  maxEventsPerBatch: number,
  list: BatchList = 'events',
): BatchShape {
  if (body === undefined || body === null || body === '') {
    return {
      ok: false,
      status: 400,
      error: 'empty_body',
      message: `body is empty: send {"${list}": [...]}`,
    };
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    return {
      ok: false,
      status: 400,
      error: 'invalid_body',
      message: `body must be a JSON object {"${list}": [...]}`,
    };
  }
  const { writeKey } = body as { writeKey?: unknown };
  const events = (body as Record<string, unknown>)[list];
  if (!Array.isArray(events)) {
    return { ok: false, status: 400, error: 'invalid_body', message: `${list} must be an array` };
  }
  if (events.length === 0) {
    return { ok: false, status: 400, error: 'empty_batch', message: `${list} is empty` };
  }
  if (events.length > maxEventsPerBatch) {
    return {
      ok: false,
      status: 413,
      error: 'batch_too_large',
      message: `the batch has ${events.length} ${list === 'events' ? 'events' : 'records'}; at most ${maxEventsPerBatch} are accepted per request`,
    };
  }
  return { ok: true, events, writeKey: typeof writeKey === 'string' ? writeKey : undefined };
}

export type ValidEvent =
  | { type: 'visit'; wire: VisitWire }
  | { type: 'purchase'; wire: PurchaseWire }
  | { type: 'traits'; wire: TraitsWire };

function reasonOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    // zod's text ends with the received type, never the value (values may be personal data).
    return /received undefined$/.test(issue.message)
      ? `is required (${issue.expected})`
      : `must be ${issue.expected}`;
  }
  return issue.message;
}

/**
 * One event: accepted as a valid contract record (with `type` removed and `source` defaulting
 * to the write key's source for visits), or rejected with every broken field and why.
 *
 * The write key's source is authoritative: a visit that names another source is rejected, not
 * rewritten. A mismatch is a sender's bug or a key used for what it may not speak for; either
 * way the sender must hear it, and silently rewriting would store an event that is not what
 * its sender believes it sent.
 */
export function validateEvent(
  raw: unknown,
  source: string,
): { ok: true; event: ValidEvent } | { ok: false; errors: FieldError[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ field: '(event)', reason: 'must be a JSON object' }] };
  }
  const { type, ...fields } = raw as Record<string, unknown>;
  if (type !== 'visit' && type !== 'purchase') {
    return {
      ok: false,
      errors: [
        {
          field: 'type',
          reason:
            type === undefined
              ? 'is required: "visit" or "purchase"'
              : 'must be "visit" or "purchase"',
        },
      ],
    };
  }
  const parsed = (type === 'visit' ? visitWireSchema : purchaseWireSchema).safeParse(fields);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  if (type === 'visit') {
    const wire = parsed.data as VisitWire;
    if (wire.source !== undefined && wire.source !== null && wire.source !== source) {
      return {
        ok: false,
        errors: [{ field: 'source', reason: sourceMismatchReason(source) }],
      };
    }
    return { ok: true, event: { type, wire: { ...wire, source } } };
  }
  return { ok: true, event: { type, wire: parsed.data as PurchaseWire } };
}

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.length === 0 ? '(event)' : issue.path.map(String).join('.'),
    reason: reasonOf(issue),
  }));
}

/**
 * One traits record of POST /v1/traits: accepted as a valid contract record, or rejected with
 * every broken field and why. No `type` field (the route says what it is); one sent anyway is
 * dropped with the other unknown fields. `acquisitionSource` is the sender's to state: unlike a
 * visit's `source`, it is a fact about the customer (a partner, a campaign), not about the
 * sender.
 */
export function validateTraits(
  raw: unknown,
): { ok: true; event: ValidEvent & { type: 'traits' } } | { ok: false; errors: FieldError[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ field: '(event)', reason: 'must be a JSON object' }] };
  }
  const parsed = parseTraitsWire(raw);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  return { ok: true, event: { type: 'traits', wire: parsed.data } };
}

/** Why a visit naming another source than its write key's is rejected. */
export function sourceMismatchReason(keySource: string): string {
  return `must be "${keySource}" (the write key's source) or absent: a write key speaks for its own source only`;
}

/** The event id to echo in a result, when the event has one that passes the id rule. */
export function eventIdOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const eventId = (raw as { eventId?: unknown }).eventId;
  return typeof eventId === 'string' && checkId(eventId).ok ? eventId : undefined;
}
