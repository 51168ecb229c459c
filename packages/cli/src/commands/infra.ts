import type { Command } from 'commander';
import { infraDown, infraStatus, infraUp } from '@pulse/local-stack';
import { examples, paragraphs } from '../help-text.ts';

const toStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function registerInfraCommands(program: Command): void {
  const infra = program
    .command('infra')
    .summary('a local Kafka, Redis and registry (no Docker)')
    .description(
      paragraphs(
        'Starts, stops and inspects a local Apache Kafka (KRaft), redis-server and Apicurio ' +
          'schema registry for development, on free loopback ports, without Docker. The first ' +
          'start fetches Kafka and the registry from Maven Central into .cache/ (Java 17 and ' +
          'Maven needed); later starts need no network.',
      ),
    )
    .addHelpText('after', examples('eval "$(npx pulse infra up)"', 'npx pulse infra down'));

  infra
    .command('up')
    .summary('start the stack in the background, print its settings')
    .description(
      paragraphs(
        'Starts the local stack in the background and prints its connection settings as ' +
          'KEY=value lines (KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL), so that eval sets ' +
          'them in the shell. Other pulse commands find the running stack without them too: ' +
          'its state is kept in .pulse/.',
        'With --redis-cluster, Redis is a Redis Cluster of 3 masters and 3 replicas (six ' +
          'redis-server processes with cluster-enabled yes and an append-only file, joined by ' +
          '`redis-cli --cluster create`), and REDIS_CLUSTER_NODES names its nodes.',
      ),
    )
    .option('--redis-cluster', 'a Redis Cluster (3 masters + 3 replicas) instead of one node')
    .addHelpText(
      'after',
      examples('eval "$(npx pulse infra up)"', 'eval "$(npx pulse infra up --redis-cluster)"'),
    )
    .action(async (options: { redisCluster?: boolean }) => {
      const settings = await infraUp(toStderr, { redisCluster: options.redisCluster ?? false });
      for (const [key, value] of Object.entries(settings)) {
        process.stdout.write(`${key}=${value}\n`);
      }
    });

  infra
    .command('down')
    .summary('stop what `infra up` started and delete its data')
    .description(
      paragraphs(
        'Stops exactly the processes `npx pulse infra up` started (by their process ids, ' +
          'nothing else) and deletes their data.',
      ),
    )
    .addHelpText('after', examples('npx pulse infra down'))
    .action(async () => {
      await infraDown(toStderr);
    });

  infra
    .command('status')
    .summary('show whether the local stack runs and answers')
    .description(
      paragraphs(
        'Shows whether each server of the local stack runs and answers, with its process id, ' +
          'and the connection settings. Exit code 1 when the stack is not running or a server ' +
          'does not answer. For the state of the pipeline itself, see `npx pulse status`.',
      ),
    )
    .addHelpText('after', examples('npx pulse infra status'))
    .action(async () => {
      const status = await infraStatus();
      if (status.components.length === 0) {
        process.stdout.write('not running (start it with `npx pulse infra up`)\n');
        process.exitCode = 1;
        return;
      }
      for (const component of status.components) {
        const state = component.answering ? 'up' : component.alive ? 'not answering' : 'stopped';
        process.stdout.write(
          `${component.name.padEnd(16)} pid ${String(component.pid).padEnd(8)} ${state}\n`,
        );
      }
      for (const [key, value] of Object.entries(status.settings ?? {})) {
        process.stdout.write(`${key}=${value}\n`);
      }
      if (!status.running) process.exitCode = 1;
    });
}
