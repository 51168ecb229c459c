// @pulse/core: the behavioural profile and the lapse / ready-to-buy rules as pure functions.
// No I/O, no clock reads, no env: every input, "now" included, is an argument.
export type {
  CustomerEvent,
  PurchaseEvent,
  Signal,
  SignalKind,
  SignalSegment,
  SignalTraits,
  VisitEvent,
} from './events.ts';
export {
  defaultRulesConfig,
  parseRulesConfig,
  rulesConfigSchema,
  rulesVersion,
  type RulesConfig,
} from './config.ts';
export {
  CORE_ERROR_CODES,
  isPulseCoreError,
  ProfileDecodeError,
  PulseCoreError,
  RulesConfigError,
  type CoreErrorCode,
} from './errors.ts';
export {
  newProfile,
  NO_TRAITS,
  type CurrencyTotal,
  type DayPurchases,
  type DayVisits,
  type Profile,
  type RememberedEvent,
} from './profile.ts';
export {
  advance,
  applyEvent,
  dueTimeMs,
  type AdvanceResult,
  type ApplyOutcome,
  type ApplyResult,
} from './timeline.ts';
export { checkEventTime, dayOf, DAY_MS, streamTimeFor, type EventTimeCheck } from './time.ts';
export { digestUInt32BE } from './hashing.ts';
export {
  isKnownTimeZone,
  localDayOf,
  MAX_TIME_ZONE_LENGTH,
  startOfLocalDayMs,
  utcOffsetMs,
} from './zone.ts';
export { deriveView, type LatencyView, type ProfileView } from './view.ts';
export type { Rfm, WindowCounts } from './windows.ts';
export { decodeProfile, encodeProfile, type ProfileDecodeOptions } from './codec.ts';
// The partition step: everything a partition decides, as one pure function, and the in-memory
// partition that drives it (property tests, the offline backtest).
export {
  aheadBoundOf,
  clockOf,
  frontierOf,
  inputsToRecheck,
  isCaughtUp,
  isIdle,
  newInputView,
  pausedTopicsToResume,
  streamTimeOf,
  withLagging,
  withResumed,
  type ClockInput,
  type InputView,
} from './partition/clock.ts';
export {
  decodeHeld,
  defaultGuardSettings,
  encodeHeld,
  guardSettingsSchema,
  holdDeadlineMs,
  silenceExplains,
  type GuardSettings,
  type HeldSignal,
  type HoldReason,
} from './partition/guard.ts';
export {
  decodeTraffic,
  emptyTraffic,
  encodeTraffic,
  outageAt,
  type OutageAt,
  observeRecord,
  type InputTraffic,
  type Silence,
} from './partition/traffic.ts';
export {
  chunkReach,
  deadLetterTopicOf,
  dueHorizonMs,
  emptyPartitionState,
  newestAcceptedMs,
  nextPopulationRefreshMs,
  POPULATION_REFRESH_MS,
  stepPartition,
  type DeadLetterReason,
  type OutboxItem,
  type PartitionState,
  type ProfileLookup,
  type RecordVerdict,
  type Routing,
  type StepChunk,
  type StepCounts,
  type StepInput,
  type StepOutcome,
  type StepRecord,
  type StepReposition,
  type StepResult,
  type StepSettings,
} from './partition/step.ts';
export {
  oneRecordPlan,
  randomChunkPlan,
  roundRobinPlan,
  simulatePartition,
  simulationSettings,
  type ChunkPlan,
  type SimulationOptions,
  type SimulationResult,
} from './partition/simulator.ts';
export {
  aliveDeadline,
  expectedPurchases,
  logLikelihood,
  probabilityAlive,
  probabilityNoActivity,
  rescaleTime,
  totalLogLikelihood,
  type CustomerHistory,
  type PurchaseModelKind,
  type PurchaseModelParameters,
  type WeightedHistory,
} from './model/purchase-model.ts';
export { fitPurchaseModel, groupHistories, type ModelFit } from './model/fit.ts';
export { fitModelsInDays, historyOfProfile } from './model/history.ts';
export { hypergeometric2F1, logBeta, logGamma, logHypergeometric2F1 } from './model/special.ts';
export { nelderMead, type NelderMeadOptions, type NelderMeadResult } from './model/nelder-mead.ts';
export { NO_CONTEXT, type DecisionContext, type FittedModel } from './context.ts';
export {
  activeDaysBefore,
  addGaps,
  binOfGap,
  consumedGaps,
  decodePopulationHurdles,
  decodePopulationLatency,
  emptyPopulationLatency,
  encodePopulationHurdles,
  encodePopulationLatency,
  frozenPopulationHurdles,
  mergePopulationLatency,
  populationHurdleFor,
  populationHurdles,
  POPULATION_BINS,
  POPULATION_STEPS,
  type GapObservation,
  type PopulationHurdles,
  type PopulationLatency,
} from './population.ts';
export {
  gammaQuantile,
  lapsePlanAsOf,
  personalHurdleDays,
  riskScore,
  type LapsePlan,
} from './rules.ts';
export { normalQuantile } from './model/special.ts';
// Customers' traits (who they are) and behavioural segments (what kind of customer by what they
// do): pure. The profile keeps the traits (Profile.traits).
export {
  applyTraitsStatement,
  emptyTraits,
  laterValue,
  MAX_TRAIT_ATTRIBUTES_KEPT,
  mergeTraits,
  observeVisitSource,
  TRAIT_NAMES,
  traitsView,
  type CustomerTraits,
  type TraitAttribute,
  type TraitName,
  type TraitsEvent,
  type TraitsStatement,
  type TraitsView,
  type TraitValue,
} from './traits.ts';
export { decodeTraits, encodeTraits, TraitStringPool } from './traits-codec.ts';
export { segmentSettingsSchema, type SegmentSettings } from './config.ts';
export {
  addLatency,
  countSegment,
  CUSTOMER_SEGMENTS,
  decodeLatencySketch,
  emptyLatencySketch,
  emptySegmentFigures,
  encodeLatencySketch,
  LATENCY_BANDS,
  latencyBandOf,
  mergeLatencySketches,
  mergeSegmentFigures,
  returnDayOf,
  segmentMedians,
  segmentOf,
  SKETCH_BUCKETS,
  SKETCH_MEDIAN_RELATIVE_ERROR,
  sketchBucketOf,
  sketchMedianDays,
  type CustomerSegment,
  type LatencyBand,
  type LatencySketch,
  type SegmentFigures,
  type SegmentOfCustomer,
} from './segments.ts';
// Live segment figures of a partition, kept by the partition step (segment-figures.ts).
export {
  customerKeyOf,
  decodeFigureTable,
  emptyFigureTable,
  encodeFigureTable,
  FigureTableDraft,
  MAX_VALUES_PER_DIMENSION,
  mergeFigureTables,
  nextSegmentChangeMs,
  NO_BAND,
  OTHER_VALUE,
  parseCustomerKey,
  parseDimensions,
  parseSignalKey,
  SEGMENT_DIMENSIONS,
  segmentAsOfMs,
  segmentReport,
  SIGNAL_RETENTION_DAYS,
  signalKeyOf,
  UNKNOWN_VALUE,
  type SegmentDimension,
  type SegmentFigureTable,
  type SegmentGroupFigures,
  type SegmentKey,
  type SegmentReport,
} from './segment-figures.ts';
export { MinHeap } from './min-heap.ts';
