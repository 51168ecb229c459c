// Signal version 2 (schemas/avro/signal.v2.avsc) adds who the customer was at the decision —
// traits and segment — as optional fields with default null. This is the evolution's proof, with
// Avro's own schema resolution (what every Avro consumer does):
//  - an old consumer, still on version 1 as its reader schema, reads version 2 signals: the new
//    fields are skipped and everything it knew is unchanged;
//  - a new consumer reads version 1 signals (BACKWARD): the new fields come out null;
//  - the JSON form Pulse emits passes the zod contract with and without the new fields.
// The registry's own BACKWARD check of the same pair runs against a real registry in
// test/contracts.registry.test.ts.
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  currentSchema,
  CURRENT_SCHEMA_VERSIONS,
  loadSchemaFile,
  schemaFileUrl,
} from './catalog.ts';
import { encodeSignalJson } from './encoders.ts';
import { sampleSignal } from './test-fixtures.ts';
import { signalWireSchema, type SignalWire } from './wire.ts';

const typeOf = (schema: unknown) => avro.Type.forSchema(schema as avro.Schema);
const v1 = typeOf(loadSchemaFile(schemaFileUrl('signal', 1)));
const v2 = typeOf(currentSchema('signal'));

const newSignal: SignalWire = sampleSignal({
  traits: {
    country: 'DE',
    region: null,
    acquisitionSource: 'paid-search',
    customerType: 'consumer',
    plan: 'plus',
    attributes: { tier: 'gold' },
  },
  segment: { segment: 'lapsed', latencyBand: 'weekly' },
});

describe('signal schema version 2', () => {
  it('is the current version, and version 1 is kept for old consumers', () => {
    expect(CURRENT_SCHEMA_VERSIONS.signal).toBe(2);
    const fields = currentSchema('signal').fields.map((field) => field.name);
    expect(fields.slice(-2)).toEqual(['traits', 'segment']);
    for (const field of currentSchema('signal').fields.slice(-2)) expect(field.default).toBeNull();
  });

  it('an old consumer (version 1 as the reader) reads a new signal', () => {
    const bytes = v2.toBuffer(newSignal);
    const read = v1.createResolver(v2);
    const decoded = v1.fromBuffer(bytes, read) as Record<string, unknown>;
    const { traits: _traits, segment: _segment, ...known } = newSignal;
    expect({ ...decoded }).toEqual(known);
    expect(decoded).not.toHaveProperty('traits');
  });

  it('a new consumer reads an old signal, with null traits and segment', () => {
    const old = sampleSignal();
    const decoded = v2.fromBuffer(v1.toBuffer(old), v2.createResolver(v1)) as SignalWire;
    expect({ ...decoded }).toEqual({ ...old, traits: null, segment: null });
    expect(signalWireSchema.parse({ ...decoded })).toBeTruthy();
  });

  it('the JSON form carries them and passes the contract, old or new', () => {
    const json = JSON.parse(encodeSignalJson(newSignal).toString('utf8')) as SignalWire;
    expect(json.traits?.country).toBe('DE');
    expect(json.segment).toEqual({ segment: 'lapsed', latencyBand: 'weekly' });
    expect(signalWireSchema.safeParse(sampleSignal()).success).toBe(true);
    expect(signalWireSchema.safeParse({ ...newSignal, traits: null, segment: null }).success).toBe(
      true,
    );
    // And the Avro form of the JSON form round-trips.
    expect({ ...(v2.fromBuffer(v2.toBuffer(json)) as object) }).toEqual(json);
  });

  it('bounds what the new fields may hold', () => {
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`a${i}`, 'x']));
    const traits = { ...newSignal.traits!, attributes: tooMany };
    expect(signalWireSchema.safeParse({ ...newSignal, traits }).success).toBe(false);
    expect(
      signalWireSchema.safeParse({ ...newSignal, segment: { segment: '', latencyBand: null } })
        .success,
    ).toBe(false);
  });
});
