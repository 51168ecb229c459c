import { describe, expect, it } from 'vitest';
import { accessKeyListSchema, AccessKeyRing, bearerToken } from './access-keys.ts';

const schema = accessKeyListSchema({ keyWord: 'write', ownerWord: 'source', uniqueOwners: true });

describe('access keys', () => {
  it('parse owner:key lists and name what is wrong', () => {
    expect(schema.parse('web:aaaaaaaaaaaaaaaa, app:bbbbbbbbbbbbbbbb')).toEqual([
      { owner: 'web', key: 'aaaaaaaaaaaaaaaa' },
      { owner: 'app', key: 'bbbbbbbbbbbbbbbb' },
    ]);
    expect(() => schema.parse('web:short')).toThrow(/write keys must be at least 16/);
    expect(() => schema.parse('web:aaaaaaaaaaaaaaaa,web:bbbbbbbbbbbbbbbb')).toThrow(
      /the same source is listed twice/,
    );
    expect(() => schema.parse('a:aaaaaaaaaaaaaaaa,b:aaaaaaaaaaaaaaaa')).toThrow(/listed twice/);
  });

  it('find the owner of a presented key, and nobody for anything else', () => {
    const ring = new AccessKeyRing([
      { owner: 'web', key: 'aaaaaaaaaaaaaaaa' },
      { owner: 'app', key: 'bbbbbbbbbbbbbbbb' },
    ]);
    expect(ring.ownerOf('bbbbbbbbbbbbbbbb')).toBe('app');
    expect(ring.ownerOf('aaaaaaaaaaaaaaa')).toBeUndefined();
    expect(ring.ownerOf('')).toBeUndefined();
    expect(ring.ownerOf(undefined)).toBeUndefined();
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
  });
});
