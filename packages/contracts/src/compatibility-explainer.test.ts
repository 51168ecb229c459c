import { describe, expect, it } from 'vitest';
import { currentSchema } from './catalog.ts';
import { explainBackwardIncompatibility } from './compatibility-explainer.ts';

const visit = currentSchema('visit');
const purchase = currentSchema('purchase');
const signal = currentSchema('signal');

describe('explainBackwardIncompatibility', () => {
  it('finds nothing wrong with an unchanged schema or a new optional field', () => {
    expect(explainBackwardIncompatibility(visit, visit)).toStrictEqual([]);
    const withOptional = {
      ...visit,
      fields: [...visit.fields, { name: 'referrer', type: ['null', 'string'], default: null }],
    };
    expect(explainBackwardIncompatibility(withOptional, visit)).toStrictEqual([]);
  });

  it('allows removing a field and promoting long to double', () => {
    const fewer = { ...visit, fields: visit.fields.filter((field) => field.name !== 'page') };
    expect(explainBackwardIncompatibility(fewer, visit)).toStrictEqual([]);
    const promoted = {
      ...purchase,
      fields: purchase.fields.map((field) =>
        field.name === 'amountMinor' ? { ...field, type: 'double' } : field,
      ),
    };
    expect(explainBackwardIncompatibility(promoted, purchase)).toStrictEqual([]);
  });

  it('names a new required field', () => {
    const candidate = { ...visit, fields: [...visit.fields, { name: 'tenantId', type: 'string' }] };
    const [reason] = explainBackwardIncompatibility(candidate, visit);
    expect(reason).toMatch(/^field tenantId: added without a default/);
  });

  it('names a retyped field', () => {
    const candidate = {
      ...purchase,
      fields: purchase.fields.map((field) =>
        field.name === 'amountMinor' ? { ...field, type: 'string' } : field,
      ),
    };
    expect(explainBackwardIncompatibility(candidate, purchase)).toStrictEqual([
      'field amountMinor: type changed from long to string, which cannot read the old values',
    ]);
  });

  it('names an enum that lost a symbol, and a renamed record', () => {
    const candidate = {
      ...signal,
      name: 'Alert',
      fields: signal.fields.map((field) =>
        field.name === 'kind'
          ? { ...field, type: { type: 'enum', name: 'SignalKind', symbols: ['lapsed'] } }
          : field,
      ),
    };
    const reasons = explainBackwardIncompatibility(candidate, signal);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toContain('renamed');
    expect(reasons[1]).toMatch(/^field kind:/);
  });
});
