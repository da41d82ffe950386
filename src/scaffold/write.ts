/**
 * The only code that touches the target directory. It never overwrites or deletes a user's file:
 * the project is written into a temporary sibling and moved into place, so an error part-way
 * leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../cli/errors.js';

export type TargetState =
  | { kind: 'missing' }
  | { kind: 'empty' }
  | { kind: 'not-empty'; entries: string[] }
  | { kind: 'not-a-directory' };

/** A directory holding only `.git` counts as empty, as in create-vite. */
const IGNORED_ENTRIES = new Set(['.git']);

export async function inspectTarget(dir: string): Promise<TargetState> {
  let stats;
  try {
    stats = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  if (!stats.isDirectory()) return { kind: 'not-a-directory' };
  const entries = (await readdir(dir)).filter((entry) => !IGNORED_ENTRIES.has(entry));
  return entries.length === 0 ? { kind: 'empty' } : { kind: 'not-empty', entries: entries.sort() };
}

/** Why `dir` cannot take a new project, or undefined when it can. */
export function targetProblem(dir: string, state: TargetState): string | undefined {
  switch (state.kind) {
    case 'missing':
    case 'empty':
      return undefined;
    case 'not-a-directory':
      return `${dir} exists and is not a directory`;
    case 'not-empty': {
      const shown = state.entries.slice(0, 3).join(', ') + (state.entries.length > 3 ? ', …' : '');
      return `${dir} is not empty (${shown}); choose a new or empty directory`;
    }
  }
}

/** Creates the missing ancestors of `dir`, returning those it created, deepest first. */
async function createParents(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let parent = dirname(dir); ; parent = dirname(parent)) {
    try {
      await stat(parent);
      break;
    } catch {
      missing.push(parent);
      if (dirname(parent) === parent) break;
    }
  }
  for (const parent of [...missing].reverse()) await mkdir(parent);
  return missing;
}

/**
 * Writes `files` into `dir`, which must be missing or empty. All files are first written into a
 * hidden sibling directory; only when every write succeeded are they moved into place.
 */
export async function writeProject(dir: string, files: Map<string, string>): Promise<void> {
  const target = resolve(dir);
  const problem = targetProblem(dir, await inspectTarget(target));
  if (problem) throw new UserError(problem);

  const createdParents = await createParents(target);
  const staging = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  const moved: string[] = [];
  let targetCreated = false;
  try {
    await mkdir(staging);
    for (const [path, contents] of files) {
      const file = join(staging, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, contents, { flag: 'wx' });
    }
    const state = await inspectTarget(target);
    if (state.kind === 'missing') {
      await rename(staging, target);
      targetCreated = true;
    } else {
      // An existing empty directory (perhaps the shell's cwd, perhaps holding .git) keeps its
      // identity: move the entries in one by one, refusing to replace anything.
      for (const entry of await readdir(staging)) {
        if ((await inspectTarget(join(target, entry))).kind !== 'missing') {
          throw new UserError(`${join(dir, entry)} appeared while writing; nothing was changed`);
        }
        await rename(join(staging, entry), join(target, entry));
        moved.push(join(target, entry));
      }
      await rmdir(staging);
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (targetCreated) await rm(target, { recursive: true, force: true });
    for (const path of moved) await rm(path, { recursive: true, force: true });
    for (const parent of createdParents) await rmdir(parent).catch(() => {});
    throw error;
  }
}
