import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, repoRoot } from './paths.ts';

/** Versions of the real servers the stack runs; named in the README. */
export const KAFKA_VERSION = '4.3.1';
// 3.0.9 is the newest Apicurio whose runnable `all` zip Maven Central serves (3.3.x is not published as a zip).
export const APICURIO_VERSION = '3.0.9';

const COMPLETE_MARKER = '.complete';

function runMaven(args: string[], what: string, cwd: string = repoRoot()): void {
  const result = spawnSync('mvn', ['-B', '-q', ...args], { cwd, encoding: 'utf8' });
  if (result.error)
    throw new Error(`${what}: cannot run mvn (${result.error.message}); is Maven installed?`);
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${what}: mvn failed (exit ${result.status})\n${tail}`);
  }
}

/**
 * The Kafka broker's classpath: resolved once from Maven Central through infra/kafka/pom.xml,
 * then reused without network (a marker file says the copy finished).
 */
export function ensureKafkaClasspath(log: (line: string) => void): string {
  const dir = join(cacheDir(), `kafka-${KAFKA_VERSION}`, 'libs');
  if (existsSync(join(dir, COMPLETE_MARKER))) return dir;
  log(`resolving Apache Kafka ${KAFKA_VERSION} from Maven Central (first run only)…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  runMaven(
    [
      '-f',
      'infra/kafka/pom.xml',
      `-Dkafka.version=${KAFKA_VERSION}`,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${dir}`,
      '-DincludeScope=runtime',
    ],
    'resolving the Kafka broker',
  );
  if (!readdirSync(dir).some((file) => file.startsWith('kafka_2.13-'))) {
    throw new Error(`resolving the Kafka broker: no kafka_2.13 jar in ${dir}`);
  }
  writeFileSync(join(dir, COMPLETE_MARKER), new Date().toISOString());
  return dir;
}

/** Apicurio Registry's Quarkus distribution, unpacked once into the cache. Returns the runner jar. */
export function ensureSchemaRegistryDistribution(log: (line: string) => void): string {
  const dir = join(cacheDir(), `apicurio-registry-${APICURIO_VERSION}`);
  const jar = join(dir, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);
  if (existsSync(join(dir, COMPLETE_MARKER)) && existsSync(jar)) return jar;
  log(`resolving Apicurio Registry ${APICURIO_VERSION} from Maven Central (first run only)…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The artifact is named on the command line: the plugin's artifactItems form also wants the
  // parent pom, which Central does not serve for this version.
  runMaven(
    [
      'dependency:unpack',
      `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:zip:all`,
      `-DoutputDirectory=${dir}`,
    ],
    'resolving the schema registry',
    // Without a pom the plugin writes its markers under ./${project.basedir}/target whatever
    // -DmarkersDirectory says: run it in the cache folder so the repository stays clean.
    dir,
  );
  if (!existsSync(jar))
    throw new Error(`resolving the schema registry: ${jar} missing after unpack`);
  writeFileSync(join(dir, COMPLETE_MARKER), new Date().toISOString());
  return jar;
}
