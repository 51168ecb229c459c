import type { NamespaceHealth, PartitionHealth } from '@pulse/store';
import type { GroupDescription, LogOffsets } from '@pulse/stream';

/**
 * `pulse status`, pure: from two reads of the partitions' state a known interval apart (and
 * what Kafka says about the group and the topics), the report the command prints — and the
 * judgement whether a partition is stuck, with the reason in words. Nothing here does I/O.
 */

/** One read of a namespace's partitions and the input logs, at one moment. */
export interface Snapshot {
  /** Local wall clock when the read finished (the clock the profiler stamps commits with). */
  atMs: number;
  health: NamespaceHealth;
  /** Input topic → partition → log start and end. */
  logs: Map<string, Map<number, LogOffsets>>;
}

/** An output topic and what it carries, with its records of the last hour (null: unknown). */
export interface OutputCount {
  topic: string;
  carries: string[];
  records: number | null;
}

/** A namespace other than the one shown, with state in Redis: a replay, running or left. */
export interface OtherNamespace {
  namespace: string;
  partitions: number;
  /** Input records between its stored positions and the log ends. */
  inputLag: number;
  lastCommitWallMs: number | null;
  /** The consumer group that builds it, when one is known (`<prefix>-replay-<namespace>`). */
  group: GroupDescription | null;
}

export interface StatusInput {
  namespace: string;
  liveNamespace: string;
  inputTopics: string[];
  before: Snapshot;
  after: Snapshot;
  group: GroupDescription;
  /** Start of the "last hour" the output counts cover. */
  lastHourSinceMs: number;
  signalsLastHour: OutputCount[];
  deadLettersLastHour: OutputCount;
  otherNamespaces: OtherNamespace[];
  stuckAfterMs: number;
  /** Things the gathering noticed (a missing topic …), shown as they are. */
  notes: string[];
}

export type StuckKind = 'outbox-not-draining' | 'no-commit' | 'stream-time-stalled';

export interface InputStatus {
  topic: string;
  /** Next offset to read as stored in Redis (null: nothing committed yet). */
  position: string | null;
  logEnd: string;
  /** Log end − the stored position (the log start when nothing is stored). */
  lag: number;
}

export interface PartitionStatus {
  partition: number;
  /** Member id of the group member Kafka assigned the partition to (null: none). */
  member: string | null;
  /** The member's short alias in the table (`m1` …). */
  memberAlias: string | null;
  streamTime: string | null;
  streamTimeMs: number | null;
  /** Wall time minus stream time (negative: stream time ahead of the wall clock). */
  behindWallMs: number | null;
  inputs: InputStatus[];
  inputLag: number;
  /** How the total input lag moved during the sample (after − before). */
  inputLagChange: number;
  outbox: { entries: number; oldestAgeMs: number | null };
  heldLapses: number;
  timers: number;
  timersDue: number;
  lastCommitAgoMs: number | null;
  lastInputAppliedAgoMs: number | null;
  stuck: boolean;
  reasons: { kind: StuckKind; message: string }[];
}

export interface MemberStatus {
  alias: string;
  memberId: string;
  clientId: string;
  host: string;
  partitions: number[];
}

export interface ReplayStatus {
  namespace: string;
  /** `running`: its group has members; `recent`: it committed within the stuck threshold;
   * `stopped`: neither (finished or interrupted: promote it or drop it). */
  state: 'running' | 'recent' | 'stopped';
  groupId: string | null;
  groupMembers: number;
  partitions: number;
  inputLag: number;
  lastCommitAgoMs: number | null;
}

export interface StatusReport {
  checkedAt: string;
  namespace: string;
  liveNamespace: string;
  healthy: boolean;
  stuckAfterMs: number;
  sampleMs: number;
  group: { groupId: string; state: string; members: MemberStatus[] };
  eventsPerSecond: number;
  eventsPerSecondSource: string;
  lastHour: {
    since: string;
    signals: OutputCount[];
    deadLetters: OutputCount;
  };
  replays: ReplayStatus[];
  partitions: PartitionStatus[];
  notes: string[];
}

/** 75_000 → "1m15s", 90_000_000 → "1d01h"; the sign is kept. */
export function formatAge(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 60) return `${sign}${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${sign}${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${sign}${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${sign}${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
}

function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}

function inputStatus(
  topics: string[],
  snapshot: Snapshot,
  health: PartitionHealth | undefined,
  partition: number,
): InputStatus[] {
  return topics.map((topic) => {
    const log = snapshot.logs.get(topic)?.get(partition);
    const position = health?.meta.offsets.get(topic) ?? null;
    const logEnd = log?.high ?? '0';
    const from = position ?? log?.low ?? '0';
    const lag = Number(BigInt(logEnd) - BigInt(from));
    return { topic, position, logEnd, lag: Math.max(0, lag) };
  });
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Committed input records per second between the two snapshots, over every partition. */
export function committedPerSecond(before: Snapshot, after: Snapshot, topics: string[]): number {
  const seconds = (after.atMs - before.atMs) / 1000;
  if (seconds <= 0) return 0;
  let records = 0n;
  after.health.partitions.forEach((health, index) => {
    const earlier = before.health.partitions[index];
    for (const topic of topics) {
      const now = health.meta.offsets.get(topic);
      const then = earlier?.meta.offsets.get(topic);
      if (now === undefined || then === undefined) continue;
      const moved = BigInt(now) - BigInt(then);
      if (moved > 0n) records += moved;
    }
  });
  return Number(records) / seconds;
}

/**
 * Why a partition is stuck, or nothing. Three ways, each needing the state to be that way for
 * `stuckAfterMs` and to stay so across the sample:
 * - its outbox does not drain: the same oldest entry still waits, at least `stuckAfterMs` old;
 * - input records wait, no input position moved during the sample, and nothing was committed
 *   for `stuckAfterMs` (or ever): nobody consumes the partition;
 * - input records wait, no input position moved and its stream time stood still, while commits
 *   go on (timers, ticks) but no input record was applied for `stuckAfterMs`.
 */
export function stuckReasons(args: {
  before: PartitionHealth | undefined;
  after: PartitionHealth;
  nowMs: number;
  redisNowMs: number;
  lagBefore: number;
  lagAfter: number;
  inputTopics: string[];
  sampleMs: number;
  stuckAfterMs: number;
}): { kind: StuckKind; message: string }[] {
  const { before, after, nowMs, redisNowMs, lagBefore, lagAfter, stuckAfterMs } = args;
  const reasons: { kind: StuckKind; message: string }[] = [];

  if (
    after.outboxEntries > 0 &&
    after.oldestOutboxEntryMs !== null &&
    redisNowMs - after.oldestOutboxEntryMs >= stuckAfterMs &&
    before?.oldestOutboxEntryId === after.oldestOutboxEntryId
  ) {
    reasons.push({
      kind: 'outbox-not-draining',
      message:
        `outbox not draining: ${plural(after.outboxEntries, 'entry waits', 'entries wait')}, ` +
        `the oldest for ${formatAge(redisNowMs - after.oldestOutboxEntryMs)} (the relay cannot ` +
        `deliver it; the profiler's log says why)`,
    });
  }

  const positionsMoved = args.inputTopics.some(
    (topic) => before?.meta.offsets.get(topic) !== after.meta.offsets.get(topic),
  );
  if (lagAfter > 0 && lagBefore > 0 && !positionsMoved) {
    const waiting = plural(lagAfter, 'input record waits', 'input records wait');
    const growth =
      lagAfter > lagBefore
        ? `; the lag grew by ${(lagAfter - lagBefore).toLocaleString('en-US')} in ` +
          `${formatAge(args.sampleMs)}`
        : '';
    const lastCommit = after.meta.lastCommitWallMs;
    const lastApplied = after.meta.lastEventWallMs;
    if (lastCommit === null || nowMs - lastCommit >= stuckAfterMs) {
      reasons.push({
        kind: 'no-commit',
        message:
          (lastCommit === null
            ? `never committed while ${waiting}`
            : `no commit for ${formatAge(nowMs - lastCommit)} while ${waiting}`) +
          `${growth} (is its profiler running?)`,
      });
    } else if (
      before?.meta.streamTimeMs === after.meta.streamTimeMs &&
      (lastApplied === null || nowMs - lastApplied >= stuckAfterMs)
    ) {
      reasons.push({
        kind: 'stream-time-stalled',
        message:
          `stream time stalled: no input record applied ` +
          (lastApplied === null ? 'yet' : `for ${formatAge(nowMs - lastApplied)}`) +
          ` while ${waiting}${growth}; commits go on (timers), the inputs do not move`,
      });
    }
  }
  return reasons;
}

function aliasOf(members: GroupDescription['members']): Map<string, string> {
  return new Map(
    [...members]
      .sort((a, b) => a.memberId.localeCompare(b.memberId))
      .map((member, index) => [member.memberId, `m${index + 1}`]),
  );
}

/** Pure: the status report from what was read. */
export function buildStatusReport(input: StatusInput): StatusReport {
  const { before, after, inputTopics, group, stuckAfterMs } = input;
  const sampleMs = after.atMs - before.atMs;
  const aliases = aliasOf(group.members);
  const ownerOf = new Map<number, string>();
  for (const member of group.members) {
    for (const partition of member.assignment.get(inputTopics[0] ?? '') ?? [])
      ownerOf.set(partition, member.memberId);
  }

  const partitions = after.health.partitions.map((health): PartitionStatus => {
    const earlier = before.health.partitions.find((entry) => entry.partition === health.partition);
    const inputs = inputStatus(inputTopics, after, health, health.partition);
    const inputsBefore = inputStatus(inputTopics, before, earlier, health.partition);
    const inputLag = sum(inputs.map((entry) => entry.lag));
    const lagBefore = sum(inputsBefore.map((entry) => entry.lag));
    const { meta } = health;
    const reasons = stuckReasons({
      before: earlier,
      after: health,
      nowMs: after.atMs,
      redisNowMs: after.health.redisTimeMs,
      lagBefore,
      lagAfter: inputLag,
      inputTopics,
      sampleMs,
      stuckAfterMs,
    });
    const member = ownerOf.get(health.partition) ?? null;
    return {
      partition: health.partition,
      member,
      memberAlias: member === null ? null : (aliases.get(member) ?? null),
      streamTime: meta.streamTimeMs === null ? null : new Date(meta.streamTimeMs).toISOString(),
      streamTimeMs: meta.streamTimeMs,
      behindWallMs: meta.streamTimeMs === null ? null : after.atMs - meta.streamTimeMs,
      inputs,
      inputLag,
      inputLagChange: inputLag - lagBefore,
      outbox: {
        entries: health.outboxEntries,
        oldestAgeMs:
          health.oldestOutboxEntryMs === null
            ? null
            : Math.max(0, after.health.redisTimeMs - health.oldestOutboxEntryMs),
      },
      heldLapses: health.heldLapses,
      timers: health.timers,
      timersDue: health.timersDue,
      lastCommitAgoMs: meta.lastCommitWallMs === null ? null : after.atMs - meta.lastCommitWallMs,
      lastInputAppliedAgoMs:
        meta.lastEventWallMs === null ? null : after.atMs - meta.lastEventWallMs,
      stuck: reasons.length > 0,
      reasons,
    };
  });

  const notes = [...input.notes];
  const settled = group.state === 'Stable' || group.state === 'Empty' || group.state === 'Dead';
  const unowned = partitions.filter((entry) => entry.member === null).map((p) => p.partition);
  if (group.members.length === 0) {
    notes.push(
      `group ${group.groupId} has no members: no profiler consumes the inputs, fires timers ` +
        `or relays the outboxes`,
    );
  } else if (settled && unowned.length > 0) {
    notes.push(`no member of ${group.groupId} owns partition(s) ${unowned.join(', ')}`);
  }

  const replays = input.otherNamespaces.map((other): ReplayStatus => {
    const members = other.group?.members.length ?? 0;
    const lastCommitAgoMs =
      other.lastCommitWallMs === null ? null : after.atMs - other.lastCommitWallMs;
    const state =
      members > 0
        ? 'running'
        : lastCommitAgoMs !== null && lastCommitAgoMs < stuckAfterMs
          ? 'recent'
          : 'stopped';
    return {
      namespace: other.namespace,
      state,
      groupId: other.group?.groupId ?? null,
      groupMembers: members,
      partitions: other.partitions,
      inputLag: other.inputLag,
      lastCommitAgoMs,
    };
  });

  return {
    checkedAt: new Date(after.atMs).toISOString(),
    namespace: input.namespace,
    liveNamespace: input.liveNamespace,
    healthy: partitions.every((entry) => !entry.stuck),
    stuckAfterMs,
    sampleMs,
    group: {
      groupId: group.groupId,
      state: group.state,
      members: [...group.members]
        .sort((a, b) => a.memberId.localeCompare(b.memberId))
        .map((member) => ({
          alias: aliases.get(member.memberId) as string,
          memberId: member.memberId,
          clientId: member.clientId,
          host: member.host,
          partitions: member.assignment.get(inputTopics[0] ?? '') ?? [],
        })),
    },
    eventsPerSecond: committedPerSecond(before, after, inputTopics),
    eventsPerSecondSource: `input positions committed in Redis, read twice ${sampleMs} ms apart`,
    lastHour: {
      since: new Date(input.lastHourSinceMs).toISOString(),
      signals: input.signalsLastHour,
      deadLetters: input.deadLettersLastHour,
    },
    replays,
    partitions,
    notes,
  };
}
