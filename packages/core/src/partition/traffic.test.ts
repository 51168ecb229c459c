import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../time.ts';
import {
  decodeTraffic,
  emptyTraffic,
  encodeTraffic,
  expectedInHours,
  HOUR_MS,
  observeRecord,
  outageAt,
  type InputTraffic,
} from './traffic.ts';

const LATENESS_MS = 2 * DAY_MS;
const PROBABILITY = 1e-6;
const START_MS = Date.UTC(2025, 0, 6); // a Monday

/** `perHour` records in each hour from 09:00 to 17:00 of every day in [fromDay, toDay). */
function officeHours(traffic: InputTraffic, fromDay: number, toDay: number, perHour = 3): void {
  for (let day = fromDay; day < toDay; day += 1) {
    for (let hour = 9; hour < 17; hour += 1) {
      for (let record = 0; record < perHour; record += 1) {
        const atMs = START_MS + day * DAY_MS + hour * HOUR_MS + record * 60_000;
        observeRecord(traffic, atMs, LATENESS_MS, PROBABILITY);
      }
    }
  }
}

describe('traffic baseline', () => {
  it('learns the hours that carry traffic and the ones that do not', () => {
    const traffic = emptyTraffic();
    officeHours(traffic, 0, 35);
    const day = START_MS + 20 * DAY_MS;
    expect(
      expectedInHours(traffic, (day + 10 * HOUR_MS) / HOUR_MS, (day + 10 * HOUR_MS) / HOUR_MS),
    ).toBeCloseTo(3, 1);
    expect(
      expectedInHours(traffic, (day + 2 * HOUR_MS) / HOUR_MS, (day + 6 * HOUR_MS) / HOUR_MS),
    ).toBe(0);
    // Nights are never an outage.
    expect(traffic.silences).toEqual([]);
  });

  it('finds a day of silence at office hours, from the hour it became improbable', () => {
    const traffic = emptyTraffic();
    officeHours(traffic, 0, 35);
    officeHours(traffic, 36, 45);
    expect(traffic.silences).toHaveLength(1);
    const [silence] = traffic.silences;
    expect(silence!.startMs).toBe(START_MS + 34 * DAY_MS + 17 * HOUR_MS);
    // e^-λ < 1e-6 needs λ ≥ 13.8: five office hours of 3 records each.
    expect(silence!.improbableFromMs).toBe(START_MS + 35 * DAY_MS + 14 * HOUR_MS);
    expect(silence!.endMs).toBe(START_MS + 36 * DAY_MS + 9 * HOUR_MS);
    expect(outageAt(traffic, START_MS + 36 * DAY_MS, 0, PROBABILITY)).toEqual({
      endMs: silence!.endMs,
    });
    expect(outageAt(traffic, START_MS + 35 * DAY_MS, 0, PROBABILITY)).toBeNull();
  });

  it('sees an outage that goes on, in the hours after the newest record', () => {
    const traffic = emptyTraffic();
    officeHours(traffic, 0, 35);
    expect(outageAt(traffic, START_MS + 37 * DAY_MS, 0, PROBABILITY)).toEqual({ endMs: null });
    expect(outageAt(traffic, START_MS + 35 * DAY_MS, 0, PROBABILITY)).toBeNull();
  });

  it('encodes exactly: a decoded baseline goes on exactly like the original', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 * 24 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 299 }),
        (hours, cut) => {
          const times = hours.map((hour) => START_MS + hour * HOUR_MS + 17);
          const straight = emptyTraffic();
          const resumed = emptyTraffic();
          for (const atMs of times.slice(0, cut)) {
            observeRecord(straight, atMs, LATENESS_MS, PROBABILITY);
            observeRecord(resumed, atMs, LATENESS_MS, PROBABILITY);
          }
          const reloaded = decodeTraffic(encodeTraffic(resumed));
          for (const atMs of times.slice(cut)) {
            observeRecord(straight, atMs, LATENESS_MS, PROBABILITY);
            observeRecord(reloaded, atMs, LATENESS_MS, PROBABILITY);
          }
          expect(encodeTraffic(reloaded)).toBe(encodeTraffic(straight));
        },
      ),
    );
  });

  it('starts afresh from a format it does not know', () => {
    expect(decodeTraffic('1;2;3')).toEqual(emptyTraffic());
  });
});
