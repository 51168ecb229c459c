import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { coalesceWrites, type RedisClient } from './client.ts';
import { encodeCommand, PrebuiltCommand, type RespArg } from './resp.ts';

/**
 * Lua scripts, one file per atomic operation, named `<operation>-<key count>.lua`, called by
 * the SHA-1 of their text (`runScript`), so two Pulse versions can share a Redis during a
 * rolling deploy without calling each other's scripts. A client that prefixes keys itself has
 * them registered under a versioned command name instead (`defineScripts`).
 */
export const SCRIPTS_VERSION = 6;

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

function commandName(script: ScriptName): string {
  return `pulse_v${SCRIPTS_VERSION}_${script}`;
}

const sources = new Map<ScriptName, { lua: string; numberOfKeys: number }>();
function source(script: ScriptName): { lua: string; numberOfKeys: number } {
  let entry = sources.get(script);
  if (!entry) {
    const file = SCRIPT_FILES[script];
    const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
    entry = { lua: readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8'), numberOfKeys };
    sources.set(script, entry);
  }
  return entry;
}

const defined = new WeakSet<RedisClient>();

/** Defines every script on the client once (EVALSHA with a transparent EVAL fallback). */
export function defineScripts(client: RedisClient): void {
  if (defined.has(client)) return;
  for (const script of Object.keys(SCRIPT_FILES) as ScriptName[]) {
    client.defineCommand(commandName(script), source(script));
  }
  defined.add(client);
}

type ScriptArg = RespArg;

const shas = new Map<ScriptName, string>();
function shaOf(script: ScriptName): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(source(script).lua).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

/** A client that prefixes keys itself: its script calls go through ioredis's own encoding. */
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
  args: ScriptArg[],
  buffers = false,
): Promise<unknown> {
  if (prefixesKeys(client)) return runDefinedScript(client, script, keys, args, buffers);
  const { lua, numberOfKeys } = source(script);
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
    return await send('evalsha', shaOf(script));
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return send('eval', lua);
  }
}

/** ioredis's scripting path: EVALSHA with a transparent EVAL fallback, its own encoding. */
function runDefinedScript(
  client: RedisClient,
  script: ScriptName,
  keys: string[],
  args: ScriptArg[],
  buffers: boolean,
): Promise<unknown> {
  defineScripts(client);
  const name = `${commandName(script)}${buffers ? 'Buffer' : ''}`;
  const command = (client as unknown as Record<string, (...a: ScriptArg[]) => Promise<unknown>>)[
    name
  ];
  if (!command) throw new Error(`script ${name} is not defined`);
  coalesceWrites(client);
  return command.call(client, ...keys, ...args);
}
