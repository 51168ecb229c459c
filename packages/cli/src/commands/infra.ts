import type { Command } from 'commander';
import { infraDown, infraStatus, infraUp } from '@pulse/local-stack';

const toStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function registerInfraCommands(program: Command): void {
  const infra = program
    .command('infra')
    .description(
      'start, stop and inspect a local Kafka + Redis + schema registry (no Docker needed)',
    );

  infra
    .command('up')
    .description(
      'start the local stack in the background and print its settings as KEY=value lines,\n' +
        'so that `eval "$(npx pulse infra up)"` sets KAFKA_BROKERS, REDIS_URL and SCHEMA_REGISTRY_URL',
    )
    .action(async () => {
      const settings = await infraUp(toStderr);
      for (const [key, value] of Object.entries(settings)) {
        process.stdout.write(`${key}=${value}\n`);
      }
    });

  infra
    .command('down')
    .description('stop exactly the processes `pulse infra up` started and delete their data')
    .action(async () => {
      await infraDown(toStderr);
    });

  infra
    .command('status')
    .description('show whether the local stack runs and answers; exit code 1 when it does not')
    .action(async () => {
      const status = await infraStatus();
      if (status.components.length === 0) {
        process.stdout.write('not running (start it with `npx pulse infra up`)\n');
        process.exitCode = 1;
        return;
      }
      for (const component of status.components) {
        const state = component.answering ? 'up' : component.alive ? 'not answering' : 'stopped';
        process.stdout.write(
          `${component.name.padEnd(16)} pid ${String(component.pid).padEnd(8)} ${state}\n`,
        );
      }
      for (const [key, value] of Object.entries(status.settings ?? {})) {
        process.stdout.write(`${key}=${value}\n`);
      }
      if (!status.running) process.exitCode = 1;
    });
}
