/**
 * Building a function: `sam build`, or `cargo lambda build` directly. A build is planned (which
 * command, which flags, which environment: pure) apart from being run (spawned, its output
 * streamed line by line), and the artifact is found afterwards where the tool puts it.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import type { LambdaFunction } from '../project/project.js';
import { arch } from '../scaffold/catalog.js';
import { runTool, succeeded } from './run-tool.js';

export interface BuildPlan {
  command: string;
  args: string[];
  cwd: string;
  /** Set on top of the caller's environment. */
  env: Record<string, string>;
  /** How the build is named to people, e.g. `sam build` or `cargo lambda build --release --arm64`. */
  title: string;
}

export interface SamBuildOptions {
  projectDir: string;
  /** Build this function only; all of them when undefined. */
  logicalId: string | undefined;
  /** SAM CLI before 1.156 treats rust-cargolambda as a beta feature and would ask to confirm. */
  betaFeatures: boolean;
  /** A debug (unoptimised) build: quicker to make, for trying things out. */
  debug: boolean;
  env: NodeJS.ProcessEnv;
}

export function samBuildPlan(options: SamBuildOptions): BuildPlan {
  const args = ['build', ...(options.betaFeatures ? ['--beta-features'] : []), ...(options.logicalId ? [options.logicalId] : [])];
  return {
    command: 'sam',
    args,
    cwd: options.projectDir,
    env: {
      // sam asks nothing once telemetry is decided; a person's own choice stands.
      SAM_CLI_TELEMETRY: options.env.SAM_CLI_TELEMETRY ?? '0',
      // sam's switch for `cargo lambda build` without --release.
      ...(options.debug && { SAM_BUILD_MODE: 'debug' }),
    },
    title: `sam ${args.join(' ')}`,
  };
}

export function cargoLambdaPlan(fn: LambdaFunction, options: { debug: boolean }): BuildPlan {
  const args = ['lambda', 'build', ...(options.debug ? [] : ['--release']), arch(fn.architecture).cargoLambdaFlag];
  return { command: 'cargo', args, cwd: fn.codeDir, env: {}, title: `cargo ${args.join(' ')}` };
}

/** `rustup target add`, in the project so that its rust-toolchain.toml picks the toolchain. */
export function rustTargetPlan(target: string, projectDir: string): BuildPlan {
  const args = ['target', 'add', target];
  return { command: 'rustup', args, cwd: projectDir, env: {}, title: `rustup ${args.join(' ')}` };
}

export interface BuildRun {
  exitCode: number | undefined;
  /** Every line the build printed, stdout and stderr interleaved as they came. */
  lines: string[];
}

export interface RunBuildOptions {
  /**
   * Stops the build: the tool and everything it started (cargo's rustc and linker processes).
   * With a signal the build runs in a process group of its own, so a Ctrl-C at the terminal
   * reaches only the caller, which aborts; without one it shares the caller's, as usual.
   */
  signal?: AbortSignal;
}

/** Runs the plan with stdin closed, handing each output line to `onLine` as it arrives. */
export async function runBuild(
  plan: BuildPlan,
  onLine: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  options: RunBuildOptions = {},
): Promise<BuildRun> {
  const lines: string[] = [];
  const { signal } = options;
  const child = execa(plan.command, plan.args, {
    cwd: plan.cwd,
    env: { ...env, ...plan.env },
    extendEnv: false,
    // A subprocess that wants to ask something reads end-of-file and goes on (or fails) at once.
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
    detached: signal !== undefined,
  });
  let killer: NodeJS.Timeout | undefined;
  const stop = () => {
    killGroup(child.pid, 'SIGTERM');
    killer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 3000).unref();
  };
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const line of child.iterable({ from: 'all' })) {
      lines.push(line);
      onLine(line);
    }
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  const result = await child;
  clearTimeout(killer);
  if (result.code === 'ENOENT') throw new UserError(`${plan.command} not found.`, { hint: 'Run lambda-kit doctor.' });
  return { exitCode: result.exitCode, lines };
}

/** Signals a process group (a detached child's pid is its group's id); one already gone is fine. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already ended
  }
}

/** Where `sam build` leaves a function's binary. */
export function samArtifact(projectDir: string, logicalId: string): string {
  return join(projectDir, '.aws-sam', 'build', logicalId, 'bootstrap');
}

interface CargoMetadata {
  target_directory: string;
  packages: { manifest_path: string; targets: { name: string; kind: string[] }[] }[];
}

/** cargo metadata's JSON, if that is what it printed (a wrapper or a broken cargo may print anything). */
function parseCargoMetadata(stdout: string): CargoMetadata | undefined {
  try {
    const metadata = JSON.parse(stdout) as Partial<CargoMetadata> | null;
    if (typeof metadata?.target_directory !== 'string' || !Array.isArray(metadata.packages)) return undefined;
    const wellFormed = metadata.packages.every(
      (p) => typeof p?.manifest_path === 'string' && Array.isArray(p.targets) && p.targets.every((t) => Array.isArray(t?.kind)),
    );
    return wellFormed ? (metadata as CargoMetadata) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where `cargo lambda build` left the crate's binaries: `<target dir>/lambda/<bin>/bootstrap`,
 * the target directory as cargo resolves it (CARGO_TARGET_DIR and .cargo/config.toml included).
 */
export async function cargoLambdaArtifacts(fn: LambdaFunction, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const run = await runTool('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: fn.codeDir, env });
  const stdout = succeeded(run);
  if (!stdout) throw new UserError(`cargo metadata failed in ${fn.codeDir}, so the built binary cannot be located.`);
  const metadata = parseCargoMetadata(stdout);
  if (!metadata)
    throw new UserError(`cargo metadata in ${fn.codeDir} printed something other than its JSON, so the built binary cannot be located.`);
  const manifest = join(fn.codeDir, 'Cargo.toml');
  const crate = metadata.packages.find((p) => p.manifest_path === manifest) ?? metadata.packages[0];
  const bins = (crate?.targets ?? []).filter((t) => t.kind.includes('bin')).map((t) => t.name);
  return bins.map((bin) => join(metadata.target_directory, 'lambda', bin, 'bootstrap'));
}
