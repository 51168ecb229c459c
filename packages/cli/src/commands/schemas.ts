// `pulse schemas register` and `pulse schemas check`: the schema files under schemas/avro/ and
// the schema registry. Only the registry is needed (no Kafka, no Redis), so the registry settings
// are resolved here on their own: SCHEMA_REGISTRY_URL from the environment, else from the stack
// `pulse infra up` started.
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import {
  breakingMessages,
  checkCompatibility,
  CURRENT_SCHEMA_VERSIONS,
  isContractsError,
  loadSchemaFile,
  registerAll,
  SCHEMAS_DIRECTORY,
  SUBJECT_CONTRACTS,
  type CompatibilityCandidate,
  type ContractName,
} from '@pulse/contracts';
import { readStackState } from '@pulse/local-stack';
import { examples, paragraphs } from '../help-text.ts';

const COMPATIBILITY = 'BACKWARD';

/** Exit codes of `schemas check`: CI can tell a breaking change from a registry it cannot reach. */
export const SCHEMAS_CHECK_EXIT = { ok: 0, incompatible: 1, couldNotCheck: 2 } as const;

interface RegistrySettings {
  url: string;
  auth?: { username: string; password: string };
}

function registrySettings(env: NodeJS.ProcessEnv = process.env): RegistrySettings {
  const merged = { ...(readStackState()?.settings ?? {}), ...env } as Record<
    string,
    string | undefined
  >;
  const url = merged['SCHEMA_REGISTRY_URL'];
  if (url === undefined || url === '') {
    throw new Error(
      "SCHEMA_REGISTRY_URL is not set and no local stack runs: set it to the registry's " +
        'Confluent-compatible API (e.g. http://host:8080/apis/ccompat/v7), or run ' +
        '`eval "$(npx pulse infra up)"` first',
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('SCHEMA_REGISTRY_URL is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error('SCHEMA_REGISTRY_URL must be an http:// or https:// URL');
  }
  const username = merged['SCHEMA_REGISTRY_USERNAME'];
  const password = merged['SCHEMA_REGISTRY_PASSWORD'];
  return username && password ? { url, auth: { username, password } } : { url };
}

/** fetch with HTTP Basic credentials, for the raw REST calls of the compatibility check. */
function authenticatedFetch(auth: RegistrySettings['auth']): typeof fetch {
  if (auth === undefined) return fetch;
  const header = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', header);
    return fetch(input, { ...init, headers });
  };
}

/**
 * The directory holding the .avsc files: `<dir>/avro/` when it exists (dir is a copy of the
 * repo's schemas/), else `<dir>` itself.
 */
function avroDirectory(dir: string | undefined): URL {
  if (dir === undefined) return SCHEMAS_DIRECTORY;
  const base = resolve(dir);
  if (!existsSync(base)) throw new Error(`--schemas-dir ${dir} does not exist`);
  const nested = resolve(base, 'avro');
  return pathToFileURL(`${existsSync(nested) ? nested : base}/`);
}

function schemaFileName(contract: ContractName): string {
  return `${contract}.v${CURRENT_SCHEMA_VERSIONS[contract]}.avsc`;
}

/** Files newer than the version the code reads: checked by nothing until the version is bumped. */
function filesAheadOfCode(directory: URL): string[] {
  const notes: string[] = [];
  for (const name of readdirSync(directory)) {
    const match = /^(visit|purchase|traits|signal)\.v(\d+)\.avsc$/.exec(name);
    if (match === null) continue;
    const contract = match[1] as ContractName;
    if (Number(match[2]) > CURRENT_SCHEMA_VERSIONS[contract]) {
      notes.push(
        `note: ${name} is not checked: the code reads ${schemaFileName(contract)}. Bump ` +
          `CURRENT_SCHEMA_VERSIONS.${contract} in packages/contracts/src/catalog.ts to check it.`,
      );
    }
  }
  return notes;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

export function registerSchemasCommands(program: Command): void {
  const schemas = program
    .command('schemas')
    .summary('register the schemas, check a changed one')
    .description(
      paragraphs(
        'The event, traits and signal contracts (schemas/avro/*.avsc) in the schema registry: ' +
          '`register` registers them, `check` tells whether a changed file is compatible with ' +
          'what is registered.',
        'Both read SCHEMA_REGISTRY_URL, the Confluent-compatible API of the registry (e.g. ' +
          'http://localhost:8080/apis/ccompat/v7), and optionally SCHEMA_REGISTRY_USERNAME and ' +
          'SCHEMA_REGISTRY_PASSWORD; without them they use the stack `npx pulse infra up` ' +
          'started. Kafka and Redis are not needed.',
        [
          'Changing a schema (packages/contracts/README.md says more):',
          '  1. add schemas/avro/visit.v2.avsc (new fields optional, "default": null)',
          '  2. bump CURRENT_SCHEMA_VERSIONS.visit in packages/contracts/src/catalog.ts',
          '  3. npx pulse schemas check      # names the field that breaks, if any',
          '  4. npx pulse schemas register',
        ].join('\n'),
      ),
    )
    .addHelpText('after', examples('npx pulse schemas check', 'npx pulse schemas register'));

  schemas
    .command('register')
    .summary('register every schema file with BACKWARD compatibility')
    .description(
      paragraphs(
        'Registers the schema file of every subject with BACKWARD compatibility and prints ' +
          '"subject → schema id": pulse.visits-value and pulse.purchases-value (the events the ' +
          "profiler reads), pulse.traits-value (customers' traits), pulse.signals.lapse-value " +
          'and pulse.signals.ready-to-buy-value (the signals).',
        'Safe to run again: an unchanged file keeps its id. The registry refuses an ' +
          'incompatible file; `npx pulse schemas check` tells which field breaks. The file of ' +
          'each contract is the version the code reads (CURRENT_SCHEMA_VERSIONS in ' +
          'packages/contracts/src/catalog.ts), e.g. schemas/avro/visit.v1.avsc.',
      ),
    )
    .addHelpText('after', examples('npx pulse schemas register'))
    .action(async () => {
      const settings = registrySettings();
      const registry = new SchemaRegistry({
        host: settings.url,
        ...(settings.auth ? { auth: settings.auth } : {}),
      });
      const registered = await registerAll(registry, { compatibility: COMPATIBILITY });
      const width = Math.max(...registered.map((entry) => entry.subject.length));
      for (const entry of registered) {
        process.stdout.write(
          `${entry.subject.padEnd(width)} → ${String(entry.schemaId).padEnd(6)} ${schemaFileName(entry.contract).padEnd(17)} ${COMPATIBILITY}\n`,
        );
      }
    });

  schemas
    .command('check')
    .summary('fail, naming the field, when a schema file is incompatible')
    .description(
      paragraphs(
        'Asks the registry whether each schema file may become the next version of its ' +
          "subject under the subject's compatibility level (BACKWARD for Pulse: the new schema " +
          'must read data written with the registered one). Prints one line per subject and, ' +
          'for a breaking change, the field that breaks. Registers nothing.',
        [
          'Exit code:',
          '  0  every file is compatible, or its subject is not registered yet',
          '  1  a file is incompatible (or is not a valid schema file)',
          '  2  the check could not run (registry unreachable, settings missing)',
        ].join('\n'),
      ),
    )
    .option(
      '--schemas-dir <dir>',
      "schema files to check: a copy of the repo's schemas/ (with avro/ inside) or a " +
        "directory of .avsc files (default: the repo's schemas/)",
    )
    .addHelpText(
      'after',
      examples('npx pulse schemas check', 'npx pulse schemas check --schemas-dir /tmp/candidate'),
    )
    .action(async (options: { schemasDir?: string }) => {
      let settings: RegistrySettings;
      let directory: URL;
      try {
        settings = registrySettings();
        directory = avroDirectory(options.schemasDir);
      } catch (error) {
        process.stderr.write(`pulse: ${errorText(error)}\n`);
        process.exitCode = SCHEMAS_CHECK_EXIT.couldNotCheck;
        return;
      }

      const candidates: (CompatibilityCandidate & { file: string })[] = [];
      const invalid: string[] = [];
      for (const { subject, contract } of SUBJECT_CONTRACTS) {
        const file = schemaFileName(contract);
        try {
          const schema = loadSchemaFile(new URL(file, directory));
          candidates.push({ subject, schema, file });
        } catch (error) {
          if (!isContractsError(error)) throw error;
          invalid.push(`${subject}: ${file}: ${errorText(error)}`);
        }
      }

      let reports;
      try {
        reports = await checkCompatibility(settings.url, {
          candidates,
          fetch: authenticatedFetch(settings.auth),
        });
      } catch (error) {
        process.stderr.write(`pulse: ${errorText(error)}\n`);
        process.exitCode = SCHEMAS_CHECK_EXIT.couldNotCheck;
        return;
      }

      const width = Math.max(...SUBJECT_CONTRACTS.map(({ subject }) => subject.length));
      reports.forEach((report, index) => {
        const file = candidates[index]?.file ?? '';
        const verdict = !report.compatible
          ? 'INCOMPATIBLE'
          : report.registered
            ? 'compatible'
            : 'not registered yet (anything is compatible)';
        process.stdout.write(`${report.subject.padEnd(width)}  ${file.padEnd(17)} ${verdict}\n`);
      });
      const breaking = [...invalid, ...breakingMessages(reports)];
      for (const note of filesAheadOfCode(directory)) process.stderr.write(`${note}\n`);
      if (breaking.length > 0) {
        process.stdout.write('\nbreaking changes:\n');
        for (const line of breaking) process.stdout.write(`  ${line}\n`);
        process.exitCode = SCHEMAS_CHECK_EXIT.incompatible;
      }
    });
}
