import { InvalidArgumentError, type Command } from 'commander';
import { positiveInteger } from '../options.ts';
import { examples, paragraphs } from '../help-text.ts';

function integerList(value: string): number[] {
  const values = value.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError('expected whole numbers of at least 1, separated by commas');
  }
  return values;
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .summary('measure Pulse beside a Kafka Streams peer')
    .description(
      paragraphs(
        'Measures Pulse on this machine and writes bench/results/<date>.json and .md: ' +
          'throughput (1 and 2 profilers draining a pre-produced log), produce → committed ' +
          'latency at fixed rates, Redis bytes per customer, the partition step alone in ' +
          'process (what the core costs per event), `pulse replay` speed, signal ' +
          'delay and the time from SIGTERM to exit, side by side with a Kafka Streams peer ' +
          'doing the same job on the same log, a naive eachMessage/GET+SET baseline, raw ' +
          "kafkajs and @platformatic/kafka consumers, and Kafka's and Redis's own perf tools.",
        'The log is the real job: synthetic customers over at least --min-span-days of event ' +
          'time (default 60), in event-time order on every partition, so lapses, ' +
          'reactivations and ready-to-buy signals fire while it drains; the report states ' +
          'the span and the signals, late events and dead letters the drain produced.',
        'The peer (bench/peers/kafka-streams) needs Java 17 and Maven: it is built into the ' +
          'cache on its first run, and skipped with a note when either is missing.',
        'It starts its own Kafka, Redis and registry unless KAFKA_BROKERS, REDIS_URL and ' +
          'SCHEMA_REGISTRY_URL are set. The default size takes a long while: try a smaller ' +
          'run first.',
      ),
    )
    .addHelpText(
      'after',
      examples('npx pulse bench --customers 100000 --events 500000 --runs 1', 'npx pulse bench'),
    )
    .option('--customers <n>', 'customers in the workload', positiveInteger)
    .option('--events <n>', 'events pre-produced to the input topics', positiveInteger)
    .option(
      '--runs <n>',
      'runs of every figure (the report gives median, min and max)',
      positiveInteger,
    )
    .option('--seed <n>', 'seed of the synthetic population', positiveInteger)
    .option(
      '--min-span-days <n>',
      'event time the log spans at least (default 60)',
      positiveInteger,
    )
    .option(
      '--instances <list>',
      'profiler counts to drain the log with (default 1,2)',
      integerList,
    )
    .option(
      '--rates <list>',
      'offered rates of the latency runs, events/s (default 5000,10000,20000)',
      integerList,
    )
    .option(
      '--latency-seconds <n>',
      'measured window of each latency run (default 60), after 5 s at the same rate that are reported apart as the start',
      positiveInteger,
    )
    .option('--naive-seconds <n>', 'length of each naive-baseline run', positiveInteger)
    .option('--signal-customers <n>', 'customers of the signal-delay runs', positiveInteger)
    .option('--signal-rate <n>', 'live rate of the signal-delay runs, events/s', positiveInteger)
    .option(
      '--phases <list>',
      'which figures, separated by commas: throughput, peer, profile, step, replay, ' +
        'naive, raw, latency, signals, ceilings (default: all)',
    )
    .option('--out <dir>', 'where the results go (default bench/results)')
    .option(
      '--redis-cluster',
      'on a local Redis Cluster (3 masters + 3 replicas); instances default to 1,2,3',
    )
    .option(
      '--cpu-profile <file>',
      "keep the profile phase's .cpuprofile (open it in Chrome DevTools)",
    )
    .action(
      async (options: {
        customers?: number;
        events?: number;
        runs?: number;
        seed?: number;
        minSpanDays?: number;
        instances?: number[];
        rates?: number[];
        latencySeconds?: number;
        naiveSeconds?: number;
        signalCustomers?: number;
        signalRate?: number;
        phases?: string;
        out?: string;
        cpuProfile?: string;
        redisCluster?: boolean;
      }) => {
        const { benchDefaults, PHASES, renderMarkdown, runBench } = await import('@pulse/bench');
        const phases = options.phases?.split(',').map((phase) => phase.trim());
        const unknown = phases?.filter((phase) => !(PHASES as readonly string[]).includes(phase));
        if (unknown && unknown.length > 0) {
          throw new Error(`unknown phase(s) ${unknown.join(', ')}: use ${PHASES.join(',')}`);
        }
        const tty = process.stderr.isTTY === true;
        let lastProgressAt = 0;
        const outcome = await runBench({
          ...benchDefaults,
          ...(options.customers ? { customers: options.customers } : {}),
          ...(options.events ? { events: options.events } : {}),
          ...(options.cpuProfile ? { cpuProfileOut: options.cpuProfile } : {}),
          ...(options.runs ? { runs: options.runs } : {}),
          ...(options.seed ? { seed: options.seed } : {}),
          ...(options.minSpanDays ? { minSpanDays: options.minSpanDays } : {}),
          ...(options.redisCluster ? { redisCluster: true, instances: [1, 2, 3] } : {}),
          ...(options.instances ? { instances: options.instances } : {}),
          ...(options.rates ? { latencyRates: options.rates } : {}),
          ...(options.latencySeconds ? { latencySeconds: options.latencySeconds } : {}),
          ...(options.naiveSeconds ? { naiveSeconds: options.naiveSeconds } : {}),
          ...(options.signalCustomers ? { signalCustomers: options.signalCustomers } : {}),
          ...(options.signalRate ? { signalRate: options.signalRate } : {}),
          ...(phases ? { phases: phases as typeof benchDefaults.phases } : {}),
          ...(options.out ? { outDir: options.out } : {}),
          log: (line) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}${line}\n`),
          progress: (line) => {
            if (!tty || Date.now() - lastProgressAt < 250) return;
            lastProgressAt = Date.now();
            process.stderr.write(`\r\x1b[K${line}`);
          },
        });
        if (tty) process.stderr.write('\r\x1b[K');
        process.stdout.write(
          `\nwrote ${outcome.jsonPath} and ${outcome.markdownPath}\n\n${renderMarkdown(outcome.report)}`,
        );
      },
    );
}
