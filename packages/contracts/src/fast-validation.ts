// The hot path's check of a decoded visit, purchase or traits record: the rules of the zod wire
// schemas (wire.ts), written out once more for speed — the profiler runs it on every record. It
// only ever says "valid, and here is the event"; a record it does not accept goes to zod, which
// decides and says why. So the two can only disagree in one direction that matters (this check
// accepting what zod refuses), and `fast-validation.test.ts` checks over generated records that
// they never do.
import type { PurchaseEvent, TraitsEvent, VisitEvent } from './domain.ts';
import { checkId } from './identifier.ts';
import {
  COUNTRY_PATTERN,
  CURRENCY_PATTERN,
  MAX_PAGE_LENGTH,
  MAX_TRAIT_ATTRIBUTES,
  MAX_TRAIT_VALUE_LENGTH,
  TRAIT_ATTRIBUTE_KEY_PATTERN,
} from './limits.ts';
import { parseUtcTimestampMs } from './timestamp.ts';

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A required id: a string under the id rule (which refuses the empty string too). */
function isId(value: unknown): value is string {
  return typeof value === 'string' && checkId(value).ok;
}

/** An optional id: absent, null, empty, or under the id rule. */
function isOptionalId(value: unknown): boolean {
  return value === undefined || value === null || value === '' || isId(value);
}

function occurredAtMsOf(value: unknown): number | undefined {
  return typeof value === 'string' ? parseUtcTimestampMs(value) : undefined;
}

/** The visit, when the decoded value is a valid one; undefined: ask zod. */
export function fastVisit(decoded: unknown): VisitEvent | undefined {
  if (!isRecord(decoded)) return undefined;
  const { eventId, customerId, occurredAt, sessionId, page, source } = decoded;
  if (!isId(eventId) || !isId(customerId)) return undefined;
  const occurredAtMs = occurredAtMsOf(occurredAt);
  if (occurredAtMs === undefined) return undefined;
  if (!isOptionalId(sessionId) || !isOptionalId(source)) return undefined;
  if (!(
    page === undefined ||
    page === null ||
    (typeof page === 'string' && page.length <= MAX_PAGE_LENGTH)
  ))
    return undefined;
  // A non-empty source is carried (it feeds the customer's acquisitionSource), as visitToDomain does.
  return typeof source === 'string' && source !== ''
    ? { kind: 'visit', eventId, customerId, occurredAtMs, source }
    : { kind: 'visit', eventId, customerId, occurredAtMs };
}

/** The purchase, when the decoded value is a valid one; undefined: ask zod. */
export function fastPurchase(decoded: unknown): PurchaseEvent | undefined {
  if (!isRecord(decoded)) return undefined;
  const { eventId, customerId, occurredAt, orderId, amountMinor, currency } = decoded;
  if (!isId(eventId) || !isId(customerId) || !isId(orderId)) return undefined;
  const occurredAtMs = occurredAtMsOf(occurredAt);
  if (occurredAtMs === undefined) return undefined;
  if (typeof amountMinor !== 'number' || !Number.isSafeInteger(amountMinor) || amountMinor < 0)
    return undefined;
  if (typeof currency !== 'string' || !CURRENCY_PATTERN.test(currency)) return undefined;
  return { kind: 'purchase', eventId, customerId, occurredAtMs, orderId, amountMinor, currency };
}

/** A stated trait value: '' (clears) or text under the id rule at the traits' length. */
function isTraitValue(value: unknown): value is string {
  return typeof value === 'string' && (value === '' || checkId(value, MAX_TRAIT_VALUE_LENGTH).ok);
}

/** A trait field: its stated value, null when not stated, or undefined when invalid. */
function traitOf(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  return isTraitValue(value) ? value : undefined;
}

function isPlainRecord(value: unknown): value is Fields {
  if (!isRecord(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** The stated custom attributes ({} for none), or undefined when invalid. */
function attributesOf(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return {};
  if (!isPlainRecord(value)) return undefined;
  const names = Object.keys(value);
  if (names.length > MAX_TRAIT_ATTRIBUTES) return undefined;
  const attributes: Record<string, string> = {};
  for (const name of names) {
    const attribute = value[name];
    if (!TRAIT_ATTRIBUTE_KEY_PATTERN.test(name) || !isTraitValue(attribute)) return undefined;
    attributes[name] = attribute;
  }
  return attributes;
}

/** The traits record, when the decoded value is a valid one; undefined: ask zod. */
export function fastTraits(decoded: unknown): TraitsEvent | undefined {
  if (!isRecord(decoded)) return undefined;
  const { eventId, customerId, occurredAt } = decoded;
  if (!isId(eventId) || !isId(customerId)) return undefined;
  const occurredAtMs = occurredAtMsOf(occurredAt);
  if (occurredAtMs === undefined) return undefined;
  const { country } = decoded;
  if (!(
    country === undefined ||
    country === null ||
    (typeof country === 'string' && (country === '' || COUNTRY_PATTERN.test(country)))
  ))
    return undefined;
  const region = traitOf(decoded['region']);
  const acquisitionSource = traitOf(decoded['acquisitionSource']);
  const customerType = traitOf(decoded['customerType']);
  const plan = traitOf(decoded['plan']);
  if (
    region === undefined ||
    acquisitionSource === undefined ||
    customerType === undefined ||
    plan === undefined
  )
    return undefined;
  const attributes = attributesOf(decoded['attributes']);
  if (attributes === undefined) return undefined;
  return {
    kind: 'traits',
    eventId,
    customerId,
    occurredAtMs,
    country: country ?? null,
    region,
    acquisitionSource,
    customerType,
    plan,
    attributes,
  };
}
