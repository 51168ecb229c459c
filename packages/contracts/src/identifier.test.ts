import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkId } from './identifier.ts';
import { MAX_ID_LENGTH } from './limits.ts';

const problemOf = (text: string) => {
  const check = checkId(text);
  return check.ok ? undefined : check.problem;
};

describe('checkId', () => {
  it('accepts ordinary ids, hash-tag and glob characters, and non-Latin scripts', () => {
    for (const id of [
      'c-42',
      'a{b}c*?[x]',
      'müller@example.com',
      '顧客-7',
      '🦊🦊',
      'x'.repeat(128),
    ])
      expect(checkId(id), id).toEqual({ ok: true });
  });

  it('counts the limit in code points: 128 astral characters pass, 129 do not', () => {
    expect(checkId('🦊'.repeat(MAX_ID_LENGTH))).toEqual({ ok: true });
    expect(problemOf('🦊'.repeat(MAX_ID_LENGTH + 1))).toBe('too-long');
    expect(problemOf('x'.repeat(MAX_ID_LENGTH + 1))).toBe('too-long');
  });

  it.each([
    ['', 'empty'],
    ['a\u0000b', 'control-character'],
    ['line\nbreak', 'control-character'],
    ['del\u007f', 'control-character'],
    ['c1\u0085', 'control-character'],
    ['broken-\ufffd', 'replacement-character'],
    ['\ud800', 'unpaired-surrogate'],
    ['a\udc00b', 'unpaired-surrogate'],
    ['\udc00\ud800', 'unpaired-surrogate'],
  ])('refuses %j (%s)', (id, problem) => {
    expect(problemOf(id)).toBe(problem);
  });

  it('names the limit in the reason and never the value', () => {
    const check = checkId('secret-customer-'.repeat(20));
    expect(check).toMatchObject({ ok: false, reason: expect.stringContaining('128') });
    expect(JSON.stringify(check)).not.toContain('secret-customer');
  });
});

describe('checkId properties', () => {
  const anyText = fc.string({ unit: 'binary', maxLength: 200 });

  it('an accepted id survives a UTF-8 round trip unchanged, so two accepted ids never share their bytes', () => {
    fc.assert(
      fc.property(anyText, (id) => {
        if (!checkId(id).ok) return;
        expect(Buffer.from(id, 'utf8').toString('utf8')).toBe(id);
      }),
    );
  });

  it('bytes that are not valid UTF-8 never decode (lossily) to an accepted id', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        if (isUtf8(buffer)) return;
        expect(checkId(buffer.toString('utf8')).ok).toBe(false);
      }),
    );
  });

  it('a control character anywhere refuses the id', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.string({ maxLength: 60 }),
        fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })),
        (before, after, code) => {
          expect(checkId(`${before}${String.fromCharCode(code)}${after}`).ok).toBe(false);
        },
      ),
    );
  });

  it('well-formed text without control or replacement characters passes exactly up to the limit', () => {
    const clean = fc
      .string({ unit: 'grapheme', maxLength: 200 })
      .filter((text) => !/[\p{Cc}\ufffd]/u.test(text));
    fc.assert(
      fc.property(clean, (id) => {
        const codePoints = [...id].length;
        const expected = codePoints >= 1 && codePoints <= MAX_ID_LENGTH;
        expect(checkId(id).ok).toBe(expected);
      }),
    );
  });
});
