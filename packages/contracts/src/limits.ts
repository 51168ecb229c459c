// Hard limits of the wire contract. schemas/README.md quotes these numbers; change both together.
// They are deliberately generous for real trackers and tight enough that one hostile message
// cannot bloat a Redis profile or a batch.

/** Largest accepted input message value (visit, purchase or traits), in bytes, on either encoding. */
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

// Traits (pulse.traits): a customer's attributes as of a time. Each value is small, and a record
// carries a bounded map of custom attributes, so a customer's traits stay a few hundred bytes in
// a profile however chatty the sender (the core keeps the newest MAX_TRAIT_ATTRIBUTES keys).

/** ISO 3166-1 alpha-2 country code: two upper-case ASCII letters (the format, not the list). */
export const COUNTRY_PATTERN = /^[A-Z]{2}$/;

/**
 * region, acquisitionSource, customerType, plan and every custom attribute value: characters
 * (code points), under the id rule. As long as an id, so a visit's `source` (an id) always fits
 * as an `acquisitionSource`.
 */
export const MAX_TRAIT_VALUE_LENGTH = MAX_ID_LENGTH;

/** Custom attributes in one traits record, and the most a customer's traits keep. */
export const MAX_TRAIT_ATTRIBUTES = 16;

/** Longest custom attribute name, in characters. */
export const MAX_TRAIT_ATTRIBUTE_KEY_LENGTH = 32;

/**
 * A custom attribute name: an ASCII letter, then letters, digits, `_`, `.` or `-` (at most
 * MAX_TRAIT_ATTRIBUTE_KEY_LENGTH in all). Names are safe as labels and JSON keys everywhere
 * (no `__proto__`, no spaces, no case-folding surprises beyond ASCII).
 */
export const TRAIT_ATTRIBUTE_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;

/**
 * Visit and purchase `timeZone`: an IANA zone name (e.g. Europe/Berlin), at most this many
 * characters (the longest name in the tz database has 32). time-zone.ts holds the whole rule.
 */
export const MAX_TIME_ZONE_LENGTH = 64;
