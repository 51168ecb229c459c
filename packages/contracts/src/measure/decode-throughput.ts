// Decode cost of one input event on one core, JSON vs Avro, in the profiler's hot path.
// Run: npx tsx packages/contracts/src/measure/decode-throughput.ts
// Prints figures; asserts nothing (timings depend on the machine).
//
// Four lines per encoding kind, so the cost can be attributed:
//  - raw JSON.parse / raw avsc Type.fromBuffer (with the cached writer→reader resolver): the
//    format's own cost;
//  - zod validation of the decoded object alone;
//  - the full createEventDecoder().decode path (framing, cached schema lookup, zod, domain mapping).
// The registry is a local stub holding the schema: after the first message the decoder never
// calls it again, so this measures decode cost, not network.
import avro from 'avsc';
import { currentSchema } from '../catalog.ts';
import { confluentFrame } from '../confluent-frame.ts';
import { encodeJson } from '../encoders.ts';
import { createEventDecoder } from '../event-decoder.ts';
import { visitWireSchema } from '../wire.ts';

const MESSAGES = 200_000;
const WARMUP = 20_000;
const SCHEMA_ID = 1;

const visitType = avro.Type.forSchema(currentSchema('visit') as unknown as avro.Schema);
const resolver = visitType.createResolver(visitType);

const visits = Array.from({ length: 1024 }, (_, index) => ({
  eventId: `evt-${index.toString(36)}-0f3c2a9e-7d41-4d2b-9a55`,
  customerId: `customer-${(index * 7919) % 100_000}`,
  occurredAt: new Date(Date.UTC(2025, 2, 1) + index * 61_000).toISOString(),
  sessionId: `session-${index % 97}`,
  page: `/catalog/shoes/running/item-${index % 311}?ref=home`,
  source: 'web',
}));
const jsonValues = visits.map((visit) => encodeJson(visit));
const avroValues = visits.map((visit) => confluentFrame(SCHEMA_ID, visitType.toBuffer(visit)));

function perSecond(label: string, run: (index: number) => unknown, bytes?: number): void {
  for (let index = 0; index < WARMUP; index += 1) run(index);
  const started = process.hrtime.bigint();
  for (let index = 0; index < MESSAGES; index += 1) run(index);
  const elapsedNs = Number(process.hrtime.bigint() - started);
  const rate = Math.round((MESSAGES / elapsedNs) * 1e9);
  const size = bytes === undefined ? '' : `  (${bytes} B/msg)`;
  console.log(
    `${label.padEnd(44)} ${rate.toLocaleString('en-US').padStart(12)} events/s  ${(elapsedNs / MESSAGES / 1000).toFixed(2)} µs/event${size}`,
  );
}

async function perSecondAsync(
  label: string,
  run: (index: number) => Promise<unknown>,
  bytes: number,
): Promise<void> {
  for (let index = 0; index < WARMUP; index += 1) await run(index);
  const started = process.hrtime.bigint();
  for (let index = 0; index < MESSAGES; index += 1) await run(index);
  const elapsedNs = Number(process.hrtime.bigint() - started);
  const rate = Math.round((MESSAGES / elapsedNs) * 1e9);
  console.log(
    `${label.padEnd(44)} ${rate.toLocaleString('en-US').padStart(12)} events/s  ${(elapsedNs / MESSAGES / 1000).toFixed(2)} µs/event  (${bytes} B/msg)`,
  );
}

const at = <T>(values: readonly T[], index: number): T => values[index % values.length] as T;
const averageBytes = (values: readonly Buffer[]) =>
  Math.round(values.reduce((total, value) => total + value.length, 0) / values.length);

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${MESSAGES.toLocaleString('en-US')} visits per line`);
  perSecond(
    'JSON.parse only',
    (index) => JSON.parse(at(jsonValues, index).toString('utf8')),
    averageBytes(jsonValues),
  );
  perSecond(
    'Avro fromBuffer only (cached resolver)',
    (index) => visitType.fromBuffer(at(avroValues, index).subarray(5), resolver),
    averageBytes(avroValues),
  );
  perSecond('zod visit validation only', (index) => visitWireSchema.parse(at(visits, index)));

  const decoder = createEventDecoder({ registry: { getSchema: async () => visitType } });
  await perSecondAsync(
    'decoder.decode JSON (full path)',
    (index) => decoder.decode('visit', at(jsonValues, index)),
    averageBytes(jsonValues),
  );
  await perSecondAsync(
    'decoder.decode Avro (full path)',
    (index) => decoder.decode('visit', at(avroValues, index)),
    averageBytes(avroValues),
  );
}

await main();
