// A customer's day in their own time zone: local day numbers and day starts against Intl asked
// directly, DST days of 23 and 25 hours, zones off the whole hour, and the timeline sealing days
// at local midnight.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeProfile, encodeProfile } from './codec.ts';
import { defaultRulesConfig as config } from './config.ts';
import { PulseCoreError } from './errors.ts';
import type { VisitEvent } from './events.ts';
import { newProfile } from './profile.ts';
import { replay } from './replay.test-support.ts';
import { DAY_MS } from './time.ts';
import { advance, applyEvent, dueTimeMs } from './timeline.ts';
import { deriveView } from './view.ts';
import { isKnownTimeZone, localDayOf, startOfLocalDayMs, utcOffsetMs } from './zone.ts';
import { oracleLocalDay } from './zone.test-support.ts';

const HOUR_MS = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const dayNumber = (isoDate: string) => Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS;

let counter = 0;
function visit(customerId: string, iso: string, timeZone?: string): VisitEvent {
  counter += 1;
  return {
    kind: 'visit',
    eventId: `e-${counter}`,
    customerId,
    occurredAtMs: at(iso),
    ...(timeZone === undefined ? {} : { timeZone }),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('local days', () => {
  it.each([
    // Berlin: DST starts 2025-03-30 01:00 UTC (23 h day), ends 2025-10-26 01:00 UTC (25 h day).
    ['Europe/Berlin', '2025-03-30', '2025-03-29T23:00:00Z', '2025-03-30T22:00:00Z'],
    ['Europe/Berlin', '2025-10-26', '2025-10-25T22:00:00Z', '2025-10-26T23:00:00Z'],
    // New York: DST starts 2025-03-09 07:00 UTC, ends 2025-11-02 06:00 UTC.
    ['America/New_York', '2025-03-09', '2025-03-09T05:00:00Z', '2025-03-10T04:00:00Z'],
    ['America/New_York', '2025-11-02', '2025-11-02T04:00:00Z', '2025-11-03T05:00:00Z'],
    // Kathmandu, +05:45 all year.
    ['Asia/Kathmandu', '2025-06-01', '2025-05-31T18:15:00Z', '2025-06-01T18:15:00Z'],
    // Auckland: DST ends 2025-04-06 (03:00 NZDT → 02:00 NZST, at 14:00 UTC on the 5th).
    ['Pacific/Auckland', '2025-04-06', '2025-04-05T11:00:00Z', '2025-04-06T12:00:00Z'],
  ])('%s %s runs from %s to %s', (zone, date, startIso, endIso) => {
    const day = dayNumber(date);
    expect(startOfLocalDayMs(day, zone)).toBe(at(startIso));
    expect(startOfLocalDayMs(day + 1, zone)).toBe(at(endIso));
    expect(localDayOf(at(startIso), zone)).toBe(day);
    expect(localDayOf(at(startIso) - 1, zone)).toBe(day - 1);
    expect(localDayOf(at(endIso) - 1, zone)).toBe(day);
    expect(localDayOf(at(endIso), zone)).toBe(day + 1);
  });

  it('changes the offset at the transition second, not at the hour', () => {
    expect(utcOffsetMs(at('2025-03-30T00:59:59.999Z'), 'Europe/Berlin')).toBe(HOUR_MS);
    expect(utcOffsetMs(at('2025-03-30T01:00:00.000Z'), 'Europe/Berlin')).toBe(2 * HOUR_MS);
    expect(utcOffsetMs(at('2025-06-01T12:00:00Z'), 'Asia/Kathmandu')).toBe(5.75 * HOUR_MS);
    expect(utcOffsetMs(at('2025-06-01T12:00:00Z'), null)).toBe(0);
  });

  it('puts a 23:30 UTC visit on the next local day east of UTC and the same one west of it', () => {
    const ms = at('2025-01-10T23:30:00Z');
    expect(localDayOf(ms, null)).toBe(dayNumber('2025-01-10'));
    expect(localDayOf(ms, 'Europe/Berlin')).toBe(dayNumber('2025-01-11'));
    expect(localDayOf(ms, 'Asia/Tokyo')).toBe(dayNumber('2025-01-11'));
    expect(localDayOf(ms, 'America/Los_Angeles')).toBe(dayNumber('2025-01-10'));
    expect(localDayOf(at('2025-06-01T18:14:59.999Z'), 'Asia/Kathmandu')).toBe(
      dayNumber('2025-06-01'),
    );
    expect(localDayOf(at('2025-06-01T18:15:00Z'), 'Asia/Kathmandu')).toBe(dayNumber('2025-06-02'));
  });

  it('gives a day a zone skipped no length (Samoa, 2011-12-30)', () => {
    const skipped = dayNumber('2011-12-30');
    expect(startOfLocalDayMs(skipped, 'Pacific/Apia')).toBe(
      startOfLocalDayMs(skipped + 1, 'Pacific/Apia'),
    );
    expect(localDayOf(startOfLocalDayMs(skipped, 'Pacific/Apia'), 'Pacific/Apia')).toBe(
      skipped + 1,
    );
  });

  it('agrees with Intl asked directly, and every instant lies in its day', () => {
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'America/Los_Angeles',
      'Asia/Kathmandu',
      'Pacific/Auckland',
      'Australia/Lord_Howe',
      'America/Santiago',
      'Africa/Cairo',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z') }),
        (zone, ms) => {
          const day = localDayOf(ms, zone);
          expect(day).toBe(oracleLocalDay(ms, zone));
          expect(startOfLocalDayMs(day, zone)).toBeLessThanOrEqual(ms);
          expect(startOfLocalDayMs(day + 1, zone)).toBeGreaterThan(ms);
          expect(oracleLocalDay(startOfLocalDayMs(day, zone) - 1, zone)).toBe(day - 1);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('knows IANA names and refuses anything else', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5'])
      expect(isKnownTimeZone(zone), zone).toBe(true);
    for (const zone of ['', 'Mars/Base', '+05:45', 'Europe/Berlin ', `Europe/${'x'.repeat(60)}`])
      expect(isKnownTimeZone(zone), zone).toBe(false);
  });

  it('asks Intl nothing for UTC customers and little for zoned ones (cached per hour)', () => {
    const spy = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    const events = (zone?: string) =>
      Array.from({ length: 2_000 }, (_, index) =>
        visit(
          `hot-${zone ?? 'utc'}`,
          new Date(at('2026-02-01T00:00:00Z') + index * 1_200_000).toISOString(),
          zone,
        ),
      );
    replay(events(), config);
    expect(spy).not.toHaveBeenCalled();
    // 2,000 visits over ~28 days (≈ 670 hours) of a zone the process has not used yet.
    replay(events('America/Sao_Paulo'), config);
    expect(spy.mock.calls.length).toBeGreaterThan(0);
    expect(spy.mock.calls.length).toBeLessThan(2 * 700);
  });
});

describe('the timeline in local days', () => {
  it('seals a Berlin day at local midnight (23:00 UTC in winter), not at UTC midnight', () => {
    const event = visit('berlin', '2025-01-10T12:00:00Z', 'Europe/Berlin');
    const { profile } = applyEvent(undefined, event, event.occurredAtMs, config);
    expect(profile.timeZone).toBe('Europe/Berlin');
    expect(dueTimeMs(profile, config)).toBe(at('2025-01-10T23:00:00Z'));
    expect(advance(profile, at('2025-01-10T22:59:59.999Z'), config).profile.anchorDay).toBeNull();
    expect(advance(profile, at('2025-01-10T23:00:00Z'), config).profile.anchorDay).toBe(
      dayNumber('2025-01-10'),
    );
  });

  it('counts the same instants as different active days for a UTC and a local-day customer', () => {
    // 23:30 and 00:30 UTC: two UTC days, one Berlin day. 01:00 and 23:00 UTC: one UTC day, two
    // Berlin days (02:00 on the 10th, 00:00 on the 11th).
    const instants = [
      '2025-01-10T23:30:00Z',
      '2025-01-11T00:30:00Z',
      '2025-01-20T01:00:00Z',
      '2025-01-20T23:00:00Z',
    ];
    const profileOf = (customerId: string, zone?: string) =>
      replay(
        instants.map((iso) => visit(customerId, iso, zone)),
        config,
      ).profiles.get(customerId)!;
    const utc = profileOf('utc');
    const berlin = profileOf('berlin', 'Europe/Berlin');
    expect(utc.activeDays).toEqual(['2025-01-10', '2025-01-11', '2025-01-20'].map(dayNumber));
    expect(berlin.activeDays).toEqual(['2025-01-11', '2025-01-20', '2025-01-21'].map(dayNumber));
    const asOfMs = at('2025-01-22T12:00:00Z');
    expect(deriveView(utc, asOfMs, config).windows.activeDays30d).toBe(3);
    expect(deriveView(berlin, asOfMs, config).windows.activeDays30d).toBe(3);
    expect(deriveView(utc, asOfMs, config).windows.activeDays7d).toBe(1);
    expect(deriveView(berlin, asOfMs, config).windows.activeDays7d).toBe(2);
    expect(deriveView(utc, asOfMs, config).timeZone).toBe('UTC');
    expect(deriveView(berlin, asOfMs, config).timeZone).toBe('Europe/Berlin');
    // Days silent as of 12:00 UTC on the 22nd: UTC — the 21st; Berlin — none.
    expect(deriveView(utc, asOfMs, config).daysSilent).toBe(1);
    expect(deriveView(berlin, asOfMs, config).daysSilent).toBe(0);
  });

  it('keeps recorded days when the zone changes and counts new events in the new zone', () => {
    const early = [1, 2, 3].map((day) => visit('mover', `2025-01-0${day}T23:30:00Z`));
    const state = replay(
      [
        ...early,
        visit('mover', '2025-01-05T23:30:00Z', 'Asia/Tokyo'),
        visit('mover', '2025-01-07T23:30:00Z'),
      ],
      config,
    );
    const profile = state.profiles.get('mover')!;
    expect(profile.timeZone).toBe('Asia/Tokyo');
    expect(profile.timeZoneSetAtMs).toBe(at('2025-01-05T23:30:00Z'));
    // UTC days 1-3 as they were; then Tokyo days: the 6th and (no zone stated: the profile's) the 8th.
    expect(profile.activeDays).toEqual(
      ['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-06', '2025-01-08'].map(dayNumber),
    );
  });

  it('takes the zone stated at the latest event time, whatever the arrival order', () => {
    const tokyo = visit('lww', '2025-01-05T10:00:00Z', 'Asia/Tokyo');
    const berlin = visit('lww', '2025-01-04T10:00:00Z', 'Europe/Berlin');
    const tie = visit('lww', '2025-01-05T10:00:00Z', 'America/Chicago');
    for (const order of [
      [tokyo, berlin, tie],
      [berlin, tie, tokyo],
      [tie, tokyo, berlin],
    ]) {
      const profile = replay(order, config).profiles.get('lww')!;
      // Tokyo and Chicago tie on time: the greater name wins.
      expect(profile.timeZone).toBe('Asia/Tokyo');
      expect(profile.timeZoneSetAtMs).toBe(tokyo.occurredAtMs);
    }
    expect(replay([tie, berlin], config).profiles.get('lww')!.timeZone).toBe('America/Chicago');
  });

  it('refuses an event with an unknown zone with INVALID_EVENT (the edge dead-letters it first)', () => {
    const event = visit('bad', '2025-01-05T10:00:00Z', 'Mars/Olympus_Mons');
    expect(() => applyEvent(undefined, event, event.occurredAtMs, config)).toThrow(PulseCoreError);
    expect(() => applyEvent(undefined, event, event.occurredAtMs, config)).toThrow(/timeZone/);
  });
});

describe('the profile codec keeps the zone', () => {
  it('round-trips a zoned profile; a UTC profile is encoded as before (no zone section)', () => {
    const events = [visit('codec', '2025-01-10T12:00:00Z'), visit('codec', '2025-01-11T12:00:00Z')];
    const utc = replay(events, config).profiles.get('codec')!;
    const zoned = replay(
      events.map((event) => ({ ...event, timeZone: 'Asia/Kathmandu' })),
      config,
    ).profiles.get('codec')!;
    const utcBytes = encodeProfile(utc);
    const zonedBytes = encodeProfile(zoned);
    expect(decodeProfile(utcBytes)).toEqual(utc);
    expect(decodeProfile(zonedBytes)).toEqual(zoned);
    expect(decodeProfile(zonedBytes).timeZone).toBe('Asia/Kathmandu');
    // Same history, same days (Kathmandu 17:45 local): only the time-zone section differs.
    expect(zoned.activeDays).toEqual(utc.activeDays);
    expect(Array.from(zonedBytes.subarray(0, utcBytes.length))).toEqual(Array.from(utcBytes));
    expect(zonedBytes[utcBytes.length]).toBe(2); // section 2 of format version 2
    // Tag, section length, name length and name, then when it was stated (a varint delta of a
    // few bytes).
    expect(zonedBytes.length - utcBytes.length).toBeLessThanOrEqual(
      3 + 'Asia/Kathmandu'.length + 5,
    );
    expect(decodeProfile(encodeProfile(newProfile('x')))).toEqual(newProfile('x'));
  });
});
