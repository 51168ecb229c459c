import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.ts';

/*
 * Every command's --help must read cleanly in an 80-column terminal: commander wraps prose
 * paragraphs itself, so a description written with its own line breaks ends up broken twice
 * ("…from visit and purchase events" / "on Kafka…"), and the text commander prints as it is
 * (the examples after the options) must fit on its own. Each help ends with one or two examples.
 */

const WIDTH = 80;

function allCommands(command: Command, path: string[] = []): [string, Command][] {
  const name = [...path, command.name()];
  return [
    [name.join(' '), command],
    ...command.commands.flatMap((child) => allCommands(child, name)),
  ];
}

/** The help as `pulse … --help` prints it on an 80-column terminal. */
function renderHelp(command: Command): { full: string; after: string } {
  let full = '';
  command.configureOutput({
    writeOut: (text) => {
      full += text;
    },
    writeErr: (text) => {
      full += text;
    },
    getOutHelpWidth: () => WIDTH,
    getErrHelpWidth: () => WIDTH,
    getOutHasColors: () => false,
    getErrHasColors: () => false,
  });
  command.outputHelp();
  const body = command.helpInformation();
  expect(full.startsWith(body), 'the help text before the examples').toBe(true);
  return { full, after: full.slice(body.length) };
}

/**
 * Lines of a text written for commander to wrap that continue a paragraph on a new line: a
 * paragraph is one line in the source; only an indented line (a list, an example) may follow.
 */
function preBrokenLines(text: string): string[] {
  const broken: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const previous = lines[index - 1];
    if (index === 0 || line === '' || previous === undefined || previous === '') return;
    if (!/^\s/.test(line)) broken.push(`"${previous}" / "${line}"`);
  });
  return broken;
}

const commands = allCommands(buildProgram());

describe('every command help', () => {
  it('covers every command of the CLI', () => {
    const names = commands.map(([name]) => name);
    for (const name of ['pulse', 'pulse status', 'pulse infra up', 'pulse schemas check'])
      expect(names).toContain(name);
  });

  it.each(commands)('%s: fits 80 columns', (_name, command) => {
    const { full } = renderHelp(command);
    const tooLong = full.split('\n').filter((line) => line.length > WIDTH);
    expect(tooLong).toEqual([]);
  });

  it.each(commands)('%s: lists each subcommand on one line', (_name, command) => {
    const { full } = renderHelp(command);
    const lines = full.split('\n');
    const start = lines.indexOf('Commands:');
    if (start < 0) return;
    const end = lines.indexOf('', start);
    const listing = lines.slice(start + 1, end < 0 ? undefined : end);
    expect(listing.filter((line) => !/^ {2}\S/.test(line))).toEqual([]);
  });

  it.each(commands)('%s: is written as paragraphs commander wraps once', (_name, command) => {
    expect(preBrokenLines(command.description())).toEqual([]);
    expect(command.summary()).not.toContain('\n');
    for (const option of command.options) expect(option.description).not.toContain('\n');
    for (const argument of command.registeredArguments)
      expect(argument.description).not.toContain('\n');
    // Commander prints the text after the options as it is: headings and indented lines only.
    const { after } = renderHelp(command);
    const prose = after.split('\n').filter((line) => line !== '' && !/^(\S.*:|\s.*)$/.test(line));
    expect(prose).toEqual([]);
  });

  it.each(commands)('%s: ends with one or two examples', (_name, command) => {
    const { after } = renderHelp(command);
    const lines = after.trimEnd().split('\n');
    const heading = lines.findLastIndex((line) => /^Examples?:$/.test(line));
    expect(heading, 'an "Example:" or "Examples:" section').toBeGreaterThanOrEqual(0);
    const examples = lines
      .slice(heading + 1)
      .filter((line, index, all) => index === 0 || !all[index - 1]?.endsWith('\\'));
    expect(examples.every((line) => line.startsWith('  '))).toBe(true);
    expect(examples.some((line) => line.includes('npx pulse'))).toBe(true);
    expect(examples.length).toBeGreaterThanOrEqual(1);
    expect(examples.length).toBeLessThanOrEqual(2);
  });
});

describe('the pre-broken line check', () => {
  it('finds a paragraph broken by hand, and lets lists and paragraphs pass', () => {
    expect(preBrokenLines('Keeps a profile from visit and purchase events\non Kafka.')).toEqual([
      '"Keeps a profile from visit and purchase events" / "on Kafka."',
    ]);
    expect(preBrokenLines('One paragraph.\n\nAnother.\n\nExit code:\n  0  fine\n  1  not')).toEqual(
      [],
    );
  });
});
