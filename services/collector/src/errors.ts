export const COLLECTOR_ERROR_CODES = [
  'KAFKA_UNAVAILABLE',
  'PRODUCE_TIMEOUT',
  'PRODUCE_FAILED',
] as const;
export type CollectorErrorCode = (typeof COLLECTOR_ERROR_CODES)[number];

/** Errors of the collector; every one of them means "the broker did not acknowledge": retry. */
export class CollectorError extends Error {
  readonly retriable = true;

  constructor(
    readonly code: CollectorErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CollectorError';
  }
}
