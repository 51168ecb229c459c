import { inject } from 'vitest';
import { nodeCommand, redisCli } from '@pulse/local-stack';
import { partitionKeys } from '@pulse/store';
import { waitFor } from './wait.ts';

/**
 * The scale suites' Redis Cluster from outside, as an operator sees it: which master serves a
 * partition's slot, moving slots with `redis-cli --cluster reshard`, killing a master.
 */

export interface ClusterMember {
  address: string;
  pid: number;
}

export interface ClusterNodeView {
  id: string;
  address: string;
  role: 'master' | 'replica';
  /** For a replica, its master's id. */
  masterId: string | null;
  failed: boolean;
  /** The node that answered CLUSTER NODES. */
  myself: boolean;
  slots: [from: number, to: number][];
}

/** Every node the global setup started, with its process id. */
export function clusterMembers(): ClusterMember[] {
  return JSON.parse(inject('redisClusterMembers')) as ClusterMember[];
}

const dead = new Set<string>();

/** A node that still answers (the first one not killed by a test). */
function liveAddress(): string {
  const member = clusterMembers().find((candidate) => !dead.has(candidate.address));
  if (!member) throw new Error('no live cluster node');
  return member.address;
}

/** Pure: CLUSTER NODES output as a list. */
export function parseClusterNodes(text: string): ClusterNodeView[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, addressField, flags, master, , , , , ...slotFields] = line.trim().split(' ');
      const flagList = (flags ?? '').split(',');
      return {
        id: id as string,
        address: (addressField ?? '').split('@')[0] as string,
        role: flagList.includes('master') ? 'master' : 'replica',
        masterId: master && master !== '-' ? master : null,
        failed: flagList.includes('fail') || flagList.includes('fail?'),
        myself: flagList.includes('myself'),
        slots: slotFields
          .filter((field) => /^\d+(-\d+)?$/.test(field))
          .map((field) => {
            const [from, to] = field.split('-').map(Number) as [number, number | undefined];
            return [from, to ?? from] as [number, number];
          }),
      } satisfies ClusterNodeView;
    });
}

export async function clusterNodes(address = liveAddress()): Promise<ClusterNodeView[]> {
  return parseClusterNodes(await nodeCommand(address, ['CLUSTER', 'NODES']));
}

/** The hash slot of a namespace's partition (all its keys share it). */
export async function partitionSlot(namespace: string, partition: number): Promise<number> {
  return Number(
    await nodeCommand(liveAddress(), [
      'CLUSTER',
      'KEYSLOT',
      partitionKeys(namespace, partition).meta,
    ]),
  );
}

export function masterOfSlot(nodes: ClusterNodeView[], slot: number): ClusterNodeView {
  const master = nodes.find(
    (node) =>
      node.role === 'master' &&
      !node.failed &&
      node.slots.some(([from, to]) => slot >= from && slot <= to),
  );
  if (!master) throw new Error(`no live master serves slot ${slot}`);
  return master;
}

/**
 * `redis-cli --cluster reshard`: moves `slots` slots (the lowest of the source's) from one
 * master to another, every key of them by MIGRATE, as an operator would. Resolves with the
 * time it took.
 */
export async function reshard(fromId: string, toId: string, slots: number): Promise<number> {
  const startedAt = Date.now();
  await redisCli(
    [
      '--cluster',
      'reshard',
      liveAddress(),
      '--cluster-from',
      fromId,
      '--cluster-to',
      toId,
      '--cluster-slots',
      String(slots),
      '--cluster-yes',
      '--cluster-pipeline',
      '100',
    ],
    180_000,
  );
  return Date.now() - startedAt;
}

/** SIGKILLs the node at `address` (a master, for a failover). */
export function killNode(address: string): void {
  const member = clusterMembers().find((candidate) => candidate.address === address);
  if (!member) throw new Error(`no cluster node at ${address}`);
  dead.add(address);
  process.kill(member.pid, 'SIGKILL');
}

/** Waits until another master serves `slot` and the cluster says ok again. */
export async function waitForFailover(slot: number, formerMaster: string): Promise<string> {
  return waitFor(
    `a replica to take over slot ${slot} from ${formerMaster}`,
    async () => {
      const nodes = await clusterNodes();
      const master = nodes.find(
        (node) =>
          node.role === 'master' &&
          !node.failed &&
          node.address !== formerMaster &&
          node.slots.some(([from, to]) => slot >= from && slot <= to),
      );
      if (!master) return undefined;
      const info = await nodeCommand(master.address, ['CLUSTER', 'INFO']);
      return /cluster_state:ok/.test(info) ? master.address : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** Pure: CRC16/XMODEM of a hash tag mod 16384, Redis Cluster's key slot (`CLUSTER KEYSLOT`). */
export function slotOfTag(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/**
 * A namespace whose partitions' slots let one `redis-cli --cluster reshard` (which moves the
 * lowest slots of its source) move `partitionsToMove` partitions with as few slots as
 * possible: the namespace, the source master, and how many slots to move.
 */
export function planReshard(
  nodes: ClusterNodeView[],
  partitions: number,
  partitionsToMove: number,
): { namespace: string; source: ClusterNodeView; slots: number; moved: number[] } {
  let best: ReturnType<typeof planReshard> | undefined;
  for (let candidate = 0; candidate < 200; candidate += 1) {
    const namespace = `r${candidate}`;
    for (const source of nodes.filter((node) => node.role === 'master' && !node.failed)) {
      const owned = source.slots.flatMap(([from, to]) =>
        Array.from({ length: to - from + 1 }, (_, index) => from + index),
      );
      const position = new Map(owned.map((slot, index) => [slot, index]));
      const held = [...Array(partitions).keys()]
        .map((partition) => ({
          partition,
          index: position.get(slotOfTag(`${namespace}:p${partition}`)),
        }))
        .filter((entry): entry is { partition: number; index: number } => entry.index !== undefined)
        .sort((a, b) => a.index - b.index)
        .slice(0, partitionsToMove);
      if (held.length < partitionsToMove) continue;
      const slots = (held.at(-1) as { index: number }).index + 1;
      if (!best || slots < best.slots)
        best = { namespace, source, slots, moved: held.map((entry) => entry.partition) };
    }
  }
  if (!best) throw new Error('no namespace puts enough partitions on one master');
  return best;
}

/** The buckets of a Prometheus histogram from a profiler's /metrics: upper bound → count. */
export async function histogramBuckets(
  opsPort: number,
  name: string,
): Promise<Map<number, number>> {
  const response = await fetch(`http://127.0.0.1:${opsPort}/metrics`, {
    signal: AbortSignal.timeout(2_000),
  });
  const buckets = new Map<number, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`).exec(line);
    if (match) buckets.set(match[1] === '+Inf' ? Infinity : Number(match[1]), Number(match[2]));
  }
  return buckets;
}
