// The rule of a stated time zone (visit and purchase `timeZone`): an IANA zone name this runtime
// knows. Offsets (+05:45), abbreviations with spaces and anything longer than
// MAX_TIME_ZONE_LENGTH are refused before Intl is asked. Constructing an Intl formatter costs
// about half a millisecond, so its verdicts are cached: every name it accepts (a bounded set, a
// few hundred), and up to MAX_REFUSED_REMEMBERED names it refused, so a flood of one bad name
// costs one look-up, not one formatter per record.
import { MAX_TIME_ZONE_LENGTH } from './limits.ts';

/** IANA zone names: a letter, then letters, digits and `_ + - /`. */
const TIME_ZONE_PATTERN = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

const MAX_REFUSED_REMEMBERED = 10_000;
const known = new Set<string>();
const refused = new Set<string>();

export const TIME_ZONE_RULE = `must be an IANA time zone name such as Europe/Berlin (at most ${MAX_TIME_ZONE_LENGTH} characters)`;

export function isTimeZoneName(value: string): boolean {
  if (value.length === 0 || value.length > MAX_TIME_ZONE_LENGTH) return false;
  if (known.has(value)) return true;
  if (refused.has(value) || !TIME_ZONE_PATTERN.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    if (refused.size >= MAX_REFUSED_REMEMBERED) refused.clear();
    refused.add(value);
    return false;
  }
  known.add(value);
  return true;
}
