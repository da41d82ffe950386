/**
 * The first build of an arm64 project on a machine whose toolchain has only its own target:
 * `lambda-kit build` says it installs the target, runs `rustup target add`, and builds; doctor
 * says build will. The toolchain is the real one, seen through a `rustc` shim whose sysroot
 * holds the host's standard library only; `rustup` is a shim that records its calls and adds the
 * target to that sysroot; `cargo lambda build` is stopped at once by a `cargo` shim, so no
 * cross-compilation runs here (test/build-cli.test.ts builds for real).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, tempDir } from './support/cli.js';
import { CARGO_ENV, requirePythonTools, shimDir, which } from './support/tools.js';

const TARGET = 'aarch64-unknown-linux-gnu';
const INSTALLING = `installing the rustup target ${TARGET} (rustup target add ${TARGET})`;

let root: string;
let project: string;

beforeAll(async () => {
  root = await tempDir('cfl-rust-target-');
  await execa(process.execPath, [CREATE_BIN, 'arm-fn', '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'arm64', '--yes'], {
    cwd: root,
    stdin: 'ignore',
  });
  project = join(root, 'arm-fn');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Machine {
  env: NodeJS.ProcessEnv;
  sysroot: string;
  /** Each call of the rustup shim, its arguments joined by spaces. */
  rustupCalls(): string[];
  cargoLambdaCalls(): string[];
}

/**
 * A machine with only the host's target. `rustup` is there unless `rustup` is undefined; with
 * `rustup: 'broken'` its `target add` fails as it does offline, with 'no-op' it succeeds without
 * adding anything (another toolchain got it).
 */
function machine(name: string, venvBin: string, rustup: 'working' | 'broken' | 'no-op' | undefined): Machine {
  const dir = join(root, name);
  const sysroot = join(dir, 'sysroot');
  mkdirSync(join(sysroot, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu', 'lib'), { recursive: true });
  const rustupLog = join(dir, 'rustup-calls');
  const cargoLog = join(dir, 'cargo-lambda-calls');
  const addTarget =
    rustup === 'broken'
      ? `echo "error: could not download file from 'https://static.rust-lang.org/dist/channel-rust-stable.toml.sha256'" >&2; exit 1`
      : rustup === 'no-op'
        ? 'exit 0'
        : `echo "info: downloading component 'rust-std' for '$3'"; /bin/mkdir -p '${sysroot}/lib/rustlib/'"$3"'/lib'; exit 0`;
  const shims: Record<string, string> = {
    rustc: `#!/bin/sh\nif [ "$1" = "--print" ] && [ "$2" = "sysroot" ]; then echo '${sysroot}'; exit 0; fi\nexec '${which('rustc')}' "$@"\n`,
    cargo: [
      '#!/bin/sh',
      `if [ "$1" = "lambda" ] && [ "$2" = "build" ]; then echo "$*" >> '${cargoLog}'; echo 'stopped by the test'; exit 3; fi`,
      `exec '${which('cargo')}' "$@"`,
      '',
    ].join('\n'),
    'cargo-lambda': join(venvBin, 'cargo-lambda'),
    python3: join(venvBin, 'python3'),
  };
  if (rustup) {
    shims.rustup = [
      '#!/bin/sh',
      `echo "$*" >> '${rustupLog}'`,
      'if [ "$1" = "--version" ]; then echo "rustup 1.28.2 (e4f3ad6f8 2025-04-28)"; exit 0; fi',
      `if [ "$1" = "target" ] && [ "$2" = "add" ]; then ${addTarget}; fi`,
      'exit 9',
      '',
    ].join('\n');
  }
  const path = shimDir(join(dir, 'bin'), shims);
  const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|SAM_|CARGO_LAMBDA_|CARGO_ZIGBUILD_|CI$|FORCE_COLOR$)/.test(key)) env[key] = value;
  }
  return {
    env: {
      ...env,
      ...CARGO_ENV,
      PATH: path,
      NO_COLOR: '1',
      AWS_CONFIG_FILE: join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
    },
    sysroot,
    rustupCalls: () => lines(rustupLog),
    cargoLambdaCalls: () => lines(cargoLog),
  };
}

function kit(args: string[], env: NodeJS.ProcessEnv) {
  return execa(process.execPath, [KIT_BIN, ...args], {
    cwd: project,
    env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: 60_000,
  });
}

describe('lambda-kit build on a toolchain without the project’s target', () => {
  it('installs it with rustup after saying so, then builds', async (ctx) => {
    const m = machine('with-rustup', requirePythonTools(ctx), 'working');
    const result = await kit(['build', '--no-sam'], m.env);
    const lines = result.stderr.split('\n');
    expect(lines[0]).toBe(INSTALLING);
    expect(result.stderr).toContain(`info: downloading component 'rust-std' for '${TARGET}'`);
    // Asked whether it is there, told to add the target, and asked again by the check that follows.
    expect(m.rustupCalls()).toEqual(['--version', `target add ${TARGET}`, '--version']);
    expect(existsSync(join(m.sysroot, 'lib', 'rustlib', TARGET)), result.stderr).toBe(true);
    // The build itself went on, for arm64 (the test's cargo stops it there).
    expect(m.cargoLambdaCalls()).toEqual(['lambda build --release --arm64']);
    expect(lines.at(-1)).toBe('lambda-kit: cargo lambda build --release --arm64 failed (exit code 3); its output is above.');
    expect(result.exitCode).toBe(1);

    // Once installed, the next build asks rustup nothing more.
    const again = await kit(['build', '--no-sam'], m.env);
    expect(again.stderr).not.toContain('installing the rustup target');
    expect(m.rustupCalls()).toEqual(['--version', `target add ${TARGET}`, '--version', '--version']);
  });

  it('stops with one line when rustup cannot add it, and builds nothing', async (ctx) => {
    const m = machine('broken-rustup', requirePythonTools(ctx), 'broken');
    const result = await kit(['build', '--no-sam'], m.env);
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.split('\n');
    expect(lines[0]).toBe(INSTALLING);
    expect(result.stderr).toContain('error: could not download file');
    expect(lines.at(-1)).toBe(`lambda-kit: rustup target add ${TARGET} failed (exit code 1); its output is above.`);
    expect(lines.filter((line) => line.startsWith('lambda-kit:'))).toHaveLength(1);
    expect(m.cargoLambdaCalls()).toEqual([]);
  });

  it('stops with one line when rustup succeeds but the toolchain still lacks it', async (ctx) => {
    const m = machine('no-op-rustup', requirePythonTools(ctx), 'no-op');
    const result = await kit(['build', '--no-sam'], m.env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n').at(-1)).toBe(
      `lambda-kit: rustup target add ${TARGET} succeeded, but the toolchain used in ${project} still lacks ${TARGET}. Run lambda-kit doctor.`,
    );
    expect(m.cargoLambdaCalls()).toEqual([]);
  });

  it('without rustup, stops with one line and the fix', async (ctx) => {
    const m = machine('no-rustup', requirePythonTools(ctx), undefined);
    const result = await kit(['build', '--no-sam'], m.env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `lambda-kit: rust target: ${TARGET} is not installed, and there is no rustup to add it. ` +
        `Fix: add the ${TARGET} standard library to this Rust toolchain, or install Rust with rustup: https://rustup.rs`,
    );
    expect(m.cargoLambdaCalls()).toEqual([]);
  });
});

describe('lambda-kit doctor on a toolchain without the project’s target', () => {
  it('with rustup: a warning that build installs it, and nothing installed by doctor', async (ctx) => {
    const m = machine('doctor-rustup', requirePythonTools(ctx), 'working');
    const result = await kit(['doctor'], m.env);
    expect(result.stdout).toContain(
      `warn rust target: not installed — needed: ${TARGET} (arm64) — fix: lambda-kit build installs it (rustup target add ${TARGET})`,
    );
    expect(m.rustupCalls()).toEqual(['--version']);
    expect(result.stdout).not.toMatch(/^fail rust target/m);
  });

  it('without rustup: a failure, with the fix', async (ctx) => {
    const m = machine('doctor-no-rustup', requirePythonTools(ctx), undefined);
    const result = await kit(['doctor'], m.env);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`^fail rust target: not installed — .* fix: add the ${TARGET} standard library to this Rust toolchain`, 'm'),
    );
  });
});
