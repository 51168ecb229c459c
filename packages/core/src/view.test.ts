import { customerEventList } from '@pulse/test-kit';
import { describe, expect, it } from 'vitest';
import { defaultRulesConfig as config } from './config.ts';
import { newProfile } from './profile.ts';
import { replay } from './replay.test-support.ts';
import { DAY_MS } from './time.ts';
import { deriveView } from './view.ts';

const START_MS = Date.UTC(2024, 0, 1);

describe('profile view', () => {
  it('is unknown without history, active within the hurdle, lapsed beyond it', () => {
    expect(deriveView(newProfile('x'), START_MS, config).status).toBe('unknown');
    const events = customerEventList({
      customerId: 'w',
      startMs: START_MS,
      seed: 3,
      segments: [{ days: 70, visitEveryDays: 7 }],
    });
    const profile = replay(events, config).profiles.get('w')!;
    const lastMs = events[events.length - 1]!.occurredAtMs;
    const soon = deriveView(profile, lastMs + 10 * DAY_MS, config);
    expect(soon.status).toBe('active');
    expect(soon.usualLatency).toEqual({ centreDays: 7, spreadDays: 0, gapsUsed: 9 });
    expect(soon.hurdleDays).toBe(17.5);
    expect(soon.daysSilent).toBe(9);
    expect(soon.lifetime.visits).toBe(10);
    expect(deriveView(profile, lastMs + 20 * DAY_MS, config).status).toBe('lapsed');
  });
});
