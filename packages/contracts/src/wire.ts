// zod schemas of the JSON wire form of every event and signal. The Avro files under schemas/avro
// describe the same records; avro-agreement.test.ts fails when the two drift. Types are derived
// from these schemas with z.infer and never written out a second time.
//
// Unknown fields are accepted and dropped (zod's default "strip"), mirroring Avro schema
// resolution: a newer tracker may add optional fields before Pulse knows about them.
import { z } from 'zod';
import {
  COUNTRY_PATTERN,
  CURRENCY_PATTERN,
  MAX_EVIDENCE_ENTRIES,
  MAX_EVIDENCE_KEY_LENGTH,
  MAX_EVIDENCE_STRING_LENGTH,
  MAX_ID_LENGTH,
  MAX_PAGE_LENGTH,
  MAX_RULES_VERSION_LENGTH,
  MAX_SIGNAL_ID_LENGTH,
  MAX_TRAIT_ATTRIBUTE_KEY_LENGTH,
  MAX_TRAIT_ATTRIBUTES,
  MAX_TRAIT_VALUE_LENGTH,
  TRAIT_ATTRIBUTE_KEY_PATTERN,
} from './limits.ts';
import { checkId } from './identifier.ts';
import { parseUtcTimestampMs } from './timestamp.ts';

function boundedString(maxLength: number) {
  return z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(maxLength, { error: `must be at most ${maxLength} characters` });
}

/** Marks a zod issue raised by the id rule, so the decoder can dead-letter it as `invalid-id`. */
export const ID_RULE_ISSUE = 'pulse-id-rule';

/** The id rule of identifier.ts on a string, skipping the empty one (min(1) reports it). */
function idRule(value: string, context: z.core.$RefinementCtx<string>): void {
  if (value.length === 0) return;
  const check = checkId(value);
  if (!check.ok)
    context.addIssue({ code: 'custom', message: check.reason, params: { rule: ID_RULE_ISSUE } });
}

// maxLength in the metadata: JSON Schema counts code points too, so the OpenAPI documents say
// exactly what the rule enforces (zod's own max() would count UTF-16 code units).
const idMeta = {
  maxLength: MAX_ID_LENGTH,
  description: `At most ${MAX_ID_LENGTH} characters (code points) of valid Unicode; no control characters, no U+FFFD.`,
};

const id = () => z.string().min(1, { error: 'must not be empty' }).superRefine(idRule).meta(idMeta);

/** An optional id (Avro union null|string): absent, null, or a string under the id rule. */
const optionalId = () => z.string().superRefine(idRule).meta(idMeta).nullish();

/** Optional on the wire: the field may be absent or null (Avro union null|string, default null). */
function optionalString(maxLength: number) {
  return z
    .string()
    .max(maxLength, { error: `must be at most ${maxLength} characters` })
    .nullish();
}

export const utcTimestampSchema = z
  .string()
  .refine((text) => parseUtcTimestampMs(text) !== undefined, {
    error: 'must be an ISO-8601 UTC timestamp ending in Z, e.g. 2025-03-01T09:30:00.000Z',
  });

export const visitWireSchema = z.object({
  eventId: id(),
  customerId: id(),
  occurredAt: utcTimestampSchema,
  sessionId: optionalId(),
  page: optionalString(MAX_PAGE_LENGTH),
  source: optionalId(),
});

export const purchaseWireSchema = z.object({
  eventId: id(),
  customerId: id(),
  occurredAt: utcTimestampSchema,
  orderId: id(),
  amountMinor: z
    .int({ error: 'must be an integer number of minor currency units' })
    .min(0, { error: 'must not be negative' }),
  currency: z
    .string()
    .regex(CURRENCY_PATTERN, { error: 'must be an ISO 4217 code of three upper-case letters' }),
});

/**
 * A trait value's rule: the empty string (it clears the trait), or text under the id rule (valid
 * Unicode, no control characters, at most MAX_TRAIT_VALUE_LENGTH code points). Not tagged as an
 * id issue: a bad trait is a `schema-violation`, not an `invalid-id`.
 */
function traitValueRule(value: string, context: z.core.$RefinementCtx<string>): void {
  if (value.length === 0) return;
  const check = checkId(value, MAX_TRAIT_VALUE_LENGTH);
  if (!check.ok) context.addIssue({ code: 'custom', message: check.reason });
}

const traitValueMeta = {
  maxLength: MAX_TRAIT_VALUE_LENGTH,
  description: `Empty to clear the trait; else at most ${MAX_TRAIT_VALUE_LENGTH} characters (code points) of valid Unicode, no control characters.`,
};

/** A stated trait value (string; '' clears) or not stated (absent or null). */
const traitValue = () => z.string().superRefine(traitValueRule).meta(traitValueMeta).nullish();

const ATTRIBUTE_NAME_RULE = `names must be an ASCII letter then letters, digits, _ . or -, at most ${MAX_TRAIT_ATTRIBUTE_KEY_LENGTH} characters`;

export const traitAttributesSchema = z
  .record(
    z.string().regex(TRAIT_ATTRIBUTE_KEY_PATTERN, { error: ATTRIBUTE_NAME_RULE }),
    z.string().superRefine(traitValueRule).meta(traitValueMeta),
  )
  .refine((attributes) => Object.keys(attributes).length <= MAX_TRAIT_ATTRIBUTES, {
    error: `must have at most ${MAX_TRAIT_ATTRIBUTES} entries`,
  });

/**
 * A customer's traits as of `occurredAt` (pulse.traits). Every trait is optional: absent or null
 * says nothing about it, a value sets it as of `occurredAt`, the empty string clears it. For
 * each trait the value stated at the latest `occurredAt` wins (schemas/README.md).
 */
export const traitsWireSchema = z.object({
  eventId: id(),
  customerId: id(),
  occurredAt: utcTimestampSchema,
  country: z
    .string()
    .refine((text) => text === '' || COUNTRY_PATTERN.test(text), {
      error: 'must be an ISO 3166-1 alpha-2 code of two upper-case letters (or empty to clear)',
    })
    .nullish(),
  region: traitValue(),
  acquisitionSource: traitValue(),
  customerType: traitValue(),
  plan: traitValue(),
  attributes: traitAttributesSchema.nullish(),
});

/**
 * Validates a traits record: `traitsWireSchema`, plus one check zod cannot make. zod leaves a
 * record's `__proto__` key out of its output without a word (a guard against prototype
 * pollution), so a JSON `{"attributes": {"__proto__": "x"}}` would pass with the attribute gone:
 * a silent drop. The name rule refuses that name, so it is looked for in the raw input first.
 * The decoder and the collector validate traits through this function, never the schema alone.
 */
export function parseTraitsWire(raw: unknown): z.ZodSafeParseResult<TraitsWire> {
  const attributes =
    typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['attributes'] : null;
  if (
    typeof attributes === 'object' &&
    attributes !== null &&
    Object.prototype.hasOwnProperty.call(attributes, '__proto__')
  ) {
    return {
      success: false,
      error: new z.ZodError([
        {
          code: 'custom',
          path: ['attributes', '__proto__'],
          message: ATTRIBUTE_NAME_RULE,
          input: undefined,
        },
      ]) as z.ZodError<TraitsWire>,
    };
  }
  return traitsWireSchema.safeParse(raw);
}

export const SIGNAL_KINDS = ['lapsed', 'reactivated', 'ready_to_buy'] as const;
export const signalKindSchema = z.enum(SIGNAL_KINDS);

export const evidenceValueSchema = z.union([
  z.null(),
  z.number().refine(Number.isFinite, { error: 'numbers must be finite' }),
  z.string().max(MAX_EVIDENCE_STRING_LENGTH, {
    error: `strings must be at most ${MAX_EVIDENCE_STRING_LENGTH} characters`,
  }),
  z.boolean(),
]);

export const evidenceSchema = z
  .record(
    z
      .string()
      .min(1)
      .max(MAX_EVIDENCE_KEY_LENGTH, {
        error: `keys must be at most ${MAX_EVIDENCE_KEY_LENGTH} characters`,
      }),
    evidenceValueSchema,
  )
  .refine((evidence) => Object.keys(evidence).length <= MAX_EVIDENCE_ENTRIES, {
    error: `must have at most ${MAX_EVIDENCE_ENTRIES} entries`,
  });

/** A trait a signal carries: its current value, null when unknown. */
const signalTraitValue = () => boundedString(MAX_TRAIT_VALUE_LENGTH).nullable();

/** Who the customer was at the decision (signal version 2; schemas/avro/signal.v2.avsc). */
export const signalTraitsSchema = z.object({
  country: signalTraitValue(),
  region: signalTraitValue(),
  acquisitionSource: signalTraitValue(),
  customerType: signalTraitValue(),
  plan: signalTraitValue(),
  attributes: z
    .record(z.string().max(MAX_TRAIT_ATTRIBUTE_KEY_LENGTH), boundedString(MAX_TRAIT_VALUE_LENGTH))
    .refine((attributes) => Object.keys(attributes).length <= MAX_TRAIT_ATTRIBUTES, {
      error: `must have at most ${MAX_TRAIT_ATTRIBUTES} entries`,
    }),
});

/** The behavioural segment at the decision (signal version 2). Strings, not enums: see the avsc. */
export const signalSegmentSchema = z.object({
  segment: z.string().min(1).max(32),
  latencyBand: z.string().min(1).max(32).nullable(),
});

export const signalWireSchema = z.object({
  signalId: boundedString(MAX_SIGNAL_ID_LENGTH),
  kind: signalKindSchema,
  customerId: id(),
  detectedAt: utcTimestampSchema,
  emittedAt: utcTimestampSchema,
  evidence: evidenceSchema,
  rulesVersion: boundedString(MAX_RULES_VERSION_LENGTH),
  // Version 2: optional, so signals of version 1 (without them) still parse.
  traits: signalTraitsSchema.nullish(),
  segment: signalSegmentSchema.nullish(),
});

/** A visit as a tracker sends it (JSON) or as it decodes from Avro, after validation. */
export type VisitWire = z.infer<typeof visitWireSchema>;
/** A purchase as an order system sends it, after validation. */
export type PurchaseWire = z.infer<typeof purchaseWireSchema>;
/** A customer's traits as a CRM or sign-up flow sends them, after validation. */
export type TraitsWire = z.infer<typeof traitsWireSchema>;
/** A signal as Pulse emits it. */
export type SignalWire = z.infer<typeof signalWireSchema>;
export type SignalKind = z.infer<typeof signalKindSchema>;
export type EvidenceValue = z.infer<typeof evidenceValueSchema>;
export type Evidence = z.infer<typeof evidenceSchema>;

/** The behavioural inputs (what a profile's rhythm is made of). */
export type EventTopicKind = 'visit' | 'purchase';
/** Every input topic's record: the behavioural events and the traits. */
export type InputTopicKind = EventTopicKind | 'traits';

export const eventWireSchemas = {
  visit: visitWireSchema,
  purchase: purchaseWireSchema,
} as const;

export const inputWireSchemas = {
  ...eventWireSchemas,
  traits: traitsWireSchema,
} as const;
