/**
 * The one model of a project that every lambda-kit command reads: its SAM template's Lambda
 * functions (with Globals applied) and the Cargo package each one builds from.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../cli/errors.js';
import { parseCfnYaml } from './cfn-yaml.js';
import { parseSamConfig, samConfigValue, type SamConfig } from './samconfig.js';

export type Architecture = 'arm64' | 'x86_64';

export interface LambdaFunction {
  /** The resource's logical id in template.yaml, e.g. `AppFunction`. */
  logicalId: string;
  /** Absolute path of the function's code (its CodeUri). */
  codeDir: string;
  architecture: Architecture;
  /** `rust-cargolambda` for the functions this kit builds. */
  buildMethod: string | undefined;
  runtime: string | undefined;
  handler: string | undefined;
  memorySize: number;
  timeout: number;
  /** Environment variables as written: values may be intrinsics such as `{Ref: ResultsTable}`. */
  environment: Record<string, unknown>;
  /** FunctionName when it is a literal; it is often `!Ref AWS::StackName` or unset. */
  functionName: string | undefined;
  /** LoggingConfig: `Text` or `JSON`, and the application's log level (JSON only). */
  logFormat: string | undefined;
  applicationLogLevel: string | undefined;
}

export interface Project {
  dir: string;
  templatePath: string;
  /** The Cargo package name of the project root, if it has a Cargo.toml. */
  packageName: string | undefined;
  functions: LambdaFunction[];
  /** samconfig.toml, parsed, if the project has one. */
  samconfig: SamConfig | undefined;
}

type Json = Record<string, any>;

const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The `name` of Cargo.toml's [package] section: enough TOML for that one key. */
export function cargoPackageName(cargoToml: string): string | undefined {
  const section = /^\[package\][^\n]*\n([\s\S]*?)(?=^\[|$(?![\s\S]))/m.exec(cargoToml);
  return section ? /^name\s*=\s*"([^"]+)"/m.exec(section[1]!)?.[1] : undefined;
}

export function functionsOf(template: Json, dir: string): LambdaFunction[] {
  const globals: Json = template.Globals?.Function ?? {};
  return Object.entries((template.Resources ?? {}) as Record<string, Json>)
    .filter(([, resource]) => FUNCTION_TYPES.has(resource?.Type))
    .map(([logicalId, resource]) => {
      const props: Json = { ...globals, ...(resource.Properties ?? {}) };
      const architecture = (props.Architectures?.[0] ?? 'x86_64') as Architecture;
      return {
        logicalId,
        codeDir: resolve(dir, typeof props.CodeUri === 'string' ? props.CodeUri : '.'),
        architecture,
        buildMethod: resource.Metadata?.BuildMethod,
        runtime: props.Runtime,
        handler: props.Handler,
        memorySize: Number(props.MemorySize ?? 128),
        timeout: Number(props.Timeout ?? 3),
        environment: { ...(globals.Environment?.Variables ?? {}), ...(resource.Properties?.Environment?.Variables ?? {}) },
        functionName: typeof props.FunctionName === 'string' ? props.FunctionName : undefined,
        logFormat: stringOrUndefined(props.LoggingConfig?.LogFormat),
        applicationLogLevel: stringOrUndefined(props.LoggingConfig?.ApplicationLogLevel),
      };
    });
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Reads the project in `dir`. A directory without template.yaml is a one-line user error. */
export async function loadProject(dir = process.cwd()): Promise<Project> {
  const root = resolve(dir);
  const templatePath = join(root, 'template.yaml');
  const text = await readText(templatePath);
  if (text === undefined) {
    throw new UserError(`no template.yaml in ${root}: run lambda-kit in a project made by create-fast-lambda`);
  }
  let template: Json;
  try {
    template = parseCfnYaml(text) as Json;
  } catch (error) {
    throw new UserError(`template.yaml is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const functions = functionsOf(template ?? {}, root);
  if (functions.length === 0) throw new UserError('template.yaml defines no Lambda function');
  const cargo = await readText(join(root, 'Cargo.toml'));
  const samconfig = await readText(join(root, 'samconfig.toml'));
  return {
    dir: root,
    templatePath,
    packageName: cargo ? cargoPackageName(cargo) : undefined,
    functions,
    samconfig: samconfig === undefined ? undefined : parseSamConfig(samconfig),
  };
}

/**
 * A function this kit builds and runs: cargo-lambda's, or any custom runtime's `bootstrap`. Not
 * one of a managed runtime (nodejs22.x, python3.13), such as the churn example's twins.
 */
export function isRustFunction(fn: LambdaFunction): boolean {
  return fn.buildMethod === 'rust-cargolambda' || fn.runtime === undefined || fn.runtime.startsWith('provided');
}

/** The function `logicalId` names, else the only (Rust) one; a clear error otherwise. */
export function pickFunction(project: Project, logicalId: string | undefined): LambdaFunction {
  if (logicalId !== undefined) {
    const found = project.functions.find((f) => f.logicalId === logicalId);
    if (!found) {
      throw new UserError(`no function ${logicalId} in template.yaml; it has ${project.functions.map((f) => f.logicalId).join(', ')}`, { exitCode: 2 });
    }
    return found;
  }
  // Twins in other languages beside one Rust function (the churn example): the Rust one is meant.
  const rust = project.functions.filter(isRustFunction);
  if (project.functions.length > 1 && rust.length === 1) return rust[0]!;
  if (project.functions.length > 1) {
    throw new UserError(`template.yaml has ${project.functions.length} functions: pick one with --function (${project.functions.map((f) => f.logicalId).join(', ')})`, { exitCode: 2 });
  }
  return project.functions[0]!;
}

/**
 * The stack the project deploys to, as `sam` picks it: the flag, else samconfig.toml's
 * stack_name, else (as create-fast-lambda names stacks) the Cargo package name.
 */
export function stackNameOf(project: Project, flag: string | undefined): string {
  const configured = samConfigValue(project.samconfig, 'deploy', 'stack_name');
  const name = flag ?? (typeof configured === 'string' ? configured : undefined) ?? project.packageName;
  if (!name) throw new UserError('no stack name: pass --stack-name, or set stack_name in samconfig.toml', { exitCode: 2 });
  return name;
}
