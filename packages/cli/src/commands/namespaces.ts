import type { Command } from 'commander';
import {
  dropNamespace,
  forgetCustomer,
  listNamespaces,
  promoteNamespace,
  readLiveNamespace,
} from '@pulse/store';
import { stateSettings, withRedis } from './state-access.ts';

export function registerNamespaceCommands(program: Command): void {
  program
    .command('promote')
    .summary('make a namespace the live one')
    .description(
      'Make a namespace the live one, atomically (one key the profiler, the API and the CLI ' +
        'read). A running profiler without an explicit namespace follows it within a tick.',
    )
    .argument('<namespace>', 'the namespace a replay built, e.g. v2')
    .action(async (namespace: string) => {
      const { connection, keyPrefix } = await stateSettings();
      await withRedis(connection, async (redis) => {
        const previous = await promoteNamespace(redis, namespace, keyPrefix);
        process.stdout.write(
          `live namespace: ${namespace} (was ${previous}); drop the old one with: npx pulse namespace drop ${previous}\n`,
        );
      });
    });

  const namespaces = program.command('namespace').description('list or drop profile namespaces');
  namespaces
    .command('list')
    .description('namespaces with state, their partitions, and which one is live')
    .action(async () => {
      const { connection, keyPrefix } = await stateSettings();
      await withRedis(connection, async (redis) => {
        const live = await readLiveNamespace(redis, keyPrefix);
        for (const [namespace, partitions] of [
          ...(await listNamespaces(redis, keyPrefix)),
        ].sort()) {
          process.stdout.write(
            `${namespace}${namespace === live ? ' (live)' : ''}  ${partitions.length} partitions\n`,
          );
        }
      });
    });
  namespaces
    .command('drop')
    .description('delete every key of a namespace; refuses the live one')
    .argument('<namespace>')
    .action(async (namespace: string) => {
      const { connection, keyPrefix } = await stateSettings();
      await withRedis(connection, async (redis) => {
        const deleted = await dropNamespace(redis, namespace, keyPrefix);
        process.stdout.write(`dropped namespace ${namespace}: ${deleted} keys deleted\n`);
      });
    });

  program
    .command('forget')
    .summary('delete a customer everywhere and keep them from coming back')
    .description(
      "Right to be forgotten: delete a customer's profile, timers, held signals and unsent " +
        'outbox entries in every namespace, and record the (hashed) id so no profiler or later ' +
        'replay applies their events again. Signals already sent to Kafka cannot be recalled.',
    )
    .argument('<customerId>')
    .action(async (customerId: string) => {
      const { connection, keyPrefix } = await stateSettings();
      await withRedis(connection, async (redis) => {
        const result = await forgetCustomer(redis, customerId, keyPrefix);
        process.stdout.write(
          `forgot ${customerId} in ${result.namespaces.size} namespace(s): ` +
            `${result.profiles} profile(s), ${result.timers} timer(s), ${result.held} held signal(s), ` +
            `${result.outboxEntries} unsent outbox entr${result.outboxEntries === 1 ? 'y' : 'ies'} deleted\n`,
        );
      });
    });
}
