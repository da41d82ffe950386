/**
 * runTool against real processes that misbehave: a tool that exits but leaves a process holding
 * its stdout, a tool that hangs with a child of its own, a tool that is not there or cannot run.
 */
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../src/tools/run-tool.js';
import { tempDir } from './support/cli.js';

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runTool', () => {
  it('answers when the tool exits, though a process it started still holds its stdout', async () => {
    const began = Date.now();
    // `$!` is the background sleep's pid: the answer, and what to clean up.
    const run = await runTool('sh', ['-c', 'sleep 30 & echo "version 1.2.3 $!"'], { timeoutMs: 10_000 });
    const elapsed = Date.now() - began;
    expect(run.found).toBe(true);
    if (!run.found) return;
    const match = /^version 1\.2\.3 (\d+)$/.exec(run.stdout);
    expect(match, run.stdout).not.toBeNull();
    leftovers.push(Number(match![1]));
    expect(run.exitCode).toBe(0);
    expect(elapsed).toBeLessThan(5000);
  });

  it('kills a hung tool and everything it started at the timeout', async () => {
    const dir = await tempDir('cfl-run-tool-');
    const pidFile = join(dir, 'child.pid');
    const began = Date.now();
    const run = await runTool('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; sleep 30`], { timeoutMs: 500 });
    const elapsed = Date.now() - began;
    const child = Number((await readFile(pidFile, 'utf8')).trim());
    leftovers.push(child);
    expect(run).toEqual({ found: true, exitCode: undefined, stdout: '', stderr: 'timed out after 500 ms' });
    expect(elapsed).toBeLessThan(5000);
    const until = Date.now() + 2000;
    while (alive(child) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(alive(child)).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });

  it('tells a missing tool, and one that cannot run, from a failing one', async () => {
    expect(await runTool('/nonexistent/tool', ['--version'])).toEqual({ found: false, reason: 'not found' });
    const dir = await tempDir('cfl-run-tool-');
    const notExecutable = join(dir, 'tool');
    await writeFile(notExecutable, '#!/bin/sh\necho hi\n');
    await chmod(notExecutable, 0o644);
    expect(await runTool(notExecutable, [])).toEqual({ found: false, reason: 'cannot run (EACCES)' });
    expect(await runTool('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({
      found: true,
      exitCode: 3,
      stdout: 'out',
      stderr: 'err',
    });
    expect(await runTool('sh', ['-c', 'echo a'], { env: { PATH: process.env.PATH ?? '', X: 'a\0b' } })).toMatchObject({
      found: true,
      exitCode: undefined,
    });
    await rm(dir, { recursive: true, force: true });
  });
});
