/**
 * The scaffolder's promise about the target directory, driven for real: concurrent runs of the
 * built bin, a user writing into the target mid-run, and timed signals. Only one run may win,
 * whole; nothing of anyone's is replaced; an interrupted run leaves nothing.
 */
import { hostname } from 'node:os';
import { access, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CREATE_BIN, listTree, runBin, tempDir, userEnv } from './support/cli.js';

const LOCK = '.create-fast-lambda.lock';
/** Test-only: create-fast-lambda waits this long between files, so a test can act mid-write. */
const SLOW = { CREATE_FAST_LAMBDA_TEST_WRITE_DELAY_MS: '150' };

function startBin(args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}) {
  return execa('node', [CREATE_BIN, ...args], { cwd, env: userEnv(extra), reject: false, stdin: 'ignore', extendEnv: false });
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Waits (at most ~10 s) until `path` exists. */
async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await exists(path)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${path} never appeared`);
}

/** Waits (at most ~10 s) until the lock journal lists `line`. */
async function waitForJournalLine(lock: string, line: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await readFile(lock, 'utf8').catch(() => '')).split('\n').includes(line)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${lock} never listed ${line}`);
}

/** The files a clean run writes for these flags, from a run into a fresh directory. */
async function cleanTree(args: string[]): Promise<string[]> {
  const cwd = await tempDir();
  const result = await runBin(CREATE_BIN, ['p', ...args], cwd);
  expect(result.exitCode).toBe(0);
  return listTree(join(cwd, 'p'));
}

describe('two runs into the same directory', () => {
  it('lets exactly one win, whole, and the other leaves nothing (runs started at once)', async () => {
    const expected = await cleanTree(['--yes']);
    for (let trial = 0; trial < 20; trial++) {
      const cwd = await tempDir();
      // Half the trials race on an existing empty directory, half on a missing one.
      if (trial % 2 === 0) await mkdir(join(cwd, 'dir'));
      const [a, b] = await Promise.all([
        startBin(['dir', '--name', 'aaa', '--yes'], cwd),
        startBin(['dir', '--name', 'bbb', '--yes'], cwd),
      ]);
      const codes = [a.exitCode, b.exitCode].sort();
      expect(codes, `trial ${trial}: ${a.stderr} ${b.stderr}`).toEqual([0, 1]);
      const [winner, loser] = a.exitCode === 0 ? [a, b] : [b, a];
      expect(winner.stdout).toMatch(/^Created (aaa|bbb) in \.\/dir/);
      expect(loser.stdout).toBe('');
      expect(loser.stderr.trim().split('\n')).toHaveLength(1);
      expect(loser.stderr).not.toMatch(/unexpected error|\n\s+at /);
      expect(await listTree(join(cwd, 'dir'))).toEqual(expected);
      const name = winner.stdout.slice('Created '.length, 'Created '.length + 3);
      expect(await readFile(join(cwd, 'dir/Cargo.toml'), 'utf8')).toContain(`name = "${name}"`);
      expect(await readdir(cwd)).toEqual(['dir']);
    }
  }, 120_000);

  it('refuses while another run holds the directory, naming it, and touches nothing', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'dir'));
    const slow = startBin(['dir', '--name', 'aaa', '--yes'], cwd, SLOW);
    await waitFor(join(cwd, 'dir', LOCK));
    const second = await runBin(CREATE_BIN, ['dir', '--name', 'bbb', '--yes'], cwd);
    expect(second.exitCode).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(/another create-fast-lambda run \(pid \d+\) is writing into dir/);
    const first = await slow;
    expect(first.exitCode).toBe(0);
    expect(await readFile(join(cwd, 'dir/Cargo.toml'), 'utf8')).toContain('name = "aaa"');
    expect(await exists(join(cwd, 'dir', LOCK))).toBe(false);
  }, 60_000);
});

describe('a file the user creates in the target during the write', () => {
  it('is never overwritten: the run stops, removes only its own files and says which file appeared', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'dir'));
    const run = startBin(['dir', '--yes'], cwd, SLOW);
    await waitFor(join(cwd, 'dir/Cargo.toml'));
    // template.yaml comes late in the (sorted) write order.
    await writeFile(join(cwd, 'dir/template.yaml'), 'mine\n', { flag: 'wx' });
    const result = await run;
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/dir\/template\.yaml appeared while writing/);
    expect(await listTree(join(cwd, 'dir'))).toEqual(['template.yaml']);
    expect(await readFile(join(cwd, 'dir/template.yaml'), 'utf8')).toBe('mine\n');
  }, 60_000);
});

describe('a signal mid-write', () => {
  const signals: [NodeJS.Signals, number][] = [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ];

  it.each(signals)(
    '%s into a missing directory leaves nothing at all, and exits %i',
    async (signal, code) => {
      const cwd = await tempDir();
      const run = startBin(['deep/dir', '--yes'], cwd, SLOW);
      await waitFor(join(cwd, 'deep/dir/Cargo.toml'));
      run.kill(signal);
      const result = await run;
      expect(result.exitCode).toBe(code);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(new RegExp(`interrupted by ${signal}; removed everything this run had written in deep/dir`));
      expect(await readdir(cwd)).toEqual([]);
    },
    30_000,
  );

  it.each(signals)(
    '%s into an existing empty directory leaves it as it was (.git kept)',
    async (signal, code) => {
      const cwd = await tempDir();
      await mkdir(join(cwd, 'repo/.git'), { recursive: true });
      await writeFile(join(cwd, 'repo/.git/HEAD'), 'ref: refs/heads/main\n');
      const run = startBin(['repo', '--yes'], cwd, SLOW);
      await waitFor(join(cwd, 'repo/Cargo.toml'));
      run.kill(signal);
      const result = await run;
      expect(result.exitCode).toBe(code);
      expect(await listTree(cwd)).toEqual(['repo/.git/HEAD']);
      expect(await readdir(join(cwd, 'repo'))).toEqual(['.git']);
    },
    30_000,
  );

  it('SIGKILL leaves the lock file listing what was written, and the next run cleans that up and succeeds', async () => {
    const expected = await cleanTree(['--yes']);
    const cwd = await tempDir();
    await mkdir(join(cwd, 'dir'));
    const run = startBin(['dir', '--yes'], cwd, SLOW);
    // Killed in the pause after Cargo.toml: written and journaled. (Killed between creating a
    // file and journaling it, that one file is not a known leftover, and the next run says the
    // directory is not empty.)
    await waitForJournalLine(join(cwd, 'dir', LOCK), 'Cargo.toml');
    run.kill('SIGKILL');
    await run;
    const lock = await readFile(join(cwd, 'dir', LOCK), 'utf8');
    expect(lock.split('\n')).toContain('Cargo.toml');

    const next = await runBin(CREATE_BIN, ['dir', '--yes'], cwd);
    expect(next.stderr).toBe('');
    expect(next.exitCode).toBe(0);
    expect(next.stdout).toMatch(/^Removed \d+ files? left by an interrupted run \(pid \d+\)\.\n/);
    expect(await listTree(join(cwd, 'dir'))).toEqual(expected);
  }, 60_000);

  it('a lock of a live run is left alone, with a one-line way out', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'dir'));
    await writeFile(join(cwd, 'dir', LOCK), `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`);
    const result = await runBin(CREATE_BIN, ['dir', '--yes'], cwd);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe(
      `create-fast-lambda: another create-fast-lambda run (pid ${process.pid}) is writing into dir; wait for it, or if none is running, remove the files listed in dir/${LOCK} and then the lock`,
    );
    expect(await readdir(join(cwd, 'dir'))).toEqual([LOCK]);
  });
});
