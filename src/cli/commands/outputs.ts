/**
 * lambda-kit outputs [--stack-name <name>] [--json]: the deployed stack's outputs, as a table
 * for people or as one JSON object `{key: value}` for scripts.
 */
import { parseCommandFlags } from '../../command-line.js';
import { EXIT } from '../../errors.js';
import { isInteractive, formatOutputs } from '../stack-view.js';
import { showableJson } from '../../text/terminal-text.js';
import { STACK_FLAGS, stackTarget } from '../stack-target.js';

const PROGRAM = 'lambda-kit outputs';

const OPTIONS = {
  ...STACK_FLAGS,
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const HELP = `Show the deployed stack's outputs (its API URL, queue, table …).

Usage: lambda-kit outputs [options]

Options:
      --stack-name <name>  the stack (default: samconfig.toml's stack_name, else the package name)
      --region <region>    the AWS region (default: samconfig.toml's, else AWS_REGION or the profile's)
      --profile <name>     the AWS profile (default: samconfig.toml's, else AWS_PROFILE)
      --json               print one JSON object, {"OutputKey": "value", …}, for scripts
  -h, --help               show this help

Exit codes: 0 shown, 1 no such stack or AWS refused, 2 bad options.
`;

export async function main(args: string[]): Promise<number> {
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;
  const target = await stackTarget(values, ['aws-region', 'aws-credentials'], false);
  const { cloudFormation, outputsObject, requireStack } = await import('../../aws/stack-outputs.js');
  const aws = { region: target.region, profile: target.profile };
  const client = cloudFormation(aws);
  try {
    const stack = await requireStack(client, target.stackName, aws);
    if (values.json) process.stdout.write(`${showableJson(outputsObject(stack.outputs))}\n`);
    else process.stdout.write(formatOutputs(stack.outputs, isInteractive()));
    return EXIT.ok;
  } finally {
    client.destroy();
  }
}
