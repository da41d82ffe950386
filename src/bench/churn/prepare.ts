/**
 * `lambda-kit bench --local`, the set-up: what each runtime needs to run here as in Lambda.
 *
 * - Rust: `cargo lambda build --release` for this machine's architecture (Lambda's own build
 *   may be for the other one).
 * - Node.js: twins/node copied to .lambda-kit/node with its production dependencies installed,
 *   so the user's folder stays as it is, then bundled by esbuild into .lambda-kit/node/bundle as
 *   `sam build` bundles it (template.yaml's BuildMethod: esbuild); run by this Node with a
 *   runtime client of ours.
 * - Python: a venv in .lambda-kit/python with twins/python/requirements.txt and moto (the
 *   realistic SQS); twins/python runs from where it is, with a runtime client of ours.
 *
 * The installs are skipped while their inputs are unchanged (a stamp of their hash).
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../errors.js';
import { hostArchitecture } from '../../project/binary.js';
import { parseCfnYaml } from '../../project/cfn-yaml.js';
import type { LambdaFunction, Project } from '../../project/project.js';
import { cargoLambdaArtifacts, cargoLambdaPlan, runBuild } from '../../tools/build.js';
import { sharedBuildEnvironment } from '../../tools/cargo-cache.js';
import { runTool, succeeded, type ToolRun } from '../../tools/run-tool.js';
import { rustcVersion } from '../../tools/versions.js';
import { FUNCTION_IDS, RUNTIMES, type Runtime } from './figures.js';
import type { LocalRuntime } from './local.js';
import { bundleWithEsbuild, esbuildOptions } from './node-bundle.js';

/** moto as scripts/python-requirements.txt pins it for this repository's tests. */
export const MOTO_REQUIREMENT = 'moto[server]==5.2.5';

const NODE_RUNTIME = fileURLToPath(new URL('../runtimes/node-runtime.js', import.meta.url));
const PYTHON_RUNTIME = fileURLToPath(new URL('../runtimes/python_runtime.py', import.meta.url));

export interface Prepared {
  runtimes: LocalRuntime[];
  /** The venv's bin directory: python, moto_server. */
  venvBin: string;
}

export interface PrepareOptions {
  onLine(line: string): void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/** The project's three functions, by runtime; a clear error for a project without twins. */
export function benchFunctions(project: Project): Record<Runtime, LambdaFunction> {
  const found = Object.fromEntries(
    RUNTIMES.map((runtime) => [runtime, project.functions.find((f) => f.logicalId === FUNCTION_IDS[runtime])]),
  );
  const missing = RUNTIMES.filter((runtime) => !found[runtime]).map((runtime) => FUNCTION_IDS[runtime]);
  if (missing.length > 0) {
    throw new UserError(
      `lambda-kit bench compares the Rust function with its Node.js and Python twins, and template.yaml has no ${missing.join(' or ')}.`,
      {
        hint: 'Create a project that has them with: create-fast-lambda --example churn',
      },
    );
  }
  return found as Record<Runtime, LambdaFunction>;
}

export async function prepareLocal(project: Project, options: PrepareOptions): Promise<Prepared> {
  const env = options.env ?? process.env;
  const host = hostArchitecture();
  if (process.platform !== 'linux' || !host) {
    throw new UserError('lambda-kit bench --local runs the Lambda binaries themselves, so it needs Linux on x86_64 or arm64.', {
      hint: 'Use --remote to measure the deployed functions.',
    });
  }
  const fns = benchFunctions(project);
  const venvBin = await pythonVenv(project, fns.python, options, env);
  const node = await stageNode(project, fns.node, options, env);
  const rust = await buildRust(fns.rust, host, options, env);
  const python = succeeded(await runTool(join(venvBin, 'python'), ['--version'], { env }))?.trim();
  return {
    venvBin,
    runtimes: [
      { runtime: 'rust', version: rust.version, fn: fns.rust, command: rust.binary, args: [], taskRoot: join(rust.binary, '..') },
      {
        runtime: 'node',
        version: `node ${process.version}`,
        fn: fns.node,
        command: process.execPath,
        args: [NODE_RUNTIME],
        taskRoot: node,
      },
      {
        runtime: 'python',
        version: python || 'python',
        fn: fns.python,
        command: join(venvBin, 'python'),
        args: [PYTHON_RUNTIME],
        taskRoot: fns.python.codeDir,
        // Lambda's /var/task is read-only: the handler's module compiles on every cold start.
        extraEnv: { PYTHONDONTWRITEBYTECODE: '1' },
      },
    ],
  };
}

async function buildRust(
  fn: LambdaFunction,
  host: 'arm64' | 'x86_64',
  options: PrepareOptions,
  env: NodeJS.ProcessEnv,
): Promise<{ binary: string; version: string }> {
  const plan = cargoLambdaPlan({ ...fn, architecture: host }, { debug: false });
  options.onLine(`rust: ${plan.title}`);
  // The same shared build directory as lambda-kit build, so the bench compiles no dependency a build already did.
  const shared = await sharedBuildEnvironment(fn.codeDir, env);
  if (shared.message) options.onLine(`rust: ${shared.message}`);
  const run = await runBuild(
    plan,
    (line) => options.onLine(`  ${line}`),
    { ...env, ...shared.env, CARGO_TERM_COLOR: 'never' },
    { signal: options.signal },
  );
  if (options.signal?.aborted) throw options.signal.reason;
  if (run.exitCode !== 0) {
    const last = run.lines.filter((line) => /error/i.test(line)).at(-1) ?? run.lines.at(-1) ?? '';
    throw new UserError(`${plan.title} failed: ${last.trim()}`);
  }
  const [binary] = await cargoLambdaArtifacts(fn, env);
  if (!binary || !(await exists(binary))) throw new UserError(`${plan.title} left no bootstrap binary behind`);
  const rustc = rustcVersion(succeeded(await runTool('rustc', ['-vV'], { env })) ?? '');
  return { binary, version: rustc ? `rustc ${rustc.text}` : 'rustc' };
}

/**
 * twins/node as Lambda would unpack it: with `BuildMethod: esbuild` (as the example has it) the
 * bundle in .lambda-kit/node/bundle, else the folder with its dependencies, in .lambda-kit/node.
 */
async function stageNode(project: Project, fn: LambdaFunction, options: PrepareOptions, env: NodeJS.ProcessEnv): Promise<string> {
  const stage = join(project.dir, '.lambda-kit', 'node');
  await mkdir(stage, { recursive: true });
  const sources = (await readdir(fn.codeDir)).filter((name) => name !== 'node_modules');
  for (const name of sources) await cp(join(fn.codeDir, name), join(stage, name), { recursive: true, force: true });

  const manifest = await hashFiles(
    sources.filter((name) => name === 'package.json' || name === 'package-lock.json').map((name) => join(fn.codeDir, name)),
  );
  if (!(await stampMatches(stage, manifest))) {
    options.onLine("node: installing the twin's production dependencies (npm)");
    const lock = sources.includes('package-lock.json');
    const args = lock
      ? ['ci', '--omit=dev', '--no-audit', '--no-fund']
      : ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock'];
    must(await runTool('npm', args, { cwd: stage, env, timeoutMs: 600_000 }), `npm ${args[0]} for the Node.js twin`);
    await writeStamp(stage, manifest);
  }
  if (fn.buildMethod !== 'esbuild') return stage;

  const template = parseCfnYaml(await readFile(project.templatePath, 'utf8')) as {
    Resources?: Record<string, { Metadata?: { BuildProperties?: unknown } }>;
  };
  const bundle = join(stage, 'bundle');
  // A bundle from an earlier run must not linger beside a new one with other names.
  await rm(bundle, { recursive: true, force: true });
  options.onLine('node: bundling the twin with esbuild, as sam build does');
  await bundleWithEsbuild(esbuildOptions(fn.logicalId, template.Resources?.[fn.logicalId]?.Metadata?.BuildProperties, stage, bundle));
  return bundle;
}

/**
 * The venv the Python twin and moto run from: LAMBDA_KIT_BENCH_VENV names one to use as it is
 * (it must have boto3 and moto_server), else .lambda-kit/python, created and kept up to date.
 */
async function pythonVenv(project: Project, fn: LambdaFunction, options: PrepareOptions, env: NodeJS.ProcessEnv): Promise<string> {
  const given = env.LAMBDA_KIT_BENCH_VENV;
  const dir = given ?? join(project.dir, '.lambda-kit', 'python');
  const bin = join(dir, 'bin');
  if (given) {
    if (!(await exists(join(bin, 'moto_server'))))
      throw new UserError(
        `LAMBDA_KIT_BENCH_VENV=${given} has no bin/moto_server: install ${MOTO_REQUIREMENT} and boto3 in it, or unset it`,
      );
    return bin;
  }
  const requirements = join(fn.codeDir, 'requirements.txt');
  const wanted = `${await hashFiles([requirements])}\n${MOTO_REQUIREMENT}`;
  if (await stampMatches(dir, wanted)) return bin;

  options.onLine(`python: creating ${join('.lambda-kit', 'python')} with the twin's requirements and ${MOTO_REQUIREMENT}`);
  const python = env.PYTHON ?? 'python3';
  await rm(dir, { recursive: true, force: true });
  const created = await runTool(python, ['-m', 'venv', dir], { env, timeoutMs: 120_000 });
  if (!created.found)
    throw new UserError(`${python} ${created.reason}: the Python twin and moto need Python 3.`, {
      hint: 'Install Python 3, or set PYTHON to one.',
    });
  must(created, `${python} -m venv`);
  const args = ['install', '--disable-pip-version-check', '--quiet', '-r', requirements, MOTO_REQUIREMENT];
  must(await runTool(join(bin, 'pip'), args, { env, timeoutMs: 900_000 }), 'pip install for the Python twin');
  await writeStamp(dir, wanted);
  return bin;
}

async function hashFiles(paths: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const path of paths) hash.update(path).update(await readFile(path).catch(() => Buffer.alloc(0)));
  return hash.digest('hex');
}

const STAMP = '.lambda-kit-stamp';

async function stampMatches(dir: string, value: string): Promise<boolean> {
  return (await readFile(join(dir, STAMP), 'utf8').catch(() => undefined)) === value;
}

async function writeStamp(dir: string, value: string): Promise<void> {
  await writeFile(join(dir, STAMP), value);
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** A set-up step that must have worked; its last line of output says why when it did not. */
function must(run: ToolRun, what: string): void {
  if (!run.found) throw new UserError(`${what}: ${run.reason}`);
  if (run.exitCode !== 0) throw new UserError(`${what} failed: ${(run.stderr || run.stdout).trim().split('\n').at(-1)?.trim() ?? ''}`);
}
