/**
 * npm run bench:phases [-- --runs 20 --json]
 *
 * Where the twins' cold starts go, phase by phase (the README's table of the churn bench): a
 * probe per runtime does what the twin's init does, then two requests to the zero-latency SQS
 * responder, and prints the CPU and wall time it had reached at each phase's end. The Node.js
 * probe is bundled with esbuild from the churn example's own BuildProperties for its twin, as
 * sam build bundles the twin; the Python probe runs in the venv that holds the twin's boto3.
 * The probes run in turns (Node.js, Python, Node.js, ...), so a burst of load slows both alike,
 * and the machine's load over the runs is printed with the medians.
 *
 * A development script, run from a clone: it reads its probes from src/bench/cold-phases/ and
 * the project's .venv (or LAMBDA_KIT_BENCH_VENV); it is left out of the published package.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseCommandFlags } from '../command-line.js';
import { EXIT, UserError, reportError } from '../errors.js';
import { parseCfnYaml } from '../project/cfn-yaml.js';
import { renderProject } from '../scaffold/render.js';
import { resolveSpec } from '../scaffold/spec.js';
import { awsEnv } from '../tools/moto.js';
import { FUNCTION_IDS } from './churn/figures.js';
import { bundleWithEsbuild, esbuildOptions } from './churn/node-bundle.js';
import { formatPhaseTable, phaseMedians, readMarks, type Marks } from './cold-phases/phases.js';
import { parseCount } from './function-report.js';
import { describeLoad, machineLoadSince, readMachine } from './machine-load.js';
import { startSqsResponder } from './sqs-responder.js';

const PROGRAM = 'bench:phases';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROBES = join(ROOT, 'src', 'bench', 'cold-phases');
/** A cold start takes well under a second; a probe still running after this long is hung. */
const DEFAULT_TIMEOUT_SECONDS = 30;

const OPTIONS = {
  runs: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Measure where the Node.js and Python twins' cold starts go, phase by phase.

Usage: npm run bench:phases [-- options]

Options:
  --runs <n>       cold starts of each probe, in turns (default 20)
  --timeout <s>    a probe still running after this many seconds is stopped, and the bench fails (default ${DEFAULT_TIMEOUT_SECONDS})
  --json           print every run's marks and the medians as JSON
  -h, --help       show this help

Python comes from LAMBDA_KIT_BENCH_VENV (a venv with boto3), else this clone's .venv.
Progress goes to stderr; the table (or the JSON) to stdout.
`;

const execFileAsync = promisify(execFile);

interface Probe {
  name: 'node' | 'python';
  title: string;
  command: string;
  args: string[];
  version: string;
}

/** The Node.js probe bundled as the churn example's template bundles its twin, into `outDir`. */
async function bundleNodeProbe(outDir: string): Promise<string> {
  const files = renderProject(resolveSpec({ name: 'churn', example: 'churn' }));
  const template = parseCfnYaml(files.get('template.yaml')!) as {
    Resources: Record<string, { Metadata?: { BuildProperties?: Record<string, unknown> } }>;
  };
  const twin = template.Resources[FUNCTION_IDS.node]?.Metadata?.BuildProperties;
  await bundleWithEsbuild(esbuildOptions(FUNCTION_IDS.node, { ...twin, EntryPoints: ['node-probe.mjs'] }, PROBES, outDir));
  return join(outDir, 'node-probe.mjs');
}

function pythonFromVenv(): string {
  const given = process.env.LAMBDA_KIT_BENCH_VENV;
  const python = join(given ?? join(ROOT, '.venv'), 'bin', 'python');
  if (!existsSync(python)) {
    throw new UserError(`${python} does not exist: the Python probe needs a venv with boto3.`, {
      hint: given ? 'Point LAMBDA_KIT_BENCH_VENV at one, or unset it.' : 'Run scripts/python-tools.sh, or set LAMBDA_KIT_BENCH_VENV.',
    });
  }
  return python;
}

/** "Python 3.11.7, boto3 1.43.108"; a UserError when that Python cannot import boto3. */
async function pythonVersions(python: string, timeoutMs: number, signal: AbortSignal): Promise<string> {
  const query = 'import sys, boto3; print(f"Python {sys.version.split()[0]}, boto3 {boto3.__version__}")';
  try {
    return (await execFileAsync(python, ['-c', query], { timeout: timeoutMs, killSignal: 'SIGKILL', signal })).stdout.trim();
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const failed = error as { killed?: boolean; stderr?: string; message: string };
    const why = failed.killed
      ? `no answer within ${timeoutMs / 1000} s`
      : (failed.stderr?.trim().split('\n').at(-1) ?? failed.message.split('\n')[0]);
    throw new UserError(`${python} cannot import boto3 (${why}): the Python probe needs a venv with boto3.`);
  }
}

/** One cold start of `probe`: its marks, or a UserError saying why it gave none. */
async function runProbe(probe: Probe, env: NodeJS.ProcessEnv, timeoutMs: number, signal: AbortSignal): Promise<Marks> {
  let stdout: string;
  try {
    // Taken last before the spawn: the probe's wall times count from here.
    const spawnedAt = performance.timeOrigin + performance.now();
    ({ stdout } = await execFileAsync(probe.command, probe.args, {
      env: { ...env, PROBE_SPAWNED_AT: String(spawnedAt) },
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      signal,
    }));
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const failed = error as { killed?: boolean; stderr?: string; message: string };
    if (failed.killed) throw new UserError(`the ${probe.title} probe did not finish within ${timeoutMs / 1000} s, and was stopped`);
    const last = failed.stderr?.trim().split('\n').at(-1) ?? failed.message.split('\n')[0];
    throw new UserError(`the ${probe.title} probe failed: ${last}`);
  }
  const marks = readMarks(stdout);
  if ('problem' in marks) throw new UserError(`the ${probe.title} probe's output cannot be used: ${marks.problem}`);
  return marks;
}

async function main(args: string[], signal: AbortSignal): Promise<number> {
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;
  const runs = values.runs === undefined ? 20 : parseCount(values.runs, '--runs');
  const timeoutMs = (values.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : parseCount(values.timeout, '--timeout')) * 1000;
  const python = pythonFromVenv();
  const work = await mkdtemp(join(tmpdir(), 'cfl-bench-phases-'));
  const responder = await startSqsResponder({ record: false });
  try {
    process.stderr.write('bundling the Node.js probe with esbuild, as sam build bundles the twin\n');
    const nodeProbe = await bundleNodeProbe(work);
    const pythonVersion = await pythonVersions(python, timeoutMs, signal);
    const probes: Probe[] = [
      {
        name: 'node',
        title: 'Node.js (bundled by esbuild)',
        command: process.execPath,
        args: [nodeProbe],
        version: `Node ${process.version}`,
      },
      {
        name: 'python',
        title: 'Python (boto3)',
        command: python,
        args: [join(PROBES, 'python_probe.py')],
        version: pythonVersion,
      },
    ];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      // No profile files: credentials and region come from the environment, as in Lambda.
      HOME: work,
      ...awsEnv(responder.endpoint),
      QUEUE_URL: responder.queueUrl,
      AWS_LAMBDA_FUNCTION_NAME: 'probe',
      // Lambda's /var/task is read-only, as in the churn bench's Python runtime.
      PYTHONDONTWRITEBYTECODE: '1',
    };

    const samples: Record<Probe['name'], Marks[]> = { node: [], python: [] };
    const before = readMachine();
    const ownBefore = process.cpuUsage();
    let probesCpuMs = 0;
    for (let run = 1; run <= runs; run++) {
      process.stderr.write(`run ${run} of ${runs}\n`);
      for (const probe of probes) {
        const marks = await runProbe(probe, env, timeoutMs, signal);
        samples[probe.name].push(marks);
        probesCpuMs += marks.secondSend.cpu;
      }
    }
    const own = process.cpuUsage(ownBefore);
    const load = machineLoadSince(before, probesCpuMs + (own.user + own.system) / 1000);
    const columns = probes.map((probe) => ({ title: probe.title, medians: phaseMedians(samples[probe.name]) }));
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    if (values.json) {
      const runtimes = Object.fromEntries(
        probes.map((probe, i) => [probe.name, { version: probe.version, runs: samples[probe.name], medians: columns[i]!.medians }]),
      );
      process.stdout.write(`${JSON.stringify({ runs, at: when, load, runtimes }, null, 2)}\n`);
    } else {
      process.stdout.write(
        `Where each twin's cold start goes: medians of ${runs} runs of each, alternated, ${when} UTC (${probes.map((p) => p.version).join('; ')})\n\n`,
      );
      process.stdout.write(formatPhaseTable(columns));
      process.stdout.write(`\n${describeLoad(load)}\n`);
    }
    return EXIT.ok;
  } finally {
    await responder.close();
    await rm(work, { recursive: true, force: true });
  }
}

const controller = new AbortController();
for (const signalName of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signalName, () =>
    controller.abort(
      new UserError(`interrupted by ${signalName}`, {
        exitCode: signalName === 'SIGINT' ? EXIT.cancelled : signalName === 'SIGTERM' ? EXIT.terminated : EXIT.hangup,
      }),
    ),
  );
}

try {
  process.exitCode = await main(process.argv.slice(2), controller.signal);
} catch (error) {
  process.exitCode = reportError(PROGRAM, controller.signal.aborted ? controller.signal.reason : error);
}
