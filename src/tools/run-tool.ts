/**
 * Runs a tool once to ask it something (its version, its settings) and returns what it said.
 * A tool that is not installed is an answer, `{ found: false }`, never an exception.
 */
import { execa } from 'execa';

export type ToolRun =
  | { found: false; reason: string }
  | { found: true; exitCode: number | undefined; stdout: string; stderr: string };

export interface RunToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A version query that takes this long is hung, not slow. */
  timeoutMs?: number;
}

const NOT_RUNNABLE = new Set(['ENOENT', 'EACCES', 'ENOTDIR']);

export async function runTool(command: string, args: string[], options: RunToolOptions = {}): Promise<ToolRun> {
  const result = await execa(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    extendEnv: false,
    // Nothing asked here may wait for an answer from a person.
    stdin: 'ignore',
    reject: false,
    timeout: options.timeoutMs ?? 30_000,
  });
  if (result.code && NOT_RUNNABLE.has(result.code)) return { found: false, reason: result.code === 'ENOENT' ? 'not found' : `cannot run (${result.code})` };
  if (result.timedOut) return { found: true, exitCode: undefined, stdout: '', stderr: `timed out after ${options.timeoutMs ?? 30_000} ms` };
  return { found: true, exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The tool's output when it ran and succeeded, else undefined. */
export function succeeded(run: ToolRun | undefined): string | undefined {
  return run?.found && run.exitCode === 0 ? run.stdout : undefined;
}
