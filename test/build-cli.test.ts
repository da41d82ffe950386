/**
 * `lambda-kit build` run for real on a project made by create-fast-lambda (SQS → DynamoDB,
 * x86_64): `--no-sam` through cargo lambda, a real `sam build` (aws-sam-cli from PyPI, which runs
 * cargo lambda itself), a compile error, and the ways it refuses to start.
 *
 * Builds are debug builds (SAM_BUILD_MODE=debug for sam) into the shared target directory, so
 * the dependencies compile once, for the first build, and sam's build then reuses them: the two
 * run the same `cargo lambda build` for the same target with the same environment.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { appendFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, tempDir } from './support/cli.js';
import { CARGO_ENV, requirePythonTools, shimDir, which } from './support/tools.js';

/** The first build compiles the AWS SDK for the Lambda target; on 2 cores that takes minutes. */
const COLD_BUILD_TIMEOUT = 25 * 60_000;

const NAME = 'kit-build-sqs';
let root: string;
let project: string;

beforeAll(async () => {
  root = await tempDir('cfl-build-');
  await execa(process.execPath, [CREATE_BIN, NAME, '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'x86_64', '--yes'], {
    cwd: root,
    stdin: 'ignore',
  });
  project = join(root, NAME);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** This process's environment with the venv first on PATH and the shared cargo settings. */
function buildEnv(venvBin: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(SAM_|CARGO_LAMBDA_|CARGO_ZIGBUILD_|CI$|FORCE_COLOR$)/.test(key)) env[key] = value;
  }
  return { ...env, ...CARGO_ENV, PATH: `${venvBin}:${process.env.PATH}`, NO_COLOR: '1', ...extra };
}

function kit(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return execa(process.execPath, [KIT_BIN, 'build', ...args], { cwd, env, extendEnv: false, stdin: 'ignore', reject: false });
}

/** `size  25.1 MB (25,064,144 bytes)` or `zipped  ≈ 8.3 MB (…)` → the byte count */
function bytesOn(stdout: string, label: string): number {
  const match = new RegExp(`^  ${label} +(?:≈ )?\\S+ [kM]B \\(([\\d,]+) bytes\\)`, 'm').exec(stdout);
  if (!match) throw new Error(`no ${label} line in:\n${stdout}`);
  return Number(match[1]!.replaceAll(',', ''));
}

/** The size of the zip sam deploy would make of one file (samcli/lib/package/utils.py: ZIP_DEFLATED). */
const SAM_STYLE_ZIP = `
import io, sys, zipfile
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
    archive.write(sys.argv[1], 'bootstrap')
print(len(buffer.getvalue()))
`;

/** An x86-64 Linux executable: ELF magic, and e_machine 62 (EM_X86_64). */
function expectX86Elf(path: string) {
  const head = readFileSync(path).subarray(0, 20);
  expect(head.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(head.readUInt16LE(18)).toBe(62);
  expect(statSync(path).mode & 0o111).not.toBe(0);
}

describe('lambda-kit build refuses to start', () => {
  it('outside a project', async (ctx) => {
    const result = await kit([], root, buildEnv(requirePythonTools(ctx)));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(`lambda-kit: no template.yaml in ${root}: run lambda-kit in a project made by create-fast-lambda`);
  });

  it('on an unknown option or argument (exit 2), and shows --help', async (ctx) => {
    const env = buildEnv(requirePythonTools(ctx));
    const bad = await kit(['--release'], project, env);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe("lambda-kit: unknown option '--release'. See lambda-kit build --help.");
    expect((await kit(['AppFunction'], project, env)).exitCode).toBe(2);
    expect((await kit(['--function', 'Nope'], project, env)).stderr).toBe(
      'lambda-kit: no function Nope in template.yaml; it has AppFunction',
    );
    const help = await kit(['--help'], project, env);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--no-sam');
  });

  it('when a tool is missing, with doctor’s fix line and nothing built', async (ctx) => {
    const venv = requirePythonTools(ctx);
    const cargo = which('cargo')!;
    const rustc = which('rustc')!;
    const shims = (dir: string, tools: Record<string, string>) => shimDir(join(root, dir), tools);
    const withoutSam = shims('no-sam', { cargo, rustc, 'cargo-lambda': join(venv, 'cargo-lambda'), python3: join(venv, 'python3') });
    const withoutCargoLambda = shims('no-cargo-lambda', { cargo, rustc, python3: join(venv, 'python3'), sam: join(venv, 'sam') });
    const env = (path: string) => ({ ...buildEnv(venv), PATH: path });

    const noSam = await kit([], project, env(withoutSam));
    expect(noSam.exitCode).toBe(1);
    expect(noSam.stderr).toMatch(/^lambda-kit: sam: not found\. Fix: pip3 install aws-sam-cli \(or see \S+\)$/);
    // --no-sam does not need sam at all…
    const noCargoLambda = await kit(['--no-sam', '--debug'], project, env(withoutCargoLambda));
    expect(noCargoLambda.exitCode).toBe(1);
    // …but cannot do without cargo-lambda.
    expect(noCargoLambda.stderr).toMatch(/^lambda-kit: cargo-lambda: not found\. Fix: pip3 install cargo-lambda \(or see \S+\)$/);
    expect(noCargoLambda.stdout).toBe('');
  });

  it('when the toolchain lacks the target of the project’s architecture', async (ctx) => {
    const venv = requirePythonTools(ctx);
    const arm = join(root, 'arm');
    mkdirSync(arm);
    cpSync(project, arm, { recursive: true });
    const template = join(arm, 'template.yaml');
    await writeFile(template, (await readFile(template, 'utf8')).replace(/- x86_64$/m, '- arm64'));
    const sysroot = join(root, 'sysroot-x86-only');
    mkdirSync(join(sysroot, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu', 'lib'), { recursive: true });
    const rustc = `#!/bin/sh\nif [ "$1" = "--print" ] && [ "$2" = "sysroot" ]; then echo '${sysroot}'; exit 0; fi\nexec '${which('rustc')}' "$@"\n`;
    const path = shimDir(join(root, 'no-aarch64'), {
      rustc,
      cargo: which('cargo')!,
      'cargo-lambda': join(venv, 'cargo-lambda'),
      python3: join(venv, 'python3'),
    });

    const result = await kit(['--no-sam'], arm, { ...buildEnv(venv), PATH: path });
    expect(result.exitCode).toBe(1);
    // No rustup on this PATH to add it (test/build-rust-target.test.ts has one).
    expect(result.stderr).toBe(
      'lambda-kit: rust target: aarch64-unknown-linux-gnu is not installed, and there is no rustup to add it. ' +
        'Fix: add the aarch64-unknown-linux-gnu standard library to this Rust toolchain, or install Rust with rustup: https://rustup.rs',
    );
  });
});

describe('lambda-kit build', () => {
  it(
    '--no-sam runs cargo lambda build and prints the binary’s path, size and zipped size',
    async (ctx) => {
      const env = buildEnv(requirePythonTools(ctx));
      const started = Date.now();
      const result = await kit(['--no-sam', '--debug'], project, env);
      console.info(`lambda-kit build --no-sam --debug: ${((Date.now() - started) / 1000).toFixed(0)} s`);
      expect(result.exitCode, result.stderr).toBe(0);
      // The tool's output streams to stderr as plain lines; the outcome is on stdout.
      expect(result.stderr.split('\n')[0]).toBe('cargo lambda build --x86-64');
      expect(result.stderr).toMatch(/Finished `dev` profile/);

      const bootstrap = join(CARGO_ENV.CARGO_TARGET_DIR, 'lambda', NAME, 'bootstrap');
      expect(result.stdout).toMatch(/^cargo lambda build --x86-64 finished in \d+ (s|min \d+ s)$/m);
      expect(result.stdout).toContain(`AppFunction (x86_64, debug)\n  binary   ${bootstrap}\n`);
      expectX86Elf(bootstrap);
      const size = bytesOn(result.stdout, 'size');
      const zipped = bytesOn(result.stdout, 'zipped');
      expect(size).toBe(statSync(bootstrap).size);
      expect(zipped).toBeGreaterThan(size / 20);
      expect(zipped).toBeLessThan(size);
    },
    COLD_BUILD_TIMEOUT,
  );

  it(
    'runs a real sam build, which leaves .aws-sam/build/AppFunction/bootstrap',
    async (ctx) => {
      const venv = requirePythonTools(ctx);
      const env = buildEnv(venv);
      // As `npm install` leaves a project created inside a clone: its file: devDependency is a
      // link to the clone, which holds the project. sam's build cache hashes the whole folder
      // and would follow that link round for ever (ELOOP).
      await mkdir(join(project, 'node_modules'), { recursive: true });
      await symlink('../..', join(project, 'node_modules', 'create-fast-lambda'));
      const started = Date.now();
      const result = await kit(['--debug'], project, env);
      console.info(`lambda-kit build --debug (sam build): ${((Date.now() - started) / 1000).toFixed(0)} s`);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr.split('\n')[0]).toBe('sam build');
      expect(result.stderr).toContain('Build Succeeded');

      const bootstrap = join(project, '.aws-sam', 'build', 'AppFunction', 'bootstrap');
      expect(result.stdout).toContain('AppFunction (x86_64, debug)\n  binary   .aws-sam/build/AppFunction/bootstrap\n');
      expectX86Elf(bootstrap);
      expect(bytesOn(result.stdout, 'size')).toBe(statSync(bootstrap).size);
      // The zipped size is an estimate: the same zip sam deploy makes with Python's zipfile,
      // deflated by Node's zlib rather than Python's.
      const zipBySam = await execa(join(venv, 'python'), ['-c', SAM_STYLE_ZIP, bootstrap]);
      const samZipped = Number(zipBySam.stdout);
      expect(Math.abs(bytesOn(result.stdout, 'zipped') - samZipped) / samZipped).toBeLessThan(0.05);
      // sam's own artifact list names the same function.
      expect(readFileSync(join(project, '.aws-sam', 'build', 'template.yaml'), 'utf8')).toMatch(/CodeUri: AppFunction/);
    },
    COLD_BUILD_TIMEOUT,
  );

  it(
    'fails on a compile error: exit 1, the compiler’s error shown in full, one final line',
    async (ctx) => {
      const env = buildEnv(requirePythonTools(ctx));
      const broken = join(root, 'broken');
      mkdirSync(broken);
      cpSync(project, broken, { recursive: true, filter: (src) => !src.includes('.aws-sam') });
      // A crate of its own name, so its bootstrap never lands where the good one is.
      const cargoToml = join(broken, 'Cargo.toml');
      await writeFile(cargoToml, (await readFile(cargoToml, 'utf8')).replace(`name = "${NAME}"`, 'name = "kit-build-broken"'));
      await appendFile(join(broken, 'src', 'main.rs'), '\nfn broken( {\n');

      const result = await kit(['--debug'], broken, env);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toBe('');
      // sam shows cargo's output only when the build fails; all of it reaches the user.
      expect(result.stderr).toContain('error: this file contains an unclosed delimiter');
      expect(result.stderr).toMatch(/--> src\/main\.rs:\d+:\d+/);
      expect(result.stderr).toContain('Build Failed');
      const lines = result.stderr.split('\n');
      expect(lines.at(-1)).toBe('lambda-kit: sam build failed (exit code 1); its output is above.');
      expect(lines.filter((line) => line.startsWith('lambda-kit:'))).toHaveLength(1);
    },
    COLD_BUILD_TIMEOUT,
  );
});

/**
 * arm64 from an x86_64 host, through zig. It works, but compiles every dependency once more for
 * aarch64 (minutes, cold, on two cores), and a fresh machine may lack the aarch64 target, so it
 * runs only when asked: LAMBDA_KIT_TEST_ARM64=1 npm test. .ci/run asks whenever it could install
 * the target.
 */
describe.runIf(process.env.LAMBDA_KIT_TEST_ARM64 === '1')('lambda-kit build for arm64', () => {
  it(
    '--no-sam cross-compiles an arm64 project into an aarch64 binary',
    async (ctx) => {
      const env = buildEnv(requirePythonTools(ctx));
      await execa(process.execPath, [CREATE_BIN, 'kit-build-arm', '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'arm64', '--yes'], {
        cwd: root,
        stdin: 'ignore',
      });
      const started = Date.now();
      const result = await kit(['--no-sam', '--debug'], join(root, 'kit-build-arm'), env);
      console.info(`lambda-kit build --no-sam --debug (arm64): ${((Date.now() - started) / 1000).toFixed(0)} s`);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr.split('\n')[0]).toBe('cargo lambda build --arm64');
      const bootstrap = join(CARGO_ENV.CARGO_TARGET_DIR, 'lambda', 'kit-build-arm', 'bootstrap');
      expect(result.stdout).toContain(`AppFunction (arm64, debug)\n  binary   ${bootstrap}\n`);
      // e_machine 183: EM_AARCH64.
      expect(readFileSync(bootstrap).readUInt16LE(18)).toBe(183);
    },
    COLD_BUILD_TIMEOUT,
  );
});
