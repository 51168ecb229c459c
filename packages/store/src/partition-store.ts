import { redisNodes, type RedisClient } from './client.ts';
import { commitResultToError, StoreError } from './errors.ts';
import {
  BUCKETS,
  customerBucket,
  maxEventField,
  META_FIELDS,
  META_TOPIC_FIELD_PREFIXES,
  offsetField,
  partitionKeys,
  trafficField,
  singleKeyLayout,
  type PartitionKeys,
} from './keys.ts';
import { runScript } from './scripts.ts';

/** What Redis knows about a partition besides its customers: the truth for "where am I". */
export interface PartitionMeta {
  version: number;
  owner: string | null;
  /** Next offset to read, per input topic (absent: nothing committed yet). */
  offsets: Map<string, string>;
  /** Newest event time applied, per input topic. */
  maxEventMs: Map<string, number>;
  streamTimeMs: number | null;
  lastEventWallMs: number | null;
  lastCommitWallMs: number | null;
  /** Per input topic, its learnt traffic as the core encodes it (the store does not read it). */
  traffic: Map<string, string>;
  /** Generation of the forgotten-customers set last stamped by `forgetCustomer` (0: none). */
  forgottenGeneration: number;
  /** The population latency statistics as the core encodes them (null: none yet). */
  population: string | null;
  /** Their frozen hurdle table as the core encodes it (null: none yet). */
  populationHurdles: string | null;
  /** The live segment figures as the core encodes them (null: none yet). */
  segmentFigures: string | null;
}

export interface LoadedBatch {
  meta: PartitionMeta;
  /** Stored profile bytes of the requested customers that have one. */
  profiles: Map<string, Buffer>;
  /** Customers due at or before the horizon, with their profile bytes (null if gone). */
  due: { customerId: string; profile: Buffer | null }[];
  /** Held signals of the batch's and the due customers. */
  held: Map<string, string>;
  /** Customers with a timer: the base the storm guard measures a sweep against. */
  timedCustomers: number;
  /** The caller's cached profiles were good: their bytes were not sent (see `load`). */
  cacheGood: boolean;
  /** The meta came from Redis; false: the store's own copy of that version (see `load`). */
  metaReadBack: boolean;
  /**
   * Due buckets the load looked in: all of them when it read the due index whole, else only
   * those whose earliest due time the store knew to be at or before the horizon.
   */
  dueBucketsRead: number;
}

export interface BatchCommit {
  ownerToken: string;
  expectedVersion: number;
  /** Next offsets that changed. */
  offsets: Map<string, string>;
  maxEventMs: Map<string, number>;
  streamTimeMs: number | null;
  /** Set when the batch applied input records. */
  lastEventWallMs?: number;
  /** Wall clock of this commit. */
  commitWallMs?: number;
  /** Input topics whose learnt traffic changed, with its new encoding. */
  traffic?: Map<string, string>;
  /** Set when the population statistics (and their frozen table) changed: their encodings. */
  population?: { statistics: string; hurdles: string | null };
  /** Set when the segment figures changed: their encoding. */
  segmentFigures?: string;
  /** At most one entry per customer. */
  profiles: [customerId: string, bytes: Uint8Array][];
  /** Due time in ms, or null to take the customer out of the due index; one per customer. */
  due: [customerId: string, dueMs: number | null][];
  outbox: string[];
  /** Held signal payload, or null to release/discard it. */
  held?: [customerId: string, payload: string | null][];
}

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function emptyMeta(): PartitionMeta {
  return {
    version: 0,
    owner: null,
    offsets: new Map(),
    maxEventMs: new Map(),
    streamTimeMs: null,
    lastEventWallMs: null,
    lastCommitWallMs: null,
    traffic: new Map(),
    forgottenGeneration: 0,
    population: null,
    populationHurdles: null,
    segmentFigures: null,
  };
}

/** Pure: the meta hash (flat field/value reply) as a typed object. */
export function parseMeta(flat: unknown[]): PartitionMeta {
  const meta = emptyMeta();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = text(flat[i]);
    const value = text(flat[i + 1]);
    if (field === META_FIELDS.version) meta.version = Number(value);
    else if (field === META_FIELDS.owner) meta.owner = value;
    else if (field === META_FIELDS.streamTimeMs) meta.streamTimeMs = Number(value);
    else if (field === META_FIELDS.lastEventWallMs) meta.lastEventWallMs = Number(value);
    else if (field === META_FIELDS.lastCommitWallMs) meta.lastCommitWallMs = Number(value);
    else if (field === META_FIELDS.forgottenGeneration) meta.forgottenGeneration = Number(value);
    else if (field === META_FIELDS.population) meta.population = value;
    else if (field === META_FIELDS.populationHurdles) meta.populationHurdles = value;
    else if (field === META_FIELDS.segmentFigures) meta.segmentFigures = value;
    else if (field.startsWith(META_TOPIC_FIELD_PREFIXES.offset))
      meta.offsets.set(field.slice(META_TOPIC_FIELD_PREFIXES.offset.length), value);
    else if (field.startsWith(META_TOPIC_FIELD_PREFIXES.newestEventMs))
      meta.maxEventMs.set(
        field.slice(META_TOPIC_FIELD_PREFIXES.newestEventMs.length),
        Number(value),
      );
    else if (field.startsWith(META_TOPIC_FIELD_PREFIXES.traffic))
      meta.traffic.set(field.slice(META_TOPIC_FIELD_PREFIXES.traffic.length), value);
  }
  return meta;
}

/**
 * Most customers one bucket group of the commit carries: the script spreads a group into one
 * HSET or ZADD with `unpack`, and Lua's stack takes about 8,000 values.
 */
export const MAX_COMMIT_GROUP = 1_000;

/** The commit's arguments before its meta field/value pairs (see `buildCommitArgs`). */
const COMMIT_HEADER_ARGS = 7;

/** Pure: the commit script's arguments (see commitBatch-3.lua for the layout). */
export function buildCommitArgs(
  commit: BatchCommit,
  bucketOf: (customerId: string) => number = (id) => customerBucket(id),
): (string | Buffer)[] {
  const metaPairs: string[] = [];
  for (const [topic, offset] of commit.offsets) metaPairs.push(offsetField(topic), offset);
  for (const [topic, ms] of commit.maxEventMs) metaPairs.push(maxEventField(topic), String(ms));
  if (commit.streamTimeMs !== null)
    metaPairs.push(META_FIELDS.streamTimeMs, String(commit.streamTimeMs));
  if (commit.lastEventWallMs !== undefined)
    metaPairs.push(META_FIELDS.lastEventWallMs, String(commit.lastEventWallMs));
  if (commit.commitWallMs !== undefined)
    metaPairs.push(META_FIELDS.lastCommitWallMs, String(commit.commitWallMs));
  for (const [topic, encoded] of commit.traffic ?? []) metaPairs.push(trafficField(topic), encoded);
  if (commit.population !== undefined) {
    metaPairs.push(META_FIELDS.population, commit.population.statistics);
    // No table yet is no field (a commit never takes one away: the statistics only grow).
    if (commit.population.hurdles !== null)
      metaPairs.push(META_FIELDS.populationHurdles, commit.population.hurdles);
  }
  if (commit.segmentFigures !== undefined)
    metaPairs.push(META_FIELDS.segmentFigures, commit.segmentFigures);
  const held = commit.held ?? [];

  // Profiles by bucket: [customerId, bytes, customerId, bytes, …] per bucket.
  const profileBuckets: (string | Buffer)[][] = [];
  for (const [customerId, bytes] of commit.profiles) {
    const b = bucketOf(customerId);
    (profileBuckets[b] ??= []).push(
      customerId,
      Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    );
  }
  const profileArgs: (string | Buffer)[] = [];
  let profileGroups = 0;
  profileBuckets.forEach((pairs, b) => {
    for (let at = 0; at < pairs.length; at += 2 * MAX_COMMIT_GROUP) {
      const n = Math.min(MAX_COMMIT_GROUP, (pairs.length - at) / 2);
      profileArgs.push(String(b), String(n));
      for (let k = at; k < at + 2 * n; k += 1) profileArgs.push(pairs[k]!);
      profileGroups += 1;
    }
  });

  // Due entries by bucket: what to add (score first, as ZADD takes it) and what to remove.
  const adds: string[][] = [];
  const removes: string[][] = [];
  for (const [customerId, dueMs] of commit.due) {
    const b = bucketOf(customerId);
    if (dueMs === null) (removes[b] ??= []).push(customerId);
    else (adds[b] ??= []).push(String(dueMs), customerId);
  }
  const dueArgs: string[] = [];
  let dueGroups = 0;
  for (let b = 0; b < Math.max(adds.length, removes.length); b += 1) {
    const add = adds[b] ?? [];
    const remove = removes[b] ?? [];
    let addAt = 0;
    let removeAt = 0;
    while (addAt < add.length || removeAt < remove.length) {
      const a = Math.min(MAX_COMMIT_GROUP, (add.length - addAt) / 2);
      const r = Math.min(MAX_COMMIT_GROUP, remove.length - removeAt);
      dueArgs.push(String(b), String(a), String(r));
      for (let k = addAt; k < addAt + 2 * a; k += 1) dueArgs.push(add[k]!);
      for (let k = removeAt; k < removeAt + r; k += 1) dueArgs.push(remove[k]!);
      addAt += 2 * a;
      removeAt += r;
      dueGroups += 1;
    }
  }

  // COMMIT_HEADER_ARGS values, then the meta pairs (`PartitionStore.commit` reads them back).
  const args: (string | Buffer)[] = [
    commit.ownerToken,
    String(commit.expectedVersion),
    String(metaPairs.length / 2),
    String(profileGroups),
    String(dueGroups),
    String(commit.outbox.length),
    String(held.length),
    ...metaPairs,
  ];
  for (const arg of profileArgs) args.push(arg);
  for (const arg of dueArgs) args.push(arg);
  for (const payload of commit.outbox) args.push(payload);
  for (const [customerId, payload] of held) args.push(customerId, payload ?? '');
  return args;
}

/**
 * The meta of partitions 0 … count−1 of a namespace, sent together: one round trip per node
 * (the CLI, the profiler's group clock, replay progress, the demo and the benchmark read it so).
 */
export async function readPartitionMetas(
  redis: RedisClient,
  namespace: string,
  partitionCount: number,
  prefix = 'pulse',
): Promise<PartitionMeta[]> {
  // Sent together, not as one pipeline: on a cluster the metas live on different masters.
  const reads: Promise<Record<string, string>>[] = [];
  for (let partition = 0; partition < partitionCount; partition += 1) {
    reads.push(redis.hgetall(partitionKeys(namespace, partition, prefix).meta));
  }
  return (await Promise.all(reads)).map((hash) => parseMeta(Object.entries(hash).flat()));
}

/** Customers whose bucket one store remembers (a few MB); past it the memo starts again. */
const BUCKET_MEMO_LIMIT = 50_000;

/**
 * All persistence of one partition's state: one round trip to load a batch, one to commit
 * it. Generic: it knows nothing of profiles' contents or of the rules.
 */
export class PartitionStore {
  readonly keys: PartitionKeys;
  /**
   * Buckets of the customers this store committed lately: a commit names each changed customer
   * once or twice (profile, due time), and the same customers come back batch after batch, so the
   * SHA-1 behind a bucket is taken about once per customer instead of once per mention.
   */
  private readonly buckets = new Map<string, number>();
  private readonly bucketOf = (customerId: string): number => {
    let bucket = this.buckets.get(customerId);
    if (bucket === undefined) {
      if (this.buckets.size >= BUCKET_MEMO_LIMIT) this.buckets.clear();
      bucket = customerBucket(customerId);
      this.buckets.set(customerId, bucket);
    }
    return bucket;
  };

  /**
   * The meta hash as this store last read or wrote it, field by field, with its version and the
   * owner token it was read or written under. A load while the partition is still at that
   * version (every write bumps it) gets no meta back: about 20 KB per live batch at the
   * benchmark's size (segment figures, traffic baselines), read back just after this store
   * wrote them. Forgotten on a failed commit and on a claim by a token it does not hold.
   */
  private known:
    | {
        version: number;
        owner: string;
        fields: Map<string, string>;
        /**
         * That version's due index as far as a load needs it: each bucket's earliest due time
         * (null: empty) and how many customers have a timer. Absent until a load read them.
         */
        due?: { earliest: (number | null)[]; timed: number };
      }
    | undefined;

  constructor(
    private readonly redis: RedisClient,
    readonly namespace: string,
    readonly partition: number,
    private readonly prefix = 'pulse',
  ) {
    this.keys = partitionKeys(namespace, partition, prefix);
  }

  /** Remembers a meta read whole (the claim's or a load's) under `owner`. */
  private remember(flat: unknown[], owner: string): PartitionMeta {
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(text(flat[i]), text(flat[i + 1]));
    const meta = parseMeta(flat);
    this.known = { version: meta.version, owner, fields };
    return meta;
  }

  /** The meta this store holds for `version`, parsed as a whole read would be. */
  private knownMeta(): PartitionMeta {
    const flat: string[] = [];
    for (const [field, value] of this.known!.fields) flat.push(field, value);
    return parseMeta(flat);
  }

  async claim(ownerToken: string): Promise<PartitionMeta> {
    // Keys of the layout before buckets would be invisible to the scripts: those customers
    // would silently start again from nothing. Refuse until `pulse namespace migrate` ran.
    const old = singleKeyLayout(this.namespace, this.partition, this.prefix);
    if ((await this.wrap(() => this.redis.exists(old.profiles, old.due))) > 0) {
      throw new StoreError(
        'STORE_LAYOUT_OUTDATED',
        `partition ${this.partition} of namespace ${this.namespace} still has profiles in the single-key layout (${old.profiles}): stop the profilers and run \`pulse namespace migrate ${this.namespace}\` first`,
        { namespace: this.namespace, partition: this.partition },
      );
    }
    this.known = undefined;
    const flat = (await this.call('claimPartition', [this.keys.meta], [ownerToken])) as unknown[];
    return this.remember(flat, ownerToken);
  }

  async readMeta(): Promise<PartitionMeta> {
    return parseMeta(
      await this.wrap(() => this.redis.hgetallBuffer(this.keys.meta).then(flattenHash)),
    );
  }

  /**
   * One round trip for a batch. `cache`: the caller holds decoded profiles of some of these
   * customers, good for the partition's version `cache.version` (its own last commit); when that
   * is still the version, their bytes are not sent (`LoadedBatch.cacheGood`), otherwise every
   * profile is. `cache.dueBy` names the other customers it holds that may be due by the
   * horizon: when they are, their bytes are not sent either. `ownerToken`: the token the caller
   * holds the partition under; while the partition is at the version this store last read or
   * wrote under that token, the meta is not sent back (the store's copy is that version's).
   */
  async load(
    customerIds: string[],
    dueHorizonMs: number | null,
    dueLimit: number,
    cache?: {
      version: number;
      has(customerId: string): boolean;
      dueBy?(horizonMs: number): Iterable<string>;
    },
    ownerToken = '',
  ): Promise<LoadedBatch> {
    const uncached: string[] = [];
    const cached: string[] = [];
    for (const customerId of customerIds) {
      if (cache?.has(customerId)) cached.push(customerId);
      else uncached.push(customerId);
    }
    const horizonMs = dueHorizonMs === null ? null : Math.floor(dueHorizonMs);
    // The meta is skipped only for the owner token it was read or written under.
    const known = this.known?.owner === ownerToken && ownerToken !== '' ? this.known : undefined;
    // The due buckets worth a look, when this store knows the version's due index.
    const look: string[] = [];
    if (known?.due !== undefined && horizonMs !== null) {
      known.due.earliest.forEach((earliest, bucket) => {
        if (earliest !== null && earliest <= horizonMs) look.push(String(bucket));
      });
    }
    const args = [
      String(BUCKETS),
      ownerToken,
      known === undefined ? '-1' : String(known.version),
      horizonMs === null ? '-1' : String(horizonMs),
      String(dueLimit),
      cache === undefined ? '-1' : String(cache.version),
      String(uncached.length),
      String(cached.length),
      known?.due === undefined ? '-1' : String(look.length),
      ...look,
      ...uncached,
      ...cached,
    ];
    if (horizonMs !== null && cache?.dueBy) {
      for (const customerId of cache.dueBy(horizonMs)) args.push(customerId);
    }
    const reply = (await this.call(
      'loadBatch',
      [this.keys.meta, this.keys.held, this.keys.outbox, this.keys.dueMerge],
      args,
      true,
    )) as [
      unknown[] | null,
      (Buffer | null)[],
      Buffer[],
      (Buffer | null)[],
      (Buffer | null)[],
      (Buffer | null)[],
      number,
      number,
      Buffer[],
      (Buffer | null)[],
    ];
    const [
      metaFlat,
      profileReplies,
      dueIds,
      dueProfiles,
      heldReplies,
      heldDueReplies,
      timedCustomers,
      cacheGood,
      dueScores,
      earliest,
    ] = reply;
    // All due customers, bucket by bucket: in the order one sorted set would give them.
    const dueOrder = dueIds.map((_, index) => index);
    if (dueScores.length > 0) {
      const scores = dueScores.map((score) => Number(score.toString('latin1')));
      // Ties (a weekly look: thousands due at one instant) by the ids' bytes, as Redis orders
      // members: as latin1 text, one char per byte, so JavaScript's string order is that order
      // and a comparison makes no call into Buffer.compare.
      const bytes = dueIds.map((id) => id.toString('latin1'));
      dueOrder.sort((a, b) => {
        const byScore = scores[a]! - scores[b]!;
        if (byScore !== 0) return byScore;
        const left = bytes[a]!;
        const right = bytes[b]!;
        return left < right ? -1 : left > right ? 1 : 0;
      });
    }
    const ordered = [...uncached, ...cached];
    const held = new Map<string, string>();
    ordered.forEach((customerId, index) => {
      const entry = heldReplies[index];
      if (entry) held.set(customerId, entry.toString('utf8'));
    });
    dueIds.forEach((id, index) => {
      const entry = heldDueReplies[index];
      if (entry) held.set(id.toString('utf8'), entry.toString('utf8'));
    });
    const profiles = new Map<string, Buffer>();
    const fetched = cacheGood === 1 ? uncached : ordered;
    fetched.forEach((customerId, index) => {
      const bytes = profileReplies[index];
      if (bytes) profiles.set(customerId, bytes);
    });
    // The script skips the meta, or reads named due buckets only, just when this store sent
    // what it holds of that version: anything else is a fault, not a state to go on from.
    const notHeld = (what: string) =>
      new StoreError('STORE_UNAVAILABLE', `the load skipped ${what} this store does not hold`, {
        namespace: this.namespace,
        partition: this.partition,
      });
    let meta: PartitionMeta;
    if (metaFlat !== null) meta = this.remember(metaFlat, ownerToken);
    else if (known !== undefined && this.known === known) meta = this.knownMeta();
    else throw notHeld('a meta');
    const readWhole = Number(timedCustomers) >= 0;
    let timed = Number(timedCustomers);
    if (readWhole) {
      // Kept for the next loads of this version.
      if (this.known !== undefined && this.known.version === meta.version) {
        this.known.due = {
          earliest: earliest.map((score) => (score === null ? null : Number(score.toString()))),
          timed,
        };
      }
    } else if (known?.due !== undefined) timed = known.due.timed;
    else throw notHeld('a due index');
    return {
      meta,
      profiles,
      due: dueOrder.map((index) => ({
        customerId: dueIds[index]!.toString('utf8'),
        profile: dueProfiles[index] || null,
      })),
      held,
      timedCustomers: timed,
      dueBucketsRead: readWhole ? BUCKETS : look.length,
      cacheGood: cacheGood === 1,
      metaReadBack: metaFlat !== null,
    };
  }

  /** Commits a batch; throws StoreError STORE_FENCED / STORE_VERSION_CONFLICT when the CAS fails. */
  async commit(commit: BatchCommit): Promise<number> {
    const known = this.known;
    // Until it answers, what Redis holds is not known.
    this.known = undefined;
    const args = buildCommitArgs(commit, this.bucketOf);
    const reply = await this.call(
      'commitBatch',
      [this.keys.meta, this.keys.held, this.keys.outbox],
      args,
    );
    const context = {
      namespace: this.namespace,
      partition: this.partition,
      expectedVersion: commit.expectedVersion,
    };
    // Committed: [version, timers gained less lost, bucket, earliest due time, …]; refused: -1/-2.
    const committed = Array.isArray(reply) ? (reply as (string | number | null)[]) : undefined;
    const result = Number(committed?.[0] ?? reply);
    // A refusal is a number (-1, -2); a number ≥ 1 is not a reply this script gives.
    const error =
      committed === undefined
        ? (commitResultToError(result, context) ??
          new StoreError('STORE_CORRUPT', `unexpected commit result ${result}`, context))
        : commitResultToError(result, context);
    if (error) throw error;
    if (
      known !== undefined &&
      known.version === commit.expectedVersion &&
      known.owner === commit.ownerToken
    ) {
      // The meta as the script left it: the commit's fields set, the version bumped.
      const pairsEnd = COMMIT_HEADER_ARGS + 2 * Number(args[2]);
      for (let i = COMMIT_HEADER_ARGS; i < pairsEnd; i += 2)
        known.fields.set(args[i] as string, args[i + 1] as string);
      known.fields.set(META_FIELDS.version, String(result));
      known.version = result;
      if (known.due !== undefined) {
        known.due.timed += Number(committed![1]);
        for (let i = 2; i + 1 < committed!.length; i += 2) {
          const earliest = committed![i + 1];
          known.due.earliest[Number(committed![i])] = earliest === null ? null : Number(earliest);
        }
      }
      this.known = known;
    }
    return result;
  }

  async readOutbox(count: number): Promise<{ id: string; payload: string }[]> {
    const entries = await this.wrap(() =>
      this.redis.xrange(this.keys.outbox, '-', '+', 'COUNT', count),
    );
    return entries.map(([id, fields]) => ({ id, payload: fields[1] ?? '' }));
  }

  async ackOutbox(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return Number(await this.call('ackOutbox', [this.keys.outbox], ids));
  }

  async heldCount(): Promise<number> {
    return this.wrap(() => this.redis.hlen(this.keys.held));
  }

  /** Every held signal of the partition (the hold is rare and bounded by the guard). */
  async readHeld(): Promise<Map<string, string>> {
    const entries = await this.wrap(() => this.redis.hgetall(this.keys.held));
    return new Map(Object.entries(entries));
  }

  async outboxLength(): Promise<number> {
    return this.wrap(() => this.redis.xlen(this.keys.outbox));
  }

  private call(
    script: Parameters<typeof runScript>[1],
    keys: string[],
    args: (string | Buffer)[],
    buffers = false,
  ): Promise<unknown> {
    return this.wrap(() => runScript(this.redis, script, keys, args, buffers));
  }

  private async wrap<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError('STORE_UNAVAILABLE', `Redis call failed: ${(error as Error).message}`, {
        cause: error,
        namespace: this.namespace,
        partition: this.partition,
      });
    }
  }
}

function flattenHash(hash: Record<string, Buffer>): unknown[] {
  return Object.entries(hash).flatMap(([field, value]) => [field, value]);
}

/**
 * Redis is Pulse's state store, not a cache: a policy that may evict keys would silently lose
 * profiles and offsets. Refuse to run with one.
 *
 * The policy is read with CONFIG GET, or with INFO memory when CONFIG is refused: a
 * least-privilege ACL user (`+@all -@dangerous`) may run neither unless granted `+info`. When
 * both are refused the check cannot be made, and `onUnchecked` hears why (the profiler logs a
 * warning and runs): refusing to start would make the recommended ACL unusable, and the
 * operator who set it up can check the policy as admin.
 */
export async function assertNoEviction(
  redis: RedisClient,
  onUnchecked: (reason: string) => void = () => undefined,
): Promise<void> {
  // On a cluster every master holds some partitions: each must keep them.
  for (const node of redisNodes(redis)) await assertNodeNoEviction(node, onUnchecked);
}

async function assertNodeNoEviction(
  redis: RedisClient,
  onUnchecked: (reason: string) => void,
): Promise<void> {
  const refusals: string[] = [];
  const readOrRefused = async (read: () => Promise<string | undefined>) => {
    try {
      return { policy: await read() };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!/^NOPERM/.test(message)) throw error;
      refusals.push(message.split('\n')[0] as string);
      return undefined;
    }
  };
  const answer =
    (await readOrRefused(
      async () => ((await redis.config('GET', 'maxmemory-policy')) as string[])[1],
    )) ??
    (await readOrRefused(
      async () => /^maxmemory_policy:(\S+)/m.exec(await redis.info('memory'))?.[1],
    ));
  if (answer === undefined) {
    onUnchecked(
      `cannot read Redis maxmemory-policy (${refusals.join('; ')}): make sure it is noeviction, an evicting policy would silently lose profiles and positions; grant the user +info to have it checked`,
    );
    return;
  }
  const policy = answer.policy;
  if (policy !== undefined && policy !== 'noeviction') {
    throw new StoreError(
      'STORE_EVICTION_POLICY',
      `Redis maxmemory-policy is "${policy}": it may evict Pulse's state. Set maxmemory-policy to noeviction (redis.conf or CONFIG SET maxmemory-policy noeviction).`,
      { policy },
    );
  }
}
