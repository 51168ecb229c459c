/*
 * Pulse under the Redis ACL a careful deployment gives it: its own key prefix, every command
 * but the @dangerous ones (no FLUSHALL, CONFIG, KEYS, INFO …):
 *   ACL SETUSER <user> on ><password> ~<prefix>:* +@all -@dangerous
 * The whole pipeline runs as that user: the profiler (start-up checks, Lua scripts, timers,
 * outbox), the profile API, and the state commands that scan a namespace (replay into a new
 * namespace, promote, drop, forget). What it once caught: the profiler stopped at start with
 * "NOPERM … config|get" from its eviction-policy check.
 *
 * The user is created on the shared test Redis with a unique name and removed after the file;
 * nothing here flushes or reconfigures the server.
 */
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { loadConnectionEnv } from '@pulse/config';
import { defaultRulesConfig } from '@pulse/core';
import { startProfiler } from '@pulse/profiler';
import { assertNoEviction } from '@pulse/store';
import { partitionForKey } from '@pulse/stream';
import { runPulse } from '../support/cli.ts';
import { bearer, capturingLogger, get, startTestProfileApi, testKey } from '../support/http.ts';
import {
  connectedAdmin,
  connectedProducer,
  onCleanup,
  testRedis,
  uniqueName,
} from '../support/infra.ts';
import {
  createProfilerTopics,
  expectProfilesMatchOracle,
  readStoredState,
  testProfilerConfig,
  waitForDrained,
} from '../support/profiler.ts';
import { cliEnv, produceLog, replayPopulation } from '../support/replay.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;

/** Creates an ACL user on the shared test Redis for the file; removed after it. */
async function aclUser(rules: string[]): Promise<{ username: string; password: string }> {
  const admin = testRedis();
  const username = uniqueName('pulse-acl');
  const password = uniqueName('acl-password');
  await admin.call('ACL', 'SETUSER', username, 'on', `>${password}`, ...rules);
  onCleanup(() => admin.call('ACL', 'DELUSER', username));
  return { username, password };
}

/** A client logged in as the user; disconnected after the file. */
function clientAs(user: { username: string; password: string }): Redis {
  const client = new Redis(inject('redisUrl'), {
    username: user.username,
    password: user.password,
    maxRetriesPerRequest: 1,
    // ioredis's ready check runs INFO, which the least-privilege user may not.
    enableReadyCheck: false,
  });
  client.on('error', () => undefined);
  onCleanup(async () => client.disconnect());
  return client;
}

describe('a least-privilege Redis user', () => {
  it('runs the whole pipeline: profiler, profile API, replay, promote, drop and forget', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    // As for the replay tests' live run on a preloaded log: no wall-clock idling.
    const config = testProfilerConfig(topics, { idleAfterMs: 600_000 });
    const prefix = config.keyPrefix;
    const user = await aclUser(['resetkeys', `~${prefix}:*`, '+@all', '-@dangerous']);

    // The user really is that restricted.
    const restricted = clientAs(user);
    for (const command of [
      ['FLUSHALL'],
      ['CONFIG', 'GET', 'maxmemory-policy'],
      ['KEYS', '*'],
      ['GET', 'not-pulse:key'],
    ])
      await expect(
        restricted.call(command[0]!, ...command.slice(1)),
        command.join(' '),
      ).rejects.toThrow(/NOPERM/);

    const userEnv = { REDIS_USERNAME: user.username, REDIS_PASSWORD: user.password };
    const connection = loadConnectionEnv({
      KAFKA_BROKERS: inject('kafkaBrokers'),
      REDIS_URL: inject('redisUrl'),
      ...userEnv,
    });
    const events = replayPopulation({ customers: 120, durationDays: 90, seed: 5 });
    await produceLog(await connectedProducer(), events, topics);
    const { logger, lines } = capturingLogger();
    const profiler = await startProfiler({ connection, config, rules: defaultRulesConfig, logger });
    onCleanup(() => profiler.stop());
    const admin = await connectedAdmin();
    await waitForDrained(admin, config, PARTITIONS);
    expectProfilesMatchOracle(events, await readStoredState(config, PARTITIONS));
    // The eviction-policy check could not be made; the profiler says so and runs.
    expect(
      lines.some((line) => /"level":40,.*maxmemory-policy.*NOPERM/.test(line)),
      lines.join('\n'),
    ).toBe(true);

    await waitFor('the profiler ready', () => (profiler.isReady() ? true : undefined));
    expect(lines.filter((line) => /NOPERM/.test(line) && !/maxmemory-policy/.test(line))).toEqual(
      [],
    );

    // The profile API reads as the same user.
    const customerId = events[0]!.customerId;
    const readKey = testKey('crm');
    const apiLog = capturingLogger();
    const api = await startTestProfileApi(
      config,
      { readKeys: [{ name: 'crm', key: readKey }] },
      { connection, logger: apiLog.logger },
    );
    // (startTestProfileApi returned once /readyz said 200: PING and metadata work as this user.)
    const profile = await get<{ customerId: string; partition: number }>(
      `${api.url}/v1/profiles/${encodeURIComponent(customerId)}`,
      bearer(readKey),
    );
    expect(profile.status, apiLog.lines.join('\n')).toBe(200);
    expect(profile.body).toMatchObject({
      customerId,
      partition: partitionForKey(customerId, PARTITIONS),
    });

    // The state commands, which scan a namespace's keys, as the same user (v1 is dropped below:
    // its profiler stops first).
    await profiler.stop();
    const env = cliEnv(config, userEnv);
    const replay = await runPulse(['replay', '--namespace', 'v2', '--signals', 'suppress'], env);
    expect(replay.code, replay.stderr).toBe(0);
    const promoted = await runPulse(['promote', 'v2'], env);
    expect(promoted.code, promoted.stderr).toBe(0);
    const listed = await runPulse(['namespace', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/v2/);
    const dropped = await runPulse(['namespace', 'drop', 'v1'], env);
    expect(dropped.code, dropped.stderr).toBe(0);
    const forgotten = await runPulse(['forget', customerId], env);
    expect(forgotten.code, forgotten.stderr).toBe(0);
    const gone = await runPulse(['profile', customerId], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/no profile for customer/);
  }, 300_000); // six CLI processes after a drain: minutes on a loaded 2-core machine

  it('the eviction-policy check reads INFO when CONFIG is refused, and reports when it can read neither', async () => {
    const prefix = uniqueName('t');
    const withInfo = clientAs(await aclUser([`~${prefix}:*`, '+@all', '-@dangerous', '+info']));
    const without = clientAs(await aclUser([`~${prefix}:*`, '+@all', '-@dangerous']));
    const unchecked: string[] = [];
    await assertNoEviction(withInfo, (reason) => unchecked.push(reason));
    expect(unchecked).toEqual([]);
    await assertNoEviction(without, (reason) => unchecked.push(reason));
    expect(unchecked).toHaveLength(1);
    expect(unchecked[0]).toMatch(/maxmemory-policy.*NOPERM.*config\|get.*NOPERM.*info/);
  });
});
