/**
 * The only code that touches the target directory. It never overwrites or deletes a user's file.
 *
 * A run claims the target with a lock file created exclusively (O_EXCL) inside it, so of two runs
 * only one can write; it creates every file and directory exclusively too, so a file that
 * appears meanwhile is never replaced. The lock doubles as a journal of what the run created:
 * on an error or a signal the run removes exactly that, and after a SIGKILL the next run reads
 * it to remove the leftovers. Nothing is staged beside the target, so an empty mount point, a
 * read-only parent or a 255-byte directory name all work.
 */
import { constants as osConstants, hostname } from 'node:os';
import { lstat, mkdir, open, readFile, readdir, readlink, realpath, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { UserError } from '../errors.js';
import { quoteForMessage } from './quote.js';

export const LOCK_FILE = '.create-fast-lambda.lock';

/** Test-only: milliseconds to wait between files, so tests can signal or race a run mid-write. */
export const WRITE_DELAY_ENV = 'CREATE_FAST_LAMBDA_TEST_WRITE_DELAY_MS';

interface LockOwner {
  pid: number;
  host: string;
}

export type TargetState =
  | { kind: 'missing' }
  | { kind: 'empty' }
  | { kind: 'not-empty'; entries: string[] }
  | { kind: 'not-a-directory' }
  | { kind: 'dangling-link'; points: string }
  /** A lock file: a run is writing, or one was killed (`live` false) and left it. */
  | { kind: 'locked'; owner: LockOwner | undefined; live: boolean; entries: string[] };

/** A directory holding only `.git` counts as empty, as in create-vite. */
const IGNORED_ENTRIES = new Set(['.git']);

export async function inspectTarget(dir: string): Promise<TargetState> {
  let stats;
  try {
    stats = await lstat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw fsUserError(error, `cannot read ${quoteForMessage(dir)}`);
  }
  if (stats.isSymbolicLink()) {
    try {
      stats = await stat(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fsUserError(error, `cannot read ${quoteForMessage(dir)}`);
      return { kind: 'dangling-link', points: await readlink(dir).catch(() => '?') };
    }
  }
  if (!stats.isDirectory()) return { kind: 'not-a-directory' };
  let listed: string[];
  try {
    listed = await readdir(dir);
  } catch (error) {
    throw fsUserError(error, `cannot read ${quoteForMessage(dir)}`);
  }
  const entries = listed.filter((entry) => !IGNORED_ENTRIES.has(entry)).sort();
  if (entries.includes(LOCK_FILE)) {
    const owner = await readLockOwner(join(dir, LOCK_FILE));
    return { kind: 'locked', owner, live: owner === undefined || isLive(owner), entries };
  }
  return entries.length === 0 ? { kind: 'empty' } : { kind: 'not-empty', entries };
}

/** Why `dir` cannot take a new project, or undefined when it can. */
export function targetProblem(dir: string, state: TargetState): string | undefined {
  const shownDir = quoteForMessage(dir);
  switch (state.kind) {
    case 'missing':
    case 'empty':
      return undefined;
    case 'not-a-directory':
      return `${shownDir} exists and is not a directory`;
    case 'dangling-link':
      return `${shownDir} is a symbolic link to ${quoteForMessage(state.points)}, which does not exist; create that directory, or choose another`;
    case 'locked':
      // A dead run's leftovers are cleaned by the next write; only a live (or unreadable) lock stops it.
      if (!state.live) return undefined;
      return `another create-fast-lambda run${state.owner ? ` (pid ${state.owner.pid})` : ''} is writing into ${shownDir}; wait for it, or if none is running, remove the files listed in ${quoteForMessage(join(dir, LOCK_FILE))} and then the lock`;
    case 'not-empty': {
      const shown = state.entries.slice(0, 3).map(quoteForMessage).join(', ') + (state.entries.length > 3 ? ', …' : '');
      return `${shownDir} is not empty (${shown}); choose a new or empty directory`;
    }
  }
}

async function readLockOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const header = JSON.parse((await readFile(path, 'utf8')).split('\n')[0]!) as Partial<LockOwner>;
    return Number.isInteger(header.pid) && header.pid! > 0 && typeof header.host === 'string'
      ? { pid: header.pid!, host: header.host }
      : undefined;
  } catch {
    return undefined;
  }
}

/** A lock from another machine (a shared disk) or a running process counts as live. */
function isLive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The signals that stop a write; the run cleans up, then exits 128 + the signal's number. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export class WriteInterrupted extends Error {
  readonly signal: NodeJS.Signals;
  readonly exitCode: number;
  /** The target as the user named it. */
  readonly dir: string;

  constructor(signal: NodeJS.Signals, dir: string) {
    super(`interrupted by ${signal}`);
    this.name = 'WriteInterrupted';
    this.signal = signal;
    this.dir = dir;
    this.exitCode = 128 + (osConstants.signals[signal] ?? 0);
  }
}

/** Catches the stop signals while a write runs, so the write can undo itself instead of dying half-way. */
function trapStopSignals(dir: string) {
  let caught: NodeJS.Signals | undefined;
  let wake = () => {};
  const onSignal = (signal: NodeJS.Signals) => {
    caught ??= signal;
    wake();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return {
    check(): void {
      if (caught) throw new WriteInterrupted(caught, dir);
    },
    get caught() {
      return caught;
    },
    /** Waits `ms`, or less if a signal comes. */
    pause(ms: number): Promise<void> {
      return new Promise((done) => {
        const timer = setTimeout(done, ms);
        wake = () => {
          clearTimeout(timer);
          done();
        };
      });
    },
    release(): void {
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    },
  };
}

/** What one run created, in order, so that undoing it removes exactly that. */
class CreatedByThisRun {
  parents: string[] = [];
  target = false;
  lock: FileHandle | undefined;
  readonly dirs: string[] = [];
  readonly files: string[] = [];

  constructor(readonly root: string) {}

  async undo(): Promise<void> {
    for (const file of [...this.files].reverse()) await unlink(file).catch(() => {});
    for (const dir of [...this.dirs].reverse()) await rmdir(dir).catch(() => {});
    if (this.lock) {
      await this.lock.close().catch(() => {});
      await unlink(join(this.root, LOCK_FILE)).catch(() => {});
    }
    // rmdir, never rm -r: a directory someone else put something into stays, with their things.
    if (this.target) await rmdir(this.root).catch(() => {});
    for (const parent of this.parents) await rmdir(parent).catch(() => {});
  }
}

export interface WriteOutcome {
  /** Files removed that a killed run had left, with its pid; undefined when there were none. */
  leftovers: { files: number; pid: number } | undefined;
}

/**
 * Writes `files` into `dir`, which must be missing or empty. On an error or a stop signal it
 * removes what it created and throws (a UserError, or WriteInterrupted).
 */
export async function writeProject(dir: string, files: Map<string, string>): Promise<WriteOutcome> {
  const target = resolve(dir);
  const problem = targetProblem(dir, await inspectTarget(target));
  if (problem) throw new UserError(problem);

  const delayMs = Number(process.env[WRITE_DELAY_ENV] ?? 0) || 0;
  const created = new CreatedByThisRun(target);
  const signals = trapStopSignals(dir);
  let complete = false;
  try {
    created.parents = await createParents(target, dir);
    signals.check();
    created.target = await createTarget(target, dir);
    const leftovers = await claim(target, dir, created);
    for (const [path, contents] of files) {
      signals.check();
      await createFile(target, dir, path, contents, created);
      if (delayMs > 0) await signals.pause(delayMs);
    }
    signals.check();
    await created.lock!.close();
    created.lock = undefined;
    // Every file is written: from here on an error must not undo the project.
    complete = true;
    await unlink(join(target, LOCK_FILE)).catch((error: unknown) => {
      throw fsUserError(error, `created the project in ${quoteForMessage(dir)} but could not remove ${LOCK_FILE}; remove it`);
    });
    return { leftovers };
  } catch (error) {
    if (!complete) await created.undo();
    if (signals.caught) throw new WriteInterrupted(signals.caught, dir);
    throw error instanceof UserError || error instanceof WriteInterrupted
      ? error
      : fsUserError(error, `cannot write into ${quoteForMessage(dir)}`);
  } finally {
    signals.release();
  }
}

/** Creates the missing ancestors of `target`, returning those this run created, deepest first. */
async function createParents(target: string, dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let parent = dirname(target); dirname(parent) !== parent; parent = dirname(parent)) {
    if (
      await lstat(parent).then(
        () => true,
        () => false,
      )
    )
      break;
    missing.push(parent);
  }
  const created: string[] = [];
  try {
    for (const parent of [...missing].reverse()) {
      if (await mkdirIfMissing(parent)) created.unshift(parent);
    }
  } catch (error) {
    for (const parent of created) await rmdir(parent).catch(() => {});
    throw fsUserError(error, `cannot create ${quoteForMessage(dir)}`);
  }
  return created;
}

/** mkdir that reports whether this call made the directory; another run's mkdir (EEXIST) is fine here. */
async function mkdirIfMissing(path: string): Promise<boolean> {
  try {
    await mkdir(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function createTarget(target: string, dir: string): Promise<boolean> {
  try {
    return await mkdirIfMissing(target);
  } catch (error) {
    throw fsUserError(error, `cannot create ${quoteForMessage(dir)}`);
  }
}

/**
 * Takes the directory for this run: the lock is created with O_EXCL, which only one run can do.
 * A dead run's lock is replaced once, after its listed files are removed.
 */
async function claim(target: string, dir: string, created: CreatedByThisRun): Promise<WriteOutcome['leftovers']> {
  const lockPath = join(target, LOCK_FILE);
  let leftovers: WriteOutcome['leftovers'];
  for (let attempt = 0; ; attempt++) {
    try {
      created.lock = await open(lockPath, 'wx');
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsUserError(error, `cannot write into ${quoteForMessage(dir)}`);
      const state = await inspectTarget(target);
      if (attempt > 0 || state.kind !== 'locked' || state.live || !state.owner) {
        throw new UserError(
          targetProblem(dir, state.kind === 'locked' ? { ...state, live: true } : state) ?? `${quoteForMessage(dir)} changed while writing`,
        );
      }
      leftovers = { files: await removeLeftovers(target, state.owner), pid: state.owner.pid };
    }
  }
  await created.lock.write(`${JSON.stringify({ pid: process.pid, host: hostname() })}\n`);
  // Another run may have finished between our first look and the lock: check again, holding it.
  const entries = (await readdir(target)).filter((entry) => entry !== LOCK_FILE && !IGNORED_ENTRIES.has(entry)).sort();
  if (entries.length > 0) throw new UserError(targetProblem(dir, { kind: 'not-empty', entries })!);
  return leftovers;
}

/**
 * Removes what a killed run listed in its lock: files it created (regular files only, unchanged
 * since), then its directories if empty, then the lock itself, if it is still that run's.
 */
async function removeLeftovers(target: string, owner: LockOwner): Promise<number> {
  const lockPath = join(target, LOCK_FILE);
  const lines = (await readFile(lockPath, 'utf8')).split('\n').slice(1).filter(Boolean);
  const journaledUntil = (await lstat(lockPath)).mtimeMs;
  let removed = 0;
  const realTarget = await realpath(target);
  // Inside the target, and through no symbolic link: a journal may be garbled, never a way out.
  const inside = async (rel: string) => {
    const path = normalize(join(target, rel.replace(/\/$/, '')));
    if (isAbsolute(rel) || !path.startsWith(target + sep)) return undefined;
    const parent = await realpath(dirname(path)).catch(() => undefined);
    return parent === realTarget || parent?.startsWith(realTarget + sep) ? join(parent!, basename(path)) : undefined;
  };
  for (const rel of lines.filter((line) => !line.endsWith('/'))) {
    const path = await inside(rel);
    const stats = path ? await lstat(path).catch(() => undefined) : undefined;
    if (path && stats?.isFile() && stats.mtimeMs <= journaledUntil) {
      await unlink(path);
      removed++;
    }
  }
  for (const rel of lines.filter((line) => line.endsWith('/')).reverse()) {
    const path = await inside(rel);
    if (path) await rmdir(path).catch(() => {});
  }
  const still = await readLockOwner(lockPath);
  if (still?.pid === owner.pid && still.host === owner.host) await unlink(lockPath);
  return removed;
}

/** Creates one file (and its directories) exclusively, journaling each in the lock once it exists. */
async function createFile(target: string, dir: string, path: string, contents: string, created: CreatedByThisRun): Promise<void> {
  const parts = path.split('/');
  for (let depth = 1; depth < parts.length; depth++) {
    const rel = parts.slice(0, depth).join('/');
    const abs = join(target, rel);
    if (created.dirs.includes(abs)) continue;
    await exclusively(() => mkdir(abs), dir, rel);
    created.dirs.push(abs);
    await created.lock!.write(`${rel}/\n`);
  }
  const abs = join(target, path);
  const handle = await exclusively(() => open(abs, 'wx'), dir, path);
  created.files.push(abs);
  try {
    await handle.writeFile(contents);
  } finally {
    await handle.close();
  }
  // Journaled once written, so the lock is never older than a listed file this run wrote; a
  // listed file that changed after it (someone went on working) is not a leftover.
  await created.lock!.write(`${path}\n`);
}

async function exclusively<T>(create: () => Promise<T>, dir: string, rel: string): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UserError(
        `${quoteForMessage(join(dir, rel))} appeared while writing; it was left alone, and this run removed what it had written`,
      );
    }
    throw error;
  }
}

/** Words for the errno codes a user can act on; the rest keep Node's own words. */
const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'a name is too long for the file system',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
};

/** A file-system error as one line a user can act on: what failed, why, and the code. */
export function fsUserError(error: unknown, what: string): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  if (!code) return new UserError(`${what}: ${quoteForMessage((error as Error).message ?? String(error))}`);
  const words = ERRNO_WORDS[code] ?? quoteForMessage(((error as Error).message.split(',')[0] ?? code).replace(`${code}: `, ''));
  return new UserError(`${what}: ${words} (${code})`);
}
