/**
 * Valid targets the scaffolder must take, and odd ones it must refuse with one clear line:
 * a mount point (tmpfs, as a devcontainer's bind mount), a read-only parent, a 250-character
 * name, a dangling symbolic link.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CREATE_BIN, listTree, runBin, tempDir, userEnv } from './support/cli.js';

/** Whether this machine lets us mount in a private mount namespace (root, unshare, tmpfs). */
function canMount(): boolean {
  const probe = spawnSync('unshare', [
    '-m',
    'sh',
    '-c',
    'd=$(mktemp -d) && mount -t tmpfs none "$d" && umount "$d"; s=$?; rmdir "$d"; exit $s',
  ]);
  return probe.status === 0;
}
const mountable = canMount();
// In CI we expect a root container that may mount; skip only on a developer's machine that cannot.
const itMounts = mountable || process.env.CI === 'true' ? it : it.skip;

/** Runs a shell script in a private mount namespace, so its mounts vanish with it. */
function inMountNamespace(script: string, cwd: string) {
  return execa('unshare', ['-m', 'sh', '-c', script], { cwd, env: userEnv(), reject: false, stdin: 'ignore', extendEnv: false });
}

describe('targets of their own', () => {
  itMounts('writes into an empty tmpfs mount point with "." (no EXDEV: nothing is staged outside it)', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'app'));
    const result = await inMountNamespace(
      `mount -t tmpfs none app && cd app && node ${JSON.stringify(CREATE_BIN)} . --name app --yes; s=$?; ls -A; cd .. && umount app; exit $s`,
      cwd,
    );
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Created app in .:');
    // What was on the mount (listed before unmounting): the project, and no lock or staging left.
    expect(result.stdout).toMatch(/\nCargo\.toml\n/);
    expect(result.stdout).not.toMatch(/\.lock|\.tmp/);
    expect(await readdir(cwd)).toEqual(['app']);
  });

  itMounts('on a full disk (ENOSPC) mid-write, says so in one line and leaves the mount empty', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'app'));
    // 24 KB: room for the first few files, not for the project.
    const result = await inMountNamespace(
      `mount -t tmpfs -o size=24k none app && cd app && node ${JSON.stringify(CREATE_BIN)} . --name app --yes; s=$?; echo "left:$(ls -A)"; cd .. && umount app; exit $s`,
      cwd,
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe('create-fast-lambda: cannot write into .: no space left on the device (ENOSPC)');
    expect(result.stdout.trim()).toBe('left:');
  });

  itMounts('writes into an empty mount point under a read-only parent', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'ro/app'), { recursive: true });
    const result = await inMountNamespace(
      [
        'mount --bind ro ro && mount -o remount,bind,ro ro',
        'mount -t tmpfs none ro/app',
        `cd ro/app && node ${JSON.stringify(CREATE_BIN)} . --name app --yes; s=$?`,
        'ls -A; cd ../.. && umount ro/app && umount ro; exit $s',
      ].join(' && '),
      cwd,
    );
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toContain('template.yaml');
    expect(await readdir(join(cwd, 'ro'))).toEqual(['app']);
  });

  itMounts('refuses a missing directory under a read-only parent with one line, exit 1', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'ro'));
    const result = await inMountNamespace(
      `mount --bind ro ro && mount -o remount,bind,ro ro && node ${JSON.stringify(CREATE_BIN)} ro/app --yes; s=$?; umount ro; exit $s`,
      cwd,
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe('create-fast-lambda: cannot create ro/app: read-only file system (EROFS)');
    expect(await readdir(join(cwd, 'ro'))).toEqual([]);
  });
});

/** Whether we can run a command as nobody (root with setpriv), to meet permissions root ignores. */
function canDropPrivileges(): boolean {
  return spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']).status === 0;
}
const itAsNobody = canDropPrivileges() || process.env.CI === 'true' ? it : it.skip;

describe('a parent the user may not write to (EACCES)', () => {
  const asNobody = (args: string[], cwd: string) =>
    execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', CREATE_BIN, ...args], {
      cwd,
      env: userEnv(),
      reject: false,
      stdin: 'ignore',
      extendEnv: false,
    });

  itAsNobody('writes into an empty directory of its own under it', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'locked/app'), { recursive: true });
    await chmod(join(cwd, 'locked/app'), 0o777);
    await chmod(join(cwd, 'locked'), 0o555);
    await chmod(cwd, 0o755);
    const result = await asNobody(['.', '--name', 'app', '--yes'], join(cwd, 'locked/app'));
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(await listTree(join(cwd, 'locked/app'))).toContain('Cargo.toml');
    expect(await readdir(join(cwd, 'locked'))).toEqual(['app']);
  });

  itAsNobody('refuses a missing directory under it with one line, exit 1', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'locked'));
    await chmod(join(cwd, 'locked'), 0o555);
    await chmod(cwd, 0o755);
    const result = await asNobody(['locked/app', '--yes'], cwd);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe('create-fast-lambda: cannot create locked/app: permission denied (EACCES)');
    expect(await readdir(join(cwd, 'locked'))).toEqual([]);
  });
});

describe('long and odd names', () => {
  it('takes a 250-character directory name, missing or existing', async () => {
    const cwd = await tempDir();
    const long = 'd'.repeat(250);
    const created = await runBin(CREATE_BIN, [long, '--name', 'long-dir', '--yes'], cwd);
    expect(created.stderr).toBe('');
    expect(created.exitCode).toBe(0);
    expect(await listTree(join(cwd, long))).toContain('Cargo.toml');

    const other = 'e'.repeat(250);
    await mkdir(join(cwd, other));
    const existing = await runBin(CREATE_BIN, [other, '--name', 'long-dir', '--yes'], cwd);
    expect(existing.exitCode).toBe(0);
    expect(await readdir(cwd)).toEqual([long, other]);
  });

  it('refuses a dangling symbolic link as the target with one line, and leaves the link', async () => {
    const cwd = await tempDir();
    await symlink(join(cwd, 'nowhere'), join(cwd, 'link'));
    const result = await runBin(CREATE_BIN, ['link', '--name', 'x', '--yes'], cwd);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe(
      `create-fast-lambda: link is a symbolic link to ${join(cwd, 'nowhere')}, which does not exist; create that directory, or choose another`,
    );
    expect(await readdir(cwd)).toEqual(['link']);
    expect(await readlink(join(cwd, 'link'))).toBe(join(cwd, 'nowhere'));
  });

  it('refuses a symbolic link loop and a path through a file, each with one line', async () => {
    const cwd = await tempDir();
    await symlink('loop', join(cwd, 'loop'));
    await writeFile(join(cwd, 'file'), 'mine\n');
    const loop = await runBin(CREATE_BIN, ['loop', '--name', 'x', '--yes'], cwd);
    expect(loop.exitCode).toBe(1);
    expect(loop.stderr.trim()).toBe('create-fast-lambda: cannot read loop: too many symbolic links (ELOOP)');
    const through = await runBin(CREATE_BIN, ['file/sub', '--name', 'x', '--yes'], cwd);
    expect(through.exitCode).toBe(1);
    expect(through.stderr.trim()).toBe('create-fast-lambda: cannot read file/sub: a part of the path is not a directory (ENOTDIR)');
    expect((await readdir(cwd)).sort()).toEqual(['file', 'loop']);
  });

  it('writes through a symbolic link to an empty directory', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'real'));
    await symlink(join(cwd, 'real'), join(cwd, 'link'));
    const result = await runBin(CREATE_BIN, ['link', '--name', 'x', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(await listTree(join(cwd, 'real'))).toContain('Cargo.toml');
  });
});
