import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every number the profile API exports; one registry per instance (tests run several). */
export class ProfileApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'pulse_profile_api_requests_total',
    help: 'HTTP requests answered, by route and status code',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly lookupDuration = new Histogram({
    name: 'pulse_profile_api_lookup_duration_seconds',
    help: 'Time to find, decode and derive one profile',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  constructor(collectDefaults = true) {
    if (collectDefaults)
      collectDefaultMetrics({ register: this.registry, prefix: 'pulse_profile_api_' });
  }
}
