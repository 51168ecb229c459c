import { newProfile } from '@pulse/core';
import { describe, expect, it } from 'vitest';
import { ProfileCache } from './profile-cache.ts';

describe('ProfileCache', () => {
  it('keeps the most recently used profiles within its byte budget', () => {
    // Each entry is estimated at 256 + 10 × its encoded size: 1,256 bytes for 100.
    const cache = new ProfileCache(3 * 1_256);
    for (const id of ['a', 'b', 'c']) cache.set(id, newProfile(id), 100);
    expect(cache.get('a')?.customerId).toBe('a'); // a is now the most recent
    cache.set('d', newProfile('d'), 100);
    expect(cache.has('b')).toBe(false);
    expect([...['a', 'c', 'd']].every((id) => cache.has(id))).toBe(true);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('keeps nothing with a budget of 0', () => {
    const cache = new ProfileCache(0);
    cache.set('a', newProfile('a'), 10);
    expect(cache.has('a')).toBe(false);
  });
});
