import { createHash } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '@pulse/contracts';
import type { Signal } from '@pulse/core';
import { encodeOutboxEntry, type OutboxEntry, type PartitionStore } from '@pulse/store';
import { recordSizeUpperBound, type OutputRecord, type ReliableProducer } from '@pulse/stream';
import { ProfilerMetrics } from './metrics.ts';
import { OutboxRelay, REFUSED_HEADERS } from './relay.ts';

// The relay with its collaborators replaced: an in-memory outbox and a "broker" that refuses a
// send whose record batch for one topic passes that topic's limit, the way Kafka answers
// MESSAGE_TOO_LARGE (wrapped by kafkajs's retrier). The real broker's answer is covered by
// test/profiler/oversized.test.ts.

class MemoryOutbox {
  readonly partition = 5;
  entries: { id: string; payload: string }[] = [];
  private next = 0;

  add(entry: OutboxEntry): string {
    const id = `1700000000000-${this.next++}`;
    this.entries.push({ id, payload: encodeOutboxEntry(entry) });
    return id;
  }

  async readOutbox(count: number) {
    return this.entries.slice(0, count);
  }

  async ackOutbox(ids: string[]) {
    this.entries = this.entries.filter((entry) => !ids.includes(entry.id));
    return ids.length;
  }
}

class FakeBroker {
  sent: OutputRecord[] = [];
  sends = 0;
  refusals = 0;
  down = false;
  /** What the broker enforces, when it differs from what it reported (changed since). */
  enforced: Record<string, number> = {};

  constructor(private readonly limits: Record<string, number>) {}

  async recordLimitBytes(topic: string) {
    return this.limits[topic] ?? 1_048_588;
  }

  async send(records: OutputRecord[]) {
    this.sends += 1;
    if (this.down) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const byTopic = new Map<string, number>();
    for (const record of records)
      byTopic.set(record.topic, (byTopic.get(record.topic) ?? 61) + recordSizeUpperBound(record));
    for (const [topic, bytes] of byTopic) {
      if (bytes > (this.enforced[topic] ?? (await this.recordLimitBytes(topic)))) {
        this.refusals += 1;
        const protocol = Object.assign(new Error('The request included a message larger …'), {
          type: 'MESSAGE_TOO_LARGE',
        });
        throw Object.assign(new Error(protocol.message), { cause: protocol });
      }
    }
    this.sent.push(...records);
  }
}

function relayOf(outbox: MemoryOutbox, broker: FakeBroker) {
  const metrics = new ProfilerMetrics(false);
  const relay = new OutboxRelay(
    outbox as unknown as PartitionStore,
    broker as unknown as ReliableProducer,
    { batchSize: 500, nowMs: () => 1_700_000_000_000, deadLetterTopic: 'dlq' },
    metrics,
    pino({ level: 'silent' }),
  );
  const drained = async () => {
    relay.kick();
    // A drain is a chain of awaited fakes: let it run to its end.
    for (let turn = 0; turn < 1_000 && (relay as unknown as { running: boolean }).running; turn++)
      await new Promise((resolve) => setImmediate(resolve));
  };
  return { relay, metrics, drained };
}

const signal = (index: number): OutboxEntry => ({
  type: 'signal',
  topic: 'lapse',
  signal: {
    signalId: `lapsed-${index}`,
    kind: 'lapsed',
    customerId: `c-${index}`,
    detectedAtMs: 1_767_225_600_000,
    evidence: { usualLatencyDays: 1 },
    rulesVersion: 'test',
  } satisfies Signal,
});

const deadLetter = (bytes: number, index: number): OutboxEntry => ({
  type: 'dead-letter',
  topic: 'dlq',
  key: `c-${index}`,
  keyBase64: Buffer.from(`c-${index}`).toString('base64'),
  valueBase64: Buffer.alloc(bytes, index % 256).toString('base64'),
  headers: { [DLQ_HEADERS.errorKind]: 'not-json', [DLQ_HEADERS.sourceOffset]: String(index) },
});

describe('OutboxRelay', () => {
  // A stopping profiler closes its producer right after the relays: a pass still sending then
  // connected the producer again, and the open socket kept the process alive for 20 s.
  it('close waits for the pass under way and starts no other', async () => {
    const outbox = new MemoryOutbox();
    for (let index = 0; index < 3; index += 1) outbox.add(signal(index));
    const broker = new FakeBroker({});
    let release: () => void = () => undefined;
    const send = broker.send.bind(broker);
    broker.send = async (records) => {
      await new Promise<void>((resume) => (release = resume));
      return send(records);
    };
    const { relay } = relayOf(outbox, broker);
    relay.kick();
    let closed = false;
    const closing = relay.close().then(() => (closed = true));
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resume) => setImmediate(resume));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(broker.sent).toHaveLength(3);
    outbox.add(signal(9));
    relay.kick();
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resume) => setImmediate(resume));
    expect(broker.sends).toBe(1);
    expect(outbox.entries).toHaveLength(1);
  });

  it('splits a slice larger than the limit into sends the broker takes, in order', async () => {
    const outbox = new MemoryOutbox();
    for (let index = 0; index < 100; index += 1) outbox.add(deadLetter(30_000, index));
    const broker = new FakeBroker({});
    const { drained } = relayOf(outbox, broker);
    await drained();
    expect(outbox.entries).toEqual([]);
    expect(broker.refusals).toBe(0);
    expect(broker.sends).toBeGreaterThanOrEqual(3);
    expect(broker.sent.map((record) => record.headers?.[DLQ_HEADERS.sourceOffset])).toEqual(
      Array.from({ length: 100 }, (_, index) => String(index)),
    );
  });

  it('moves an entry the broker refuses aside as undeliverable and delivers the rest', async () => {
    const outbox = new MemoryOutbox();
    outbox.add(signal(1));
    // Written by a version that copied whole values into dead letters (key as text).
    const huge = Buffer.alloc(2 * 1024 * 1024, 0x5b);
    const hugeId = outbox.add({
      type: 'dead-letter',
      topic: 'dlq',
      key: 'c-2',
      valueBase64: huge.toString('base64'),
      headers: { [DLQ_HEADERS.errorKind]: 'oversized' },
    });
    outbox.add(signal(3));
    outbox.add(deadLetter(100, 4));
    const broker = new FakeBroker({ dlq: 1_048_588, lapse: 1_048_588 });
    const { drained, metrics } = relayOf(outbox, broker);
    await drained();

    expect(outbox.entries).toEqual([]);
    expect(
      broker.sent.map((record) => record.headers?.[DLQ_HEADERS.errorKind] ?? 'signal'),
    ).toEqual(['signal', 'undeliverable', 'signal', 'not-json']);
    const aside = broker.sent[1] as OutputRecord;
    expect(aside.topic).toBe('dlq');
    expect(aside.key).toEqual(Buffer.from('c-2'));
    expect(recordSizeUpperBound(aside)).toBeLessThan(1_048_588);
    expect((aside.value as Buffer).equals(huge.subarray(0, (aside.value as Buffer).length))).toBe(
      true,
    );
    expect(aside.headers).toMatchObject({
      [DLQ_HEADERS.sourceTopic]: 'dlq',
      [DLQ_HEADERS.sourcePartition]: '5',
      [DLQ_HEADERS.sourceOffset]: hugeId,
      [DLQ_HEADERS.originalValueBytes]: String(huge.length),
      [DLQ_HEADERS.originalValueSha256]: createHash('sha256').update(huge).digest('hex'),
      [REFUSED_HEADERS]: JSON.stringify({ [DLQ_HEADERS.errorKind]: 'oversized' }),
    });
    const undeliverable = await metrics.registry
      .getSingleMetric('pulse_outbox_undeliverable_total')
      ?.get();
    expect(undeliverable?.values).toEqual([{ labels: { topic: 'dlq' }, value: 1 }]);
  });

  it('fits the prefix to a dead-letter topic with a small limit', async () => {
    const outbox = new MemoryOutbox();
    outbox.add(deadLetter(30_000, 1));
    const broker = new FakeBroker({ dlq: 20_000 });
    const { drained } = relayOf(outbox, broker);
    await drained();
    expect(outbox.entries).toEqual([]);
    expect(broker.sent).toHaveLength(1);
    expect(broker.sent[0]?.headers?.[DLQ_HEADERS.errorKind]).toBe('undeliverable');
    expect(recordSizeUpperBound(broker.sent[0] as OutputRecord)).toBeLessThanOrEqual(20_000);
  });

  it('goes one by one when the limit shrank since it was read (the producer starts afresh by itself: test/foundation/producer.test.ts)', async () => {
    const outbox = new MemoryOutbox();
    for (let index = 0; index < 4; index += 1) outbox.add(deadLetter(10_000, index));
    const broker = new FakeBroker({ dlq: 1_048_588 });
    broker.enforced = { dlq: 15_000 };
    const { drained } = relayOf(outbox, broker);
    await drained();
    expect(outbox.entries).toEqual([]);
    expect(broker.sent.map((record) => record.headers?.[DLQ_HEADERS.sourceOffset])).toEqual([
      '0',
      '1',
      '2',
      '3',
    ]);
  });

  it('keeps every entry while the broker is unreachable, and sends them once it is back', async () => {
    const outbox = new MemoryOutbox();
    for (let index = 0; index < 5; index += 1) outbox.add(signal(index));
    const broker = new FakeBroker({});
    broker.down = true;
    const { drained, metrics } = relayOf(outbox, broker);
    await drained();
    expect(outbox.entries).toHaveLength(5);
    expect(broker.sent).toEqual([]);
    broker.down = false;
    await drained();
    expect(outbox.entries).toEqual([]);
    expect(broker.sent.map((record) => record.key)).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    expect(
      (await metrics.registry.getSingleMetric('pulse_outbox_undeliverable_total')?.get())?.values,
    ).toEqual([]);
  });
});
