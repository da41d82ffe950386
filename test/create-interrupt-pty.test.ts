/**
 * Ctrl-C at a terminal while the project is being written: the person sees one line, the run
 * exits 130, and the directory it was creating is gone.
 */
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREATE_BIN, tempDir, userEnv } from './support/cli.js';
import { KEY, spawnInPty } from './support/pty.js';

const ALL = ['--name', 'orders', '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'arm64', '--memory', '512', '--timeout', '30'];

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${path} never appeared`);
}

describe('Ctrl-C while writing, at a terminal', () => {
  it('removes what was written and exits 130', async () => {
    const cwd = await tempDir();
    // Test-only pause between files, so the keystroke lands mid-write.
    const t = spawnInPty(['node', CREATE_BIN, 'orders', ...ALL], {
      cwd,
      env: userEnv({ NO_COLOR: '', CREATE_FAST_LAMBDA_TEST_WRITE_DELAY_MS: '150' }),
    });
    await t.waitFor('Writing files');
    await waitFor(join(cwd, 'orders/Cargo.toml'));
    t.type(KEY.ctrlC);
    expect(await t.exit).toBe(130);
    expect(t.screen()).toContain('create-fast-lambda: interrupted by SIGINT; removed everything this run had written in orders');
    expect(await readdir(cwd)).toEqual([]);
  });
});
