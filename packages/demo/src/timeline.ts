// Pure: how many customers were active, lapsed or back (reactivated) at the end of each day of
// event time, from the customers' first days and the signals Pulse emitted. Also the signals'
// fingerprint, which says "same seed, same signals" in one line.
import { createHash } from 'node:crypto';
import type { SignalWire } from '@pulse/contracts';
import { DAY_MS } from '@pulse/core';

export interface TimelinePoint {
  dayMs: number;
  /** Seen at least once, never lapsed (or no rhythm yet). */
  active: number;
  /** In an open lapse episode. */
  lapsed: number;
  /** Came back after a lapse and not lapsed again. */
  reactivated: number;
}

type State = 'active' | 'lapsed' | 'reactivated';

/**
 * One point per day from `startMs` up to (not including) `untilMs`, counting each customer from
 * their first day in the state their lapse signals put them in by the end of that day.
 */
export function statusTimeline(
  customers: readonly { customerId: string; firstSeenMs: number | null }[],
  signals: readonly SignalWire[],
  startMs: number,
  untilMs: number,
): TimelinePoint[] {
  const days = Math.max(0, Math.ceil((untilMs - startMs) / DAY_MS));
  const newcomers = new Array<number>(days).fill(0);
  let before = 0;
  for (const customer of customers) {
    if (customer.firstSeenMs === null) continue;
    const index = Math.floor((customer.firstSeenMs - startMs) / DAY_MS);
    if (index < 0) before += 1;
    else if (index < days) newcomers[index]! += 1;
  }
  // Lapse-topic transitions in event time; a customer's own signals are ordered by detectedAt
  // (a reactivation is stamped at the start of the return day, after its lapse).
  const transitions = signals
    .filter((signal) => signal.kind !== 'ready_to_buy')
    .map((signal) => ({
      atMs: Date.parse(signal.detectedAt),
      customerId: signal.customerId,
      to: (signal.kind === 'lapsed' ? 'lapsed' : 'reactivated') as State,
      order: signal.kind === 'lapsed' ? 0 : 1,
    }))
    .sort((a, b) => a.atMs - b.atMs || a.order - b.order);

  const state = new Map<string, State>();
  const counts = { active: before, lapsed: 0, reactivated: 0 };
  const points: TimelinePoint[] = [];
  let next = 0;
  for (let index = 0; index < days; index += 1) {
    const dayMs = startMs + index * DAY_MS;
    counts.active += newcomers[index]!;
    while (next < transitions.length && transitions[next]!.atMs < dayMs + DAY_MS) {
      const { customerId, to } = transitions[next]!;
      const from = state.get(customerId) ?? 'active';
      counts[from] -= 1;
      counts[to] += 1;
      state.set(customerId, to);
      next += 1;
    }
    points.push({ dayMs, ...counts });
  }
  return points;
}

/** Everything of a signal except the wall-clock `emittedAt`, in a stable key order. */
export function signalDecision(signal: SignalWire): Record<string, unknown> {
  const evidence = Object.fromEntries(
    Object.entries(signal.evidence).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return {
    signalId: signal.signalId,
    kind: signal.kind,
    customerId: signal.customerId,
    detectedAt: signal.detectedAt,
    rulesVersion: signal.rulesVersion,
    evidence,
  };
}

/** Signals in a canonical order (detectedAt, then id), without duplicates by signalId. */
export function canonicalSignals(signals: readonly SignalWire[]): SignalWire[] {
  const byId = new Map<string, SignalWire>();
  for (const signal of signals) if (!byId.has(signal.signalId)) byId.set(signal.signalId, signal);
  return [...byId.values()].sort(
    (a, b) =>
      a.detectedAt.localeCompare(b.detectedAt) ||
      (a.signalId < b.signalId ? -1 : a.signalId > b.signalId ? 1 : 0),
  );
}

/** SHA-256 (first 16 hex) of the canonical signals' decisions: equal for equal signals. */
export function signalsFingerprint(signals: readonly SignalWire[]): string {
  const hash = createHash('sha256');
  for (const signal of canonicalSignals(signals)) {
    hash.update(JSON.stringify(signalDecision(signal)));
    hash.update('\n');
  }
  return hash.digest('hex').slice(0, 16);
}
