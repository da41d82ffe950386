/**
 * A real npm registry on loopback, for the tests that install create-fast-lambda the way users
 * will: verdaccio, with this package published to it and every other package proxied to the
 * registry npm is configured with here (read from `npm config get registry`, never written down).
 * Each user gets a directory of their own with its own npm cache, userconfig and global prefix.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../../src/tools/moto.js';
import { ROOT, tempDir } from './cli.js';

export interface Registry {
  url: string;
  /** A fresh user of this registry: a home with its own npm cache, userconfig and global prefix. */
  newUser(): Promise<NpmUser>;
  stop(): Promise<void>;
}

export interface NpmUser {
  home: string;
  /** The environment npm and npx read: this user's config, cache and prefix, the prefix's bin first on PATH. */
  env: NodeJS.ProcessEnv;
  prefixBin: string;
}

const VERDACCIO = join(ROOT, 'node_modules/.bin/verdaccio');

/** Starts verdaccio and publishes this package (as built in dist/) to it. */
export async function startRegistry(): Promise<Registry> {
  const base = await tempDir('cfl-registry-');
  const upstream = (await execa('npm', ['config', 'get', 'registry'], { cwd: base })).stdout.trim();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = join(base, 'config.yaml');
  await writeFile(
    config,
    [
      `storage: ${join(base, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(base, 'htpasswd')}`,
      'uplinks:',
      '  upstream:',
      `    url: ${JSON.stringify(upstream)}`,
      '    timeout: 60s',
      'packages:',
      "  'create-fast-lambda':",
      '    access: $all',
      '    publish: $all',
      "  '**':",
      '    access: $all',
      '    proxy: upstream',
      'log: { type: stdout, format: json, level: error }',
      `listen: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const server: ResultPromise = execa(VERDACCIO, ['--config', config], { cwd: base, reject: false, stdin: 'ignore', all: true });
  await waitForPing(url, server);

  const newUser = async (): Promise<NpmUser> => {
    const home = await tempDir('cfl-npm-user-');
    const prefix = join(home, 'prefix');
    await mkdir(prefix);
    const userconfig = join(home, '.npmrc');
    // verdaccio takes anonymous publishes of this package; npm still wants a token to send.
    await writeFile(userconfig, `registry=${url}\n//127.0.0.1:${port}/:_authToken=test\n`);
    const prefixBin = join(prefix, 'bin');
    // The test runner's own npm settings (npm test sets npm_config_*, npm_package_*, …) are not a user's.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD'));
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      HOME: home,
      npm_config_userconfig: userconfig,
      npm_config_cache: join(home, 'cache'),
      npm_config_prefix: prefix,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      PATH: [prefixBin, ...userPath()].join(delimiter),
      NO_COLOR: '1',
    };
    delete env.CI;
    return { home, env, prefixBin };
  };

  const publisher = await newUser();
  // dist/ is built by `npm test` before the suites run; publishing must not rebuild it under other tests.
  await execa('npm', ['publish', '--ignore-scripts'], { cwd: ROOT, env: publisher.env, extendEnv: false });

  return {
    url,
    newUser,
    async stop() {
      server.kill('SIGTERM');
      await server;
    },
  };
}

async function waitForPing(url: string, server: ResultPromise): Promise<void> {
  const deadline = Date.now() + 30_000;
  let exited = false;
  void server.finally(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`verdaccio exited before answering:\n${String((await server).all ?? '')}`);
    try {
      if ((await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  server.kill('SIGKILL');
  throw new Error('verdaccio did not answer /-/ping within 30 s');
}

/** PATH without the node_modules/.bin folders npm adds for `npm test`: a user has none of those. */
function userPath(): string[] {
  return (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !dir.includes(`node_modules${'/'}.bin`));
}
