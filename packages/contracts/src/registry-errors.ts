// One place that turns failures of the schema registry client or of raw REST calls into
// ContractsErrors, so callers branch on code/retriable instead of on HTTP details.
import { ContractsError, type ContractsErrorCode, type ContractsErrorContext } from './errors.ts';

export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const status = (error as { status: unknown }).status;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

/** 5xx, 408, 429 and network failures (no status at all) are worth retrying. */
export function isTransientStatus(status: number | undefined): boolean {
  return status === undefined || status >= 500 || status === 408 || status === 429;
}

export function registryError(
  error: unknown,
  action: string,
  context: Omit<ContractsErrorContext, 'cause'> = {},
): ContractsError {
  if (error instanceof ContractsError) return error;
  const status = httpStatusOf(error);
  let code: ContractsErrorCode;
  if (status === 409) code = 'INCOMPATIBLE_SCHEMA';
  else if (isTransientStatus(status)) code = 'REGISTRY_UNAVAILABLE';
  else code = 'REGISTRY_PROTOCOL';
  const detail = status === undefined ? '' : ` (HTTP ${status})`;
  return new ContractsError(code, `schema registry: ${action} failed${detail}`, {
    cause: error,
    ...context,
  });
}
