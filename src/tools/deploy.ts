/**
 * `sam deploy`, planned (pure: which flags, from where) apart from being run. It runs with stdin
 * closed and never stops to ask: `--no-confirm-changeset`, and an empty change set is a success.
 * Its output goes to a log file, not the screen: lambda-kit shows the stack's events instead.
 * The values of secret parameters (NoEcho, or named like DbPassword) never reach either.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseCfnYaml } from '../project/cfn-yaml.js';
import { maskParameterOverrides, maskSecrets } from '../text/secret-masking.js';
import { runBuild, type BuildPlan } from './build.js';

export interface SamDeployOptions {
  projectDir: string;
  stackName: string;
  region: string | undefined;
  profile: string | undefined;
  /** `Key=Value` pairs, passed through as given. */
  parameterOverrides: string[];
  /** The template's NoEcho parameters, whose values are masked in the title and the log. */
  noEchoParameters?: ReadonlySet<string>;
  env: NodeJS.ProcessEnv;
}

export interface SamDeployPlan extends BuildPlan {
  /** Secret values given on the command line, masked wherever sam's output is kept or shown. */
  secrets: string[];
}

/** The names of template.yaml's parameters with `NoEcho: true`; none when it does not parse. */
export function noEchoParameters(templateText: string): Set<string> {
  let template: unknown;
  try {
    template = parseCfnYaml(templateText);
  } catch {
    return new Set();
  }
  const parameters = (template as { Parameters?: unknown } | null)?.Parameters;
  if (typeof parameters !== 'object' || parameters === null) return new Set();
  return new Set(
    Object.entries(parameters as Record<string, unknown>)
      .filter(([, p]) => {
        const noEcho = (p as { NoEcho?: unknown } | null)?.NoEcho;
        return noEcho === true || (typeof noEcho === 'string' && noEcho.toLowerCase() === 'true');
      })
      .map(([name]) => name),
  );
}

export function samDeployPlan(options: SamDeployOptions): SamDeployPlan {
  const masked = maskParameterOverrides(options.parameterOverrides, options.noEchoParameters ?? new Set());
  const args = [
    'deploy',
    '--stack-name',
    options.stackName,
    ...(options.region ? ['--region', options.region] : []),
    ...(options.profile ? ['--profile', options.profile] : []),
    '--no-confirm-changeset',
    '--no-fail-on-empty-changeset',
  ];
  const overrides = (values: string[]) => (values.length ? ['--parameter-overrides', ...values] : []);
  return {
    command: 'sam',
    args: [...args, ...overrides(options.parameterOverrides)],
    cwd: options.projectDir,
    // sam asks nothing once telemetry is decided; a person's own choice stands.
    env: { SAM_CLI_TELEMETRY: options.env.SAM_CLI_TELEMETRY ?? '0' },
    title: `sam ${[...args, ...overrides(masked.shown)].join(' ')}`,
    secrets: masked.secrets,
  };
}

/** `sam deploy --guided`: sam asks its questions at the person's own terminal. */
export function samGuidedPlan(options: Pick<SamDeployOptions, 'projectDir' | 'region' | 'profile' | 'env'>): BuildPlan {
  const args = [
    'deploy',
    '--guided',
    ...(options.region ? ['--region', options.region] : []),
    ...(options.profile ? ['--profile', options.profile] : []),
  ];
  return {
    command: 'sam',
    args,
    cwd: options.projectDir,
    env: { SAM_CLI_TELEMETRY: options.env.SAM_CLI_TELEMETRY ?? '0' },
    title: `sam ${args.join(' ')}`,
  };
}

/** Runs `sam deploy --guided` attached to this terminal; resolves with sam's exit code. */
export async function runSamGuided(plan: BuildPlan): Promise<number | undefined> {
  const { execa } = await import('execa');
  const run = await execa(plan.command, plan.args, {
    cwd: plan.cwd,
    env: { ...process.env, ...plan.env },
    stdio: 'inherit',
    reject: false,
  });
  return run.exitCode;
}

export interface SamDeployRun {
  exitCode: number | undefined;
  /** All sam printed, as in the log file. */
  output: string;
}

/** Runs the plan, its output into `logPath`; `signal` stops sam (and what it started). */
export async function runSamDeploy(
  plan: SamDeployPlan,
  logPath: string,
  signal?: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SamDeployRun> {
  await mkdir(dirname(logPath), { recursive: true });
  const log = createWriteStream(logPath);
  log.write(`$ ${plan.title}\n`);
  try {
    // sam echoes parameter overrides in places (its own masking covers NoEcho only).
    const run = await runBuild(plan, (line) => log.write(`${maskSecrets(line, plan.secrets)}\n`), env, { signal });
    return { exitCode: run.exitCode, output: maskSecrets(run.lines.join('\n'), plan.secrets) };
  } finally {
    await new Promise((resolve) => log.end(resolve));
  }
}

/** sam's words for a change set with nothing in it. */
export function samFoundNoChanges(output: string): boolean {
  return /No changes to deploy|didn't contain changes|No updates are to be performed/i.test(output);
}
