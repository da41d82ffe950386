/**
 * Runs a tool once to ask it something (its version, its settings) and returns what it said.
 * A tool that is not installed is an answer, `{ found: false }`, never an exception.
 *
 * The tool runs in a process group of its own. Its answer is complete when it exits, not when its
 * pipes close: a process it leaves behind (a daemon, `sleep &` in a wrapper script) may hold them
 * open for ever. A tool that outlives the timeout is killed with everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export type ToolRun = { found: false; reason: string } | { found: true; exitCode: number | undefined; stdout: string; stderr: string };

export interface RunToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A version query that takes this long is hung, not slow. */
  timeoutMs?: number;
}

const NOT_RUNNABLE = new Set(['ENOENT', 'EACCES', 'ENOTDIR']);

/** After the tool exits, how long its pipes may take to deliver the rest of its output. */
const PIPE_DRAIN_MS = 100;

export function runTool(command: string, args: string[], options: RunToolOptions = {}): Promise<ToolRun> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<ToolRun>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        // Nothing asked here may wait for an answer from a person.
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (error) {
      // Arguments no process can take (a NUL byte in an argument or in the environment).
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return resolve({ found: true, exitCode: undefined, stdout: '', stderr: `cannot run: ${reason}` });
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));

    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      finish({ found: true, exitCode: undefined, stdout: '', stderr: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    let done = false;
    function finish(run: ToolRun): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolve(run);
    }

    child.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message;
      if (NOT_RUNNABLE.has(code)) finish({ found: false, reason: code === 'ENOENT' ? 'not found' : `cannot run (${code})` });
      else finish({ found: true, exitCode: undefined, stdout: '', stderr: `cannot run: ${code}` });
    });
    child.once('exit', (exitCode) => {
      void drained(child, PIPE_DRAIN_MS).then(() =>
        finish({ found: true, exitCode: exitCode ?? undefined, stdout: text(stdout), stderr: text(stderr) }),
      );
    });
  });
}

/** The tool's output when it ran and succeeded, else undefined. */
export function succeeded(run: ToolRun | undefined): string | undefined {
  return run?.found && run.exitCode === 0 ? run.stdout : undefined;
}

/** Resolves when both pipes have closed, or after `ms`. */
async function drained(child: ChildProcess, ms: number): Promise<void> {
  const pipes = [child.stdout!, child.stderr!];
  const closed = Promise.all(pipes.map((pipe) => (pipe.closed ? undefined : new Promise((resolve) => pipe.once('close', resolve)))));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already ended
  }
}

/** As execa gave it: UTF-8, without the final newline. */
function text(chunks: Buffer[]): string {
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
