/**
 * A lock between processes on one machine, for the shared test caches (.cache/test-projects):
 * the lock is a directory beside the thing it guards (mkdir is atomic), holding its owner's pid.
 * A lock whose owner has exited is taken over, so a test run killed mid-build blocks nobody.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const lockPathOf = (dir: string) => `${dir}.lock`;

/** Between an owner's mkdir and its pid file: longer than that, and a lock without a pid is a dead owner's. */
const UNCLAIMED_MS = 60_000;
const POLL_MS = 100;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerIsGone(lock: string): Promise<boolean> {
  const pid = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
  if (pid > 0) return !isAlive(pid);
  const made = (await stat(lock).catch(() => undefined))?.mtimeMs;
  return made !== undefined && Date.now() - made > UNCLAIMED_MS;
}

/**
 * Takes the lock of `dir`, waiting up to `waitMs` for its holder, and returns its release; or
 * undefined if `waitMs` passed first (0: take it only if it is free). A dead owner's lock is
 * renamed aside before it is removed, so two waiters that both find it dead cannot remove the
 * new lock one of them has just made.
 */
export async function lockDir(dir: string, waitMs: number): Promise<(() => Promise<void>) | undefined> {
  const lock = lockPathOf(dir);
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await ownerIsGone(lock)) {
      const aside = `${lock}.dead-${process.pid}-${attempt}`;
      const moved = await rename(lock, aside).then(
        () => true,
        () => false,
      );
      if (moved) await rm(aside, { recursive: true, force: true });
      continue;
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
