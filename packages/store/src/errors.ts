/** Closed list of the store's error codes. Callers branch on `code` / `retriable`, never on text. */
export type StoreErrorCode =
  | 'STORE_FENCED'
  | 'STORE_VERSION_CONFLICT'
  | 'STORE_UNAVAILABLE'
  | 'STORE_EVICTION_POLICY'
  | 'STORE_CORRUPT'
  | 'STORE_NAMESPACE_LIVE'
  | 'STORE_NAMESPACE_NOT_EMPTY'
  | 'STORE_NAMESPACE_EMPTY'
  | 'STORE_LAYOUT_OUTDATED';

const RETRIABLE: Record<StoreErrorCode, boolean> = {
  // Another owner has the partition: this writer must drop its work, not retry it.
  STORE_FENCED: false,
  // Reload and recompute: the state moved under us.
  STORE_VERSION_CONFLICT: true,
  STORE_UNAVAILABLE: true,
  STORE_EVICTION_POLICY: false,
  STORE_CORRUPT: false,
  // Refusals of namespace operations: the caller chose the wrong namespace.
  STORE_NAMESPACE_LIVE: false,
  STORE_NAMESPACE_NOT_EMPTY: false,
  STORE_NAMESPACE_EMPTY: false,
  // The partition still has the single-key layout: `pulse namespace migrate` first.
  STORE_LAYOUT_OUTDATED: false,
};

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly retriable: boolean;
  readonly context: Record<string, unknown>;

  constructor(
    code: StoreErrorCode,
    message: string,
    options: { cause?: unknown; [key: string]: unknown } = {},
  ) {
    const { cause, ...context } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StoreError';
    this.code = code;
    this.retriable = RETRIABLE[code];
    this.context = context;
  }
}

/** Maps the commit script's return codes to typed errors, in one place. */
export function commitResultToError(
  result: number,
  context: Record<string, unknown>,
): StoreError | undefined {
  if (result >= 1) return undefined;
  if (result === -1)
    return new StoreError('STORE_FENCED', 'the partition has another owner', context);
  if (result === -2) {
    return new StoreError(
      'STORE_VERSION_CONFLICT',
      'the partition state moved since it was loaded',
      context,
    );
  }
  return new StoreError('STORE_CORRUPT', `unexpected commit result ${result}`, context);
}
