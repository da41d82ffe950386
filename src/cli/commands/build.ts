/**
 * lambda-kit build [--no-sam] [--debug] [--function <LogicalId>]: checks the tools the build needs
 * (as doctor does), runs `sam build` or `cargo lambda build`, then reports the binary's path, its
 * size and the size of the zip Lambda would receive.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import * as p from '@clack/prompts';
import kleur from 'kleur';
import { parseCommandFlags } from '../../command-line.js';
import { EXIT, UserError } from '../../errors.js';
import { isRustFunction, loadProject, pickFunction, type Architecture, type LambdaFunction } from '../../project/project.js';
import {
  cargoLambdaArtifacts,
  cargoLambdaPlan,
  runBuild,
  rustTargetPlan,
  samArtifact,
  samBuildPlan,
  type BuildPlan,
} from '../../tools/build.js';
import { sharedBuildEnvironment } from '../../tools/cargo-cache.js';
import { requireChecks, rustTargetToInstall, samNeedsBetaFlag, type CheckId } from '../../tools/doctor.js';
import { parseVersion } from '../../tools/versions.js';
import { zipOneFile } from '../../tools/zip.js';
import { formatBytes, formatDuration } from '../../text/units.js';

const PROGRAM = 'lambda-kit build';

const OPTIONS = {
  'no-sam': { type: 'boolean' },
  debug: { type: 'boolean' },
  function: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const HELP = `Build the project's function for Lambda.

Usage: lambda-kit build [options]

Runs \`sam build\` in the project (the binary lands in .aws-sam/build/<Function>/bootstrap),
then prints the binary's size and the size of the zip Lambda would receive.

Options:
  --no-sam               run \`cargo lambda build\` directly, for the architecture in template.yaml
                         (the binary lands in <target dir>/lambda/<crate>/bootstrap)
  --debug                an unoptimised build: much quicker to make, larger and slower to run
  --function <id>        the function to build (a logical id in template.yaml); all by default,
                         and required with --no-sam when there are several
  -h, --help             show this help

Exit codes: 0 built, 1 a tool is missing or the build failed, 2 bad options.
`;

/** What a build needs; `sam` is added unless --no-sam. AWS credentials are not needed to build. */
const BUILD_CHECKS: CheckId[] = ['rust', 'cargo-lambda', 'zig', 'rust-target'];

const interactive = () => Boolean(process.stdout.isTTY) && process.env.CI !== 'true';

export async function main(args: string[]): Promise<number> {
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;
  await buildProject({ useSam: !values['no-sam'], debug: Boolean(values.debug), functionId: values.function });
  return EXIT.ok;
}

export interface BuildOptions {
  /** `sam build`, or `cargo lambda build` directly (--no-sam). */
  useSam: boolean;
  debug: boolean;
  /** A logical id in template.yaml; all functions when undefined (required without sam when there are several). */
  functionId: string | undefined;
}

/** What `lambda-kit build` does once its flags are read; deploy builds through it too. */
export async function buildProject({ useSam, debug, functionId }: BuildOptions): Promise<void> {
  const project = await loadProject();
  const functions = functionId !== undefined || !useSam ? [pickFunction(project, functionId)] : project.functions;

  const checkIds: CheckId[] = useSam ? [...BUILD_CHECKS, 'sam'] : BUILD_CHECKS;
  let samVersion: string | undefined;
  for (const architecture of new Set(functions.map((fn) => fn.architecture))) {
    const checks = await requireChecks(checkIds, { cwd: project.dir, architecture });
    samVersion = checks.find((check) => check.id === 'sam')?.found;
    const target = checks.map((check) => rustTargetToInstall(check, architecture)).find(Boolean);
    if (target) await installRustTarget(target, project.dir, architecture);
  }

  const plan: BuildPlan = useSam
    ? samBuildPlan({
        projectDir: project.dir,
        logicalId: functionId,
        betaFeatures: samNeedsBetaFlag(parseVersion(samVersion)!),
        debug,
        env: process.env,
      })
    : cargoLambdaPlan(functions[0]!, { debug });

  // sam's cargo lambda builds in place with sam's environment, so the shared build directory reaches it too.
  const shared = await sharedBuildEnvironment(useSam ? project.dir : functions[0]!.codeDir);
  if (shared.message) process.stderr.write(`${kleur.dim(shared.message)}\n`);
  const started = Date.now();
  const log = buildLog(plan.title);
  // Tools colour some lines even into a pipe; the log has its own styling.
  const run = await runBuild(plan, (line) => log.line(stripVTControlCharacters(line)), { ...process.env, ...shared.env });
  const took = formatDuration(Date.now() - started);
  if (run.exitCode !== 0) {
    log.failed(`${plan.title} failed after ${took}`);
    throw new UserError(`${plan.title} failed (exit code ${run.exitCode ?? 'none'}); its output is above.`);
  }
  log.succeeded(`${plan.title} finished in ${took}`);

  const artifacts = useSam
    ? functions.map((fn) => ({ fn, paths: [samArtifact(project.dir, fn.logicalId)] }))
    : [{ fn: functions[0]!, paths: await cargoLambdaArtifacts(functions[0]!) }];
  for (const { fn, paths } of artifacts) {
    if (!isRustFunction(fn)) {
      process.stdout.write(
        `${fn.logicalId} (${fn.runtime ?? 'no runtime'})\n  ${relative(process.cwd(), join(project.dir, '.aws-sam', 'build', fn.logicalId))}\n\n`,
      );
      continue;
    }
    if (paths.length === 0) throw new UserError(`${plan.title} built no binary for ${fn.logicalId}.`);
    for (const path of paths) process.stdout.write(await describeArtifact(fn, path, debug));
  }
}

/**
 * A first build for another architecture needs that target's standard library: rustup adds it,
 * as cargo-lambda would, after saying so; its output streams to stderr.
 */
async function installRustTarget(target: string, projectDir: string, architecture: Architecture): Promise<void> {
  const plan = rustTargetPlan(target, projectDir);
  process.stderr.write(`installing the rustup target ${target} (${plan.title})\n`);
  const run = await runBuild(plan, (line) => process.stderr.write(`${stripVTControlCharacters(line)}\n`));
  if (run.exitCode !== 0) throw new UserError(`${plan.title} failed (exit code ${run.exitCode ?? 'none'}); its output is above.`);
  const [check] = await requireChecks(['rust-target'], { cwd: projectDir, architecture });
  if (check && check.status !== 'ok') {
    const lacking = `${plan.title} succeeded, but the toolchain used in ${projectDir} still lacks ${target}.`;
    throw new UserError(lacking, { hint: 'Run lambda-kit doctor.' });
  }
}

/** The artifact's path, its size and its zipped size, as lines. */
async function describeArtifact(fn: LambdaFunction, path: string, debug: boolean): Promise<string> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch {
    throw new UserError(`the build succeeded but left no binary at ${path}.`);
  }
  const mode = (await stat(path)).mode & 0o777;
  const zipped = zipOneFile({ name: 'bootstrap', data, mode }).length;
  const shown = relative(process.cwd(), path);
  const label = (text: string) => (interactive() ? kleur.dim(text.padEnd(9)) : text.padEnd(9));
  return [
    `${interactive() ? kleur.bold(fn.logicalId) : fn.logicalId} (${fn.architecture}, ${debug ? 'debug' : 'release'})`,
    `  ${label('binary')}${shown.startsWith('..') ? path : shown}`,
    `  ${label('size')}${formatBytes(data.length)}`,
    // Same format and level as sam deploy's zip, but Node's zlib is not Python's: within a few %.
    `  ${label('zipped')}≈ ${formatBytes(zipped)}, deflated in memory as sam deploy zips it`,
    '',
  ].join('\n');
}

interface BuildLog {
  line(text: string): void;
  succeeded(message: string): void;
  failed(message: string): void;
}

/**
 * At a terminal, a clack task log: the last lines scroll by under a title and vanish on success;
 * on failure the whole output stays. Elsewhere, every line as it comes, on stderr, and the
 * outcome on stdout.
 */
function buildLog(title: string): BuildLog {
  if (!interactive()) {
    process.stderr.write(`${title}\n`);
    return {
      line: (text) => process.stderr.write(`${text}\n`),
      succeeded: (message) => process.stdout.write(`${message}\n`),
      // Every line is already on screen.
      failed: (message) => process.stderr.write(`${message}\n`),
    };
  }
  const task = p.taskLog({ title, limit: 12, retainLog: true });
  return {
    line: (text) => task.message(text, { raw: false }),
    succeeded: (message) => task.success(message),
    failed: (message) => task.error(message, { showLog: true }),
  };
}
