/**
 * How every `pulse … --help` is written: the description is paragraphs of prose, each one line
 * in the source, which commander wraps to the terminal once; the help ends with one or two
 * examples, which commander prints as they are (so each line must fit 80 columns). The unit test
 * `help.test.ts` renders every command's help at 80 columns and checks both.
 */

/** A command description made of prose paragraphs (commander wraps each one). */
export function paragraphs(...texts: string[]): string {
  return texts.join('\n\n');
}

/**
 * The last section of a help: `Example:` or `Examples:` and the command lines. A line break
 * inside an example continues it (after a trailing `\`), indented further.
 */
export function examples(...commands: string[]): string {
  return [
    '',
    commands.length === 1 ? 'Example:' : 'Examples:',
    ...commands.map((command) => `  ${command.replaceAll('\n', '\n    ')}`),
  ].join('\n');
}
