// The hot path's check of a decoded visit or purchase: the rules of the zod wire schemas
// (wire.ts), written out once more for speed — the profiler runs it on every record. It only
// ever says "valid, and here is the event"; a record it does not accept goes to zod, which
// decides and says why. So the two can only disagree in one direction that matters (this check
// accepting what zod refuses), and `fast-validation.test.ts` checks over generated records that
// they never do.
import type { PurchaseEvent, VisitEvent } from './domain.ts';
import { checkId } from './identifier.ts';
import { CURRENCY_PATTERN, MAX_PAGE_LENGTH } from './limits.ts';
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
  return { kind: 'visit', eventId, customerId, occurredAtMs };
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
