// An experiment, not a way to run Pulse: N profilers as worker threads of one process, to compare
// with N profiler processes (`pulse run profiler --processes N`) on the benchmark's drain:
//
//   PULSE_BENCH_PROFILER_BIN=$PWD/packages/bench/experiments/profiler-threads.mjs \
//   PULSE_THREADS=2 npx pulse bench --phases throughput --instances 1 …
//
// The benchmark starts this file as it starts bin/pulse.mjs (`… run profiler`, settings in env);
// each thread is a full member of the consumer group, as each process is. Only thread 0 serves
// the metrics port the benchmark reads, so the report's signal counts are thread 0's share; the
// drain rate, the CPU figures and Redis's are those of all threads.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();

if (isMainThread) {
  const count = Number(process.env.PULSE_THREADS ?? 2);
  const workers = Array.from(
    { length: count },
    (_, index) =>
      new Worker(new URL(import.meta.url), {
        workerData: { index },
        env: {
          ...process.env,
          PULSE_METRICS_PORT: index === 0 ? (process.env.PULSE_METRICS_PORT ?? '0') : '0',
        },
      }),
  );
  // Signals reach the main thread only: each thread is asked to stop as `pulse run profiler` stops.
  const stop = () => workers.forEach((worker) => worker.postMessage('stop'));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await Promise.all(workers.map((worker) => new Promise((done) => worker.once('exit', done))));
  process.exit(0);
} else {
  const { default: pino } = await import('pino');
  const { loadConnectionEnv } = await import('../../config/src/index.ts');
  const { defaultRulesConfig } = await import('../../core/src/index.ts');
  const { profilerConfigFromEnv } = await import('../../../services/profiler/src/config.ts');
  const { startProfiler } = await import('../../../services/profiler/src/profiler.ts');
  const profiler = await startProfiler({
    connection: loadConnectionEnv(process.env),
    config: profilerConfigFromEnv(process.env, {}),
    rules: defaultRulesConfig,
    logger: pino({
      name: `pulse-profiler-thread-${workerData.index}`,
      level: process.env.PULSE_LOG_LEVEL ?? 'info',
    }),
  });
  parentPort.once('message', () => {
    void profiler.stop().then(() => process.exit(0));
  });
}
