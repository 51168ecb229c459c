import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  advance,
  applyEvent,
  checkEventTime,
  decodeProfile,
  dueTimeMs,
  encodeProfile,
  type Profile,
  type RulesConfig,
  type Signal,
} from '@pulse/core';
import { buildDeadLetter, type DlqErrorKind, type EventDecoder } from '@pulse/contracts';
import {
  LAST_EVENT_WALL_FIELD,
  SILENT_WINDOWS_FIELD,
  StoreError,
  type PartitionMeta,
  type PartitionStore,
} from '@pulse/store';
import type { BatchControl, InputBatch, InputMessage } from '@pulse/stream';
import type { ProfilerConfig } from './config.ts';
import type { ProfilerMetrics } from './metrics.ts';
import {
  decodeHeld,
  encodeHeld,
  holdDeadlineMs,
  inSilentWindow,
  MAX_SILENT_WINDOWS,
  type HoldReason,
} from './hold.ts';
import { deadLetterEntry, encodeOutboxEntry, type OutboxEntry } from './outbox.ts';
import { deadLetterTopicOf } from './dead-letter-route.ts';
import { streamTimeOf } from './stream-clock.ts';

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
  /** Log end offsets of the input topics for this partition. */
  fetchEndOffsets(): Promise<Map<string, { low: string; high: string }>>;
  /** Called after a commit that wrote outbox entries. */
  onOutbox(): void;
  nowMs(): number;
  /** Customers forgotten by `pulse forget`: their events are consumed, never applied. */
  forgotten?: { syncTo(generation: number): Promise<void>; has(customerId: string): boolean };
}

type TaskState = 'claiming' | 'active' | 'fenced' | 'closed';

interface SweepOptions {
  /** Stream time an idle partition may move up to (the group's low watermark). */
  idleStreamTimeMs?: number;
  /** Customers whose held lapse has waited long enough to be released or discarded. */
  ripeHeld: Set<string>;
}

/**
 * One Kafka partition's unit of work and state: partition p of the
 * visits and purchases topics, and everything under the Redis hash tag {namespace:p}. Work is
 * serialized per task; each batch is one load and one compare-and-set commit.
 */
export class PartitionTask {
  private state: TaskState = 'claiming';
  private ownerToken = '';
  private meta: PartitionMeta | undefined;
  private readonly lagging = new Map<string, boolean>();
  /** Input topics this task paused because they ran ahead of the other one. */
  private readonly paused = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private ready: Promise<void> = Promise.resolve();

  constructor(private readonly deps: PartitionTaskDeps) {}

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

  streamTimeMs(): number | null {
    return this.meta?.streamTimeMs ?? null;
  }

  /**
   * Takes ownership of the partition's state (fencing any previous writer), then moves the
   * consumer to the positions Redis holds: Redis, not Kafka, says where this partition is.
   */
  claim(ownerToken: string): Promise<void> {
    this.ownerToken = ownerToken;
    this.state = 'claiming';
    this.ready = this.serialize(async () => {
      const meta = await this.retrying('claim', () => this.deps.store.claim(ownerToken));
      this.meta = meta;
      const ends = await this.retrying('end offsets', () => this.deps.fetchEndOffsets());
      for (const topic of this.inputTopics()) {
        const stored = meta.offsets.get(topic);
        const end = ends.get(topic);
        if (stored !== undefined) this.deps.seek(topic, stored);
        const position = stored ?? end?.low ?? '0';
        this.lagging.set(topic, end !== undefined && BigInt(end.high) > BigInt(position));
      }
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
    });
    return this.ready;
  }

  close(): void {
    this.state = 'closed';
    this.paused.clear();
  }

  handleBatch(batch: InputBatch, control: BatchControl): Promise<void> {
    // The claim queued before this work, not one queued after it: awaiting a later claim from
    // inside the queue would wait for itself (a re-claim while a batch is queued deadlocked).
    const claimed = this.ready;
    return this.serialize(async () => {
      await claimed;
      for (
        let start = 0;
        start < batch.messages.length;
        start += this.deps.config.maxEventsPerCommit
      ) {
        if (this.state !== 'active' || !control.shouldContinue()) return;
        const chunk = batch.messages.slice(start, start + this.deps.config.maxEventsPerCommit);
        const last = start + chunk.length >= batch.messages.length;
        const ok = await this.processChunk(batch, chunk, last, control);
        if (!ok) return;
        await control.heartbeat().catch(() => undefined);
      }
    });
  }

  /**
   * Tick: sweep customers whose due time the stream time has passed, release or discard held
   * lapses whose confirmation time has come, and — when the partition is idle — move its stream
   * time up to `idleStreamTimeMs` (the low watermark of the group's active partitions).
   */
  tick(idleStreamTimeMs?: number): Promise<void> {
    const claimed = this.ready;
    return this.serialize(async () => {
      await claimed;
      if (this.state !== 'active') return;
      // A paused topic waits only for a topic that still has records to deliver.
      for (const topic of [...this.paused.keys()]) {
        const waitingFor = this.inputTopics().filter(
          (other) => other !== topic && this.lagging.get(other),
        );
        if (waitingFor.length === 0) {
          this.paused.delete(topic);
          this.deps.resume(topic);
        }
      }
      const streamTimeMs = this.meta?.streamTimeMs ?? null;
      const ripeHeld = new Set<string>();
      if ((await this.deps.store.heldCount()) > 0) {
        const now = Math.max(streamTimeMs ?? 0, idleStreamTimeMs ?? 0);
        for (const [customerId, payload] of await this.deps.store.readHeld()) {
          if (now >= holdDeadlineMs(decodeHeld(payload), this.deps.config.holdConfirmMs))
            ripeHeld.add(customerId);
        }
      }
      await this.processChunk(undefined, [], true, undefined, { idleStreamTimeMs, ripeHeld });
    });
  }

  /**
   * True when neither input has records to read and none arrived for `idleAfterMs`. A partition
   * that has never applied an event is not idle: it holds no customer and no timer, so moving
   * its clock up to the group's would only turn its first events late (found by the demo on a
   * live stream that reaches one partition later than the others).
   */
  isIdle(nowMs: number): boolean {
    if (this.state !== 'active' || this.paused.size > 0) return false;
    if (this.inputTopics().some((topic) => this.lagging.get(topic))) return false;
    const last = this.meta?.lastEventWallMs ?? null;
    return last !== null && nowMs - last >= this.deps.config.idleAfterMs;
  }

  private inputTopics(): string[] {
    return [this.deps.config.visitsTopic, this.deps.config.purchasesTopic];
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Decode → load → drop what Redis already has → apply → sweep due → commit. Returns false
   * when the task must stop consuming this batch (fenced, or repositioned after a gap).
   */
  private async processChunk(
    batch: InputBatch | undefined,
    messages: InputMessage[],
    lastOfBatch: boolean,
    control: BatchControl | undefined,
    sweep: SweepOptions = { ripeHeld: new Set() },
  ): Promise<boolean> {
    const { deps } = this;
    const topic = batch?.topic;
    const startedAt = process.hrtime.bigint();
    const nowMs = deps.nowMs();
    const kind = topic === deps.config.purchasesTopic ? 'purchase' : 'visit';

    // Decoding needs no state: do it once, outside the commit retry loop. Bad bytes are a
    // verdict, not an error; only an unreachable schema registry throws, and that is retried
    // (dead-lettering good events for an outage would lose them).
    const decoded = await this.retrying('decode', () =>
      Promise.all(
        messages.map(async (message) => ({
          message,
          result: await deps.decoder.decode(kind, message.value, { key: message.key }),
        })),
      ),
    );
    await this.recheckOtherInputsLag(topic, decoded, nowMs);

    for (let attempt = 0; ; attempt += 1) {
      if (this.state !== 'active') return false;
      try {
        const outcome = await this.applyAndCommit(batch, decoded, lastOfBatch, nowMs, sweep);
        if (outcome === 'repositioned' || outcome === 'paused') return false;
        deps.metrics.batchDuration.observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
        return true;
      } catch (error) {
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
            { partition: this.partition, topic, attempt, err: error.message },
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

  // ── Fresh lag of the other input before a chunk runs ahead of it ──────────────────────
  // `lagging` of an input is learnt at claim time and from that input's own batches, so it
  // goes stale when the input was caught up (or empty) and records arrived since: a backlog
  // on visits (after a Redis outage, or a stream that starts after the profiler) would then
  // move the clock past purchases still waiting in Kafka and make them late. Found by
  // test/profiler/poison.test.ts. Before a chunk runs more than the allowed lateness ahead of
  // an input believed caught up, ask Kafka; once Kafka confirmed it caught up, ask again only
  // after the chunks moved a quarter of the lateness further in event time (a quiet purchases
  // partition costs one lookup per 12 h of event time, not one per batch).
  private readonly lagRecheckedAtEventMs = new Map<string, number>();

  private async recheckOtherInputsLag(
    topic: string | undefined,
    decoded: { result: Awaited<ReturnType<EventDecoder['decode']>> }[],
    nowMs: number,
  ): Promise<void> {
    if (topic === undefined) return;
    const { rules } = this.deps;
    let newestMs = Number.NEGATIVE_INFINITY;
    for (const { result } of decoded) {
      if (result.ok && checkEventTime(result.event.occurredAtMs, nowMs, rules).ok)
        newestMs = Math.max(newestMs, result.event.occurredAtMs);
    }
    const lateness = rules.allowedLatenessMs;
    const checkedAtMs = this.lagRecheckedAtEventMs.get(topic) ?? Number.NEGATIVE_INFINITY;
    if (newestMs < checkedAtMs + lateness / 4) return;
    const suspect = this.inputTopics().filter(
      (other) =>
        other !== topic &&
        !this.lagging.get(other) &&
        !this.paused.has(other) &&
        (this.meta?.maxEventMs.get(other) ?? Number.NEGATIVE_INFINITY) + lateness < newestMs,
    );
    if (suspect.length === 0) return;
    const ends = await this.retrying('end offsets', () => this.deps.fetchEndOffsets());
    let allCaughtUp = true;
    for (const other of suspect) {
      const end = ends.get(other);
      const position = this.meta?.offsets.get(other) ?? end?.low ?? '0';
      if (end !== undefined && BigInt(end.high) > BigInt(position)) {
        this.lagging.set(other, true);
        allCaughtUp = false;
      }
    }
    // Once the other input says "caught up" again (from its own batch, whose high watermark
    // may be stale), ask at once rather than after the step.
    if (allCaughtUp) this.lagRecheckedAtEventMs.set(topic, newestMs);
  }
  // ── end of the lag recheck ─────────────────────────────────────────────────────────────

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

  private async applyAndCommit(
    batch: InputBatch | undefined,
    decoded: { message: InputMessage; result: Awaited<ReturnType<EventDecoder['decode']>> }[],
    lastOfBatch: boolean,
    nowMs: number,
    sweep: SweepOptions,
  ): Promise<'committed' | 'repositioned' | 'paused'> {
    const { ripeHeld } = sweep;
    const { deps } = this;
    const { rules, config } = deps;
    const topic = batch?.topic;

    // The clock inputs as far as this chunk can move them, to know which due customers to load.
    const acceptedTimes = decoded.flatMap(({ result }) =>
      result.ok && checkEventTime(result.event.occurredAtMs, nowMs, rules).ok
        ? [result.event.occurredAtMs]
        : [],
    );
    const customerIds = [
      ...new Set([
        ...decoded.flatMap(({ result }) => (result.ok ? [result.event.customerId] : [])),
        ...ripeHeld,
      ]),
    ];
    const metaBefore = this.meta;
    const clockHorizon = this.clock(metaBefore, topic, acceptedTimes, batch, lastOfBatch);
    const horizon =
      sweep.idleStreamTimeMs === undefined
        ? clockHorizon
        : Math.max(clockHorizon ?? sweep.idleStreamTimeMs, sweep.idleStreamTimeMs);

    const loaded = await deps.store.load(customerIds, horizon, config.maxDuePerSweep);
    const meta = loaded.meta;
    if (meta.owner !== this.ownerToken) {
      throw new StoreError('STORE_FENCED', 'the partition has another owner', {
        partition: this.partition,
      });
    }
    await deps.forgotten?.syncTo(meta.forgottenGeneration);
    let forgottenEvents = 0;

    // Redis is the truth for positions: skip what it already has, reposition on a gap.
    let fresh = decoded;
    if (topic !== undefined && decoded.length > 0) {
      const next = meta.offsets.get(topic);
      if (next !== undefined) {
        const first = BigInt(decoded[0]?.message.offset ?? '0');
        if (first > BigInt(next)) {
          deps.logger.warn(
            { partition: this.partition, topic, expected: next, got: String(first) },
            'consumer ahead of the stored position; seeking back',
          );
          deps.seek(topic, next);
          this.meta = meta;
          return 'repositioned';
        }
        fresh = decoded.filter(({ message }) => BigInt(message.offset) >= BigInt(next));
      }
    }

    const profiles = new Map<string, Profile>();
    const touched = new Set<string>();
    const outbox: OutboxEntry[] = [];
    const maxEventMs = new Map(meta.maxEventMs);
    let streamTimeMs = meta.streamTimeMs;
    const counts = { applied: 0, late: 0, duplicate: 0 };
    const deadLetters = new Map<DlqErrorKind, number>();

    const profileOf = (customerId: string): Profile | undefined => {
      const cached = profiles.get(customerId);
      if (cached) return cached;
      const bytes = loaded.profiles.get(customerId);
      return bytes ? decodeProfile(bytes) : undefined;
    };
    const deadLetterTopic = deadLetterTopicOf(config);
    const deadLetter = (message: InputMessage, kindOfError: DlqErrorKind, text: string): void => {
      deadLetters.set(kindOfError, (deadLetters.get(kindOfError) ?? 0) + 1);
      if (deadLetterTopic === null) return;
      const reason = {
        kind: kindOfError,
        message: text,
        sourceTopic: topic ?? '',
        sourcePartition: this.partition,
        sourceOffset: message.offset,
      };
      outbox.push(deadLetterEntry(deadLetterTopic, buildDeadLetter(reason, message)));
    };
    const publish = (signal: Signal): void => {
      deps.metrics.signalsEmitted.inc({ kind: signal.kind, mode: config.signalMode });
      if (config.signalMode === 'suppress') return;
      const target =
        config.signalMode === 'redirect'
          ? (config.redirectTopic as string)
          : signal.kind === 'ready_to_buy'
            ? config.readyToBuyTopic
            : config.lapseTopic;
      outbox.push({ type: 'signal', topic: target, signal, decidedAtWallMs: nowMs });
    };
    // The outage guard (see hold.ts): lapses that silence of the input could explain are
    // held, not sent; a customer who comes back while held is never alerted.
    const held = new Map(loaded.held);
    const heldUpdates = new Map<string, string | null>();
    const silentWindows: Record<string, [number, number][]> = Object.fromEntries(
      Object.entries(meta.silentWindows).map(([name, windows]) => [name, [...windows]]),
    );
    let silentWindowsChanged = false;
    const hold = (signal: Signal, reason: HoldReason): void => {
      const entry = encodeHeld({
        signal,
        reason,
        heldAtStreamMs: streamTimeMs ?? signal.detectedAtMs,
      });
      held.set(signal.customerId, entry);
      heldUpdates.set(signal.customerId, entry);
      deps.metrics.signalsHeld.inc({ reason });
    };
    const sweepLapses: Signal[] = [];
    const emit = (signals: Signal[], fromSweep: boolean): void => {
      for (const signal of signals) {
        if (signal.kind === 'lapsed') {
          if (
            inSilentWindow(signal.detectedAtMs, silentWindows, maxEventMs, config.outageGraceMs)
          ) {
            hold(signal, 'input-silence');
          } else if (fromSweep) sweepLapses.push(signal);
          else publish(signal);
        } else if (signal.kind === 'reactivated' && held.has(signal.customerId)) {
          const entry = decodeHeld(held.get(signal.customerId) as string);
          held.delete(signal.customerId);
          heldUpdates.set(signal.customerId, null);
          if (signal.detectedAtMs < holdDeadlineMs(entry, config.holdConfirmMs)) {
            // Back before the hold was judged: the lapse was never sent, neither is its end.
            deps.metrics.signalsHeldDiscarded.inc();
          } else {
            // Back after it: the lapse stands, then its end.
            deps.metrics.signalsHeldReleased.inc();
            publish(entry.signal);
            publish(signal);
          }
        } else {
          publish(signal);
        }
      }
    };

    // A topic that runs ahead of the other waits for it (the way Kafka Streams picks the
    // oldest buffered record across a task's partitions): events are applied in event-time
    // order across visits and purchases, within the allowed lateness. Otherwise a customer's
    // purchase could arrive after weeks of their newer visits, beyond what the profile keeps.
    const aheadBoundMs = this.aheadBound(topic, maxEventMs);
    let cutAt: string | undefined;
    let cutEventMs = 0;
    for (const { message, result } of fresh) {
      // Only an event the time check accepts may pause its topic: a far-future one (dead-
      // lettered below) would otherwise hold the topic until the other input caught up, while
      // the clock ran on and the events behind it became late (test/profiler/poison.test.ts).
      if (
        result.ok &&
        result.event.occurredAtMs > aheadBoundMs &&
        checkEventTime(result.event.occurredAtMs, nowMs, rules).ok
      ) {
        cutAt = message.offset;
        cutEventMs = result.event.occurredAtMs;
        break;
      }
      if (!result.ok) {
        if (result.customerId !== undefined && deps.forgotten?.has(result.customerId)) {
          forgottenEvents += 1;
          continue;
        }
        deadLetter(message, result.kind, result.message);
        continue;
      }
      const event = result.event;
      // A forgotten customer's event still moves the clock (others' timers fire as in a run
      // that had it), but is never applied nor dead-lettered with its payload.
      const forgotten = deps.forgotten?.has(event.customerId) ?? false;
      if (forgotten && !checkEventTime(event.occurredAtMs, nowMs, rules).ok) {
        forgottenEvents += 1;
        continue;
      }
      const timeCheck = checkEventTime(event.occurredAtMs, nowMs, rules);
      if (!timeCheck.ok) {
        deadLetter(message, timeCheck.reason, timeCheck.message);
        continue;
      }
      const newestBefore = topic === undefined ? undefined : maxEventMs.get(topic);
      if (
        topic !== undefined &&
        newestBefore !== undefined &&
        event.occurredAtMs - newestBefore >= config.outageGapMs
      ) {
        const windows = (silentWindows[topic] ??= []);
        windows.push([newestBefore, event.occurredAtMs]);
        if (windows.length > MAX_SILENT_WINDOWS) windows.shift();
        silentWindowsChanged = true;
      }
      if (topic !== undefined) {
        maxEventMs.set(
          topic,
          Math.max(maxEventMs.get(topic) ?? event.occurredAtMs, event.occurredAtMs),
        );
        streamTimeMs = this.streamTime(maxEventMs, streamTimeMs, topic, batch, lastOfBatch, false);
      }
      if (forgotten) {
        forgottenEvents += 1;
        continue;
      }
      // No clock yet (a lagging topic has delivered nothing): nothing can be late or decided.
      const applied = applyEvent(profileOf(event.customerId), event, streamTimeMs ?? 0, rules);
      profiles.set(event.customerId, applied.profile);
      touched.add(event.customerId);
      counts[applied.outcome] += 1;
      emit(applied.signals, false);
    }
    // An idle partition follows the group's low watermark (bounded delay for its timers).
    if (
      sweep.idleStreamTimeMs !== undefined &&
      (streamTimeMs === null || sweep.idleStreamTimeMs > streamTimeMs)
    ) {
      streamTimeMs = sweep.idleStreamTimeMs;
    }
    // The chunk is done: the clock may move further once the batch's lag is known.
    if (topic !== undefined) {
      streamTimeMs = this.streamTime(maxEventMs, streamTimeMs, topic, batch, lastOfBatch, true);
    }

    // Timers: customers whose due time the stream time has passed.
    if (streamTimeMs !== null) {
      for (const due of loaded.due) {
        const profile =
          profiles.get(due.customerId) ?? (due.profile ? decodeProfile(due.profile) : undefined);
        touched.add(due.customerId);
        if (!profile) continue;
        const advanced = advance(profile, streamTimeMs, rules);
        profiles.set(due.customerId, advanced.profile);
        emit(advanced.signals, true);
      }
      // Storm guard: one sweep that would lapse an abnormal share of the customers with a
      // rhythm is held as a whole.
      // Judged only while the partition is caught up: a catch-up (restart, replay) sweeps
      // history, where many lapses at once are expected and batch sizes would decide.
      const caughtUp =
        this.paused.size === 0 && this.inputTopics().every((name) => !this.lagging.get(name));
      const storm =
        caughtUp &&
        sweepLapses.length >= config.stormMinLapses &&
        sweepLapses.length > config.stormMaxLapseShare * Math.max(1, loaded.timedCustomers);
      if (storm) {
        deps.logger.warn(
          {
            partition: this.partition,
            lapses: sweepLapses.length,
            timedCustomers: loaded.timedCustomers,
          },
          "lapse storm: holding this sweep's lapses",
        );
      }
      for (const signal of sweepLapses) {
        if (storm) hold(signal, 'storm');
        else publish(signal);
      }
      // Release rule: once the stream time passes a hold's deadline (see hold.ts), a customer
      // still in the same lapse episode is alerted; one who came back (or was forgotten) is not.
      for (const [customerId, payload] of [...held]) {
        const entry = decodeHeld(payload);
        if (streamTimeMs < holdDeadlineMs(entry, config.holdConfirmMs)) continue;
        if (!ripeHeld.has(customerId) && !loaded.held.has(customerId)) continue;
        const profile =
          profiles.get(customerId) ??
          (loaded.profiles.get(customerId)
            ? decodeProfile(loaded.profiles.get(customerId) as Buffer)
            : undefined);
        held.delete(customerId);
        heldUpdates.set(customerId, null);
        if (profile && profile.openEpisodeSinceMs === entry.signal.detectedAtMs) {
          deps.metrics.signalsHeldReleased.inc();
          publish(entry.signal);
        } else {
          deps.metrics.signalsHeldDiscarded.inc();
        }
      }
    }

    const lastMessage = fresh.at(-1)?.message ?? decoded.at(-1)?.message;
    const offsets = new Map<string, string>();
    if (topic !== undefined && cutAt !== undefined) offsets.set(topic, cutAt);
    else if (topic !== undefined && lastMessage) {
      offsets.set(topic, String(BigInt(lastMessage.offset) + 1n));
    }
    if (
      offsets.size === 0 &&
      profiles.size === 0 &&
      touched.size === 0 &&
      outbox.length === 0 &&
      heldUpdates.size === 0 &&
      streamTimeMs === meta.streamTimeMs
    ) {
      this.meta = meta;
      return 'committed';
    }

    const metaFields = new Map<string, string>();
    if (fresh.length > 0) metaFields.set(LAST_EVENT_WALL_FIELD, String(nowMs));
    if (silentWindowsChanged) metaFields.set(SILENT_WINDOWS_FIELD, JSON.stringify(silentWindows));
    const version = await deps.store.commit({
      ownerToken: this.ownerToken,
      expectedVersion: meta.version,
      offsets,
      maxEventMs,
      streamTimeMs,
      profiles: [...profiles].map(([customerId, profile]) => [customerId, encodeProfile(profile)]),
      due: [...touched].map((customerId) => {
        const profile = profiles.get(customerId);
        return [customerId, profile ? dueTimeMs(profile, rules) : null];
      }),
      outbox: outbox.map(encodeOutboxEntry),
      held: [...heldUpdates],
      metaFields,
    });

    this.meta = {
      ...meta,
      version,
      offsets: new Map([...meta.offsets, ...offsets]),
      maxEventMs,
      streamTimeMs,
      silentWindows,
      lastEventWallMs: fresh.length > 0 ? nowMs : meta.lastEventWallMs,
    };
    if (topic !== undefined) {
      deps.metrics.eventsApplied.inc({ topic }, counts.applied);
      deps.metrics.eventsLate.inc({ topic }, counts.late);
      deps.metrics.eventsDuplicate.inc({ topic }, counts.duplicate);
      deps.metrics.eventsForgotten.inc({ topic }, forgottenEvents);
      for (const [reason, count] of deadLetters)
        deps.metrics.eventsDeadLettered.inc({ topic, reason }, count);
      const next = offsets.get(topic);
      if (next !== undefined && batch) {
        deps.metrics.lag.set(
          { topic, partition: String(this.partition) },
          Number(BigInt(batch.highWatermark) - BigInt(next)),
        );
        deps.commitHint([{ topic, offset: next }]);
      }
    }
    if (streamTimeMs !== null)
      deps.metrics.streamTime.set({ partition: String(this.partition) }, streamTimeMs);
    if (outbox.length > 0) deps.onOutbox();
    deps.metrics.ready.set(1);
    if (topic !== undefined && cutAt !== undefined) {
      deps.seek(topic, cutAt);
      deps.pause(topic);
      this.paused.set(topic, cutEventMs);
      this.lagging.set(topic, true);
      this.resumeOthers(topic);
      return 'paused';
    }
    this.resumeOthers(topic);
    return 'committed';
  }

  /**
   * Newest event time the given topic may apply now: the other input's frontier plus half the
   * allowed lateness while that input still has records to read; unbounded once it caught up.
   * The two inputs take turns, so neither waits for the other forever.
   */
  private aheadBound(topic: string | undefined, maxEventMs: Map<string, number>): number {
    if (topic === undefined) return Number.POSITIVE_INFINITY;
    // Half the lateness of slack: the events applied stay within the core's retention margin
    // of the clock (which follows the slower input's frontier), while the two inputs still
    // take turns in steps of half a lateness, not one step per record.
    const lateness = this.deps.rules.allowedLatenessMs / 2;
    let bound = Number.POSITIVE_INFINITY;
    for (const other of this.inputTopics()) {
      if (other === topic) continue;
      // A paused input's frontier is the time of the record it stopped at; a lagging one's is
      // the newest time it delivered (nothing delivered yet: wait for it).
      const pausedAtMs = this.paused.get(other);
      if (pausedAtMs !== undefined) bound = Math.min(bound, pausedAtMs + lateness);
      else if (this.lagging.get(other)) {
        const newest = maxEventMs.get(other);
        bound = Math.min(
          bound,
          newest === undefined ? Number.NEGATIVE_INFINITY : newest + lateness,
        );
      }
    }
    return bound;
  }

  /** After progress on one topic (or when it caught up), let the topics waiting for it go on. */
  private resumeOthers(progressed: string | undefined): void {
    for (const topic of [...this.paused.keys()]) {
      if (topic === progressed) continue;
      this.paused.delete(topic);
      this.deps.resume(topic);
    }
  }

  /**
   * How far an input has got in event time: its newest applied event, or — when paused — the
   * record it stopped at, since nothing it still holds is older than that (within the lateness).
   * Using the paused input's own newest applied time instead would hold the clock far behind
   * the other input's events when one of them is sparse (purchases).
   */
  private frontierOf(topic: string, maxEventMs: Map<string, number>): number | undefined {
    const applied = maxEventMs.get(topic);
    const pausedAtMs = this.paused.get(topic);
    if (pausedAtMs === undefined) return applied;
    return applied === undefined ? pausedAtMs : Math.max(applied, pausedAtMs);
  }

  /** Stream time after this chunk, given what is known of each topic's lag. */
  private streamTime(
    maxEventMs: Map<string, number>,
    previous: number | null,
    topic: string,
    batch: InputBatch | undefined,
    lastOfBatch: boolean,
    chunkDone: boolean,
  ): number | null {
    // While inside a batch, its own topic has more records coming (it is lagging by definition).
    const lagging = new Map(this.lagging);
    if (batch) {
      const caughtUp =
        chunkDone &&
        lastOfBatch &&
        BigInt(batch.highWatermark) <= BigInt(batch.messages.at(-1)?.offset ?? '-1') + 1n;
      lagging.set(topic, !caughtUp);
      if (chunkDone) this.lagging.set(topic, !caughtUp);
    }
    return streamTimeOf(
      this.inputTopics().map((name) => ({
        topic: name,
        maxEventMs: this.frontierOf(name, maxEventMs),
        lagging: lagging.get(name) ?? false,
      })),
      previous,
      this.deps.rules.allowedLatenessMs,
    );
  }

  /** The highest stream time this chunk could reach: how far to look in the due index. */
  private clock(
    meta: PartitionMeta | undefined,
    topic: string | undefined,
    acceptedTimes: number[],
    batch: InputBatch | undefined,
    lastOfBatch: boolean,
  ): number | null {
    const maxEventMs = new Map(meta?.maxEventMs ?? []);
    if (topic !== undefined && acceptedTimes.length > 0) {
      const newest = Math.max(...acceptedTimes);
      maxEventMs.set(topic, Math.max(maxEventMs.get(topic) ?? newest, newest));
    }
    const lagging = new Map(this.lagging);
    if (topic !== undefined && batch) {
      lagging.set(
        topic,
        !(
          lastOfBatch &&
          BigInt(batch.highWatermark) <= BigInt(batch.messages.at(-1)?.offset ?? '-1') + 1n
        ),
      );
    }
    return streamTimeOf(
      this.inputTopics().map((name) => ({
        topic: name,
        maxEventMs: this.frontierOf(name, maxEventMs),
        lagging: lagging.get(name) ?? false,
      })),
      meta?.streamTimeMs ?? null,
      this.deps.rules.allowedLatenessMs,
    );
  }
}
