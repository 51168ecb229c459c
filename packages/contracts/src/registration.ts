// Registering the schema files in a Confluent-compatible registry and checking changed files
// against what is registered. Used by `pulse schemas register` and `pulse schemas check`.
// Request building and response parsing are pure functions so they are unit-tested; the calls
// themselves need a running registry (test/contracts.registry.test.ts).
import {
  SchemaType,
  type COMPATIBILITY,
  type SchemaRegistry,
} from '@kafkajs/confluent-schema-registry';
import {
  currentSchema,
  SUBJECT_CONTRACTS,
  type ContractName,
  type SubjectContract,
} from './catalog.ts';
import { explainBackwardIncompatibility } from './compatibility-explainer.ts';
import { ContractsError } from './errors.ts';
import { registryError } from './registry-errors.ts';

export type CompatibilityLevel = `${COMPATIBILITY}`;

export interface RegisterAllOptions {
  compatibility: CompatibilityLevel;
  /** Defaults to every Pulse subject (SUBJECT_CONTRACTS). */
  subjects?: readonly SubjectContract[];
}

export interface RegisteredSubject {
  subject: string;
  contract: ContractName;
  schemaId: number;
}

export type RegistryRegistrar = Pick<SchemaRegistry, 'register'>;

/**
 * Registers the current schema file of every subject. Idempotent: registering an unchanged
 * schema returns its existing id. A subject registered for the first time gets the requested
 * compatibility level; an existing subject with a different level is an error (fix it with
 * setSubjectCompatibility, deliberately).
 */
export async function registerAll(
  registry: RegistryRegistrar,
  options: RegisterAllOptions,
): Promise<RegisteredSubject[]> {
  const registered: RegisteredSubject[] = [];
  for (const { subject, contract } of options.subjects ?? SUBJECT_CONTRACTS) {
    try {
      const { id } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(currentSchema(contract)) },
        { subject, compatibility: options.compatibility as COMPATIBILITY },
      );
      registered.push({ subject, contract, schemaId: id });
    } catch (error) {
      if (error instanceof Error && error.name === 'ConfluentSchemaRegistryCompatibilityError') {
        throw new ContractsError(
          'COMPATIBILITY_LEVEL_MISMATCH',
          `subject ${subject} already has another compatibility level than ${options.compatibility}`,
          { cause: error, subject },
        );
      }
      throw registryError(error, `registering ${subject}`, { subject });
    }
  }
  return registered;
}

export interface CompatibilityCandidate {
  subject: string;
  schema: object;
}

export interface CompatibilityReport {
  subject: string;
  /** False when the subject has no version yet: anything is compatible with nothing. */
  registered: boolean;
  compatible: boolean;
  /** The registry's reasons, e.g. which field breaks; empty when compatible. */
  messages: string[];
}

export interface RegistryHttpOptions {
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface CheckCompatibilityOptions extends RegistryHttpOptions {
  /** Defaults to the current schema file of every Pulse subject. */
  candidates?: readonly CompatibilityCandidate[];
}

const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export function currentCandidates(
  subjects: readonly SubjectContract[] = SUBJECT_CONTRACTS,
): CompatibilityCandidate[] {
  return subjects.map(({ subject, contract }) => ({ subject, schema: currentSchema(contract) }));
}

function registryPath(registryUrl: string, path: string): string {
  return `${registryUrl.replace(/\/+$/, '')}${path}`;
}

export function compatibilityRequest(
  registryUrl: string,
  candidate: CompatibilityCandidate,
): { url: string; init: RequestInit } {
  return {
    url: registryPath(
      registryUrl,
      `/compatibility/subjects/${encodeURIComponent(candidate.subject)}/versions/latest?verbose=true`,
    ),
    init: {
      method: 'POST',
      headers: { 'content-type': REGISTRY_CONTENT_TYPE, accept: REGISTRY_CONTENT_TYPE },
      body: JSON.stringify({ schema: JSON.stringify(candidate.schema) }),
    },
  };
}

function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (typeof message === 'object' && message !== null) {
    const record = message as Record<string, unknown>;
    const description = record['description'] ?? record['message'];
    if (typeof description === 'string') {
      const context = record['context'];
      return typeof context === 'string' ? `${description} at ${context}` : description;
    }
  }
  return JSON.stringify(message);
}

/** Confluent error code 40401/40402: subject / version not found. */
function isSubjectMissing(status: number, body: unknown): boolean {
  if (status !== 404) return false;
  const code = (body as { error_code?: unknown } | null)?.error_code;
  return code === undefined || code === 40401 || code === 40402 || code === 404;
}

export function parseCompatibilityResponse(
  subject: string,
  status: number,
  body: unknown,
): CompatibilityReport {
  if (isSubjectMissing(status, body)) {
    return { subject, registered: false, compatible: true, messages: [] };
  }
  if (status === 422) {
    // Confluent answers 422 (42201) when the candidate itself is not a valid schema.
    const message = (body as { message?: unknown } | null)?.message;
    return {
      subject,
      registered: true,
      compatible: false,
      messages: [typeof message === 'string' ? message : 'the schema is invalid'],
    };
  }
  if (status < 200 || status >= 300) {
    throw registryError({ status }, `compatibility check of ${subject}`, { subject });
  }
  const record = (body ?? {}) as Record<string, unknown>;
  const flag = record['is_compatible'] ?? record['isCompatible'];
  if (typeof flag !== 'boolean') {
    throw new ContractsError(
      'REGISTRY_PROTOCOL',
      `compatibility check of ${subject}: the answer has no is_compatible flag`,
      { subject },
    );
  }
  const rawMessages = record['messages'];
  const messages = Array.isArray(rawMessages) ? rawMessages.map(messageText) : [];
  return { subject, registered: true, compatible: flag, messages: flag ? [] : messages };
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}

export function latestVersionUrl(registryUrl: string, subject: string): string {
  return registryPath(registryUrl, `/subjects/${encodeURIComponent(subject)}/versions/latest`);
}

/** The latest registered schema of a subject, or undefined when the subject has no version. */
export function parseLatestVersionResponse(
  subject: string,
  status: number,
  body: unknown,
): object | undefined {
  if (isSubjectMissing(status, body)) return undefined;
  if (status < 200 || status >= 300) {
    throw registryError({ status }, `reading the latest version of ${subject}`, { subject });
  }
  const schemaText = (body as { schema?: unknown } | null)?.schema;
  if (typeof schemaText !== 'string') {
    throw new ContractsError('REGISTRY_PROTOCOL', `latest version of ${subject} has no schema`, {
      subject,
    });
  }
  try {
    return JSON.parse(schemaText) as object;
  } catch (cause) {
    throw new ContractsError('REGISTRY_PROTOCOL', `latest version of ${subject} is not JSON Avro`, {
      cause,
      subject,
    });
  }
}

async function call(
  doFetch: typeof fetch,
  url: string,
  init: RequestInit,
  subject: string,
  action: string,
): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await doFetch(url, init);
  } catch (error) {
    throw registryError(error, `${action} of ${subject}`, { subject });
  }
  return { status: response.status, body: await readBody(response) };
}

/**
 * Asks the registry whether each candidate schema may become the subject's next version under
 * the subject's compatibility level. When the registry says no without saying why (Apicurio),
 * the reasons are worked out locally against the latest registered version, field by field.
 * `registryUrl` is the Confluent-compatible base, e.g. http://host:port/apis/ccompat/v7.
 */
export async function checkCompatibility(
  registryUrl: string,
  options: CheckCompatibilityOptions = {},
): Promise<CompatibilityReport[]> {
  const doFetch = options.fetch ?? fetch;
  const reports: CompatibilityReport[] = [];
  for (const candidate of options.candidates ?? currentCandidates()) {
    const { subject } = candidate;
    const latestAnswer = await call(
      doFetch,
      latestVersionUrl(registryUrl, subject),
      { method: 'GET', headers: { accept: REGISTRY_CONTENT_TYPE } },
      subject,
      'reading the latest version',
    );
    const latest = parseLatestVersionResponse(subject, latestAnswer.status, latestAnswer.body);
    if (latest === undefined) {
      reports.push({ subject, registered: false, compatible: true, messages: [] });
      continue;
    }
    const { url, init } = compatibilityRequest(registryUrl, candidate);
    const answer = await call(doFetch, url, init, subject, 'compatibility check');
    const report = parseCompatibilityResponse(subject, answer.status, answer.body);
    if (!report.compatible && report.messages.length === 0) {
      report.messages = explainBackwardIncompatibility(candidate.schema, latest);
    }
    reports.push(report);
  }
  return reports;
}

/** "subject: reason" lines of every incompatible report; empty when all is well. */
export function breakingMessages(reports: readonly CompatibilityReport[]): string[] {
  return reports
    .filter((report) => !report.compatible)
    .flatMap((report) =>
      report.messages.length === 0
        ? [`${report.subject}: incompatible with the latest registered version`]
        : report.messages.map((message) => `${report.subject}: ${message}`),
    );
}

/** Sets a subject's compatibility level (PUT /config/{subject}). */
export async function setSubjectCompatibility(
  registryUrl: string,
  subject: string,
  compatibility: CompatibilityLevel,
  options: RegistryHttpOptions = {},
): Promise<void> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(registryPath(registryUrl, `/config/${encodeURIComponent(subject)}`), {
      method: 'PUT',
      headers: { 'content-type': REGISTRY_CONTENT_TYPE, accept: REGISTRY_CONTENT_TYPE },
      body: JSON.stringify({ compatibility }),
    });
  } catch (error) {
    throw registryError(error, `setting the compatibility of ${subject}`, { subject });
  }
  if (!response.ok) {
    throw registryError({ status: response.status }, `setting the compatibility of ${subject}`, {
      subject,
    });
  }
}
