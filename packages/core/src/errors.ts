// The errors @pulse/core can throw. Callers branch on `code` and the flags, never on message text.
// The list is closed: adding a code is an API change and belongs in the README.

export const CORE_ERROR_CODES = [
  /** A rules configuration failed validation; `context.setting` names the offending path. */
  'INVALID_CONFIG',
  /** An event reached the core with a shape the edge should have rejected (bad number, wrong kind). */
  'INVALID_EVENT',
  /** An event was applied to the profile of a different customer. */
  'CUSTOMER_MISMATCH',
  /** Stored profile bytes could not be decoded (truncated, garbage, inconsistent). */
  'CORRUPT_PROFILE',
  /** Stored profile bytes carry a format version this code does not know. */
  'UNSUPPORTED_PROFILE_VERSION',
  /** A purchase-model function was asked outside its domain (negative parameter, z >= 1 …). */
  'MODEL_DOMAIN',
  /** Stored population statistics or model parameters could not be decoded. */
  'CORRUPT_MODEL',
] as const;

export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number];

export interface CoreErrorOptions {
  cause?: unknown;
  [contextKey: string]: unknown;
}

export class PulseCoreError extends Error {
  readonly code: CoreErrorCode;
  /** Pure functions fail the same way every time: nothing in the core is worth retrying. */
  readonly retriable = false;
  /** True when the input (event, bytes, config) is at fault, so the caller should dead-letter or stop. */
  readonly badInput: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: CoreErrorCode, message: string, options: CoreErrorOptions = {}) {
    const { cause, ...context } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'PulseCoreError';
    this.code = code;
    this.badInput = true;
    this.context = context;
  }
}

/** Thrown by parseRulesConfig; `setting` is the dotted path of the first bad setting. */
export class RulesConfigError extends PulseCoreError {
  readonly setting: string;
  constructor(setting: string, message: string, options: CoreErrorOptions = {}) {
    super('INVALID_CONFIG', message, { ...options, setting });
    this.name = 'RulesConfigError';
    this.setting = setting;
  }
}

/** Thrown by decodeProfile; `offset` is where decoding gave up. */
export class ProfileDecodeError extends PulseCoreError {
  readonly offset: number;
  constructor(
    code: 'CORRUPT_PROFILE' | 'UNSUPPORTED_PROFILE_VERSION',
    message: string,
    offset: number,
    options: CoreErrorOptions = {},
  ) {
    super(code, message, { ...options, offset });
    this.name = 'ProfileDecodeError';
    this.offset = offset;
  }
}

export function isPulseCoreError(error: unknown): error is PulseCoreError {
  return error instanceof PulseCoreError;
}
