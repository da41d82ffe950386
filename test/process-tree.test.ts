/**
 * test/support/process-tree.ts, which the dev tests trust to say that a stop left no process
 * behind: on a real tree of processes, a child and a grandchild in a process group of its own.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { descendants, stillRunning } from './support/process-tree.js';

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('descendants and stillRunning', () => {
  it('find a child and its grandchild in their own group, and say when both are gone', async () => {
    // The child starts a detached grandchild (a group of its own, as cargo's compilers may be), prints its pid, and sleeps.
    const script = `const g = require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { detached: true, stdio: 'ignore' }); console.log(g.pid); setTimeout(() => {}, 30000);`;
    const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    started.push(child.pid!);
    const grandchild = Number(
      await new Promise<string>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()))),
    );
    started.push(grandchild);

    const { pids, groups } = descendants(process.pid);
    expect([...pids]).toEqual(expect.arrayContaining([child.pid, grandchild]));
    expect([...groups]).toEqual(expect.arrayContaining([child.pid, grandchild]));
    expect(stillRunning(pids, groups)).toEqual(expect.arrayContaining([child.pid, grandchild]));

    process.kill(-child.pid!, 'SIGKILL');
    // The child is reaped at once; the grandchild, orphaned, stays until it too is killed.
    const deadline = Date.now() + 5000;
    while (stillRunning(new Set([child.pid!]), new Set()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stillRunning(pids, groups)).toEqual([grandchild]);
    process.kill(-grandchild, 'SIGKILL');
    while (stillRunning(pids, groups).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stillRunning(pids, groups)).toEqual([]);
  });
});
