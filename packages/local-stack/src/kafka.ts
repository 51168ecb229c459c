import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureKafkaClasspath } from './artifacts.ts';
import { freePort } from './ports.ts';
import { startProcess, type StartedProcess } from './process.ts';
import { waitUntil } from './wait.ts';

export interface KafkaServer {
  /** host:port of the PLAINTEXT listener. */
  brokers: string;
  /** host:port of the SASL_PLAINTEXT listener, when the broker was started with SASL users. */
  saslBrokers?: string;
  /** Everything needed to start the same broker again (same ports, same data). */
  ports: KafkaPorts;
  process: StartedProcess;
}

export interface KafkaPorts {
  port: number;
  controllerPort: number;
  saslPort?: number;
}

/** A login the SASL listener accepts, with either mechanism (PLAIN or SCRAM-SHA-256). */
export interface KafkaSaslUser {
  username: string;
  password: string;
}

/** Heap of the broker: modest, the machines have 2 cores and the tests run beside it. */
const BROKER_HEAP = '512m';

/** A JAAS option value in double quotes (the users are test logins; quotes are escaped anyway). */
function jaasQuoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The broker's properties. With SASL users, a second client listener (SASL_PLAINTEXT) takes
 * PLAIN and SCRAM-SHA-256 logins: PLAIN users are listed in its JAAS line, SCRAM credentials are
 * written into the metadata log when the storage is formatted (KRaft keeps them there).
 * Inter-broker and controller traffic stay on PLAINTEXT.
 */
export function serverProperties(
  ports: KafkaPorts,
  logDir: string,
  saslUsers: readonly KafkaSaslUser[] = [],
): string {
  const { port, controllerPort, saslPort } = ports;
  const sasl = saslUsers.length > 0 && saslPort !== undefined;
  const clientListeners = [
    `PLAINTEXT://127.0.0.1:${port}`,
    ...(sasl ? [`SASL_PLAINTEXT://127.0.0.1:${saslPort}`] : []),
  ];
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=${[...clientListeners, `CONTROLLER://127.0.0.1:${controllerPort}`].join(',')}`,
    `advertised.listeners=${clientListeners.join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${sasl ? ',SASL_PLAINTEXT:SASL_PLAINTEXT' : ''}`,
    ...(sasl
      ? [
          'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256',
          `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${saslUsers.map((user) => `user_${user.username}=${jaasQuoted(user.password)}`).join(' ')};`,
          'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
        ]
      : []),
    `log.dirs=${logDir}`,
    'num.partitions=1',
    // One node: every internal topic has a single replica.
    'offsets.topic.replication.factor=1',
    // Fewer offset partitions than the default 50 make the first consumer group start faster.
    'offsets.topic.num.partitions=8',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are created on purpose (`pulse topics init`, test factories), never by a typo.
    'auto.create.topics.enable=false',
    'log.flush.interval.messages=9223372036854775807',
    '',
  ].join('\n');
}

const LOG4J2 = [
  'status = warn',
  'appender.file.type = File',
  'appender.file.name = file',
  'appender.file.fileName = ${sys:kafka.logs.dir}/server.log',
  'appender.file.layout.type = PatternLayout',
  'appender.file.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = WARN',
  'rootLogger.appenderRef.file.ref = file',
  'logger.kafka.name = kafka.server.KafkaRaftServer',
  'logger.kafka.level = INFO',
  '',
].join('\n');

/**
 * A fresh KRaft cluster id (16 random bytes, base64url). Never one starting with '-': the
 * storage tool's argument parser takes such a value for an option and fails the format (one
 * start in 64 did, at random; Kafka's own Uuid.randomUuid() skips those ids for that reason).
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface StartKafkaOptions {
  workDir: string;
  detached: boolean;
  log: (line: string) => void;
  /**
   * The ports of a broker started before in the same workDir: it starts again with its data
   * (a restart after a stop). Fresh free ports and a fresh storage otherwise.
   */
  ports?: KafkaPorts;
  /** Logins for a SASL_PLAINTEXT listener (PLAIN and SCRAM-SHA-256); none: no such listener. */
  saslUsers?: readonly KafkaSaslUser[];
}

export async function startKafka(options: StartKafkaOptions): Promise<KafkaServer> {
  const classpath = join(ensureKafkaClasspath(options.log), '*');
  const saslUsers = options.saslUsers ?? [];
  const ports: KafkaPorts = options.ports ?? {
    port: await freePort(),
    controllerPort: await freePort(),
    ...(saslUsers.length > 0 ? { saslPort: await freePort() } : {}),
  };
  const dataDir = join(options.workDir, 'kafka-data');
  const logsDir = join(options.workDir, 'kafka-logs');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(logsDir, { recursive: true });
  const propertiesFile = join(options.workDir, 'server.properties');
  writeFileSync(propertiesFile, serverProperties(ports, dataDir, saslUsers));
  const log4jFile = join(options.workDir, 'log4j2.properties');
  writeFileSync(log4jFile, LOG4J2);
  const jvmFlags = [
    `-Dlog4j2.configurationFile=${log4jFile}`,
    `-Dkafka.logs.dir=${logsDir}`,
    '-Djava.awt.headless=true',
  ];

  // A restart keeps the formatted storage (and the SCRAM credentials in it).
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const format = spawnSync(
      'java',
      [
        ...jvmFlags,
        '-Xmx256m',
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        newClusterId(),
        '-c',
        propertiesFile,
        ...saslUsers.flatMap((user) => [
          '--add-scram',
          `SCRAM-SHA-256=[name=${user.username},password=${user.password}]`,
        ]),
      ],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) {
      throw new Error(`formatting KRaft storage failed:\n${format.stdout}\n${format.stderr}`);
    }
  }

  const server = startProcess(
    'kafka',
    'java',
    [
      `-Xmx${BROKER_HEAP}`,
      `-Xms${BROKER_HEAP}`,
      '-XX:+UseG1GC',
      ...jvmFlags,
      '-cp',
      classpath,
      'kafka.Kafka',
      propertiesFile,
    ],
    { cwd: options.workDir, logFile: join(logsDir, 'stdout.log'), detached: options.detached },
  );
  const brokers = `127.0.0.1:${ports.port}`;
  await waitForKafka(brokers, { timeoutMs: 90_000, abortIf: server.exited });
  return {
    brokers,
    ...(ports.saslPort !== undefined ? { saslBrokers: `127.0.0.1:${ports.saslPort}` } : {}),
    ports,
    process: server,
  };
}

/** Ready means: the broker answers metadata requests and reports its controller. */
export async function waitForKafka(
  brokers: string,
  options: { timeoutMs: number; abortIf?: () => string | undefined },
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'pulse-local-stack',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  });
  await waitUntil(
    `Kafka at ${brokers}`,
    async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0 && cluster.controller !== null;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    { timeoutMs: options.timeoutMs, intervalMs: 500, abortIf: options.abortIf },
  );
}
