/**
 * `lambda-kit doctor` on a machine set up for local work only (no AWS region, no credentials),
 * `doctor --deploy`, and the table at terminals of different widths: its advice wraps at word
 * boundaries, never mid-word, to the terminal's width.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTable, wrapWords } from '../src/cli/commands/doctor.js';
import { FIX, type Check } from '../src/tools/doctor.js';
import { CREATE_BIN, KIT_BIN, tempDir } from './support/cli.js';
import { spawnInPty } from './support/pty.js';
import { requirePythonTools, shimDir, which } from './support/tools.js';

let root: string;
let project: string;

beforeAll(async () => {
  root = await tempDir('cfl-doctor-local-');
  await execa(process.execPath, [CREATE_BIN, 'local-fn', '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'x86_64', '--yes'], {
    cwd: root,
    stdin: 'ignore',
  });
  project = join(root, 'local-fn');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A PATH of shims to the real tools a project needs, and no AWS settings at all. */
function localOnlyEnv(venvBin: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const cargo = which('cargo');
  const rustc = which('rustc');
  if (!cargo || !rustc) throw new Error('cargo and rustc must be on PATH to run these tests');
  const path = shimDir(join(root, 'bin'), {
    cargo,
    rustc,
    'cargo-lambda': join(venvBin, 'cargo-lambda'),
    python3: join(venvBin, 'python3'),
    sam: join(venvBin, 'sam'),
  });
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|SAM_|CARGO_LAMBDA_|CARGO_ZIGBUILD_|CI$|FORCE_COLOR$)/.test(key)) env[key] = value;
  }
  const nowhere = join(root, 'no-such-file');
  return { ...env, PATH: path, NO_COLOR: '1', AWS_CONFIG_FILE: nowhere, AWS_SHARED_CREDENTIALS_FILE: nowhere, ...extra };
}

function doctor(args: string[], env: NodeJS.ProcessEnv) {
  return execa(process.execPath, [KIT_BIN, 'doctor', ...args], { cwd: project, env, extendEnv: false, stdin: 'ignore', reject: false });
}

const AWS_COMMANDS_LINE =
  'The AWS settings warned about above are needed by deploy, outputs, delete, logs, invoke --remote and bench --remote';

describe('lambda-kit doctor without AWS settings', () => {
  it('exits 0 for local work, with the AWS settings as warnings and the commands that need them', async (ctx) => {
    const result = await doctor([], localOnlyEnv(requirePythonTools(ctx)));
    expect(result.stderr).toBe('');
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stdout).toMatch(
      /^warn AWS region: not set — needed: for deploy and remote commands — .*fix: aws configure set region <region>$/m,
    );
    expect(result.stdout).toMatch(
      /^warn AWS credentials: none found — needed: for deploy and remote commands — .*fix: aws configure \(access keys\)/m,
    );
    expect(result.stdout).not.toMatch(/^fail /m);
    const last = result.stdout.trimEnd().split('\n').at(-1);
    expect(last).toBe(
      `All set for local work (build, invoke, bench --local). ${AWS_COMMANDS_LINE}; lambda-kit doctor --deploy requires them.`,
    );
  });

  it('--deploy requires them: exit 1, two problems', async (ctx) => {
    const result = await doctor(['--deploy'], localOnlyEnv(requirePythonTools(ctx)));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^fail AWS region: not set — /m);
    expect(result.stdout).toMatch(/^(fail|warn) AWS credentials: none found — /m);
    expect(result.stdout).toMatch(/^\d problems?: fix (it|them) and run lambda-kit doctor --deploy again\.$/m);
    expect(result.stdout).not.toContain('are needed by');
  });

  it('--deploy passes once they are set', async (ctx) => {
    const aws = {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
    };
    const result = await doctor(['--deploy'], localOnlyEnv(requirePythonTools(ctx), aws));
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('All set.');
  });

  it('--json says ok for local work, and whether it is ready to deploy', async (ctx) => {
    const result = await doctor(['--json'], localOnlyEnv(requirePythonTools(ctx)));
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; readyToDeploy: boolean; checks: { id: string; status: string }[] };
    expect(report).toMatchObject({ ok: true, readyToDeploy: false });
    expect(report.checks.find((c) => c.id === 'aws-region')?.status).toBe('warn');
  });

  it('has --deploy in its --help', async () => {
    const help = await doctor(['--help'], { PATH: process.env.PATH });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^ {2}--deploy +require the AWS region and credentials too/m);
    expect(help.stdout).toContain('deploy, outputs, delete, logs, invoke --remote, bench --remote');
  });

  it('an AWS command still stops with one line before anything runs', async (ctx) => {
    const env = localOnlyEnv(requirePythonTools(ctx));
    const result = await execa(process.execPath, [KIT_BIN, 'outputs'], {
      cwd: project,
      env,
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'lambda-kit: AWS region: no region in the environment or profile default. Fix: aws configure set region <region>',
    );
  });
});

describe('wrapWords', () => {
  const word = fc.stringMatching(/^[!-~≥✔]{1,30}$/);

  it('keeps every word whole and in order, and breaks only where the next word would not fit', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 40 }), fc.integer({ min: 1, max: 160 }), (words, width) => {
        const lines = wrapWords(words.join(' '), width);
        expect(lines.join(' ')).toBe(words.join(' '));
        for (const [i, line] of lines.entries()) {
          // Only a word longer than the width may overflow, alone on its line.
          if (line.length > width) expect(line).not.toContain(' ');
          const next = lines[i + 1]?.split(' ')[0];
          if (next !== undefined) expect(line.length + 1 + next.length).toBeGreaterThan(width);
        }
      }),
    );
  });
});

describe('the doctor table at a terminal', () => {
  const check = (tool: string, found: string, needed: string, fix: string): Check => ({
    id: 'sam',
    tool,
    found,
    needed,
    status: 'fail',
    problem: `${tool} is missing or too old for this project`,
    fix,
  });
  const checks: Check[] = [
    check('cargo-lambda', 'not found', '≥ 1.0', FIX.cargoLambdaInstall),
    check('zig', 'not found', '≥ 0.13 (cargo-lambda links with it)', FIX.zig),
    check('sam', 'not found', '≥ 1.99', FIX.samInstall),
    { id: 'node', tool: 'node', found: '20.20.2', needed: '≥ 20.12', status: 'ok' },
  ];

  for (const columns of [60, 80, 140]) {
    it(`wraps at word boundaries within ${columns} columns`, () => {
      const lines = stripVTControlCharacters(formatTable(checks, undefined, [], columns)).split('\n');
      for (const line of lines) {
        // A URL longer than the room left is the only thing allowed past the edge, alone.
        if (line.length > columns) expect(line.trim(), line).toMatch(/^\S+$/);
      }
      const tokens = new Set(lines.flatMap((line) => line.split(' ')));
      for (const fix of [FIX.cargoLambdaInstall, FIX.zig, FIX.samInstall]) {
        for (const part of fix.split(' ')) expect(tokens.has(part), `${part} (at ${columns} columns)`).toBe(true);
      }
    });
  }

  it('keeps one row per check where the terminal is wide enough', () => {
    const lines = stripVTControlCharacters(formatTable(checks, undefined, [], 140)).split('\n');
    expect(lines.filter((line) => /^ {2}[✔✖!–] {2}\S/.test(line))).toHaveLength(checks.length);
  });

  it('stays within 60 columns at a real 60-column terminal', async () => {
    // No tool at all on PATH: every check fails with its longest fix.
    const env = {
      PATH: '/usr/bin:/bin',
      HOME: root,
      NO_COLOR: '1',
      AWS_CONFIG_FILE: join(root, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(root, 'none'),
    };
    const command = `stty cols 60; exec '${process.execPath}' '${KIT_BIN}' doctor`;
    const session = spawnInPty(['sh', '-c', command], { cwd: project, env });
    expect(await session.exit).toBe(1);
    const screen = session.screen();
    expect(screen).toContain('fix: pip3 install aws-sam-cli');
    for (const line of screen.split(/\r?\n/)) {
      if (line.length > 60) expect(line.trim(), line).toMatch(/^\S+$/);
    }
  });
});
