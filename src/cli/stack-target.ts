/**
 * Which stack a deploy, outputs or delete is about, and where: as sam picks them (the flag, else
 * samconfig.toml, else the project's name; the region also from the environment or profile),
 * resolved once so that sam and lambda-kit's own calls agree. The AWS checks of `doctor` run
 * first, so missing credentials or region is one line before anything runs.
 */
import { loadProject, stackNameOf, type Project } from '../project/project.js';
import { samConfigValue } from '../project/samconfig.js';
import { readAwsSetup } from '../tools/aws-setup.js';
import { requireChecks, type CheckId } from '../tools/doctor.js';
import { usageError } from './errors.js';

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

const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

/** Resolves the stack and runs the checks named; `needProject` false lets --stack-name do without one. */
export async function stackTarget(flags: TargetFlags, checks: CheckId[], needProject = true): Promise<StackTarget> {
  const project = needProject || flags['stack-name'] === undefined ? await loadProject() : await loadProject().catch(() => undefined);
  const stackName = project ? stackNameOf(project, flags['stack-name']) : flags['stack-name'];
  if (!stackName) throw usageError('no stack name: pass --stack-name.');
  const profile = flags.profile ?? text(samConfigValue(project?.samconfig, 'deploy', 'profile'));
  const env = { ...process.env, ...(profile && { AWS_PROFILE: profile }) };
  const setup = await readAwsSetup(env);
  const region = flags.region ?? text(samConfigValue(project?.samconfig, 'deploy', 'region')) ?? setup.sdkRegion?.region ?? setup.samRegion?.region;
  await requireChecks(checks, {
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
