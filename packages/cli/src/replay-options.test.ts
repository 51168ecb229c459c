import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgressLine, formatProgressLog, renderBar } from './progress.ts';
import { parseFromOption, parseSignalsOption } from './replay-options.ts';

describe('replay options', () => {
  it('parses --signals suppress and redirect:<topic>, and rejects anything else', () => {
    expect(parseSignalsOption('suppress')).toEqual({ mode: 'suppress' });
    expect(parseSignalsOption('redirect:replay.signals')).toEqual({
      mode: 'redirect',
      topic: 'replay.signals',
    });
    expect(() => parseSignalsOption('redirect:')).toThrow(/not a valid Kafka topic/);
    expect(() => parseSignalsOption('redirect:a b')).toThrow(/not a valid Kafka topic/);
    expect(() => parseSignalsOption('outbox')).toThrow(/suppress or redirect/);
  });

  it('parses --from earliest or a zoned ISO time, and rejects a local or broken one', () => {
    expect(parseFromOption('earliest')).toEqual({ kind: 'earliest' });
    expect(parseFromOption('2026-03-01T00:00:00Z')).toEqual({
      kind: 'time',
      timeMs: Date.UTC(2026, 2, 1),
    });
    expect(parseFromOption('2026-03-01T02:00:00+02:00')).toEqual({
      kind: 'time',
      timeMs: Date.UTC(2026, 2, 1),
    });
    expect(parseFromOption('2026-03-01')).toEqual({ kind: 'time', timeMs: Date.UTC(2026, 2, 1) });
    expect(() => parseFromOption('2026-03-01T00:00:00')).toThrow(/with a zone/);
    expect(() => parseFromOption('yesterday')).toThrow(/earliest or an ISO-8601/);
    expect(() => parseFromOption('2026-13-45T00:00:00Z')).toThrow();
  });
});

describe('replay progress text', () => {
  const progress = {
    namespace: 'v2',
    partitions: [
      { partition: 0, done: 500, total: 1000 },
      { partition: 1, done: 250, total: 1000 },
    ],
    done: 750,
    total: 2000,
    elapsedMs: 5_000,
    eventsPerSecond: 150,
    etaMs: 8_333,
    caughtUp: false,
  };

  it('formats durations and bars', () => {
    expect(formatDuration(8_333)).toBe('8s');
    expect(formatDuration(75_000)).toBe('1m15s');
    expect(formatDuration(3_660_000)).toBe('1h01m');
    expect(formatDuration(null)).toBe('?');
    expect(renderBar(0.5, 10)).toBe('█████░░░░░');
    expect(renderBar(2, 4)).toBe('████');
    expect(renderBar(Number.NaN, 4)).toBe('░░░░');
  });

  it('fits the terminal line to its width and shows rate and ETA', () => {
    const line = formatProgressLine(progress, 100);
    expect(line.length).toBeLessThan(100);
    expect(line).toContain('37% 750/2000 events');
    expect(line).toContain('150/s');
    expect(line).toContain('ETA 8s');
    expect(formatProgressLine(progress, 40).length).toBeLessThan(40);
  });

  it('logs each partition position against its end', () => {
    expect(formatProgressLog(progress)).toBe(
      'replay v2: 750/2000 events (37%), 150 events/s, ETA 8s, elapsed 5s | p0=500/1000 p1=250/1000',
    );
  });
});
