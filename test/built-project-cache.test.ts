/**
 * The shared cache of built test projects (test/support/built-project.ts), driven from real
 * processes: two test workers asking for the same project at once take turns and get one
 * project, a lock whose owner was killed is taken over, and pruning removes only what no test
 * has used in days, never a project in use, with two runs pruning at once.
 *
 * The processes run the support modules bundled by esbuild. `cargo` is a shim that logs when
 * each build starts and ends: the real one serialises builds on its own target-directory lock,
 * so it cannot show whether the cache's lock does.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { execa, type ResultPromise } from 'execa';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneProjects, UNUSED_DAYS } from './support/built-project.js';
import { ROOT, tempDir } from './support/cli.js';
import { lockDir, lockPathOf } from './support/dir-lock.js';
import { shimDir } from './support/tools.js';

const DAY = 24 * 60 * 60_000;
let root: string;
let worker: string;

/** What each child process does, by its first argument. */
const WORKER_SOURCE = `
import { builtProject, pruneProjects } from ${JSON.stringify(join(ROOT, 'test/support/built-project.ts'))};
import { lockDir } from ${JSON.stringify(join(ROOT, 'test/support/dir-lock.ts'))};
const [mode, ...args] = process.argv.slice(2);
if (mode === 'built') console.log(await builtProject(args[0], ['--trigger', 'sqs', '--sink', 'dynamodb'], args[1], args[2]));
if (mode === 'prune') console.log(JSON.stringify(await pruneProjects(args[0], Number(args[1]))));
if (mode === 'hold') {
  if (!(await lockDir(args[0], 0))) throw new Error('the lock was taken');
  console.log('locked');
  setInterval(() => {}, 60_000);
}
`;

beforeAll(async () => {
  root = await tempDir('cfl-project-cache-');
  worker = join(root, 'worker.mjs');
  await build({
    stdin: { contents: WORKER_SOURCE, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: worker,
    logLevel: 'silent',
    // The support modules find the repository from where they are, not where the bundle is.
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(ROOT, 'test/support/cli.ts')).href) },
    // execa's dependencies are CommonJS and require Node's modules.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

function runWorker(args: string[], env: NodeJS.ProcessEnv = {}): ResultPromise<{ reject: false; all: true }> {
  return execa(process.execPath, [worker, ...args], { reject: false, all: true, stdin: 'ignore', env }) as ResultPromise<{
    reject: false;
    all: true;
  }>;
}

/** Waits until `child` prints `line`, for at most 10 s. */
async function printed(child: ResultPromise, line: string): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${line}" within 10 s: ${seen}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** A project directory in `cache` last used `daysAgo` days ago. */
async function projectUsed(cache: string, name: string, daysAgo: number): Promise<string> {
  const dir = join(cache, name);
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'Cargo.toml'), '[package]\n');
  const when = new Date(Date.now() - daysAgo * DAY);
  await writeFile(join(dir, '.last-used'), `${when.toISOString()}\n`);
  await utimes(join(dir, '.last-used'), when, when);
  return dir;
}

describe('two test workers asking for the same project at once', () => {
  it('take turns: one generation, builds one after the other, the same directory for both, nothing staged left', async () => {
    const cache = join(root, 'turns');
    const log = join(root, 'cargo.log');
    const cargo = `#!/bin/sh\necho "start $$" >> '${log}'\nsleep 0.6\necho "end $$" >> '${log}'\n`;
    const bin = shimDir(join(root, 'fake-cargo'), { cargo });
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const [first, second] = await Promise.all([
      runWorker(['built', 'twice', bin, cache], env),
      runWorker(['built', 'twice', bin, cache], env),
    ]);
    expect(first.exitCode, first.all).toBe(0);
    expect(second.exitCode, second.all).toBe(0);
    expect(first.stdout).toBe(second.stdout);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    // Each build ends before the next starts.
    expect(lines.map((line) => line.split(' ')[0])).toEqual(['start', 'end', 'start', 'end']);
    expect(lines[0]!.split(' ')[1]).toBe(lines[1]!.split(' ')[1]);
    const dir = first.stdout.trim();
    await expect(readFile(join(dir, 'Cargo.toml'), 'utf8')).resolves.toMatch(/^name = "twice-[0-9a-f]{10}"$/m);
    expect(existsSync(join(dir, '.last-used'))).toBe(true);
    expect(readdirSync(cache).sort()).toEqual([dir.slice(cache.length + 1)]);
  });

  it('a lock whose holder was killed is taken over; one whose holder lives is not', async () => {
    const dir = join(root, 'held');
    const holder = runWorker(['hold', dir]);
    await printed(holder, 'locked');
    expect(await lockDir(dir, 0)).toBeUndefined();
    const waited = Date.now();
    expect(await lockDir(dir, 300)).toBeUndefined();
    expect(Date.now() - waited).toBeGreaterThanOrEqual(300);
    holder.kill('SIGKILL');
    await holder;
    const started = Date.now();
    const release = await lockDir(dir, 5000);
    expect(release).toBeDefined();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await readFile(join(lockPathOf(dir), 'pid'), 'utf8')).toBe(String(process.pid));
    await release!();
    expect(existsSync(lockPathOf(dir))).toBe(false);
  });
});

describe('pruning the cache at the start of a run', () => {
  it(`removes what was last used over ${UNUSED_DAYS} days ago and a dead run's staging, keeps the rest and what is in use`, async () => {
    const cache = join(root, 'prune');
    await projectUsed(cache, 'fresh-0123456789', 1);
    await projectUsed(cache, 'old-0123456789', UNUSED_DAYS + 1);
    const inUse = await projectUsed(cache, 'in-use-0123456789', UNUSED_DAYS + 30);
    const staging = join(cache, '.staged-abc123');
    await mkdir(staging);
    const old = new Date(Date.now() - (UNUSED_DAYS + 2) * DAY);
    await utimes(staging, old, old);
    const holder = runWorker(['hold', inUse]);
    try {
      await printed(holder, 'locked');
      expect((await pruneProjects(cache)).sort()).toEqual(['.staged-abc123', 'old-0123456789']);
      expect(readdirSync(cache).sort()).toEqual(['fresh-0123456789', 'in-use-0123456789', 'in-use-0123456789.lock']);
    } finally {
      holder.kill('SIGKILL');
      await holder;
    }
    // Its user gone, the old project goes too (its dead lock with it, when the next user takes it).
    expect(await pruneProjects(cache)).toEqual(['in-use-0123456789']);
  });

  it('two runs pruning at once remove each old project once, and neither fails', async () => {
    const cache = join(root, 'two-runs');
    const names = Array.from({ length: 12 }, (_, i) => `p${i}-0123456789`);
    for (const [i, name] of names.entries()) await projectUsed(cache, name, i % 2 ? UNUSED_DAYS + 1 : 0);
    const runs = await Promise.all([runWorker(['prune', cache, String(UNUSED_DAYS)]), runWorker(['prune', cache, String(UNUSED_DAYS)])]);
    for (const run of runs) expect(run.exitCode, run.all).toBe(0);
    const removed = runs.flatMap((run) => JSON.parse(run.stdout) as string[]).sort();
    expect(removed).toEqual(names.filter((_, i) => i % 2).sort());
    expect(readdirSync(cache).sort()).toEqual(names.filter((_, i) => i % 2 === 0).sort());
  });

  it('keeps exactly the projects used within the window, whatever their ages', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.double({ min: 0, max: 60, noNaN: true }), { maxLength: 6 }), async (ages) => {
        const cache = join(root, `ages-${round++}`);
        // Ages within a minute of the cutoff would race the clock between writing and pruning.
        const clear = ages.map((age) => (Math.abs(age - UNUSED_DAYS) < 0.01 ? age + 0.1 : age));
        const names = clear.map((_, i) => `a${i}-0123456789`);
        await mkdir(cache);
        for (const [i, age] of clear.entries()) await projectUsed(cache, names[i]!, age);
        const removed = await pruneProjects(cache);
        expect(removed.sort()).toEqual(names.filter((_, i) => clear[i]! > UNUSED_DAYS).sort());
        expect(readdirSync(cache).sort()).toEqual(names.filter((_, i) => clear[i]! <= UNUSED_DAYS).sort());
      }),
      { numRuns: 25 },
    );
  });
});
