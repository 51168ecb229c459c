/*
 * A replay's dead letters go where its signals go, never to the live dead-letter topic. The
 * live run already dead-lettered every bad record of the log once; a replay that sent them to
 * `pulse.dlq` again (it did: 8 → 16 records) doubles what operators must look at and breaks
 * "each bad record once". With signals redirected, a replay's dead letters go to the redirect
 * topic beside its signals (told apart by the `pulse-error-kind` header), the same records with
 * the same reasons as the live run's — the key-mismatch rule included, since the replay decides
 * with the same code; with signals suppressed they are only counted. The live dead-letter topic
 * holds the same records before and after both replays.
 */
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '@pulse/contracts';
import { collectRecords, type ReadRecord } from '../support/dead-letters.ts';
import { connectedProducer, createTestTopics, uniqueName } from '../support/infra.ts';
import type { ProfilerTopics } from '../support/profiler.ts';
import {
  expectTwinNamespaces,
  inNamespace,
  readStoredState,
  recordsOn,
  replayInProcess,
  replayPopulation,
  runLiveToEnd,
} from '../support/replay.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 3;

const originOf = (record: ReadRecord): string =>
  `${record.headers[DLQ_HEADERS.sourceTopic]}/${record.headers[DLQ_HEADERS.sourcePartition]}/${record.headers[DLQ_HEADERS.sourceOffset]} ${record.headers[DLQ_HEADERS.errorKind]}`;

describe('pulse replay and dead letters', () => {
  it('sends a replay’s dead letters to its redirect topic (or nowhere when suppressed), never the live dead-letter topic', async () => {
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
      customers: 90,
      durationDays: 90,
      seed: 37,
      lapseShare: 0.6,
      returnShare: 0.5,
    });
    const someone = events[0]!.customerId;
    const occurredAt = new Date(events[0]!.occurredAtMs).toISOString();
    const validVisit = (eventId: string) =>
      JSON.stringify({ eventId, customerId: someone, occurredAt });
    const producer = await connectedProducer();
    const bad: { topic: string; key: string | null; value: Buffer | null }[] = [
      { topic: visits, key: someone, value: Buffer.from([0xff, 1, 2]) },
      { topic: purchases, key: someone, value: Buffer.from('{"eventId":') },
      { topic: visits, key: someone, value: null },
      { topic: visits, key: null, value: Buffer.from(validVisit('null-key')) },
      { topic: visits, key: uniqueName('stranger'), value: Buffer.from(validVisit('other-key')) },
    ];
    for (const record of bad)
      await producer.send({
        topic: record.topic,
        acks: -1,
        messages: [{ key: record.key, value: record.value }],
      });

    const liveDeadLetters = await collectRecords([deadLetter]);
    const { admin, live } = await runLiveToEnd(topics, events, PARTITIONS);
    await waitFor('the live run’s dead letters', () =>
      liveDeadLetters.length >= bad.length ? true : undefined,
    );
    expect(await recordsOn(admin, deadLetter)).toBe(bad.length);
    const liveOrigins = liveDeadLetters.map(originOf).sort();
    expect(liveOrigins.filter((origin) => origin.endsWith(' key-mismatch'))).toHaveLength(2);

    const redirected = await replayInProcess(
      inNamespace(live, 'v2', {
        groupId: uniqueName('replay'),
        signalMode: 'redirect',
        redirectTopic,
      }),
    );
    expect(redirected.stoppedBecause).toBe('caught-up');
    // Stopping waits for the outbox: everything redirected is on Kafka by now.
    const onRedirect = await collectRecords([redirectTopic]);
    const redirectCount = await recordsOn(admin, redirectTopic);
    await waitFor('the redirect topic read to its end', () =>
      onRedirect.length >= redirectCount ? true : undefined,
    );
    const replayDeadLetters = onRedirect.filter(
      (record) => record.headers[DLQ_HEADERS.errorKind] !== undefined,
    );
    expect(replayDeadLetters.map(originOf).sort(), 'dead letters on the redirect topic').toEqual(
      liveOrigins,
    );
    expect(onRedirect.length, 'signals beside them').toBeGreaterThan(replayDeadLetters.length);
    expect(await recordsOn(admin, deadLetter), 'live dead letters after a redirected replay').toBe(
      bad.length,
    );

    const suppressed = await replayInProcess(
      inNamespace(live, 'v3', { groupId: uniqueName('replay'), signalMode: 'suppress' }),
    );
    expect(suppressed.stoppedBecause).toBe('caught-up');
    const counted =
      (await suppressed.metrics.registry.getSingleMetric('pulse_events_dead_lettered_total')?.get())
        ?.values ?? [];
    expect(
      counted.reduce((sum, sample) => sum + sample.value, 0),
      'counted, not sent',
    ).toBe(bad.length);
    expect(await recordsOn(admin, deadLetter), 'live dead letters after a suppressed replay').toBe(
      bad.length,
    );
    expect(await recordsOn(admin, redirectTopic)).toBe(redirectCount);

    // Same decisions as the live run, key-mismatch included: the same profiles.
    const liveState = await readStoredState(live, PARTITIONS);
    expect(
      expectTwinNamespaces(
        liveState,
        await readStoredState({ ...live, namespace: 'v2' }, PARTITIONS),
      ),
    ).toBeGreaterThan(0);
  });
});
