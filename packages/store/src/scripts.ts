import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { coalesceWrites, type RedisClient } from './client.ts';
import { encodeCommand, PrebuiltCommand, type RespArg } from './resp.ts';

/**
 * Lua scripts, one file per atomic operation, named `<operation>-<key count>.lua`, called by
 * the SHA-1 of their text (`runScript`), so two Pulse versions can share a Redis during a
 * rolling deploy without calling each other's scripts.
 */
const SCRIPT_FILES = {
  claimPartition: 'claimPartition-1.lua',
  loadBatch: 'loadBatch-4.lua',
  commitBatch: 'commitBatch-3.lua',
  ackOutbox: 'ackOutbox-1.lua',
  seedPositions: 'seedPositions-1.lua',
  forgetCustomer: 'forgetCustomer-5.lua',
  readPartitionHealth: 'readPartitionHealth-131.lua',
  migrateToBuckets: 'migrateToBuckets-130.lua',
} as const;

export type ScriptName = keyof typeof SCRIPT_FILES;

interface ScriptSource {
  lua: string;
  numberOfKeys: number;
  /** The SHA-1 of the text: the name EVALSHA calls it by. */
  sha: string;
}

const sources = new Map<ScriptName, ScriptSource>();
function source(script: ScriptName): ScriptSource {
  let entry = sources.get(script);
  if (!entry) {
    const file = SCRIPT_FILES[script];
    const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
    const lua = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
    entry = { lua, numberOfKeys, sha: createHash('sha1').update(lua).digest('hex') };
    sources.set(script, entry);
  }
  return entry;
}

/**
 * A client that prefixes keys itself (ioredis's `keyPrefix`): refused, the store names every key
 * in full (`keys.ts`). `createRedisClient` never makes one.
 */
function prefixesKeys(client: RedisClient): boolean {
  const options = client.options as { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } };
  return Boolean(options.keyPrefix ?? options.redisOptions?.keyPrefix);
}

/**
 * Runs a script; `buffers` asks for binary replies (profiles are bytes). EVALSHA, its bytes
 * written by `encodeCommand`; a Redis that does not hold the script yet (a new or restarted
 * server) answers NOSCRIPT, and the call is sent once more as EVAL with the source.
 */
export async function runScript(
  client: RedisClient,
  script: ScriptName,
  keys: string[],
  args: RespArg[],
  buffers = false,
): Promise<unknown> {
  if (prefixesKeys(client)) {
    throw new Error(
      "the Redis client sets ioredis's keyPrefix: Pulse's store names its keys in full and takes no prefix",
    );
  }
  const { lua, numberOfKeys, sha } = source(script);
  if (keys.length !== numberOfKeys) {
    throw new Error(`script ${script} takes ${numberOfKeys} keys, given ${keys.length}`);
  }
  const encoding = buffers ? null : 'utf8';
  const send = (name: 'evalsha' | 'eval', body: string): Promise<unknown> => {
    const routing: RespArg[] = [body, numberOfKeys, ...keys];
    const bytes = encodeCommand(name, routing, args);
    coalesceWrites(client);
    return client.sendCommand(
      new PrebuiltCommand(name, routing, bytes, encoding),
    ) as Promise<unknown>;
  };
  try {
    return await send('evalsha', sha);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return send('eval', lua);
  }
}
