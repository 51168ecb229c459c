import type { Command } from 'commander';
import { checkId } from '@pulse/contracts';
import {
  decodePopulationHurdles,
  decodeProfile,
  deriveView,
  segmentOf,
  traitsView,
} from '@pulse/core';
import { readLiveNamespace, readModel, readStoredProfile } from '@pulse/store';
import { partitionForKey } from '@pulse/stream';
import { formatProfileView } from '../profile-format.ts';
import { inputPartitionCount, loadRules, stateSettings, withRedis } from './state-access.ts';
import { examples, paragraphs } from '../help-text.ts';

export function registerProfileCommand(program: Command): void {
  program
    .command('profile')
    .summary("a customer's profile and its derived values")
    .description(
      paragraphs(
        "Prints a customer's profile with its derived values (usual latency, days silent, " +
          "hurdle, due time, status) at their partition's stream time, from the live " +
          'namespace or the one named. The partition is found the way producers find it: ' +
          "the customer id hashed over the visits topic's partitions.",
        'Exit code 1 for a customer with no profile.',
      ),
    )
    .addHelpText(
      'after',
      examples(
        'npx pulse profile daily-regular-dana',
        'npx pulse profile c-42 --json | jq .status',
      ),
    )
    .argument('<customerId>', 'the customer id (the key of their events)')
    .option('--namespace <name>', 'profile namespace (default: the live one)')
    .option(
      '--rules <file>',
      'JSON rule parameters the view is derived with (default: PULSE_RULES_FILE)',
    )
    .option('--json', 'print one JSON object, for scripts')
    .action(
      async (
        customerId: string,
        options: { namespace?: string; rules?: string; json?: boolean },
      ) => {
        // The id rule of every edge: an id it refuses was never stored, so say why, not "unknown".
        const idCheck = checkId(customerId);
        if (!idCheck.ok) throw new Error(`customerId ${idCheck.reason}`);
        const rules = loadRules(options.rules);
        const { connection, keyPrefix, visitsTopic } = await stateSettings();
        const partitionCount = await inputPartitionCount(connection, visitsTopic);
        // The producers' partitioner, so this is where the customer's events (and state) are.
        const partition = partitionForKey(customerId, partitionCount);
        await withRedis(connection, async (redis) => {
          const namespace = options.namespace ?? (await readLiveNamespace(redis, keyPrefix));
          const stored = await readStoredProfile(
            redis,
            namespace,
            partition,
            customerId,
            keyPrefix,
          );
          if (!stored.profile) {
            throw new Error(
              `no profile for customer ${customerId} in namespace ${namespace} (partition ${partition} of ${visitsTopic})`,
            );
          }
          const profile = decodeProfile(stored.profile);
          const asOfMs = stored.streamTimeMs ?? profile.clockMs ?? profile.lastVisitMs ?? 0;
          // What the partition's decisions read: its population table and the namespace's model.
          const model = await readModel(redis, namespace, keyPrefix);
          const view = deriveView(profile, asOfMs, rules, {
            population:
              stored.populationHurdles === null
                ? null
                : decodePopulationHurdles(stored.populationHurdles),
            model: model === null ? null : { version: model.version, parameters: model.parameters },
          });
          const where = { namespace, partition, streamTimeMs: stored.streamTimeMs };
          const who = {
            traits: traitsView(profile.traits),
            segment: segmentOf(profile, view, rules),
          };
          process.stdout.write(
            options.json
              ? `${JSON.stringify({ ...where, ...view, traits: who.traits, segment: who.segment })}\n`
              : formatProfileView(view, where, who),
          );
        });
      },
    );
}
