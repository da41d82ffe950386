/**
 * create-fast-lambda as people try it before it is published: `npx create-fast-lambda` typed in
 * this clone, then `npm install` and `npx lambda-kit` in the generated project, as a user with a
 * fresh npm cache and config whose registry refuses every connection: the project installs from
 * the clone alone, with no 404 and no global install.
 */
import { realpathSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, realpath, writeFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/tools/moto.js';
import { ROOT, tempDir } from './support/cli.js';

const INSTALL_TIMEOUT = 120_000;

/** A user of npm with nothing installed, whose registry is a loopback port nobody listens on. */
async function offlineUser() {
  const home = await tempDir('cfl-clone-user-');
  const userconfig = join(home, '.npmrc');
  const registry = `http://127.0.0.1:${await freePort()}/`;
  await writeFile(userconfig, `registry=${registry}\nfetch-retries=0\nfetch-timeout=5000\n`);
  await mkdir(join(home, 'prefix'));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD'));
  // No node_modules/.bin on PATH (npm test adds the clone's): lambda-kit must come from the project.
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !dir.includes(`node_modules${'/'}.bin`));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    HOME: home,
    PATH: path.join(delimiter),
    npm_config_userconfig: userconfig,
    npm_config_cache: join(home, 'cache'),
    npm_config_prefix: join(home, 'prefix'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    NO_COLOR: '1',
  };
  delete env.CI;
  return { home, env, registry };
}

describe('from a clone', () => {
  it('the project links to the clone, and npm install then npx lambda-kit work with no registry', {
    timeout: INSTALL_TIMEOUT,
  }, async () => {
    const user = await offlineUser();
    const options = { env: user.env, extendEnv: false, stdin: 'ignore' } as const;
    const project = join(user.home, 'my-fn');
    // The README's first command, typed in the clone: npx finds the clone's own bin, no registry.
    const create = await execa('npx', ['create-fast-lambda', project, '--trigger', 'sqs', '--yes'], { cwd: ROOT, ...options });
    expect(create.stdout).toContain(`Created my-fn in ${project}`);
    const clone = realpathSync(ROOT);
    const manifest = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(manifest.devDependencies['create-fast-lambda']).toBe(`file:${clone}`);

    // The registry is really unreachable, so what follows cannot have used it.
    const probe = await execa('npm', ['view', 'execa', 'version'], { cwd: user.home, ...options, reject: false });
    expect(probe.exitCode).not.toBe(0);
    expect(probe.stderr).toMatch(/ECONNREFUSED/);

    const install = await execa('npm', ['install'], { cwd: project, ...options, reject: false });
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/404|ERR!/);
    const linked = join(project, 'node_modules/create-fast-lambda');
    expect(await realpath(linked)).toBe(clone);
    expect(resolve(join(project, 'node_modules'), await readlink(linked))).toBe(clone);

    const version = await execa('npx', ['lambda-kit', '--version'], { cwd: project, ...options });
    expect(version.stdout).toBe(JSON.parse(await readFile(join(clone, 'package.json'), 'utf8')).version);
    const help = await execa('npx', ['lambda-kit', '--help'], { cwd: project, ...options });
    expect(help.stdout).toMatch(/lambda-kit/);
    const script = await execa('npm', ['run', 'doctor', '--', '--help'], { cwd: project, ...options });
    expect(script.stdout).toContain('Usage: lambda-kit doctor');
    // Nothing went global.
    expect(await readdir(join(user.home, 'prefix'))).toEqual([]);
  });
});
