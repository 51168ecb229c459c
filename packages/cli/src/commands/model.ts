import type { Command } from 'commander';
import {
  decodePopulationLatency,
  decodeProfile,
  emptyPopulationLatency,
  fitModelsInDays,
  historyOfProfile,
  localDayOf,
  mergePopulationLatency,
  populationHurdles,
  type CustomerHistory,
  type ModelFit,
  type PopulationLatency,
  type RulesConfig,
} from '@pulse/core';
import {
  listNamespaces,
  modelKey,
  partitionKeys,
  readLiveNamespace,
  readModel,
  readPartitionMetas,
  scanProfiles,
  writeModel,
  type StoredModel,
} from '@pulse/store';
import type { RedisClient } from '@pulse/store';
import { loadRules, stateSettings, withRedis } from './state-access.ts';
import { examples, paragraphs } from '../help-text.ts';

/** The record `pulse model fit` stores: MBG/NBD for decisions, BG/NBD beside it. */
export function modelRecord(
  fits: { mbgnbd: ModelFit; bgnbd: ModelFit },
  fittedAtMs: number,
): StoredModel {
  const { mbgnbd, bgnbd } = fits;
  return {
    version: `mbgnbd-${new Date(fittedAtMs).toISOString().replace(/[-:.]/g, '')}`,
    parameters: mbgnbd.parameters,
    fittedAtMs,
    customers: mbgnbd.customers,
    logLikelihood: mbgnbd.logLikelihood,
    converged: mbgnbd.converged,
    comparison: {
      parameters: bgnbd.parameters,
      logLikelihood: bgnbd.logLikelihood,
      converged: bgnbd.converged,
    },
  };
}

async function partitionsOf(redis: RedisClient, namespace: string, keyPrefix: string) {
  const partitions = (await listNamespaces(redis, keyPrefix)).get(namespace);
  if (!partitions || partitions.length === 0)
    throw new Error(`namespace ${namespace} has no state in Redis`);
  return [...partitions].sort((a, b) => a - b);
}

/**
 * (x, t_x, T) of every profile of the namespace, partition by partition with HSCAN (never a
 * blocking read of a whole hash), each as of its partition's stream time.
 */
async function readHistories(
  redis: RedisClient,
  namespace: string,
  keyPrefix: string,
): Promise<CustomerHistory[]> {
  const partitions = await partitionsOf(redis, namespace, keyPrefix);
  const metas = await readPartitionMetas(redis, namespace, Math.max(...partitions) + 1, keyPrefix);
  const histories: CustomerHistory[] = [];
  for (const partition of partitions) {
    const streamTimeMs = metas[partition]?.streamTimeMs;
    if (streamTimeMs === null || streamTimeMs === undefined) continue;
    const seen = new Set<string>();
    // Every bucket of the partition's profiles, one HSCAN walk each.
    for (const bucketKey of partitionKeys(namespace, partition, keyPrefix).profiles) {
      await scanProfiles(redis, bucketKey, (page) => {
        for (const [customerId, bytes] of page) {
          if (seen.has(customerId)) continue;
          seen.add(customerId);
          // Each customer's history as of the end of their own (local) day.
          const profile = decodeProfile(bytes);
          const history = historyOfProfile(profile, localDayOf(streamTimeMs, profile.timeZone));
          if (history !== null) histories.push(history);
        }
      });
    }
  }
  return histories;
}

/** The namespace's population statistics: every partition's, merged. */
async function readPopulation(
  redis: RedisClient,
  namespace: string,
  keyPrefix: string,
): Promise<{ population: PopulationLatency; partitions: number }> {
  const partitions = await partitionsOf(redis, namespace, keyPrefix);
  const metas = await readPartitionMetas(redis, namespace, Math.max(...partitions) + 1, keyPrefix);
  let population = emptyPopulationLatency();
  for (const meta of metas) {
    if (meta.population !== null)
      population = mergePopulationLatency(population, decodePopulationLatency(meta.population));
  }
  return { population, partitions: partitions.length };
}

const fixed = (value: number, digits = 3) => Number(value.toFixed(digits));

function formatModel(model: StoredModel, namespace: string, key: string): string {
  const line = (
    name: string,
    fit: { parameters: StoredModel['parameters']; logLikelihood: number },
  ) =>
    `${name}: r=${fixed(fit.parameters.r)} alpha=${fixed(fit.parameters.alpha)} days ` +
    `a=${fixed(fit.parameters.a)} b=${fixed(fit.parameters.b)} LL=${fixed(fit.logLikelihood, 1)}`;
  return [
    `namespace ${namespace}: model ${model.version} (${key})`,
    `fitted ${new Date(model.fittedAtMs).toISOString()} on ${model.customers} customers` +
      (model.converged ? '' : ' (not converged)'),
    line('used by decisions, mbgnbd', model),
    ...(model.comparison ? [line('for comparison, bgnbd', model.comparison)] : []),
  ].join('\n');
}

function formatPopulation(population: PopulationLatency, partitions: number, rules: RulesConfig) {
  const table = populationHurdles(population, rules);
  const steps = table.hurdleDays
    .map((days, index) => `${index + 1}:${days === null ? '-' : fixed(days, 1)}`)
    .join(' ');
  return [
    `population latency of ${partitions} partitions merged: ${table.gaps.reduce((a, b) => a + b, 0)} gaps`,
    `hurdle days by step (q=${rules.populationHurdleQuantile}): ${steps}; ` +
      `pooled ${table.pooledHurdleDays === null ? '-' : fixed(table.pooledHurdleDays, 1)}`,
  ].join('\n');
}

export function registerModelCommands(program: Command): void {
  const model = program
    .command('model')
    .summary('fit and show the purchase model decisions use')
    .description(
      paragraphs(
        'The purchase model (MBG/NBD) gives every customer a P(alive) and a deadline after ' +
          'which they count as lapsed, also for customers with one or two active days. It is ' +
          'fitted on the profiles Redis holds and stored with a version in one key per ' +
          'namespace; a running profiler picks a new version up on its next tick, and every ' +
          'lapse signal decided with it carries its version and P(alive) in the evidence.',
      ),
    )
    .addHelpText('after', examples('npx pulse model fit', 'npx pulse model show'));

  model
    .command('fit')
    .summary('fit MBG/NBD (BG/NBD beside it) on the profiles, store it')
    .description(
      paragraphs(
        'Reads (x, t_x, T) of every profile of the namespace — distinct active days after the ' +
          "first, days from the first to the last, days from the first to the partition's " +
          'stream time — partition by partition with HSCAN, so Redis is never blocked; fits ' +
          'MBG/NBD and, for comparison, BG/NBD by maximum likelihood; and stores both under ' +
          '<prefix>:model:<namespace> with a new version. Decisions use the MBG/NBD parameters.',
        'Refit as the customer base changes (weekly, say); a replay namespace has no model ' +
          'until one is fitted for it.',
      ),
    )
    .addHelpText('after', examples('npx pulse model fit', 'npx pulse model fit --namespace v2'))
    .option('--namespace <name>', 'profile namespace (default: the live one)')
    .action(async (options: { namespace?: string }) => {
      const { connection, keyPrefix } = await stateSettings();
      await withRedis(connection, async (redis) => {
        const namespace = options.namespace ?? (await readLiveNamespace(redis, keyPrefix));
        const histories = await readHistories(redis, namespace, keyPrefix);
        if (histories.length === 0) throw new Error(`namespace ${namespace} has no profiles`);
        const record = modelRecord(fitModelsInDays(histories), Date.now());
        await writeModel(redis, namespace, record, keyPrefix);
        process.stdout.write(`${formatModel(record, namespace, modelKey(namespace, keyPrefix))}\n`);
      });
    });

  model
    .command('show')
    .summary('the stored model and the population latency table')
    .description(
      paragraphs(
        "Prints the namespace's stored purchase model (version, parameters with α in days, " +
          "log-likelihood, the BG/NBD fit beside it) and the population's latency hurdles by " +
          "step, from every partition's statistics merged (each partition decides with its " +
          'own). Exit code 1 when no model is stored.',
      ),
    )
    .addHelpText('after', examples('npx pulse model show', 'npx pulse model show --json'))
    .option('--namespace <name>', 'profile namespace (default: the live one)')
    .option('--rules <file>', 'JSON rule parameters (default: PULSE_RULES_FILE)')
    .option('--json', 'print one JSON object, for scripts')
    .action(async (options: { namespace?: string; rules?: string; json?: boolean }) => {
      const rules = loadRules(options.rules);
      const { connection, keyPrefix } = await stateSettings();
      await withRedis(connection, async (redis) => {
        const namespace = options.namespace ?? (await readLiveNamespace(redis, keyPrefix));
        const stored = await readModel(redis, namespace, keyPrefix);
        const { population, partitions } = await readPopulation(redis, namespace, keyPrefix);
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ namespace, model: stored, population: populationHurdles(population, rules) })}\n`,
          );
        } else {
          process.stdout.write(
            `${stored === null ? `namespace ${namespace}: no model stored (npx pulse model fit)` : formatModel(stored, namespace, modelKey(namespace, keyPrefix))}\n` +
              `${formatPopulation(population, partitions, rules)}\n`,
          );
        }
        if (stored === null) process.exitCode = 1;
      });
    });
}
