import { describe, expect, it } from 'vitest';
import { emptyFigureTable, FigureTableDraft } from '@pulse/core';
import { profileApiOpenApi } from './openapi.ts';
import { parseDay, segmentsAnswer, segmentsResponseSchema } from './segments.ts';

const key = (segment: string, country: string, bucket: number) =>
  JSON.stringify([segment, 'weekly', country, '(unknown)', 'ads', 'consumer', '(unknown)', bucket]);

describe('GET /v1/segments answers', () => {
  it('read days as YYYY-MM-DD or ISO UTC instants, nothing else', () => {
    expect(parseDay('2026-01-02')).toBe(Date.UTC(2026, 0, 2) / 86_400_000);
    expect(parseDay('2026-01-02T23:59:59.999Z')).toBe(Date.UTC(2026, 0, 2) / 86_400_000);
    for (const bad of ['2026-1-2', 'yesterday', '2026-01-02T10:00:00+02:00', '2026-13-45'])
      expect(parseDay(bad), bad).toBeUndefined();
  });

  it('merge partitions and match the documented schema', () => {
    const tables = ['DE', 'FR'].map((country) => {
      const draft = new FigureTableDraft(emptyFigureTable());
      draft.moveCustomer(null, key('lapsed', country, 20));
      draft.moveCustomer(null, key('at_risk', 'DE', 21));
      return draft.freeze();
    });
    const answer = segmentsAnswer('v1', tables, ['country'], null, null);
    expect(segmentsResponseSchema.parse(answer)).toEqual(answer);
    expect(answer.partitions).toBe(2);
    expect(answer.groups.map((group) => [group.group.country, group.customers])).toEqual([
      ['DE', 3],
      ['FR', 1],
    ]);
    expect(answer.groups[0]!.bySegment).toMatchObject({ lapsed: 1, at_risk: 2 });
    expect(Object.keys(profileApiOpenApi().paths)).toContain('/v1/segments');
  });
});
