/**
 * The tools lambda-kit runs, for end-to-end tests: the Python ones (sam, cargo-lambda, zig via
 * the ziglang package) from scripts/python-tools.sh, and PATHs built to hold exactly the tools a
 * test wants, so "sam is missing" is a fact of the test, not of the machine.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROOT } from './cli.js';

export const IN_CI = process.env.CI === 'true';

/** Every build in the tests shares one target directory, as the Rust tests do. */
export const CARGO_ENV = {
  CARGO_TARGET_DIR: join(ROOT, '.cache', 'cargo-target'),
  CARGO_TERM_COLOR: 'never',
  // Debug info is most of what a debug build of the SDK costs, and nothing here is debugged.
  CARGO_PROFILE_DEV_DEBUG: '0',
  CARGO_INCREMENTAL: '0',
} as const;

let tools: { bin: string } | { problem: string } | undefined;

/** The venv bin directory scripts/python-tools.sh prints last (installing on first use), or why not. */
export function pythonTools(): { bin: string } | { problem: string } {
  if (tools) return tools;
  const run = spawnSync('bash', [join(ROOT, 'scripts/python-tools.sh')], { cwd: ROOT, encoding: 'utf8' });
  if (run.error) tools = { problem: run.error.message };
  else if (run.status !== 0) tools = { problem: `scripts/python-tools.sh exited ${run.status}: ${run.stderr.trim()}` };
  else tools = { bin: run.stdout.trim().split('\n').at(-1)! };
  return tools;
}

/** The venv bin directory; a developer without it skips, CI never passes without it. */
export function requirePythonTools(ctx: { skip: (note?: string) => void }): string {
  const result = pythonTools();
  if ('bin' in result) return result.bin;
  if (IN_CI) throw new Error(`the Python tools (sam, cargo-lambda, ziglang) are required in CI: ${result.problem}`);
  ctx.skip(`Python tools unavailable: ${result.problem}`);
  throw new Error('unreachable: ctx.skip throws');
}

/**
 * The Python tools (and cargo, unless `cargo: false`) for a file of end-to-end tests: the venv bin
 * directory, or why they are missing, so its tests skip on a developer's machine. In CI a missing
 * tool fails the file instead, as `what` needs them.
 */
export function endToEndTools(what: string, { cargo = true } = {}): { venvBin: string; missing: string | undefined } {
  const result = pythonTools();
  const missing = 'problem' in result ? `Python tools: ${result.problem}` : cargo && !which('cargo') ? 'cargo is not on PATH' : undefined;
  if (missing && IN_CI) throw new Error(`${what} in CI: ${missing}`);
  return { venvBin: 'bin' in result ? result.bin : '', missing };
}

/** The first executable called `name` on `path`. */
export function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * A directory of shims, one per tool: `exec <real path> "$@"`, or a script of one's own. A PATH
 * of this directory alone offers these tools and nothing else from the machine.
 */
export function shimDir(dir: string, shims: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, target] of Object.entries(shims)) {
    const body = target.startsWith('#!') ? target : `#!/bin/sh\nexec '${target}' "$@"\n`;
    writeFileSync(join(dir, name), body, { mode: 0o755 });
  }
  return dir;
}
