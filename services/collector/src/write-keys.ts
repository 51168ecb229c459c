import { createHash, timingSafeEqual } from 'node:crypto';
import type { WriteKey } from './config.ts';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Which source a presented write key belongs to, or undefined. Both sides are hashed to a
 * fixed length and every configured key is compared, so the time taken says nothing about how
 * much of a key matched, nor which entry did.
 */
export class WriteKeyRing {
  private readonly entries: { source: string; digest: Buffer }[];

  constructor(keys: readonly WriteKey[]) {
    this.entries = keys.map((entry) => ({ source: entry.source, digest: digest(entry.key) }));
  }

  sourceOf(presented: string | undefined): string | undefined {
    if (presented === undefined || presented === '') return undefined;
    const given = digest(presented);
    let match: string | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(given, entry.digest)) match = entry.source;
    }
    return match;
  }
}

/** The key of `Authorization: Bearer <key>`; undefined when the header is absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
