// The fitted purchase model of a namespace: one key, written by `pulse model fit`, read by the
// profiler on its tick (a new version is used from the next step on, no restart) and by
// `pulse model show`. The store keeps the record as JSON and checks its shape; what the numbers
// mean is the core's.
import { z } from 'zod';
import { assertNamespace } from './keys.ts';
import type { RedisClient } from './client.ts';

/** `<prefix>:model:<namespace>`: the namespace's fitted purchase model (a JSON string). */
export function modelKey(namespace: string, prefix = 'pulse'): string {
  assertNamespace(namespace);
  return `${prefix}:model:${namespace}`;
}

const parametersSchema = z.object({
  kind: z.enum(['bgnbd', 'mbgnbd']),
  r: z.number().positive(),
  /** In days. */
  alpha: z.number().positive(),
  a: z.number().positive(),
  b: z.number().positive(),
});

const fitSchema = z.object({
  parameters: parametersSchema,
  logLikelihood: z.number(),
  converged: z.boolean(),
});

export const storedModelSchema = z.object({
  /** Changes with every fit; carried by every signal decided with it. */
  version: z.string().min(1),
  /** The parameters decisions use (α in days). */
  parameters: parametersSchema,
  fittedAtMs: z.number().int(),
  /** Customers (profiles) the fit saw. */
  customers: z.number().int().min(0),
  logLikelihood: z.number(),
  converged: z.boolean(),
  /** The other model fitted on the same histories, for comparison (not used by decisions). */
  comparison: fitSchema.optional(),
});

export type StoredModel = z.infer<typeof storedModelSchema>;

export async function writeModel(
  redis: RedisClient,
  namespace: string,
  model: StoredModel,
  prefix = 'pulse',
): Promise<void> {
  await redis.set(modelKey(namespace, prefix), JSON.stringify(storedModelSchema.parse(model)));
}

/** The stored model's text as it is (null: none); cheap enough to read on every tick. */
export async function readModelText(
  redis: RedisClient,
  namespace: string,
  prefix = 'pulse',
): Promise<string | null> {
  return redis.get(modelKey(namespace, prefix));
}

/** Parses a stored model; throws naming what is wrong. */
export function parseModel(text: string): StoredModel {
  return storedModelSchema.parse(JSON.parse(text));
}

export async function readModel(
  redis: RedisClient,
  namespace: string,
  prefix = 'pulse',
): Promise<StoredModel | null> {
  const text = await readModelText(redis, namespace, prefix);
  return text === null ? null : parseModel(text);
}

/**
 * Every stored profile of one partition, in pages of about `count` entries, with HSCAN: it
 * never blocks Redis for long whatever the size of the hash (a profile may be seen twice when the
 * hash is resized meanwhile: `each` receives the id with the bytes, so a caller can skip
 * repeats).
 */
export async function scanProfiles(
  redis: RedisClient,
  profilesKey: string,
  each: (page: [customerId: string, bytes: Buffer][]) => void | Promise<void>,
  count = 500,
): Promise<void> {
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscanBuffer(profilesKey, cursor, 'COUNT', count);
    cursor = next.toString();
    const page: [string, Buffer][] = [];
    for (let index = 0; index + 1 < flat.length; index += 2)
      page.push([flat[index]!.toString('utf8'), flat[index + 1]!]);
    if (page.length > 0) await each(page);
  } while (cursor !== '0');
}
