// The Confluent wire format: one magic byte (0), a 4-byte big-endian schema id, then the Avro
// binary body. A JSON document can never start with byte 0, so the first byte tells the two
// encodings apart without configuration.

export const CONFLUENT_MAGIC_BYTE = 0;
export const CONFLUENT_HEADER_BYTES = 5;

export function isConfluentFramed(value: Buffer): boolean {
  return value.length > 0 && value[0] === CONFLUENT_MAGIC_BYTE;
}

export function confluentFrame(schemaId: number, avroBody: Buffer): Buffer {
  const header = Buffer.alloc(CONFLUENT_HEADER_BYTES);
  header.writeUInt8(CONFLUENT_MAGIC_BYTE, 0);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, avroBody]);
}

export type ParsedFrame =
  | { ok: true; schemaId: number; body: Buffer }
  | { ok: false; reason: 'not-framed' | 'truncated-header' };

export function parseConfluentFrame(value: Buffer): ParsedFrame {
  if (!isConfluentFramed(value)) return { ok: false, reason: 'not-framed' };
  if (value.length < CONFLUENT_HEADER_BYTES) return { ok: false, reason: 'truncated-header' };
  return {
    ok: true,
    schemaId: value.readInt32BE(1),
    body: value.subarray(CONFLUENT_HEADER_BYTES),
  };
}
