// Where every contract lives: topic names, registry subjects and the Avro files under schemas/.
// The files are read once at module load; they are part of the repository, not configuration.
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { ContractsError } from './errors.ts';

export const TOPICS = {
  visits: 'pulse.visits',
  purchases: 'pulse.purchases',
  traits: 'pulse.traits',
  lapseSignals: 'pulse.signals.lapse',
  readyToBuySignals: 'pulse.signals.ready-to-buy',
  deadLetter: 'pulse.dlq',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** Confluent's default TopicNameStrategy: the value schema of topic T lives under "T-value". */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

export type ContractName = 'visit' | 'purchase' | 'traits' | 'signal';

/** The newest version of each record; a new file (visit.v2.avsc) moves this number. */
export const CURRENT_SCHEMA_VERSIONS: Readonly<Record<ContractName, number>> = {
  visit: 1,
  purchase: 1,
  traits: 1,
  signal: 2,
};

export const SCHEMAS_DIRECTORY = new URL('../../../schemas/avro/', import.meta.url);

export function schemaFileUrl(contract: ContractName, version: number): URL {
  return new URL(`${contract}.v${version}.avsc`, SCHEMAS_DIRECTORY);
}

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace: string;
  doc?: string;
  fields: AvroField[];
}

export interface AvroField {
  name: string;
  type: unknown;
  doc?: string;
  default?: unknown;
}

/** Reads and checks one schema file; throws SCHEMA_FILE_INVALID naming the file on any problem. */
export function loadSchemaFile(url: URL): AvroRecordSchema {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(url, 'utf8'));
    avro.Type.forSchema(parsed as avro.Schema);
  } catch (cause) {
    throw new ContractsError('SCHEMA_FILE_INVALID', `${url.pathname} is not a valid Avro schema`, {
      cause,
    });
  }
  const record = parsed as Partial<AvroRecordSchema>;
  if (
    record.type !== 'record' ||
    record.namespace !== 'dev.pulse' ||
    !Array.isArray(record.fields)
  ) {
    throw new ContractsError(
      'SCHEMA_FILE_INVALID',
      `${url.pathname} must be a record in namespace dev.pulse`,
    );
  }
  return record as AvroRecordSchema;
}

const currentSchemaCache = new Map<ContractName, AvroRecordSchema>();

/** The current (newest) Avro schema of a contract, as JSON. */
export function currentSchema(contract: ContractName): AvroRecordSchema {
  let schema = currentSchemaCache.get(contract);
  if (schema === undefined) {
    schema = loadSchemaFile(schemaFileUrl(contract, CURRENT_SCHEMA_VERSIONS[contract]));
    currentSchemaCache.set(contract, schema);
  }
  return schema;
}

export interface SubjectContract {
  topic: TopicName;
  subject: string;
  contract: ContractName;
}

/** Every subject Pulse registers. Both signal topics carry the one Signal record. */
export const SUBJECT_CONTRACTS: readonly SubjectContract[] = [
  { topic: TOPICS.visits, subject: valueSubject(TOPICS.visits), contract: 'visit' },
  { topic: TOPICS.purchases, subject: valueSubject(TOPICS.purchases), contract: 'purchase' },
  { topic: TOPICS.traits, subject: valueSubject(TOPICS.traits), contract: 'traits' },
  { topic: TOPICS.lapseSignals, subject: valueSubject(TOPICS.lapseSignals), contract: 'signal' },
  {
    topic: TOPICS.readyToBuySignals,
    subject: valueSubject(TOPICS.readyToBuySignals),
    contract: 'signal',
  },
];
