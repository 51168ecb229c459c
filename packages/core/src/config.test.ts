import { describe, expect, it } from 'vitest';
import { defaultRulesConfig, parseRulesConfig, rulesVersion } from './config.ts';
import { RulesConfigError } from './errors.ts';
import { checkEventTime, streamTimeFor } from './time.ts';

describe('rules config', () => {
  it('fills every default from an empty object', () => {
    expect(parseRulesConfig({})).toEqual(defaultRulesConfig);
    expect(parseRulesConfig(undefined)).toEqual(defaultRulesConfig);
    expect(defaultRulesConfig.allowedLatenessMs).toBe(2 * 86_400_000);
  });

  it('names the bad setting', () => {
    expect(() => parseRulesConfig({ minHurdleDays: -1 })).toThrow(/minHurdleDays/);
    try {
      parseRulesConfig({ minHurdleDays: 30, maxHurdleDays: 10 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RulesConfigError);
      expect((error as RulesConfigError).setting).toBe('minHurdleDays');
      expect((error as RulesConfigError).code).toBe('INVALID_CONFIG');
    }
    expect(() => parseRulesConfig({ hurdleMultiplier: 3 })).toThrow(/hurdleMultiplier/);
    expect(() =>
      parseRulesConfig({ repurchaseWindowStartFraction: 2, repurchaseWindowEndFraction: 1 }),
    ).toThrow(/repurchaseWindowStartFraction/);
  });

  it('gives a short version id that changes with any setting and not with key order', () => {
    const version = rulesVersion(defaultRulesConfig);
    expect(version).toMatch(/^r[0-9a-f]{12}$/);
    expect(rulesVersion(parseRulesConfig({}))).toBe(version);
    expect(rulesVersion(parseRulesConfig({ readyToBuyCooldownDays: 15 }))).not.toBe(version);
  });
});

describe('event time', () => {
  const nowMs = Date.UTC(2025, 5, 1);

  it('stream time is the newest event time minus the allowed lateness', () => {
    expect(streamTimeFor(nowMs, defaultRulesConfig)).toBe(nowMs - 2 * 86_400_000);
  });

  it('accepts the past and the near future, rejects far-future and invalid instants', () => {
    expect(checkEventTime(nowMs - 400 * 86_400_000, nowMs, defaultRulesConfig)).toEqual({
      ok: true,
    });
    expect(checkEventTime(nowMs + 3_600_000, nowMs, defaultRulesConfig)).toEqual({ ok: true });
    expect(checkEventTime(nowMs + 3_600_001, nowMs, defaultRulesConfig)).toMatchObject({
      ok: false,
      reason: 'future-timestamp',
    });
    for (const bad of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) {
      expect(checkEventTime(bad, nowMs, defaultRulesConfig)).toMatchObject({
        ok: false,
        reason: 'invalid-timestamp',
      });
    }
  });
});
