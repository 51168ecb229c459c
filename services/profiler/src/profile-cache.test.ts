import {
  applyEvent,
  customerKeyOf,
  decodeProfile,
  defaultRulesConfig,
  emptyFigureTable,
  encodeProfile,
  newProfile,
  type Profile,
} from '@pulse/core';
import { describe, expect, it } from 'vitest';
import { ProfileCache } from './profile-cache.ts';

const day = 86_400_000;
const start = Date.UTC(2026, 0, 5);

/** A profile of twelve visits (one a purchase) over five weeks: past its first days. */
function profileOf(id: string): Profile {
  let profile: Profile | undefined;
  for (let index = 0; index < 12; index += 1) {
    const occurredAtMs = start + index * 3 * day;
    const event =
      index === 2
        ? {
            kind: 'purchase' as const,
            eventId: `${id}-${index}`,
            customerId: id,
            occurredAtMs,
            orderId: `o-${id}`,
            amountMinor: 1_250,
            currency: 'EUR',
          }
        : { kind: 'visit' as const, eventId: `${id}-${index}`, customerId: id, occurredAtMs };
    profile = applyEvent(profile, event, occurredAtMs, defaultRulesConfig).profile;
  }
  return profile!;
}

const decode = (bytes: Uint8Array) => decodeProfile(bytes);
/** What one entry of `id` with `encoded` counts against the budget. */
const entryBytes = (id: string, encoded: Uint8Array) => 1_200 + 2 * id.length + encoded.length;

describe('ProfileCache', () => {
  it('hands back a decode equal to the profile it was given, a fresh copy each time', () => {
    const profile = profileOf('a');
    const encoded = encodeProfile(profile);
    const cache = new ProfileCache(10 * entryBytes('a', encoded), decode);
    cache.set('a', profile, encoded);
    const first = cache.get('a')!;
    expect(first).toEqual(profile);
    expect(first).not.toBe(profile);
    expect(cache.get('a')).not.toBe(first);
    expect(cache.get('b')).toBeUndefined();
  });

  it('gives the decoded copy the segment evaluation of the profile it keeps', () => {
    const values = emptyFigureTable().values;
    const evaluated = profileOf('a');
    const key = customerKeyOf(evaluated, defaultRulesConfig, values);
    // Another profile of the same customer, counted under another key: one visit only.
    const once = applyEvent(
      undefined,
      { kind: 'visit', eventId: 'a-once', customerId: 'a', occurredAtMs: start },
      start,
      defaultRulesConfig,
    ).profile;
    const onceKey = customerKeyOf(once, defaultRulesConfig, values);
    expect(onceKey).not.toBe(key);
    const cache = new ProfileCache(10 * entryBytes('a', encodeProfile(evaluated)), decode);
    // Against the contract (the bytes are not `evaluated`'s), to see whose evaluation the copy
    // carries: the kept one, not one of its own.
    cache.set('a', evaluated, encodeProfile(once));
    expect(cache.get('a')!.activeDays).toEqual(once.activeDays);
    expect(customerKeyOf(cache.get('a')!, defaultRulesConfig, values)).toBe(key);
    // Given an unevaluated profile, the copy is evaluated afresh.
    cache.set('a', decode(encodeProfile(once)), encodeProfile(once));
    expect(customerKeyOf(cache.get('a')!, defaultRulesConfig, values)).toBe(onceKey);
  });

  it('keeps decoded profiles while asked to, and drops them (keeping their memos) after', () => {
    const values = emptyFigureTable().values;
    const profile = profileOf('a');
    const key = customerKeyOf(profile, defaultRulesConfig, values);
    const encoded = encodeProfile(profile);
    // Room for one decoded entry only: 1,200 + 2 + 15 × the encoding.
    const decodedBytes = 1_200 + 2 + 15 * encoded.length;
    const cache = new ProfileCache(decodedBytes + 10, decode);
    cache.keepDecoded(true);
    expect(cache.keepsDecoded).toBe(true);
    cache.set('a', profile, encoded);
    cache.set('b', profileOf('b'), encodeProfile(profileOf('b')));
    expect(cache.has('a')).toBe(false);
    cache.set('a', profile, encoded);
    expect(cache.has('b')).toBe(false);
    expect(cache.get('a')).toBe(profile);

    cache.keepDecoded(false);
    const copy = cache.get('a')!;
    expect(copy).not.toBe(profile);
    expect(copy).toEqual(profile);
    expect(customerKeyOf(copy, defaultRulesConfig, values)).toBe(key);
    // Kept encoded, two entries fit where one decoded did.
    cache.set('b', profileOf('b'), encodeProfile(profileOf('b')));
    expect(cache.has('a') && cache.has('b')).toBe(true);
  });

  it('keeps the most recently used profiles within its byte budget', () => {
    const encoded = new Map(['a', 'b', 'c', 'd'].map((id) => [id, encodeProfile(newProfile(id))]));
    const cache = new ProfileCache(3 * entryBytes('a', encoded.get('a')!), decode);
    for (const id of ['a', 'b', 'c']) cache.set(id, newProfile(id), encoded.get(id)!);
    expect(cache.size).toBe(3);
    expect(cache.get('a')?.customerId).toBe('a'); // a is now the most recent
    cache.set('d', newProfile('d'), encoded.get('d')!);
    expect(cache.has('b')).toBe(false);
    expect([...['a', 'c', 'd']].every((id) => cache.has(id))).toBe(true);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('names the cached customers due by an instant, as last committed, and only while cached', () => {
    const hour = 3_600_000;
    const encoded = new Map(['a', 'b', 'c', 'd'].map((id) => [id, encodeProfile(newProfile(id))]));
    const cache = new ProfileCache(3 * entryBytes('a', encoded.get('a')!), decode);
    for (const id of ['a', 'b', 'c']) cache.set(id, newProfile(id), encoded.get(id)!);
    cache.setDue('a', 10 * hour + 5);
    cache.setDue('b', 10 * hour + 9);
    cache.setDue('c', 3 * hour);
    cache.setDue('not-cached', hour);
    expect(cache.dueBy(10 * hour + 5).sort()).toEqual(['a', 'c']);
    expect(cache.dueBy(10 * hour + 4)).toEqual(['c']);
    expect(cache.dueBy(3 * hour - 1)).toEqual([]);
    expect(cache.holdsDue('a', 10 * hour + 5)).toBe(true);
    expect(cache.holdsDue('a', 10 * hour + 6)).toBe(false);
    expect(cache.holdsDue('not-cached', hour)).toBe(false);
    // A later commit moves or removes a due time.
    cache.setDue('c', 20 * hour);
    cache.setDue('b', null);
    expect(cache.dueBy(11 * hour)).toEqual(['a']);
    // Evicted: no longer named (its bytes would not be at hand).
    cache.get('c');
    cache.set('d', newProfile('d'), encoded.get('d')!);
    expect(cache.has('a')).toBe(false);
    expect(cache.dueBy(30 * hour)).toEqual(['c']);
    cache.clear();
    expect(cache.dueBy(30 * hour)).toEqual([]);
  });

  it('keeps nothing with a budget of 0', () => {
    const cache = new ProfileCache(0, decode);
    cache.set('a', newProfile('a'), encodeProfile(newProfile('a')));
    expect(cache.has('a')).toBe(false);
  });
});
