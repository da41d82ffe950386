/**
 * Which stack a deploy, outputs or delete is about, and where: as sam picks them (the flag, else
 * samconfig.toml, else the project's name; the region also from the environment or profile),
 * resolved once so that sam and lambda-kit's own calls agree. The AWS checks of `doctor` run
 * first, so missing credentials or region is one line before anything runs.
 */
import { hasTemplate, loadProject, stackNameOf, type Project } from '../project/project.js';
import { samConfigString } from '../project/samconfig.js';
import { quoted } from '../text/terminal-text.js';
import { isRegionName, readAwsSetup } from '../tools/aws-setup.js';
import { requireChecks, type CheckId } from '../tools/doctor.js';
import { UserError, usageError } from '../errors.js';

/** The flags that name a deployed stack, shared by every command that talks to one. */
export const STACK_FLAGS = {
  'stack-name': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
} as const;

export interface StackTarget {
  project: Project | undefined;
  stackName: string;
  region: string | undefined;
  profile: string | undefined;
}

export interface TargetFlags {
  'stack-name'?: string;
  region?: string;
  profile?: string;
}

export interface TargetOptions {
  /** `sam deploy --guided` asks for the region itself: none found is no error then (a bad one still is). */
  regionAskedBySam?: boolean;
}

/** Resolves the stack and runs the checks named; `needProject` false lets --stack-name do without one. */
export async function stackTarget(
  flags: TargetFlags,
  checks: CheckId[],
  needProject = true,
  options: TargetOptions = {},
): Promise<StackTarget> {
  if (flags.region !== undefined && !isRegionName(flags.region)) {
    throw usageError(`--region ${quoted(flags.region, 40)} is not an AWS region (such as eu-west-1).`);
  }
  // Only a missing project is fine with --stack-name: a broken one is an error, never skipped.
  const skipProject = !needProject && flags['stack-name'] !== undefined && !hasTemplate(process.cwd());
  const project = skipProject ? undefined : await loadProject();
  const stackName = project ? stackNameOf(project, flags['stack-name']) : flags['stack-name'];
  if (!stackName) throw usageError('no stack name: pass --stack-name.');
  const configuredProfile = samConfigString(project?.samconfig, 'deploy', 'profile');
  if (configuredProfile !== undefined && /[\u0000-\u001f\u007f]/.test(configuredProfile)) {
    throw new UserError(`samconfig.toml: profile ${quoted(configuredProfile, 40)} is not a profile name`);
  }
  const configuredRegion = samConfigString(project?.samconfig, 'deploy', 'region');
  if (configuredRegion !== undefined && !isRegionName(configuredRegion)) {
    throw new UserError(`samconfig.toml: region ${quoted(configuredRegion, 40)} is not an AWS region (such as eu-west-1)`);
  }
  // With keys in the environment too, boto3 (sam) would use the keys unless --profile names the
  // profile, and the JavaScript SDK the profile: naming it to both makes them agree.
  const keysInEnvironment = Boolean(process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY);
  const profile = flags.profile ?? configuredProfile ?? (keysInEnvironment ? process.env.AWS_PROFILE || undefined : undefined);
  const env = { ...process.env, ...(profile && { AWS_PROFILE: profile }) };
  const setup = await readAwsSetup(env);
  const region = flags.region ?? configuredRegion ?? setup.sdkRegion?.region ?? setup.samRegion?.region;
  const regionCheckNeeded = region !== undefined || !options.regionAskedBySam;
  await requireChecks(regionCheckNeeded ? checks : checks.filter((id) => id !== 'aws-region'), {
    cwd: project?.dir,
    env: { ...env, ...(region && { AWS_REGION: region, AWS_DEFAULT_REGION: region }) },
    architecture: undefined,
  });
  return { project, stackName, region, profile };
}

/** SIGINT (Ctrl-C) aborts `controller` instead of ending the process, until `release()`. */
export function interruptible(controller: AbortController): { release(): void } {
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  return { release: () => process.removeListener('SIGINT', onSignal) };
}

/** Where to watch a stack without lambda-kit. */
export function watchElsewhere(stackName: string, region: string | undefined): string {
  const console = region ? ` or https://${region}.console.aws.amazon.com/cloudformation/home?region=${region}#/stacks` : '';
  return `watch it with \`aws cloudformation describe-stack-events --stack-name ${stackName}\`${console}`;
}
