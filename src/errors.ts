/**
 * Errors are values with exit codes: anything may throw a UserError, and the entry point prints
 * it once, as one line, and exits with its code. Nothing else calls process.exit. A base module:
 * every layer throws these, so it leans on nothing but src/text (and never on src/cli).
 */
import { maskUrlCredentials } from './text/secret-masking.js';
import { showableLine } from './text/terminal-text.js';

/** 129 and 143 are 128 + SIGHUP's and SIGTERM's numbers, as a shell reports a process they ended. */
export const EXIT = { ok: 0, failure: 1, usage: 2, cancelled: 130, hangup: 129, terminated: 143 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class UserError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: ExitCode; hint?: string } = {}) {
    super(message);
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? EXIT.failure;
    this.hint = options.hint;
  }
}

/** A usage error: bad flags or values. Exit code 2. */
export function usageError(message: string, hint?: string): UserError {
  return new UserError(message, { exitCode: EXIT.usage, hint });
}

export class CancelledError extends UserError {
  constructor() {
    super('Cancelled.', { exitCode: EXIT.cancelled });
    this.name = 'CancelledError';
  }
}

/**
 * Runs a command's main function and turns its outcome into an exit code. User errors print as
 * one line; anything unexpected prints its message (and its stack only with DEBUG set).
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a command's main may end without a return, which means success.
export async function runMain(program: string, main: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await main()) ?? EXIT.ok;
  } catch (error) {
    process.exitCode = reportError(program, error);
  }
}

/** How long an error line may get; a function's error message can be megabytes. */
const MAX_ERROR_CHARS = 2000;

/**
 * The one line an error prints as: messages often quote what came from outside (a function's
 * multi-line error, an AWS reason, an endpoint URL), so newlines and control characters are
 * escaped, URL passwords masked, and the line cut with a marker when it is too long.
 */
export function errorLine(program: string, message: string): string {
  return `${program}: ${showableLine(maskUrlCredentials(message), MAX_ERROR_CHARS)}\n`;
}

export function reportError(program: string, error: unknown): ExitCode {
  if (error instanceof CancelledError) {
    process.stderr.write('Cancelled.\n');
    return error.exitCode;
  }
  if (error instanceof UserError) {
    // A hint that is a sentence of its own gets a full stop before it; "(…)" asides don't.
    const stop = error.hint && /^[A-Z]/.test(error.hint) && !/[.!?:]$/.test(error.message) ? '.' : '';
    const line = error.hint ? `${error.message}${stop} ${error.hint}` : error.message;
    process.stderr.write(errorLine(program, line));
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(errorLine(program, `unexpected error: ${message}`));
  if (process.env.DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  return EXIT.failure;
}
