/**
 * A stack resource's physical id (CloudFormation DescribeStackResource): a queue's URL, a
 * stream's name, a bucket's name. Loaded only when `lambda-kit dev` looks its source up.
 */
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { UserError } from '../errors.js';
import { awsError, clientConfig, message } from './clients.js';

export async function physicalIdOf(stackName: string, logicalId: string, hint: string): Promise<string> {
  const client = new CloudFormationClient(clientConfig({}));
  try {
    const { StackResourceDetail } = await client.send(
      new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: logicalId }),
    );
    const id = StackResourceDetail?.PhysicalResourceId;
    if (!id)
      throw new UserError(`stack ${stackName} has not created ${logicalId} yet (${StackResourceDetail?.ResourceStatus ?? 'no status'})`, {
        hint,
      });
    return id;
  } catch (error) {
    const failure = awsError(error, {
      stack: stackName,
      notFound: () =>
        /Resource .* does not exist/i.test(message(error))
          ? new UserError(`stack ${stackName} has no resource ${logicalId}`, { hint })
          : new UserError(`stack ${stackName} is not deployed, so its ${logicalId} cannot be looked up`, { hint }),
    });
    // With no region or credentials the lookup never reached AWS: say what it was for, and that the stack is one way of two.
    if (failure instanceof UserError && /^no AWS (region set|credentials found)$/.test(failure.message)) {
      throw new UserError(`${failure.message} to look up ${logicalId} in the deployed stack ${stackName}`, {
        hint: `${hint} For the deployed stack, set AWS_REGION and credentials (or AWS_PROFILE).`,
      });
    }
    throw failure;
  } finally {
    client.destroy();
  }
}
