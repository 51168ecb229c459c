import type { ProfilerConfig } from './config.ts';

/**
 * Where a run's dead letters go: where its signals go. The live profiler (`outbox`) sends them
 * to the dead-letter topic; a replay never touches the live topics, so with signals suppressed
 * its dead letters are dropped too (counted, like the signals: the live run already sent them),
 * and with signals redirected they go to the redirect topic beside the signals (told apart by
 * their `pulse-error-kind` header). null: not sent.
 */
export function deadLetterTopicOf(
  config: Pick<ProfilerConfig, 'signalMode' | 'redirectTopic' | 'deadLetterTopic'>,
): string | null {
  if (config.signalMode === 'suppress') return null;
  if (config.signalMode === 'redirect') return config.redirectTopic ?? null;
  return config.deadLetterTopic;
}
