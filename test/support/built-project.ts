/**
 * Generated projects built once and shared: by every test file that asks for the same project,
 * and by later runs of the suite. A debug build of a generated crate costs a minute or more on 2
 * cores even with the SDK crates compiled, so two files that need the same function share one.
 *
 * A project lives at .cache/test-projects/<name>-<hash>, where the hash is of what the binary is
 * built from (Cargo.toml and src/, as the real scaffolder writes them for these flags), and the
 * crate is named the same way: a change to the code makes a new project (and a new crate, so
 * builds from other checkouts sharing the target directory never overwrite its binary), while a
 * change to its README or template.yaml only refreshes those files. It is written whole into a
 * temporary directory and renamed into place, so a reader sees all of it or none, and a build of
 * an unchanged project is a no-op.
 *
 * Two test files (in two workers, or two runs) asking for the same project at once take turns:
 * its lock (test/support/dir-lock.ts) is held while it is written and built, so the second finds
 * it built and its build is a no-op.
 *
 * Each use stamps the project, and at the start of a run (test/support/global-setup.ts) projects
 * unused for UNUSED_DAYS are removed, under the same lock, so none is removed while in use.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { hostArchitecture } from '../../src/project/binary.js';
import { CREATE_BIN, listTree, ROOT } from './cli.js';
import { lockDir, lockPathOf } from './dir-lock.js';
import { CARGO_ENV } from './tools.js';

export const PROJECTS = join(ROOT, '.cache', 'test-projects');
/** A project no test has asked for in this many days is pruned at the start of a run. */
export const UNUSED_DAYS = 7;
/** Touched on each use: its mtime is when a test last asked for the project. */
const LAST_USED = '.last-used';
/** A cold build compiles the AWS SDK (minutes on 2 cores); a waiter gives up well after that. */
const LOCK_WAIT_MS = 40 * 60_000;

async function generate(parent: string, name: string, flags: string[]): Promise<string> {
  const dir = await mkdtemp(join(parent, `.${name}-`));
  await execa(process.execPath, [CREATE_BIN, join(dir, 'project'), '--name', name, ...flags, '--yes'], { stdin: 'ignore' });
  return join(dir, 'project');
}

/** What cargo builds the binary from; the rest (README, template.yaml, events) changes no build. */
const isBuildInput = (file: string) => file === 'Cargo.toml' || file.startsWith('src/');

async function hashOf(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of (await listTree(dir)).filter(isBuildInput))
    hash
      .update(`${file}\0`)
      .update(await readFile(join(dir, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 10);
}

/** Brings the files that are no build input up to date with a fresh generation, each replaced whole. */
async function refresh(dir: string, fresh: string): Promise<void> {
  for (const file of (await listTree(fresh)).filter((f) => !isBuildInput(f))) {
    const content = await readFile(join(fresh, file));
    const current = await readFile(join(dir, file)).catch(() => undefined);
    if (current?.equals(content)) continue;
    await mkdir(join(dir, file, '..'), { recursive: true });
    await rename(join(fresh, file), join(dir, file));
  }
}

/**
 * The directory of a project made as `create-fast-lambda --name <name>-<hash> <flags> --yes`
 * makes it (for this machine's architecture unless `flags` name one), built with
 * `cargo lambda build` (debug). `venvBin` holds cargo-lambda and zig; `projects` is the cache
 * (another one in this file's own tests).
 */
export async function builtProject(name: string, flags: string[], venvBin: string, projects = PROJECTS): Promise<string> {
  await mkdir(projects, { recursive: true });
  const arch = flags.includes('--arch') ? [] : ['--arch', hostArchitecture() ?? 'x86_64'];
  // The hash of the files with a name of no consequence; the crate then takes the hash too.
  const probe = await generate(projects, name, [...flags, ...arch]);
  const hash = await hashOf(probe);
  await rm(join(probe, '..'), { recursive: true, force: true });
  const crate = `${name}-${hash}`;
  const dir = join(projects, crate);
  const unlock = await lockDir(dir, LOCK_WAIT_MS);
  if (!unlock) throw new Error(`${lockPathOf(dir)} was held for ${LOCK_WAIT_MS / 60_000} minutes by a process that is still running`);
  try {
    const staged = await generate(projects, crate, [...flags, ...arch]);
    try {
      if (existsSync(dir)) await refresh(dir, staged);
      else await rename(staged, dir);
    } finally {
      await rm(join(staged, '..'), { recursive: true, force: true });
    }
    await writeFile(join(dir, LAST_USED), `${new Date().toISOString()}\n`);
    const env = { ...process.env, ...CARGO_ENV, PATH: `${venvBin}:${process.env.PATH}`, NO_COLOR: '1' };
    const archName = flags.includes('--arch') ? flags[flags.indexOf('--arch') + 1] : arch[1];
    const target = archName === 'arm64' ? '--arm64' : '--x86-64';
    const build = await execa('cargo', ['lambda', 'build', target], { cwd: dir, env, reject: false, all: true, stdin: 'ignore' });
    if (build.exitCode !== 0) throw new Error(`cargo lambda build failed in ${dir}:\n${build.all}`);
  } finally {
    await unlock();
  }
  return dir;
}

/** When a test last asked for the project in `dir` (its stamp, or the directory's own mtime if it has none). */
async function lastUsed(dir: string): Promise<number | undefined> {
  const stamp = await stat(join(dir, LAST_USED)).catch(() => undefined);
  return (stamp ?? (await stat(dir).catch(() => undefined)))?.mtimeMs;
}

/**
 * Removes the projects under `projects` that no test has asked for in `unusedDays` days, and the
 * scraps of runs that died while writing one, and returns the names removed. A project whose lock
 * is held is in use and stays; one is renamed aside under its lock before it is deleted, so a test
 * asking for it meanwhile makes a fresh one rather than finding it half gone.
 */
export async function pruneProjects(projects = PROJECTS, unusedDays = UNUSED_DAYS, now = Date.now()): Promise<string[]> {
  const cutoff = now - unusedDays * 24 * 60 * 60_000;
  const removed: string[] = [];
  const entries = await readdir(projects, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.includes('.lock')) continue;
    const dir = join(projects, entry.name);
    // Staging directories (.<name>-XXXXXX) too: an old one is a dead run's, a live run's is seconds old.
    const stale = ((await lastUsed(dir)) ?? now) < cutoff;
    if (!stale) continue;
    const unlock = await lockDir(dir, 0);
    if (!unlock) continue;
    try {
      // Asked for between the first look and the lock: keep it.
      if (((await lastUsed(dir)) ?? now) >= cutoff) continue;
      const aside = join(projects, `.pruned-${entry.name}-${process.pid}`);
      await rename(dir, aside);
      await rm(aside, { recursive: true, force: true });
      removed.push(entry.name);
    } finally {
      await unlock();
    }
  }
  return removed;
}

/**
 * The project of one trigger and sink (for this machine), built: every file that runs a function
 * of that pair asks for it here, under one name, so each pair builds once whichever file asks
 * first. It is shared, so a test writes its events and other files elsewhere.
 */
export function builtTriggerProject(trigger: string, sink: string, venvBin: string): Promise<string> {
  return builtProject(`e2e-${trigger}-${sink}`, ['--trigger', trigger, '--sink', sink], venvBin);
}
