import { InvalidArgumentError } from 'commander';

/** Where `pulse replay` sends signals: nowhere (counted) or a topic that is not a live one. */
export type SignalsOption = { mode: 'suppress' } | { mode: 'redirect'; topic: string };

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** commander parser for `--signals suppress|redirect:<topic>`. */
export function parseSignalsOption(value: string): SignalsOption {
  if (value === 'suppress') return { mode: 'suppress' };
  if (value.startsWith('redirect:')) {
    const topic = value.slice('redirect:'.length);
    if (!TOPIC_NAME.test(topic)) {
      throw new InvalidArgumentError(`"${topic}" is not a valid Kafka topic name`);
    }
    return { mode: 'redirect', topic };
  }
  throw new InvalidArgumentError('expected suppress or redirect:<topic>');
}

/** `--from earliest` or an ISO-8601 time (with a zone, so it means one instant). */
export type FromOption = { kind: 'earliest' } | { kind: 'time'; timeMs: number };

/** commander parser for `--from <ISO time|earliest>`. */
export function parseFromOption(value: string): FromOption {
  if (value === 'earliest') return { kind: 'earliest' };
  const zoned = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const timeMs = Date.parse(value);
  if (!zoned.test(value) || Number.isNaN(timeMs)) {
    throw new InvalidArgumentError(
      'expected earliest or an ISO-8601 time with a zone, e.g. 2026-03-01T00:00:00Z or 2026-03-01',
    );
  }
  return { kind: 'time', timeMs };
}
