#!/usr/bin/env node
// The system programs Pulse's tests need beyond Node and npm, checked in one place.
//
//   node scripts/prerequisites.mjs            read-only: list every missing program with the
//                                              command that installs it, exit 1 if any
//   node scripts/prerequisites.mjs --install   as root with apt-get: install what is missing
//                                              (quietly), then check again
//
// `npm test` runs the read-only check first (pretest) and the vitest global setup runs it
// again, so a machine without, say, Chromium fails in the first second with the install line
// instead of two tests failing minutes later. `.ci/run` runs it with --install.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const MIN_JAVA_MAJOR = 17;
const MIN_NODE = [20, 19];

/** Finds an executable on PATH (or checks an absolute path). */
function which(command) {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function javaMajor() {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

/**
 * Each prerequisite: what it is for, the Debian/Ubuntu package that provides it, and a check
 * returning undefined when present or the reason it is not.
 */
export const PREREQUISITES = [
  {
    name: 'Java 17+',
    aptPackage: 'openjdk-17-jdk-headless',
    why: 'runs the Kafka broker and the schema registry',
    check() {
      if (!which('java')) return 'java is not on the PATH';
      const major = javaMajor();
      if (major === undefined) return 'java -version did not answer';
      return major >= MIN_JAVA_MAJOR ? undefined : `java is version ${major}`;
    },
  },
  {
    name: 'Maven',
    aptPackage: 'maven',
    why: 'fetches Apache Kafka and Apicurio Registry from Maven Central on the first run',
    check: () => (which('mvn') ? undefined : 'mvn is not on the PATH'),
  },
  {
    name: 'redis-server',
    aptPackage: 'redis-server',
    why: 'each test run starts its own Redis on a free port',
    check: () => (which('redis-server') ? undefined : 'redis-server is not on the PATH'),
  },
  {
    name: 'redis-cli',
    aptPackage: 'redis-tools',
    why: 'creates and reshards the local Redis Cluster (pulse infra up --redis-cluster, npm run test:scale)',
    check: () => (which('redis-cli') ? undefined : 'redis-cli is not on the PATH'),
  },
  {
    name: 'Chromium',
    aptPackage: 'chromium',
    why: "opens the demo's HTML report headless in the browser tests",
    check() {
      const path = process.env.PULSE_CHROMIUM_PATH ?? '/usr/bin/chromium';
      return which(path) ? undefined : `no Chromium at ${path} (PULSE_CHROMIUM_PATH)`;
    },
  },
];

export function installCommand(packages) {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

/** The prerequisites missing on this machine, with the reason each is missing. */
export function missingPrerequisites() {
  const missing = [];
  for (const prerequisite of PREREQUISITES) {
    const reason = prerequisite.check();
    if (reason !== undefined) missing.push({ ...prerequisite, reason });
  }
  return missing;
}

/** Several lines naming every missing prerequisite and one command that installs them all. */
export function describeMissing(missing) {
  const lines = ['Missing prerequisites for the tests:'];
  for (const each of missing) lines.push(`  - ${each.name} (${each.reason}): ${each.why}`);
  lines.push(`Install them with: ${installCommand(missing.map((each) => each.aptPackage))}`);
  return lines.join('\n');
}

function nodeProblem() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) return undefined;
  return `Node.js ${process.versions.node} is too old: Pulse needs ${MIN_NODE.join('.')} or newer (https://nodejs.org or your distribution's nodejs 20 package).`;
}

/** Installs the missing packages with apt-get; only as root. Quiet unless it fails. */
function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...packages],
  ]) {
    const result = spawnSync('apt-get', args, { encoding: 'utf8', env });
    if (result.error || result.status !== 0) {
      const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20);
      process.stderr.write(`${output.join('\n')}\n`);
      return false;
    }
  }
  return true;
}

function main(argv) {
  const install = argv.includes('--install');
  const node = nodeProblem();
  if (node) {
    process.stderr.write(`${node}\n`);
    return 1;
  }
  let missing = missingPrerequisites();
  if (missing.length === 0) return 0;
  const packages = missing.map((each) => each.aptPackage);
  if (install) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot || !which('apt-get')) {
      process.stderr.write(
        `Cannot install ${packages.join(', ')} here (${isRoot ? 'no apt-get' : 'not root'}); run: ${installCommand(packages)}\n`,
      );
      return 1;
    }
    process.stdout.write(`installing ${packages.join(' ')} with apt-get…\n`);
    if (!aptInstall(packages)) {
      process.stderr.write(`apt-get could not install ${packages.join(' ')}\n`);
      return 1;
    }
    missing = missingPrerequisites();
    if (missing.length === 0) return 0;
  }
  process.stderr.write(`${describeMissing(missing)}\n`);
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2));
}
