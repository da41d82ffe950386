/**
 * Reading a command line, shared by every program: lambda-kit's commands, create-fast-lambda and
 * the repository's dev scripts (bench:function, train:churn), which live outside src/cli. Each
 * command's flags and help stay with the command.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './errors.js';
import { abbreviateForMessage } from './scaffold/quote.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into one-line usage errors (exit 2). */
export function parseCommandLine<T extends Options>(program: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = firstLineOfParseError(error, args, options).replace(/^Unknown option '(.+?)'.*$/, "unknown option '$1'");
    throw usageError(`${message.replace(/\.$/, '')}.`, `See ${program} --help.`);
  }
}

/**
 * parseArgs' message, first line only (the rest is advice for other programs). An argument with
 * a newline or an escape in it would break that line or act on the terminal, so the message is
 * made again from the arguments with their control characters shown as escapes.
 */
function firstLineOfParseError(error: unknown, args: string[], options: Options): string {
  try {
    parseArgs({ args: args.map((arg) => abbreviateForMessage(arg, 60)), options, allowPositionals: true, strict: true });
  } catch (quoted) {
    return (quoted as Error).message.split('\n')[0]!;
  }
  return abbreviateForMessage((error as Error).message.split('\n')[0]!, 200);
}

/**
 * A lambda-kit command's flags (`options` includes `help`); no positional arguments. Returns
 * undefined after printing `help` for --help, so the command returns exit 0.
 */
export function parseCommandFlags<T extends Options>(program: string, args: string[], options: T, help: string) {
  const { values, positionals } = parseCommandLine(program, args, options);
  if ((values as { help?: boolean }).help) {
    process.stdout.write(help);
    return undefined;
  }
  if (positionals.length > 0) throw usageError(`unexpected argument '${positionals[0]}'.`, `See ${program} --help.`);
  return values;
}
