import { Kafka, logLevel, type Consumer, type KafkaConfig, type Producer } from 'kafkajs';
import { kafkaClientOptions, type ConnectionEnv } from '@pulse/config';

// kafkajs prints a notice about its v2 default partitioner on every producer; Pulse always
// names the partitioner it uses, so the notice is noise.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/**
 * The one place a kafkajs client is created. kafkajs has had no release since 2023 (its
 * maintainers asked for successors, tulios/kafkajs#1603); keeping construction, consume,
 * produce and admin behind this package makes a client switch a contained change.
 */
/** Kafka's client, consumer and producer, as the rest of Pulse names them. */
export type KafkaClient = Kafka;
export type KafkaConsumer = Consumer;
export type KafkaProducer = Producer;

/** Client options for a caller that reports Kafka's state itself: the client logs nothing. */
export const quietKafkaLogs: Partial<KafkaConfig> = { logLevel: logLevel.NOTHING };

export function createKafka(env: ConnectionEnv, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    ...kafkaClientOptions(env),
    logLevel: logLevel.ERROR,
    ...overrides,
  });
}
