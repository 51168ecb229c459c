import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every number the collector exports; one registry per instance (tests run several). */
export class CollectorMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'pulse_collector_requests_total',
    help: 'HTTP requests answered, by route and status code',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'pulse_collector_events_total',
    help: 'Events in accepted batches, by type and outcome (accepted, rejected)',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly kafkaUnavailable = new Counter({
    name: 'pulse_collector_kafka_unavailable_total',
    help: 'Batches answered 503 because Kafka did not acknowledge them, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'pulse_collector_rate_limited_total',
    help: 'Requests answered 429, by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly originRefused = new Counter({
    name: 'pulse_collector_origin_refused_total',
    help: 'Requests answered 403 because the browser origin is not allowed for the write key, by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly produceDuration = new Histogram({
    name: 'pulse_collector_produce_duration_seconds',
    help: 'Time from handing a batch to the producer to the acknowledgement of all replicas',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(collectDefaults = true) {
    if (collectDefaults)
      collectDefaultMetrics({ register: this.registry, prefix: 'pulse_collector_' });
  }
}
