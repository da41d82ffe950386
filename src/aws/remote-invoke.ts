/**
 * Invoking a deployed function: its physical name from the stack (CloudFormation
 * DescribeStackResource), then Lambda Invoke with `LogType: Tail`, whose answer carries the last
 * 4 KB of the invocation's log. Loaded only by `lambda-kit invoke --remote`, so nothing else pays
 * for the SDK.
 */
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { UserError } from '../errors.js';
import { maskUrlCredentials } from '../text/secret-masking.js';
import { parseLogTail, type Report } from './report.js';
import { sdkLogger } from '../tools/aws-setup.js';

export interface AwsOptions {
  region?: string;
  profile?: string;
}

export interface RemoteInvocation {
  functionName: string;
  statusCode: number | undefined;
  /** `Unhandled` (or `Handled`) when the function failed; the payload then describes the error. */
  functionError: string | undefined;
  payload: Buffer;
  executedVersion: string | undefined;
  /** The function's own lines from the log tail; Lambda's START/END/REPORT are left out. */
  logLines: string[];
  report: Report | undefined;
}

// The SDK warns on every run under Node 20, which this package supports; the warning is for
// us, not for the person invoking their function.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function clientConfig(options: AwsOptions) {
  // The SDK's own warnings are one line each: its nine-line one about a profile beside access keys, for one.
  const logger = sdkLogger(options.profile);
  return { ...(options.region ? { region: options.region } : {}), ...(options.profile ? { profile: options.profile } : {}), logger };
}

/** The function's physical name in the stack. */
export async function resolveFunctionName(stackName: string, logicalId: string, options: AwsOptions = {}): Promise<string> {
  const client = new CloudFormationClient(clientConfig(options));
  try {
    const { StackResourceDetail } = await client.send(new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: logicalId }));
    const name = StackResourceDetail?.PhysicalResourceId;
    if (!name) throw new UserError(`stack ${stackName} has not created ${logicalId} yet (${StackResourceDetail?.ResourceStatus ?? 'no status'})`);
    return name;
  } catch (error) {
    throw awsError(error, {
      stack: stackName,
      notFound: () =>
        /Resource .* does not exist/i.test(message(error))
          ? new UserError(`stack ${stackName} has no resource ${logicalId}`, { hint: 'Pick the function with --function <LogicalId>.' })
          : new UserError(`stack ${stackName} does not exist${where(options)}`, {
              hint: 'Deploy it first (lambda-kit deploy or sam deploy), or name the stack with --stack-name.',
            }),
    });
  } finally {
    client.destroy();
  }
}

/** Invokes `functionName` synchronously with `payload` and decodes its log tail. */
export async function invokeRemote(functionName: string, payload: Uint8Array, options: AwsOptions = {}): Promise<RemoteInvocation> {
  const client = new LambdaClient(clientConfig(options));
  try {
    const response = await client.send(
      new InvokeCommand({ FunctionName: functionName, Payload: payload, LogType: 'Tail', InvocationType: 'RequestResponse' }),
    );
    const { lines, report } = parseLogTail(response.LogResult);
    return {
      functionName,
      statusCode: response.StatusCode,
      functionError: response.FunctionError,
      payload: Buffer.from(response.Payload ?? new Uint8Array()),
      executedVersion: response.ExecutedVersion,
      logLines: lines,
      report,
    };
  } catch (error) {
    throw awsError(error, {
      notFound: () => new UserError(`function ${functionName} does not exist${where(options)}`, { hint: 'Deploy the stack again, or check --region.' }),
    });
  } finally {
    client.destroy();
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function where(options: AwsOptions): string {
  return options.region ? ` in ${options.region}` : '';
}

/** The SDK's errors that a person can fix, as one line each; anything else passes through. */
export function awsError(error: unknown, cases: { stack?: string; notFound: () => UserError }): unknown {
  if (error instanceof UserError) return error;
  const name = (error as { name?: string })?.name ?? '';
  const text = message(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(text)) {
    return new UserError('no AWS credentials found', {
      hint: 'Set AWS_PROFILE (after `aws sso login` or `aws configure`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; `lambda-kit doctor` shows what it finds.',
    });
  }
  if (/Region is missing/i.test(text)) return new UserError('no AWS region set', { hint: 'Pass --region, or set AWS_REGION or your profile\'s region.' });
  const badRegion = /Region not accepted: region="(.*)" is not a valid hostname component/is.exec(text);
  if (badRegion) {
    return new UserError(`"${badRegion[1]}" is not an AWS region`, { hint: "Check --region, samconfig.toml's region, AWS_REGION and your profile's region." });
  }
  if (name === 'ResourceNotFoundException' || (name === 'ValidationError' && /does not exist/i.test(text))) return cases.notFound();
  if (['ExpiredTokenException', 'ExpiredToken', 'UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException'].includes(name)) {
    return new UserError(`AWS refused the credentials: ${text}`, { hint: 'Refresh them (e.g. `aws sso login`) and try again.' });
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') return new UserError(`not allowed: ${text}`);
  const code = (error as { code?: string })?.code;
  if (code && ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code)) {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    return new UserError(`cannot reach AWS (${code})${endpoint ? ` at ${maskUrlCredentials(endpoint)}` : ''}`);
  }
  return error;
}
