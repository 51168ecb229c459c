import avro from 'avsc';
import { describe, expect, it, vi } from 'vitest';
import { currentSchema } from './catalog.ts';
import { confluentFrame } from './confluent-frame.ts';
import { DLQ_ERROR_KINDS } from './dead-letter.ts';
import { encodeJson } from './encoders.ts';
import { ContractsError } from './errors.ts';
import { createEventDecoder, type SchemaRegistryReader } from './event-decoder.ts';
import { MAX_EVENT_PAYLOAD_BYTES } from './limits.ts';
import { samplePurchase, sampleTraits, sampleVisit } from './test-fixtures.ts';

const visitV1 = avro.Type.forSchema(currentSchema('visit') as unknown as avro.Schema);
const purchaseV1 = avro.Type.forSchema(currentSchema('purchase') as unknown as avro.Schema);
// What a newer tracker might register: v1 plus one optional field.
const visitV2 = avro.Type.forSchema({
  ...currentSchema('visit'),
  fields: [
    ...currentSchema('visit').fields,
    { name: 'referrer', type: ['null', 'string'], default: null, doc: 'new' },
  ],
} as unknown as avro.Schema);

const traitsV1 = avro.Type.forSchema(currentSchema('traits') as unknown as avro.Schema);

const VISIT_V1_ID = 11;
const TRAITS_V1_ID = 14;
const PURCHASE_V1_ID = 12;
const VISIT_V2_ID = 13;

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

function fakeRegistry(
  schemas: Record<number, avro.Type> = {
    [VISIT_V1_ID]: visitV1,
    [PURCHASE_V1_ID]: purchaseV1,
    [VISIT_V2_ID]: visitV2,
    [TRAITS_V1_ID]: traitsV1,
  },
) {
  const getSchema = vi.fn(async (id: number): Promise<unknown> => {
    const schema = schemas[id];
    if (schema === undefined) throw new HttpError(404);
    return schema;
  });
  return { getSchema } satisfies SchemaRegistryReader;
}

const avroVisit = (visit = sampleVisit(), type = visitV1, id = VISIT_V1_ID) =>
  confluentFrame(id, type.toBuffer(visit));

const personalValues = ['customer-42', '/shoes/running', 'session-7'];
function expectNoPersonalData(message: string) {
  for (const value of personalValues) expect(message).not.toContain(value);
}

describe('createEventDecoder: JSON', () => {
  const decoder = createEventDecoder();

  it('decodes a JSON visit and purchase to domain events', async () => {
    await expect(decoder.decode('visit', encodeJson(sampleVisit()))).resolves.toStrictEqual({
      ok: true,
      event: {
        kind: 'visit',
        eventId: 'evt-visit-1',
        customerId: 'customer-42',
        occurredAtMs: Date.UTC(2025, 2, 1, 9, 30),
        // The source feeds the customer's acquisitionSource (traits).
        source: 'web',
      },
    });
    const purchase = await decoder.decode('purchase', encodeJson(samplePurchase()));
    expect(purchase.ok && purchase.event.kind).toBe('purchase');
  });

  it.each([
    ['empty-payload', null],
    ['empty-payload', Buffer.alloc(0)],
    ['oversized', Buffer.alloc(MAX_EVENT_PAYLOAD_BYTES + 1, 0x20)],
    ['not-json', Buffer.from('customer-42 visited /shoes/running')],
    ['schema-violation', encodeJson([sampleVisit()])],
    ['schema-violation', encodeJson('just a string')],
    ['schema-violation', encodeJson({ ...sampleVisit(), page: 17 })],
    ['missing-id', encodeJson({ ...sampleVisit(), eventId: undefined })],
    ['missing-id', encodeJson({ ...sampleVisit(), customerId: '' })],
    ['missing-id', encodeJson({ ...sampleVisit(), customerId: null })],
    ['invalid-timestamp', encodeJson({ ...sampleVisit(), occurredAt: '2025-03-01 09:30' })],
    ['invalid-id', encodeJson({ ...sampleVisit(), customerId: 'c'.repeat(129) })],
    ['invalid-id', encodeJson({ ...sampleVisit(), eventId: 'evt\u0000-1' })],
    ['invalid-id', encodeJson({ ...sampleVisit(), customerId: 'customer-\ud800' })],
    ['invalid-id', encodeJson({ ...sampleVisit(), source: 'web\n' })],
    [
      'invalid-id',
      Buffer.from(
        '{"eventId":"e-1","customerId":"customer-\xff","occurredAt":"2025-03-01T09:30:00.000Z"}',
        'latin1',
      ),
    ],
  ] as const)('rejects as %s', async (kind, value) => {
    const result = await decoder.decode('visit', value);
    expect(result).toMatchObject({ ok: false, kind });
    if (!result.ok) expectNoPersonalData(result.message);
  });

  it('rejects a purchase with a bad amount and names the field, not the value', async () => {
    const result = await decoder.decode(
      'purchase',
      encodeJson({ ...samplePurchase(), amountMinor: 12.5, currency: 'euro' }),
    );
    expect(result).toMatchObject({ ok: false, kind: 'schema-violation' });
    if (!result.ok) {
      expect(result.message).toContain('amountMinor');
      expect(result.message).toContain('currency');
      expect(result.message).not.toContain('12.5');
      expect(result.message).not.toContain('euro');
    }
  });

  it('treats a purchase on the visit topic as a visit (extra fields dropped)', async () => {
    const result = await decoder.decode('visit', encodeJson(samplePurchase()));
    expect(result.ok && result.event).toMatchObject({ kind: 'visit' });
  });

  it('never merges two customer ids that differ only in an invalid UTF-8 byte', async () => {
    const recordWith = (lastByte: number) =>
      Buffer.concat([
        Buffer.from('{"eventId":"e-1","customerId":"hostile-utf8-3-'),
        Buffer.from([lastByte]),
        Buffer.from('","occurredAt":"2025-03-01T09:30:00.000Z"}'),
      ]);
    for (const lastByte of [0xff, 0xfe, 0xc3]) {
      const result = await decoder.decode('visit', recordWith(lastByte));
      expect(result).toMatchObject({ ok: false, kind: 'invalid-id' });
      if (!result.ok) expect(result.message).toMatch(/customerId .*UTF-8/);
    }
  });

  it('refuses a record whose other text is not valid UTF-8 either', async () => {
    const value = Buffer.concat([
      Buffer.from(
        '{"eventId":"e-1","customerId":"c-1","occurredAt":"2025-03-01T09:30:00.000Z","page":"/shoes',
      ),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    await expect(decoder.decode('visit', value)).resolves.toMatchObject({
      ok: false,
      kind: 'schema-violation',
      message: expect.stringContaining('UTF-8'),
    });
  });

  it('only ever returns the documented error kinds', () => {
    expect(DLQ_ERROR_KINDS).toHaveLength(12);
  });
});

describe('createEventDecoder: Avro (Confluent wire format)', () => {
  it('decodes a framed Avro visit and purchase with the same result as JSON', async () => {
    const decoder = createEventDecoder({ registry: fakeRegistry() });
    const fromAvro = await decoder.decode('visit', avroVisit());
    const fromJson = await decoder.decode('visit', encodeJson(sampleVisit()));
    expect(fromAvro).toStrictEqual(fromJson);
    const purchase = await decoder.decode(
      'purchase',
      confluentFrame(PURCHASE_V1_ID, purchaseV1.toBuffer(samplePurchase())),
    );
    expect(purchase).toMatchObject({ ok: true, event: { kind: 'purchase', amountMinor: 12_550 } });
  });

  it('decodes without waiting once the writer schema is known (decodeSync)', async () => {
    const registry = fakeRegistry();
    const decoder = createEventDecoder({ registry });
    expect(decoder.decodeSync('visit', avroVisit())).toBeUndefined();
    const slow = await decoder.decode('visit', avroVisit());
    expect(decoder.decodeSync('visit', avroVisit())).toStrictEqual(slow);
    expect(decoder.decodeSync('visit', encodeJson(sampleVisit()))).toStrictEqual(slow);
    expect(registry.getSchema).toHaveBeenCalledTimes(1);
  });

  it('fetches each writer schema once, however many messages use it', async () => {
    const registry = fakeRegistry();
    const decoder = createEventDecoder({ registry });
    await Promise.all(Array.from({ length: 50 }, () => decoder.decode('visit', avroVisit())));
    await decoder.decode('visit', avroVisit());
    expect(registry.getSchema).toHaveBeenCalledTimes(1);
  });

  it('reads a newer tracker schema (extra optional field) with the current reader', async () => {
    const decoder = createEventDecoder({ registry: fakeRegistry() });
    const result = await decoder.decode(
      'visit',
      avroVisit({ ...sampleVisit(), referrer: 'newsletter' } as never, visitV2, VISIT_V2_ID),
    );
    expect(result).toMatchObject({ ok: true, event: { kind: 'visit', eventId: 'evt-visit-1' } });
  });

  it('sends an unknown schema id to unknown-schema and asks again only after the retry delay', async () => {
    let nowMs = 0;
    const registry = fakeRegistry();
    const decoder = createEventDecoder({
      registry,
      unknownSchemaRetryMs: 1000,
      nowMs: () => nowMs,
    });
    const frame = confluentFrame(999, visitV1.toBuffer(sampleVisit()));
    await expect(decoder.decode('visit', frame)).resolves.toMatchObject({
      ok: false,
      kind: 'unknown-schema',
    });
    await decoder.decode('visit', frame);
    expect(registry.getSchema).toHaveBeenCalledTimes(1);
    nowMs = 1001;
    await decoder.decode('visit', frame);
    expect(registry.getSchema).toHaveBeenCalledTimes(2);
  });

  it('rejects a purchase schema on the visit topic as unknown-schema', async () => {
    const decoder = createEventDecoder({ registry: fakeRegistry() });
    const frame = confluentFrame(PURCHASE_V1_ID, purchaseV1.toBuffer(samplePurchase()));
    // Avro resolution matches record names: a Purchase writer never reads as a Visit.
    const result = await decoder.decode('visit', frame);
    expect(result).toMatchObject({ ok: false, kind: 'unknown-schema' });
    if (!result.ok) expect(result.message).toContain('dev.pulse.Purchase');
    const reverse = await decoder.decode('purchase', avroVisit());
    expect(reverse).toMatchObject({ ok: false, kind: 'unknown-schema' });
  });

  it.each([
    ['a truncated header', Buffer.from([0, 0, 0])],
    ['a truncated body', avroVisit().subarray(0, 12)],
    ['trailing garbage', Buffer.concat([avroVisit(), Buffer.from([1, 2, 3])])],
  ])('rejects %s as avro-decode without echoing bytes', async (_label, value) => {
    const decoder = createEventDecoder({ registry: fakeRegistry() });
    const result = await decoder.decode('visit', value);
    expect(result).toMatchObject({ ok: false, kind: 'avro-decode' });
    if (!result.ok) expectNoPersonalData(result.message);
  });

  it('applies the same semantic checks to Avro as to JSON', async () => {
    const decoder = createEventDecoder({ registry: fakeRegistry() });
    const result = await decoder.decode(
      'visit',
      avroVisit(sampleVisit({ occurredAt: '2025-02-30T00:00:00Z', customerId: '' })),
    );
    expect(result).toMatchObject({ ok: false, kind: 'missing-id' });
  });

  it('dead-letters an Avro customer id with an invalid UTF-8 byte as invalid-id', async () => {
    const decoder = createEventDecoder({ registry: fakeRegistry() });
    const frame = avroVisit(sampleVisit({ customerId: 'customer-~' }));
    frame[frame.indexOf('customer-~') + 'customer-'.length] = 0xff;
    await expect(decoder.decode('visit', frame)).resolves.toMatchObject({
      ok: false,
      kind: 'invalid-id',
    });
  });

  it('without a registry, an Avro message is unknown-schema, never a crash', async () => {
    const decoder = createEventDecoder();
    await expect(decoder.decode('visit', avroVisit())).resolves.toMatchObject({
      ok: false,
      kind: 'unknown-schema',
    });
  });

  it('throws a retriable error when the registry is down, instead of dead-lettering', async () => {
    const registry: SchemaRegistryReader = {
      getSchema: async () => {
        throw new HttpError(503);
      },
    };
    const decoder = createEventDecoder({ registry });
    const failure = await decoder.decode('visit', avroVisit()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ContractsError);
    expect(failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', retriable: true });
  });
});

describe('createEventDecoder: the record key', () => {
  const decoder = createEventDecoder();
  const visit = encodeJson(sampleVisit());

  it('accepts a record keyed by its customerId, byte for byte', async () => {
    await expect(
      decoder.decode('visit', visit, { key: Buffer.from('customer-42') }),
    ).resolves.toMatchObject({ ok: true, event: { customerId: 'customer-42' } });
  });

  it.each([
    ['a null key', null],
    ['an empty key', Buffer.alloc(0)],
    ['a 10 KB key', Buffer.alloc(10_240, 0x61)],
    ["another customer's id", Buffer.from('customer-43')],
    ['the id with a trailing space', Buffer.from('customer-42 ')],
  ])('dead-letters a valid event with %s as key-mismatch, naming no id', async (_, key) => {
    const result = await decoder.decode('visit', visit, { key });
    expect(result).toMatchObject({ ok: false, kind: 'key-mismatch', customerId: 'customer-42' });
    if (!result.ok) {
      expectNoPersonalData(result.message);
      expect(result.message).not.toContain('customer-43');
    }
  });

  it('keeps the verdict of an invalid record whatever its key', async () => {
    await expect(
      decoder.decode('visit', Buffer.from('{"eventId":'), { key: null }),
    ).resolves.toMatchObject({ ok: false, kind: 'not-json' });
  });

  it('checks nothing when no record is given', async () => {
    await expect(decoder.decode('visit', visit)).resolves.toMatchObject({ ok: true });
  });

  it('compares the UTF-8 bytes: a non-ASCII customerId keyed by its UTF-8 bytes is accepted', async () => {
    const value = encodeJson(sampleVisit({ customerId: 'kundin-jürgen-東京' }));
    await expect(
      decoder.decode('visit', value, { key: Buffer.from('kundin-jürgen-東京', 'utf8') }),
    ).resolves.toMatchObject({ ok: true });
    await expect(
      decoder.decode('visit', value, { key: Buffer.from('kundin-jürgen-東京', 'latin1') }),
    ).resolves.toMatchObject({ ok: false, kind: 'key-mismatch' });
  });
});

describe('createEventDecoder: traits (pulse.traits)', () => {
  const traitsEvent = {
    kind: 'traits',
    eventId: 'evt-traits-1',
    customerId: 'customer-42',
    occurredAtMs: Date.UTC(2025, 2, 1, 8),
    country: 'DE',
    region: 'DE-BY',
    acquisitionSource: 'web',
    customerType: 'business',
    plan: 'pro',
    attributes: { industry: 'retail', seats: '12' },
  };

  it('decodes JSON and Avro traits to the same record, without waiting once the schema is known', async () => {
    const decoder = createEventDecoder({ registry: fakeRegistry() });
    await expect(decoder.decode('traits', encodeJson(sampleTraits()))).resolves.toStrictEqual({
      ok: true,
      event: traitsEvent,
    });
    const framed = confluentFrame(TRAITS_V1_ID, traitsV1.toBuffer(sampleTraits()));
    await expect(decoder.decode('traits', framed)).resolves.toStrictEqual({
      ok: true,
      event: traitsEvent,
    });
    expect(decoder.decodeSync('traits', framed)).toStrictEqual({ ok: true, event: traitsEvent });
  });

  it('reads absent and null traits as not stated, and the empty string as cleared', async () => {
    const decoder = createEventDecoder();
    const verdict = await decoder.decode(
      'traits',
      encodeJson({
        eventId: 'e',
        customerId: 'c',
        occurredAt: '2025-03-01T08:00:00Z',
        plan: '',
        region: null,
        attributes: { seats: '' },
      }),
    );
    expect(verdict).toStrictEqual({
      ok: true,
      event: {
        kind: 'traits',
        eventId: 'e',
        customerId: 'c',
        occurredAtMs: Date.UTC(2025, 2, 1, 8),
        country: null,
        region: null,
        acquisitionSource: null,
        customerType: null,
        plan: '',
        attributes: { seats: '' },
      },
    });
  });

  it.each([
    ['schema-violation', { country: 'de' }, 'country'],
    ['schema-violation', { country: 'DEU' }, 'country'],
    ['schema-violation', { plan: 'x'.repeat(129) }, 'plan'],
    ['schema-violation', { customerType: 'bad\u0007type' }, 'customerType'],
    ['schema-violation', { attributes: { 'has space': 'x' } }, 'attributes'],
    ['schema-violation', { attributes: { __proto__x: 'x' } }, 'attributes'],
    [
      'schema-violation',
      { attributes: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`a${i}`, 'x'])) },
      'attributes',
    ],
    ['schema-violation', { attributes: { seats: 12 } }, 'attributes'],
    ['missing-id', { customerId: '' }, 'customerId'],
    ['invalid-id', { eventId: 'x'.repeat(129) }, 'eventId'],
    ['invalid-timestamp', { occurredAt: '2025-03-01T08:00:00+01:00' }, 'occurredAt'],
  ])('dead-letters as %s: %j', async (kind, override, field) => {
    const decoder = createEventDecoder();
    const verdict = await decoder.decode(
      'traits',
      encodeJson({ ...sampleTraits(), ...(override as object) }),
    );
    expect(verdict).toMatchObject({ ok: false, kind });
    if (!verdict.ok) {
      expect(verdict.message).toContain(field);
      expectNoPersonalData(verdict.message);
    }
  });

  it('refuses an attribute named __proto__, which zod alone would drop without a word', async () => {
    const decoder = createEventDecoder();
    const json = JSON.stringify(sampleTraits()).replace(
      '"attributes":{',
      '"attributes":{"__proto__":"x",',
    );
    expect(JSON.parse(json).attributes).toHaveProperty('__proto__', 'x');
    const verdict = await decoder.decode('traits', Buffer.from(json));
    expect(verdict).toMatchObject({ ok: false, kind: 'schema-violation' });
    if (!verdict.ok) expect(verdict.message).toContain('attributes.__proto__');
  });

  it('applies the key rule to traits too', async () => {
    const decoder = createEventDecoder();
    const value = encodeJson(sampleTraits());
    await expect(
      decoder.decode('traits', value, { key: Buffer.from('customer-42') }),
    ).resolves.toMatchObject({ ok: true });
    await expect(
      decoder.decode('traits', value, { key: Buffer.from('customer-43') }),
    ).resolves.toMatchObject({ ok: false, kind: 'key-mismatch', customerId: 'customer-42' });
  });

  it('rejects a visit schema on the traits topic as unknown-schema', async () => {
    const decoder = createEventDecoder({ registry: fakeRegistry() });
    // Avro resolves records by name: a dev.pulse.Visit is not a dev.pulse.Traits.
    const verdict = await decoder.decode('traits', avroVisit());
    expect(verdict).toMatchObject({ ok: false, kind: 'unknown-schema' });
  });
});
