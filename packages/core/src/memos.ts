// What the core remembers about a profile object besides its fields: its segment evaluation
// (segment-figures.ts) and the lapse inputs of its active-day list (rules.ts). Both are pure
// functions of the profile's fields (and the rules and model they record), so they hold for any
// equal profile — a decode of the same bytes. A cache that keeps profiles encoded keeps these
// beside the bytes and hands them to each decoded copy, which is then not evaluated afresh.
import type { Profile } from './profile.ts';
import { adoptLapseInputsMemos, lapseInputsMemosOf } from './rules.ts';
import { adoptSegmentMemo, segmentMemoOf } from './segment-figures.ts';

/** Opaque: what `profileMemosOf` took from one profile, for `adoptProfileMemos`. */
export interface ProfileMemos {
  readonly segment: unknown;
  readonly lapseInputs: readonly unknown[] | undefined;
}

/** The memos a profile carries; undefined when it carries none. */
export function profileMemosOf(profile: Profile): ProfileMemos | undefined {
  const segment = segmentMemoOf(profile);
  const lapseInputs = lapseInputsMemosOf(profile);
  if (segment === undefined && lapseInputs === undefined) return undefined;
  return { segment, lapseInputs };
}

/** Gives `profile` the memos of a profile with the same fields (the caller vouches for that). */
export function adoptProfileMemos(profile: Profile, memos: ProfileMemos): void {
  if (memos.segment !== undefined) adoptSegmentMemo(profile, memos.segment);
  if (memos.lapseInputs !== undefined) adoptLapseInputsMemos(profile, memos.lapseInputs);
}
