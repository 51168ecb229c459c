import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { kafkaClientOptions, type ConnectionEnv } from '@pulse/config';

// kafkajs prints a notice about its v2 default partitioner on every producer; Pulse always
// names the partitioner it uses, so the notice is noise.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/**
 * The one place a kafkajs client is created. kafkajs has had no release since 2023 (its
 * maintainers asked for successors, tulios/kafkajs#1603); keeping construction, consume,
 * produce and admin behind this package makes a client switch a contained change.
 */
export function createKafka(env: ConnectionEnv, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    ...kafkaClientOptions(env),
    logLevel: logLevel.ERROR,
    ...overrides,
  });
}
