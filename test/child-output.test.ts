/**
 * watchOutput, how the dev tests and the dev bench follow `lambda-kit dev`, on real child
 * processes that write on a timer: a match that arrives later, split across writes, on either
 * stream, after an offset; and the two ways a wait ends without one (the child is gone, the time
 * is up), each showing the output so far.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { watchOutput } from '../src/tools/child-output.js';

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A Node child running `script`, both streams piped. */
function child(script: string) {
  const started = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(started);
  return started;
}

describe('watchOutput', () => {
  it('resolves with the match once it arrives, though it comes in two writes 200 ms apart, on stderr', async () => {
    const output = watchOutput(
      child(
        `process.stderr.write('served on http://127.0.'); setTimeout(() => process.stderr.write('0.1:4321\\n'), 200); setTimeout(() => {}, 10000);`,
      ),
      'the server',
    );
    const [, url] = await output.waitFor(/on (http:\/\/127\.0\.0\.1:\d+)\n/, 5000);
    expect(url).toBe('http://127.0.0.1:4321');
  });

  it('looks only from `from` on, and gathers stdout and stderr in the order they came', async () => {
    const output = watchOutput(
      child(
        `console.log('built in 1 s'); setTimeout(() => console.error('changed'), 100); setTimeout(() => console.log('built in 2 s'), 300); setTimeout(() => {}, 10000);`,
      ),
      'dev',
    );
    await output.waitFor(/changed/, 5000);
    const from = output.text().length;
    const [line] = await output.waitFor(/built in \d s/, 5000, from);
    expect(line).toBe('built in 2 s');
    expect(output.text()).toBe('built in 1 s\nchanged\nbuilt in 2 s\n');
  });

  it('rejects when the child ends without the match, at once, showing what it wrote', async () => {
    const output = watchOutput(child(`console.error('error[E0425]: cannot find value'); process.exit(101);`), 'cargo');
    const started = Date.now();
    await expect(output.waitFor(/Finished/, 20_000)).rejects.toThrow(
      /^cargo closed its output before \/Finished\/; its output so far:\nerror\[E0425\]/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    // Also when asked after the child is long gone.
    await expect(output.waitFor(/Finished/, 20_000)).rejects.toThrow(/closed its output before/);
  });

  it('rejects when the time is up, showing the end of the output so far', async () => {
    const output = watchOutput(child(`console.log('Compiling'); setTimeout(() => {}, 10000);`), 'the build');
    await output.waitFor(/Compiling/, 5000);
    await expect(output.waitFor(/built in/, 300)).rejects.toThrow(
      /^the build wrote no match within 0\.3 s for \/built in\/; its output so far:\nCompiling\n$/,
    );
  });

  it('shows at most the last 4000 characters', async () => {
    const output = watchOutput(child(`process.stdout.write('x'.repeat(10000) + 'END'); setTimeout(() => {}, 10000);`), 'dev');
    await output.waitFor(/END/, 5000);
    const error = await output.waitFor(/never/, 200).catch((caught: Error) => caught);
    expect((error as Error).message.split('\n').at(-1)).toHaveLength(4000);
    expect((error as Error).message.endsWith('xEND')).toBe(true);
  });
});
