/**
 * Compiled dependencies shared across projects by default, safely: real `lambda-kit build
 * --no-sam --debug` processes (real cargo lambda, real cargo) on tiny crates with one registry
 * dependency (itoa, from the local registry cache, offline), each test with a cache home of its
 * own (LAMBDA_KIT_CARGO_CACHE) and no CARGO_TARGET_DIR, as a user's shell has.
 *
 * The same-name test fails on the naive design (every project's build-dir in one directory):
 * run it with CARGO_SHARED_BUILD_NAIVE=1 to see project B run project A's code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, tempDir } from './support/cli.js';
import { requirePythonTools } from './support/tools.js';

const NAIVE = process.env.CARGO_SHARED_BUILD_NAIVE === '1';
const LONG = 180_000;
const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' });

let root: string;
/** A generated project, for its template.yaml and .cargo/config.toml; each test copies it and makes its crate tiny. */
let generated: string;

beforeAll(async () => {
  // As lambda-kit records a project in a claim: macOS's temp directory is behind a symlink.
  root = realpathSync(await tempDir('cfl-shared-build-'));
  await execa(process.execPath, [CREATE_BIN, 'tiny', '--trigger', 'sqs', '--sink', 'none', '--arch', 'x86_64', '--yes'], {
    cwd: root,
    stdin: 'ignore',
  });
  generated = join(root, 'tiny');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The project at `dir`: crate `name` whose binary prints `greeting` and a number formatted by itoa. */
function tinyProject(dir: string, name: string, greeting: string): string {
  execFileSync('cp', ['-a', generated, dir]);
  rmSync(join(dir, 'src'), { recursive: true, force: true });
  writeFileSync(
    join(dir, 'Cargo.toml'),
    `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nitoa = "1"\n`,
  );
  execFileSync('mkdir', ['-p', join(dir, 'src')]);
  setGreeting(dir, greeting);
  return dir;
}

function setGreeting(dir: string, greeting: string): void {
  writeFileSync(
    join(dir, 'src/main.rs'),
    `fn main() {\n    let mut b = itoa::Buffer::new();\n    println!("${greeting} {}", b.format(7));\n}\n`,
  );
}

/** Dates the sources back, so cargo's mtime check alone would call another project's units fresh. */
function ageSources(dir: string): void {
  const old = new Date('2020-01-01T00:00:00Z');
  for (const file of ['Cargo.toml', 'src/main.rs']) utimesSync(join(dir, file), old, old);
}

function buildEnv(venvBin: string, cacheHome: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(CARGO_|SAM_|CI$|FORCE_COLOR$|LAMBDA_KIT_)/.test(key)) env[key] = value;
  }
  return {
    ...env,
    PATH: `${venvBin}:${process.env.PATH}`,
    NO_COLOR: '1',
    CARGO_TERM_COLOR: 'never',
    // itoa comes from the registry cache; nothing here needs the network.
    CARGO_NET_OFFLINE: 'true',
    LAMBDA_KIT_CARGO_CACHE: cacheHome,
    ...(NAIVE && { CARGO_BUILD_BUILD_DIR: join(cacheHome, 'naive') }),
    ...extra,
  };
}

async function kitBuild(dir: string, env: NodeJS.ProcessEnv, how: 'cargo lambda' | 'sam' = 'cargo lambda') {
  const args = how === 'sam' ? ['build', '--debug'] : ['build', '--no-sam', '--debug'];
  const result = await execa(process.execPath, [KIT_BIN, ...args], {
    cwd: dir,
    env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    all: true,
  });
  expect(result.exitCode, result.all).toBe(0);
  return result;
}

/** What the project's freshly built Lambda binary prints. */
function runs(dir: string, name: string): string {
  return execFileSync(join(dir, 'target/lambda', name, 'bootstrap'), { encoding: 'utf8' }).trim();
}

function claimOf(cacheHome: string, slot: number, name: string): string | undefined {
  const path = join(cacheHome, `slot-${slot}`, 'claims', name);
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n')[0] : undefined;
}

describe.skipIf(cargo.status !== 0)('the shared build cache, with lambda-kit build', () => {
  it(
    'two projects with the same crate name, built in alternation, each run their own code',
    async (ctx) => {
      const venv = requirePythonTools(ctx);
      const cache = join(root, 'cache-same-name');
      const a = tinyProject(join(root, 'same-a'), 'twin', 'from A');
      const b = tinyProject(join(root, 'same-b'), 'twin', 'from B');
      ageSources(b);
      const env = buildEnv(venv, cache);
      for (let round = 0; round < 2; round++) {
        await kitBuild(a, env);
        expect(runs(a, 'twin')).toBe('from A 7');
        await kitBuild(b, env);
        expect(runs(b, 'twin')).toBe('from B 7');
      }
      expect(claimOf(cache, 0, 'twin')).toBe(a);
      expect(claimOf(cache, 1, 'twin')).toBe(b);
    },
    LONG,
  );

  it(
    'a second project compiles its dependency not again; only a project in slot-1 is told why it did',
    async (ctx) => {
      const venv = requirePythonTools(ctx);
      const cache = join(root, 'cache-deps-once');
      const env = buildEnv(venv, cache);
      const first = await kitBuild(tinyProject(join(root, 'deps-first'), 'alpha', 'alpha'), env);
      expect(first.all).toMatch(/Compiling itoa v/);
      const second = await kitBuild(tinyProject(join(root, 'deps-second'), 'beta', 'beta'), env);
      expect(second.all).toMatch(/Compiling beta v/);
      expect(second.all).not.toMatch(/Compiling itoa/);
      expect(second.all).not.toMatch(/shared build cache/);
      expect(runs(join(root, 'deps-second'), 'beta')).toBe('beta 7');
    },
    LONG,
  );

  it(
    'a copied project (cp -a, mtimes kept) builds in slot-1 and says so once; both run their own code',
    async (ctx) => {
      const venv = requirePythonTools(ctx);
      const cache = join(root, 'cache-copied');
      const env = buildEnv(venv, cache);
      const original = tinyProject(join(root, 'copy-original'), 'copied', 'original');
      await kitBuild(original, env);
      const copy = join(root, 'copy-copy');
      execFileSync('cp', ['-a', original, copy]);
      setGreeting(copy, 'the copy');
      ageSources(copy);
      const firstOfCopy = await kitBuild(copy, env);
      expect(runs(copy, 'copied')).toBe('the copy 7');
      const said = firstOfCopy.stderr.split('\n').filter((line) => line.includes('shared build cache'));
      expect(said).toEqual([
        `the crate name copied is taken in the shared build cache by ${original}, so this project builds its dependencies in ${join(cache, 'slot-1')} (once); renaming the crate in Cargo.toml would share slot-0's instead`,
      ]);
      expect((await kitBuild(copy, env)).stderr).not.toMatch(/shared build cache/);
      await kitBuild(original, env);
      expect(runs(original, 'copied')).toBe('original 7');
    },
    LONG,
  );

  it(
    'a moved project takes its dead claim over: the old units go, its new code runs, the dependency stays',
    async (ctx) => {
      const venv = requirePythonTools(ctx);
      const cache = join(root, 'cache-moved');
      const env = buildEnv(venv, cache);
      const before = tinyProject(join(root, 'moved-before'), 'mover', 'before the move');
      await kitBuild(before, env);
      const after = join(root, 'moved-after');
      renameSync(before, after);
      setGreeting(after, 'after the move');
      ageSources(after);
      const build = await kitBuild(after, env);
      expect(runs(after, 'mover')).toBe('after the move 7');
      expect(build.all).toMatch(/Compiling mover v/);
      expect(build.all).not.toMatch(/Compiling itoa/);
      expect(claimOf(cache, 0, 'mover')).toBe(after);
      expect(existsSync(join(cache, 'slot-1'))).toBe(false);
    },
    LONG,
  );

  it(
    "sam build's cargo lambda builds in the shared cache too, in slots: same-name projects each run their own code",
    async (ctx) => {
      const venv = requirePythonTools(ctx);
      const cache = join(root, 'cache-sam');
      const env = buildEnv(venv, cache);
      const a = tinyProject(join(root, 'sam-a'), 'via_sam', 'sam A');
      const b = tinyProject(join(root, 'sam-b'), 'via_sam', 'sam B');
      ageSources(b);
      await kitBuild(a, env, 'sam');
      await kitBuild(b, env, 'sam');
      const samBinary = (dir: string) => execFileSync(join(dir, '.aws-sam/build/AppFunction/bootstrap'), { encoding: 'utf8' }).trim();
      expect(samBinary(a)).toBe('sam A 7');
      expect(samBinary(b)).toBe('sam B 7');
      expect([claimOf(cache, 0, 'via_sam'), claimOf(cache, 1, 'via_sam')]).toEqual([a, b]);
      expect(readdirSync(join(cache, 'slot-0/x86_64-unknown-linux-gnu/debug/.fingerprint')).some((unit) => unit.startsWith('itoa-'))).toBe(
        true,
      );
    },
    LONG,
  );

  it(
    'two lambda-kit builds at once of two same-name projects each get their own code',
    async (ctx) => {
      const venv = requirePythonTools(ctx);
      const cache = join(root, 'cache-concurrent');
      const env = buildEnv(venv, cache);
      const left = tinyProject(join(root, 'concurrent-left'), 'racer', 'left');
      const right = tinyProject(join(root, 'concurrent-right'), 'racer', 'right');
      ageSources(right);
      await Promise.all([kitBuild(left, env), kitBuild(right, env)]);
      expect(runs(left, 'racer')).toBe('left 7');
      expect(runs(right, 'racer')).toBe('right 7');
      expect([claimOf(cache, 0, 'racer'), claimOf(cache, 1, 'racer')].sort()).toEqual([left, right].sort());
    },
    LONG,
  );
});

describe.skipIf(cargo.status !== 0 || NAIVE)('the shared build cache, with lambda-kit dev', () => {
  it(
    'dev builds in slot-0 too, and the dependency a build compiled there is not compiled again',
    async (ctx) => {
      const venv = requirePythonTools(ctx);
      const cache = join(root, 'cache-dev');
      const env = buildEnv(venv, cache);
      await kitBuild(tinyProject(join(root, 'dev-first'), 'dev_first', 'first'), env);
      const api = join(root, 'dev-api');
      await execa(process.execPath, [CREATE_BIN, 'dev-api', '--trigger', 'api', '--sink', 'sqs', '--arch', 'x86_64', '--yes'], {
        cwd: root,
        stdin: 'ignore',
      });
      rmSync(join(api, 'src'), { recursive: true, force: true });
      execFileSync('mkdir', ['-p', join(api, 'src')]);
      writeFileSync(
        join(api, 'Cargo.toml'),
        '[package]\nname = "dev-api"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nitoa = "1"\n',
      );
      setGreeting(api, 'dev');
      const dev = execa(process.execPath, [KIT_BIN, 'dev', '--port', '0'], {
        cwd: api,
        env,
        extendEnv: false,
        stdin: 'ignore',
        reject: false,
        all: true,
      });
      let output = '';
      dev.all!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const started = Date.now();
      while (!/built in|build failed/.test(output) && Date.now() - started < 120_000 && dev.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      dev.kill('SIGINT');
      await dev;
      expect(output).toMatch(/built in [\d.]+ s/);
      expect(output).toMatch(/Compiling dev-api v/);
      expect(output).not.toMatch(/Compiling itoa/);
      expect(claimOf(cache, 0, 'dev-api')).toBe(api);
      expect(runs(api, 'dev-api')).toBe('dev 7');
    },
    LONG,
  );
});

describe.skipIf(cargo.status !== 0 || NAIVE)('lambda-kit leaves cargo alone', () => {
  it(
    "where the user chose: CARGO_TARGET_DIR, a cargo config's build-dir or target-dir, LAMBDA_KIT_CARGO_CACHE=off",
    async (ctx) => {
      const venv = requirePythonTools(ctx);
      const cache = join(root, 'cache-untouched');
      const withTarget = tinyProject(join(root, 'alone-target'), 'chosen_target', 'target');
      const ownTarget = join(root, 'alone-own-target');
      await kitBuild(withTarget, buildEnv(venv, cache, { CARGO_TARGET_DIR: ownTarget }));
      expect(existsSync(join(ownTarget, 'lambda/chosen_target/bootstrap'))).toBe(true);

      const withConfig = tinyProject(join(root, 'alone-config'), 'chosen_config', 'config');
      const ownBuildDir = join(root, 'alone-own-build-dir');
      writeFileSync(join(withConfig, '.cargo/config.toml'), `[build]\nbuild-dir = "${ownBuildDir}"\n`, { flag: 'a' });
      await kitBuild(withConfig, buildEnv(venv, cache));
      expect(runs(withConfig, 'chosen_config')).toBe('config 7');
      expect(readdirSync(join(ownBuildDir, 'x86_64-unknown-linux-gnu/debug/.fingerprint')).some((entry) => entry.startsWith('itoa-'))).toBe(
        true,
      );

      const withConfigTarget = tinyProject(join(root, 'alone-config-target'), 'chosen_config_target', 'config target');
      const configTarget = join(root, 'alone-config-target-dir');
      writeFileSync(join(withConfigTarget, '.cargo/config.toml'), `[build]\ntarget-dir = "${configTarget}"\n`, { flag: 'a' });
      await kitBuild(withConfigTarget, buildEnv(venv, cache));
      expect(execFileSync(join(configTarget, 'lambda/chosen_config_target/bootstrap'), { encoding: 'utf8' })).toBe('config target 7\n');

      const optedOut = tinyProject(join(root, 'alone-off'), 'opted_out', 'off');
      await kitBuild(optedOut, buildEnv(venv, cache, { LAMBDA_KIT_CARGO_CACHE: 'off' }));
      expect(runs(optedOut, 'opted_out')).toBe('off 7');
      expect(
        readdirSync(join(optedOut, 'target/x86_64-unknown-linux-gnu/debug/.fingerprint')).some((entry) => entry.startsWith('itoa-')),
      ).toBe(true);

      expect(existsSync(cache)).toBe(false);
    },
    LONG,
  );

  it(
    'a cache that cannot be written is one warning line, and the build uses the project’s own target/',
    async (ctx) => {
      const venv = requirePythonTools(ctx);
      const file = join(root, 'not-a-directory');
      writeFileSync(file, 'a file where the cache would be\n');
      const cache = join(file, 'cache');
      const project = tinyProject(join(root, 'unwritable'), 'unwritable', 'no cache');
      const build = await kitBuild(project, buildEnv(venv, cache));
      expect(runs(project, 'unwritable')).toBe('no cache 7');
      expect(build.stderr.split('\n').filter((line) => line.includes(cache))).toEqual([
        `the shared build cache ${cache} is not usable (ENOTDIR), so this project compiles its dependencies in its own target/ (set LAMBDA_KIT_CARGO_CACHE to another directory, or to off)`,
      ]);
      expect(build.stderr).not.toMatch(/^\s+at /m);
    },
    LONG,
  );
});
