import { describe, expect, it } from 'vitest';
import { failpointsFromEnv, noFailpoints, parseFailpoint } from './failpoints.ts';

describe('parseFailpoint', () => {
  it('reads a name and an optional hit number', () => {
    expect(parseFailpoint('kill-after-commit')).toEqual({
      name: 'kill-after-commit',
      hitNumber: 1,
    });
    expect(parseFailpoint('stop-before-commit@12')).toEqual({
      name: 'stop-before-commit',
      hitNumber: 12,
    });
  });

  it('is off when unset or empty', () => {
    expect(parseFailpoint(undefined)).toBeUndefined();
    expect(parseFailpoint('')).toBeUndefined();
    expect(failpointsFromEnv({})).toBe(noFailpoints);
  });

  it('refuses an unknown name or a bad count, naming the known ones', () => {
    expect(() => parseFailpoint('kill-somewhere')).toThrow(/kill-after-commit/);
    expect(() => parseFailpoint('kill-after-commit@0')).toThrow(/PULSE_TEST_FAILPOINT/);
    expect(() => parseFailpoint('kill-after-commit@x')).toThrow(/<name>@<n>/);
  });

  it('fires only at the armed point, on its n-th hit', () => {
    const fired: string[] = [];
    // The stop-before-commit failpoint would SIGSTOP this process: count the hits before it.
    const failpoints = failpointsFromEnv(
      { PULSE_TEST_FAILPOINT: 'stop-before-commit@3' },
      (name) => {
        fired.push(name);
        throw new Error('fired');
      },
    );
    failpoints.reach('kill-after-commit');
    failpoints.reach('stop-before-commit');
    failpoints.reach('stop-before-commit');
    expect(fired).toEqual([]);
    expect(() => failpoints.reach('stop-before-commit')).toThrow('fired');
    expect(fired).toEqual(['stop-before-commit']);
  });
});
