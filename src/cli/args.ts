import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into one-line usage errors (exit 2). */
export function parseCommandLine<T extends Options>(program: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.replace(/^Unknown option '(.+?)'.*$/, "unknown option '$1'");
    throw usageError(`${message.replace(/\.$/, '')}.`, `See ${program} --help.`);
  }
}
