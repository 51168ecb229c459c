import { connect, createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { Admin } from 'kafkajs';
import {
  parseCollectorConfig,
  startCollector,
  type Collector,
  type CollectorConfig,
} from '@pulse/collector';
import { loadConnectionEnv, type ConnectionEnv } from '@pulse/config';
import { defaultRulesConfig } from '@pulse/core';
import {
  parseProfileApiConfig,
  startProfileApi,
  type ProfileApi,
  type ProfileApiConfig,
} from '@pulse/profile-api';
import type { ProfilerConfig } from '@pulse/profiler';
import { onCleanup, testConsumer, testEnv, uniqueName } from './infra.ts';
import { waitFor } from './wait.ts';

/** A write key / read key pair per test file; keys must be at least 16 characters. */
export function testKey(label: string): string {
  return uniqueName(`${label}-key-0123456789`);
}

/** A pino logger whose lines the test can read (to prove what is, and is not, logged). */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** A collector in this process, on a free port, producing to the given topics; stopped after the file. */
export async function startTestCollector(
  settings: Partial<CollectorConfig> &
    Pick<CollectorConfig, 'writeKeys' | 'visitsTopic' | 'purchasesTopic'>,
  options: { connection?: ConnectionEnv; logger?: Logger } = {},
): Promise<Collector> {
  const collector = await startCollector({
    connection: options.connection ?? testEnv(),
    config: parseCollectorConfig({ host: '127.0.0.1', port: 0, ...settings }),
    logger: options.logger ?? pino({ level: 'silent' }),
    collectDefaultMetrics: false,
  });
  onCleanup(() => collector.stop());
  return collector;
}

/** A profile API reading what the given profiler writes, ready to serve; stopped after the file. */
export async function startTestProfileApi(
  profiler: ProfilerConfig,
  settings: Partial<ProfileApiConfig> & Pick<ProfileApiConfig, 'readKeys'>,
  options: { connection?: ConnectionEnv; logger?: Logger } = {},
): Promise<ProfileApi> {
  const api = await startProfileApi({
    connection: options.connection ?? testEnv(),
    config: parseProfileApiConfig({
      host: '127.0.0.1',
      port: 0,
      keyPrefix: profiler.keyPrefix,
      visitsTopic: profiler.visitsTopic,
      defaultNamespace: profiler.namespace,
      ...settings,
    }),
    rules: defaultRulesConfig,
    logger: options.logger ?? pino({ level: 'silent' }),
    collectDefaultMetrics: false,
  });
  onCleanup(() => api.stop());
  // The API listens at once and reaches Redis and Kafka on its own time; a client (and a
  // deployment's probe) waits for /readyz before sending lookups, and so do the tests.
  await waitFor('profile API ready', async () => {
    const response = await fetch(`${api.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
    return response.status === 200 ? true : undefined;
  });
  return api;
}

/** A loopback port nothing listens on (taken from the OS, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Connection settings whose Kafka is a closed port (Redis and the registry are the real ones). */
export function unreachableKafkaEnv(port: number): ConnectionEnv {
  const env = testEnv();
  return loadConnectionEnv({
    KAFKA_BROKERS: `127.0.0.1:${port}`,
    REDIS_URL: env.REDIS_URL,
    ...(env.SCHEMA_REGISTRY_URL ? { SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL } : {}),
  });
}

export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** POSTs a body (object → JSON; string sent as is) and reads the JSON answer. */
export async function post<T = unknown>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}

export async function get<T = unknown>(
  url: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // metrics are text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

export interface ConsumedRecord {
  topic: string;
  partition: number;
  key: string;
  value: Record<string, unknown>;
}

/** Reads topics from the beginning until `count` records arrived (a fresh consumer group). */
export async function consumeRecords(topics: string[], count: number): Promise<ConsumedRecord[]> {
  const records: ConsumedRecord[] = [];
  const consumer = testConsumer(uniqueName('http-reader'));
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      records.push({
        topic,
        partition,
        key: message.key?.toString('utf8') ?? '',
        value: JSON.parse(message.value?.toString('utf8') ?? 'null') as Record<string, unknown>,
      });
    },
  });
  await waitFor(`${count} records on ${topics.join(', ')}`, () =>
    records.length >= count ? true : undefined,
  );
  await consumer.stop();
  return records;
}

/** How many records a topic holds (sum of its partitions' log ends). */
export async function recordCount(admin: Admin, topic: string): Promise<number> {
  // Right after creation the admin's metadata may still name an old leader: poll.
  const offsets = await waitFor(`offsets of ${topic}`, () => admin.fetchTopicOffsets(topic));
  return offsets.reduce((total, entry) => total + Number(entry.high), 0);
}

/**
 * A TCP forwarder from a loopback port to the test broker: "Kafka comes back" on a port a
 * client was configured with while nothing listened there. Only the bootstrap connection goes
 * through it (the broker then advertises its own address), which is all a client needs to
 * recover. Closed after the file.
 */
export async function forwardPortToBroker(port: number): Promise<void> {
  const [host, brokerPort] = (testEnv().KAFKA_BROKERS[0] as string).split(':') as [string, string];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(brokerPort), host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
}
