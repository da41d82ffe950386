/**
 * `sam deploy`, planned (pure: which flags, from where) apart from being run. It runs with stdin
 * closed and never stops to ask: `--no-confirm-changeset`, and an empty change set is a success.
 * Its output goes to a log file, not the screen: lambda-kit shows the stack's events instead.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runBuild, type BuildPlan } from './build.js';

export interface SamDeployOptions {
  projectDir: string;
  stackName: string;
  region: string | undefined;
  profile: string | undefined;
  /** `Key=Value` pairs, passed through as given. */
  parameterOverrides: string[];
  env: NodeJS.ProcessEnv;
}

export function samDeployPlan(options: SamDeployOptions): BuildPlan {
  const args = [
    'deploy',
    '--stack-name',
    options.stackName,
    ...(options.region ? ['--region', options.region] : []),
    ...(options.profile ? ['--profile', options.profile] : []),
    '--no-confirm-changeset',
    '--no-fail-on-empty-changeset',
    ...(options.parameterOverrides.length ? ['--parameter-overrides', ...options.parameterOverrides] : []),
  ];
  return {
    command: 'sam',
    args,
    cwd: options.projectDir,
    // sam asks nothing once telemetry is decided; a person's own choice stands.
    env: { SAM_CLI_TELEMETRY: options.env.SAM_CLI_TELEMETRY ?? '0' },
    title: `sam ${args.join(' ')}`,
  };
}

/** `sam deploy --guided`: sam asks its questions at the person's own terminal. */
export function samGuidedPlan(options: Pick<SamDeployOptions, 'projectDir' | 'region' | 'profile' | 'env'>): BuildPlan {
  const args = ['deploy', '--guided', ...(options.region ? ['--region', options.region] : []), ...(options.profile ? ['--profile', options.profile] : [])];
  return { command: 'sam', args, cwd: options.projectDir, env: { SAM_CLI_TELEMETRY: options.env.SAM_CLI_TELEMETRY ?? '0' }, title: `sam ${args.join(' ')}` };
}

/** Runs `sam deploy --guided` attached to this terminal; resolves with sam's exit code. */
export async function runSamGuided(plan: BuildPlan): Promise<number | undefined> {
  const { execa } = await import('execa');
  const run = await execa(plan.command, plan.args, { cwd: plan.cwd, env: { ...process.env, ...plan.env }, stdio: 'inherit', reject: false });
  return run.exitCode;
}

export interface SamDeployRun {
  exitCode: number | undefined;
  /** All sam printed, as in the log file. */
  output: string;
}

/** Runs the plan, its output into `logPath`; `signal` stops sam (and what it started). */
export async function runSamDeploy(plan: BuildPlan, logPath: string, signal?: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<SamDeployRun> {
  await mkdir(dirname(logPath), { recursive: true });
  const log = createWriteStream(logPath);
  log.write(`$ ${plan.title}\n`);
  try {
    const run = await runBuild(plan, (line) => log.write(`${line}\n`), env, { signal });
    return { exitCode: run.exitCode, output: run.lines.join('\n') };
  } finally {
    await new Promise((resolve) => log.end(resolve));
  }
}

/** sam's words for a change set with nothing in it. */
export function samFoundNoChanges(output: string): boolean {
  return /No changes to deploy|didn't contain changes|No updates are to be performed/i.test(output);
}
