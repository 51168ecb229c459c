import type { Writable } from 'node:stream';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConnection } from '@pulse/config';

/**
 * The one kind of Redis client Pulse passes around: one node, or a Redis Cluster. Everything
 * in this package works on both: every multi-key script touches the keys of one partition
 * (one hash tag, one slot), and whatever walks the keyspace (namespace list and drop, forget,
 * the benchmark's memory reading) does it on every master (`redisNodes`).
 */
export type RedisClient = Redis | Cluster;

/** How a caller wants its client to behave; the same words for one node and for a cluster. */
export interface RedisClientTuning {
  /** A command not answered within this many ms fails (none by default). */
  commandTimeoutMs?: number;
  /** How often a command is retried across reconnects before it fails (ioredis: 20). */
  maxRetriesPerRequest?: number | null;
  /** Delay before the attempt-th reconnect; null gives up. */
  retryDelayMs?: (attempt: number) => number | null;
  /** Queue commands while disconnected (default true); false fails them at once. */
  enableOfflineQueue?: boolean;
  /** Connect on the first command instead of at once. */
  lazyConnect?: boolean;
}

/**
 * The one Redis client factory. `REDIS_URL` gives one node, `REDIS_CLUSTER_NODES` a cluster
 * (settings parsed by @pulse/config's `redisConnection`); ACL user, password and TLS apply to
 * every node alike. A cluster client reads and writes masters only: a replica may lag, and a
 * partition's compare-and-set must see the last commit.
 */
export function createRedisClient(
  connection: RedisConnection,
  tuning: RedisClientTuning = {},
): RedisClient {
  const nodeOptions: RedisOptions = { ...connection.auth };
  if (tuning.commandTimeoutMs !== undefined) nodeOptions.commandTimeout = tuning.commandTimeoutMs;
  if (tuning.maxRetriesPerRequest !== undefined)
    nodeOptions.maxRetriesPerRequest = tuning.maxRetriesPerRequest;
  if (tuning.lazyConnect !== undefined) nodeOptions.lazyConnect = tuning.lazyConnect;
  if (connection.mode === 'single') {
    const options: RedisOptions = { ...nodeOptions };
    if (tuning.retryDelayMs) options.retryStrategy = tuning.retryDelayMs;
    if (tuning.enableOfflineQueue !== undefined)
      options.enableOfflineQueue = tuning.enableOfflineQueue;
    return new Redis(connection.url, options);
  }
  const options: ClusterOptions = {
    redisOptions: nodeOptions,
    scaleReads: 'master',
    // A failover (replica promoted after cluster-node-timeout) or a resharding answers
    // CLUSTERDOWN / MOVED / ASK / TRYAGAIN for a while: wait and follow, do not fail the batch.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    retryDelayOnMoved: 0,
    maxRedirections: 64,
    slotsRefreshTimeout: 2000,
    // MOVED answers refresh the slot map at once; this also catches a change no command saw.
    slotsRefreshInterval: 5000,
  };
  if (tuning.retryDelayMs) options.clusterRetryStrategy = tuning.retryDelayMs;
  if (tuning.enableOfflineQueue !== undefined)
    options.enableOfflineQueue = tuning.enableOfflineQueue;
  if (tuning.lazyConnect !== undefined) options.lazyConnect = tuning.lazyConnect;
  return new Cluster(connection.nodes, options);
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * The nodes that hold data: the masters of a cluster (as the client knows them now), or the
 * one node. Commands that walk the keyspace (SCAN, INFO, DBSIZE) must run on each of them.
 */
export function redisNodes(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

const corked = new WeakSet<object>();

/**
 * Lets the commands issued from now until the current turn of the event loop ends leave in one
 * socket write per node (Node's `cork`, released on the next tick). The profiler's partition
 * tasks answer Redis replies that arrive together: each then sends its next load or commit,
 * and a live batch of ten events paid more for its two `write` system calls than for its
 * commands' contents. Unlike ioredis's auto-pipelining, nothing waits for an earlier batch of
 * commands to be answered: only the system calls are shared.
 */
export function coalesceWrites(client: RedisClient): void {
  for (const node of redisNodes(client)) {
    const stream = (node as unknown as { stream?: Writable }).stream;
    if (stream === undefined || corked.has(stream) || !stream.writable) continue;
    corked.add(stream);
    stream.cork();
    process.nextTick(() => {
      corked.delete(stream);
      stream.uncork();
    });
  }
}
