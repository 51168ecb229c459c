import { Command } from 'commander';
import { registerDemoCommand } from './commands/demo.ts';
import { registerBenchCommand } from './commands/bench.ts';
import { registerEvaluateCommand } from './commands/evaluate.ts';
import { registerInfraCommands } from './commands/infra.ts';
import { registerNamespaceCommands } from './commands/namespaces.ts';
import { registerProfileCommand } from './commands/profile.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerRunCommands } from './commands/run.ts';
import { registerSchemasCommands } from './commands/schemas.ts';
import { registerShopCommand } from './commands/shop.ts';
import { registerTopicsCommands } from './commands/topics.ts';

export function buildProgram(): Command {
  const program = new Command('pulse')
    .description(
      [
        'Pulse keeps a rolling behavioural profile of every customer from visit and purchase events',
        'on Kafka, stores it in Redis, and emits "lapsed" and "ready to buy" signals.',
        '',
        'See it work: npx pulse demo                 # the whole system, a synthetic population',
        'Start here:  eval "$(npx pulse infra up)"   # a local Kafka + Redis + schema registry',
        '             npx pulse topics init          # create the topics',
      ].join('\n'),
    )
    .showHelpAfterError('(run with --help for usage)');
  registerInfraCommands(program);
  registerTopicsCommands(program);
  registerRunCommands(program);
  registerSchemasCommands(program);
  registerProfileCommand(program);
  registerReplayCommand(program);
  registerNamespaceCommands(program);
  registerDemoCommand(program);
  registerShopCommand(program);
  registerBenchCommand(program);
  registerEvaluateCommand(program);
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
