/*
 * `npx pulse schemas register` and `npx pulse schemas check`, run as a user runs them (child
 * process, settings from the environment) against the real registry. Guards the contracts' evolution rules: the
 * schema files register under the fixed Pulse subjects with BACKWARD compatibility, the check
 * passes on the repo's files, and a changed copy that breaks compatibility fails the check with
 * exit code 1 naming the field. The fixed subjects are fine because the test registry is private
 * to the run; every step is idempotent, so the file can run again against the same registry.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { SCHEMAS_DIRECTORY, SUBJECT_CONTRACTS } from '@pulse/contracts';
import { testProcessEnv } from '../support/infra.ts';
import { runPulse } from '../support/cli.ts';

const REPO_SCHEMAS = fileURLToPath(new URL('..', SCHEMAS_DIRECTORY));

/** "subject → id" lines of `pulse schemas register`. */
function registeredIds(stdout: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const match of stdout.matchAll(/^(\S+)\s+→\s+(\d+)\b/gm)) {
    ids.set(match[1] as string, Number(match[2]));
  }
  return ids;
}

const temporaryDirs: string[] = [];
afterAll(async () => {
  for (const dir of temporaryDirs) await rm(dir, { recursive: true, force: true });
});

/** A copy of the repo's schemas/ with some .avsc files edited. */
async function changedCopy(
  edits: Record<string, (schema: { fields: Record<string, unknown>[] }) => void>,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pulse-schemas-'));
  temporaryDirs.push(dir);
  await cp(REPO_SCHEMAS, dir, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const path = join(dir, 'avro', file);
    const schema = JSON.parse(await readFile(path, 'utf8')) as {
      fields: Record<string, unknown>[];
    };
    edit(schema);
    await writeFile(path, `${JSON.stringify(schema, null, 2)}\n`);
  }
  return dir;
}

describe('pulse schemas register / check against the real registry', () => {
  const env = testProcessEnv();
  const subjects = SUBJECT_CONTRACTS.map((entry) => entry.subject);

  it('registers every subject with BACKWARD, keeps ids on a rerun, and the check then passes', async () => {
    const first = await runPulse(['schemas', 'register'], env);
    expect(first.stderr).not.toMatch(/pulse:/);
    expect(first.code).toBe(0);
    const ids = registeredIds(first.stdout);
    expect([...ids.keys()].sort()).toStrictEqual([...subjects].sort());

    // What the command printed is what the registry holds, at the level it promised.
    const registry = new SchemaRegistry({ host: inject('schemaRegistryUrl') });
    for (const [subject, id] of ids) {
      expect(await registry.getLatestSchemaId(subject), subject).toBe(id);
      const config = await fetch(`${inject('schemaRegistryUrl')}/config/${subject}`);
      const body = (await config.json()) as { compatibilityLevel?: string; compatibility?: string };
      expect(body.compatibilityLevel ?? body.compatibility, subject).toBe('BACKWARD');
    }

    const again = await runPulse(['schemas', 'register'], env);
    expect(again.code).toBe(0);
    expect(registeredIds(again.stdout)).toStrictEqual(ids);

    const check = await runPulse(['schemas', 'check'], env);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    for (const subject of subjects) {
      expect(check.stdout).toMatch(
        new RegExp(`^${subject.replace(/\./g, '\\.')}\\s.*\\scompatible$`, 'm'),
      );
    }
    expect(check.stdout).not.toMatch(/INCOMPATIBLE|breaking/);
  });

  it('fails with exit code 1 and names the fields when a changed copy breaks compatibility', async () => {
    expect((await runPulse(['schemas', 'register'], env)).code).toBe(0);
    const dir = await changedCopy({
      // A new required field: the new reader cannot read visits already written.
      'visit.v2.avsc': (schema) => {
        schema.fields.push({ name: 'tenantId', type: 'string', doc: 'Required tenant.' });
      },
      // Money retyped: old longs cannot be read as strings.
      'purchase.v2.avsc': (schema) => {
        const amount = schema.fields.find((field) => field['name'] === 'amountMinor');
        if (amount === undefined) throw new Error('purchase.v2.avsc has no amountMinor');
        amount['type'] = 'string';
      },
    });

    const check = await runPulse(['schemas', 'check', '--schemas-dir', dir], env);
    expect(check.code, check.stdout + check.stderr).toBe(1);
    expect(check.stdout).toMatch(/^pulse\.visits-value\s.*INCOMPATIBLE$/m);
    expect(check.stdout).toMatch(/^pulse\.purchases-value\s.*INCOMPATIBLE$/m);
    expect(check.stdout).toMatch(/pulse\.visits-value: .*\btenantId\b/);
    expect(check.stdout).toMatch(/pulse\.purchases-value: .*\bamountMinor\b/);
    // The unchanged signal schema is still judged compatible, not swept up in the failure.
    expect(check.stdout).toMatch(/^pulse\.signals\.lapse-value\s.*\scompatible$/m);

    // Nothing was registered by the check: the repo's files still pass.
    expect((await runPulse(['schemas', 'check'], env)).code).toBe(0);
  });

  it('passes a changed copy that only adds an optional field', async () => {
    expect((await runPulse(['schemas', 'register'], env)).code).toBe(0);
    const dir = await changedCopy({
      'visit.v2.avsc': (schema) => {
        schema.fields.push({
          name: 'referrer',
          type: ['null', 'string'],
          default: null,
          doc: 'Where the visitor came from.',
        });
      },
    });
    const check = await runPulse(['schemas', 'check', '--schemas-dir', dir], env);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^pulse\.visits-value\s.*\scompatible$/m);
  });

  it('exits 2, not 0, when the registry cannot be reached', async () => {
    const check = await runPulse(
      ['schemas', 'check'],
      testProcessEnv({ SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9/apis/ccompat/v7' }),
    );
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/^pulse: .*schema registry/m);
  });
});
