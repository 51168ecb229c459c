import { Command } from 'commander';
import { examples, paragraphs } from './help-text.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerBenchCommand } from './commands/bench.ts';
import { registerEvaluateCommand } from './commands/evaluate.ts';
import { registerInfraCommands } from './commands/infra.ts';
import { registerModelCommands } from './commands/model.ts';
import { registerNamespaceCommands } from './commands/namespaces.ts';
import { registerProfileCommand } from './commands/profile.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerRunCommands } from './commands/run.ts';
import { registerSchemasCommands } from './commands/schemas.ts';
import { registerSegmentsCommand } from './commands/segments.ts';
import { registerShopCommand } from './commands/shop.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerTopicsCommands } from './commands/topics.ts';

export function buildProgram(): Command {
  const program = new Command('pulse')
    .description(
      paragraphs(
        'Pulse keeps a rolling behavioural profile of every customer from the visit and ' +
          'purchase events on Kafka, stores it in Redis, and emits signals: "lapsed" when a ' +
          'customer breaks their own rhythm (and "reactivated" when they come back), and ' +
          '"ready to buy" when their visits speed up inside their usual repurchase window.',
        'Every operation is a subcommand with its own --help. The connection settings ' +
          '(KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL) come from the environment, or from ' +
          'the local stack that `npx pulse infra up` started.',
      ),
    )
    .addHelpText(
      'after',
      examples(
        'npx pulse demo                 # the whole system, a synthetic population',
        'eval "$(npx pulse infra up)" && npx pulse topics init',
      ),
    )
    .showHelpAfterError('(run with --help for usage)');
  registerInfraCommands(program);
  registerTopicsCommands(program);
  registerRunCommands(program);
  registerSchemasCommands(program);
  registerStatusCommand(program);
  registerProfileCommand(program);
  registerSegmentsCommand(program);
  registerReplayCommand(program);
  registerNamespaceCommands(program);
  registerDemoCommand(program);
  registerShopCommand(program);
  registerBenchCommand(program);
  registerEvaluateCommand(program);
  registerModelCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.stderr.write(`pulse: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
