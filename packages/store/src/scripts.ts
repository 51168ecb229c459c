import { readFileSync } from 'node:fs';
import { coalesceWrites, type RedisClient } from './client.ts';

/**
 * Lua scripts, one file per atomic operation, named `<operation>-<key count>.lua`. They are
 * registered on each client under a versioned command name, so two Pulse versions can share a
 * Redis during a rolling deploy without calling each other's scripts.
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

type ScriptArg = string | Buffer | number;

/** Runs a script; `buffers` asks for binary replies (profiles are bytes). */
export async function runScript(
  client: RedisClient,
  script: ScriptName,
  keys: string[],
  args: ScriptArg[],
  buffers = false,
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
