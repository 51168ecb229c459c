import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProfilerMetrics } from './metrics.ts';

// The alert rules and the dashboard name metrics by string: a renamed or removed metric would
// leave an alert that never fires and a panel that stays empty. Every name they use must be one
// the profiler's registry exports (histograms with their _bucket/_sum/_count series).
const files = ['infra/prometheus/pulse-rules.yml', 'infra/grafana/pulse-dashboard.json'].map(
  (path) => ({ path, text: readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8') }),
);

async function exported(): Promise<Set<string>> {
  const metrics = new ProfilerMetrics(false);
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

describe('the alert rules and the dashboard', () => {
  it('name only metrics the profiler exports', async () => {
    const names = await exported();
    for (const { path, text } of files) {
      // Recording rules are named pulse:…; metrics pulse_…
      const used = new Set(text.match(/\bpulse_[a-z_]+\b/g) ?? []);
      expect(used.size, path).toBeGreaterThan(5);
      for (const name of used) expect(names, `${path} uses ${name}`).toContain(name);
    }
  });

  it('group only by labels the metric has', () => {
    const metrics = new ProfilerMetrics(false);
    for (const { path, text } of files) {
      for (const match of text.matchAll(
        /by \(([a-z_, ]+)\) \((?:rate|increase)\((pulse_[a-z_]+)/g,
      )) {
        const [, labels, name] = match as unknown as [string, string, string];
        const metric = metrics.registry.getSingleMetric(name.replace(/_bucket$/, '')) as
          { labelNames?: string[] } | undefined;
        const known = new Set([...(metric?.labelNames ?? []), 'le', 'instance', 'job']);
        for (const label of labels.split(',').map((each) => each.trim()))
          expect(known, `${path}: ${name} by ${label}`).toContain(label);
      }
    }
  });

  it('cover lag, stream time, held lapses, dead letters, commit latency and fencing', () => {
    for (const { path, text } of files) {
      for (const metric of [
        'pulse_partition_lag',
        'pulse_partition_stream_time_ms',
        'pulse_signals_held_total',
        'pulse_events_dead_lettered_total',
        'pulse_commit_duration_seconds_bucket',
        'pulse_fenced_total',
      ])
        expect(text, path).toContain(metric);
    }
  });
});
