// Producing contract-shaped bytes: plain JSON, or the Confluent wire format through the registry.
// Pulse's own outputs (signals) are validated before they leave: an invalid signal is a bug in
// Pulse and fails loudly here rather than in a retention system.
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { ContractsError } from './errors.ts';
import { registryError } from './registry-errors.ts';
import { describeIssues } from './validation-messages.ts';
import { signalWireSchema, type SignalWire } from './wire.ts';

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Validates a signal against its contract and encodes it as JSON. */
export function encodeSignalJson(signal: SignalWire): Buffer {
  return encodeJson(validSignal(signal));
}

export function validSignal(signal: SignalWire): SignalWire {
  const parsed = signalWireSchema.safeParse(signal);
  if (!parsed.success) {
    throw new ContractsError(
      'CONTRACT_VIOLATION',
      `signal breaks its contract: ${describeIssues(parsed.error.issues)}`,
    );
  }
  return parsed.data;
}

export type RegistryEncoder = Pick<SchemaRegistry, 'encode' | 'getLatestSchemaId'>;

export interface AvroEncoder {
  /** Confluent-framed Avro bytes of `value` under the subject's schema. */
  encode(value: unknown): Promise<Buffer>;
  /** The schema id used; resolved from the subject's latest version on first use. */
  schemaId(): Promise<number>;
}

export interface AvroEncoderOptions {
  /** Pin a schema id instead of asking the registry for the subject's latest. */
  schemaId?: number;
}

export function createAvroEncoder(
  registry: RegistryEncoder,
  subject: string,
  options: AvroEncoderOptions = {},
): AvroEncoder {
  let schemaIdRequest: Promise<number> | undefined =
    options.schemaId === undefined ? undefined : Promise.resolve(options.schemaId);

  function schemaId(): Promise<number> {
    if (schemaIdRequest === undefined) {
      schemaIdRequest = registry.getLatestSchemaId(subject).catch((error: unknown) => {
        schemaIdRequest = undefined; // a later call may succeed once the registry is back
        throw registryError(error, `looking up the latest schema of ${subject}`, { subject });
      });
    }
    return schemaIdRequest;
  }

  async function encode(value: unknown): Promise<Buffer> {
    const id = await schemaId();
    try {
      return await registry.encode(id, value);
    } catch (error) {
      const paths = (error as { paths?: unknown }).paths;
      if (Array.isArray(paths)) {
        // avsc's validation error: name the fields, not the values.
        const fields = paths.map((path) => (Array.isArray(path) ? path.join('.') : String(path)));
        throw new ContractsError(
          'CONTRACT_VIOLATION',
          `value does not match ${subject} (schema id ${id}) at ${fields.join(', ') || '(value)'}`,
          { subject, schemaId: id },
        );
      }
      throw registryError(error, `encoding with schema id ${id}`, { subject, schemaId: id });
    }
  }

  return { encode, schemaId };
}
