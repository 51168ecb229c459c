export {
  parseProfilerConfig,
  profilerConfigFromEnv,
  profilerDefaults,
  type ProfilerConfig,
} from './config.ts';
export { runProfiler, runSupervisedProfilers } from './main.ts';
export { ProfilerMetrics } from './metrics.ts';
export { startProfiler, type Profiler, type ProfilerOptions } from './profiler.ts';
export {
  replayDefaults,
  replayProgress,
  runReplay,
  type PartitionProgress,
  type ReplayFrom,
  type ReplayOptions,
  type ReplayProgress,
  type ReplayResult,
} from './replay.ts';
export { PROFILER_NODE_FLAGS, pulseLaunchArgs, withProfilerNodeFlags } from './node-flags.ts';
