// The one rule for identifiers (customerId, eventId, orderId, sessionId, source): what the
// collector accepts, what the profiler's decoder lets through (the rest goes to pulse.dlq as
// `invalid-id`) and what the profile API looks up (400 otherwise). One pure function, so the
// three edges cannot disagree.
//
// Why each part of the rule exists:
// - Length in Unicode code points (what JSON Schema's maxLength counts, and Python's len or
//   Go's utf8.RuneCountInString), so a tracker in any language computes the same number.
// - No U+FFFD: it is what a lossy UTF-8 decoder leaves where bytes were invalid. Two ids that
//   differ only in an invalid byte (`…\xff`, `…\xfe`) decode to the same text, and would be
//   merged into one customer; an id that holds the replacement character cannot be told apart
//   from such a merge, so it is refused wherever it comes from.
// - No unpaired surrogate (`"\ud800"` is legal JSON): encoding it to UTF-8 for Redis or Kafka
//   turns it into U+FFFD too, with the same merge.
// - No control characters (C0, DEL, C1): invisible in logs and tools, a classic way to make two
//   ids look alike or to break a line-oriented reader.
import { MAX_ID_LENGTH } from './limits.ts';

export type IdProblem =
  'empty' | 'too-long' | 'control-character' | 'replacement-character' | 'unpaired-surrogate';

export type IdCheck = { ok: true } | { ok: false; problem: IdProblem; reason: string };

const OK: IdCheck = { ok: true };

/** The reason of a refused id, naming the rule and never the value (ids are personal data). */
export function idProblemReason(problem: IdProblem, maxLength: number = MAX_ID_LENGTH): string {
  switch (problem) {
    case 'empty':
      return 'must not be empty';
    case 'too-long':
      return `must be at most ${maxLength} characters (Unicode code points)`;
    case 'control-character':
      return 'must not contain control characters (U+0000-U+001F, U+007F-U+009F)';
    case 'replacement-character':
      return 'must be valid UTF-8: it holds U+FFFD, which a decoder leaves in place of invalid bytes';
    case 'unpaired-surrogate':
      return 'must be valid Unicode: it holds an unpaired surrogate (U+D800-U+DFFF)';
  }
}

function refused(problem: IdProblem, maxLength: number): IdCheck {
  return { ok: false, problem, reason: idProblemReason(problem, maxLength) };
}

/**
 * Checks an identifier against the rule above. One pass over the UTF-16 code units, no
 * allocation: the profiler runs it on three ids of every event.
 */
export function checkId(text: string, maxLength: number = MAX_ID_LENGTH): IdCheck {
  if (text.length === 0) return refused('empty', maxLength);
  let codePoints = 0;
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f))
      return refused('control-character', maxLength);
    if (unit === 0xfffd) return refused('replacement-character', maxLength);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = index + 1 < text.length ? text.charCodeAt(index + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return refused('unpaired-surrogate', maxLength);
      index += 1; // the pair is one code point
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return refused('unpaired-surrogate', maxLength);
    }
    codePoints += 1;
    if (codePoints > maxLength) return refused('too-long', maxLength);
  }
  return OK;
}
