import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CREATE_BIN = join(ROOT, 'bin/create-fast-lambda.js');
export const KIT_BIN = join(ROOT, 'bin/lambda-kit.js');

export async function tempDir(prefix = 'cfl-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** The environment of a person at a terminal: no CI flag, colours off for readable asserts. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.CI;
  return env;
}

/** Runs a bin the way a script would: no TTY, stdin closed. */
export function runBin(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()) {
  return execa('node', [bin, ...args], { cwd, env, reject: false, stdin: 'ignore', extendEnv: false });
}

/** Every file below `dir`, relative, sorted. */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}
