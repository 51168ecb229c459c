/*
 * `pulse status` is what an engineer on call and a probe trust to say whether Pulse keeps up:
 * exit 0 must mean no partition is stuck, and a stuck partition must be named, with its reason,
 * and give a non-zero exit. Against the real broker, Redis and a real profiler process:
 * - healthy (everything consumed, outboxes empty): exit 0, every partition listed with its
 *   owner, no lag;
 * - a stuck outbox: the dead-letter topic is deleted (the broker does not create topics on
 *   its own), so a dead letter can never leave its partition's outbox — the relay moves aside
 *   only what the broker refuses as too large, and an unknown topic is not that;
 * - a stopped profiler (SIGSTOP: alive, still a member until its session times out, doing
 *   nothing) while records keep arriving on another partition.
 * The two stuck cases must each name their partition and reason, and leave the others healthy.
 * Watching (`--watch --json`) prints one report per line until Ctrl-C, then exits with the last
 * report's verdict.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '@pulse/stream';
import { readPartitionHealth } from '@pulse/store';
import { runPulse } from '../support/cli.ts';
import { parseStatusReport as parse, type JsonReport } from '../support/status-report.ts';
import {
  connectedAdmin,
  connectedProducer,
  onCleanup,
  testProcessEnv,
  testRedis,
} from '../support/infra.ts';
import { createProfilerTopics, testProfilerConfig } from '../support/profiler.ts';
import { explained, PULSE_BIN, profilerEnv, spawnProfiler } from '../support/profiler-process.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 3;
const DAY_MS = 86_400_000;

/** A customer id whose events land in `partition`. */
function customerIn(partition: number, salt: string): string {
  for (let index = 0; ; index += 1) {
    const id = `status-${salt}-${index}`;
    if (partitionForKey(id, PARTITIONS) === partition) return id;
  }
}

function visit(customerId: string, index: number): { key: string; value: string } {
  return {
    key: customerId,
    value: JSON.stringify({
      eventId: `${customerId}-v${index}`,
      customerId,
      occurredAt: new Date(Date.now() - DAY_MS + index * 60_000).toISOString(),
      page: '/',
    }),
  };
}

describe('pulse status against the real stack', () => {
  it(
    'exits 0 when healthy; names a stuck outbox and a stopped profiler, with exit 1',
    { timeout: 300_000 },
    async () => {
      const topics = await createProfilerTopics(PARTITIONS);
      const config = testProfilerConfig(topics);
      const profiler = await spawnProfiler({ config });
      const processes = () => [profiler];
      const env = testProcessEnv(profilerEnv(config));
      const status = (...args: string[]) => runPulse(['status', '--interval', '1', ...args], env);
      const producer = await connectedProducer();
      const admin = await connectedAdmin();
      const redis = testRedis();

      // Every partition gets records, and every one is consumed.
      let sent = 0;
      for (let partition = 0; partition < PARTITIONS; partition += 1) {
        const customer = customerIn(partition, 'healthy');
        await producer.send({
          topic: topics.visits,
          acks: -1,
          messages: [0, 1, 2].map((index) => visit(customer, index)),
        });
        sent += 3;
      }
      await explained(
        processes,
        waitFor(
          'every partition consumed',
          async () => {
            const health = await readPartitionHealth(
              redis,
              config.namespace,
              PARTITIONS,
              config.keyPrefix,
            );
            const committed = health.partitions.reduce(
              (total, partition) => total + Number(partition.meta.offsets.get(topics.visits) ?? 0),
              0,
            );
            return committed === sent ? true : undefined;
          },
          { timeoutMs: 60_000, failFast: profiler.failIfExited },
        ),
      );

      const healthy = await status('--json');
      expect(healthy.code, healthy.stderr).toBe(0);
      const report = parse(healthy);
      expect(report.healthy).toBe(true);
      expect(report.namespace).toBe('v1');
      expect(report.partitions.map((partition) => partition.partition)).toEqual([0, 1, 2]);
      expect(report.group.groupId).toBe(config.groupId);
      expect(report.group.members).toHaveLength(1);
      const member = report.group.members[0]!.memberId;
      for (const partition of report.partitions) {
        expect(partition.member).toBe(member);
        expect(partition.inputLag).toBe(0);
        expect(partition.inputs.find((input) => input.topic === topics.visits)?.position).toBe('3');
        expect(partition.stuck).toBe(false);
      }
      const text = await status();
      expect(text.code, text.stderr).toBe(0);
      for (let partition = 0; partition < PARTITIONS; partition += 1)
        expect(text.stdout).toMatch(new RegExp(`^ *${partition} +m1 `, 'm'));
      expect(text.stdout).toContain('no partition is stuck');

      // Watching: one JSON report per line, read after read, until Ctrl-C; then it exits with
      // the last report's verdict.
      const watcher = spawn(
        process.execPath,
        [PULSE_BIN, 'status', '--watch', '--json', '--interval', '1'],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      onCleanup(async () => watcher.kill('SIGKILL'));
      let watched = '';
      let watchErrors = '';
      watcher.stdout.on('data', (chunk: Buffer) => (watched += chunk.toString('utf8')));
      watcher.stderr.on('data', (chunk: Buffer) => (watchErrors += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => watcher.once('exit', resolve));
      const reports = await waitFor(
        'two reports from pulse status --watch --json',
        () => {
          const lines = watched.split('\n').filter((line) => line.length > 0);
          return lines.length >= 2
            ? lines.map((line) => JSON.parse(line) as JsonReport)
            : undefined;
        },
        {
          timeoutMs: 60_000,
          failFast: () =>
            watcher.exitCode === null
              ? undefined
              : new Error(`pulse status --watch exited early: ${watchErrors}`),
        },
      );
      for (const watchedReport of reports) {
        expect(watchedReport.healthy).toBe(true);
        expect(watchedReport.partitions.map((partition) => partition.partition)).toEqual([0, 1, 2]);
      }
      watcher.kill('SIGINT');
      expect(await exited, watchErrors).toBe(0);

      // A stuck outbox: the dead-letter topic is gone, and a bad record arrives in one partition.
      const outboxPartition = 1;
      await admin.deleteTopics({ topics: [topics.deadLetter] });
      await waitFor('the dead-letter topic deleted', async () =>
        (await admin.listTopics()).includes(topics.deadLetter) ? undefined : true,
      );
      await producer.send({
        topic: topics.visits,
        acks: -1,
        messages: [{ key: customerIn(outboxPartition, 'bad'), value: '{"not": "an event"' }],
      });
      const outboxStuck = await explained(
        processes,
        waitFor(
          'pulse status to report the stuck outbox',
          async () => {
            const result = await status('--json', '--stuck-after', '3');
            const parsed = parse(result);
            const stuck = parsed.partitions[outboxPartition]!;
            return result.code === 1 &&
              stuck.reasons.some((reason) => reason.kind === 'outbox-not-draining')
              ? parsed
              : undefined;
          },
          { timeoutMs: 90_000, intervalMs: 500, failFast: profiler.failIfExited },
        ),
      );
      expect(outboxStuck.healthy).toBe(false);
      expect(outboxStuck.partitions[outboxPartition]!.outbox.entries).toBe(1);
      expect(
        outboxStuck.partitions.filter((partition) => partition.stuck).map((p) => p.partition),
      ).toEqual([outboxPartition]);
      const outboxText = await status('--stuck-after', '3');
      expect(outboxText.code).toBe(1);
      expect(outboxText.stdout).toMatch(
        new RegExp(`partition ${outboxPartition}: outbox not draining: 1 entry waits`),
      );
      expect(outboxText.stdout).toContain(`topic ${topics.deadLetter} does not exist`);

      // A stopped profiler while records keep arriving on another partition.
      const lagPartition = 2;
      profiler.kill('SIGSTOP');
      onCleanup(async () => profiler.kill('SIGCONT'));
      const customer = customerIn(lagPartition, 'late');
      let producing = true;
      let index = 0;
      const feeding = (async () => {
        while (producing) {
          await producer.send({
            topic: topics.visits,
            acks: -1,
            messages: [visit(customer, index)],
          });
          index += 1;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      try {
        const stopped = await waitFor(
          'pulse status to report the partition nobody consumes',
          async () => {
            const result = await status('--json', '--stuck-after', '3');
            const parsed = parse(result);
            const stuck = parsed.partitions[lagPartition]!;
            return result.code === 1 &&
              stuck.reasons.some(
                (reason) => reason.kind === 'no-commit' && reason.message.includes('lag grew'),
              )
              ? { result, parsed }
              : undefined;
          },
          { timeoutMs: 90_000, intervalMs: 500 },
        );
        const stuckPartition = stopped.parsed.partitions[lagPartition]!;
        expect(stuckPartition.inputLag).toBeGreaterThan(0);
        expect(stuckPartition.reasons.map((reason) => reason.kind)).toEqual(['no-commit']);
        expect(stuckPartition.reasons[0]!.message).toMatch(
          /^no commit for \S+ while \d+ input records? waits?; the lag grew by \d+ in 1s/,
        );
        // The stuck outbox is still there; the partition with nothing to do is not stuck.
        expect(stopped.parsed.partitions[outboxPartition]!.stuck).toBe(true);
        expect(stopped.parsed.partitions[0]!.stuck).toBe(false);
        const stoppedText = await status('--stuck-after', '3');
        expect(stoppedText.code).toBe(1);
        expect(stoppedText.stdout).toMatch(new RegExp(`partition ${lagPartition}: no commit for`));
      } finally {
        producing = false;
        await feeding;
      }
    },
  );
});
