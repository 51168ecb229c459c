import avro from 'avsc';
import { describe, expect, it, vi } from 'vitest';
import { currentSchema } from './catalog.ts';
import { confluentFrame, parseConfluentFrame } from './confluent-frame.ts';
import {
  createAvroEncoder,
  encodeJson,
  encodeSignalJson,
  type RegistryEncoder,
} from './encoders.ts';
import { ContractsError } from './errors.ts';
import { sampleSignal } from './test-fixtures.ts';
import { signalWireSchema } from './wire.ts';

describe('encodeSignalJson', () => {
  it('encodes a valid signal as UTF-8 JSON that parses back to the same signal', () => {
    const bytes = encodeSignalJson(sampleSignal());
    expect(signalWireSchema.parse(JSON.parse(bytes.toString('utf8')))).toStrictEqual(
      sampleSignal(),
    );
  });

  it('refuses a signal that breaks the contract, naming the field', () => {
    const attempt = () => encodeSignalJson(sampleSignal({ detectedAt: 'yesterday' }));
    expect(attempt).toThrow(ContractsError);
    expect(attempt).toThrow(/detectedAt/);
  });

  it('encodeJson is plain JSON', () => {
    expect(encodeJson({ a: 1 }).toString()).toBe('{"a":1}');
  });
});

describe('Confluent framing', () => {
  it('round-trips a schema id and body', () => {
    const frame = confluentFrame(258, Buffer.from([7, 8]));
    expect([...frame]).toStrictEqual([0, 0, 0, 1, 2, 7, 8]);
    expect(parseConfluentFrame(frame)).toStrictEqual({
      ok: true,
      schemaId: 258,
      body: Buffer.from([7, 8]),
    });
  });

  it('tells JSON from Avro by the first byte', () => {
    expect(parseConfluentFrame(Buffer.from('{}'))).toStrictEqual({
      ok: false,
      reason: 'not-framed',
    });
    expect(parseConfluentFrame(Buffer.from([0, 1]))).toStrictEqual({
      ok: false,
      reason: 'truncated-header',
    });
  });
});

describe('createAvroEncoder', () => {
  const signalType = avro.Type.forSchema(currentSchema('signal') as unknown as avro.Schema);

  function fakeRegistry(): RegistryEncoder & { calls: number } {
    const registry = {
      calls: 0,
      getLatestSchemaId: vi.fn(async () => {
        registry.calls += 1;
        return 21;
      }),
      encode: vi.fn(async (id: number, value: unknown) =>
        confluentFrame(id, signalType.toBuffer(value)),
      ),
    };
    return registry;
  }

  it('looks up the latest schema id once and frames every value with it', async () => {
    const registry = fakeRegistry();
    const encoder = createAvroEncoder(registry, 'pulse.signals.lapse-value');
    const [first, second] = await Promise.all([
      encoder.encode(sampleSignal()),
      encoder.encode(sampleSignal({ kind: 'reactivated' })),
    ]);
    expect(registry.calls).toBe(1);
    const parsed = parseConfluentFrame(first!);
    expect(parsed.ok && parsed.schemaId).toBe(21);
    expect(parsed.ok && signalType.fromBuffer(parsed.body).kind).toBe('lapsed');
    expect(second).toBeDefined();
  });

  it('uses a pinned schema id without asking the registry', async () => {
    const registry = fakeRegistry();
    const encoder = createAvroEncoder(registry, 'pulse.visits-value', { schemaId: 5 });
    await expect(encoder.schemaId()).resolves.toBe(5);
    expect(registry.calls).toBe(0);
  });

  it('maps a registry outage to a retriable error and tries again next time', async () => {
    let down = true;
    const registry: RegistryEncoder = {
      getLatestSchemaId: async () => {
        if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return 3;
      },
      encode: async (id: number) => confluentFrame(id, Buffer.alloc(0)),
    };
    const encoder = createAvroEncoder(registry, 'pulse.visits-value');
    await expect(encoder.encode({})).rejects.toMatchObject({
      code: 'REGISTRY_UNAVAILABLE',
      retriable: true,
    });
    down = false;
    await expect(encoder.schemaId()).resolves.toBe(3);
  });

  it('reports an invalid value by field path', async () => {
    const registry: RegistryEncoder = {
      getLatestSchemaId: async () => 9,
      encode: async () => {
        throw Object.assign(new Error('invalid'), { paths: [['kind'], ['evidence', 'x']] });
      },
    };
    const encoder = createAvroEncoder(registry, 'pulse.signals.lapse-value');
    await expect(encoder.encode({})).rejects.toMatchObject({
      code: 'CONTRACT_VIOLATION',
      message: expect.stringContaining('kind, evidence.x') as unknown,
    });
  });
});
