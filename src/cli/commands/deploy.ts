/**
 * lambda-kit deploy: `sam build`, then `sam deploy` with nothing left to ask, while the stack's
 * events are shown as they happen; then the outputs, or the one event that explains a failure.
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import kleur from 'kleur';
import { parseCommandFlags } from '../../command-line.js';
import { EXIT, UserError } from '../../errors.js';
import { formatOutputs, isInteractive, stackView, toneOf } from '../stack-view.js';
import { STACK_FLAGS, interruptible, stackTarget, watchElsewhere } from '../stack-target.js';
import { noEchoParameters, runSamDeploy, runSamGuided, samDeployPlan, samFoundNoChanges, samGuidedPlan } from '../../tools/deploy.js';
import { showableLine } from '../../text/terminal-text.js';
import { formatDuration } from '../../text/units.js';
import { buildProject } from './build.js';

const PROGRAM = 'lambda-kit deploy';
/** What `lambda-kit build` with no flags builds: every function, through sam build, in release mode. */
const DEPLOY_BUILD = { useSam: true, debug: false, functionId: undefined } as const;

const OPTIONS = {
  'no-build': { type: 'boolean' },
  guided: { type: 'boolean' },
  ...STACK_FLAGS,
  'parameter-overrides': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

export const HELP = `Build the project and deploy it with sam, showing the stack's events as they happen.

Usage: lambda-kit deploy [options]

Runs lambda-kit build, then \`sam deploy --no-confirm-changeset --no-fail-on-empty-changeset\`
with stdin closed. sam's own output goes to .aws-sam/lambda-kit-deploy.log (shown in full if
the deploy fails); the stack's events are shown instead. On success the stack's outputs follow.

Options:
      --no-build                  deploy what was built last
      --guided                    run \`sam deploy --guided\` at this terminal (it asks, and can
                                  save the answers to samconfig.toml)
      --stack-name <name>         the stack (default: samconfig.toml's stack_name, else the
                                  package name)
      --region <region>           the AWS region (default: samconfig.toml's, else AWS_REGION or
                                  the profile's)
      --profile <name>            the AWS profile (default: samconfig.toml's, else AWS_PROFILE)
      --parameter-overrides K=V   template parameters, passed to sam as given (repeatable), e.g.
                                  ReservedConcurrency=10; NoEcho and secret-looking ones
                                  (DbPassword, ApiToken, …) are shown and logged as ****
  -h, --help                      show this help

Exit codes: 0 deployed (or nothing to change), 1 the deploy failed (the failing resource and
why are printed) or could not start, 2 bad options, 130 interrupted (CloudFormation carries on).
`;

export async function main(args: string[]): Promise<number> {
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;
  const target = await stackTarget(values, ['sam', 'aws-region', 'aws-credentials'], true, { regionAskedBySam: values.guided });
  const project = target.project!;
  const { stackName, region, profile } = target;
  const aws = { region, profile };

  if (values.guided) {
    if (!values['no-build']) await buildProject(DEPLOY_BUILD);
    const plan = samGuidedPlan({ projectDir: project.dir, region, profile, env: process.env });
    const exitCode = await runSamGuided(plan);
    if (exitCode !== 0) throw new UserError(`${plan.title} failed (exit code ${exitCode ?? 'none'}); its output is above.`);
    return EXIT.ok;
  }

  const { cloudFormation, describeStack, toUserError } = await import('../../aws/stack-outputs.js');
  const { startMarker, tailStackEvents } = await import('../../aws/stack-events.js');
  const { rootCause } = await import('../../aws/root-cause.js');
  const client = cloudFormation(aws);
  const fail = (error: unknown) => {
    throw toUserError(error, stackName, aws);
  };
  try {
    const before = await describeStack(client, stackName).catch(fail);
    if (before?.status === 'ROLLBACK_COMPLETE') {
      throw new UserError(`stack ${stackName} is in ROLLBACK_COMPLETE: its first deploy failed, and CloudFormation cannot update it.`, {
        hint: `Delete it with lambda-kit delete --stack-name ${stackName}, then deploy again.`,
      });
    }
    if (before?.status.endsWith('_IN_PROGRESS')) {
      throw new UserError(`stack ${stackName} is busy (${before.status}): wait for it to finish, then deploy again.`, {
        hint: `To follow it, ${watchElsewhere(stackName, region)}.`,
      });
    }

    if (!values['no-build']) await buildProject(DEPLOY_BUILD);

    const plan = samDeployPlan({
      projectDir: project.dir,
      stackName,
      region,
      profile,
      parameterOverrides: values['parameter-overrides'] ?? [],
      noEchoParameters: noEchoParameters(await readFile(project.templatePath, 'utf8')),
      env: process.env,
    });
    const logPath = join(project.dir, '.aws-sam', 'lambda-kit-deploy.log');
    const shownLog = relative(process.cwd(), logPath).startsWith('..') ? logPath : relative(process.cwd(), logPath);
    const marker = await startMarker(client, stackName).catch(fail);

    const controller = new AbortController();
    const interrupt = interruptible(controller);
    const started = Date.now();
    process.stderr.write(`${kleur.dim(`${plan.title} (its output: ${shownLog})`)}\n`);
    const view = stackView(`Deploying ${stackName}`, stackName);
    const sam = runSamDeploy(plan, logPath, controller.signal);
    let tail;
    let run;
    try {
      tail = await tailStackEvents(client, {
        stack: stackName,
        since: marker,
        onEvent: (e) => view.event(e),
        signal: controller.signal,
        until: sam,
      });
    } catch (error) {
      controller.abort();
      await sam.catch(() => undefined);
      view.end('Stopped watching the stack', 'bad');
      fail(error);
    } finally {
      run = await sam;
      interrupt.release();
    }
    const took = formatDuration(Date.now() - started);
    // sam's log quotes AWS (stack event reasons, resource names): each line is shown safely.
    const showLog = async () => {
      const lines = (await readFile(logPath, 'utf8'))
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => showableLine(line));
      process.stderr.write(`--- ${shownLog} ---\n${lines.join('\n')}\n--- end of ${shownLog} ---\n`);
    };

    if (controller.signal.aborted) {
      view.end('Stopped watching', 'bad');
      process.stderr.write(
        tail!.events.length > 0
          ? `CloudFormation keeps deploying ${stackName} without lambda-kit: ${watchElsewhere(stackName, region)}; lambda-kit outputs shows its outputs once it is done.\n`
          : `Stopped before stack ${stackName} changed. If CloudFormation had begun, it carries on: ${watchElsewhere(stackName, region)}.\n`,
      );
      return EXIT.cancelled;
    }
    if (tail!.events.length === 0) {
      if (run!.exitCode === 0) {
        view.end(`No changes to deploy: stack ${stackName} is up to date (${took})`, 'good');
        const now = await describeStack(client, stackName).catch(fail);
        if (now) process.stdout.write(formatOutputs(now.outputs, isInteractive()));
        return EXIT.ok;
      }
      view.end(`sam deploy failed after ${took}`, 'bad');
      await showLog();
      const noChange = samFoundNoChanges(run!.output) ? ' (it found no changes)' : '';
      throw new UserError(
        `sam deploy failed (exit code ${run!.exitCode ?? 'none'}) before stack ${stackName} changed${noChange}; its output is above and in ${shownLog}.`,
      );
    }
    const status = tail!.status ?? 'unknown';
    if (run!.exitCode !== 0 || !tail!.finished || toneOf(status) === 'bad') {
      view.end(`Deploy of ${stackName} failed after ${took}: ${status}`, 'bad');
      await showLog();
      const cause = rootCause(tail!.events);
      if (cause) {
        throw new UserError(`${cause.logicalId} (${cause.type}) ${cause.status}: ${cause.reason}`, { hint: cause.hint });
      }
      throw new UserError(
        tail!.finished
          ? `stack ${stackName} ended ${status}; sam's output is above.`
          : `sam deploy ended (exit code ${run!.exitCode ?? 'none'}) with stack ${stackName} still ${status}; ${watchElsewhere(stackName, region)}.`,
      );
    }
    view.end(`Deployed ${stackName} in ${took} (${status})`, 'good');
    const after = await describeStack(client, stackName).catch(fail);
    process.stdout.write(formatOutputs(after?.outputs ?? [], isInteractive()));
    return EXIT.ok;
  } finally {
    client.destroy();
  }
}
