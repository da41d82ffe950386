/**
 * Two refusals that used to be silent or misleading: a twins flag without an example, and
 * CI=true at a real terminal, which is not "no terminal".
 */
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CREATE_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { spawnInPty } from './support/pty.js';

describe('create-fast-lambda --twins and --no-twins', () => {
  it.each(['--twins', '--no-twins'])('refuses %s without --example: exit 2, one line, no files', async (flag) => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['svc', flag, '--yes'], cwd);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      `create-fast-lambda: ${flag} applies only with --example (the twins are the example's handler in Node.js and Python).`,
    );
    expect(result.stdout).toBe('');
    expect(await readdir(cwd)).toEqual([]);
  });

  it('takes --no-twins with --example churn', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['churn', '--example', 'churn', '--no-twins', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('churn prediction (Kinesis → SQS)');
  });
});

describe('create-fast-lambda with CI=true', () => {
  it('says CI=true, not "no terminal", when it runs at a terminal', async () => {
    const cwd = await tempDir();
    const t = spawnInPty(['node', CREATE_BIN, 'svc', '--trigger', 'sqs'], { cwd, env: { ...userEnv(), CI: 'true' } });
    await t.waitFor('Pass them');
    expect(await t.exit).toBe(2);
    const lines = t.screen().trim().split(/\r?\n/);
    expect(lines).toEqual([
      'create-fast-lambda: CI=true: nothing is asked, and no answer for --sink, --arch, --memory, --timeout. Pass them, or --yes to take the defaults.',
    ]);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('still says "no terminal" without one', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['svc', '--trigger', 'sqs'], cwd, { ...userEnv(), CI: 'true' });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^create-fast-lambda: no terminal to ask on, and no answer for --sink/);
  });
});
