/*
 * `--signals redirect:<topic>` puts on the redirect topic exactly the signals the live
 * run sent (by id: ids are deterministic per customer, kind and episode), and nothing on the
 * live signal topics. A replay that re-decided differently, lost timers or re-alerted live
 * consumers fails here. Settings as in replay.test.ts (no wall-clock idling, no outage guard).
 */
import { describe, expect, it } from 'vitest';
import { createTestTopics, uniqueName } from '../support/infra.ts';
import type { ProfilerTopics } from '../support/profiler.ts';
import { collectSignals } from '../support/signal-oracle.ts';
import {
  inNamespace,
  recordsOn,
  replayInProcess,
  replayPopulation,
  runLiveToEnd,
} from '../support/replay.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 3;

describe('pulse replay --signals redirect', () => {
  it("puts exactly the live run's signal ids on the redirect topic, none on the live ones", async () => {
    // One creation request: a topic created right after another batch is sometimes not yet
    // known to the broker's metadata when kafkajs waits for its leaders.
    const [visits, purchases, traits, lapse, readyToBuy, deadLetter, redirectTopic] =
      (await createTestTopics([
        { prefix: 'visits', partitions: PARTITIONS },
        { prefix: 'purchases', partitions: PARTITIONS },
        { prefix: 'traits', partitions: PARTITIONS },
        { prefix: 'lapse', partitions: 2 },
        { prefix: 'rtb', partitions: 2 },
        { prefix: 'dlq', partitions: 1 },
        { prefix: 'redirect', partitions: 2 },
      ])) as [string, string, string, string, string, string, string];
    const topics: ProfilerTopics = { visits, purchases, traits, lapse, readyToBuy, deadLetter };
    const events = replayPopulation({
      customers: 150,
      durationDays: 120,
      seed: 29,
      lapseShare: 0.6,
      returnShare: 0.6,
    });
    const { admin, live } = await runLiveToEnd(topics, events, PARTITIONS);
    const liveTopics = [topics.lapse, topics.readyToBuy];
    const liveCount =
      (await recordsOn(admin, topics.lapse)) + (await recordsOn(admin, topics.readyToBuy));
    expect(liveCount, 'signals of the live run').toBeGreaterThan(20);

    const result = await replayInProcess(
      inNamespace(live, 'v2', {
        groupId: uniqueName('replay'),
        signalMode: 'redirect',
        redirectTopic: redirectTopic,
      }),
    );
    expect(result.stoppedBecause).toBe('caught-up');
    // Stopping waits for the outbox: every redirected signal is on Kafka by now.
    const redirectedCount = await recordsOn(admin, redirectTopic);

    const [liveSignals, redirected] = await Promise.all([
      collectSignals(liveTopics),
      collectSignals([redirectTopic]),
    ]);
    await waitFor('both topics read to their ends', () =>
      liveSignals.length === liveCount && redirected.length === redirectedCount ? true : undefined,
    );
    const ids = (list: { signalId: string }[]) => new Set(list.map((signal) => signal.signalId));
    expect(redirected.length).toBeGreaterThan(0);
    expect(ids(redirected)).toEqual(ids(liveSignals));
    expect(
      (await recordsOn(admin, topics.lapse)) + (await recordsOn(admin, topics.readyToBuy)),
      'messages on the live signal topics after the replay',
    ).toBe(liveCount);
  });
});
