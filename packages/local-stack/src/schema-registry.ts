import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureSchemaRegistryDistribution } from './artifacts.ts';
import { freePort } from './ports.ts';
import { startProcess, type StartedProcess } from './process.ts';
import { waitUntil } from './wait.ts';

export interface SchemaRegistryServer {
  /** Base URL of the Confluent-compatible API, what @kafkajs/confluent-schema-registry takes. */
  url: string;
  process: StartedProcess;
}

/** Apicurio Registry (Quarkus) with in-memory H2 storage, on a free loopback port. */
export async function startSchemaRegistry(options: {
  workDir: string;
  detached: boolean;
  log: (line: string) => void;
}): Promise<SchemaRegistryServer> {
  const jar = ensureSchemaRegistryDistribution(options.log);
  const port = await freePort();
  const logsDir = join(options.workDir, 'schema-registry');
  mkdirSync(logsDir, { recursive: true });
  const server = startProcess(
    'schema-registry',
    'java',
    [
      '-Xmx384m',
      '-XX:+UseSerialGC',
      `-Dquarkus.http.port=${port}`,
      '-Dquarkus.http.host=127.0.0.1',
      '-Dquarkus.log.level=WARN',
      // No telemetry or UI: the tests only need the REST API.
      '-Dquarkus.otel.enabled=false',
      '-jar',
      jar,
    ],
    { cwd: dirname(jar), logFile: join(logsDir, 'registry.log'), detached: options.detached },
  );
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  await waitForSchemaRegistry(url, { timeoutMs: 90_000, abortIf: server.exited });
  return { url, process: server };
}

export async function waitForSchemaRegistry(
  url: string,
  options: { timeoutMs: number; abortIf?: () => string | undefined },
): Promise<void> {
  await waitUntil(
    `schema registry at ${url}`,
    async () => {
      const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
      return response.ok;
    },
    { timeoutMs: options.timeoutMs, intervalMs: 300, abortIf: options.abortIf },
  );
}
