import { describe, expect, it } from 'vitest';
import { decodeProfile, encodeProfile } from './codec.ts';
import { defaultRulesConfig } from './config.ts';
import { adoptProfileMemos, profileMemosOf } from './memos.ts';
import type { Profile } from './profile.ts';
import { lapseInputsMemosOf } from './rules.ts';
import { customerKeyOf, emptyFigureTable, segmentMemoOf } from './segment-figures.ts';
import { applyEvent } from './timeline.ts';

const day = 86_400_000;
const start = Date.UTC(2026, 0, 5);

function visited(days: number[]): Profile {
  let profile: Profile | undefined;
  for (const offset of days) {
    const occurredAtMs = start + offset * day;
    profile = applyEvent(
      profile,
      { kind: 'visit', eventId: `v${offset}`, customerId: 'c', occurredAtMs },
      occurredAtMs,
      defaultRulesConfig,
    ).profile;
  }
  return profile!;
}

describe('profile memos', () => {
  it('carries the segment evaluation and the lapse inputs to a decoded copy', () => {
    const profile = visited([0, 3, 7, 9, 14, 18]);
    expect(profileMemosOf(profile)).toBeUndefined();
    const key = customerKeyOf(profile, defaultRulesConfig, emptyFigureTable().values);
    const memos = profileMemosOf(profile)!;
    expect(memos.segment).toBeDefined();
    expect(memos.lapseInputs?.length).toBeGreaterThan(0);

    const copy = decodeProfile(encodeProfile(profile));
    expect(segmentMemoOf(copy)).toBeUndefined();
    expect(lapseInputsMemosOf(copy)).toBeUndefined();
    adoptProfileMemos(copy, memos);
    expect(segmentMemoOf(copy)).toBe(memos.segment);
    expect(lapseInputsMemosOf(copy)).toBe(memos.lapseInputs);
    expect(customerKeyOf(copy, defaultRulesConfig, emptyFigureTable().values)).toBe(key);
    // The copy still encodes and compares as its fields alone.
    expect(copy).toEqual(profile);
    expect(encodeProfile(copy)).toEqual(encodeProfile(profile));
  });
});
