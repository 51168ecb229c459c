/**
 * Node flags the profiler (and `pulse replay`, the same hot path) runs with. `bin/pulse.mjs`
 * carries them in its `#!/usr/bin/env -S node …` line, so `npx pulse run profiler` has them;
 * whatever starts the launcher as `node bin/pulse.mjs` (the supervisor's children, the demo, the
 * benchmark, the tests) passes them itself, with `pulseLaunchArgs` (or `withProfilerNodeFlags`).
 *
 * `--max-semi-space-size=256` (MB; Node 20's default is 16): every event makes a new profile
 * version and a few small arrays, and the decoded profiles a task keeps across batches are the
 * ones those versions replace. With the default young generation the scavenger runs every few
 * milliseconds and promotes versions still in use, which the old generation's collector then
 * has to trace; with a larger one more versions die young. Measured on the benchmark's partition
 * step (4 partitions of the 100,000-customer log, one process per run, 9 runs of each size
 * interleaved on a machine whose speed drifts by a third within minutes): the median CPU per event
 * fell from 39.2 µs (16 MB) to 34.2 µs (128 MB; 64 MB: 35.7 over 6 runs). On the benchmark's
 * whole drain (one profiler, 500,000 events, 4 runs of each size interleaved, 2026-12-06) 256 MB
 * took the profiler's CPU per event from 55.8 to 52.3 µs (median) and its scavenges from 2.2–2.8
 * s to 1.8–1.9 s of the drain; 384 and 512 MB did no better. The young generation grows only as
 * far as allocation drives it: allow up to 512 MB more resident memory for it. Still so with no
 * profile cache (the default since 2026-12-07; two interleaved pairs of drains): 17,838 / 19,102
 * events/s at 60.8 / 55.6 µs per event with 256 MB, 15,666 / 13,049 at 72.6 / 86.4 with 16 MB.
 * `--single-threaded-gc` is not set: with one profiler and with two it cost the drain more than it
 * saved (measured in this package's README).
 */
export const PROFILER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=256'];

/**
 * What follows node's own path to start the launcher as `npx pulse` starts it: the profiler's
 * flags (those `nodeArgs` does not set already), `nodeArgs`, the launcher, its arguments.
 */
export function pulseLaunchArgs(
  launcher: string,
  args: readonly string[],
  nodeArgs: readonly string[] = [],
): string[] {
  return [...withProfilerNodeFlags(nodeArgs), launcher, ...args];
}

/** `flags` and those of PROFILER_NODE_FLAGS it does not set already (by flag name). */
export function withProfilerNodeFlags(flags: readonly string[]): string[] {
  const nameOf = (flag: string) => flag.split('=')[0];
  const given = new Set(flags.map(nameOf));
  return [...PROFILER_NODE_FLAGS.filter((flag) => !given.has(nameOf(flag))), ...flags];
}
