/**
 * What a local run (`lambda-kit invoke`, `lambda-kit dev`) gives a function whose stack resources
 * are not given: a region, always, and for each variable that names one of the template's own
 * resources a placeholder, with the function's AWS calls answered and recorded by lambda-kit
 * (RecordingAws), never sent. An AWS_ENDPOINT_URL of the user's own (moto) leaves the recorder out.
 */
import kleur from 'kleur';
import type { Project } from '../project/project.js';
import { resourceTypesOf } from '../project/template-resources.js';
import { localPlaceholder, namedResource, type UnresolvedVariable } from '../runtime-api/lambda-env.js';
import type { RecordedCall, RecordingAws } from '../runtime-api/recording-aws.js';
import { readAwsSetup } from '../tools/aws-setup.js';

/** The region a local run gives the function when neither the environment nor the profile names one. */
export const LOCAL_DEFAULT_REGION = 'us-east-1';

/** A variable set to a local placeholder: the resource it names, and the value it gets. */
export interface StandIn {
  name: string;
  /** The resource's logical id. */
  id: string;
  intrinsic: unknown;
  /** The template's resources, by logical id. */
  resourceTypes: ReadonlyMap<string, string>;
}

export interface LocalStandIns {
  region: string;
  /** No environment variable or profile named the region. */
  regionDefaulted: boolean;
  /** The variables that get placeholders, their calls recorded; empty when the user has an endpoint of their own. */
  standIns: StandIn[];
  /** The unresolved variables left for the user to set. */
  left: UnresolvedVariable[];
}

/**
 * Gives `env` AWS_REGION and AWS_DEFAULT_REGION (without one the SDK asks EC2's metadata service
 * and logs its failure) and works out which unresolved variables get placeholders.
 */
export async function planStandIns(
  env: Record<string, string>,
  unresolved: UnresolvedVariable[],
  project: Project,
): Promise<LocalStandIns> {
  let region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  let regionDefaulted = false;
  if (!region) {
    region = (await readAwsSetup(process.env)).sdkRegion?.region;
    if (!region) [region, regionDefaulted] = [LOCAL_DEFAULT_REGION, true];
  }
  giveRegion(env, region);
  const standIns = hasEndpoint(env) ? [] : await placeholdersFor(unresolved, project, region);
  const left = unresolved.filter(({ name }) => !standIns.some((standIn) => standIn.name === name));
  return { region, regionDefaulted, standIns, left };
}

/** Sets the region in a function's environment, as the plan chose it, unless the environment names one. */
export function giveRegion(env: Record<string, string>, region: string): void {
  env.AWS_REGION ??= region;
  env.AWS_DEFAULT_REGION ??= env.AWS_REGION;
}

/** The lines that tell the user what the plan chose, in order; `otherwise` ends the placeholders' line. */
export function describeStandIns(plan: LocalStandIns, otherwise: string): string[] {
  const lines: string[] = [];
  if (plan.regionDefaulted) lines.push(`AWS_REGION is not set, nor a region in your AWS profile: the function runs in ${plan.region}`);
  for (const { name, value } of plan.left) {
    lines.push(`${name} is ${value} in template.yaml: set it with --env ${name}=… (or in your environment) if the function needs it`);
  }
  if (plan.standIns.length > 0) {
    const named = andList(plan.standIns.map(({ name, id }) => `${name} (${id})`));
    lines.push(
      `No stack resources given, so ${named} ${plan.standIns.length === 1 ? 'is a local placeholder' : 'are local placeholders'}, and the function's ` +
        `AWS calls are recorded here, not sent. To call real resources, give each with --env NAME=value${otherwise}.`,
    );
  }
  return lines;
}

/**
 * Points the function at the recorder: the placeholders, AWS_ENDPOINT_URL, and credentials that
 * are no one's, so no real key or session token is ever sent to it.
 */
export function recordLocally(env: Record<string, string>, recorder: RecordingAws, standIns: StandIn[]): void {
  const region = env.AWS_REGION!;
  for (const { name, intrinsic, resourceTypes } of standIns) {
    env[name] = localPlaceholder(intrinsic, { resourceTypes, region, queueUrl: (id) => recorder.queueUrl(id) }) ?? '';
  }
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS']) delete env[name];
  Object.assign(env, {
    AWS_ENDPOINT_URL: recorder.endpoint,
    AWS_ACCESS_KEY_ID: 'LOCALRECORDING',
    AWS_SECRET_ACCESS_KEY: 'recorded-locally-never-sent',
  });
}

/** One recorded call, as the user sees it: dim when answered, yellow when answered with an error. */
export function printRecordedCall(call: RecordedCall): void {
  const line = `  ${call.answered ? 'recorded, not sent' : 'answered with an error, not sent'}: ${call.text}`;
  process.stderr.write(`${call.answered ? kleur.dim(line) : kleur.yellow(line)}\n`);
}

/** AWS_ENDPOINT_URL, or a service's own (AWS_ENDPOINT_URL_DYNAMODB): the user has a stand-in of their own. */
function hasEndpoint(env: Record<string, string>): boolean {
  return Object.keys(env).some((name) => /^AWS_ENDPOINT_URL($|_)/.test(name));
}

/** The unresolved variables that name one of the template's own resources. */
async function placeholdersFor(unresolved: UnresolvedVariable[], project: Project, region: string): Promise<StandIn[]> {
  if (unresolved.length === 0) return [];
  const resourceTypes = await resourceTypesOf(project.templatePath);
  const probe = { resourceTypes, region, queueUrl: (name: string) => name };
  return unresolved.flatMap(({ name, intrinsic }) =>
    localPlaceholder(intrinsic, probe) === undefined ? [] : [{ name, id: namedResource(intrinsic)!.id, intrinsic, resourceTypes }],
  );
}

function andList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
