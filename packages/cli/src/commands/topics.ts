import type { Command } from 'commander';
import { resolveConnectionEnv } from '../connections.ts';
import { createKafka, defaultTopicLayout, initTopics, planTopics } from '@pulse/stream';
import { positiveInteger } from '../options.ts';

export function registerTopicsCommands(program: Command): void {
  const topics = program.command('topics').description("manage Pulse's Kafka topics");
  topics
    .command('init')
    .description(
      'create pulse.visits, pulse.purchases (co-partitioned), the two signal topics and pulse.dlq;\n' +
        'safe to run again. Reads KAFKA_BROKERS from the environment.',
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
