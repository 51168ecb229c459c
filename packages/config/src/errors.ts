/** Closed list of configuration error codes. */
export type ConfigErrorCode = 'CONFIG_INVALID';

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly retriable = false;
  readonly context: Record<string, unknown>;

  constructor(code: ConfigErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ConfigError';
    this.code = code;
    this.context = context;
  }
}
