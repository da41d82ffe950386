/**
 * What a child process writes, gathered as it comes, and a bounded wait for a line of it: how the
 * dev tests and the dev bench follow a running `lambda-kit dev`.
 */
import type { ChildProcess } from 'node:child_process';

/** How much of the output a failed wait shows: the end, where the reason usually is. */
const SHOWN_CHARS = 4000;

export interface ChildOutput {
  /** Everything the child has written so far, stdout and stderr as they came. */
  text(): string;
  /**
   * Resolves with the match once the output from `from` on matches `pattern`. Rejects when the
   * child closes its output first or `timeoutMs` passes, with the end of the output so far.
   */
  waitFor(pattern: RegExp, timeoutMs: number, from?: number): Promise<RegExpExecArray>;
}

/** Starts gathering `child`'s stdout and stderr (spawned with both piped); `name` says whose output a failure shows. */
export function watchOutput(child: ChildProcess, name: string): ChildOutput {
  let output = '';
  // Set on 'close' rather than 'exit': by then every byte the child wrote has been read.
  let closed = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const take = (chunk: Buffer) => {
    output += chunk.toString();
    notify();
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  child.once('close', () => {
    closed = true;
    notify();
  });

  const waitFor = (pattern: RegExp, timeoutMs: number, from = 0) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const fail = (why: string) => {
        done();
        reject(new Error(`${name} ${why} ${pattern}; its output so far:\n${output.slice(-SHOWN_CHARS)}`));
      };
      const check = () => {
        const match = pattern.exec(output.slice(from));
        if (match) {
          done();
          resolve(match);
        } else if (closed) fail('closed its output before');
      };
      const timer = setTimeout(() => fail(`wrote no match within ${timeoutMs / 1000} s for`), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  return { text: () => output, waitFor };
}
