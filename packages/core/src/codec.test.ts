import { customerEventList } from '@pulse/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeProfile, encodeProfile } from './codec.ts';
import { defaultRulesConfig as config } from './config.ts';
import { ProfileDecodeError } from './errors.ts';
import { newProfile } from './profile.ts';
import { replay } from './replay.test-support.ts';
import { DAY_MS } from './time.ts';
import { advance } from './timeline.ts';

const START_MS = Date.UTC(2023, 0, 1);

/** A heavy but ordinary customer: daily, up to 3 visits a day, a purchase every 14 days, 2 years. */
function twoYearCustomer() {
  const events = customerEventList({
    customerId: 'customer-0000042',
    startMs: START_MS,
    seed: 42,
    segments: [
      {
        days: 730,
        visitEveryDays: 1,
        maxVisitsPerActiveDay: 3,
        purchaseEveryDays: 14,
        purchaseJitterDays: 2,
      },
    ],
  });
  const state = replay(events, config);
  return advance(state.profiles.get('customer-0000042')!, state.streamTimeMs + DAY_MS, config)
    .profile;
}

/** The bound the README states; the measured figure is printed by the test. */
const TWO_YEAR_PROFILE_MAX_BYTES = 900;

describe('profile codec', () => {
  it('round-trips an empty profile and one with two years of history', () => {
    const empty = newProfile('c-1');
    expect(decodeProfile(encodeProfile(empty))).toEqual(empty);
    const heavy = twoYearCustomer();
    expect(decodeProfile(encodeProfile(heavy))).toEqual(heavy);
  });

  it(`stores two years of a daily visitor and fortnightly buyer in <= ${TWO_YEAR_PROFILE_MAX_BYTES} bytes`, () => {
    const profile = twoYearCustomer();
    const bytes = encodeProfile(profile);
    console.info(
      `two-year profile: ${bytes.length} bytes (visit buckets ${profile.visitsByDay.length}, ` +
        `purchase buckets ${profile.purchasesByDay.length}, active days ${profile.activeDays.length}, ` +
        `remembered ids ${profile.recentEvents.length})`,
    );
    expect(profile.lifetimeActiveDays).toBeGreaterThan(700);
    expect(bytes.length).toBeLessThanOrEqual(TWO_YEAR_PROFILE_MAX_BYTES);
  });

  it('rejects an unknown version with a typed error', () => {
    const bytes = encodeProfile(newProfile('c-1'));
    bytes[0] = 9;
    expect(() => decodeProfile(bytes)).toThrow(ProfileDecodeError);
    try {
      decodeProfile(bytes);
    } catch (error) {
      expect((error as ProfileDecodeError).code).toBe('UNSUPPORTED_PROFILE_VERSION');
    }
  });

  it('rejects truncated and extended bytes with CORRUPT_PROFILE', () => {
    const bytes = encodeProfile(twoYearCustomer());
    for (const cut of [1, 2, 10, bytes.length >> 1, bytes.length - 1]) {
      expect(() => decodeProfile(bytes.subarray(0, cut))).toThrow(ProfileDecodeError);
    }
    const extended = new Uint8Array(bytes.length + 1);
    extended.set(bytes);
    expect(() => decodeProfile(extended)).toThrow(/trailing bytes/);
  });

  it('never fails on garbage with anything but a ProfileDecodeError', () => {
    // Invariant: corrupt stored bytes surface as one typed error the profiler can count and
    // dead-letter, never as a RangeError or a runaway allocation.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeProfile(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ProfileDecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
