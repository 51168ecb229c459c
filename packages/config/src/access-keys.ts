import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Access keys of the HTTP services (the collector's write keys, the profile API's read keys):
 * one `owner:key` list format, one constant-time check.
 */
export interface AccessKey {
  owner: string;
  key: string;
}

/**
 * `owner1:key1,owner2:key2`, as an env setting. Keys at least 16 characters, never listed twice;
 * `uniqueOwners` also refuses an owner listed twice.
 */
export function accessKeyListSchema(options: {
  /** How the keys are called in messages: `write keys must be …`. */
  keyWord: string;
  /** How an owner is called in messages: `each entry is source:key`. */
  ownerWord: string;
  uniqueOwners: boolean;
}) {
  const { keyWord, ownerWord } = options;
  const pairs = `set at least one ${ownerWord}:key pair`;
  return z
    .string()
    .min(1, pairs)
    .transform((text) =>
      text
        .split(',')
        .map((pair) => pair.trim())
        .filter(Boolean)
        .map((pair) => {
          const separator = pair.indexOf(':');
          return separator < 0
            ? { owner: '', key: pair }
            : { owner: pair.slice(0, separator), key: pair.slice(separator + 1) };
        }),
    )
    .pipe(
      z
        .array(
          z.object({
            owner: z
              .string()
              .regex(
                /^[a-zA-Z0-9._-]{1,64}$/,
                `each entry is ${ownerWord}:key, ${ownerWord} of [a-zA-Z0-9._-]`,
              ),
            key: z.string().min(16, `${keyWord} keys must be at least 16 characters`),
          }),
        )
        .min(1, pairs),
    )
    .refine((keys) => new Set(keys.map((entry) => entry.key)).size === keys.length, {
      error: 'the same key is listed twice',
    })
    .refine(
      (keys) =>
        !options.uniqueOwners || new Set(keys.map((entry) => entry.owner)).size === keys.length,
      { error: `the same ${ownerWord} is listed twice` },
    );
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Who a presented key belongs to, or undefined. Both sides are hashed to a fixed length and
 * every configured key is compared, so the time taken says nothing about how much of a key
 * matched, nor which entry did.
 */
export class AccessKeyRing {
  private readonly entries: { owner: string; digest: Buffer }[];

  constructor(keys: readonly AccessKey[]) {
    this.entries = keys.map((entry) => ({ owner: entry.owner, digest: digest(entry.key) }));
  }

  ownerOf(presented: string | undefined): string | undefined {
    if (presented === undefined || presented === '') return undefined;
    const given = digest(presented);
    let match: string | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(given, entry.digest)) match = entry.owner;
    }
    return match;
  }
}

/** The key of `Authorization: Bearer <key>`; undefined when the header is absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}
