import { describe, expect, it } from 'vitest';
import { parseProfilerConfig } from './config.ts';
import { deadLetterTopicOf } from './dead-letter-route.ts';

describe('deadLetterTopicOf', () => {
  it('sends the live run’s dead letters to the dead-letter topic', () => {
    expect(deadLetterTopicOf(parseProfilerConfig({ deadLetterTopic: 'pulse.dlq' }))).toBe(
      'pulse.dlq',
    );
  });

  it('drops a replay’s dead letters when its signals are suppressed', () => {
    expect(deadLetterTopicOf(parseProfilerConfig({ signalMode: 'suppress' }))).toBeNull();
  });

  it('sends a replay’s dead letters to its redirect topic, never the live one', () => {
    expect(
      deadLetterTopicOf(
        parseProfilerConfig({ signalMode: 'redirect', redirectTopic: 'replay.v2.out' }),
      ),
    ).toBe('replay.v2.out');
  });
});
