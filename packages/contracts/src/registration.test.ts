import { describe, expect, it, vi } from 'vitest';
import { currentSchema, SUBJECT_CONTRACTS } from './catalog.ts';
import { ContractsError } from './errors.ts';
import {
  breakingMessages,
  checkCompatibility,
  compatibilityRequest,
  parseCompatibilityResponse,
  registerAll,
  type RegistryRegistrar,
} from './registration.ts';

const REGISTRY_URL = 'http://127.0.0.1:8080/apis/ccompat/v7/';

describe('registerAll', () => {
  it('registers the current file of every subject with the requested compatibility', async () => {
    const register = vi.fn(async () => ({ id: 40 }));
    const registered = await registerAll({ register } as unknown as RegistryRegistrar, {
      compatibility: 'BACKWARD',
    });
    expect(registered.map((entry) => entry.subject)).toStrictEqual([
      'pulse.visits-value',
      'pulse.purchases-value',
      'pulse.traits-value',
      'pulse.signals.lapse-value',
      'pulse.signals.ready-to-buy-value',
    ]);
    const [schema, options] = register.mock.calls[0] as unknown as [
      { type: string; schema: string },
      { subject: string; compatibility: string },
    ];
    expect(schema.type).toBe('AVRO');
    expect(JSON.parse(schema.schema)).toMatchObject({ name: 'Visit', namespace: 'dev.pulse' });
    expect(options).toStrictEqual({ subject: 'pulse.visits-value', compatibility: 'BACKWARD' });
  });

  it('turns a refused registration into INCOMPATIBLE_SCHEMA naming the subject', async () => {
    const register = vi.fn(async () => {
      throw Object.assign(new Error('Schema being registered is incompatible'), { status: 409 });
    });
    await expect(
      registerAll({ register } as unknown as RegistryRegistrar, { compatibility: 'BACKWARD' }),
    ).rejects.toMatchObject({
      code: 'INCOMPATIBLE_SCHEMA',
      context: { subject: 'pulse.visits-value' },
    });
  });

  it('reports a subject configured with another level', async () => {
    const mismatch = new Error('Compatibility does not match the configuration');
    mismatch.name = 'ConfluentSchemaRegistryCompatibilityError';
    const register = vi.fn(async () => {
      throw mismatch;
    });
    await expect(
      registerAll({ register } as unknown as RegistryRegistrar, { compatibility: 'BACKWARD' }),
    ).rejects.toMatchObject({ code: 'COMPATIBILITY_LEVEL_MISMATCH' });
  });
});

describe('compatibility check', () => {
  it('builds the Confluent verbose check request', () => {
    const { url, init } = compatibilityRequest(REGISTRY_URL, {
      subject: 'pulse.visits-value',
      schema: { type: 'record', name: 'Visit', fields: [] },
    });
    expect(url).toBe(
      'http://127.0.0.1:8080/apis/ccompat/v7/compatibility/subjects/pulse.visits-value/versions/latest?verbose=true',
    );
    expect(init.method).toBe('POST');
    expect(JSON.parse(JSON.parse(init.body as string).schema as string)).toMatchObject({
      name: 'Visit',
    });
  });

  it.each([
    [200, { is_compatible: true }, { registered: true, compatible: true, messages: [] }],
    [
      200,
      { is_compatible: false, messages: ['READER_FIELD_MISSING_DEFAULT_VALUE: orderId'] },
      {
        registered: true,
        compatible: false,
        messages: ['READER_FIELD_MISSING_DEFAULT_VALUE: orderId'],
      },
    ],
    [
      200,
      { is_compatible: false, messages: [{ description: 'field removed', context: '/fields/3' }] },
      { registered: true, compatible: false, messages: ['field removed at /fields/3'] },
    ],
    [404, { error_code: 40401 }, { registered: false, compatible: true, messages: [] }],
    [422, { error_code: 42201, message: 'Invalid schema' }, { compatible: false }],
  ])('parses HTTP %i %j', (status, body, expected) => {
    expect(parseCompatibilityResponse('s', status, body)).toMatchObject(expected);
  });

  it('treats registry 5xx as retriable and an answer without a flag as a protocol error', () => {
    const unavailable = () => parseCompatibilityResponse('s', 503, null);
    expect(unavailable).toThrow(ContractsError);
    expect(unavailable).toThrow(expect.objectContaining({ retriable: true }) as unknown as Error);
    expect(() => parseCompatibilityResponse('s', 200, {})).toThrow(
      expect.objectContaining({ code: 'REGISTRY_PROTOCOL' }) as unknown as Error,
    );
  });

  it('checks every registered subject and collects the breaking messages', async () => {
    const fakeFetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
      const target = String(url);
      if (init?.method === 'GET') {
        if (target.includes('pulse.signals.ready-to-buy-value')) {
          return new Response(JSON.stringify({ error_code: 40401 }), { status: 404 });
        }
        const contract = target.includes('purchases')
          ? 'purchase'
          : target.includes('visits')
            ? 'visit'
            : 'signal';
        return new Response(JSON.stringify({ schema: JSON.stringify(currentSchema(contract)) }));
      }
      const breaking = target.includes('pulse.purchases-value');
      return new Response(
        JSON.stringify(
          breaking
            ? { is_compatible: false, messages: ['amountMinor: type changed from long to string'] }
            : { is_compatible: true },
        ),
      );
    });
    const reports = await checkCompatibility(REGISTRY_URL, { fetch: fakeFetch as typeof fetch });
    // One GET per subject, one POST per registered subject (ready-to-buy is not registered).
    expect(fakeFetch).toHaveBeenCalledTimes(SUBJECT_CONTRACTS.length * 2 - 1);
    expect(
      reports.find((report) => report.subject === 'pulse.signals.ready-to-buy-value'),
    ).toMatchObject({
      registered: false,
      compatible: true,
    });
    expect(breakingMessages(reports)).toStrictEqual([
      'pulse.purchases-value: amountMinor: type changed from long to string',
    ]);
  });

  it('explains a bare "incompatible" answer field by field (Apicurio gives no messages)', async () => {
    const v1 = currentSchema('visit');
    const candidate = { ...v1, fields: [...v1.fields, { name: 'tenantId', type: 'string' }] };
    const fakeFetch = vi.fn(async (_url: string | URL | Request, init?: RequestInit) =>
      init?.method === 'GET'
        ? new Response(JSON.stringify({ schema: JSON.stringify(v1) }))
        : new Response(JSON.stringify({ is_compatible: false })),
    );
    const [report] = await checkCompatibility(REGISTRY_URL, {
      fetch: fakeFetch as typeof fetch,
      candidates: [{ subject: 'pulse.visits-value', schema: candidate }],
    });
    expect(report?.compatible).toBe(false);
    expect(report?.messages.join()).toContain('tenantId');
  });

  it('maps a refused connection to REGISTRY_UNAVAILABLE', async () => {
    const fakeFetch = vi.fn(async () => {
      throw new TypeError('fetch failed');
    });
    await expect(
      checkCompatibility(REGISTRY_URL, { fetch: fakeFetch as typeof fetch }),
    ).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
  });
});
