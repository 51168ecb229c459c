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

// A dead letter must always fit on the dead-letter topic, whatever the rejected record was (a
// broker refuses records over its `message.max.bytes`, 1 MiB by default, and an outbox entry it
// refuses would block its partition's outbox). A dead letter carries the original value verbatim
// up to DLQ_MAX_VALUE_BYTES — twice MAX_EVENT_PAYLOAD_BYTES, so every record that broke no size
// limit is copied whole — and the original key verbatim up to DLQ_MAX_KEY_BYTES (a key that is
// a valid customer id takes at most 4 × MAX_ID_LENGTH bytes of UTF-8). Beyond, a prefix of that
// many bytes plus the original size and SHA-256 (dead-letter.ts).
/** Longest value prefix a dead letter carries, in bytes. */
export const DLQ_MAX_VALUE_BYTES = 64 * 1024;
/** Longest key prefix a dead letter carries, in bytes. */
export const DLQ_MAX_KEY_BYTES = 1024;

// A ready-to-buy signal carries ~35 numbers (windows, RFM, both latencies, its reasons): room to grow.
export const MAX_EVIDENCE_ENTRIES = 64;
export const MAX_EVIDENCE_KEY_LENGTH = 64;
export const MAX_EVIDENCE_STRING_LENGTH = 256;

/** ISO 4217 alphabetic code: three upper-case ASCII letters. */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;
