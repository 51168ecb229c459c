import { describe, expect, it } from 'vitest';
import { defaultRulesConfig as rules } from '../config.ts';
import type { CustomerEvent } from '../events.ts';
import type { Profile } from '../profile.ts';
import { DAY_MS, dayOf } from '../time.ts';
import { applyEvent } from '../timeline.ts';
import { fitModelsInDays, historyOfProfile } from './history.ts';
import { simulateHistories } from '@pulse/test-kit';

const START_MS = Date.UTC(2025, 0, 1);

function visits(customerId: string, days: number[]): Profile {
  let profile: Profile | undefined;
  days.forEach((day, index) => {
    const event: CustomerEvent = {
      eventId: `${customerId}-${index}`,
      customerId,
      kind: 'visit',
      occurredAtMs: START_MS + day * DAY_MS + 3_600_000,
    };
    profile = applyEvent(profile, event, START_MS, rules).profile;
  });
  return profile!;
}

describe('historyOfProfile', () => {
  it('counts active days after the first, in days from the first active day', () => {
    const profile = visits('c', [0, 0, 3, 10]);
    const asOfDay = dayOf(START_MS) + 30;
    expect(historyOfProfile(profile, asOfDay)).toEqual({ x: 2, tx: 10, T: 30 });
  });

  it('gives a one-time customer x = 0 and t_x = 0', () => {
    expect(historyOfProfile(visits('once', [5]), dayOf(START_MS) + 9)).toEqual({
      x: 0,
      tx: 0,
      T: 4,
    });
  });
});

describe('fitModelsInDays', () => {
  it('recovers the parameters of simulated customers, with α in days', { timeout: 60_000 }, () => {
    // Simulated in days: 8 weeks of α, customers 26–39 weeks old (the paper's CDNOW cohort).
    const truth = { kind: 'mbgnbd' as const, r: 0.7, alpha: 56, a: 0.9, b: 2 };
    const fits = fitModelsInDays(
      simulateHistories({ parameters: truth, customers: 5_000, seed: 7, minAge: 182, maxAge: 273 }),
    );
    expect(fits.mbgnbd.parameters.kind).toBe('mbgnbd');
    expect(fits.bgnbd.parameters.kind).toBe('bgnbd');
    expect(fits.mbgnbd.parameters.alpha / truth.alpha).toBeGreaterThan(0.6);
    expect(fits.mbgnbd.parameters.alpha / truth.alpha).toBeLessThan(1.6);
    expect(fits.mbgnbd.parameters.r / truth.r).toBeGreaterThan(0.6);
    expect(fits.mbgnbd.parameters.r / truth.r).toBeLessThan(1.6);
  });
});
