// Hard limits of the wire contract. schemas/README.md quotes these numbers; change both together.
// They are deliberately generous for real trackers and tight enough that one hostile message
// cannot bloat a Redis profile or a batch.

/** Largest accepted input message value (visit or purchase), in bytes, on either encoding. */
export const MAX_EVENT_PAYLOAD_BYTES = 32 * 1024;

/**
 * eventId, customerId, orderId, sessionId, source: characters, counted as Unicode code points
 * (identifier.ts holds the whole id rule: length, valid UTF-8, no control characters).
 */
export const MAX_ID_LENGTH = 128;

/** Visit `page`: room for a long URL path with a query string. */
export const MAX_PAGE_LENGTH = 2048;

/** Signal ids are derived from customer id + kind + episode, so they need more room than ids. */
export const MAX_SIGNAL_ID_LENGTH = 256;

export const MAX_RULES_VERSION_LENGTH = 64;

// A ready-to-buy signal carries ~35 numbers (windows, RFM, both latencies, its reasons): room to grow.
export const MAX_EVIDENCE_ENTRIES = 64;
export const MAX_EVIDENCE_KEY_LENGTH = 64;
export const MAX_EVIDENCE_STRING_LENGTH = 256;

/** ISO 4217 alphabetic code: three upper-case ASCII letters. */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;
