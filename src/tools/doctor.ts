/**
 * The checks behind `lambda-kit doctor`, shared with every command that runs a tool: each one
 * asks for the checks it depends on first, and stops with the failing check's one-line fix
 * instead of a tool's raw error.
 *
 * Probing (running `sam --version` and friends) is apart from judging: `judge*` functions take
 * what the tools printed and decide, so the rules are tested without the tools.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import type { Architecture } from '../project/project.js';
import { arch } from '../scaffold/catalog.js';
import { quoted, visible } from '../text/terminal-text.js';
import { isRegionName, readAwsSetup, type AwsSetup } from './aws-setup.js';
import { runTool, succeeded, type ToolRun } from './run-tool.js';
import {
  atLeast,
  cargoLambdaVersion,
  cargoVersion,
  parseVersion,
  rustcHost,
  rustcVersion,
  samVersion,
  zigVersion,
  type Version,
} from './versions.js';

export type CheckId = 'node' | 'rust' | 'cargo-lambda' | 'zig' | 'rust-target' | 'sam' | 'aws-region' | 'aws-credentials';

/** `warn` is worth reading but stops nothing; `skip` is not needed here. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  id: CheckId;
  /** As shown in the table: `cargo-lambda`, `rust target aarch64-unknown-linux-gnu`. */
  tool: string;
  /** The version or setting found, or `not found`. */
  found: string;
  needed: string;
  status: CheckStatus;
  /** What is wrong, in a few words, when the status is `fail` or `warn`. */
  problem?: string;
  /** One line that fixes it. */
  fix?: string;
  /** Worth knowing even when all is well. */
  note?: string;
}

export const MINIMUM = {
  node: '20.12',
  /** The AWS SDK crates the generated projects use declare rust-version 1.94.1. */
  rust: '1.94.1',
  cargoLambda: '1.0',
  /** cargo-lambda asks for 0.13 or newer when it finds none. */
  zig: '0.13',
  /** The provided.al2023 runtime. */
  sam: '1.99',
  /** From this release on, `rust-cargolambda` is no longer a beta feature (aws-sam-cli #8526). */
  samWithoutBeta: '1.156',
} as const;

export const FIX = {
  node: `install Node.js ${MINIMUM.node} or newer: https://nodejs.org`,
  rustInstall: 'install Rust with rustup: https://rustup.rs',
  rustUpdate: 'rustup update stable',
  cargoLambdaInstall: 'pip3 install cargo-lambda (or see https://www.cargo-lambda.info/guide/installation.html)',
  cargoLambdaUpdate: 'pip3 install --upgrade cargo-lambda',
  zig: 'pip3 install ziglang (cargo-lambda runs `python3 -m ziglang`), or put zig on PATH: https://ziglang.org/download/',
  rustTarget: (target: string) => `rustup target add ${target}`,
  /** lambda-kit build runs `rustup target add` itself, as cargo-lambda does. */
  rustTargetByBuild: (target: string) => `lambda-kit build installs it (rustup target add ${target})`,
  rustTargetWithoutRustup: (target: string) =>
    `add the ${target} standard library to this Rust toolchain, or install Rust with rustup: https://rustup.rs`,
  samInstall:
    'pip3 install aws-sam-cli (or see https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html)',
  samUpdate: 'pip3 install --upgrade aws-sam-cli',
} as const;

// ---------------------------------------------------------------------------------------------
// Judging: what the tools printed → a Check

const fail = (check: Omit<Check, 'status'>): Check => ({ ...check, status: 'fail' });

/** Why a tool that ran gave no version: its exit code and its first line of complaint. */
function brokenRun(run: ToolRun & { found: true }): string {
  const said = (run.stderr || run.stdout).trim().split('\n')[0];
  return `${run.exitCode === undefined ? 'did not answer' : `exited ${run.exitCode}`}${said ? `: ${said}` : ''}`;
}

export function judgeNode(version: string): Check {
  const found = parseVersion(version);
  const base = { id: 'node' as const, tool: 'node', found: found?.text ?? version, needed: `≥ ${MINIMUM.node}` };
  if (found && atLeast(found, MINIMUM.node)) return { ...base, status: 'ok' };
  return fail({ ...base, problem: `${base.found} is older than ${MINIMUM.node}`, fix: FIX.node });
}

/** cargo and rustc together: one toolchain, one row. */
export function judgeRust(cargo: ToolRun, rustc: ToolRun): Check {
  const base = { id: 'rust' as const, tool: 'cargo / rustc', needed: `≥ ${MINIMUM.rust} (the AWS SDK crates)` };
  if (!cargo.found) return fail({ ...base, found: 'not found', problem: 'cargo not found', fix: FIX.rustInstall });
  if (!rustc.found) return fail({ ...base, found: 'rustc not found', problem: 'rustc not found', fix: FIX.rustInstall });
  const cargoFound = cargoVersion(cargo.stdout);
  const rustcFound = rustcVersion(rustc.stdout);
  if (!cargoFound) return fail({ ...base, found: 'unknown', problem: `cargo --version ${brokenRun(cargo)}`, fix: FIX.rustInstall });
  if (!rustcFound) return fail({ ...base, found: 'unknown', problem: `rustc -vV ${brokenRun(rustc)}`, fix: FIX.rustInstall });
  const found = cargoFound.text === rustcFound.text ? rustcFound.text : `cargo ${cargoFound.text}, rustc ${rustcFound.text}`;
  const oldest = [cargoFound, rustcFound].find((v) => !atLeast(v, MINIMUM.rust));
  if (oldest) return fail({ ...base, found, problem: `${oldest.text} is older than ${MINIMUM.rust}`, fix: FIX.rustUpdate });
  return { ...base, found, status: 'ok' };
}

export function judgeCargoLambda(run: ToolRun): Check {
  const base = { id: 'cargo-lambda' as const, tool: 'cargo-lambda', needed: `≥ ${MINIMUM.cargoLambda}` };
  if (!run.found) return fail({ ...base, found: 'not found', problem: 'not found', fix: FIX.cargoLambdaInstall });
  const version = cargoLambdaVersion(run.stdout);
  if (!version)
    return fail({ ...base, found: 'unknown', problem: `cargo-lambda --version ${brokenRun(run)}`, fix: FIX.cargoLambdaInstall });
  if (!atLeast(version, MINIMUM.cargoLambda)) {
    return fail({
      ...base,
      found: version.text,
      problem: `${version.text} is older than ${MINIMUM.cargoLambda}`,
      fix: FIX.cargoLambdaUpdate,
    });
  }
  return { ...base, found: version.text, status: 'ok' };
}

export type ZigProbe = { found: true; version: string; command: string } | { found: false };

export interface ZigContext {
  /** The project's architecture; undefined outside a project. */
  architecture: Architecture | undefined;
  /** rustc's host triple, e.g. `x86_64-unknown-linux-gnu`. */
  host: string | undefined;
  /** CARGO_LAMBDA_COMPILER: `cargo`, `cross` or (unset) cargo-zigbuild. */
  compiler: string | undefined;
}

/**
 * Whether cargo-lambda will need zig. Its default compiler, cargo-zigbuild, links every build with
 * zig, the host's own architecture included (that is how the binary targets Lambda's older glibc).
 * Only CARGO_LAMBDA_COMPILER=cargo on a matching Linux host, or `cross`, does without it.
 */
export function zigNeed(context: ZigContext): { needed: boolean; why: string } {
  const target = context.architecture ? arch(context.architecture).rustTarget : undefined;
  if (context.compiler === 'cross') return { needed: false, why: 'no (CARGO_LAMBDA_COMPILER=cross builds in a container)' };
  if (context.compiler === 'cargo') {
    if (target && target !== context.host) return { needed: true, why: `≥ ${MINIMUM.zig} (to cross-compile to ${target})` };
    return { needed: false, why: `no (CARGO_LAMBDA_COMPILER=cargo${target ? ` on a ${target} host` : ''})` };
  }
  return { needed: true, why: `≥ ${MINIMUM.zig} (cargo-lambda links with it)` };
}

export function judgeZig(zig: ZigProbe, context: ZigContext): Check {
  const need = zigNeed(context);
  const base = { id: 'zig' as const, tool: 'zig', needed: need.why };
  if (!zig.found) {
    if (!need.needed) return { ...base, found: 'not found', status: 'skip' };
    return fail({ ...base, found: 'not found', problem: 'not found', fix: FIX.zig });
  }
  const version = zigVersion(zig.version);
  // `/home/me/.venv/bin/python3 -m ziglang` reads as `python3 -m ziglang`; the note keeps the path.
  const [program = '', ...rest] = zig.command.split(' ');
  const found = `${version?.text ?? zig.version} (${[basename(program), ...rest].join(' ')})`;
  const note = `cargo-lambda runs ${zig.command}`;
  if (need.needed && version && !atLeast(version, MINIMUM.zig)) {
    return fail({ ...base, found, problem: `${version.text} is older than ${MINIMUM.zig}`, fix: FIX.zig, note });
  }
  return { ...base, found, status: need.needed ? 'ok' : 'skip', note };
}

/**
 * `installed` lists the targets whose standard library rustc's sysroot holds; undefined without
 * rustc. A missing target is only a warning where rustup is there: lambda-kit build adds it.
 */
export function judgeRustTarget(installed: string[] | undefined, architecture: Architecture, rustup: boolean): Check {
  const target = arch(architecture).rustTarget;
  const base = { id: 'rust-target' as const, tool: 'rust target', needed: `${target} (${architecture})` };
  if (!installed) return fail({ ...base, found: 'unknown', problem: 'rustc not found', fix: FIX.rustInstall });
  if (installed.includes(target)) return { ...base, found: 'installed', status: 'ok' };
  if (rustup)
    return { ...base, found: 'not installed', status: 'warn', problem: `${target} is not installed`, fix: FIX.rustTargetByBuild(target) };
  return fail({
    ...base,
    found: 'not installed',
    problem: `${target} is not installed, and there is no rustup to add it`,
    fix: FIX.rustTargetWithoutRustup(target),
  });
}

/** The Rust target a rust-target check found missing and lambda-kit build may install, if any. */
export function rustTargetToInstall(check: Check, architecture: Architecture): string | undefined {
  return check.id === 'rust-target' && check.status === 'warn' ? arch(architecture).rustTarget : undefined;
}

/** Whether `sam build` needs `--beta-features` to build a rust-cargolambda function. */
export function samNeedsBetaFlag(version: Version): boolean {
  return !atLeast(version, MINIMUM.samWithoutBeta);
}

export function judgeSam(run: ToolRun): Check {
  const base = { id: 'sam' as const, tool: 'sam', needed: `≥ ${MINIMUM.sam}` };
  if (!run.found) return fail({ ...base, found: 'not found', problem: 'not found', fix: FIX.samInstall });
  const version = samVersion(run.stdout);
  if (!version) return fail({ ...base, found: 'unknown', problem: `sam --version ${brokenRun(run)}`, fix: FIX.samInstall });
  if (!atLeast(version, MINIMUM.sam))
    return fail({ ...base, found: version.text, problem: `${version.text} is older than ${MINIMUM.sam}`, fix: FIX.samUpdate });
  const note = samNeedsBetaFlag(version)
    ? `rust-cargolambda is a beta feature before ${MINIMUM.samWithoutBeta}: lambda-kit build adds --beta-features`
    : undefined;
  return { ...base, found: version.text, status: 'ok', ...(note && { note }) };
}

const AWS_NEEDED = 'for deploy and remote commands';

/** The commands that call AWS, and so need a region and credentials; the others work without. */
export const AWS_COMMANDS = ['deploy', 'outputs', 'delete', 'logs', 'invoke --remote', 'bench --remote'] as const;

export const AWS_CHECKS: readonly CheckId[] = ['aws-region', 'aws-credentials'];

export function judgeAwsRegion(aws: AwsSetup): Check {
  const base = { id: 'aws-region' as const, tool: 'AWS region', needed: AWS_NEEDED };
  const { sdkRegion: sdk, samRegion: sam } = aws;
  const profileFlag = aws.profileNamed ? ` --profile ${aws.profile}` : '';
  const invalid = [sdk, sam].find((r) => r && !isRegionName(r.region));
  if (invalid) {
    const fix = invalid.source.startsWith('profile')
      ? `aws configure set region <region>${profileFlag}`
      : `export ${invalid.source}=<region>, such as eu-west-1`;
    const found = `${visible(invalid.region, 40)} (${invalid.source})`;
    return fail({ ...base, found, problem: `${quoted(invalid.region, 40)} from ${invalid.source} is not an AWS region`, fix });
  }
  if (!sdk && !sam) {
    return fail({
      ...base,
      found: 'not set',
      problem: `no region in the environment or profile ${aws.profile}`,
      fix: `aws configure set region <region>${profileFlag}`,
    });
  }
  if (sdk && sam && sdk.region === sam.region) {
    const sources = sdk.source === sam.source ? sdk.source : `${sdk.source}, ${sam.source}`;
    return { ...base, found: `${sdk.region} (${sources})`, status: 'ok' };
  }
  if (sdk && sam) {
    return {
      ...base,
      found: `${sam.region} for sam (${sam.source}), ${sdk.region} for lambda-kit (${sdk.source})`,
      status: 'warn',
      problem: 'sam and lambda-kit would use different regions',
      fix: `export AWS_DEFAULT_REGION=${sdk.region} AWS_REGION=${sdk.region}, or unset both and use the profile's region`,
    };
  }
  // One reader has a region and the other has none: boto3 ignores AWS_REGION, the JS SDK AWS_DEFAULT_REGION.
  const only = (sdk ?? sam)!;
  const missing = sdk ? 'AWS_DEFAULT_REGION' : 'AWS_REGION';
  const reader = sdk ? 'sam reads AWS_DEFAULT_REGION, not AWS_REGION' : 'lambda-kit reads AWS_REGION, not AWS_DEFAULT_REGION';
  return { ...base, found: `${only.region} (${only.source})`, status: 'warn', problem: reader, fix: `export ${missing}=${only.region}` };
}

export function judgeAwsCredentials(aws: AwsSetup): Check {
  const base = { id: 'aws-credentials' as const, tool: 'AWS credentials', needed: AWS_NEEDED };
  const ignored = aws.envKeysIgnored ? { note: `AWS_ACCESS_KEY_ID in the environment is not used: profile ${aws.profile} is` } : {};
  if (aws.credentials) return { ...base, found: aws.credentials, status: 'ok', ...ignored };
  if (aws.profileNamed && !aws.profileExists) {
    return fail({
      ...base,
      found: `no profile ${aws.profile}`,
      problem: `AWS_PROFILE=${aws.profile} is in neither ${aws.configPath} nor ${aws.credentialsPath}`,
      fix: `aws configure --profile ${aws.profile} (or aws configure sso --profile ${aws.profile})`,
    });
  }
  const fix = 'aws configure (access keys) or aws configure sso, or export AWS_PROFILE=<profile>';
  if (aws.onEc2) {
    // The instance role is a likely source, but only a call to the metadata service would tell.
    return {
      ...base,
      found: 'none found',
      status: 'warn',
      problem: `none in the environment or profile ${aws.profile}; this EC2 instance's role may supply them`,
      fix,
    };
  }
  if (aws.envKeysIgnored) {
    const problem = `profile ${aws.profile} has no credentials, and the keys in the environment are not used when a profile is named`;
    return fail({ ...base, found: 'none found', problem, fix });
  }
  return fail({ ...base, found: 'none found', problem: `no credentials in the environment or profile ${aws.profile}`, fix });
}

// ---------------------------------------------------------------------------------------------
// Probing: run the tools, read the files

/** `cargo lambda system --output-format json`: where cargo-lambda itself finds zig. */
export function parseCargoLambdaSystem(stdout: string): ZigProbe | undefined {
  try {
    const zig = (JSON.parse(stdout) as { zig?: { command?: unknown; path?: unknown; version?: unknown } }).zig;
    if (!zig) return undefined;
    const command = typeof zig.command === 'string' ? zig.command : typeof zig.path === 'string' ? zig.path : undefined;
    if (command && typeof zig.version === 'string') return { found: true, version: zig.version, command };
    return { found: false };
  } catch {
    return undefined;
  }
}

interface ProbeOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Asks cargo-lambda where zig is, so the answer is the one its build will reach. Without
 * cargo-lambda, looks the way it would (cargo-zigbuild): `python3 -m ziglang`, then `zig`.
 */
async function probeZig(cargoLambda: ToolRun, { cwd, env }: ProbeOptions): Promise<ZigProbe> {
  if (cargoLambda.found) {
    const system = parseCargoLambdaSystem(
      succeeded(await runTool('cargo-lambda', ['lambda', 'system', '--output-format', 'json'], { cwd, env })) ?? '',
    );
    if (system) return system;
  }
  const python = env.CARGO_ZIGBUILD_PYTHON_PATH || 'python3';
  const fromPython = zigVersion(succeeded(await runTool(python, ['-m', 'ziglang', 'version'], { cwd, env })) ?? '');
  if (fromPython) return { found: true, version: fromPython.text, command: `${python} -m ziglang` };
  const zig = env.CARGO_ZIGBUILD_ZIG_PATH || 'zig';
  const fromZig = zigVersion(succeeded(await runTool(zig, ['version'], { cwd, env })) ?? '');
  return fromZig ? { found: true, version: fromZig.text, command: zig } : { found: false };
}

/** The targets whose standard library the sysroot of the toolchain used in `cwd` holds. */
async function installedRustTargets(options: ProbeOptions): Promise<string[] | undefined> {
  const sysroot = succeeded(await runTool('rustc', ['--print', 'sysroot'], options))?.trim();
  if (!sysroot) return undefined;
  try {
    const entries = await readdir(join(sysroot, 'lib', 'rustlib'), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && e.name.includes('-')).map((e) => e.name);
  } catch {
    return [];
  }
}

export interface CheckOptions {
  /** Where the project is (rust-toolchain.toml there picks the toolchain). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The project's architecture; undefined outside a project (no rust-target check then). */
  architecture: Architecture | undefined;
}

/** Runs the checks named, each tool once and side by side, in the order given. */
export async function runChecks(ids: readonly CheckId[], options: CheckOptions): Promise<Check[]> {
  const probe: ProbeOptions = { cwd: options.cwd ?? process.cwd(), env: options.env ?? process.env };
  const wants = (...some: CheckId[]) => some.some((id) => ids.includes(id));
  const once = <T>(want: boolean, run: () => Promise<T>) => (want ? run() : Promise.resolve(undefined));

  const cargo = once(wants('rust'), () => runTool('cargo', ['--version'], probe));
  const rustc = once(wants('rust', 'zig'), () => runTool('rustc', ['-vV'], probe));
  const targets = once(wants('rust-target'), () => installedRustTargets(probe));
  const rustup = once(wants('rust-target'), () => runTool('rustup', ['--version'], probe));
  const cargoLambda = once(wants('cargo-lambda', 'zig'), () => runTool('cargo-lambda', ['lambda', '--version'], probe));
  const zig = once(wants('zig'), async () => probeZig((await cargoLambda)!, probe));
  const sam = once(wants('sam'), () => runTool('sam', ['--version'], probe));
  const aws = once(wants('aws-region', 'aws-credentials'), () => readAwsSetup(probe.env));

  const judge: Record<CheckId, () => Promise<Check | undefined>> = {
    node: async () => judgeNode(process.versions.node),
    rust: async () => judgeRust((await cargo)!, (await rustc)!),
    'cargo-lambda': async () => judgeCargoLambda((await cargoLambda)!),
    zig: async () => {
      const rustcRun = (await rustc)!;
      const host = rustcRun.found ? rustcHost(rustcRun.stdout) : undefined;
      return judgeZig((await zig)!, { architecture: options.architecture, host, compiler: probe.env.CARGO_LAMBDA_COMPILER });
    },
    'rust-target': async () => {
      if (!options.architecture) return undefined;
      return judgeRustTarget(await targets, options.architecture, succeeded((await rustup)!) !== undefined);
    },
    sam: async () => judgeSam((await sam)!),
    'aws-region': async () => judgeAwsRegion((await aws)!),
    'aws-credentials': async () => judgeAwsCredentials((await aws)!),
  };
  const checks = await Promise.all(ids.map((id) => judge[id]()));
  return checks.filter((check): check is Check => check !== undefined);
}

/** The one line a command stops with when a check it depends on fails. */
export function checkFailure(check: Check): UserError {
  return new UserError(`${check.tool}: ${check.problem ?? check.found}.`, {
    hint: check.fix ? `Fix: ${check.fix}` : 'Run lambda-kit doctor.',
  });
}

/** Runs the checks a command depends on; throws the first failure's fix, else returns them all. */
export async function requireChecks(ids: readonly CheckId[], options: CheckOptions): Promise<Check[]> {
  const checks = await runChecks(ids, options);
  const failed = checks.find((check) => check.status === 'fail');
  if (failed) throw checkFailure(failed);
  return checks;
}
