import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT, type BenchContext, type TopicNames } from './context.ts';

export type KafkaClientName = 'kafkajs' | 'platformatic';

export interface RawConsumeResult {
  client: KafkaClientName;
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

/**
 * Raw consume rate of a Kafka client over the input topics, with no processing: the ceiling
 * the client itself puts on the profiler. Each client runs in a fresh process of its own.
 */
export async function rawConsume(
  context: BenchContext,
  client: KafkaClientName,
  topics: TopicNames,
  events: number,
): Promise<RawConsumeResult> {
  const script = resolve(import.meta.dirname, 'raw-consume-child.ts');
  const args = [
    '--import',
    'tsx',
    script,
    client,
    context.settings.KAFKA_BROKERS!,
    String(events),
    `bench-${context.runId}-raw-${client}-${Date.now()}`,
    topics.visits,
    topics.purchases,
  ];
  const output = await new Promise<string>((done, fail) => {
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)),
    );
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0
        ? done(stdout)
        : fail(new Error(`raw consume with ${client} failed: ${stderr.trim()}`)),
    );
  });
  const parsed = JSON.parse(output.trim().split('\n').pop()!) as {
    events: number;
    seconds: number;
  };
  return { client, ...parsed, eventsPerSecond: parsed.events / Math.max(parsed.seconds, 0.001) };
}
