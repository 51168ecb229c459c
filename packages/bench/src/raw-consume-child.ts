// Run as a child process by raw-consume.ts: consumes the given topics from the start with one
// Kafka client and no processing, and prints {events, seconds} as JSON on stdout.
import { Consumer as PlatformaticConsumer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';

const [client, brokers, expectedText, groupId, ...topics] = process.argv.slice(2);
const expected = Number(expectedText);
if (!client || !brokers || !groupId || topics.length === 0 || !(expected > 0)) {
  throw new Error(
    'usage: raw-consume-child <kafkajs|platformatic> <brokers> <events> <group> <topic…>',
  );
}

async function withKafkajs(): Promise<{ events: number; seconds: number }> {
  const kafka = new Kafka({ brokers: brokers!.split(','), logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: groupId!, maxBytesPerPartition: 1_048_576 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let events = 0;
  let startedAt: number | undefined;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        startedAt ??= performance.now();
        events += batch.messages.length;
        if (events >= expected) resolve(performance.now());
      },
    });
  });
  const endedAt = await done;
  await consumer.disconnect();
  return { events, seconds: (endedAt - startedAt!) / 1000 };
}

async function withPlatformatic(): Promise<{ events: number; seconds: number }> {
  const consumer = new PlatformaticConsumer({
    groupId: groupId!,
    clientId: 'pulse-bench',
    bootstrapBrokers: brokers!.split(','),
    maxBytesPerPartition: 1_048_576,
  });
  const stream = await consumer.consume({ topics, mode: 'earliest', autocommit: false });
  let events = 0;
  let startedAt: number | undefined;
  let endedAt = 0;
  for await (const message of stream) {
    void message;
    startedAt ??= performance.now();
    events += 1;
    if (events >= expected) {
      endedAt = performance.now();
      break;
    }
  }
  await stream.close();
  await consumer.close(true);
  return { events, seconds: (endedAt - startedAt!) / 1000 };
}

const result = client === 'kafkajs' ? await withKafkajs() : await withPlatformatic();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
