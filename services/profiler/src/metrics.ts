import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every number the profiler exports; one registry per service instance (tests run several). */
export class ProfilerMetrics {
  readonly registry = new Registry();
  readonly eventsApplied = new Counter({
    name: 'pulse_events_applied_total',
    help: 'Events applied to profiles',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly recordsRead = new Counter({
    name: 'pulse_records_read_total',
    help: 'Input records decoded; above the records consumed when some are read twice (a claim or a seek back)',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly eventsLate = new Counter({
    name: 'pulse_events_late_total',
    help: 'Events older than stream time: lifetime totals only',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly eventsDuplicate = new Counter({
    name: 'pulse_events_duplicate_total',
    help: 'Events whose eventId was already applied (tracker retries)',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly eventsDeadLettered = new Counter({
    name: 'pulse_events_dead_lettered_total',
    help: 'Events sent to the dead-letter topic, by reason',
    labelNames: ['topic', 'reason'] as const,
    registers: [this.registry],
  });
  readonly eventsForgotten = new Counter({
    name: 'pulse_events_forgotten_total',
    help: 'Events of forgotten customers (pulse forget), consumed and not applied',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly batchDuration = new Histogram({
    name: 'pulse_batch_duration_seconds',
    help: 'Time to decode, apply and commit one batch',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly commitDuration = new Histogram({
    name: 'pulse_commit_duration_seconds',
    help: 'Time of one accepted commit script call (the Redis round trip, incl. client retries and redirections)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly storeWrites = new Counter({
    name: 'pulse_store_writes_total',
    help: 'Entries accepted commits wrote to Redis: profiles, and timers set or taken out of the due index (a timer a weekly look moves is rewritten)',
    labelNames: ['entry'] as const,
    registers: [this.registry],
  });
  readonly casConflicts = new Counter({
    name: 'pulse_cas_conflicts_total',
    help: 'Commits refused because the partition state moved (retried)',
    registers: [this.registry],
  });
  readonly fenced = new Counter({
    name: 'pulse_fenced_total',
    help: 'Batches dropped because another member owns the partition now',
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'pulse_store_retries_total',
    help: 'Batches retried because Redis or Kafka was unavailable',
    registers: [this.registry],
  });
  readonly signalsEmitted = new Counter({
    name: 'pulse_signals_total',
    help: 'Signals decided, by kind and by what happened to them (outbox, suppressed, redirected)',
    labelNames: ['kind', 'mode'] as const,
    registers: [this.registry],
  });
  readonly signalDelay = new Histogram({
    name: 'pulse_signal_delay_seconds',
    help: 'From the commit that decided a signal (stream time passed its due time) to its acknowledgement on the signal topic',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly signalsRelayed = new Counter({
    name: 'pulse_signals_relayed_total',
    help: 'Outbox entries produced to Kafka',
    registers: [this.registry],
  });
  readonly signalsHeld = new Counter({
    name: 'pulse_signals_held_total',
    help: 'Lapses held by the outage guard, by reason (input-silence, storm)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly signalsHeldReleased = new Counter({
    name: 'pulse_signals_held_released_total',
    help: 'Held lapses sent after the confirmation time (customer still lapsed)',
    registers: [this.registry],
  });
  readonly signalsHeldDiscarded = new Counter({
    name: 'pulse_signals_held_discarded_total',
    help: 'Held lapses never sent (customer came back), with their reactivation',
    registers: [this.registry],
  });
  readonly timerLooks = new Counter({
    name: 'pulse_timer_looks_total',
    help: 'Customers the timers advanced (due, or at a weekly refresh of the population table), by whether the look decided something or only moved their clock (clock_only)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly outboxPoison = new Counter({
    name: 'pulse_outbox_poison_total',
    help: 'Outbox entries that broke their contract and went to the dead-letter topic (a Pulse bug)',
    registers: [this.registry],
  });
  readonly outboxUndeliverable = new Counter({
    name: 'pulse_outbox_undeliverable_total',
    help: 'Outbox entries the broker refused as too large, moved to the dead-letter topic as undeliverable, by the topic they were meant for',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: 'pulse_partition_lag',
    help: 'Records between the committed position and the log end',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });
  readonly streamTime = new Gauge({
    name: 'pulse_partition_stream_time_ms',
    help: 'Stream time of a partition (event time, ms since epoch)',
    labelNames: ['partition'] as const,
    registers: [this.registry],
  });
  readonly purchaseModel = new Gauge({
    name: 'pulse_purchase_model_fitted_at_seconds',
    help: 'When the purchase model decisions use was fitted (0: none); it changes with the version',
    registers: [this.registry],
  });
  readonly ready = new Gauge({
    name: 'pulse_ready',
    help: '1 when the profiler can reach Kafka and Redis and owns its partitions',
    registers: [this.registry],
  });

  constructor(collectDefaults = true) {
    if (collectDefaults)
      collectDefaultMetrics({ register: this.registry, prefix: 'pulse_profiler_' });
  }
}
