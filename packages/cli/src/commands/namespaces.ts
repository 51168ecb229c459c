import type { Command } from 'commander';
import {
  dropNamespace,
  forgetCustomer,
  listNamespaces,
  migrateNamespaceToBuckets,
  promoteNamespace,
  readLiveNamespace,
} from '@pulse/store';
import { stateSettings, withRedis } from './state-access.ts';
import { examples, paragraphs } from '../help-text.ts';

export function registerNamespaceCommands(program: Command): void {
  program
    .command('promote')
    .summary('make a namespace the live one')
    .description(
      paragraphs(
        'Makes a namespace the live one, atomically: one key that the profiler, the profile ' +
          'API and the CLI read. A running profiler without an explicit namespace follows it ' +
          'within a tick and carries on from the positions stored there. It refuses a ' +
          'namespace with no state.',
      ),
    )
    .addHelpText('after', examples('npx pulse promote v2'))
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

  const namespaces = program
    .command('namespace')
    .summary('list, drop or migrate profile namespaces')
    .description(
      paragraphs(
        'Profiles live in namespaces (v1, v2 …): a replay builds a new one beside the live ' +
          'one, `npx pulse promote` switches readers over, and the old one can then be dropped.',
      ),
    )
    .addHelpText('after', examples('npx pulse namespace list', 'npx pulse namespace drop v1'));
  namespaces
    .command('list')
    .summary('namespaces with state, and which one is live')
    .description(
      paragraphs('Lists the namespaces with state in Redis, their partitions, and the live one.'),
    )
    .addHelpText('after', examples('npx pulse namespace list'))
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
    .summary('delete every key of a namespace (never the live one)')
    .description(
      paragraphs(
        'Deletes every key of a namespace (profiles, timers, held lapses, outboxes, positions). ' +
          'It refuses the live namespace: promote another one first.',
      ),
    )
    .addHelpText('after', examples('npx pulse namespace drop v1'))
    .argument('<namespace>')
    .action(async (namespace: string) => {
      const { connection, keyPrefix } = await stateSettings();
      await withRedis(connection, async (redis) => {
        const deleted = await dropNamespace(redis, namespace, keyPrefix);
        process.stdout.write(`dropped namespace ${namespace}: ${deleted} keys deleted\n`);
      });
    });

  namespaces
    .command('migrate')
    .summary('move a namespace into bucketed keys')
    .description(
      paragraphs(
        'Pulse before bucketed keys kept all profiles of a partition in one hash and all its ' +
          'timers in one sorted set; this version keeps them in 64 hashes and 64 sorted sets ' +
          'per partition (so no key grows with the population and Redis Cluster moves a slot ' +
          'key by key) and its profilers refuse a partition that still has the old keys. ' +
          'This moves them, a few hundred customers per atomic script call: run it with the ' +
          "namespace's profilers stopped; it is resumable and a second run finds nothing left.",
        'Without downtime instead: replay into a new namespace with this version and promote ' +
          'it (docs/operations.md), when the input topics still hold the whole history.',
      ),
    )
    .addHelpText('after', examples('npx pulse namespace migrate v1'))
    .argument('<namespace>')
    .action(async (namespace: string) => {
      const { connection, keyPrefix } = await stateSettings();
      await withRedis(connection, async (redis) => {
        const result = await migrateNamespaceToBuckets(
          redis,
          namespace,
          keyPrefix,
          500,
          (partition, profiles, timers) =>
            process.stdout.write(
              `partition ${partition}: ${profiles} profile(s), ${timers} timer(s) moved\n`,
            ),
        );
        process.stdout.write(
          `migrated namespace ${namespace}: ${result.partitions} partition(s) in the old layout, ` +
            `${result.profiles} profile(s) and ${result.timers} timer(s) moved into buckets\n`,
        );
      });
    });

  program
    .command('forget')
    .summary('delete a customer everywhere, for good')
    .description(
      paragraphs(
        "Right to be forgotten: deletes a customer's profile, timers, held signals and unsent " +
          'outbox entries in every namespace, and records the hashed id so that no profiler or ' +
          'later replay applies their events again. Signals already sent to Kafka cannot be ' +
          'recalled.',
      ),
    )
    .addHelpText('after', examples('npx pulse forget c-42'))
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
