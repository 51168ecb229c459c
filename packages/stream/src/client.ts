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

const AUTHENTICATION_PROTOCOL_ERRORS = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
]);

/**
 * True when Kafka refused the login (wrong SASL user or password, a mechanism the listener does
 * not take). Retrying cannot fix it: a process that meets it should stop and say so, not serve
 * 503s or wait for a broker that is there. Looks inside a retrier's wrapper too.
 */
export function isKafkaAuthenticationError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const { name, type, cause, originalError } = current as {
      name?: string;
      type?: string;
      cause?: unknown;
      originalError?: unknown;
    };
    if (name === 'KafkaJSSASLAuthenticationError') return true;
    if (type !== undefined && AUTHENTICATION_PROTOCOL_ERRORS.has(type)) return true;
    current = originalError ?? cause;
  }
  return false;
}

/** What to tell an operator whose login Kafka refused: the settings to check, never the secret. */
export function kafkaAuthenticationHint(env: ConnectionEnv): string {
  const login = env.KAFKA_SASL_MECHANISM
    ? `SASL ${env.KAFKA_SASL_MECHANISM} as user "${env.KAFKA_SASL_USERNAME ?? ''}"`
    : 'no SASL settings';
  return `Kafka refused the login (${login}): check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`;
}
