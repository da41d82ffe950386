/**
 * `lambda-kit bench --local`, end to end, with small numbers (correctness, not speed): a churn
 * project made by the real scaffolder, its Rust function built by cargo lambda --release, its
 * twins run by this Node and the test venv's Python, moto for the realistic sink. One project
 * serves every case, so the release build (LTO) happens once.
 */
import { rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostArchitecture } from '../src/project/binary.js';
import { CREATE_BIN, KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { CARGO_ENV, IN_CI, pythonTools, which } from './support/tools.js';

const tools = pythonTools();
const missing = 'problem' in tools ? `Python tools: ${tools.problem}` : !which('cargo') ? 'cargo is not on PATH' : undefined;
if (missing && IN_CI) throw new Error(`the bench tests need moto, cargo-lambda and cargo in CI: ${missing}`);
const VENV = 'bin' in tools ? join(tools.bin, '..') : '';

const ARCH = hostArchitecture() ?? 'x86_64';
/** The first release build compiles the SDK with LTO; on 2 cores that takes minutes. */
const FIRST_BENCH_TIMEOUT = 25 * 60_000;
const BENCH_TIMEOUT = 5 * 60_000;

let root: string;
let project: string;

beforeAll(async () => {
  if (missing) return;
  root = await tempDir('cfl-bench-');
  await execa(process.execPath, [CREATE_BIN, 'churn', '--example', 'churn', '--arch', ARCH, '--yes'], { cwd: root, stdin: 'ignore' });
  project = join(root, 'churn');
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function bench(args: string[], cwd = project) {
  return runBin(
    KIT_BIN,
    ['bench', ...args],
    cwd,
    userEnv({ ...CARGO_ENV, LAMBDA_KIT_BENCH_VENV: VENV, PATH: `${tools && 'bin' in tools ? tools.bin : ''}:${process.env.PATH}` }),
  );
}

interface Results {
  mode: string;
  records: number;
  runs: number;
  coldRuns: number;
  interleaved: boolean;
  cpuSource: string;
  load: { loadavgBefore: number[]; loadavgAfter: number[]; busyMs: number; othersShare: number };
  runtimes: {
    runtime: string;
    version: string;
    cold: { samplesMs: number[]; medianMs: number };
    coldCpu: { samplesMs: number[]; medianMs: number };
    warm: { samplesMs: number[]; medianMs: number; p95Ms: number };
    warmCpu: { samplesMs: number[]; medianMs: number };
    warmMoto: { samplesMs: number[] };
    init: { samplesMs: number[] };
    peakMemoryBytes: number;
  }[];
  goals: { what: string; target: number; ratio: number; met: boolean; verdict: string; spread?: { n: number; p25: number; p75: number } }[];
}

describe.skipIf(missing !== undefined)('lambda-kit bench --local', () => {
  it('measures the three runtimes on the same checked batch and writes results.json and chart.svg', {
    timeout: FIRST_BENCH_TIMEOUT,
  }, async () => {
    const run = await bench(['--local', '--records', '25', '--runs', '3']);
    expect(run.exitCode, run.stderr).toBe(0);

    // The table: a row per runtime, each twin's figures with its ratio to Rust.
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^25 records per batch; 3 cold starts and 3 warm batches per runtime, the runtimes taking turns; /);
    expect(lines[1]).toMatch(/^Rust: rustc \d+\.\d+\.\d+, Node\.js: node v\d+\.\d+\.\d+, Python: Python 3\.\d+\.\d+$/);
    expect(lines[2]).toBe("CPU: the function process's threads, from /proc (schedstat, ns) around each batch");
    expect(lines[3]).toMatch(
      /^While measuring: load average \d+\.\d\d → \d+\.\d\d; other processes used \d+ % of the CPU \(\d+\.\d s of \d+\.\d s\)$/,
    );
    const header = lines.find((line) => /^ +cold start/.test(line))!;
    expect(header).toMatch(
      /cold start +cold CPU +init +warm p50 \(zero-latency SQS\) +warm CPU p50 +warm p95 +warm p50 \(moto\) +peak memory/,
    );
    expect(lines.find((line) => line.startsWith('Rust '))).not.toContain('×');
    for (const twin of ['Node.js', 'Python']) {
      const row = lines.find((line) => line.startsWith(`${twin} `));
      expect(row, twin).toBeDefined();
      expect(row!.match(/\(\d+\.\d×\)/g), twin).toHaveLength(8);
    }
    // The goals, each met, missed by a stated factor, or within noise; the pairwise ones with their spread.
    expect(run.stdout).toMatch(
      /^[✓✗≈] cold start vs Node\.js: \d+\.\d× \(goal ≥ 10×; 3 rounds, quartiles \d+\.\d–\d+\.\d×, range \d+\.\d–\d+\.\d×\)/m,
    );
    expect(run.stdout).toMatch(/^[✓✗≈] CPU per warm batch vs Python: \d+\.\d× \(goal ≥ 10×; 3 rounds, /m);
    expect(run.stdout).toMatch(/^[✓✗] peak memory vs Node\.js: \d+\.\d× \(goal ≥ 3×\)/m);
    expect(run.stderr).toMatch(/wrote bench\/results\.json and chart\.svg/);

    const results = JSON.parse(await readFile(join(project, 'bench/results.json'), 'utf8')) as Results;
    expect(results).toMatchObject({ mode: 'local', records: 25, runs: 3, coldRuns: 3, interleaved: true, cpuSource: 'schedstat' });
    expect(results.load.loadavgBefore).toHaveLength(3);
    expect(results.load.busyMs).toBeGreaterThan(0);
    expect(results.runtimes.map((r) => r.runtime)).toEqual(['rust', 'node', 'python']);
    const [rust, node, python] = results.runtimes;
    for (const r of results.runtimes) {
      expect(r.coldCpu.samplesMs, r.runtime).toHaveLength(3);
      expect(r.warmCpu.samplesMs, r.runtime).toHaveLength(3);
      for (const ms of [...r.coldCpu.samplesMs, ...r.warmCpu.samplesMs]) expect(ms, r.runtime).toBeGreaterThan(0);
      // A process's CPU cannot outrun its wall time on more cores than the machine has.
      expect(r.coldCpu.medianMs, r.runtime).toBeLessThan(r.cold.medianMs * cpus().length);
    }
    // Importing boto3 and building its client takes Python far more CPU than Rust's whole cold start.
    expect(python!.coldCpu.medianMs).toBeGreaterThan(5 * rust!.coldCpu.medianMs);
    expect(node!.coldCpu.medianMs).toBeGreaterThan(rust!.coldCpu.medianMs);
    for (const r of results.runtimes) {
      expect(r.cold.samplesMs, r.runtime).toHaveLength(3);
      expect(r.init.samplesMs, r.runtime).toHaveLength(3);
      expect(r.warm.samplesMs, r.runtime).toHaveLength(3);
      expect(r.warmMoto.samplesMs, r.runtime).toHaveLength(3);
      // A cold start includes the init and the first batch.
      expect(Math.min(...r.cold.samplesMs), r.runtime).toBeGreaterThan(Math.min(...r.init.samplesMs));
      expect(r.peakMemoryBytes, r.runtime).toBeGreaterThan(1_000_000);
    }
    expect(results.goals.map((g) => g.what)).toEqual([
      'cold start vs Node.js',
      'cold start vs Python',
      'CPU per warm batch vs Node.js',
      'CPU per warm batch vs Python',
      'peak memory vs Node.js',
    ]);
    for (const goal of results.goals.slice(0, 4)) expect(goal.spread?.n, goal.what).toBe(3);

    const svg = await readFile(join(project, 'bench/chart.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<rect x=/g)).toHaveLength(12);
    expect(svg).toContain('Cold start (median)');
    expect(svg).toContain('CPU per warm batch (median)');

    // The user's folders are as they were: the Node.js twin ran from a staged copy, bundled as
    // sam build bundles it (one minified file, the model inside).
    expect(await readFile(join(project, 'twins/node/index.mjs'), 'utf8')).toContain('export const handler');
    const bundle = await readFile(join(project, '.lambda-kit/node/bundle/index.mjs'), 'utf8');
    expect(bundle).not.toContain('Init once');
    expect(bundle).toContain(JSON.parse(await readFile(join(project, 'model.json'), 'utf8')).version);
    await expect(readFile(join(project, 'twins/node/node_modules/.package-lock.json'))).rejects.toThrow();
  });

  it('prints the figures as JSON with --json', { timeout: BENCH_TIMEOUT }, async () => {
    const run = await bench(['--records', '10', '--runs', '1', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as Results;
    expect(results).toMatchObject({ mode: 'local', records: 10, runs: 1 });
    expect(results.runtimes).toHaveLength(3);
  });

  it('stops with the twin that disagrees with the model, and writes no results', { timeout: BENCH_TIMEOUT }, async () => {
    const index = join(project, 'twins/node/index.mjs');
    const original = await readFile(index, 'utf8');
    await rmResults();
    // A twin that rounds its probabilities differs from the model by more than 1e-9.
    const drifted = original.replace(
      'const probability = 1 / (1 + exp(-z));',
      'const probability = Math.round(1000 / (1 + exp(-z))) / 1000;',
    );
    expect(drifted).not.toBe(original);
    await writeFile(index, drifted);
    try {
      const run = await bench(['--records', '10', '--runs', '1']);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(/^lambda-kit: node: its SQS messages differ from the model's predictions: message \d+: probability /m);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      await expect(readFile(join(project, 'bench/results.json'))).rejects.toThrow();
    } finally {
      await writeFile(index, original);
    }
  });

  it('refuses bad options with exit 2 and a project without twins with exit 1', async () => {
    for (const [args, message] of [
      [['--records', '0'], "--records must be a whole number from 1 to 5000, not '0'."],
      [['--runs', 'many'], "--runs must be a whole number from 1 to 1000, not 'many'."],
      [['--local', '--remote'], '--local and --remote exclude each other.'],
      [['--invocations', '5'], '--invocations applies to --remote only.'],
      [['--remote', '--runs', '5'], '--runs applies to --local; use --invocations with --remote.'],
    ] as const) {
      const run = await bench([...args]);
      expect({ code: run.exitCode, stderr: run.stderr.trim() }, args.join(' ')).toEqual({
        code: 2,
        stderr: expect.stringContaining(message),
      });
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    await execa(process.execPath, [CREATE_BIN, 'plain', '--trigger', 'kinesis', '--yes'], { cwd: root, stdin: 'ignore' });
    const plain = await bench([], join(root, 'plain'));
    expect(plain.exitCode).toBe(1);
    expect(plain.stderr.trim()).toBe(
      'lambda-kit: no model.json in the project: lambda-kit bench measures the churn example. Create one with: create-fast-lambda --example churn',
    );
  });
});

async function rmResults(): Promise<void> {
  rmSync(join(project, 'bench'), { recursive: true, force: true });
}
