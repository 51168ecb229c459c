import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 .cpuprofile this summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { url: string; functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

export const CPU_CATEGORIES = [
  'waiting (idle: Kafka, Redis)',
  'garbage collection',
  'Kafka client (fetch, record decode)',
  'event parse and validation (JSON, zod, Avro)',
  'core (profile update, rules, codec, hashing)',
  'Redis client (commands, replies)',
  'profiler orchestration (merge, clock, batch)',
  'produce (relay)',
  'start-up (module loading, tsx)',
  'other (Node internals)',
] as const;
export type CpuCategory = (typeof CPU_CATEGORIES)[number];

/** Which part of the hot path a stack frame belongs to, from its script URL. */
export function categoryOf(url: string, functionName: string): CpuCategory {
  if (functionName === '(idle)') return 'waiting (idle: Kafka, Redis)';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (url.includes('/node_modules/kafkajs/')) return 'Kafka client (fetch, record decode)';
  if (/\/node_modules\/(zod|avsc)\//.test(url) || url.includes('/packages/contracts/'))
    return 'event parse and validation (JSON, zod, Avro)';
  if (url.includes('/packages/core/') || url.startsWith('node:internal/crypto'))
    return 'core (profile update, rules, codec, hashing)';
  if (url.includes('/node_modules/ioredis/') || url.includes('/packages/store/'))
    return 'Redis client (commands, replies)';
  if (
    url.includes('/services/profiler/src/relay.ts') ||
    url.includes('/packages/stream/src/producer.ts')
  )
    return 'produce (relay)';
  if (url.includes('/services/profiler/') || url.includes('/packages/stream/'))
    return 'profiler orchestration (merge, clock, batch)';
  if (
    url.startsWith('node:internal/modules') ||
    url.includes('/node_modules/tsx/') ||
    url.includes('/node_modules/esbuild/')
  )
    return 'start-up (module loading, tsx)';
  return 'other (Node internals)';
}

export interface CpuBreakdown {
  totalMs: number;
  /** Share of the profile's wall time, per category (sums to 1). */
  share: Record<string, number>;
  /** Microseconds per event, per category (busy categories only make the CPU cost). */
  microsecondsPerEvent: Record<string, number>;
}

/** Self time of every sample, grouped by category. */
export function summarizeCpuProfile(profile: CpuProfile, events: number): CpuBreakdown {
  const categoryOfNode = new Map<number, CpuCategory>();
  for (const node of profile.nodes) {
    categoryOfNode.set(node.id, categoryOf(node.callFrame.url, node.callFrame.functionName));
  }
  const micros = new Map<CpuCategory, number>();
  let total = 0;
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const category = categoryOfNode.get(nodeId) ?? 'other (Node internals)';
    micros.set(category, (micros.get(category) ?? 0) + delta);
    total += delta;
  });
  const share: Record<string, number> = {};
  const microsecondsPerEvent: Record<string, number> = {};
  for (const category of CPU_CATEGORIES) {
    const value = micros.get(category) ?? 0;
    share[category] = total > 0 ? value / total : 0;
    microsecondsPerEvent[category] = events > 0 ? value / events : 0;
  }
  return { totalMs: total / 1000, share, microsecondsPerEvent };
}

/** The largest .cpuprofile in a folder (the profiler's main thread). */
export function readLargestProfile(dir: string): CpuProfile {
  const files = readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  const texts = files.map((file) => readFileSync(join(dir, file), 'utf8'));
  texts.sort((a, b) => b.length - a.length);
  return JSON.parse(texts[0]!) as CpuProfile;
}
