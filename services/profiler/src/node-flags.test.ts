import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROFILER_NODE_FLAGS, pulseLaunchArgs, withProfilerNodeFlags } from './node-flags.ts';

describe('the profiler node flags', () => {
  it('are the ones the pulse launcher starts node with', () => {
    const launcher = readFileSync(new URL('../../../bin/pulse.mjs', import.meta.url), 'utf8');
    expect(launcher.split('\n')[0]).toBe(`#!/usr/bin/env -S node ${PROFILER_NODE_FLAGS.join(' ')}`);
  });

  it('are added before the given flags, unless the given ones set them already', () => {
    expect(withProfilerNodeFlags([])).toEqual([...PROFILER_NODE_FLAGS]);
    expect(withProfilerNodeFlags(['--cpu-prof'])).toEqual([...PROFILER_NODE_FLAGS, '--cpu-prof']);
    expect(withProfilerNodeFlags(['--max-semi-space-size=32'])).toEqual([
      '--max-semi-space-size=32',
    ]);
  });

  it('come before the launcher and its arguments', () => {
    expect(pulseLaunchArgs('bin/pulse.mjs', ['run', 'profiler'], ['--cpu-prof'])).toEqual([
      ...PROFILER_NODE_FLAGS,
      '--cpu-prof',
      'bin/pulse.mjs',
      'run',
      'profiler',
    ]);
  });
});
