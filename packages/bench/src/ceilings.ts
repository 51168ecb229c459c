import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTopicsWithLeaders, type BenchContext } from './context.ts';

const run = promisify(execFile);

/** The machine's raw limits: Kafka's own perf tools and redis-benchmark. */
export interface Ceilings {
  kafkaProducerRecordsPerSecond: number;
  kafkaConsumerRecordsPerSecond: number;
  /** requests/s per command, 50 clients, no pipelining (one round trip each). */
  redis: Record<string, number>;
}

async function java(libs: string, mainClass: string, args: string[]): Promise<string> {
  const { stdout } = await run('java', ['-Xmx512m', '-cp', `${libs}/*`, mainClass, ...args], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 600_000,
  });
  return stdout;
}

/**
 * kafka-producer-perf-test and kafka-consumer-perf-test (the classes behind the scripts, from
 * the jars the local stack already runs), on a topic of their own with the bench's record
 * size, then consumed back.
 */
export async function kafkaCeilings(
  context: BenchContext,
  libs: string,
  records: number,
  recordBytes: number,
): Promise<Pick<Ceilings, 'kafkaProducerRecordsPerSecond' | 'kafkaConsumerRecordsPerSecond'>> {
  const topic = `bench.${context.runId}.perf`;
  await createTopicsWithLeaders(context, [{ topic, numPartitions: 12 }]);
  try {
    const produced = await java(libs, 'org.apache.kafka.tools.ProducerPerformance', [
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(recordBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${context.settings.KAFKA_BROKERS!}`,
      'acks=1',
    ]);
    // "N records sent, X records/sec (Y MB/sec), ..." on the last line
    const producer = /([\d.]+) records\/sec/.exec(produced.trim().split('\n').pop() ?? '');
    const consumed = await java(libs, 'org.apache.kafka.tools.ConsumerPerformance', [
      '--bootstrap-server',
      context.settings.KAFKA_BROKERS!,
      '--topic',
      topic,
      '--messages',
      String(records),
      '--timeout',
      '60000',
    ]);
    // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
    const lines = consumed.split('\n');
    const header = lines.findIndex((line) => line.includes('nMsg.sec'));
    const columns = (lines[header] ?? '').split(',').map((column) => column.trim());
    const values = (lines[header + 1] ?? '').split(',').map((value) => value.trim());
    const fetchRate = Number(values[columns.indexOf('fetch.nMsg.sec')]);
    const overallRate = Number(values[columns.indexOf('nMsg.sec')]);
    if (!producer || !(overallRate > 0)) {
      throw new Error(`could not read the Kafka perf tools' output:\n${produced}\n${consumed}`);
    }
    return {
      kafkaProducerRecordsPerSecond: Number(producer[1]),
      kafkaConsumerRecordsPerSecond: fetchRate > 0 ? fetchRate : overallRate,
    };
  } finally {
    await context.admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  }
}

/**
 * redis-benchmark for the commands Pulse's two round trips are made of, against the bench's
 * Redis, on keys of its own (`bench-redis:*`, removed afterwards).
 */
export async function redisCeilings(
  context: BenchContext,
  requests: number,
): Promise<Ceilings['redis']> {
  // On a cluster, one master: the ceiling of one node is what one partition's slot gets.
  const node = context.connection.REDIS_CLUSTER_NODES?.[0];
  const url = new URL(node ? `redis://${node}` : (context.connection.REDIS_URL as string));
  const base = [
    '-h',
    url.hostname,
    '-p',
    url.port || '6379',
    '-n',
    String(requests),
    '-q',
    '--csv',
  ];
  if (url.password) base.push('-a', decodeURIComponent(url.password));
  const commands: Record<string, string[]> = {
    GET: ['get', 'bench-redis:k'],
    'SET 200 B': ['set', 'bench-redis:k', 'x'.repeat(200)],
    'HMGET 10 fields': ['hmget', 'bench-redis:h', ...Array.from({ length: 10 }, (_, i) => `f${i}`)],
    'HSET 200 B': ['hset', 'bench-redis:h', 'f__rand_int__', 'x'.repeat(200)],
    ZADD: ['zadd', 'bench-redis:z', '__rand_int__', 'm__rand_int__'],
    'EVAL (empty script)': ['eval', 'return 1', '0'],
  };
  const result: Record<string, number> = {};
  try {
    for (const [name, command] of Object.entries(commands)) {
      const { stdout } = await run('redis-benchmark', [...base, '-r', '100000', ...command], {
        timeout: 300_000,
      });
      // --csv: "test","rps",...
      const line = stdout.trim().split('\n').pop() ?? '';
      const rps = Number(line.split(',')[1]?.replaceAll('"', ''));
      if (!(rps > 0))
        throw new Error(`could not read redis-benchmark's output for ${name}: ${stdout}`);
      result[name] = rps;
    }
  } finally {
    await context.redis.unlink('bench-redis:k', 'bench-redis:h', 'bench-redis:z');
  }
  return result;
}
