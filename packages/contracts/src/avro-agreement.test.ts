// The Avro files under schemas/ and the zod schemas in wire.ts describe the same records twice,
// once for the registry and once for semantic checks. This test is what keeps them one contract:
// it reduces both to the same shape notation (field order, type, optionality) and compares.
// It also checks the files themselves: every field documented, and each version readable by
// the next (BACKWARD), so a breaking change is caught before any registry sees it.
import { readdirSync } from 'node:fs';
import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  CURRENT_SCHEMA_VERSIONS,
  currentSchema,
  loadSchemaFile,
  schemaFileUrl,
  SCHEMAS_DIRECTORY,
  type ContractName,
} from './catalog.ts';
import { purchaseWireSchema, signalWireSchema, traitsWireSchema, visitWireSchema } from './wire.ts';

const zodSchemas: Record<ContractName, z.ZodObject> = {
  visit: visitWireSchema,
  purchase: purchaseWireSchema,
  traits: traitsWireSchema,
  signal: signalWireSchema,
};

type ZodDef = { type: string; [key: string]: unknown };
const defOf = (schema: unknown): ZodDef => (schema as { def: ZodDef }).def;

/** Shape notation of a zod type: "string", "long", "double", "enum(a,b)", "map<…>", suffix "?" for optional-or-null. */
function zodShape(schema: unknown): string {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable': {
      const inner = zodShape(def['innerType']);
      return inner.endsWith('?') ? inner : `${inner}?`;
    }
    case 'string':
      return 'string';
    case 'number':
      return (schema as { isInt?: boolean }).isInt === true ? 'long' : 'double';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'enum':
      return `enum(${Object.values(def['entries'] as Record<string, string>).join(',')})`;
    case 'union':
      return (def['options'] as unknown[]).map(zodShape).join('|');
    case 'record':
      return `map<${zodShape(def['valueType'])}>`;
    case 'object':
      return `record{${Object.entries((schema as z.ZodObject).shape)
        .map(([name, type]) => `${name}:${zodShape(type)}`)
        .join(',')}}`;
    default:
      return `unsupported zod type ${def.type}`;
  }
}

/** The same notation for an Avro type; a [null, T] union with default null is "T?". */
function avroShape(type: unknown, fieldDefault?: unknown): string {
  if (typeof type === 'string') return type === 'int' ? 'long' : type;
  if (Array.isArray(type)) {
    const branches = type.map((branch) => avroShape(branch));
    if (branches.length === 2 && branches[0] === 'null' && fieldDefault === null) {
      return `${branches[1]}?`;
    }
    return branches.join('|');
  }
  const complex = type as {
    type: string;
    symbols?: string[];
    values?: unknown;
    fields?: { name: string; type: unknown; default?: unknown }[];
  };
  if (complex.type === 'enum') return `enum(${(complex.symbols ?? []).join(',')})`;
  if (complex.type === 'map') return `map<${avroShape(complex.values)}>`;
  if (complex.type === 'record') {
    const fields = (complex.fields ?? []).map(
      (field) => `${field.name}:${avroShape(field.type, field.default)}`,
    );
    return `record{${fields.join(',')}}`;
  }
  return `unsupported avro type ${complex.type}`;
}

const contracts = Object.keys(CURRENT_SCHEMA_VERSIONS) as ContractName[];

describe.each(contracts)('%s: Avro file and zod schema agree', (contract) => {
  const avroSchema = currentSchema(contract);
  const zodSchema = zodSchemas[contract];

  it('has the same fields in the same order with the same types and optionality', () => {
    const fromAvro = avroSchema.fields.map((field) => [
      field.name,
      avroShape(field.type, field.default),
    ]);
    const fromZod = Object.entries(zodSchema.shape).map(([name, type]) => [name, zodShape(type)]);
    expect(fromZod).toStrictEqual(fromAvro);
  });

  it('documents the record and every field', () => {
    expect(avroSchema.doc).toBeTruthy();
    for (const field of avroSchema.fields) expect(field.doc, field.name).toBeTruthy();
  });
});

describe('Avro round trip', () => {
  it('a valid wire object survives Avro encoding and still passes zod unchanged', () => {
    const visitType = avro.Type.forSchema(currentSchema('visit') as unknown as avro.Schema);
    const arbitraryVisit = fc.record(
      {
        eventId: fc.string({ minLength: 1, maxLength: 128 }),
        customerId: fc.string({ minLength: 1, maxLength: 128 }),
        occurredAt: fc
          .integer({ min: 0, max: 4_102_444_800_000 })
          .map((epochMs) => new Date(epochMs).toISOString()),
        sessionId: fc.option(fc.string({ maxLength: 128 })),
        page: fc.option(fc.string({ maxLength: 2048 })),
        source: fc.option(fc.string({ maxLength: 128 })),
      },
      { requiredKeys: ['eventId', 'customerId', 'occurredAt'] },
    );
    fc.assert(
      fc.property(arbitraryVisit, (visit) => {
        const decoded: unknown = visitType.fromBuffer(visitType.toBuffer(visit));
        const parsed = visitWireSchema.parse(decoded);
        expect(parsed).toStrictEqual({
          sessionId: null,
          page: null,
          source: null,
          ...visit,
        });
      }),
    );
  });
});

describe('Avro round trip of traits', () => {
  it('a valid traits record survives Avro encoding and still passes zod unchanged', () => {
    const traitsType = avro.Type.forSchema(currentSchema('traits') as unknown as avro.Schema);
    const traitValue = fc.option(fc.constantFrom('', 'consumer', 'business', 'pro', 'DE-BY'));
    const arbitraryTraits = fc.record(
      {
        eventId: fc.string({ minLength: 1, maxLength: 128 }),
        customerId: fc.string({ minLength: 1, maxLength: 128 }),
        occurredAt: fc
          .integer({ min: 0, max: 4_102_444_800_000 })
          .map((epochMs) => new Date(epochMs).toISOString()),
        country: fc.option(fc.constantFrom('', 'DE', 'US', 'FR')),
        region: traitValue,
        acquisitionSource: traitValue,
        customerType: traitValue,
        plan: traitValue,
        attributes: fc.option(
          fc.dictionary(
            fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/),
            traitValue.map((value) => value ?? ''),
            { maxKeys: 16, noNullPrototype: true },
          ),
        ),
      },
      { requiredKeys: ['eventId', 'customerId', 'occurredAt'] },
    );
    fc.assert(
      fc.property(arbitraryTraits, (traits) => {
        const decoded: unknown = traitsType.fromBuffer(traitsType.toBuffer(traits));
        const parsed = traitsWireSchema.parse(decoded);
        expect(parsed).toStrictEqual({
          country: null,
          region: null,
          acquisitionSource: null,
          customerType: null,
          plan: null,
          attributes: null,
          ...traits,
        });
      }),
    );
  });
});

describe('schema files', () => {
  const files = readdirSync(SCHEMAS_DIRECTORY).filter((name) => name.endsWith('.avsc'));

  it('are all named <contract>.v<version>.avsc and the current versions exist', () => {
    for (const name of files)
      expect(name).toMatch(/^(visit|purchase|traits|signal)\.v[1-9]\d*\.avsc$/);
    for (const contract of contracts) {
      expect(files).toContain(`${contract}.v${CURRENT_SCHEMA_VERSIONS[contract]}.avsc`);
    }
  });

  it.each(contracts)(
    'each version of %s can read data written with the previous one',
    (contract) => {
      for (let version = 2; version <= CURRENT_SCHEMA_VERSIONS[contract]; version += 1) {
        const reader = avro.Type.forSchema(
          loadSchemaFile(schemaFileUrl(contract, version)) as unknown as avro.Schema,
        );
        const writer = avro.Type.forSchema(
          loadSchemaFile(schemaFileUrl(contract, version - 1)) as unknown as avro.Schema,
        );
        expect(() => reader.createResolver(writer)).not.toThrow();
      }
    },
  );
});
