/**
 * create-fast-lambda as users will get it: published to a real npm registry (verdaccio on
 * loopback), then each command of the README typed as a user types it, in a clean directory
 * with its own npm cache, userconfig and global prefix.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTree } from './support/cli.js';
import { startRegistry, type Registry } from './support/registry.js';

/** Installs go through the registry's uplink the first time; later ones come from its storage. */
const INSTALL_TIMEOUT = 240_000;

let registry: Registry;

beforeAll(async () => {
  registry = await startRegistry();
}, INSTALL_TIMEOUT);

afterAll(async () => {
  await registry?.stop();
});

const PROJECT_FILES = ['Cargo.toml', 'template.yaml', 'src/main.rs', 'package.json', 'samconfig.toml', '.gitignore'];

describe('from a registry', () => {
  it('npm create fast-lambda@latest my-fn -- [flags] creates the project', { timeout: INSTALL_TIMEOUT }, async () => {
    const user = await registry.newUser();
    const run = await execa('npm', ['create', 'fast-lambda@latest', 'my-fn', '--', '--trigger', 'sqs', '--yes'], {
      cwd: user.home,
      env: user.env,
      extendEnv: false,
      stdin: 'ignore',
    });
    expect(run.stdout).toContain('Created my-fn in ./my-fn: SQS → DynamoDB');
    expect(await listTree(join(user.home, 'my-fn'))).toEqual(expect.arrayContaining([...PROJECT_FILES, 'events/sqs.json']));
    // Installed from the registry (under npx's node_modules), so the project asks for the version, not a folder.
    const manifest = JSON.parse(await readFile(join(user.home, 'my-fn/package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(manifest.devDependencies['create-fast-lambda']).toMatch(/^\^\d+\.\d+\.\d+$/);
  });

  it('npx create-fast-lambda creates the project, and inside it npm install brings lambda-kit', { timeout: INSTALL_TIMEOUT }, async () => {
    const user = await registry.newUser();
    const options = { env: user.env, extendEnv: false, stdin: 'ignore' } as const;
    const create = await execa('npx', ['create-fast-lambda', 'my-fn', '--yes'], { cwd: user.home, ...options });
    expect(create.stdout).toContain('Created my-fn in ./my-fn');
    // Nothing it installs runs an install script, so npm 11 has no notice for a newcomer's first command.
    expect(create.stderr).not.toMatch(/install-scripts|allow-scripts/);
    const project = join(user.home, 'my-fn');
    const manifest = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(manifest.devDependencies['create-fast-lambda']).toMatch(/^\^\d+\.\d+\.\d+$/);

    const install = await execa('npm', ['install'], { cwd: project, ...options });
    expect(install.stderr).not.toMatch(/install-scripts|allow-scripts/);
    const version = await execa('npx', ['lambda-kit', '--version'], { cwd: project, ...options });
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await execa('npx', ['lambda-kit', 'invoke', '--help'], { cwd: project, ...options });
    expect(help.stdout).toContain('Usage: lambda-kit invoke');
    const script = await execa('npm', ['run', 'invoke', '--', '--help'], { cwd: project, ...options });
    expect(script.stdout).toContain('Usage: lambda-kit invoke');
  });

  it('npm install -g create-fast-lambda puts both commands on the PATH', { timeout: INSTALL_TIMEOUT }, async () => {
    const user = await registry.newUser();
    const options = { cwd: user.home, env: user.env, extendEnv: false, stdin: 'ignore' } as const;
    await execa('npm', ['install', '-g', 'create-fast-lambda'], options);
    for (const bin of ['create-fast-lambda', 'lambda-kit']) {
      await access(join(user.prefixBin, bin));
      const version = await execa(bin, ['--version'], options);
      expect(version.stdout).toMatch(/^\d+\.\d+\.\d+$/);
    }
    const create = await execa('create-fast-lambda', ['svc', '--trigger', 'kinesis', '--yes'], options);
    expect(create.stdout).toContain('Created svc in ./svc: Kinesis');
  });
});
