import { newProfile } from '@pulse/core';
import { describe, expect, it } from 'vitest';
import { ProfileCache } from './profile-cache.ts';

/** What one entry of a one-letter id with 100 encoded bytes counts against the budget. */
const ENTRY = 1_200 + 2 + 100 * 16;

describe('ProfileCache', () => {
  it('hands back the profile it was given, the same object', () => {
    const cache = new ProfileCache(10 * ENTRY);
    const profile = newProfile('a');
    cache.set('a', profile, 100);
    expect(cache.get('a')).toBe(profile);
    expect(cache.get('b')).toBeUndefined();
  });

  it('keeps the most recently used profiles within its byte budget', () => {
    const cache = new ProfileCache(3 * ENTRY);
    for (const id of ['a', 'b', 'c']) cache.set(id, newProfile(id), 100);
    expect(cache.size).toBe(3);
    expect(cache.get('a')?.customerId).toBe('a'); // a is now the most recent
    cache.set('d', newProfile('d'), 100);
    expect(cache.has('b')).toBe(false);
    expect([...['a', 'c', 'd']].every((id) => cache.has(id))).toBe(true);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('keeps profiles until told not to (emptied at once), and again when told to', () => {
    const cache = new ProfileCache(10 * ENTRY);
    expect(cache.keeps).toBe(true);
    cache.set('a', newProfile('a'), 100);
    cache.setDue('a', 5);
    cache.keep(false);
    expect(cache.keeps).toBe(false);
    expect(cache.size).toBe(0);
    expect(cache.dueBy(10)).toEqual([]);
    cache.set('b', newProfile('b'), 100);
    expect(cache.has('b')).toBe(false);
    cache.keep(true);
    cache.set('b', newProfile('b'), 100);
    expect(cache.get('b')?.customerId).toBe('b');
  });

  it('names the cached customers due by an instant, as last committed, and only while cached', () => {
    const hour = 3_600_000;
    const cache = new ProfileCache(3 * ENTRY);
    for (const id of ['a', 'b', 'c']) cache.set(id, newProfile(id), 100);
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
    cache.set('d', newProfile('d'), 100);
    expect(cache.has('a')).toBe(false);
    expect(cache.dueBy(30 * hour)).toEqual(['c']);
    cache.clear();
    expect(cache.dueBy(30 * hour)).toEqual([]);
  });

  it('keeps nothing with a budget of 0', () => {
    const cache = new ProfileCache(0);
    cache.set('a', newProfile('a'), 10);
    expect(cache.has('a')).toBe(false);
  });
});
