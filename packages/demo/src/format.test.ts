import { describe, expect, it } from 'vitest';
import type { SignalWire } from '@pulse/contracts';
import {
  explainSignal,
  formatProgress,
  formatSignalLine,
  formatSummary,
  foundingExampleNote,
} from './format.ts';
import { coreOnlyReportData } from './report.test-support.ts';
import { FOUNDING_EXAMPLE_ID } from './scenario.ts';

const data = coreOnlyReportData();
const lapse = data.spotlight.lapse!;
const ready = data.readyToBuy[0]!.signal;

describe('formatSignalLine', () => {
  it('says when, what, who and why, with the numbers of the evidence', () => {
    const line = formatSignalLine(lapse, 'founding-example', foundingExampleNote(lapse));
    expect(line).toMatch(
      new RegExp(
        `^\\d{4}-\\d{2}-\\d{2}  LAPSED +  ${FOUNDING_EXAMPLE_ID} \\(daily visitor\\): usually active every 1\\.0 d`,
      ),
    );
    expect(line).toContain(
      `silent ${lapse.evidence.daysSilent} d since ${lapse.evidence.lastActiveDay}`,
    );
    expect(line).toContain(`hurdle of ${(lapse.evidence.hurdleDays as number).toFixed(1)} d`);
    expect(line).toContain('within two weeks');
  });

  it('explains a ready-to-buy signal by its reasons', () => {
    const text = explainSignal(ready);
    expect(ready.evidence.reasons).toBe('visitAcceleration,repurchaseWindow');
    expect(text).toContain('visits speeding up');
    expect(text).toContain(`${ready.evidence.daysSinceLastPurchase} d since the last purchase`);
    expect(formatSignalLine(ready, 'accelerating-buyer')).toContain('READY TO BUY');
  });

  it('explains a reactivation', () => {
    const signal: SignalWire = {
      signalId: 'reactivated-1',
      kind: 'reactivated',
      customerId: 'c1',
      detectedAt: '2025-03-01T00:00:00.000Z',
      emittedAt: '2025-03-01T00:00:00.000Z',
      evidence: {
        episode: 1,
        lapsedAtMs: Date.UTC(2025, 1, 20),
        daysSilent: 12,
        usualLatencyDays: 2,
        hurdleDays: 5,
      },
      rulesVersion: 'r1',
    };
    expect(formatSignalLine(signal, 'daily')).toBe(
      '2025-03-01  REACTIVATED   c1 (daily visitor): back after 12 silent days (lapsed since 2025-02-20); usual gap 2.0 d',
    );
  });
});

describe('formatProgress', () => {
  it('fits the terminal', () => {
    const line = formatProgress(
      {
        dayPlayed: 40,
        days: 183,
        appliedUpToMs: Date.UTC(2025, 1, 10),
        eventsSent: 60_000,
        eventsApplied: 55_000,
        eventsPerSecond: 4_321.4,
        signals: { lapsed: 3, reactivated: 1, ready_to_buy: 0 },
        deadLetters: 0,
        elapsedMs: 42_000,
      },
      200,
    );
    expect(line).toBe(
      'day 40/183 · event time 2025-02-10 · 55,000/60,000 events applied · 4,321/s · lapsed 3 · reactivated 1 · ready to buy 0 · DLQ 0 · 42s',
    );
    expect(
      formatProgress(
        {
          dayPlayed: 1,
          days: 2,
          appliedUpToMs: null,
          eventsSent: 0,
          eventsApplied: 0,
          eventsPerSecond: 0,
          signals: { lapsed: 0, reactivated: 0, ready_to_buy: 0 },
          deadLetters: 0,
          elapsedMs: 0,
        },
        40,
      ).length,
    ).toBeLessThanOrEqual(40);
  });
});

describe('formatSummary', () => {
  it('has the customers by status, the signals by kind, the dead letters and the fingerprint', () => {
    const text = formatSummary(data.summary);
    const s = data.summary;
    expect(text).toContain('customers by status');
    expect(text).toMatch(
      new RegExp(`active +${s.statuses.active} \\(of whom ${s.statuses.cameBack} came back\\)`),
    );
    expect(text).toMatch(new RegExp(`lapsed +${s.signals.lapsed}\\n`));
    expect(text).toMatch(new RegExp(`ready to buy +${s.signals.ready_to_buy}`));
    expect(text).toContain(
      'dead letters        4 (future-timestamp 1, missing-id 1, not-json 1, schema-violation 1)',
    );
    expect(text).toContain(`signals fingerprint: ${s.signalsFingerprint}`);
    expect(text).toMatch(/founding example: flagged on \d{4}-\d{2}-\d{2} after \d+ silent days/);
  });
});
