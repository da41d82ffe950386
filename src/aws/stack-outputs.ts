/**
 * A stack as a person asks about it: does it exist, in which status, and what did it output.
 * Loaded only by the commands that call CloudFormation, so --help never pays for the SDK.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { UserError } from '../errors.js';
import { awsError, clientConfig, where, type AwsOptions } from './clients.js';
import { stackMissing } from './stack-events.js';

export interface StackOutput {
  key: string;
  value: string;
  description: string | undefined;
}

export interface StackSummary {
  stackId: string;
  name: string;
  status: string;
  statusReason: string | undefined;
  outputs: StackOutput[];
}

export function cloudFormation(options: AwsOptions): CloudFormationClient {
  return new CloudFormationClient(clientConfig(options));
}

/** The stack, or undefined when there is none by that name (or id). */
export async function describeStack(client: CloudFormationClient, stack: string): Promise<StackSummary | undefined> {
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stack }));
    const found = Stacks?.[0];
    if (!found) return undefined;
    return {
      stackId: found.StackId ?? stack,
      name: found.StackName ?? stack,
      status: found.StackStatus ?? 'UNKNOWN',
      statusReason: found.StackStatusReason,
      outputs: (found.Outputs ?? []).map((o) => ({
        key: o.OutputKey ?? '',
        value: o.OutputValue ?? '',
        description: o.Description || undefined,
      })),
    };
  } catch (error) {
    if (stackMissing(error)) return undefined;
    throw error;
  }
}

/** The stack, which must exist: a clear error otherwise. */
export async function requireStack(client: CloudFormationClient, stack: string, options: AwsOptions): Promise<StackSummary> {
  const found = await describeStack(client, stack).catch((error: unknown) => {
    throw toUserError(error, stack, options);
  });
  if (!found || found.status === 'DELETE_COMPLETE') throw noSuchStack(stack, options);
  return found;
}

export function noSuchStack(stack: string, options: AwsOptions): UserError {
  return new UserError(`stack ${stack} does not exist${where(options)}`, {
    hint: 'Deploy it with lambda-kit deploy, or name another with --stack-name (or --region).',
  });
}

/** The SDK's errors a person can fix, as one line (missing credentials, region, …). */
export function toUserError(error: unknown, stack: string, options: AwsOptions): unknown {
  return awsError(error, { stack, notFound: () => noSuchStack(stack, options) });
}

/** Outputs as one object, `{key: value}`, for scripts. */
export function outputsObject(outputs: StackOutput[]): Record<string, string> {
  return Object.fromEntries(outputs.map((o) => [o.key, o.value]));
}
