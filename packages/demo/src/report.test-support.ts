// Test support (not exported): a demo run's report data computed by @pulse/core alone, without
// Kafka or Redis — the events of a small scenario applied in time order on one clock, the way a
// single partition would. Realistic signals (real evidence) for the report and format tests.
import type { SignalWire } from '@pulse/contracts';
import {
  advance,
  applyEvent,
  defaultRulesConfig,
  deriveView,
  streamTimeFor,
  type Profile,
  type Signal,
} from '@pulse/core';
import { describeCustomerKind, type DemoSummary } from './format.ts';
import type { ReportData } from './report.ts';
import {
  buildScenario,
  FOUNDING_EXAMPLE_ID,
  type DemoTraits,
  type ScenarioOptions,
} from './scenario.ts';
import { segmentReport } from './segments.ts';
import { canonicalSignals, signalsFingerprint, statusTimeline } from './timeline.ts';

// The core alone stamps no traits on a signal (the partition step does): here each signal gets
// the traits the scenario stated for its customer, as the profiler would have known them.
const toWire = (signal: Signal, traitsOf: Map<string, DemoTraits>): SignalWire => {
  const traits = traitsOf.get(signal.customerId);
  return {
    signalId: signal.signalId,
    kind: signal.kind,
    customerId: signal.customerId,
    detectedAt: new Date(signal.detectedAtMs).toISOString(),
    emittedAt: new Date(signal.detectedAtMs).toISOString(),
    evidence: signal.evidence,
    rulesVersion: signal.rulesVersion,
    ...(traits ? { traits: { ...traits, region: null, plan: null, attributes: {} } } : {}),
  };
};

export function coreOnlyReportData(
  options: ScenarioOptions = {
    seed: 3,
    customers: 150,
    days: 160,
    collectorShare: 0.3,
    partitions: 4,
  },
): ReportData {
  const rules = defaultRulesConfig;
  const scenario = buildScenario(options);
  const traitsOf = new Map(scenario.customers.map((c) => [c.customerId, c.traits]));
  const profiles = new Map<string, Profile>();
  const signals: SignalWire[] = [];
  let streamTimeMs = Number.NEGATIVE_INFINITY;
  for (const day of scenario.playback) {
    for (const event of [...day.direct, ...day.viaCollector].sort(
      (a, b) => a.occurredAtMs - b.occurredAtMs,
    )) {
      streamTimeMs = Math.max(streamTimeMs, streamTimeFor(event.occurredAtMs, rules));
      const result = applyEvent(profiles.get(event.customerId), event, streamTimeMs, rules);
      profiles.set(event.customerId, result.profile);
      signals.push(...result.signals.map((signal) => toWire(signal, traitsOf)));
    }
  }
  const statuses = { active: 0, lapsed: 0, unknown: 0, cameBack: 0, lateEvents: 0 };
  for (const [customerId, profile] of profiles) {
    const advanced = advance(profile, scenario.finalStreamTimeMs, rules);
    profiles.set(customerId, advanced.profile);
    signals.push(...advanced.signals.map((signal) => toWire(signal, traitsOf)));
    const view = deriveView(advanced.profile, scenario.finalStreamTimeMs, rules);
    statuses[view.status] += 1;
    if (view.status === 'active' && view.lapseEpisodes > 0) statuses.cameBack += 1;
  }
  const ordered = canonicalSignals(signals);
  const kinds = { lapsed: 0, reactivated: 0, ready_to_buy: 0 };
  for (const signal of ordered) kinds[signal.kind] += 1;
  const lapse =
    ordered.find((s) => s.customerId === FOUNDING_EXAMPLE_ID && s.kind === 'lapsed') ?? null;
  const kindOf = new Map(scenario.customers.map((c) => [c.customerId, c.kind]));
  const summary: DemoSummary = {
    seed: scenario.seed,
    customers: scenario.customers.length,
    startMs: scenario.startMs,
    endMs: scenario.endMs,
    decidedUpToMs: scenario.finalStreamTimeMs,
    events: {
      total: scenario.totals.events,
      viaCollector: scenario.totals.viaCollector,
      direct: scenario.totals.events - scenario.totals.viaCollector,
    },
    statuses,
    signals: kinds,
    deadLetters: {
      total: 4,
      byKind: { 'not-json': 1, 'missing-id': 1, 'future-timestamp': 1, 'schema-violation': 1 },
    },
    collectorRejected: 1,
    signalsFingerprint: signalsFingerprint(ordered),
    foundingExample: {
      flagged: lapse !== null,
      daysSilent: typeof lapse?.evidence.daysSilent === 'number' ? lapse.evidence.daysSilent : null,
      detectedAt: lapse?.detectedAt ?? null,
    },
  };
  return {
    summary,
    timeline: statusTimeline(
      scenario.customers,
      ordered,
      scenario.startMs,
      scenario.finalStreamTimeMs,
    ),
    spotlight: {
      customerId: FOUNDING_EXAMPLE_ID,
      description: describeCustomerKind('founding-example'),
      activity: scenario.foundingExampleActivity.filter(
        (a) => a.dayMs < scenario.finalStreamTimeMs,
      ),
      lapse,
    },
    readyToBuy: ordered
      .filter((s) => s.kind === 'ready_to_buy')
      .map((signal) => ({
        signal,
        description: describeCustomerKind(kindOf.get(signal.customerId)),
      })),
    segments: segmentReport(
      scenario.customers,
      ordered,
      scenario.startMs,
      scenario.finalStreamTimeMs,
    ),
  };
}
