/**
 * Every error is printed as one line (src/errors.ts), whatever its message holds: a real
 * child process runs runMain from the built dist/ with a main that throws, as the bins do.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';

const ERRORS = pathToFileURL(join(ROOT, 'dist/errors.js')).href;

/** Runs `throw <expression>` inside runMain in a fresh node; returns its exit code and stderr. */
async function throwing(expression: string, env: NodeJS.ProcessEnv = {}) {
  const script = `import { runMain, UserError } from '${ERRORS}';\nawait runMain('lambda-kit', async () => { throw ${expression}; });\n`;
  const result = await execa(process.execPath, ['--input-type=module', '-e', script], {
    reject: false,
    env: { ...process.env, DEBUG: '', ...env },
    extendEnv: false,
  });
  return { exitCode: result.exitCode, lines: result.stderr.split('\n') };
}

describe('errors print as one line', () => {
  it('a UserError whose message and hint hold newlines and escape sequences', async () => {
    const result = await throwing(
      `new UserError('the function failed: &lambda_runtime::Diagnostic: one\\ntwo\\u001b[2J', { hint: 'See\\rthis.' })`,
    );
    expect(result.exitCode).toBe(1);
    expect(result.lines).toEqual(['lambda-kit: the function failed: &lambda_runtime::Diagnostic: one\\ntwo\\u001b[2J. See\\rthis.']);
  });

  it('an unexpected error: its whole message, escaped, with no stack trace', async () => {
    const result = await throwing(`new Error('first line\\n    at someFrame (file.js:1:1)\\u0007')`);
    expect(result.exitCode).toBe(1);
    expect(result.lines).toEqual(['lambda-kit: unexpected error: first line\\n    at someFrame (file.js:1:1)\\u0007']);
  });

  it('a long message is cut with a marker', async () => {
    const result = await throwing(`new UserError('y'.repeat(50000))`);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toBe(`lambda-kit: ${'y'.repeat(2000)}… [48,000 more characters not shown]`);
  });

  it('an endpoint URL in any error is shown without its password', async () => {
    const result = await throwing(`new Error('connect ECONNREFUSED http://me:hunter2@127.0.0.1:9/')`);
    expect(result.lines).toEqual(['lambda-kit: unexpected error: connect ECONNREFUSED http://me:****@127.0.0.1:9/']);
  });
});
