import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKafkaClasspath, ensureSchemaRegistryDistribution } from './artifacts.ts';
import { startKafka, waitForKafka } from './kafka.ts';
import { isAlive, stopPid, type StartedProcess } from './process.ts';
import { startRedis, waitForRedis } from './redis.ts';
import { startRedisCluster, waitForClusterOk, type RedisClusterServer } from './redis-cluster.ts';
import { startSchemaRegistry, waitForSchemaRegistry } from './schema-registry.ts';
import { stateDir } from './paths.ts';

/** The connection settings of a running stack, as the env variables Pulse reads. */
export interface ConnectionSettings {
  KAFKA_BROKERS: string;
  /** One node; with a cluster, its first node (REDIS_CLUSTER_NODES wins where both are set). */
  REDIS_URL: string;
  /** Set when the stack runs a Redis Cluster: its nodes as `host:port,…`. */
  REDIS_CLUSTER_NODES?: string;
  SCHEMA_REGISTRY_URL: string;
}

/** A process of the stack; `address` is the host:port a Redis node answers on. */
export interface StackProcess {
  name: string;
  pid: number;
  address?: string;
}

export interface RunningStack {
  settings: ConnectionSettings;
  workDir: string;
  processes: StackProcess[];
  /** The Redis Cluster, when the stack was started with one (fault tests kill its nodes). */
  redisCluster?: RedisClusterServer;
  /** Stops exactly the processes this stack started and removes its data. */
  stop(): Promise<void>;
}

export interface StartStackOptions {
  /** Keep the servers running after this process exits (`pulse infra up`). */
  detached: boolean;
  /** Where data and logs go; a fresh temp folder by default. */
  workDir?: string;
  log?: (line: string) => void;
  /**
   * A Redis Cluster (3 masters, 1 replica each, from the machine's redis-server) instead of
   * one Redis node.
   */
  redisCluster?: boolean;
}

export async function startStack(options: StartStackOptions): Promise<RunningStack> {
  const log = options.log ?? (() => undefined);
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'pulse-stack-'));
  mkdirSync(workDir, { recursive: true });
  // Resolve artifacts first (Maven, cached after the first run), then start the three servers side by side.
  ensureKafkaClasspath(log);
  ensureSchemaRegistryDistribution(log);
  const started: StartedProcess[] = [];
  const addresses = new Map<number, string>();
  const track = <T extends { process: StartedProcess }>(server: T): T => {
    started.push(server.process);
    return server;
  };
  const redis = options.redisCluster
    ? startRedisCluster({ workDir, detached: options.detached, log }).then((cluster) => {
        for (const member of cluster.members) {
          started.push(member.process);
          addresses.set(member.process.pid, `${member.host}:${member.port}`);
        }
        return {
          url: `redis://${cluster.members[0]?.host}:${cluster.members[0]?.port}`,
          cluster,
        };
      })
    : startRedis({ workDir, detached: options.detached }).then((server) => {
        track(server);
        addresses.set(server.process.pid, `127.0.0.1:${server.port}`);
        return { url: server.url, cluster: undefined };
      });
  const results = await Promise.allSettled([
    startKafka({ workDir, detached: options.detached, log }).then(track),
    redis,
    startSchemaRegistry({ workDir, detached: options.detached, log }).then(track),
  ]);
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((process) => stopPid(process.pid)));
    rmSync(workDir, { recursive: true, force: true });
  };
  const failures = results.filter((result) => result.status === 'rejected');
  if (failures.length > 0) {
    await stop();
    throw new Error(
      `the local stack did not start:\n${failures.map((failure) => `- ${String(failure.reason?.message ?? failure.reason)}`).join('\n')}`,
    );
  }
  const [kafka, redisResult, registry] = results.map((result) =>
    result.status === 'fulfilled' ? result.value : undefined,
  );
  const redisServer = redisResult as { url: string; cluster?: RedisClusterServer };
  return {
    settings: {
      KAFKA_BROKERS: (kafka as { brokers: string }).brokers,
      REDIS_URL: redisServer.url,
      ...(redisServer.cluster ? { REDIS_CLUSTER_NODES: redisServer.cluster.nodes } : {}),
      SCHEMA_REGISTRY_URL: (registry as { url: string }).url,
    },
    workDir,
    processes: started.map((process) => {
      const address = addresses.get(process.pid);
      return { name: process.name, pid: process.pid, ...(address ? { address } : {}) };
    }),
    ...(redisServer.cluster ? { redisCluster: redisServer.cluster } : {}),
    stop,
  };
}

/**
 * Starts a watchdog process that stops the stack when `ownerPid` dies, however it dies.
 * The test run uses it so an interrupted or killed run leaves no servers behind.
 */
export function guardStack(stack: RunningStack, ownerPid: number = process.pid): void {
  const script = fileURLToPath(new URL('./watchdog.mjs', import.meta.url));
  const child = spawn(
    process.execPath,
    [script, String(ownerPid), stack.workDir, ...stack.processes.map((p) => String(p.pid))],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
}

// --- the background stack of `pulse infra up|down|status` ------------------------------------

interface StackState {
  startedAt: string;
  workDir: string;
  settings: ConnectionSettings;
  processes: StackProcess[];
}

function stateFile(): string {
  return join(stateDir(), 'stack.json');
}

export function readStackState(): StackState | undefined {
  if (!existsSync(stateFile())) return undefined;
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as StackState;
}

/** `pulse infra up`: start in the background (or return the stack already running). */
export async function infraUp(
  log: (line: string) => void,
  options: { redisCluster?: boolean } = {},
): Promise<ConnectionSettings> {
  const existing = readStackState();
  if (existing && existing.processes.every((process) => isAlive(process.pid))) {
    const hasCluster = existing.settings.REDIS_CLUSTER_NODES !== undefined;
    if (hasCluster !== (options.redisCluster ?? false)) {
      throw new Error(
        `the local stack is already running ${hasCluster ? 'with' : 'without'} a Redis Cluster: stop it first (npx pulse infra down)`,
      );
    }
    log('the local stack is already running');
    return existing.settings;
  }
  if (existing) await infraDown(log);
  mkdirSync(stateDir(), { recursive: true });
  const stack = await startStack({
    detached: true,
    workDir: join(stateDir(), 'stack'),
    log,
    redisCluster: options.redisCluster ?? false,
  });
  const state: StackState = {
    startedAt: new Date().toISOString(),
    workDir: stack.workDir,
    settings: stack.settings,
    processes: stack.processes,
  };
  writeFileSync(stateFile(), `${JSON.stringify(state, null, 2)}\n`);
  return stack.settings;
}

/** `pulse infra down`: stop exactly what `up` started, remove its data. */
export async function infraDown(log: (line: string) => void): Promise<boolean> {
  const state = readStackState();
  if (!state) {
    log('no local stack is running (nothing to stop)');
    return false;
  }
  for (const process of state.processes) {
    log(`stopping ${process.name} (pid ${process.pid})`);
    await stopPid(process.pid);
  }
  rmSync(state.workDir, { recursive: true, force: true });
  rmSync(stateFile(), { force: true });
  return true;
}

export interface StackStatus {
  running: boolean;
  settings?: ConnectionSettings;
  components: { name: string; pid: number; alive: boolean; answering: boolean }[];
}

/** `pulse infra status`: are the processes alive, and do the servers answer? */
export async function infraStatus(): Promise<StackStatus> {
  const state = readStackState();
  if (!state) return { running: false, components: [] };
  const probes: Record<string, (process: StackProcess) => Promise<void>> = {
    kafka: () => waitForKafka(state.settings.KAFKA_BROKERS, { timeoutMs: 3000 }),
    redis: () => waitForRedis(state.settings.REDIS_URL, { timeoutMs: 3000 }),
    'redis-cluster-node': (process) =>
      waitForRedis(`redis://${process.address}`, { timeoutMs: 3000 }),
    'schema-registry': () =>
      waitForSchemaRegistry(state.settings.SCHEMA_REGISTRY_URL, { timeoutMs: 3000 }),
  };
  const clusterNodes = state.settings.REDIS_CLUSTER_NODES?.split(',');
  const clusterOk =
    clusterNodes === undefined ||
    (await waitForClusterOk(clusterNodes, clusterNodes.length / 2, 3000).then(
      () => true,
      () => false,
    ));
  const components = await Promise.all(
    state.processes.map(async (process) => {
      const alive = isAlive(process.pid);
      const probe = probes[process.name];
      const answering =
        alive && probe !== undefined
          ? await probe(process).then(
              () => true,
              () => false,
            )
          : false;
      return { ...process, alive, answering };
    }),
  );
  return {
    running: clusterOk && components.every((component) => component.answering),
    settings: state.settings,
    components,
  };
}
