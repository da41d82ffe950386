/**
 * The one model of a project that every lambda-kit command reads: its SAM template's Lambda
 * functions (with Globals applied) and the Cargo package each one builds from.
 */
import { lstatSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { parseCfnYaml, YamlProblem } from './cfn-yaml.js';
import { parseSamConfig, samConfigString, type SamConfig } from './samconfig.js';
import { quoted, visible } from '../text/terminal-text.js';

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

type Json = Record<string, unknown>;

const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);
const ARCHITECTURES: readonly Architecture[] = ['arm64', 'x86_64'];
/** Lambda's limits: the API refuses anything else, and a local run must not pretend otherwise. */
export const TIMEOUT_RANGE = { min: 1, max: 900 } as const;
export const MEMORY_RANGE = { min: 128, max: 10240 } as const;
/** Lambda's pattern for an environment variable's name. */
const ENV_NAME = /^[a-zA-Z][a-zA-Z0-9_]+$/;
/** CloudFormation's pattern for a stack name. */
const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
const LOG_FORMATS = ['Text', 'JSON'];
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** A template that CloudFormation or Lambda would refuse, or that lambda-kit cannot read: one line naming where. */
export function templateError(where: string, message: string): UserError {
  return new UserError(`template.yaml: ${where}: ${message}`);
}

const isMapping = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A template value as the template writes it, short and on one line: `arm64`, `[mips]`, `!Ref T`. */
export function describeTemplateValue(value: unknown, depth = 0): string {
  if (typeof value === 'string') return visible(value, 40);
  if (Array.isArray(value)) {
    if (depth > 2) return '[…]';
    const items = value.slice(0, 5).map((v) => describeTemplateValue(v, depth + 1));
    return `[${items.join(', ')}${value.length > 5 ? ', …' : ''}]`;
  }
  if (isMapping(value)) {
    const [key, arg] = Object.entries(value)[0] ?? [];
    if (key === undefined) return '{}';
    if (key === 'Ref') return `!Ref ${describeTemplateValue(arg, depth + 1)}`;
    if (key.startsWith('Fn::')) return `!${visible(key.slice(4), 20)} …`;
    return `{${visible(key, 20)}: …}`;
  }
  return visible(String(value), 40);
}

async function readText(path: string, shown: string): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // A link to nowhere is a file the user meant to be there, not an absent one.
      const target = await readlink(path).catch(() => undefined);
      if (target === undefined) return undefined;
      throw new UserError(`${shown} is a symbolic link to ${quoted(target)}, which does not exist`);
    }
    throw new UserError(`cannot read ${shown}: ${code === 'EISDIR' ? 'it is a directory' : (code ?? visible((error as Error).message))}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${shown} is not UTF-8 text`);
  }
}

/** Whether `dir` has a template.yaml, even a broken one (a link to nowhere counts: reading it says what is wrong). */
export function hasTemplate(dir: string): boolean {
  try {
    lstatSync(join(dir, 'template.yaml'));
    return true;
  } catch {
    return false;
  }
}

/** The `name` of Cargo.toml's [package] section: enough TOML for that one key. */
export function cargoPackageName(cargoToml: string): string | undefined {
  const section = /^\[package\][^\n]*\n([\s\S]*?)(?=^\[|$(?![\s\S]))/m.exec(cargoToml);
  return section ? /^name\s*=\s*"([^"]+)"/m.exec(section[1]!)?.[1] : undefined;
}

/**
 * A property's literal value: itself, or for `!Ref P` the Default of template parameter P, as
 * CloudFormation would use it when nobody overrides P. Other intrinsics need a deployed stack.
 */
export function literalOf(value: unknown, parameters: Json, where: string, property: string): unknown {
  if (!isMapping(value)) return value;
  const ref = value.Ref;
  if (Object.keys(value).length === 1 && typeof ref === 'string') {
    const parameter: unknown = Object.hasOwn(parameters, ref) ? parameters[ref] : undefined;
    if (!isMapping(parameter))
      throw templateError(where, `${property} is !Ref ${visible(ref, 40)}, which is not a parameter of the template`);
    if (parameter.Default === undefined) {
      const name = visible(ref, 40);
      throw templateError(
        where,
        `${property} is !Ref ${name}, and parameter ${name} has no Default: give it one, or write the value itself`,
      );
    }
    return parameter.Default;
  }
  throw templateError(
    where,
    `${property} is ${describeTemplateValue(value)}, which lambda-kit cannot resolve: write the value itself, or !Ref a parameter with a Default`,
  );
}

/** A whole number in Lambda's range, written as a number or as digits (CloudFormation takes both). */
export function wholeNumber(value: unknown, range: { min: number; max: number }, where: string, property: string, unit: string): number {
  const number =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(number) || number < range.min || number > range.max) {
    const expected = `a whole number of ${unit} from ${range.min} to ${range.max}`;
    throw templateError(where, `${property} must be ${expected}, not ${describeTemplateValue(value)}`);
  }
  return number;
}

function architectureOf(value: unknown, parameters: Json, where: string): Architecture {
  if (value === undefined) return 'x86_64';
  const list = literalOf(value, parameters, where, 'Architectures');
  const only = Array.isArray(list) && list.length === 1 ? literalOf(list[0], parameters, where, 'Architectures') : undefined;
  if (typeof only !== 'string' || !ARCHITECTURES.includes(only as Architecture)) {
    throw templateError(
      where,
      `Architectures must be a list of one architecture, [arm64] or [x86_64], not ${describeTemplateValue(value)}`,
    );
  }
  return only as Architecture;
}

/** A string property that becomes a path or an environment variable: no control characters. */
function plainString(value: unknown, where: string, property: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (/[\u0000-\u001f\u007f]/.test(value)) throw templateError(where, `${property} holds a control character: ${visible(value, 40)}`);
  return value;
}

function oneOf(value: unknown, allowed: string[], where: string, property: string): string | undefined {
  if (value === undefined || isMapping(value)) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw templateError(where, `${property} must be one of ${allowed.join(', ')}, not ${describeTemplateValue(value)}`);
  }
  return value;
}

/** Environment.Variables: a mapping of Lambda-valid names; a value cannot hold NUL, as no environment can. */
function environmentOf(environment: unknown, where: string): Json {
  if (environment === undefined || environment === null) return {};
  const variables: unknown = isMapping(environment) ? environment.Variables : environment;
  if (!isMapping(environment) || (variables !== undefined && variables !== null && !isMapping(variables))) {
    const expected = 'a mapping with Variables, a mapping of names to values';
    throw templateError(where, `Environment must be ${expected}, not ${describeTemplateValue(environment)}`);
  }
  const keys = isMapping(variables) ? Object.keys(variables) : [];
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) {
    throw templateError(
      where,
      `Environment.Variables is ${describeTemplateValue(variables)}, which lambda-kit cannot resolve: list the variables`,
    );
  }
  for (const [name, value] of Object.entries(variables ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw templateError(where, `environment variable ${quoted(name, 40)} is not a valid name (a letter, then letters, digits or _)`);
    }
    if (typeof value === 'string' && value.includes('\0')) {
      throw templateError(where, `environment variable ${name} holds a NUL character, which no environment variable can`);
    }
  }
  return (variables ?? {}) as Json;
}

/** Lambda refuses a function whose environment variables, names and values, take over 4 KB. */
const ENVIRONMENT_LIMIT_BYTES = 4096;

function withinLambdaLimit(environment: Json, where: string): Json {
  let bytes = 0;
  for (const [name, value] of Object.entries(environment)) {
    // Intrinsics are sized by CloudFormation at deploy time; literals can be counted now.
    bytes += Buffer.byteLength(name) + (['string', 'number', 'boolean'].includes(typeof value) ? Buffer.byteLength(String(value)) : 0);
  }
  if (bytes > ENVIRONMENT_LIMIT_BYTES) {
    throw templateError(
      where,
      `its environment variables take ${bytes.toLocaleString('en-US')} bytes, and Lambda allows 4 KB (4,096 bytes) in all`,
    );
  }
  return environment;
}

export function functionsOf(template: unknown, dir: string): LambdaFunction[] {
  if (!isMapping(template)) throw new UserError('template.yaml: not a template (a mapping with Resources)');
  const { Globals, Parameters, Resources } = template;
  if (Globals !== undefined && Globals !== null && !isMapping(Globals)) throw templateError('Globals', 'must be a mapping');
  const globals: unknown = Globals?.Function ?? {};
  if (!isMapping(globals)) throw templateError('Globals.Function', 'must be a mapping');
  const parameters: Json = isMapping(Parameters) ? Parameters : {};
  if (Resources !== undefined && Resources !== null && !isMapping(Resources)) {
    throw templateError('Resources', 'must be a mapping of logical ids to resources');
  }
  const globalEnvironment = environmentOf(globals.Environment, 'Globals.Function');
  return Object.entries((Resources ?? {}) as Json)
    .filter((entry): entry is [string, Json] => isMapping(entry[1]) && FUNCTION_TYPES.has(String(entry[1].Type)))
    .map(([logicalId, resource]) => {
      const id = visible(logicalId, 64);
      // CloudFormation's rule; it also keeps ids safe to name in messages and paths (.aws-sam/build/<id>).
      if (!/^[A-Za-z0-9]{1,255}$/.test(logicalId))
        throw templateError(quoted(logicalId, 64), 'a logical id must be letters and digits only');
      const own: unknown = resource.Properties ?? {};
      if (!isMapping(own)) throw templateError(id, 'Properties must be a mapping');
      const props: Json = { ...globals, ...own };
      // A value set in Globals is named there, so the fix is made in the right place.
      const where = (key: string) => (own[key] === undefined && globals[key] !== undefined ? `${id} (from Globals)` : id);
      const logging: unknown = props.LoggingConfig;
      const loggingConfig: Json = isMapping(logging) ? logging : {};
      const codeUri = plainString(props.CodeUri, where('CodeUri'), 'CodeUri');
      // Lambda's default when unset; a literal or a parameter's Default, checked against Lambda's range, otherwise.
      const sizeOf = (key: string, range: { min: number; max: number }, unit: string, unset: number) =>
        props[key] === undefined ? unset : wholeNumber(literalOf(props[key], parameters, where(key), key), range, where(key), key, unit);
      return {
        logicalId,
        codeDir: resolve(dir, codeUri ?? '.'),
        architecture: architectureOf(props.Architectures, parameters, where('Architectures')),
        buildMethod: isMapping(resource.Metadata) ? stringOrUndefined(resource.Metadata.BuildMethod) : undefined,
        runtime: plainString(props.Runtime, where('Runtime'), 'Runtime'),
        handler: plainString(props.Handler, where('Handler'), 'Handler'),
        memorySize: sizeOf('MemorySize', MEMORY_RANGE, 'MB', 128),
        timeout: sizeOf('Timeout', TIMEOUT_RANGE, 'seconds', 3),
        environment: withinLambdaLimit({ ...globalEnvironment, ...environmentOf(own.Environment, id) }, id),
        functionName: plainString(props.FunctionName, where('FunctionName'), 'FunctionName'),
        logFormat: oneOf(loggingConfig.LogFormat, LOG_FORMATS, where('LoggingConfig'), 'LoggingConfig.LogFormat'),
        applicationLogLevel: oneOf(
          loggingConfig.ApplicationLogLevel,
          LOG_LEVELS,
          where('LoggingConfig'),
          'LoggingConfig.ApplicationLogLevel',
        ),
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
  const text = await readText(templatePath, 'template.yaml');
  if (text === undefined) {
    throw new UserError(`no template.yaml in ${root}: run lambda-kit in a project made by create-fast-lambda`);
  }
  let template: unknown;
  try {
    template = parseCfnYaml(text);
  } catch (error) {
    const line = error instanceof YamlProblem && error.line !== undefined ? `:${error.line}` : '';
    throw new UserError(`template.yaml${line}: not valid YAML: ${visible((error as Error).message.split('\n')[0]!, 200)}`);
  }
  const functions = functionsOf(template ?? {}, root);
  if (functions.length === 0) throw new UserError('template.yaml defines no Lambda function');
  const cargo = await readText(join(root, 'Cargo.toml'), 'Cargo.toml');
  // A samconfig.toml that does not parse stops every command: guessing would act on the wrong stack.
  const samconfig = await readText(join(root, 'samconfig.toml'), 'samconfig.toml');
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
      throw new UserError(
        `no function ${visible(logicalId, 64)} in template.yaml; it has ${project.functions.map((f) => f.logicalId).join(', ')}`,
        { exitCode: 2 },
      );
    }
    return found;
  }
  // Twins in other languages beside one Rust function (the churn example): the Rust one is meant.
  const rust = project.functions.filter(isRustFunction);
  if (project.functions.length > 1 && rust.length === 1) return rust[0]!;
  if (project.functions.length > 1) {
    throw new UserError(
      `template.yaml has ${project.functions.length} functions: pick one with --function (${project.functions.map((f) => f.logicalId).join(', ')})`,
      { exitCode: 2 },
    );
  }
  return project.functions[0]!;
}

/**
 * The stack the project deploys to, as `sam` picks it: the flag, else samconfig.toml's
 * stack_name, else (as create-fast-lambda names stacks) the Cargo package name.
 */
export function stackNameOf(project: Project, flag: string | undefined): string {
  const configured = samConfigString(project.samconfig, 'deploy', 'stack_name');
  if (configured !== undefined && !STACK_NAME.test(configured)) {
    const rule = 'a letter, then letters, digits and dashes, at most 128';
    throw new UserError(`samconfig.toml: stack_name ${quoted(configured, 40)} is not a stack name (${rule})`);
  }
  const name = flag ?? configured ?? project.packageName;
  if (!name) throw new UserError('no stack name: pass --stack-name, or set stack_name in samconfig.toml', { exitCode: 2 });
  return name;
}
