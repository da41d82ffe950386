/**
 * npm run bench:phases for real: the built script (npm run build) bundles the Node.js probe,
 * runs both probes twice against the zero-latency responder, and gives every phase a time; bad
 * flags and a venv without Python are one line and the right exit code.
 */
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PHASES } from '../src/bench/cold-phases/phases.js';
import { ROOT, tempDir } from './support/cli.js';

const BENCH = join(ROOT, 'dist/bench/cold-phases.js');

const runBench = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execa(process.execPath, [BENCH, ...args], { cwd: ROOT, env, reject: false, stdin: 'ignore', timeout: 120_000 });

interface Times {
  cpu: number;
  wall: number;
}

describe('npm run bench:phases', () => {
  it('gives every phase of both twins a finite CPU and wall time ≥ 0, with the machine load', { timeout: 150_000 }, async () => {
    const result = await runBench(['--runs', '2', '--json']);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as {
      runs: number;
      load: { loadavgBefore: unknown; wallMs: number };
      runtimes: Record<
        string,
        { version: string; runs: unknown[]; medians: { phases: Record<string, Times>; whole: Times; runs: number } }
      >;
    };
    expect(report.runs).toBe(2);
    expect(report.load.wallMs).toBeGreaterThan(0);
    expect(Object.keys(report.runtimes).sort()).toEqual(['node', 'python']);
    for (const [runtime, { version, runs, medians }] of Object.entries(report.runtimes)) {
      expect(version, runtime).toMatch(runtime === 'node' ? /^Node v\d+/ : /^Python 3\.\d+.*, boto3 \d/);
      expect(runs).toHaveLength(2);
      expect(medians.runs).toBe(2);
      for (const { key } of PHASES) {
        for (const field of ['cpu', 'wall'] as const) {
          const value = medians.phases[key]![field];
          expect(Number.isFinite(value) && value >= 0, `${runtime} ${key} ${field}: ${value}`).toBe(true);
        }
      }
      // Loading the SDK is real work in both runtimes: a probe that skipped it would show 0.
      expect(medians.phases.sdkImported!.cpu, runtime).toBeGreaterThan(1);
      expect(medians.whole.wall, runtime).toBeGreaterThan(medians.phases.start!.wall);
    }
  });

  it('prints the table as the README has it, and the load line', { timeout: 150_000 }, async () => {
    const result = await runBench(['--runs', '1']);
    expect(result.exitCode).toBe(0);
    for (const { label } of PHASES) expect(result.stdout).toContain(`| ${label} | `);
    expect(result.stdout).toMatch(/^\| phase \(median CPU \/ wall\) \| Node\.js \(bundled by esbuild\) \| Python \(boto3\) \|$/m);
    expect(result.stdout).toMatch(/^load average [\d.?]+ → [\d.?]+; /m);
  });

  it('refuses a bad --runs with one line and exit 2, before running anything', async () => {
    for (const runs of ['0', 'many', '-3', '2.5']) {
      const result = await runBench([`--runs=${runs}`]);
      expect(result.exitCode, runs).toBe(2);
      expect(result.stderr.trim().split('\n'), runs).toEqual([expect.stringMatching(/^bench:phases: --runs must be a whole number ≥ 1/)]);
      expect(result.stdout).toBe('');
    }
  });

  it('names the venv it could not find a Python in, in one line, exit 1', async () => {
    const empty = await tempDir('cfl-phases-venv-');
    const result = await runBench(['--runs', '1'], { ...process.env, LAMBDA_KIT_BENCH_VENV: empty });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `bench:phases: ${join(empty, 'bin', 'python')} does not exist: the Python probe needs a venv with boto3. Point LAMBDA_KIT_BENCH_VENV at one, or unset it.`,
    ]);
  });

  it('stops a probe that hangs at --timeout, kills it, and fails in one line, exit 1', { timeout: 60_000 }, async () => {
    // A Python that answers the version query, then never finishes its cold start.
    const venv = await tempDir('cfl-phases-hung-');
    await mkdir(join(venv, 'bin'));
    const python = join(venv, 'bin', 'python');
    await writeFile(
      python,
      `#!/bin/sh\nif [ "$1" = "-c" ]; then echo "Python 3.0.0, boto3 0"; exit 0; fi\necho $$ > "$(dirname "$0")/pid"\nexec sleep 300\n`,
    );
    await chmod(python, 0o755);
    const started = performance.now();
    const result = await runBench(['--runs', '1', '--timeout', '2'], { ...process.env, LAMBDA_KIT_BENCH_VENV: venv });
    const seconds = (performance.now() - started) / 1000;
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'bench:phases: the Python (boto3) probe did not finish within 2 s, and was stopped',
    );
    expect(result.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(seconds).toBeLessThan(30);
    const pid = Number(await readFile(join(venv, 'bin', 'pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('on Ctrl-C mid-run stops the probe and the responder, removes its temporary files, and exits 130 in one line', {
    timeout: 90_000,
  }, async () => {
    const tmp = await tempDir('cfl-phases-tmp-');
    const bench = execa(process.execPath, [BENCH, '--runs', '500'], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp },
      reject: false,
      stdin: 'ignore',
      timeout: 80_000,
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no third run within 60 s: ${stderr}`)), 60_000);
      bench.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('run 3 of 500')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(await readdir(tmp)).toEqual([expect.stringMatching(/^cfl-bench-phases-/)]);
    const interrupted = performance.now();
    bench.kill('SIGINT');
    const result = await bench;
    expect(performance.now() - interrupted).toBeLessThan(10_000);
    expect(result.exitCode).toBe(130);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n').at(-1)).toBe('bench:phases: interrupted by SIGINT');
    expect(result.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(await readdir(tmp)).toEqual([]);
  });
});
