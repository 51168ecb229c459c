import { customerEventList } from '@pulse/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeProfile, encodeProfile } from './codec.ts';
import { defaultRulesConfig as config } from './config.ts';
import { ProfileDecodeError } from './errors.ts';
import { copyProfile, newProfile, type Profile } from './profile.ts';
import { replay } from './replay.test-support.ts';
import { DAY_MS } from './time.ts';
import { advance } from './timeline.ts';
import { TraitStringPool } from './traits-codec.ts';
import { applyTraitsStatement, observeVisitSource, type TraitsStatement } from './traits.ts';

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

/**
 * Bytes written by format version 1 (Pulse before profiles kept traits), captured from that
 * encoder: three visits and a purchase of customer c-v1. Profiles stored by an older Pulse must
 * still load.
 */
const VERSION_1_BYTES =
  '0104632d76310f80a4cbd9f16680d098f701909e99f701ffdfe5a4010301030000000103455552010001930a03' +
  '00010101020101060001930a03000102010604909e99f701046a5b4e501e3b88271581e1381f17eb80f0b2521' +
  '16b989befdd8f80b899290b911cf444dc23';

const statement = (occurredAtMs: number, fields: Partial<TraitsStatement>): TraitsStatement => ({
  occurredAtMs,
  country: null,
  region: null,
  acquisitionSource: null,
  customerType: null,
  plan: null,
  attributes: {},
  ...fields,
});

function withTraits(profile: Profile): Profile {
  let traits = applyTraitsStatement(
    profile.traits,
    statement(START_MS, { country: 'DE', customerType: 'consumer', plan: 'plus' }),
  );
  traits = applyTraitsStatement(
    traits,
    statement(START_MS + 40 * DAY_MS, { region: 'BY', attributes: { tier: 'gold', lang: 'de' } }),
  );
  traits = observeVisitSource(traits, START_MS, 'web');
  return { ...profile, traits };
}

/**
 * A customer touching every part of the layout: a non-ASCII id, 40 days of visits and purchases,
 * a second currency, traits and a time zone.
 */
function mixedCustomer(): Profile {
  const events = customerEventList({
    customerId: 'kunde-ü-7',
    startMs: START_MS,
    seed: 7,
    segments: [
      {
        days: 40,
        visitEveryDays: 3,
        maxVisitsPerActiveDay: 2,
        purchaseEveryDays: 10,
        purchaseJitterDays: 1,
      },
    ],
  });
  const state = replay(events, config);
  const profile = withTraits(
    advance(state.profiles.get('kunde-ü-7')!, state.streamTimeMs + DAY_MS, config).profile,
  );
  return {
    ...profile,
    timeZone: 'Europe/Berlin',
    timeZoneSetAtMs: START_MS + 3 * DAY_MS,
    lifetimeSpend: [...profile.lifetimeSpend, { currency: 'CHF', purchases: 1, spendMinor: 990 }],
  };
}

/** mixedCustomer's bytes as format version 2 was first written (captured from that encoder). */
const MIXED_CUSTOMER_BYTES =
  '020a6b756e64652dc3bc2d371f8cc58ee7ad61a483a58a19dcfaec9c13a493f2b71848120410000000020343' +
  '4846034555520201048dcc020001de070e000103010301030203010301030203020301030103020301030103' +
  '010400010181440a0101e6330a01018b640a01019b70100003030301020303020103030303030304000a0a0a' +
  '16a483a58a191e7b96aa030c9cdbb8ec7412cf0d11fae2f7e2e8fc880119a4ba500b4dd1e7e2f27819371f34' +
  '9a25c0cd84810108c20f4b33333bd3d1b10108d50f19f8d652a8a1fd83010ebb7f6b520a2b8f9df07702f6b2' +
  '31e69f44e9d6d4690e2c31846591cdc48a91071ec4d228c01c83bde3a12208273545cc8511d1ca835604da98' +
  '608183faa3b6c21015994afc2d55dcb4ead57904f7689edeab6eb0e99b6a0509327671e67dcaffb860179c4e' +
  '4b656980b8ceb3271004b6bd5a0ec1f4bc8d041af5978024178f9082cb7c0bd6502724559adbf4857211f418' +
  'd8c1e703caa6b5711dc1d5066a302feae6d606066694ac5c83f001540180a0f989c761090244450242590863' +
  '6f6e73756d657204706c757303776562046c616e67026465047469657204676f6c643b0080c0f9ef0c010002' +
  '80c0f9ef0c0380c0f9ef0c0480c0f9ef0c0205060007080002130d4575726f70652f4265726c696ef4aa90ba' +
  '01';

describe('profile codec', () => {
  it('round-trips an empty profile and one with two years of history', () => {
    const empty = newProfile('c-1');
    expect(decodeProfile(encodeProfile(empty))).toEqual(empty);
    const heavy = twoYearCustomer();
    expect(decodeProfile(encodeProfile(heavy))).toEqual(heavy);
  });

  it("copies every field of a profile, and only its fields (copyProfile, the hot path's copy)", () => {
    for (const profile of [
      newProfile('c-1'),
      twoYearCustomer(),
      decodeProfile(encodeProfile(twoYearCustomer())),
    ]) {
      const copy = copyProfile(profile);
      expect(copy).not.toBe(profile);
      expect(Object.keys(copy)).toEqual(Object.keys(newProfile('c-1')));
      expect(copy).toEqual({ ...profile });
    }
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

  it('round-trips traits, and costs nothing for a customer without any', () => {
    const heavy = twoYearCustomer();
    const traited = withTraits(heavy);
    expect(decodeProfile(encodeProfile(traited))).toEqual(traited);
    // No traits: no section at all (the bytes of format 1's layout plus the version).
    const plain = encodeProfile(heavy);
    const extra = encodeProfile(traited).length - plain.length;
    console.info(`traits section of a typical customer: ${extra} bytes`);
    expect(extra).toBeGreaterThan(0);
    expect(extra).toBeLessThanOrEqual(110);
    const cleared = { ...heavy, traits: { ...heavy.traits, attributes: [] } };
    expect(encodeProfile(cleared)).toEqual(plain);
  });

  it('shares trait strings between customers decoded through one pool', () => {
    const pool = new TraitStringPool();
    const one = encodeProfile(withTraits(newProfile('c-1')));
    const two = encodeProfile(withTraits(newProfile('c-2')));
    const a = decodeProfile(one, { traitsPool: pool });
    const b = decodeProfile(two, { traitsPool: pool });
    expect(a.traits).toEqual(b.traits);
    expect(a.traits.country!.value).toBe(b.traits.country!.value);
    expect(pool.size).toBeGreaterThan(0);
  });

  it('writes format version 2 byte for byte as it always has', () => {
    // Stored profiles are compared and rewritten across versions: a faster encoder must not
    // move a byte.
    const bytes = encodeProfile(mixedCustomer());
    expect(Buffer.from(bytes).toString('hex')).toBe(MIXED_CUSTOMER_BYTES);
    expect(decodeProfile(bytes)).toEqual(mixedCustomer());
  });

  it('still reads profiles written by format version 1 (no traits)', () => {
    const bytes = Uint8Array.from(Buffer.from(VERSION_1_BYTES, 'hex'));
    expect(bytes[0]).toBe(1);
    const profile = decodeProfile(bytes);
    expect(profile.customerId).toBe('c-v1');
    expect(profile.lifetimeVisits).toBe(3);
    expect(profile.lifetimeSpend).toEqual([{ currency: 'EUR', purchases: 1, spendMinor: 1299 }]);
    expect(profile.traits).toEqual(newProfile('c-v1').traits);
    // Written back, it is format 2 and decodes to the same profile.
    const rewritten = encodeProfile(profile);
    expect(rewritten[0]).toBe(2);
    expect(decodeProfile(rewritten)).toEqual(profile);
    // Format 1 has no sections: bytes after its layout are refused.
    const extended = new Uint8Array(bytes.length + 3);
    extended.set(bytes);
    extended.set([1, 0, 0], bytes.length);
    expect(() => decodeProfile(extended)).toThrow(/trailing bytes/);
  });

  it('refuses unknown, repeated or corrupt sections with CORRUPT_PROFILE', () => {
    const plain = encodeProfile(newProfile('c-1'));
    const traitsBytes = encodeProfile(withTraits(newProfile('c-1'))).subarray(plain.length);
    const cases = [
      [...plain, 7, 1, 0], // unknown section
      [...plain, ...traitsBytes, ...traitsBytes], // repeated
      [...plain, 1, 2, 9, 9], // traits that are not traits
      [...plain, 1, 50, 1], // longer than the data
    ];
    for (const bytes of cases) {
      try {
        decodeProfile(Uint8Array.from(bytes));
        expect.unreachable('decoded corrupt bytes');
      } catch (error) {
        expect(error).toBeInstanceOf(ProfileDecodeError);
        expect((error as ProfileDecodeError).code).toMatch(/CORRUPT_PROFILE|UNSUPPORTED/);
      }
    }
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

  it('round-trips event hashes, times and amounts of every width the format takes', () => {
    // The writer takes 32-bit values, wider varints and 53-bit hashes by separate paths: each
    // must give back what it was given (the reader is the reference), and the hashes must keep
    // their place in the newest-first dedup memory.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.array(
          fc.record({
            stepBackMs: fc.oneof(
              fc.integer({ min: 0, max: 1000 }),
              fc.integer({ min: 0, max: 2 ** 40 }),
            ),
            idHash: fc.oneof(
              fc.integer({ min: 0, max: 255 }),
              fc.integer({ min: 0, max: 2 ** 53 - 1 }),
            ),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.oneof(
          fc.integer({ min: 0, max: 2 ** 32 }),
          fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        ),
        (firstSeenMs, entries, spendMinor) => {
          const profile = newProfile('c-wide');
          profile.firstSeenMs = firstSeenMs;
          profile.lastPurchaseMs = firstSeenMs;
          profile.lifetimePurchases = 1;
          profile.lifetimeSpend = [{ currency: 'EUR', purchases: 1, spendMinor }];
          let occurredAtMs = firstSeenMs + 2 ** 41;
          profile.recentEvents = entries.map(({ stepBackMs, idHash }) => {
            occurredAtMs -= stepBackMs;
            return { occurredAtMs, idHash };
          });
          expect(decodeProfile(encodeProfile(profile))).toEqual(profile);
        },
      ),
      { numRuns: 300 },
    );
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
