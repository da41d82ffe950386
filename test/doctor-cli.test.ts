/**
 * `lambda-kit doctor` run for real, in projects made by create-fast-lambda, with PATH holding
 * exactly the tools each test wants (shims to the real ones) and AWS settings of the test's own:
 * nothing here depends on what else the machine has installed, and nothing calls AWS.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, tempDir } from './support/cli.js';
import { spawnInPty } from './support/pty.js';
import { requirePythonTools, shimDir, which } from './support/tools.js';

let root: string;
let x86Project: string;
let arm64Project: string;

beforeAll(async () => {
  root = await tempDir('cfl-doctor-');
  const create = (name: string, arch: string) =>
    execa(process.execPath, [CREATE_BIN, name, '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', arch, '--yes'], {
      cwd: root,
      stdin: 'ignore',
    });
  await Promise.all([create('doc-x86', 'x86_64'), create('doc-arm', 'arm64')]);
  x86Project = join(root, 'doc-x86');
  arm64Project = join(root, 'doc-arm');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Real paths of the tools a shim can stand for. */
function realTools(venvBin: string): Record<string, string> {
  const cargo = which('cargo');
  const rustc = which('rustc');
  if (!cargo || !rustc) throw new Error('cargo and rustc must be on PATH to run these tests');
  return {
    cargo,
    rustc,
    'cargo-lambda': join(venvBin, 'cargo-lambda'),
    // cargo-lambda finds zig as `python3 -m ziglang`, so python3 must be the venv's.
    python3: join(venvBin, 'python3'),
    sam: join(venvBin, 'sam'),
  };
}

/** A PATH of shims for `tools`, in a fresh directory. */
let shimCount = 0;
function pathWith(tools: Record<string, string>): string {
  return shimDir(join(root, `bin-${shimCount++}`), tools);
}

/** What doctor reads to tell EC2 (it never asks the metadata service). */
function onEc2(): boolean {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  return read('/sys/devices/virtual/dmi/id/board_vendor').trim() === 'Amazon EC2' || /^ec2/i.test(read('/sys/hypervisor/uuid'));
}

const AWS_READY = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing-secret',
  AWS_REGION: 'eu-west-1',
  AWS_DEFAULT_REGION: 'eu-west-1',
};

/** This process's environment minus anything that would change the verdict, plus `extra`. */
function testEnv(path: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|SAM_|CARGO_LAMBDA_|CARGO_ZIGBUILD_|CI$|FORCE_COLOR$)/.test(key)) env[key] = value;
  }
  const nowhere = join(root, 'no-such-file');
  return { ...env, PATH: path, NO_COLOR: '1', AWS_CONFIG_FILE: nowhere, AWS_SHARED_CREDENTIALS_FILE: nowhere, ...extra };
}

function doctor(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return execa(process.execPath, [KIT_BIN, 'doctor', ...args], { cwd, env, extendEnv: false, stdin: 'ignore', reject: false });
}

describe('lambda-kit doctor', () => {
  it('passes in a generated project when every tool and AWS setting is there', async (ctx) => {
    const tools = realTools(requirePythonTools(ctx));
    const result = await doctor([], x86Project, testEnv(pathWith(tools), AWS_READY));
    expect(result.stderr).toBe('');
    expect(result.exitCode, result.stdout).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`project ${x86Project}`);
    for (const tool of ['node', 'cargo / rustc', 'cargo-lambda', 'zig', 'rust target', 'sam', 'AWS region', 'AWS credentials']) {
      expect(
        lines.find((line) => line.includes(` ${tool}: `)),
        tool,
      ).toMatch(/^ok /);
    }
    expect(result.stdout).toMatch(/^ok {3}sam: \d+\.\d+\.\d+ — needed: ≥ 1\.99$/m);
    expect(result.stdout).toMatch(
      /^ok {3}zig: \d+\.\d+\.\d+ \(python3 -m ziglang\) — needed: ≥ 0\.13 \(cargo-lambda links with it\) — cargo-lambda runs /m,
    );
    expect(result.stdout).toContain('ok   rust target: installed — needed: x86_64-unknown-linux-gnu (x86_64)');
    expect(result.stdout).toContain('ok   AWS credentials: environment (AWS_ACCESS_KEY_ID)');
    expect(result.stdout).not.toContain('testing-secret');
    expect(lines.at(-1)).toBe('All set.');
  });

  it('fails without sam on PATH, with the line that installs it', async (ctx) => {
    const { sam: _sam, ...tools } = realTools(requirePythonTools(ctx));
    const result = await doctor([], x86Project, testEnv(pathWith(tools), AWS_READY));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /^fail sam: not found — needed: ≥ 1\.99 — fix: pip3 install aws-sam-cli \(or see https:\/\/docs\.aws\.amazon\.com\/\S+\)$/m,
    );
    expect(result.stdout).toMatch(/^ok {3}cargo-lambda: /m);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('1 problem: fix it and run lambda-kit doctor again.');
  });

  it('fails without cargo-lambda and zig, naming both fixes at once', async (ctx) => {
    const { 'cargo-lambda': _cl, python3: _py, ...tools } = realTools(requirePythonTools(ctx));
    const result = await doctor([], x86Project, testEnv(pathWith(tools), AWS_READY));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^fail cargo-lambda: not found — needed: ≥ 1\.0 — fix: pip3 install cargo-lambda/m);
    expect(result.stdout).toMatch(/^fail zig: not found — needed: ≥ 0\.13 \(cargo-lambda links with it\) — fix: pip3 install ziglang/m);
    expect(result.stdout).toContain('2 problems: fix them and run lambda-kit doctor again.');
  });

  it('checks the Rust target of the project’s architecture', async (ctx) => {
    const tools = realTools(requirePythonTools(ctx));
    // A toolchain whose sysroot holds the host's standard library only, as on a fresh machine.
    const sysroot = join(root, 'sysroot-x86-only');
    mkdirSync(join(sysroot, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu', 'lib'), { recursive: true });
    const rustc = `#!/bin/sh\nif [ "$1" = "--print" ] && [ "$2" = "sysroot" ]; then echo '${sysroot}'; exit 0; fi\nexec '${tools.rustc}' "$@"\n`;
    const path = pathWith({ ...tools, rustc });

    const arm = await doctor([], arm64Project, testEnv(path, AWS_READY));
    expect(arm.exitCode).toBe(1);
    // No rustup on this PATH: lambda-kit build could not add the target either.
    expect(arm.stdout).toContain(
      'fail rust target: not installed — needed: aarch64-unknown-linux-gnu (arm64) — aarch64-unknown-linux-gnu is not installed, ' +
        'and there is no rustup to add it; fix: add the aarch64-unknown-linux-gnu standard library to this Rust toolchain',
    );
    const x86 = await doctor([], x86Project, testEnv(path, AWS_READY));
    expect(x86.exitCode, x86.stdout).toBe(0);
  });

  it('with --deploy, fails without AWS credentials or region, and says how to set them', async (ctx) => {
    const tools = realTools(requirePythonTools(ctx));
    const result = await doctor(['--deploy'], x86Project, testEnv(pathWith(tools)));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^fail AWS region: not set — .* fix: aws configure set region <region>$/m);
    // On an EC2 machine the instance role may hold credentials: doctor warns there instead.
    const status = onEc2() ? 'warn' : 'fail';
    expect(result.stdout).toMatch(
      new RegExp(`^${status} AWS credentials: none found — .* fix: aws configure \\(access keys\\) or aws configure sso`, 'm'),
    );
  });

  it('warns, without failing, when only AWS_REGION is set, which sam does not read', async (ctx) => {
    const tools = realTools(requirePythonTools(ctx));
    const result = await doctor([], x86Project, testEnv(pathWith(tools), { ...AWS_READY, AWS_DEFAULT_REGION: undefined }));
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^warn AWS region: eu-west-1 \(AWS_REGION\) — .* fix: export AWS_DEFAULT_REGION=eu-west-1$/m);
  });

  it('outside a project, checks what every project needs and says so', async (ctx) => {
    const tools = realTools(requirePythonTools(ctx));
    const result = await doctor([], root, testEnv(pathWith(tools), AWS_READY));
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('not in a project');
    expect(result.stdout).not.toContain('rust target');
    expect(result.stdout).toContain('All set. Not in a project (no template.yaml here)');
  });

  it('prints the checks as JSON with --json', async (ctx) => {
    const { sam: _sam, ...tools } = realTools(requirePythonTools(ctx));
    const result = await doctor(['--json'], arm64Project, testEnv(pathWith(tools), AWS_READY));
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      project: { architectures: string[] };
      checks: { id: string; status: string; fix?: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.project.architectures).toEqual(['arm64']);
    expect(report.checks.map((c) => c.id)).toEqual([
      'node',
      'rust',
      'cargo-lambda',
      'zig',
      'rust-target',
      'sam',
      'aws-region',
      'aws-credentials',
    ]);
    expect(report.checks.find((c) => c.id === 'sam')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('pip3 install aws-sam-cli'),
    });
  });

  it('shows a table at a terminal', async (ctx) => {
    const tools = realTools(requirePythonTools(ctx));
    // `script` and `stty` make the terminal; every tool doctor looks for is a shim, found first.
    const path = `${pathWith(tools)}:/usr/bin:/bin`;
    const session = spawnInPty([process.execPath, KIT_BIN, 'doctor'], { cwd: x86Project, env: testEnv(path, AWS_READY) });
    expect(await session.exit).toBe(0);
    const screen = session.screen();
    expect(screen).toMatch(/doc-x86 \(x86_64, template\.yaml\)/);
    expect(screen).toMatch(/tool +found +needed/);
    expect(screen).toMatch(/✔ +sam +\d+\.\d+\.\d+ +≥ 1\.99/);
    expect(screen).toMatch(/✔ +AWS credentials +environment \(AWS_ACCESS_KEY_ID\)/);
  });

  it('refuses unknown options with exit 2, and has --help', async () => {
    const env = testEnv(process.env.PATH ?? '');
    const bad = await doctor(['--bogus'], x86Project, env);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe("lambda-kit: unknown option '--bogus'. See lambda-kit doctor --help.");
    const help = await doctor(['--help'], x86Project, env);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: lambda-kit doctor [options]');
  });
});
