// Test support (not exported): drive a single partition's clock over a list of events the way
// the profiler does. Stream time = newest event time seen minus allowed lateness; every event is
// applied at the stream time that includes it.
import type { RulesConfig } from './config.ts';
import type { CustomerEvent, Signal } from './events.ts';
import type { Profile } from './profile.ts';
import { streamTimeFor } from './time.ts';
import { advance, applyEvent, dueTimeMs, type ApplyOutcome } from './timeline.ts';

export interface Replay {
  profiles: Map<string, Profile>;
  signals: Signal[];
  /** Stream time at which each signal was emitted, parallel to `signals`. */
  emittedAtStreamMs: number[];
  outcomes: Record<ApplyOutcome, number>;
  streamTimeMs: number;
}

export function replay(events: Iterable<CustomerEvent>, config: RulesConfig): Replay {
  const state: Replay = {
    profiles: new Map(),
    signals: [],
    emittedAtStreamMs: [],
    outcomes: { applied: 0, duplicate: 0, late: 0 },
    streamTimeMs: Number.NEGATIVE_INFINITY,
  };
  let maxEventTimeMs = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    maxEventTimeMs = Math.max(maxEventTimeMs, event.occurredAtMs);
    state.streamTimeMs = Math.max(state.streamTimeMs, streamTimeFor(maxEventTimeMs, config));
    const result = applyEvent(
      state.profiles.get(event.customerId),
      event,
      state.streamTimeMs,
      config,
    );
    state.profiles.set(event.customerId, result.profile);
    state.outcomes[result.outcome] += 1;
    record(state, result.signals);
  }
  return state;
}

/**
 * Move the stream clock forward without events, in steps, firing every due timer like the
 * profiler's due index does (pop customers whose due time has passed).
 */
export function runClock(
  state: Replay,
  untilMs: number,
  stepMs: number,
  config: RulesConfig,
): void {
  // No event yet: nothing is due, and -Infinity plus a step would never reach untilMs.
  if (!Number.isFinite(state.streamTimeMs)) state.streamTimeMs = untilMs;
  while (state.streamTimeMs < untilMs) {
    state.streamTimeMs = Math.min(untilMs, state.streamTimeMs + stepMs);
    for (const [customerId, profile] of state.profiles) {
      const due = dueTimeMs(profile, config);
      if (due === null || due > state.streamTimeMs) continue;
      const result = advance(profile, state.streamTimeMs, config);
      state.profiles.set(customerId, result.profile);
      record(state, result.signals);
    }
  }
}

function record(state: Replay, signals: readonly Signal[]): void {
  for (const signal of signals) {
    state.signals.push(signal);
    state.emittedAtStreamMs.push(state.streamTimeMs);
  }
}
