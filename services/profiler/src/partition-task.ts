import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  decodeHeld,
  decodePopulationHurdles,
  decodeFigureTable,
  decodePopulationLatency,
  emptyFigureTable,
  encodeFigureTable,
  decodeProfile,
  decodeTraffic,
  chunkReach,
  dueHorizonMs,
  emptyPartitionState,
  emptyPopulationLatency,
  encodeHeld,
  encodePopulationHurdles,
  encodePopulationLatency,
  encodeProfile,
  encodeTraffic,
  inputsToRecheck,
  isIdle,
  newestAcceptedMs,
  newInputView,
  pausedTopicsToResume,
  stepPartition,
  withLagging,
  withResumed,
  type FittedModel,
  type InputTraffic,
  type InputView,
  type PartitionState,
  type Profile,
  type RulesConfig,
  type StepChunk,
  type StepOutcome,
  type StepRecord,
  TraitStringPool,
} from '@pulse/core';
import type { EventDecoder } from '@pulse/contracts';
import {
  encodeOutboxEntry,
  StoreError,
  type LoadedBatch,
  type PartitionMeta,
  type PartitionStore,
} from '@pulse/store';
import type { BatchControl, InputBatch, InputMessage } from '@pulse/stream';
import { guardSettingsOf, type ProfilerConfig } from './config.ts';
import type { ProfilerMetrics } from './metrics.ts';
import { toOutboxEntry } from './outbox-records.ts';
import { ProfileCache } from './profile-cache.ts';

/** What a partition task needs from the outside world; injected so it is testable. */
export interface PartitionTaskDeps {
  partition: number;
  store: PartitionStore;
  decoder: EventDecoder;
  rules: RulesConfig;
  config: ProfilerConfig;
  metrics: ProfilerMetrics;
  logger: Logger;
  /** Moves the consumer's position of (topic, this partition). */
  seek(topic: string, offset: string): void;
  /** Stops / restarts fetching (topic, this partition). */
  pause(topic: string): void;
  resume(topic: string): void;
  commitHint(positions: { topic: string; offset: string }[]): void;
  /**
   * Log start and end offsets of the input topics for this partition: of `topics` only when
   * given (each topic asked for costs the broker two lookups), of every input otherwise.
   */
  fetchEndOffsets(topics?: readonly string[]): Promise<Map<string, { low: string; high: string }>>;
  /** Called after a commit that wrote outbox entries. */
  onOutbox(): void;
  nowMs(): number;
  /** The purchase model decisions read now (the profiler's model watcher); absent: none. */
  model?(): FittedModel | null;
  /** Customers forgotten by `pulse forget`: their events are consumed, never applied. */
  forgotten?: { syncTo(generation: number): Promise<void>; has(customerId: string): boolean };
}

type TaskState = 'claiming' | 'active' | 'fenced' | 'closed';

/**
 * Decodes a meta field once per distinct value (most loads read back the same one). `remember`
 * primes it with a value the task itself just encoded and committed (the segment figures change
 * with most commits: the next load then reads back what it wrote, without decoding it).
 */
function lastDecoded<T>(
  decode: (text: string) => T,
): ((text: string) => T) & { remember(text: string, value: T): void } {
  let last: { text: string; value: T } | undefined;
  const decoder = (text: string): T => {
    if (last?.text !== text) last = { text, value: decode(text) };
    return last.value;
  };
  decoder.remember = (text: string, value: T): void => {
    last = { text, value };
  };
  return decoder;
}

/** What Redis holds for the partition, as the partition step reads it. */
function partitionStateOf(
  meta: PartitionMeta,
  decoders: {
    population(text: string): PartitionState['population'];
    hurdles(text: string): NonNullable<PartitionState['populationHurdles']>;
    figures(text: string): PartitionState['segmentFigures'];
    traffic(topic: string): (text: string) => InputTraffic;
  },
): PartitionState {
  return {
    offsets: meta.offsets,
    newestAppliedMs: meta.maxEventMs,
    streamTimeMs: meta.streamTimeMs,
    lastEventWallMs: meta.lastEventWallMs,
    traffic: new Map(
      [...meta.traffic].map(([topic, encoded]) => [topic, decoders.traffic(topic)(encoded)]),
    ),
    population:
      meta.population === null ? emptyPopulationLatency() : decoders.population(meta.population),
    populationHurdles:
      meta.populationHurdles === null ? null : decoders.hurdles(meta.populationHurdles),
    // No figures on a partition with a stream time: one written before figures were kept, whose
    // customers they miss (the table says so) until a replay rebuilds the namespace.
    segmentFigures:
      meta.segmentFigures !== null
        ? decoders.figures(meta.segmentFigures)
        : { ...emptyFigureTable(), complete: meta.streamTimeMs === null },
  };
}

/** Fetched records of one input not applied yet: some already decoded, then raw ones. */
interface Pending {
  decoded: StepRecord[];
  messages: InputMessage[];
  /** The high watermark their fetch saw. */
  highWatermark: string;
}

/** The offset of the last record waiting (undecoded ones come after decoded ones). */
function lastOffsetOf(pending: Pending): string | undefined {
  return pending.messages.at(-1)?.offset ?? pending.decoded.at(-1)?.offset;
}

/**
 * One Kafka partition's unit of work and state: partition p of the visits and purchases topics,
 * and everything under the Redis hash tag {namespace:p}. The task does I/O only — decode, one
 * load, the core's partition step, one compare-and-set commit, seek / pause / resume — and
 * serializes its work. Everything the partition decides is the step's (@pulse/core).
 */
export class PartitionTask {
  private state: TaskState = 'claiming';
  /** The last claim gave up (Kafka or Redis away longer than their clients retry). */
  private claimFailed = false;
  private ownerToken = '';
  private meta: PartitionMeta | undefined;
  private partitionState: PartitionState | undefined;
  private view: InputView;
  private queue: Promise<unknown> = Promise.resolve();
  private ready: Promise<void> = Promise.resolve();
  /** Per topic, the newest event time at which the other inputs' lag was last asked of Kafka. */
  private readonly lagCheckedAtEventMs = new Map<string, number>();
  /** Profiles of this task's own commits and loads, good for partition version `cacheVersion`. */
  private readonly cache: ProfileCache;
  /** Trait strings shared by every profile this task decodes (bounded; core's traits-codec). */
  private readonly traitsPool = new TraitStringPool();
  private cacheVersion: number | undefined;
  /** Records behind the high watermark per input after its last commit: whether to cache. */
  private readonly lagByTopic = new Map<string, number>();
  /** The last step's load stopped short of its clock (see `process`). */
  private dueLeftBehind = false;
  /**
   * Records already fetched past where a step cut or stopped their topic, by topic, with the
   * high watermark their fetch saw: applied from memory when the step lets that input go on,
   * before Kafka delivers more of it (the topic stays paused meanwhile). Seeking back and
   * fetching them again cost an ordered two-month log ~15 fetches and decodes per record.
   */
  private readonly parked = new Map<string, Pending>();
  /** Where the last step cut or stopped its chunk's topic (read by `consume`). */
  private lastCut: { topic: string; offset: string; resumeNow: boolean } | undefined;
  /**
   * Meta fields, each decoded once per value: the population statistics and table change rarely;
   * the figures and an input's traffic baseline are read back as the task committed them. (The
   * step never changes a decoded baseline in place: it works on a copy.)
   */
  private readonly trafficDecoders = new Map<
    string,
    ReturnType<typeof lastDecoded<InputTraffic>>
  >();
  private readonly decoders = {
    population: lastDecoded(decodePopulationLatency),
    figures: lastDecoded(decodeFigureTable),
    hurdles: lastDecoded(decodePopulationHurdles),
    traffic: (topic: string) => {
      let decoder = this.trafficDecoders.get(topic);
      if (decoder === undefined) {
        decoder = lastDecoded(decodeTraffic);
        this.trafficDecoders.set(topic, decoder);
      }
      return decoder;
    },
  };

  constructor(private readonly deps: PartitionTaskDeps) {
    this.view = newInputView(this.clockTopics());
    this.cache = new ProfileCache(deps.config.profileCacheBytesPerPartition);
  }

  /** Forgets the cached profiles (a failed or refused commit, a new claim). */
  private dropCache(): void {
    this.cache.clear();
    this.cacheVersion = undefined;
  }

  get partition(): number {
    return this.deps.partition;
  }

  isActive(): boolean {
    return this.state === 'active';
  }

  /** Another writer took the partition's state (a replay's task after `pulse promote`, …). */
  isFenced(): boolean {
    return this.state === 'fenced';
  }

  /** Fenced, or its last claim failed: the owner should claim it again. */
  needsClaim(): boolean {
    return this.state === 'fenced' || (this.state === 'claiming' && this.claimFailed);
  }

  streamTimeMs(): number | null {
    return this.partitionState?.streamTimeMs ?? null;
  }

  /**
   * Takes ownership of the partition's state (fencing any previous writer), then moves the
   * consumer to the positions Redis holds: Redis, not Kafka, says where this partition is.
   */
  claim(ownerToken: string): Promise<void> {
    this.ownerToken = ownerToken;
    this.state = 'claiming';
    this.claimFailed = false;
    this.ready = this.serialize(async () => {
      try {
        await this.claimNow(ownerToken);
      } catch (error) {
        this.claimFailed = true;
        throw error;
      }
    });
    return this.ready;
  }

  private async claimNow(ownerToken: string): Promise<void> {
    this.dropCache();
    const meta = await this.retrying('claim', () => this.deps.store.claim(ownerToken));
    this.meta = meta;
    this.partitionState = partitionStateOf(meta, this.decoders);
    const ends = await this.retrying('end offsets', () => this.deps.fetchEndOffsets());
    const lagging: string[] = [];
    for (const topic of this.inputTopics()) {
      const stored = meta.offsets.get(topic);
      const end = ends.get(topic);
      // No position in Redis: nothing of this input was ever committed here (a new namespace,
      // or a Redis that lost the partition's state, as a failover to a replica that never got
      // the first commit does). Start at the log start, never at the consumer group's
      // committed offset: that one is only a hint, and it may be ahead of what Redis holds,
      // which would skip events for good.
      if (stored !== undefined) this.deps.seek(topic, stored);
      else if (this.deps.config.fromBeginning && end !== undefined) this.deps.seek(topic, end.low);
      const position = stored ?? end?.low ?? '0';
      if (end !== undefined && BigInt(end.high) > BigInt(position)) lagging.push(topic);
    }
    // A fresh view: nothing paused. The consumer may still hold a pause of this task's
    // earlier claim; lift it, the step cuts again where needed.
    this.view = newInputView(
      this.clockTopics(),
      lagging.filter((topic) => topic !== this.deps.config.traitsTopic),
    );
    // Whatever was parked is re-read from the positions just sought.
    this.parked.clear();
    for (const topic of this.inputTopics()) this.deps.resume(topic);
    if (this.state === 'claiming') this.state = 'active';
    this.deps.logger.info(
      {
        partition: this.partition,
        version: meta.version,
        offsets: Object.fromEntries(meta.offsets),
      },
      'partition claimed',
    );
    this.deps.onOutbox();
  }

  close(): void {
    this.state = 'closed';
  }

  handleBatch(batch: InputBatch, control: BatchControl): Promise<void> {
    // The claim queued before this work, not one queued after it: awaiting a later claim from
    // inside the queue would wait for itself (a re-claim while a batch is queued deadlocked).
    const claimed = this.ready;
    return this.serialize(async () => {
      await claimed;
      const parked = this.parked.get(batch.topic);
      if (parked !== undefined) {
        // A fetch under way when the topic was cut: its records follow the parked ones.
        const lastParked = BigInt(lastOffsetOf(parked) ?? '-1');
        for (const message of batch.messages)
          if (BigInt(message.offset) > lastParked) parked.messages.push(message);
        parked.highWatermark = batch.highWatermark;
        return;
      }
      await this.consume(
        batch.topic,
        { decoded: [], messages: batch.messages, highWatermark: batch.highWatermark },
        control,
      );
    });
  }

  /**
   * Applies fetched records of one input, a chunk of at most `maxEventsPerCommit` per step.
   * Where a step cuts the topic (it runs ahead of the other input) the rest is parked until the
   * step resumes the topic; where it stops before a population refresh, the rest goes on now.
   */
  private async consume(topic: string, input: Pending, control: BatchControl): Promise<void> {
    const { maxEventsPerCommit } = this.deps.config;
    const { messages, highWatermark } = input;
    // Records decoded by an earlier step that cut before them: not decoded twice.
    let decoded = input.decoded;
    let next = 0;
    while (decoded.length > 0 || next < messages.length) {
      if (this.state !== 'active' || !control.shouldContinue()) return;
      const raw = messages.slice(next, next + Math.max(0, maxEventsPerCommit - decoded.length));
      next += raw.length;
      const fresh = raw.length > 0 ? await this.decode(topic, raw) : [];
      this.deps.metrics.recordsRead.inc({ topic }, raw.length);
      const records = decoded.length > 0 ? decoded.concat(fresh) : fresh;
      decoded = [];
      const lastOffset = records.at(-1)?.offset ?? '-1';
      const chunk: StepChunk = {
        topic,
        records,
        reachesLogEnd: next >= messages.length && BigInt(highWatermark) <= BigInt(lastOffset) + 1n,
      };
      this.lastCut = undefined;
      if (await this.process(chunk, control, undefined, highWatermark)) {
        await control.heartbeat().catch(() => undefined);
        continue;
      }
      const cut = this.lastCut as PartitionTask['lastCut'];
      if (cut === undefined || cut.topic !== topic || this.state !== 'active') return;
      const at = records.findIndex((record) => record.offset === cut.offset);
      if (at < 0) {
        // Not a record of this chunk (cannot happen: the step cuts at one): read it again.
        this.deps.seek(topic, cut.offset);
        if (cut.resumeNow) this.deps.resume(topic);
        return;
      }
      decoded = records.slice(at);
      if (!cut.resumeNow) {
        this.parked.set(topic, { decoded, messages: messages.slice(next), highWatermark });
        return;
      }
    }
  }

  /** Lets an input go on: its parked records first (in the task's queue), then Kafka. */
  private resumeInput(topic: string): void {
    if (!this.parked.has(topic)) {
      this.deps.resume(topic);
      return;
    }
    const control: BatchControl = {
      heartbeat: () => Promise.resolve(),
      shouldContinue: () => this.state === 'active',
    };
    void this.serialize(async () => {
      const parked = this.parked.get(topic);
      if (parked === undefined || this.state !== 'active') return;
      this.parked.delete(topic);
      // The high watermark their fetch saw is old now: when the parked records reach it, records
      // produced since must count, or the last parked record would say the topic caught up and
      // let the other input run past them (a fetch again, as before parking, would have brought
      // a fresh one); the end is asked again then. Parked records short of it (a backlog: the
      // fetch stopped at its byte limit) say "not caught up" under any later high watermark
      // too, since it only grows: no lookup (during a drain most parks are such).
      let highWatermark = parked.highWatermark;
      const lastParked = lastOffsetOf(parked);
      if (lastParked === undefined || BigInt(highWatermark) <= BigInt(lastParked) + 1n) {
        const ends = await this.retrying('end offsets', () => this.deps.fetchEndOffsets([topic]));
        highWatermark = ends.get(topic)?.high ?? highWatermark;
      }
      await this.consume(topic, { ...parked, highWatermark }, control);
      if (this.state === 'active' && !this.parked.has(topic)) this.deps.resume(topic);
    }).catch((error: unknown) => {
      this.deps.logger.error(
        { partition: this.partition, topic, err: (error as Error).message },
        'applying parked records failed; reading them again from the stored position',
      );
      this.parked.delete(topic);
      this.claimFailed = true;
      this.state = 'claiming';
    });
  }

  /**
   * Tick: fire the timers and judge the holds whose time came, resume inputs that no longer
   * wait for anything, and — when the partition is idle — move its stream time up to
   * `idleStreamTimeMs` (the group's clock).
   */
  tick(idleStreamTimeMs?: number): Promise<void> {
    const claimed = this.ready;
    return this.serialize(async () => {
      await claimed;
      if (this.state !== 'active') return;
      const resumed = pausedTopicsToResume(this.view);
      this.view = withResumed(this.view, resumed);
      for (const topic of resumed) this.resumeInput(topic);
      const idle =
        idleStreamTimeMs !== undefined &&
        this.isIdle(this.deps.nowMs()) &&
        (await this.inputsReallyCaughtUp());
      await this.process(undefined, undefined, idle ? idleStreamTimeMs : undefined);
    });
  }

  /** Caught up and without input for `idleAfterMs` of wall time (see the core's `isIdle`). */
  isIdle(nowMs: number): boolean {
    if (this.state !== 'active') return false;
    const lastEventWallMs = this.partitionState?.lastEventWallMs ?? null;
    return isIdle(this.view, lastEventWallMs, nowMs, this.deps.config.idleAfterMs);
  }

  /**
   * Before its clock follows the group's, an idle partition asks Kafka whether its inputs really
   * have nothing left: "caught up" was learnt from the last batch, and a consumer that has not
   * fetched for a while (a rebalance, a loaded machine) would otherwise move the clock past
   * records waiting in Kafka and make them late.
   */
  private async inputsReallyCaughtUp(): Promise<boolean> {
    const ends = await this.retrying('end offsets', () =>
      this.deps.fetchEndOffsets(this.clockTopics()),
    );
    let caughtUp = true;
    // Traits waiting in Kafka do not hold the clock (core): only the clock's inputs count.
    for (const topic of this.clockTopics()) {
      const end = ends.get(topic);
      const position = this.partitionState?.offsets.get(topic) ?? end?.low ?? '0';
      if (end !== undefined && BigInt(end.high) > BigInt(position)) {
        this.view = withLagging(this.view, topic, true);
        caughtUp = false;
      }
    }
    return caughtUp;
  }

  /** Every input this task reads: the clock's two and the traits. */
  private inputTopics(): string[] {
    return [...this.clockTopics(), this.deps.config.traitsTopic];
  }

  /** The inputs of the stream clock (the InputView's topics); traits are outside it (core). */
  private clockTopics(): string[] {
    return [this.deps.config.visitsTopic, this.deps.config.purchasesTopic];
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Decoding needs no state: it happens once, outside the commit retry loop. Bad bytes are a
   * verdict, not an error; only an unreachable schema registry throws, and that is retried
   * (dead-lettering good events for an outage would lose them).
   */
  private async decode(topic: string, messages: InputMessage[]): Promise<StepRecord[]> {
    const { config } = this.deps;
    const kind =
      topic === config.purchasesTopic
        ? 'purchase'
        : topic === config.traitsTopic
          ? ('traits' as const)
          : 'visit';
    const { decoder } = this.deps;
    const records: StepRecord[] = new Array<StepRecord>(messages.length);
    for (let index = 0; index < messages.length; index += 1) {
      const message = messages[index]!;
      // JSON and Avro of a known schema decode without waiting; an Avro schema id not read
      // yet asks the registry (retried while it is away).
      // The same call twice: each branch picks one of the decoder's overloads (traits records
      // decode to a traits verdict, events to an event verdict).
      const verdict: StepRecord['verdict'] =
        kind === 'traits'
          ? (decoder.decodeSync(kind, message.value, message) ??
            (await this.retrying('decode', () => decoder.decode(kind, message.value, message))))
          : (decoder.decodeSync(kind, message.value, message) ??
            (await this.retrying('decode', () => decoder.decode(kind, message.value, message))));
      records[index] = { offset: message.offset, key: message.key, value: message.value, verdict };
    }
    return records;
  }

  /**
   * Load → step → commit, retried while Redis is away. Returns false when the task must stop
   * consuming this batch (fenced, or repositioned / paused by the step).
   */
  private async process(
    chunk: StepChunk | undefined,
    control: BatchControl | undefined,
    idleStreamTimeMs: number | undefined,
    highWatermark?: string,
  ): Promise<boolean> {
    const { deps } = this;
    const startedAt = process.hrtime.bigint();
    const nowMs = deps.nowMs();
    if (chunk !== undefined && chunk.topic !== deps.config.traitsTopic)
      await this.recheckOtherInputsLag(chunk, nowMs);
    // Set once the work itself committed, while customers it could not load are still due.
    let settledOutcome: 'committed' | 'repositioned' | 'paused' | undefined;
    for (let attempt = 0; ; attempt += 1) {
      if (this.state !== 'active') return false;
      try {
        const outcome =
          settledOutcome === undefined
            ? await this.stepAndCommit(chunk, nowMs, idleStreamTimeMs, highWatermark)
            : await this.stepAndCommit(undefined, nowMs, undefined, undefined);
        settledOutcome ??= outcome;
        // The step's load looked only up to a refresh of the population table the clock then
        // passed: the customers due after it are swept now, not a tick later.
        if (this.dueLeftBehind) continue;
        if (settledOutcome === 'repositioned' || settledOutcome === 'paused') return false;
        deps.metrics.batchDuration.observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
        return true;
      } catch (error) {
        // Whatever went wrong, what Redis holds is no longer known: start from it again.
        this.dropCache();
        if (error instanceof StoreError && error.code === 'STORE_FENCED') {
          this.state = 'fenced';
          deps.metrics.fenced.inc();
          deps.logger.warn(
            { partition: this.partition },
            'fenced: another member owns this partition now',
          );
          return false;
        }
        if (error instanceof StoreError && error.code === 'STORE_VERSION_CONFLICT') {
          deps.metrics.casConflicts.inc();
          continue;
        }
        if (error instanceof StoreError && error.retriable) {
          deps.metrics.retries.inc();
          deps.metrics.ready.set(0);
          deps.logger.warn(
            { partition: this.partition, topic: chunk?.topic, attempt, err: error.message },
            'store unavailable; retrying the batch',
          );
          await sleep(this.backoffMs(attempt));
          await control?.heartbeat().catch(() => undefined);
          if (control && !control.shouldContinue()) return false;
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * Before a chunk runs more than the allowed lateness past another input believed caught up,
   * ask Kafka whether records arrived there meanwhile (the core says when; see
   * `inputsToRecheck`): otherwise a backlog on one input could move the clock past records
   * still waiting on the other and make them late.
   */
  private async recheckOtherInputsLag(chunk: StepChunk, nowMs: number): Promise<void> {
    const newest = newestAcceptedMs(chunk, nowMs, this.deps.rules);
    const suspects = inputsToRecheck(
      chunk.topic,
      newest,
      this.lagCheckedAtEventMs.get(chunk.topic) ?? Number.NEGATIVE_INFINITY,
      this.partitionState?.newestAppliedMs ?? new Map(),
      this.view,
      this.deps.rules.allowedLatenessMs,
    );
    if (suspects.length === 0) return;
    const ends = await this.retrying('end offsets', () => this.deps.fetchEndOffsets(suspects));
    let allCaughtUp = true;
    for (const other of suspects) {
      const end = ends.get(other);
      const position = this.partitionState?.offsets.get(other) ?? end?.low ?? '0';
      if (end !== undefined && BigInt(end.high) > BigInt(position)) {
        this.view = withLagging(this.view, other, true);
        allCaughtUp = false;
      }
    }
    // Once the other input says "caught up" again (from its own batch, whose high watermark
    // may be stale), ask at once rather than after the step.
    if (allCaughtUp) this.lagCheckedAtEventMs.set(chunk.topic, newest);
  }

  private backoffMs(attempt: number): number {
    const { retryInitialMs, retryMaxMs } = this.deps.config;
    return Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(attempt, 16));
  }

  private async retrying<T>(what: string, operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await operation();
      } catch (error) {
        if (this.state === 'closed') throw error;
        const retriable = (error as { retriable?: unknown }).retriable;
        if (retriable === false) throw error;
        this.deps.metrics.retries.inc();
        this.deps.logger.warn(
          { partition: this.partition, attempt, err: (error as Error).message },
          `${what} failed; retrying`,
        );
        await sleep(this.backoffMs(attempt));
      }
    }
  }

  private async stepAndCommit(
    fetched: StepChunk | undefined,
    nowMs: number,
    idleStreamTimeMs: number | undefined,
    highWatermark: string | undefined,
  ): Promise<'committed' | 'repositioned' | 'paused'> {
    const { deps } = this;
    const { rules, config } = deps;
    // Only the records up to where the step would cut the topic: the customers of the rest are
    // not loaded, nor due customers looked up past them (a cut threw that work away). The rest
    // goes on at once, as after a stop (`lastCut` with resumeNow).
    const reach =
      fetched === undefined
        ? 0
        : chunkReach(
            fetched,
            this.partitionState ?? emptyPartitionState(),
            this.view,
            nowMs,
            rules,
          );
    const rest = fetched === undefined ? undefined : fetched.records[reach];
    const chunk: StepChunk | undefined =
      fetched === undefined || rest === undefined
        ? fetched
        : { topic: fetched.topic, records: fetched.records.slice(0, reach), reachesLogEnd: false };
    const customerIds = new Set<string>();
    for (const { verdict } of chunk?.records ?? []) {
      if (verdict.ok) customerIds.add(verdict.event.customerId);
    }
    const horizon = dueHorizonMs(
      this.partitionState ?? emptyPartitionState(),
      this.view,
      chunk,
      nowMs,
      rules,
      idleStreamTimeMs,
    );
    const cached =
      this.cacheVersion !== undefined && this.cache.size > 0
        ? {
            version: this.cacheVersion,
            has: (id: string) => this.cache.has(id),
            dueBy: (horizonMs: number) => this.cache.dueBy(horizonMs),
          }
        : undefined;
    this.dueLeftBehind = false;
    const loaded = await deps.store.load(
      [...customerIds],
      horizon,
      config.maxDuePerSweep,
      cached,
      this.ownerToken,
    );
    if (!loaded.cacheGood) this.dropCache();
    const meta = loaded.meta;
    if (meta.owner !== this.ownerToken) {
      throw new StoreError('STORE_FENCED', 'the partition has another owner', {
        partition: this.partition,
      });
    }
    await deps.forgotten?.syncTo(meta.forgottenGeneration);
    const state = partitionStateOf(meta, this.decoders);
    const lookup = profileLookup(loaded, this.cache, this.traitsPool);

    const result = stepPartition(
      {
        state,
        view: this.view,
        ...(chunk !== undefined ? { chunk } : {}),
        profiles: lookup,
        due: loaded.due.map(({ customerId }) => customerId),
        held: new Map([...loaded.held].map(([id, payload]) => [id, decodeHeld(payload)])),
        timedCustomers: loaded.timedCustomers,
        dueListComplete: loaded.due.length < config.maxDuePerSweep,
        // Computed from the task's view of the state, which may be older than the load's.
        dueLoadedUpToMs: horizon,
        model: deps.model?.() ?? null,
        ...(idleStreamTimeMs !== undefined ? { idleStreamTimeMs } : {}),
        nowMs,
        ...(deps.forgotten ? { isForgotten: (id: string) => deps.forgotten!.has(id) } : {}),
      },
      rules,
      {
        partition: this.partition,
        routing: config,
        guard: guardSettingsOf(config),
        traitsTopic: config.traitsTopic,
      },
    );

    if (result.kind === 'reposition') {
      deps.logger.warn(
        { partition: this.partition, topic: result.topic, expected: result.offset },
        'consumer ahead of the stored position; seeking back',
      );
      deps.seek(result.topic, result.offset);
      // Records parked for it are dropped with everything else read past that position.
      if (this.parked.delete(result.topic)) deps.resume(result.topic);
      this.meta = meta;
      this.partitionState = state;
      return 'repositioned';
    }

    let version = meta.version;
    const encoded = new Map<string, Uint8Array>();
    for (const [id, profile] of result.profiles) encoded.set(id, encodeProfile(profile));
    const figuresText =
      result.figuresChanged || meta.segmentFigures === null
        ? encodeFigureTable(result.state.segmentFigures)
        : undefined;
    const trafficText = new Map(
      [...result.trafficChanged].map((topic) => [
        topic,
        encodeTraffic(result.state.traffic.get(topic)!),
      ]),
    );
    if (result.changed) {
      const commitStartedAt = process.hrtime.bigint();
      // Not the due times the index already holds (about a quarter of a drain's): the cache
      // knows them while it is good, and it is (the load said so, or it was dropped).
      const due = [...result.due].filter(([id, dueMs]) => !this.cache.holdsDue(id, dueMs));
      version = await deps.store.commit({
        ownerToken: this.ownerToken,
        expectedVersion: meta.version,
        offsets: new Map(result.offsets),
        maxEventMs: new Map(result.state.newestAppliedMs),
        streamTimeMs: result.state.streamTimeMs,
        ...(result.state.lastEventWallMs !== null
          ? { lastEventWallMs: result.state.lastEventWallMs }
          : {}),
        commitWallMs: nowMs,
        traffic: trafficText,
        ...(result.populationChanged
          ? {
              population: {
                statistics: encodePopulationLatency(result.state.population),
                hurdles:
                  result.state.populationHurdles === null
                    ? null
                    : encodePopulationHurdles(result.state.populationHurdles),
              },
            }
          : {}),
        // Written when they changed, and with the partition's first commit by a version that
        // keeps them (so a partition with a stream time and no figures is one an older version
        // wrote: the read side then says its figures are incomplete).
        ...(figuresText !== undefined ? { segmentFigures: figuresText } : {}),
        profiles: [...encoded],
        due,
        outbox: result.outbox.map((item) => encodeOutboxEntry(toOutboxEntry(item))),
        held: [...result.held].map(([id, entry]) => [id, entry && encodeHeld(entry)]),
      });
      deps.metrics.commitDuration.observe(Number(process.hrtime.bigint() - commitStartedAt) / 1e9);
      deps.metrics.storeWrites.inc({ entry: 'profile' }, encoded.size);
      deps.metrics.storeWrites.inc({ entry: 'timer' }, due.length);
    }
    this.meta = { ...meta, version };
    // What Redis now holds for every customer this step read or wrote, decoded: good for the
    // version just committed.
    for (const [id, profile] of result.profiles)
      this.cache.set(id, profile, encoded.get(id)!.length);
    for (const [id, entry] of lookup.decoded) {
      // Read from the cache (encodedBytes 0): already there.
      if (!result.profiles.has(id) && entry.encodedBytes > 0)
        this.cache.set(id, entry.profile, entry.encodedBytes);
    }
    if (result.changed) for (const [id, dueMs] of result.due) this.cache.setDue(id, dueMs);
    if (result.changed && figuresText !== undefined)
      this.decoders.figures.remember(figuresText, result.state.segmentFigures);
    if (result.changed) {
      for (const [topic, text] of trafficText)
        this.decoders.traffic(topic).remember(text, result.state.traffic.get(topic)!);
    }
    this.cacheVersion = version;
    this.partitionState = result.state;
    this.view = result.view;
    this.dueLeftBehind =
      horizon !== null &&
      result.state.streamTimeMs !== null &&
      horizon < result.state.streamTimeMs &&
      loaded.due.length < config.maxDuePerSweep;
    this.recordMetrics(chunk?.topic, result, highWatermark);

    if (result.outbox.length > 0) deps.onOutbox();
    deps.metrics.ready.set(1);
    // The records from the cut (or the stop before a refresh of the population table) on are
    // the caller's (`consume`): parked until the topic resumes, or applied next.
    if (result.cut !== undefined) {
      deps.pause(result.cut.topic);
      this.lastCut = { ...result.cut, resumeNow: false };
    }
    // A chunk taken only up to its reach stops where the rest begins.
    const stoppedAt =
      result.stopped ??
      (result.cut === undefined && rest !== undefined
        ? { topic: chunk!.topic, offset: rest.offset }
        : undefined);
    if (stoppedAt !== undefined) this.lastCut = { ...stoppedAt, resumeNow: true };
    for (const topic of result.resume) this.resumeInput(topic);
    return result.cut !== undefined || stoppedAt !== undefined ? 'paused' : 'committed';
  }

  /**
   * Draining a backlog (`profileCacheMinLag` records or more behind an input), the cache keeps
   * decoded profiles (throughput); caught up (within a fifth of that), it keeps none (short
   * collector pauses: the live latency); in between it goes on as it was. At 10,000 events/s
   * over 12 partitions a caught-up task is a few hundred records behind.
   */
  private chooseCacheUse(): void {
    const { profileCacheMinLag } = this.deps.config;
    let most = 0;
    for (const lag of this.lagByTopic.values()) most = Math.max(most, lag);
    if (most >= profileCacheMinLag) this.cache.keep(true);
    else if (most <= profileCacheMinLag / 5) this.cache.keep(false);
  }

  private recordMetrics(
    topic: string | undefined,
    result: StepOutcome,
    highWatermark: string | undefined,
  ): void {
    const { metrics, config, logger } = this.deps;
    const { counts } = result;
    if (topic !== undefined) {
      // Traits records merged count as applied on their own topic.
      metrics.eventsApplied.inc({ topic }, counts.outcomes.applied + counts.traits);
      metrics.eventsLate.inc({ topic }, counts.outcomes.late);
      metrics.eventsDuplicate.inc({ topic }, counts.outcomes.duplicate);
      metrics.eventsForgotten.inc({ topic }, counts.forgotten);
      for (const [reason, count] of counts.deadLetters)
        metrics.eventsDeadLettered.inc({ topic, reason }, count);
      const next = result.offsets.get(topic);
      if (next !== undefined && highWatermark !== undefined) {
        const lag = Number(BigInt(highWatermark) - BigInt(next));
        metrics.lag.set({ topic, partition: String(this.partition) }, lag);
        this.deps.commitHint([{ topic, offset: next }]);
        this.lagByTopic.set(topic, lag);
        this.chooseCacheUse();
      }
    }
    for (const [kind, count] of counts.signals)
      metrics.signalsEmitted.inc({ kind, mode: config.signalMode }, count);
    for (const [reason, count] of counts.held) metrics.signalsHeld.inc({ reason }, count);
    if (counts.released > 0) metrics.signalsHeldReleased.inc(counts.released);
    if (counts.discarded > 0) metrics.signalsHeldDiscarded.inc(counts.discarded);
    const { total, clockOnly } = counts.timerLooks;
    if (total > clockOnly) metrics.timerLooks.inc({ outcome: 'decided' }, total - clockOnly);
    if (clockOnly > 0) metrics.timerLooks.inc({ outcome: 'clock_only' }, clockOnly);
    if (result.storm) {
      logger.warn(
        { partition: this.partition, ...result.storm },
        "lapse storm: holding this sweep's lapses",
      );
    }
    const streamTimeMs = result.state.streamTimeMs;
    if (streamTimeMs !== null)
      metrics.streamTime.set({ partition: String(this.partition) }, streamTimeMs);
  }
}

/**
 * The profiles a step reads: from the task's cache while it is good, else the stored bytes of
 * the load, decoded on first use (a due customer may need none). `decoded` lists what was read,
 * with its encoded size (0 for a cached one), for the cache.
 */
function profileLookup(
  loaded: LoadedBatch,
  cache: ProfileCache,
  traitsPool: TraitStringPool,
): {
  get(customerId: string): Profile | undefined;
  decoded: Map<string, { profile: Profile; encodedBytes: number }>;
} {
  const bytes = new Map(loaded.profiles);
  for (const { customerId, profile } of loaded.due) if (profile) bytes.set(customerId, profile);
  const decoded = new Map<string, { profile: Profile; encodedBytes: number }>();
  return {
    decoded,
    get(customerId) {
      const known = decoded.get(customerId);
      if (known) return known.profile;
      const fromCache = loaded.cacheGood ? cache.get(customerId) : undefined;
      if (fromCache) {
        decoded.set(customerId, { profile: fromCache, encodedBytes: 0 });
        return fromCache;
      }
      const stored = bytes.get(customerId);
      if (!stored) return undefined;
      const profile = decodeProfile(stored, { traitsPool });
      decoded.set(customerId, { profile, encodedBytes: stored.length });
      return profile;
    },
  };
}
