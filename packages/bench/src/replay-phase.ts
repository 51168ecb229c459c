import { spawn } from 'node:child_process';
import { pulseLaunchArgs } from '@pulse/profiler';
import { PULSE_BIN, REPO_ROOT, type BenchContext, type TopicNames } from './context.ts';

export interface ReplayPhaseResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

/**
 * `pulse replay --namespace <ns>` over the pre-produced log (signals suppressed), as an operator
 * runs it: a child process, clocked from its start to its exit (it exits once every input
 * partition's position in Redis reaches the end offsets taken when it started).
 */
export async function runReplayPhase(
  context: BenchContext,
  options: { topics: TopicNames; keyPrefix: string; namespace: string; events: number },
): Promise<ReplayPhaseResult> {
  const startedAt = performance.now();
  await new Promise<void>((done, fail) => {
    const args = pulseLaunchArgs(PULSE_BIN, ['replay', '--namespace', options.namespace]);
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...context.settings,
        PULSE_KEY_PREFIX: options.keyPrefix,
        PULSE_VISITS_TOPIC: options.topics.visits,
        PULSE_PURCHASES_TOPIC: options.topics.purchases,
        PULSE_TRAITS_TOPIC: options.topics.traits,
        PULSE_LAPSE_TOPIC: options.topics.lapseSignals,
        PULSE_READY_TO_BUY_TOPIC: options.topics.readyToBuySignals,
        PULSE_DLQ_TOPIC: options.topics.deadLetter,
        PULSE_METRICS_PORT: '0',
        PULSE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)),
    );
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? done() : fail(new Error(`pulse replay exited with ${code}: ${stderr.trim()}`)),
    );
  });
  const seconds = (performance.now() - startedAt) / 1000;
  return { events: options.events, seconds, eventsPerSecond: options.events / seconds };
}
