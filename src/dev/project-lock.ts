/**
 * One `lambda-kit dev` per project: two would rebuild on every save, each into the same
 * target/lambda/<crate>/bootstrap, and one could copy the binary while the other's cargo lambda
 * rewrites it. The second refuses, naming the first and its URL. The lock lives in the temp
 * directory (nothing is written into the project), keyed by the project's real path; it is
 * created exclusively, and a lock whose process is gone (killed with SIGKILL) is taken over.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, readFile, realpath, rename, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';

export interface ProjectLock {
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  url: string;
}

function parseHolder(text: string): Holder | undefined {
  const [pid, url] = text.split('\n');
  return /^\d+$/.test(pid ?? '') && url ? { pid: Number(pid), url } : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function devLockPath(projectDir: string, dir: string = tmpdir()): Promise<string> {
  const real = await realpath(projectDir).catch(() => projectDir);
  return join(dir, `lambda-kit-dev-${createHash('sha256').update(real).digest('hex').slice(0, 16)}.lock`);
}

/** Takes the project's dev lock for this process, serving at `url`; a UserError if another dev holds it. */
export async function lockProjectForDev(projectDir: string, url: string, dir: string = tmpdir()): Promise<ProjectLock> {
  const path = await devLockPath(projectDir, dir);
  const body = `${process.pid}\n${url}\n${projectDir}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const temp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}`;
    await writeFile(temp, body);
    try {
      await link(temp, path);
      return { release: () => releaseLock(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    const holder = parseHolder(await readFile(path, 'utf8').catch(() => ''));
    if (holder && holder.pid !== process.pid && isRunning(holder.pid)) {
      throw new UserError(`lambda-kit dev already runs in this project (pid ${holder.pid}, ${holder.url})`, {
        hint: 'Send your requests to it, or stop it (Ctrl-C) and start dev again.',
      });
    }
    await removeStale(path);
  }
  throw new UserError(`could not take the lock ${path} for lambda-kit dev`, {
    hint: 'Delete it if no lambda-kit dev runs in this project.',
  });
}

/** Moves a dead holder's lock aside and deletes it, unless a live dev took the lock meanwhile. */
async function removeStale(path: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  const holder = parseHolder(await readFile(aside, 'utf8').catch(() => ''));
  if (holder && isRunning(holder.pid)) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function releaseLock(path: string): Promise<void> {
  const holder = parseHolder(await readFile(path, 'utf8').catch(() => ''));
  if (holder?.pid === process.pid) await unlink(path).catch(() => undefined);
}
