import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../support/infra.ts';

describe('the real schema registry (Apicurio, Confluent-compatible API)', () => {
  it('registers an Avro schema and encodes/decodes in the Confluent wire format', async () => {
    const registry = new SchemaRegistry({ host: inject('schemaRegistryUrl') });
    const subject = `${uniqueName('foundation')}-value`;
    const schema = {
      type: 'record',
      name: 'Probe',
      namespace: 'dev.pulse.test',
      fields: [{ name: 'customerId', type: 'string' }],
    };
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject },
    );
    expect(id).toBeGreaterThan(0);
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    const encoded = await registry.encode(id, { customerId: 'c-1' });
    expect(encoded[0]).toBe(0); // the magic byte
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual({ customerId: 'c-1' });
  });
});
