import type { Command } from 'commander';
import { resolveConnectionEnv } from '../connections.ts';
import { createKafka, defaultTopicLayout, initTopics, planTopics } from '@pulse/stream';
import { positiveInteger } from '../options.ts';
import { examples, paragraphs } from '../help-text.ts';

export function registerTopicsCommands(program: Command): void {
  const topics = program
    .command('topics')
    .summary("create Pulse's Kafka topics")
    .description(
      paragraphs(
        "Pulse's Kafka topics: the three input topics (co-partitioned: the same partition count, " +
          "keyed by customer id, so a customer's visits, purchases and traits meet in one " +
          'partition), ' +
          'the two signal topics and the dead-letter topic.',
      ),
    )
    .addHelpText('after', examples('npx pulse topics init --partitions 12'));
  topics
    .command('init')
    .summary('create the input, signal and dead-letter topics')
    .description(
      paragraphs(
        'Creates pulse.visits, pulse.purchases and pulse.traits with the same partition count, ' +
          'pulse.signals.lapse, pulse.signals.ready-to-buy and pulse.dlq. Topics that exist ' +
          'are kept, so it is safe to run again; it stops when the input topics exist with ' +
          'different partition counts.',
        'Reads KAFKA_BROKERS from the environment, or uses the stack `npx pulse infra up` ' +
          'started.',
      ),
    )
    .addHelpText(
      'after',
      examples(
        'npx pulse topics init',
        'npx pulse topics init --partitions 24 --replication-factor 3',
      ),
    )
    .option(
      '--partitions <n>',
      'partitions of each input topic',
      positiveInteger,
      defaultTopicLayout.inputPartitions,
    )
    .option(
      '--signal-partitions <n>',
      'partitions of each signal topic',
      positiveInteger,
      defaultTopicLayout.signalPartitions,
    )
    .option(
      '--dlq-partitions <n>',
      'partitions of the dead-letter topic',
      positiveInteger,
      defaultTopicLayout.deadLetterPartitions,
    )
    .option(
      '--replication-factor <n>',
      'replicas of every topic',
      positiveInteger,
      defaultTopicLayout.replicationFactor,
    )
    .action(
      async (options: {
        partitions: number;
        signalPartitions: number;
        dlqPartitions: number;
        replicationFactor: number;
      }) => {
        const env = resolveConnectionEnv();
        const admin = createKafka(env).admin();
        await admin.connect();
        try {
          const result = await initTopics(
            admin,
            planTopics({
              inputPartitions: options.partitions,
              signalPartitions: options.signalPartitions,
              deadLetterPartitions: options.dlqPartitions,
              replicationFactor: options.replicationFactor,
            }),
          );
          for (const topic of result.created) process.stdout.write(`created  ${topic}\n`);
          for (const topic of result.existing) process.stdout.write(`exists   ${topic}\n`);
        } finally {
          await admin.disconnect();
        }
      },
    );
}
