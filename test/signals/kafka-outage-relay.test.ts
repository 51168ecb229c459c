/*
 * Kafka unavailable while the relay has signals to send: the outbox keeps them, and once Kafka is
 * back the same signal ids arrive, none lost. The profiler runs against a broker of this test's
 * own. Its test failpoint (stop-before-outbox-commit) freezes it just before the first commit
 * that writes signals; the broker is stopped; the profiler is woken, commits the batch (Redis is
 * up) and its relay tries to produce to a broker that refuses connections — until it gives up
 * and logs it. The outbox must still hold exactly the committed signals then. The broker starts
 * again (same port, same data); every outbox drains, and the signal topics hold every id the
 * outbox held, each decided once (repeats, if a send was retried, share id and decision).
 */
import { describe, expect, it } from 'vitest';
import type { CustomerEvent } from '@pulse/core';
import { generatePopulation } from '@pulse/test-kit';
import { connectedAdmin, connectedProducer, uniqueName } from '../support/infra.ts';
import { privateKafka } from '../support/private-kafka.ts';
import { testProfilerConfig, type ProfilerTopics } from '../support/profiler.ts';
import { explained, spawnProfiler } from '../support/profiler-process.ts';
import {
  bySignalId,
  produceLog,
  readBacklog,
  readOutboxSignals,
  readSignals,
  total,
  waitForSignalsSettled,
  waitForTopicLeaders,
} from '../support/signal-topics.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 2;
const HOUR_MS = 3_600_000;

describe('Kafka unavailable during the signal relay', () => {
  it(
    'keeps the signals in the outbox and delivers the same ids once Kafka is back',
    { timeout: 400_000 },
    async () => {
      const broker = await privateKafka();
      const topics: ProfilerTopics = {
        visits: uniqueName('visits'),
        purchases: uniqueName('purchases'),
        traits: uniqueName('traits'),
        lapse: uniqueName('lapse'),
        readyToBuy: uniqueName('rtb'),
        deadLetter: uniqueName('dlq'),
      };
      const admin = await connectedAdmin(broker.kafka);
      const specs = [
        { topic: topics.visits, numPartitions: PARTITIONS },
        { topic: topics.purchases, numPartitions: PARTITIONS },
        { topic: topics.traits, numPartitions: PARTITIONS },
        { topic: topics.lapse, numPartitions: 2 },
        { topic: topics.readyToBuy, numPartitions: 2 },
        { topic: topics.deadLetter, numPartitions: 1 },
      ];
      // kafkajs's own waitForLeaders can give up on a fresh broker ("This server does not host
      // this topic-partition"): wait for the leaders here instead.
      await admin.createTopics({ waitForLeaders: false, topics: specs });
      await waitForTopicLeaders(admin, specs);
      const events: CustomerEvent[] = [
        ...generatePopulation({
          customers: 150,
          startMs: Date.UTC(2026, 0, 1),
          durationDays: 120,
          seed: 83,
          lapseShare: 0.6,
          returnShare: 0.5,
          buyerShare: 0,
          shuffleWithinMs: 6 * HOUR_MS,
        }).events(),
      ];
      await produceLog(await connectedProducer(broker.kafka), events, topics);

      // No outage guard and no wall-clock idling on a preloaded log: every decided signal is sent.
      const config = testProfilerConfig(topics, {
        idleAfterMs: 600_000,
      });
      const profiler = await spawnProfiler({
        config,
        extraEnv: {
          KAFKA_BROKERS: broker.brokers,
          PULSE_IDLE_AFTER_MS: String(config.idleAfterMs),
          PULSE_TEST_FAILPOINT: 'stop-before-outbox-commit',
        },
      });
      const failFast = profiler.failIfExited;
      const wait = <T>(what: Promise<T>) => explained(() => [profiler], what);
      await wait(
        waitFor(
          'the profiler to stop before its first commit with signals',
          () =>
            profiler.logs.find(
              (line) => line.msg === 'test failpoint reached; stopping the process',
            ),
          { timeoutMs: 90_000, failFast },
        ),
      );
      expect(total((await readBacklog(config, PARTITIONS)).outbox)).toBe(0);

      await broker.stop();
      profiler.kill('SIGCONT');
      // The commit lands in Redis; the relay cannot reach Kafka.
      await wait(
        waitFor(
          'the committed signals in the outbox',
          async () =>
            total((await readBacklog(config, PARTITIONS)).outbox) > 0 ? true : undefined,
          { timeoutMs: 30_000, failFast },
        ),
      );
      const outboxed = await readOutboxSignals(config, PARTITIONS);
      await wait(
        waitFor(
          'the relay to fail against the stopped broker',
          () => profiler.logs.find((line) => line.msg === 'outbox relay failed; will retry'),
          { timeoutMs: 240_000, intervalMs: 500, failFast },
        ),
      );
      const kept = await readOutboxSignals(config, PARTITIONS);
      expect(kept.length).toBeGreaterThan(0);
      // Kept, all of them (more may have joined: the profiler decides on from what it fetched).
      const keptIds = new Set(kept.map((entry) => entry.signalId));
      expect(outboxed.filter((entry) => !keptIds.has(entry.signalId))).toEqual([]);

      await broker.start();
      // The test's own admin learns the restarted broker's leadership like any client: retry.
      await waitFor(
        'the restarted broker to serve the input offsets',
        async () => {
          for (const topic of [topics.visits, topics.purchases])
            await admin.fetchTopicOffsets(topic);
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      await wait(
        waitForSignalsSettled(admin, config, PARTITIONS, { timeoutMs: 120_000, failFast }),
      );
      const delivered = await readSignals(admin, [topics.lapse, topics.readyToBuy], broker.kafka);
      const groups = bySignalId(delivered);
      for (const entry of kept)
        expect(groups.has(entry.signalId), `${entry.signalId} delivered after the outage`).toBe(
          true,
        );
      for (const [signalId, group] of groups) {
        const decisions = group.map(({ emittedAt: _emittedAt, ...decision }) => decision);
        for (const decision of decisions.slice(1))
          expect(decision, `repeat of ${signalId}`).toEqual(decisions[0]);
      }
      const decided = (await profiler.metric('pulse_signals_total')) ?? 0;
      expect(groups.size, 'signal ids delivered = signals decided').toBe(decided);
      expect(profiler.exitStatus()).toBeUndefined();
    },
  );
});
