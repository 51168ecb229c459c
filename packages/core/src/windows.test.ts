import { describe, expect, it } from 'vitest';
import { defaultRulesConfig as config } from './config.ts';
import type { CustomerEvent } from './events.ts';
import { primaryCurrency } from './profile.ts';
import { replay } from './replay.test-support.ts';
import { dayOf, DAY_MS } from './time.ts';
import { windowCounts } from './windows.ts';

const START_MS = Date.UTC(2025, 0, 6, 12);

const visit = (n: number, day: number): CustomerEvent => ({
  kind: 'visit',
  eventId: `v${n}`,
  customerId: 'c',
  occurredAtMs: START_MS + day * DAY_MS,
});
const purchase = (n: number, day: number, currency: string): CustomerEvent => ({
  kind: 'purchase',
  eventId: `p${n}`,
  customerId: 'c',
  occurredAtMs: START_MS + day * DAY_MS,
  orderId: `o${n}`,
  amountMinor: 1_000,
  currency,
});

describe('window counts', () => {
  // A decision is often taken once events of later days are applied (a sweep behind the other
  // input): its evidence must not see them, or it depends on where the batches were cut.
  it('give the primary currency as of their day, without the purchases of later days', () => {
    const events = [
      visit(1, 0),
      purchase(2, 1, 'USD'),
      purchase(3, 20, 'EUR'),
      purchase(4, 21, 'EUR'),
    ];
    const profile = replay(events, config).profiles.get('c')!;
    const day = dayOf(START_MS);
    expect(primaryCurrency(profile)).toBe('EUR');
    expect(windowCounts(profile, day).currency).toBeNull();
    expect(windowCounts(profile, day + 10)).toMatchObject({ currency: 'USD', purchases30d: 1 });
    expect(windowCounts(profile, day + 20).currency).toBe('EUR'); // a tie: alphabetical
    expect(windowCounts(profile, day + 21)).toMatchObject({ currency: 'EUR', purchases30d: 3 });
  });
});
