import { InvalidArgumentError, type Command } from 'commander';
import { positiveInteger } from '../options.ts';
import { examples, paragraphs } from '../help-text.ts';

function share(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
    throw new InvalidArgumentError('expected a number between 0 and 1');
  }
  return parsed;
}

function wholeNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new InvalidArgumentError('expected a whole number');
  }
  return parsed;
}

function months(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 1.5 || parsed > 24) {
    throw new InvalidArgumentError('expected a number of months between 1.5 and 24');
  }
  return parsed;
}

interface DemoCommandOptions {
  seed: number;
  customers: number;
  months: number;
  partitions: number;
  collectorShare: number;
  keep?: boolean;
  report: string;
  json?: string;
  allSignals?: boolean;
  redisCluster?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .summary('the whole system on a synthetic population')
    .description(
      paragraphs(
        'Starts Kafka, Redis and the schema registry (or uses KAFKA_BROKERS, REDIS_URL and ' +
          'SCHEMA_REGISTRY_URL, or the stack `npx pulse infra up` started), creates the ' +
          'topics, runs the profiler and the collector as child processes and plays a seeded ' +
          'synthetic population over months of event time, fast-forwarded: part through the ' +
          "collector's HTTP API, the rest straight to Kafka.",
        'It prints the signals as they arrive, then a summary, and writes an HTML report. ' +
          'Same --seed, same signals. Everything it started stops on exit and on Ctrl-C; ' +
          '--keep leaves it running beside the example shop and prints how to inspect it and ' +
          'how to stop it.',
      ),
    )
    .addHelpText('after', examples('npx pulse demo', 'npx pulse demo --customers 500 --keep'))
    .option('--seed <n>', 'seed of the synthetic population', wholeNumber, 42)
    .option('--customers <n>', 'customers in the population', positiveInteger, 3_000)
    .option('--months <n>', 'months of event time to play', months, 6)
    .option('--partitions <n>', 'partitions of the input topics', positiveInteger, 12)
    .option(
      '--collector-share <0..1>',
      "share of customers whose events go through the collector's HTTP API",
      share,
      0.3,
    )
    .option(
      '--keep',
      'leave the stack, the profiler and the collector running, and print how to inspect them',
    )
    .option('--report <path>', 'where to write the HTML report', 'demo-report.html')
    .option('--json <path>', "also write the run's summary and signals as JSON")
    .option('--all-signals', 'print every signal (default: a sample)')
    .option(
      '--redis-cluster',
      'run on a local Redis Cluster (3 masters + 3 replicas) instead of one Redis node; same seed, same signals',
    )
    .action(async (options: DemoCommandOptions) => {
      const { runDemo } = await import('@pulse/demo');
      const controller = new AbortController();
      let interrupted = false;
      const interrupt = (signal: NodeJS.Signals) => {
        if (interrupted) {
          // Second Ctrl-C: leave now; the watchdogs stop what is left.
          process.exit(130);
        }
        interrupted = true;
        process.stderr.write(`\n${signal}: stopping the demo and cleaning up…\n`);
        controller.abort(new Error(`interrupted (${signal})`));
      };
      process.on('SIGINT', interrupt);
      process.on('SIGTERM', interrupt);
      try {
        await runDemo(
          {
            seed: options.seed,
            customers: options.customers,
            days: Math.round(options.months * 30.5),
            partitions: options.partitions,
            collectorShare: options.collectorShare,
            keep: options.keep ?? false,
            reportPath: options.report,
            ...(options.json ? { jsonPath: options.json } : {}),
            allSignals: options.allSignals ?? false,
            redisCluster: options.redisCluster ?? false,
          },
          {
            write: (text) => process.stdout.write(text),
            isTty: process.stdout.isTTY === true,
            columns: process.stdout.columns ?? 120,
            env: process.env,
            signal: controller.signal,
          },
        );
      } catch (error) {
        if (interrupted) {
          process.exitCode = 130;
          return;
        }
        throw error;
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
      }
    });
}
