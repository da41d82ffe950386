/**
 * The project name made from the directory when no --name is given, with flags and at the
 * prompt; an explicit --name is taken as typed or refused.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREATE_BIN, listTree, runBin, tempDir, userEnv } from './support/cli.js';
import { KEY, spawnInPty } from './support/pty.js';

describe('create-fast-lambda names the project after its directory', () => {
  it('makes My_Service into my-service with --yes, and says so', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['My_Service', '--yes'], cwd);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Using project name "my-service" (from the directory My_Service).');
    expect(result.stdout).toContain('Created my-service in ./My_Service:');
    expect(await readFile(join(cwd, 'My_Service/Cargo.toml'), 'utf8')).toContain('name = "my-service"');
  });

  it('says nothing more when the directory name is already the project name', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['orders', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain('Using project name');
  });

  it('fits the name to the S3 trigger, which allows 35 characters', async () => {
    const cwd = await tempDir();
    const directory = `Reports_${'X'.repeat(30)}`;
    const result = await runBin(CREATE_BIN, [directory, '--trigger', 's3', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Using project name "reports-${'x'.repeat(27)}" (from the directory ${directory}).`);
  });

  it('takes an explicit --name over the directory, and still refuses an invalid one', async () => {
    const cwd = await tempDir();
    const valid = await runBin(CREATE_BIN, ['My_Service', '--name', 'billing', '--yes'], cwd);
    expect(valid.exitCode).toBe(0);
    expect(valid.stdout).not.toContain('Using project name');
    expect(await readFile(join(cwd, 'My_Service/Cargo.toml'), 'utf8')).toContain('name = "billing"');

    const other = await tempDir();
    const invalid = await runBin(CREATE_BIN, ['My_Service', '--name', 'My_Service', '--yes'], other);
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr.trim()).toMatch(/^create-fast-lambda: Invalid --name "My_Service": may only hold lowercase letters/);
    expect(await readdir(other)).toEqual([]);
  });

  it('says nothing on stdout when the target then refuses: the error is the one line', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'My_Service'));
    await writeFile(join(cwd, 'My_Service/notes.txt'), 'mine\n');
    const result = await runBin(CREATE_BIN, ['My_Service', '--yes'], cwd);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('create-fast-lambda: My_Service is not empty (notes.txt); choose a new or empty directory');
  });

  it.each([
    [
      '2024',
      /no project name can be made from the directory "2024": it has no letter to start a project name with\. Pass --name <name>\.$/,
    ],
    ['Tokio', /no project name can be made from the directory "Tokio": "tokio" is taken: .*\. Pass --name <name>\.$/],
  ])('refuses a directory like %s with one usage line, and writes nothing', async (directory, message) => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, [directory, '--yes'], cwd);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
    expect(result.stdout).toBe('');
    expect(await readdir(cwd)).toEqual([]);
  });

  it("re-asks at the prompt for a name too long for the twins' function names (58 characters)", async () => {
    const cwd = await tempDir();
    const long = `a${'b'.repeat(57)}`;
    const t = spawnInPty(['node', CREATE_BIN, long, '--arch', 'x86_64', '--memory', '128', '--timeout', '5'], {
      cwd,
      env: userEnv({ NO_COLOR: '' }),
    });
    await t.waitFor('Project name');
    t.type(KEY.enter);
    await t.waitFor('Churn prediction example');
    // Up from the first choice wraps to the last, the example, however many triggers come before it.
    t.type(`${KEY.up}${KEY.enter}`);
    await t.waitFor('twins');
    t.type(KEY.enter);
    await t.waitFor('at most 57');
    t.type(KEY.ctrlC);
    expect(await t.exit).toBe(130);
    expect(await readdir(cwd)).toEqual([]);
  });

  it("offers the same name as the prompt's default", async () => {
    const cwd = await tempDir();
    const flags = ['--trigger', 'sqs', '--sink', 'none', '--arch', 'x86_64', '--memory', '128', '--timeout', '5'];
    const t = spawnInPty(['node', CREATE_BIN, 'My_Service', ...flags], { cwd, env: userEnv({ NO_COLOR: '' }) });
    await t.waitFor('Project name');
    await t.waitFor('my-service');
    t.type(KEY.enter);
    await t.waitFor('Next steps');
    expect(await t.exit).toBe(0);
    expect(await listTree(join(cwd, 'My_Service'))).toContain('Cargo.toml');
    expect(await readFile(join(cwd, 'My_Service/samconfig.toml'), 'utf8')).toContain('stack_name = "my-service"');
  });
});
