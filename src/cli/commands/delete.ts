/**
 * lambda-kit delete [--stack-name <name>] [--yes]: deletes the stack, after asking, and follows
 * its events until DELETE_COMPLETE, or until the resource that refused says why.
 */
import { DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import * as p from '@clack/prompts';
import { parseCommandFlags } from '../../command-line.js';
import { CancelledError, EXIT, UserError, usageError } from '../../errors.js';
import { formatDuration } from '../../text/units.js';
import { loadProject, stackNameOf } from '../../project/project.js';
import { visible } from '../../text/terminal-text.js';
import { stackView } from '../stack-view.js';
import { STACK_FLAGS, interruptible, stackTarget, watchElsewhere } from '../stack-target.js';

const PROGRAM = 'lambda-kit delete';

const OPTIONS = {
  ...STACK_FLAGS,
  yes: { type: 'boolean', short: 'y' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const HELP = `Delete the deployed stack and everything in it, following its events until it is gone.

Usage: lambda-kit delete [options]

Asks first, unless --yes; without a terminal to ask at, --yes is required.

Options:
      --stack-name <name>  the stack (default: samconfig.toml's stack_name, else the package name)
      --region <region>    the AWS region (default: samconfig.toml's, else AWS_REGION or the profile's)
      --profile <name>     the AWS profile (default: samconfig.toml's, else AWS_PROFILE)
  -y, --yes                delete without asking
  -h, --help               show this help

Exit codes: 0 deleted, 1 no such stack or the delete failed (the resource and why are printed),
2 bad options (or no --yes without a terminal), 130 cancelled.
`;

/** The stack as the question would name it; a project that does not load says so later, in its own words. */
async function stackNameForPrompt(flags: { 'stack-name'?: string }): Promise<string> {
  if (flags['stack-name'] !== undefined) return `stack ${visible(flags['stack-name'], 40)}`;
  try {
    return `stack ${stackNameOf(await loadProject(), undefined)}`;
  } catch {
    return 'the stack';
  }
}

const canAsk = () => Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true';

export async function main(args: string[]): Promise<number> {
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;
  // A usage error is known before AWS is asked anything, so it comes first (exit 2).
  const confirmAtTerminal = !values.yes;
  if (confirmAtTerminal && !canAsk()) {
    throw usageError(`deleting ${await stackNameForPrompt(values)} needs --yes when there is no terminal to confirm at.`);
  }
  const target = await stackTarget(values, ['aws-region', 'aws-credentials'], false);
  const { stackName, region, profile } = target;
  const aws = { region, profile };
  const { cloudFormation, requireStack, toUserError } = await import('../../aws/stack-outputs.js');
  const { startMarker, tailStackEvents } = await import('../../aws/stack-events.js');
  const { rootCause } = await import('../../aws/root-cause.js');
  const client = cloudFormation(aws);
  const fail = (error: unknown): never => {
    throw toUserError(error, stackName, aws);
  };
  try {
    const stack = await requireStack(client, stackName, aws);
    if (confirmAtTerminal) {
      const answer = await p.confirm({
        message: `Delete stack ${stackName}${region ? ` in ${region}` : ''} and everything in it?`,
        initialValue: false,
      });
      if (p.isCancel(answer) || !answer) throw new CancelledError();
    }
    const marker = await startMarker(client, stack.stackId).catch(fail);
    await client.send(new DeleteStackCommand({ StackName: stack.stackId })).catch(fail);

    const controller = new AbortController();
    const interrupt = interruptible(controller);
    const started = Date.now();
    const view = stackView(`Deleting ${stackName}`, stackName);
    let tail;
    try {
      // By id: once deleted, the stack is no longer found by its name.
      tail = await tailStackEvents(client, {
        stack: stack.stackId,
        since: marker,
        onEvent: (e) => view.event(e),
        signal: controller.signal,
      });
    } catch (error) {
      view.end('Stopped watching the stack', 'bad');
      return fail(error);
    } finally {
      interrupt.release();
    }
    const took = formatDuration(Date.now() - started);
    if (tail.ended === 'aborted') {
      view.end('Stopped watching', 'bad');
      process.stderr.write(`CloudFormation keeps deleting ${stackName} without lambda-kit: ${watchElsewhere(stack.stackId, region)}.\n`);
      return EXIT.cancelled;
    }
    if (tail.status === 'DELETE_COMPLETE') {
      view.end(`Deleted ${stackName} in ${took}`, 'good');
      return EXIT.ok;
    }
    view.end(`Delete of ${stackName} failed after ${took}: ${tail.status ?? 'unknown'}`, 'bad');
    const cause = rootCause(tail.events);
    if (cause) throw new UserError(`${cause.logicalId} (${cause.type}) ${cause.status}: ${cause.reason}`, { hint: cause.hint });
    throw new UserError(`stack ${stackName} ended ${tail.status ?? 'in an unknown state'}.`);
  } finally {
    client.destroy();
  }
}
