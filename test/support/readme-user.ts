/**
 * A reader at a shell, for running README examples as typed: a HOME of their own, an npm whose
 * registry is a loopback port nobody listens on (so nothing can come from a registry), the venv's
 * tools (sam, cargo-lambda, moto_server) on PATH and the shared cargo target directory.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { freePort } from '../../src/tools/moto.js';
import { ROOT, tempDir } from './cli.js';
import { CARGO_ENV } from './tools.js';

export interface ShellUser {
  home: string;
  env: NodeJS.ProcessEnv;
}

export async function shellUser(venvBin: string): Promise<ShellUser> {
  const home = await tempDir('cfl-readme-user-');
  const userconfig = join(home, '.npmrc');
  await writeFile(userconfig, `registry=http://127.0.0.1:${await freePort()}/\nfetch-retries=0\nfetch-timeout=5000\n`);
  await mkdir(join(home, 'prefix'));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD'));
  // No node_modules/.bin (npm test adds the clone's): lambda-kit must come from where the README says.
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !dir.includes(`node_modules${'/'}.bin`));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    ...CARGO_ENV,
    // A HOME of their own, but the toolchains where they are installed (they default to ~/.cargo, ~/.rustup, ~/.pyenv).
    CARGO_HOME: process.env.CARGO_HOME ?? join(homedir(), '.cargo'),
    RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(homedir(), '.rustup'),
    PYENV_ROOT: process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'),
    HOME: home,
    PATH: [venvBin, ...path].join(delimiter),
    npm_config_userconfig: userconfig,
    npm_config_cache: join(home, 'cache'),
    npm_config_prefix: join(home, 'prefix'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    NO_COLOR: '1',
  };
  delete env.CI;
  for (const key of Object.keys(env)) if (key.startsWith('AWS_')) delete env[key];
  return { home, env };
}

/**
 * A scratch directory inside the clone, where `npx create-fast-lambda` finds the clone's own bin
 * as it does for a reader typing it in the clone (a symlinked copy of the clone does not: npx
 * then asks the registry). The caller removes it.
 */
export async function scratchInClone(): Promise<string> {
  return mkdtemp(join(ROOT, '.readme-examples-'));
}

/** Runs `script` with sh in `cwd`, as the user. */
export function runShell(user: ShellUser, script: string, cwd: string, timeout = 120_000) {
  return execa('sh', ['-c', script], { cwd, env: user.env, extendEnv: false, reject: false, stdin: 'ignore', all: true, timeout });
}
