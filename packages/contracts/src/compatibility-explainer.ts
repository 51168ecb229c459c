// Names the fields that make a candidate schema unable to read data written with the registered
// one (BACKWARD). The registry stays the judge of compatibility; this only explains a "no".
// It exists because Apicurio's Confluent-compatible API (3.0.x) answers is_compatible=false with
// no messages even with ?verbose=true, and `pulse schemas check` must say which field breaks.
import avro from 'avsc';

interface FieldLike {
  name: string;
  type: unknown;
  default?: unknown;
  aliases?: string[];
}

interface RecordLike {
  type: string;
  name: string;
  namespace?: string;
  fields?: FieldLike[];
}

function describeType(type: unknown): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.map(describeType).join('|');
  const complex = type as { type?: string; name?: string };
  return complex.name ?? complex.type ?? 'unknown';
}

function canRead(readerField: FieldLike, writerField: FieldLike): boolean {
  const wrap = (field: FieldLike) =>
    avro.Type.forSchema({
      type: 'record',
      name: 'FieldProbe',
      fields: [{ name: 'value', type: field.type }],
    } as avro.Schema);
  try {
    wrap(readerField).createResolver(wrap(writerField));
    return true;
  } catch {
    return false;
  }
}

/**
 * Reasons, one per breaking field, why `reader` (the candidate) cannot read data written with
 * `writer` (the latest registered version). Empty when avsc finds them compatible.
 */
export function explainBackwardIncompatibility(reader: object, writer: object): string[] {
  const readerRecord = reader as RecordLike;
  const writerRecord = writer as RecordLike;
  const fullName = (record: RecordLike) =>
    record.namespace === undefined ? record.name : `${record.namespace}.${record.name}`;
  if (readerRecord.type !== 'record' || writerRecord.type !== 'record') {
    return ['the schema is not a record'];
  }
  const reasons: string[] = [];
  if (fullName(readerRecord) !== fullName(writerRecord)) {
    reasons.push(
      `record renamed from ${fullName(writerRecord)} to ${fullName(readerRecord)} (names must match)`,
    );
  }
  const writerFields = new Map((writerRecord.fields ?? []).map((field) => [field.name, field]));
  for (const readerField of readerRecord.fields ?? []) {
    const writerField = [readerField.name, ...(readerField.aliases ?? [])]
      .map((name) => writerFields.get(name))
      .find((field) => field !== undefined);
    if (writerField === undefined) {
      if (!('default' in readerField)) {
        reasons.push(
          `field ${readerField.name}: added without a default, so data written with the registered version cannot be read`,
        );
      }
      continue;
    }
    if (!canRead(readerField, writerField)) {
      reasons.push(
        `field ${readerField.name}: type changed from ${describeType(writerField.type)} to ${describeType(readerField.type)}, which cannot read the old values`,
      );
    }
  }
  return reasons;
}
