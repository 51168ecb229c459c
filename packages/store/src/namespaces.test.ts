import { describe, expect, it } from 'vitest';
import { groupByHashTag, hashCustomerId, namespaceKeyPattern, parseMetaKey } from './namespaces.ts';

describe('namespace keys', () => {
  it('matches every partition key of one namespace and nothing of its neighbours', () => {
    expect(namespaceKeyPattern('v2', 'pulse')).toBe('pulse:{v2:p*}:*');
    expect(() => namespaceKeyPattern('V2*', 'pulse')).toThrow(/invalid namespace/);
  });

  it('reads namespace and partition back from meta keys only', () => {
    expect(parseMetaKey('pulse:{v2:p17}:meta')).toEqual({ namespace: 'v2', partition: 17 });
    expect(parseMetaKey('pulse:{v2:p17}:profiles')).toBeUndefined();
    expect(parseMetaKey('other:{v2:p17}:meta')).toBeUndefined();
    expect(parseMetaKey('t-1:{replay_a:p0}:meta', 't-1')).toEqual({
      namespace: 'replay_a',
      partition: 0,
    });
  });

  it('records forgotten customers by a stable hash, never the id itself', () => {
    const hash = hashCustomerId('customer-42');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain('customer-42');
    expect(hashCustomerId('customer-42')).toBe(hash);
    expect(hashCustomerId('customer-43')).not.toBe(hash);
  });
});

describe('groupByHashTag', () => {
  it('puts keys of one hash tag together (one slot), every other key alone', () => {
    expect(
      groupByHashTag([
        'pulse:{v1:p0}:meta',
        'pulse:{v1:p1}:meta',
        'pulse:{v1:p0}:profiles:3',
        'pulse:live-namespace',
        'pulse:{}:odd',
      ]),
    ).toEqual([
      ['pulse:{v1:p0}:meta', 'pulse:{v1:p0}:profiles:3'],
      ['pulse:{v1:p1}:meta'],
      ['pulse:live-namespace'],
      ['pulse:{}:odd'],
    ]);
  });
});
