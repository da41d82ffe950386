/**
 * Invoking a deployed function: its physical name from the stack (CloudFormation
 * DescribeStackResource), then Lambda Invoke with `LogType: Tail`, whose answer carries the last
 * 4 KB of the invocation's log. Loaded only by `lambda-kit invoke --remote`, so nothing else pays
 * for the SDK.
 */
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { UserError } from '../errors.js';
import { awsError, clientConfig, message, where, type AwsOptions } from './clients.js';
import { parseLogTail, type Report } from './report.js';

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

/** The function's physical name in the stack. */
export async function resolveFunctionName(stackName: string, logicalId: string, options: AwsOptions = {}): Promise<string> {
  const client = new CloudFormationClient(clientConfig(options));
  try {
    const { StackResourceDetail } = await client.send(
      new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: logicalId }),
    );
    const name = StackResourceDetail?.PhysicalResourceId;
    if (!name)
      throw new UserError(`stack ${stackName} has not created ${logicalId} yet (${StackResourceDetail?.ResourceStatus ?? 'no status'})`);
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
      notFound: () =>
        new UserError(`function ${functionName} does not exist${where(options)}`, { hint: 'Deploy the stack again, or check --region.' }),
    });
  } finally {
    client.destroy();
  }
}
