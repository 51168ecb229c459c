// Contracts against the real schema registry (Apicurio's Confluent-compatible API).
// Guards the contracts' evolution rules: the schema files register with BACKWARD compatibility, a compatible v2
// (new optional field) produced by a newer tracker is read by the current decoder, an
// incompatible change is refused by the check with the breaking field named, and an unknown
// schema id becomes a dead-letter verdict, never a crash. Every test uses its own subjects,
// since suites share one registry.
import { randomBytes } from 'node:crypto';
import avro from 'avsc';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, inject, it } from 'vitest';
import {
  breakingMessages,
  checkCompatibility,
  confluentFrame,
  createEventDecoder,
  currentSchema,
  loadSchemaFile,
  registerAll,
  schemaFileUrl,
  setSubjectCompatibility,
  valueSubject,
  type SubjectContract,
} from '@pulse/contracts';

function uniqueSubjects(): SubjectContract[] {
  const suffix = randomBytes(4).toString('hex');
  const topic = (name: string) => `${name}-${suffix}` as SubjectContract['topic'];
  return [
    {
      topic: topic('pulse.visits'),
      subject: valueSubject(topic('pulse.visits')),
      contract: 'visit',
    },
    {
      topic: topic('pulse.purchases'),
      subject: valueSubject(topic('pulse.purchases')),
      contract: 'purchase',
    },
    {
      topic: topic('pulse.traits'),
      subject: valueSubject(topic('pulse.traits')),
      contract: 'traits',
    },
    {
      topic: topic('pulse.signals.lapse'),
      subject: valueSubject(topic('pulse.signals.lapse')),
      contract: 'signal',
    },
  ];
}

function visitV2(extraField: Record<string, unknown>) {
  const v1 = currentSchema('visit');
  return { ...v1, fields: [...v1.fields, extraField] };
}

const sampleVisit = {
  eventId: 'evt-1',
  customerId: 'customer-1',
  occurredAt: '2025-03-01T09:30:00.000Z',
  sessionId: null,
  page: '/shoes',
  source: 'web',
};

describe('contracts against the real schema registry', () => {
  const registryUrl = inject('schemaRegistryUrl');
  const registry = new SchemaRegistry({ host: registryUrl });

  it('registers every schema file with BACKWARD compatibility, idempotently', async () => {
    const subjects = uniqueSubjects();
    const first = await registerAll(registry, { compatibility: 'BACKWARD', subjects });
    expect(first.map((entry) => entry.subject)).toStrictEqual(subjects.map((s) => s.subject));
    for (const entry of first) expect(entry.schemaId).toBeGreaterThan(0);

    const again = await registerAll(registry, { compatibility: 'BACKWARD', subjects });
    expect(again.map((entry) => entry.schemaId)).toStrictEqual(first.map((e) => e.schemaId));

    const reports = await checkCompatibility(registryUrl, {
      candidates: subjects.map(({ subject, contract }) => ({
        subject,
        schema: currentSchema(contract),
      })),
    });
    expect(breakingMessages(reports)).toStrictEqual([]);
    expect(reports.every((report) => report.registered)).toBe(true);
  });

  it('accepts a v2 visit with a new optional field, and the current decoder reads it', async () => {
    const [visits] = uniqueSubjects();
    await registerAll(registry, { compatibility: 'BACKWARD', subjects: [visits!] });
    const v2 = visitV2({
      name: 'referrer',
      type: ['null', 'string'],
      default: null,
      doc: 'Where the visitor came from.',
    });
    const [report] = await checkCompatibility(registryUrl, {
      candidates: [{ subject: visits!.subject, schema: v2 }],
    });
    expect(report).toMatchObject({ compatible: true });

    const { id: v2Id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v2) },
      { subject: visits!.subject },
    );
    const produced = await registry.encode(v2Id, { ...sampleVisit, referrer: 'newsletter' });

    const decoder = createEventDecoder({ registry: new SchemaRegistry({ host: registryUrl }) });
    await expect(decoder.decode('visit', produced)).resolves.toStrictEqual({
      ok: true,
      event: {
        kind: 'visit',
        eventId: 'evt-1',
        customerId: 'customer-1',
        occurredAtMs: Date.UTC(2025, 2, 1, 9, 30),
        // The visit's source reaches the domain event (it feeds acquisitionSource).
        source: 'web',
      },
    });
  });

  it('refuses an incompatible change and names the breaking field', async () => {
    const [visits] = uniqueSubjects();
    await registerAll(registry, { compatibility: 'BACKWARD', subjects: [visits!] });
    // A new required field without a default: the new reader cannot read old visits.
    const breaking = visitV2({ name: 'tenantId', type: 'string', doc: 'Required tenant.' });
    const reports = await checkCompatibility(registryUrl, {
      candidates: [{ subject: visits!.subject, schema: breaking }],
    });
    expect(reports[0]).toMatchObject({ registered: true, compatible: false });
    expect(breakingMessages(reports).join('\n')).toContain('tenantId');
  });

  it('registers traits, decodes a traits record a sender encoded through the registry, and refuses a breaking traits change', async () => {
    const traits = uniqueSubjects().find((entry) => entry.contract === 'traits')!;
    const [registered] = await registerAll(registry, {
      compatibility: 'BACKWARD',
      subjects: [traits],
    });
    const produced = await registry.encode(registered!.schemaId, {
      eventId: 'evt-t1',
      customerId: 'customer-1',
      occurredAt: '2025-03-01T08:00:00.000Z',
      country: 'FR',
      region: null,
      acquisitionSource: 'web',
      customerType: 'consumer',
      plan: '',
      attributes: { tier: 'gold' },
    });
    const decoder = createEventDecoder({ registry: new SchemaRegistry({ host: registryUrl }) });
    await expect(decoder.decode('traits', produced)).resolves.toStrictEqual({
      ok: true,
      event: {
        kind: 'traits',
        eventId: 'evt-t1',
        customerId: 'customer-1',
        occurredAtMs: Date.UTC(2025, 2, 1, 8),
        country: 'FR',
        region: null,
        acquisitionSource: 'web',
        customerType: 'consumer',
        plan: '',
        attributes: { tier: 'gold' },
      },
    });

    // Making an optional trait required breaks every record written without it.
    const v1 = currentSchema('traits');
    const breaking = {
      ...v1,
      fields: v1.fields.map((field) =>
        field.name === 'country'
          ? { name: 'country', type: 'string', doc: 'Now required.' }
          : field,
      ),
    };
    const reports = await checkCompatibility(registryUrl, {
      candidates: [{ subject: traits.subject, schema: breaking }],
    });
    expect(reports[0]).toMatchObject({ registered: true, compatible: false });
    expect(breakingMessages(reports).join('\n')).toContain('country');
  });

  it('accepts signal version 2 (traits and segment) over version 1 under BACKWARD, and a version 1 reader still reads it', async () => {
    const signals = uniqueSubjects().find((entry) => entry.contract === 'signal')!;
    await setSubjectCompatibility(registryUrl, signals.subject, 'BACKWARD');
    const v1 = loadSchemaFile(schemaFileUrl('signal', 1));
    const { id: v1Id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v1) },
      { subject: signals.subject },
    );
    const [report] = await checkCompatibility(registryUrl, {
      candidates: [{ subject: signals.subject, schema: currentSchema('signal') }],
    });
    expect(report).toMatchObject({ registered: true, compatible: true });
    const [registered] = await registerAll(registry, {
      compatibility: 'BACKWARD',
      subjects: [signals],
    });
    expect(registered!.schemaId).not.toBe(v1Id);

    // A consumer that only knows version 1 reads a version 2 signal framed by the registry.
    const signal = {
      signalId: 'lapsed-0123',
      kind: 'lapsed',
      customerId: 'customer-1',
      detectedAt: '2025-03-15T00:00:00.000Z',
      emittedAt: '2025-03-15T00:00:01.000Z',
      evidence: { daysSilent: 14 },
      rulesVersion: 'r1',
      traits: {
        country: 'DE',
        region: null,
        acquisitionSource: 'web',
        customerType: 'consumer',
        plan: null,
        attributes: {},
      },
      segment: { segment: 'lapsed', latencyBand: 'weekly' },
    };
    const framed = await registry.encode(registered!.schemaId, signal);
    const writer = avro.Type.forSchema(
      (await registry.getSchema(registered!.schemaId)) as unknown as avro.Schema,
    );
    const oldReader = avro.Type.forSchema(v1 as unknown as avro.Schema);
    const read = oldReader.fromBuffer(framed.subarray(5), oldReader.createResolver(writer));
    const { traits: _traits, segment: _segment, ...known } = signal;
    expect({ ...(read as object) }).toStrictEqual(known);
  });

  it('reports a subject that was never registered as compatible and unregistered', async () => {
    const [visits] = uniqueSubjects();
    const [report] = await checkCompatibility(registryUrl, {
      candidates: [{ subject: visits!.subject, schema: currentSchema('visit') }],
    });
    expect(report).toMatchObject({ registered: false, compatible: true });
  });

  it('turns a schema id the registry does not know into unknown-schema', async () => {
    const decoder = createEventDecoder({ registry: new SchemaRegistry({ host: registryUrl }) });
    const result = await decoder.decode(
      'visit',
      confluentFrame(2_000_000_000, Buffer.from([2, 0])),
    );
    expect(result).toMatchObject({ ok: false, kind: 'unknown-schema' });
  });
});
