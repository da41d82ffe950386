/**
 * create-fast-lambda [dir] [flags]: the scaffolder's entry. Kept light: --help and --version
 * load nothing but this file and the catalog; prompts and the template engine load on demand.
 */
import { basename, resolve } from 'node:path';
import { parseCommandLine } from '../command-line.js';
import { EXIT, UserError, runMain, usageError } from '../errors.js';
import {
  APIS,
  ARCHS,
  AUTHS,
  DEFAULT_LOG_RETENTION,
  EXAMPLES,
  DEFAULT_MEMORY,
  LOG_RETENTION_DAYS,
  MEMORY_RANGE,
  SINKS,
  TIMEOUT_RANGE,
  TRIGGERS,
  allTriggerOptions,
  hostArch,
} from '../scaffold/catalog.js';
import type { RawAnswers } from '../scaffold/spec.js';
import { abbreviateForMessage, quoteForMessage } from '../scaffold/quote.js';
import { packageVersion } from '../version.js';
import { PUBLIC_API_WARNING, describeDerivedName, describeLeftovers, describeSpec, displayDir, nextSteps } from './create-messages.js';

const PROGRAM = 'create-fast-lambda';

const OPTIONS = {
  example: { type: 'string' },
  twins: { type: 'boolean' },
  'no-twins': { type: 'boolean' },
  name: { type: 'string' },
  trigger: { type: 'string' },
  api: { type: 'string' },
  auth: { type: 'string' },
  'jwt-issuer': { type: 'string' },
  'jwt-audience': { type: 'string' },
  sink: { type: 'string' },
  arch: { type: 'string' },
  memory: { type: 'string' },
  timeout: { type: 'string' },
  'log-retention': { type: 'string' },
  // The triggers' own questions (--schedule), from their catalog rows.
  ...Object.fromEntries(allTriggerOptions().map(({ option }) => [optionFlagName(option.key), { type: 'string' as const }])),
  yes: { type: 'boolean', short: 'y' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const list = (rows: readonly { id: string }[]) => rows.map((r) => r.id).join('|');

/** `jwtIssuer` → `jwt-issuer`, as spec.ts names flags (kept here: --help loads no spec.ts). */
function optionFlagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The triggers' own flags in --help: `--schedule <expression>` and its lines, from the catalog. */
function triggerOptionsHelp(): string {
  return allTriggerOptions()
    .map(({ option }) => {
      const flag = `--${optionFlagName(option.key)} ${option.placeholder}`;
      const [first, ...rest] = [...option.help, `(default: ${option.default})`];
      return [`  ${flag.padEnd(23)}${first}`, ...rest.map((line) => `${' '.repeat(25)}${line}`)].join('\n');
    })
    .map((lines) => `${lines}\n`)
    .join('');
}

export const HELP = `Create a Rust AWS Lambda function with its SAM template, ready to build and deploy.

Usage: ${PROGRAM} [dir] [options]
       npm create fast-lambda@latest [dir] -- [options]

Asks for anything not given as a flag. Without a terminal (or with CI=true), give every
answer as a flag, or --yes to take the defaults for the rest.

Options:
  --example <example>    ${list(EXAMPLES)}: a complete application instead of a function to fill
                         in; churn is Kinesis → Rust → SQS with a trained model (sets --trigger
                         and --sink)
  --no-twins             with --example: leave out the Node.js and Python twins (default: with)
  --name <name>          project, crate and stack name (default: made from the directory's name,
                         My_Service → my-service)
                         lowercase letters, digits and dashes, starting with a letter, ≤ 64
  --trigger <trigger>    ${list(TRIGGERS)} (default: api)
  --api <api>            ${list(APIS)}: the API flavour, with --trigger api (default: http)
  --auth <auth>          ${list(AUTHS)}: who may call the API (default: iam)
  --jwt-issuer <url>     with --auth jwt: the token issuer's https URL
                         (a Cognito user pool's with --api rest)
  --jwt-audience <aud>   with --auth jwt: the audience (client id) tokens must carry
${triggerOptionsHelp()}  --sink <sink>          ${list(SINKS)}: where results go
                         (default: dynamodb; sqs for kinesis)
  --arch <arch>          ${list(ARCHS)} (default: this machine's, ${hostArch()}, so the first
                         build needs no extra rustup target and lambda-kit invoke runs it here)
  --memory <MB>          ${MEMORY_RANGE.min}-${MEMORY_RANGE.max} (default: ${DEFAULT_MEMORY})
  --timeout <seconds>    ${TIMEOUT_RANGE.min}-${TIMEOUT_RANGE.max}; at most 30 for an HTTP API, 29 for a REST API
                         (default: 10 for api, 30 for the others)
  --log-retention <days> how long CloudWatch keeps the logs: ${LOG_RETENTION_DAYS.slice(0, 8).join(', ')}, …, ${LOG_RETENTION_DAYS.at(-1)}
                         (default: ${DEFAULT_LOG_RETENTION})
  -y, --yes              take the defaults for anything not given; never prompt
  -h, --help             show this help
  -v, --version          show the version

Examples:
  ${PROGRAM} my-fn
  ${PROGRAM} my-fn --trigger sqs --sink dynamodb --yes
  ${PROGRAM} ingest --trigger kinesis --arch x86_64 --memory 1024 --yes
  ${PROGRAM} nightly --trigger schedule --schedule 'cron(0 3 * * ? *)' --yes
  ${PROGRAM} churn --example churn --yes
`;

function isInteractive(yes: boolean): boolean {
  return !yes && Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true';
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(PROGRAM, argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1) {
    const shown = positionals.map((arg) => abbreviateForMessage(arg, 40)).join(' ');
    throw usageError(`expected at most one directory, got ${positionals.length}: ${shown}.`, `See ${PROGRAM} --help.`);
  }
  const dirArg = positionals[0];
  if (dirArg !== undefined && dirArg.trim() === '') throw usageError('the directory must not be empty.');

  if (values.twins && values['no-twins']) throw usageError('--twins and --no-twins contradict each other.');
  const raw: RawAnswers = {
    example: values.example,
    twins: values.twins ? 'true' : values['no-twins'] ? 'false' : undefined,
    name: values.name,
    trigger: values.trigger,
    api: values.api,
    auth: values.auth,
    jwtIssuer: values['jwt-issuer'],
    jwtAudience: values['jwt-audience'],
    sink: values.sink,
    arch: values.arch,
    memory: values.memory,
    timeout: values.timeout,
    logRetention: values['log-retention'],
    options: Object.fromEntries(
      allTriggerOptions().map(({ option }) => [
        option.key,
        (values as Record<string, unknown>)[optionFlagName(option.key)] as string | undefined,
      ]),
    ),
  };
  const yes = values.yes ?? false;

  if (isInteractive(yes)) {
    const { createInteractively } = await import('./create-prompts.js');
    return createInteractively(raw, dirArg);
  }
  return createFromFlags(raw, dirArg, yes);
}

async function createFromFlags(raw: RawAnswers, dirArg: string | undefined, yes: boolean): Promise<number> {
  const { missingFlags, resolveSpec } = await import('../scaffold/spec.js');
  const { DEFAULT_NAME } = await import('../scaffold/catalog.js');
  const { projectNameFromDirectory } = await import('../scaffold/project-name.js');
  if (!yes) {
    // A directory answers the name question: the name is made from it.
    const missing = missingFlags({ ...raw, name: raw.name ?? dirArg });
    if (missing.length > 0) {
      // At a terminal the only reason not to ask is CI=true: name it, not a terminal that is there.
      const atTerminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
      const why = atTerminal && process.env.CI === 'true' ? 'CI=true: nothing is asked' : 'no terminal to ask on';
      throw usageError(`${why}, and no answer for ${missing.join(', ')}.`, 'Pass them, or --yes to take the defaults.');
    }
  }
  // The other answers first: a typo there is the error to show, and the trigger limits the name's length.
  const { trigger } = resolveSpec({ ...raw, name: raw.name ?? DEFAULT_NAME }, { partial: true });
  let name = raw.name;
  let nameNote = '';
  if (name === undefined && dirArg !== undefined) {
    const directoryName = basename(resolve(dirArg));
    const derived = projectNameFromDirectory(directoryName, trigger);
    if (derived.problem !== undefined) {
      throw usageError(
        `no project name can be made from the directory "${abbreviateForMessage(directoryName)}": ${derived.problem}.`,
        'Pass --name <name>.',
      );
    }
    name = derived.name;
    // Said once the project is written, so that a refusal stays the one line on stderr.
    if (name !== directoryName) nameNote = `${describeDerivedName(name, directoryName)}\n`;
  }
  const spec = resolveSpec({ ...raw, name: name ?? DEFAULT_NAME, arch: raw.arch ?? hostArch() });
  const dir = dirArg ?? spec.name;

  const { inspectTarget, targetProblem, writeProject } = await import('../scaffold/write.js');
  const problem = targetProblem(dir, await inspectTarget(dir));
  if (problem) throw new UserError(problem);

  const { renderProject } = await import('../scaffold/render.js');
  const { leftovers } = await writeProject(dir, renderProject(spec));
  process.stdout.write(nameNote);
  if (leftovers) process.stdout.write(`${describeLeftovers(leftovers)}\n`);
  const described = describeSpec(spec, { archFromMachine: raw.arch === undefined });
  process.stdout.write(`Created ${spec.name} in ${displayDir(dir)}: ${described}.\n\n${nextSteps(spec, dir)}`);
  if (spec.auth === 'public') process.stderr.write(`warning: ${PUBLIC_API_WARNING}\n`);
  return EXIT.ok;
}

/**
 * The bin stub's entry point. A signal during the write is not a user error: the write undid
 * itself, and the exit code says which signal (128 + its number, 130 for Ctrl-C) as a shell's would.
 */
export function run(): Promise<void> {
  return runMain(PROGRAM, async () => {
    try {
      return await main(process.argv.slice(2));
    } catch (error) {
      const { WriteInterrupted } = await import('../scaffold/write.js');
      if (!(error instanceof WriteInterrupted)) throw error;
      process.stderr.write(`${PROGRAM}: ${error.message}; removed everything this run had written in ${quoteForMessage(error.dir)}\n`);
      return error.exitCode;
    }
  });
}
