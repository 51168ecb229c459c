import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';
import { startProcess, stopPid, type StartedProcess } from './process.ts';
import { redisServerArgs, startAnswering } from './redis.ts';
import { waitUntil } from './wait.ts';

export interface RedisClusterNode {
  host: string;
  port: number;
  /** The cluster bus port (node-to-node gossip and failover votes). */
  busPort: number;
  process: StartedProcess;
}

export interface RedisClusterServer {
  /** `host:port,…` of every node: the REDIS_CLUSTER_NODES setting. */
  nodes: string;
  members: RedisClusterNode[];
  /** The node-timeout the nodes run with: a dead master is failed over about this long after. */
  nodeTimeoutMs: number;
}

/**
 * How long a master may be silent before its replica takes over. Redis's default (15 s) suits
 * a data centre with GC pauses; a local cluster for development and the scale tests fails over
 * faster. `docs/operations.md` says what to run in production.
 */
const LOCAL_NODE_TIMEOUT_MS = 2_000;

/**
 * A private Redis Cluster on free loopback ports: `masters` masters with `replicasPerMaster`
 * replicas each, every node a plain `redis-server` with `cluster-enabled yes`, its own data
 * folder, an append-only file and no eviction (as for one node), then joined and given the
 * 16384 slots by `redis-cli --cluster create`. `cluster-require-full-coverage no`: while one
 * master is failed over, the partitions on the other masters go on.
 */
export async function startRedisCluster(options: {
  workDir: string;
  detached: boolean;
  masters?: number;
  replicasPerMaster?: number;
  log?: (line: string) => void;
}): Promise<RedisClusterServer> {
  const masters = options.masters ?? 3;
  const replicasPerMaster = options.replicasPerMaster ?? 1;
  const count = masters * (1 + replicasPerMaster);
  const members: RedisClusterNode[] = [];
  try {
    for (let index = 0; index < count; index += 1) {
      members.push(await startClusterNode(options.workDir, options.detached));
    }
    const addresses = members.map((member) => `${member.host}:${member.port}`);
    options.log?.(`creating a Redis Cluster of ${masters} masters × ${replicasPerMaster} replicas`);
    await redisCli([
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      String(replicasPerMaster),
      '--cluster-yes',
    ]);
    await waitForClusterOk(addresses, masters, 30_000);
    return { nodes: addresses.join(','), members, nodeTimeoutMs: LOCAL_NODE_TIMEOUT_MS };
  } catch (error) {
    await Promise.all(members.map((member) => stopPid(member.process.pid)));
    throw error;
  }
}

/**
 * Starts one node and waits until it answers, launched again on two other ports (from
 * `choosePort`, freePort()) when one of its ports was taken before it bound it (startAnswering).
 */
export function startClusterNode(
  workDir: string,
  detached: boolean,
  choosePort: () => Promise<number> = freePort,
): Promise<RedisClusterNode> {
  return startAnswering(async () => {
    const port = await choosePort();
    let busPort = await choosePort();
    while (busPort === port) busPort = await choosePort();
    const node = spawnClusterNode(workDir, detached, port, busPort);
    return { server: node, url: `redis://${node.host}:${port}` };
  }, 3);
}

function spawnClusterNode(
  workDir: string,
  detached: boolean,
  port: number,
  busPort: number,
): RedisClusterNode {
  const dataDir = join(workDir, `redis-cluster-${port}`);
  mkdirSync(dataDir, { recursive: true });
  const server = startProcess(
    'redis-cluster-node',
    'redis-server',
    [
      ...redisServerArgs(port, dataDir),
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dataDir, 'nodes.conf'),
      '--cluster-port',
      String(busPort),
      '--cluster-node-timeout',
      String(LOCAL_NODE_TIMEOUT_MS),
      '--cluster-require-full-coverage',
      'no',
    ],
    { cwd: dataDir, logFile: join(dataDir, 'redis.log'), detached },
  );
  return { host: '127.0.0.1', port, busPort, process: server };
}

/** Runs redis-cli with arguments; resolves with its output, rejects with it on failure. */
export function redisCli(args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`redis-cli could not start (${error.message}): install redis-tools`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun(output);
      else
        reject(
          new Error(
            `redis-cli ${args.slice(0, 2).join(' ')} failed (${signal ?? `code ${code}`}): ${output.slice(-2_000)}`,
          ),
        );
    });
  });
}

/** Waits until every node says cluster_state:ok and sees the expected number of masters. */
export async function waitForClusterOk(
  addresses: string[],
  masters: number,
  timeoutMs: number,
): Promise<void> {
  await waitUntil(
    `Redis Cluster ${addresses.join(',')} to be ok`,
    async () => {
      for (const address of addresses) {
        const info = await nodeCommand(address, ['CLUSTER', 'INFO']);
        if (!/cluster_state:ok/.test(info)) return false;
        const size = /cluster_size:(\d+)/.exec(info)?.[1];
        if (Number(size) !== masters) return false;
      }
      return true;
    },
    { timeoutMs },
  );
}

/** One command to one node (not through a cluster client), as text. */
export async function nodeCommand(address: string, command: string[]): Promise<string> {
  const client = new Redis(`redis://${address}`, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const reply = await client.call(command[0] as string, ...command.slice(1));
    return Array.isArray(reply) ? JSON.stringify(reply) : String(reply);
  } finally {
    client.disconnect();
  }
}
