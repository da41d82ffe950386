/**
 * The lock journal a killed run leaves is read by the next run, which removes the files listed
 * there. Whatever the journal says (paths leaving the target, absolute paths, symbolic links,
 * junk), that reader removes nothing outside the target and follows no link.
 */
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { lstat, mkdir, readFile, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { LOCK_FILE, writeProject } from '../src/scaffold/write.js';
import { tempDir } from './support/cli.js';

/** The pid of a process that has exited: a lock naming it is a dead run's. */
function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
}

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

describe("reading a dead run's lock journal", () => {
  it('removes only regular files inside the target that the journal lists, whatever else it says', async () => {
    const pid = deadPid();
    const line = fc.oneof(
      fc.constantFrom(
        'Cargo.toml',
        'src/',
        'src/main.rs',
        'link',
        'link/',
        'linked-dir/outside.txt',
        '../outside.txt',
        'src/../../outside.txt',
        '.',
        './',
        '..',
        '../',
      ),
      fc.constantFrom('/etc/hostname', '', ' ', '\u0000', 'a\\..\\..\\outside.txt'),
      fc.string({ maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), async (journal) => {
        const root = await tempDir('cfl-lock-');
        const target = join(root, 'target');
        await mkdir(join(target, 'src'), { recursive: true });
        await writeFile(join(root, 'outside.txt'), 'mine\n');
        await writeFile(join(target, 'Cargo.toml'), 'left by the killed run\n');
        await writeFile(join(target, 'src/main.rs'), 'left by the killed run\n');
        await symlink(join(root, 'outside.txt'), join(target, 'link'));
        await symlink(root, join(target, 'linked-dir'));
        await writeFile(join(target, LOCK_FILE), [JSON.stringify({ pid, host: hostname() }), ...journal, ''].join('\n'));

        let refused: UserError | undefined;
        try {
          await writeProject(target, new Map([['fresh.txt', 'new\n']]));
        } catch (error) {
          if (!(error instanceof UserError)) throw error;
          refused = error;
        }
        expect(await readFile(join(root, 'outside.txt'), 'utf8')).toBe('mine\n');
        expect(await readdir(root)).toEqual(['outside.txt', 'target']);
        // A link is never a leftover: it stays, and so the directory is not empty.
        expect((await lstat(join(target, 'link'))).isSymbolicLink()).toBe(true);
        expect((await lstat(join(target, 'linked-dir'))).isSymbolicLink()).toBe(true);
        expect(refused?.message).toMatch(/is not empty \(.*link/);
        expect(await exists(join(target, 'Cargo.toml'))).toBe(!journal.includes('Cargo.toml'));
        expect(await exists(join(target, 'src/main.rs'))).toBe(!journal.includes('src/main.rs'));
        expect(await exists(join(target, 'fresh.txt'))).toBe(false);
        expect(await exists(join(target, LOCK_FILE))).toBe(false);
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('never takes over a lock whose first line is not a dead local run: garbled, pid 0 or -1, another host', async () => {
    const header = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(-1, 0, 1.5, '1').map((pid) => JSON.stringify({ pid, host: hostname() })),
      fc.constant(JSON.stringify({ pid: deadPid(), host: `not-${hostname()}` })),
    );
    await fc.assert(
      fc.asyncProperty(header, async (first) => {
        const root = await tempDir('cfl-lock-');
        await writeFile(join(root, 'Cargo.toml'), 'left\n');
        await writeFile(join(root, LOCK_FILE), `${first}\nCargo.toml\n`);
        await expect(writeProject(root, new Map([['a.txt', 'x']]))).rejects.toThrow(
          /another create-fast-lambda run( \(pid \d+\))? is writing into/,
        );
        expect((await readdir(root)).sort()).toEqual([LOCK_FILE, 'Cargo.toml']);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps a listed file changed after the run was killed (someone went on working), and refuses the directory', async () => {
    const root = await tempDir('cfl-lock-');
    await writeFile(join(root, 'Cargo.toml'), 'left\n');
    await writeFile(join(root, 'README.md'), 'left\n');
    await writeFile(
      join(root, LOCK_FILE),
      [JSON.stringify({ pid: deadPid(), host: hostname() }), 'Cargo.toml', 'README.md', ''].join('\n'),
    );
    const later = new Date(Date.now() + 60_000);
    await utimes(join(root, 'README.md'), later, later);
    await expect(writeProject(root, new Map([['a.txt', 'x']]))).rejects.toThrow(/is not empty \(README\.md\)/);
    expect(await readdir(root)).toEqual(['README.md']);
  });

  it('takes the directory over once the leftovers are gone', async () => {
    const root = await tempDir('cfl-lock-');
    await mkdir(join(root, 'src'));
    await writeFile(join(root, 'src/main.rs'), 'left\n');
    await writeFile(join(root, LOCK_FILE), [JSON.stringify({ pid: deadPid(), host: hostname() }), 'src/', 'src/main.rs', ''].join('\n'));
    const outcome = await writeProject(root, new Map([['src/main.rs', 'fresh\n']]));
    expect(outcome.leftovers).toMatchObject({ files: 1 });
    expect(await readFile(join(root, 'src/main.rs'), 'utf8')).toBe('fresh\n');
    expect(await readdir(root)).toEqual(['src']);
  });
});
