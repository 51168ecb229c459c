// The contracts package's typed errors. Callers branch on `code` and `retriable`, never on
// message text. Bad *input* never becomes an exception here (the decoder returns a DLQ verdict);
// these errors are for infrastructure failures and for Pulse's own mistakes.

export const CONTRACTS_ERROR_CODES = [
  /** The schema registry could not be reached or answered 5xx: retry, do not dead-letter. */
  'REGISTRY_UNAVAILABLE',
  /** The registry answered with something this package does not understand. */
  'REGISTRY_PROTOCOL',
  /** A subject already has a compatibility level different from the one requested. */
  'COMPATIBILITY_LEVEL_MISMATCH',
  /** The registry refused a schema as incompatible with what is registered. */
  'INCOMPATIBLE_SCHEMA',
  /** Pulse tried to encode an object that breaks its own contract (a bug upstream). */
  'CONTRACT_VIOLATION',
  /** A schema file under schemas/ is missing or is not valid Avro. */
  'SCHEMA_FILE_INVALID',
] as const;

export type ContractsErrorCode = (typeof CONTRACTS_ERROR_CODES)[number];

const RETRIABLE_CODES: ReadonlySet<ContractsErrorCode> = new Set(['REGISTRY_UNAVAILABLE']);

export interface ContractsErrorContext {
  cause?: unknown;
  subject?: string;
  schemaId?: number;
  field?: string;
  [key: string]: unknown;
}

export class ContractsError extends Error {
  readonly code: ContractsErrorCode;
  readonly retriable: boolean;
  readonly context: Readonly<Omit<ContractsErrorContext, 'cause'>>;

  constructor(code: ContractsErrorCode, message: string, context: ContractsErrorContext = {}) {
    const { cause, ...rest } = context;
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ContractsError';
    this.code = code;
    this.retriable = RETRIABLE_CODES.has(code);
    this.context = rest;
  }
}

export function isContractsError(error: unknown): error is ContractsError {
  return error instanceof ContractsError;
}
