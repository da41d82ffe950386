/**
 * ProjectSpec: the one validated description of a project. Flags and prompts both produce raw
 * strings and go through the same checks here, so they accept and refuse exactly the same input.
 */
import { usageError } from '../errors.js';
import {
  APIS,
  ARCHS,
  AUTHS,
  COGNITO_ISSUER,
  EXAMPLES,
  DEFAULT_LOG_RETENTION,
  DEFAULT_MEMORY,
  LAMBDA_ENVIRONMENT_BYTES,
  LOG_RETENTION_DAYS,
  MAX_JWT_AUDIENCE_BYTES,
  MEMORY_RANGE,
  NAME_PATTERN,
  RESERVED_CRATE_NAMES,
  S3_MAX_NAME_LENGTH,
  S3_RESERVED_PREFIXES,
  SINKS,
  TIMEOUT_RANGE,
  TRIGGERS,
  api as apiRow,
  example as exampleRow,
  allTriggerOptions,
  sink as sinkRow,
  trigger as triggerRow,
  triggerOptions,
  type ApiId,
  type ArchId,
  type AuthId,
  type ExampleId,
  type SinkId,
  type TriggerId,
} from './catalog.js';
import { dependencyCrateNames } from './crate-names.js';
import { abbreviateForMessage, hasControlCharacters, quoteForMessage } from './quote.js';

export interface ProjectSpec {
  /** A complete application (it fixes trigger and sink), or 'none' for a function to fill in. */
  example: ExampleId | 'none';
  /** With an example: also its Node.js and Python twins, for `lambda-kit bench`. */
  twins: boolean;
  name: string;
  trigger: TriggerId;
  /** 'none' unless the trigger is 'api'. */
  api: ApiId | 'none';
  /** Who may call the API; 'none' unless the trigger is 'api'. */
  auth: AuthId | 'none';
  /** The JWT issuer URL and audience; '' unless auth is 'jwt'. */
  jwtIssuer: string;
  jwtAudience: string;
  sink: SinkId;
  arch: ArchId;
  memory: number;
  timeout: number;
  /** Days CloudWatch keeps the function's (and the API's access) logs. */
  logRetention: number;
  /** The answers to the trigger's own questions (catalog.ts, `TriggerOption`), by key: `{ schedule: 'rate(5 minutes)' }`. */
  options?: Readonly<Record<string, string>>;
}

/** Answers as typed on the command line or at a prompt, not yet checked (twins: 'true'/'false'). */
export type RawAnswers = { [K in Exclude<keyof ProjectSpec, 'options'>]?: string } & {
  /** The trigger's own questions, by key (`schedule`); any trigger's may be given, its own are kept. */
  options?: Record<string, string | undefined>;
};

/** The order of the questions, and the flag that answers each. */
export const FIELDS = [
  'example',
  'twins',
  'name',
  'trigger',
  'api',
  'auth',
  'jwtIssuer',
  'jwtAudience',
  'sink',
  'arch',
  'memory',
  'timeout',
  'logRetention',
] as const;
export type Field = (typeof FIELDS)[number];

/** `jwtIssuer` → `--jwt-issuer` */
export const flagOf = (field: Field): string => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);

function oneOf(values: string[]): string {
  return values.length < 3 ? values.join(' or ') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

/**
 * The example's twins are functions named `<name>-node` and `<name>-python` (the project name is
 * the stack name), and Lambda's function names stop at 64 characters.
 */
const TWINS_MAX_NAME_LENGTH = 64 - '-python'.length;

/** Why `name` cannot be a project name, or undefined when it can. */
export function nameProblem(name: string, trigger?: TriggerId, twins = false): string | undefined {
  if (name.length === 0) return 'a name is required';
  if (name.length > 64) return `must be at most 64 characters (it has ${name.length})`;
  const bad = [...new Set(name.replace(/[a-z0-9-]/g, ''))].map((c) => (c === ' ' ? 'spaces' : `"${quoteForMessage(c)}"`));
  if (bad.length > 0) {
    const shown = bad.length > 5 ? [...bad.slice(0, 4), 'others'] : bad;
    return `may only hold lowercase letters, digits and dashes, not ${oneOf(shown)} (it names the crate and the stack)`;
  }
  if (!NAME_PATTERN.test(name)) return 'must start with a lowercase letter';
  if (name.endsWith('-')) return 'must not end with a dash';
  const crateName = name.replaceAll('-', '_');
  if (RESERVED_CRATE_NAMES.has(crateName) || dependencyCrateNames().has(crateName)) {
    return 'is taken: Rust or the generated project already uses a crate or keyword of that name';
  }
  const reserved = S3_RESERVED_PREFIXES.find((prefix) => name.startsWith(prefix));
  if (trigger === 's3' && reserved) {
    return `must not start with "${reserved}" with the S3 trigger (S3 reserves it, and the bucket name starts with the project name)`;
  }
  if (trigger === 's3' && name.length > S3_MAX_NAME_LENGTH) {
    return `must be at most ${S3_MAX_NAME_LENGTH} characters with the S3 trigger (the bucket is named <name>-<account>-<region>, at most 63 characters)`;
  }
  if (twins && name.length > TWINS_MAX_NAME_LENGTH) {
    return `must be at most ${TWINS_MAX_NAME_LENGTH} characters with the twins (the Python twin's function is <name>-python, and Lambda function names stop at 64)`;
  }
  return undefined;
}

const WHOLE_NUMBER = /^\d+$/;

export function memoryProblem(raw: string): string | undefined {
  const value = Number(raw);
  if (!WHOLE_NUMBER.test(raw.trim()) || value < MEMORY_RANGE.min || value > MEMORY_RANGE.max) {
    return `must be a whole number of MB from ${MEMORY_RANGE.min} to ${MEMORY_RANGE.max}`;
  }
  return undefined;
}

export function maxTimeout(trigger: TriggerId, api: ApiId | 'none'): number {
  return trigger === 'api' && api !== 'none' ? apiRow(api).maxTimeout : TIMEOUT_RANGE.max;
}

export function timeoutProblem(raw: string, trigger: TriggerId, api: ApiId | 'none'): string | undefined {
  const value = Number(raw);
  if (!WHOLE_NUMBER.test(raw.trim()) || value < TIMEOUT_RANGE.min || value > TIMEOUT_RANGE.max) {
    return `must be a whole number of seconds from ${TIMEOUT_RANGE.min} to ${TIMEOUT_RANGE.max}`;
  }
  const max = maxTimeout(trigger, api);
  if (value > max) {
    const label = apiRow(api as ApiId).label;
    return `must be at most ${max} for ${label}s: API Gateway stops waiting after ${max} s`;
  }
  return undefined;
}

export function jwtIssuerProblem(raw: string, api: ApiId | 'none'): string | undefined {
  // Before parsing: the URL parser silently drops tabs and newlines, which would still reach the files.
  if (hasControlCharacters(raw)) return 'must not hold control characters';
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return 'must be the https URL of the token issuer, e.g. https://example.auth0.com/';
  }
  if (url.protocol !== 'https:') return 'must be an https URL';
  // Token issuers (the iss claim) compare as exact strings, and they are written in lower case.
  if (!raw.trim().startsWith('https://')) return 'must start with lower-case https://, as the iss claim of tokens does';
  if (/["\\\s]/.test(raw.trim())) return 'must not hold quotes, backslashes or spaces';
  // The parser reports a bare "?", "#" or "@" as empty, so look at the text too.
  if (url.search || url.hash || url.username || url.password || /[?#]/.test(raw) || /^\s*https:\/\/[^/]*@/.test(raw)) {
    return 'must be a plain https URL, without query, fragment or credentials';
  }
  if (api === 'rest' && !COGNITO_ISSUER.test(raw.trim())) {
    return 'must be a Cognito user pool (https://cognito-idp.<region>.amazonaws.com/<pool id>) with a REST API, which has no generic JWT authorizer; choose --api http for other issuers';
  }
  return undefined;
}

export function jwtAudienceProblem(raw: string): string | undefined {
  if (hasControlCharacters(raw)) return 'must not hold control characters';
  if (raw.trim() === '') return 'must not be empty: it is the client id or API identifier your tokens are issued for';
  const bytes = Buffer.byteLength(raw.trim());
  if (bytes > MAX_JWT_AUDIENCE_BYTES) {
    return `must be at most ${MAX_JWT_AUDIENCE_BYTES} bytes (it has ${bytes}): the function gets it in its environment, which Lambda caps at ${LAMBDA_ENVIRONMENT_BYTES / 1024} KB for all variables together`;
  }
  if (/[\s,"\\]/.test(raw.trim())) return 'must be one audience, without spaces, commas, quotes or backslashes';
  return undefined;
}

export function logRetentionProblem(raw: string): string | undefined {
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(Number(raw)) || !WHOLE_NUMBER.test(raw.trim())) {
    return `CloudWatch keeps logs for ${oneOf(LOG_RETENTION_DAYS.map(String))} days`;
  }
  return undefined;
}

export const defaultTimeout = (trigger: TriggerId): number => triggerRow(trigger).defaultTimeout;
export const defaultSink = (trigger: TriggerId): SinkId => triggerRow(trigger).defaultSink;

function invalid(field: Field, raw: string, problem: string) {
  return invalidFlag(flagOf(field), raw, problem);
}

function invalidFlag(flag: string, raw: string, problem: string) {
  return usageError(`Invalid ${flag} "${abbreviateForMessage(raw)}": ${problem}.`);
}

/** `schedule` → `--schedule`, as for the fields. */
export const optionFlag = (key: string): string => flagOf(key as Field);

/**
 * The answers to the trigger's own questions: given or their defaults, each checked. An answer
 * to another trigger's question is a usage error, as --api is without the API trigger.
 */
function resolveTriggerOptions(trigger: TriggerId, given: Record<string, string | undefined>): Record<string, string> {
  const own = triggerOptions(trigger);
  for (const { trigger: asker, option } of allTriggerOptions()) {
    if (given[option.key] !== undefined && !own.includes(option)) {
      throw usageError(`${optionFlag(option.key)} applies only to --trigger ${asker} (the trigger is ${trigger}).`);
    }
  }
  return Object.fromEntries(
    own.map((option) => {
      const value = given[option.key] ?? option.default;
      const problem = option.problem(value);
      if (problem) throw invalidFlag(optionFlag(option.key), value, problem);
      return [option.key, value];
    }),
  );
}

function choice<T extends string>(field: Field, raw: string, allowed: readonly { id: string }[]): T {
  if (!ids(allowed).includes(raw)) throw invalid(field, raw, `choose ${oneOf(ids(allowed))}`);
  return raw as T;
}

/**
 * Checks every given answer and fills each missing one with its default. Throws a usage error
 * (exit 2) that names the flag of the first bad answer. `partial` checks only what is given,
 * before the prompts ask for the rest.
 */
export function resolveSpec(raw: RawAnswers, options: { partial?: boolean } = {}): ProjectSpec {
  const example = raw.example === undefined ? 'none' : choice<ExampleId>('example', raw.example, EXAMPLES);
  if (example !== 'none') {
    const fixed = exampleRow(example);
    const clash = (['trigger', 'sink'] as const).find((f) => raw[f] !== undefined && raw[f] !== fixed[f]);
    if (clash) {
      throw usageError(
        `--example ${example} is a ${triggerRow(fixed.trigger).short} → ${sinkRow(fixed.sink).short} application; drop ${flagOf(clash)} ${abbreviateForMessage(raw[clash]!)}.`,
      );
    }
  } else if (raw.twins !== undefined) {
    const flag = raw.twins === 'false' ? '--no-twins' : '--twins';
    throw usageError(`${flag} applies only with --example (the twins are the example's handler in Node.js and Python).`);
  }
  const twins = example !== 'none' && raw.twins !== 'false';
  const trigger =
    example !== 'none'
      ? exampleRow(example).trigger
      : raw.trigger === undefined
        ? 'api'
        : choice<TriggerId>('trigger', raw.trigger, TRIGGERS);

  const triggerAnswers = resolveTriggerOptions(trigger, raw.options ?? {});

  let api: ApiId | 'none' = 'none';
  if (trigger === 'api') {
    api = raw.api === undefined ? 'http' : choice<ApiId>('api', raw.api, APIS);
  } else if (raw.api !== undefined) {
    throw usageError(`--api applies only to the API trigger (the trigger is ${trigger}).`);
  }

  let auth: AuthId | 'none' = 'none';
  if (trigger === 'api') {
    auth = raw.auth === undefined ? 'iam' : choice<AuthId>('auth', raw.auth, AUTHS);
  } else if (raw.auth !== undefined) {
    throw usageError(`--auth applies only to the API trigger (the trigger is ${trigger}).`);
  }
  let jwtIssuer = '';
  let jwtAudience = '';
  if (auth === 'jwt') {
    const missing = (['jwtIssuer', 'jwtAudience'] as const).filter((f) => raw[f] === undefined).map(flagOf);
    if (missing.length > 0 && !options.partial) throw usageError(`--auth jwt needs ${missing.join(' and ')}.`);
    jwtIssuer = raw.jwtIssuer?.trim() ?? '';
    jwtAudience = raw.jwtAudience?.trim() ?? '';
    const issuerIssue = raw.jwtIssuer === undefined ? undefined : jwtIssuerProblem(raw.jwtIssuer, api);
    if (issuerIssue) throw invalid('jwtIssuer', raw.jwtIssuer!, issuerIssue);
    const audienceIssue = raw.jwtAudience === undefined ? undefined : jwtAudienceProblem(raw.jwtAudience);
    if (audienceIssue) throw invalid('jwtAudience', raw.jwtAudience!, audienceIssue);
  } else {
    const stray = (['jwtIssuer', 'jwtAudience'] as const).find((f) => raw[f] !== undefined);
    if (stray) throw usageError(`${flagOf(stray)} applies only with --auth jwt.`);
  }

  const name = raw.name ?? '';
  const nameIssue = nameProblem(name, trigger, twins);
  if (nameIssue) throw invalid('name', name, nameIssue);

  const sink =
    example !== 'none' ? exampleRow(example).sink : raw.sink === undefined ? defaultSink(trigger) : choice<SinkId>('sink', raw.sink, SINKS);
  const arch = raw.arch === undefined ? 'arm64' : choice<ArchId>('arch', raw.arch, ARCHS);

  const memoryRaw = raw.memory ?? String(DEFAULT_MEMORY);
  const memoryIssue = memoryProblem(memoryRaw);
  if (memoryIssue) throw invalid('memory', memoryRaw, memoryIssue);

  const timeoutRaw = raw.timeout ?? String(defaultTimeout(trigger));
  const timeoutIssue = timeoutProblem(timeoutRaw, trigger, api);
  if (timeoutIssue) throw invalid('timeout', timeoutRaw, timeoutIssue);

  const retentionRaw = raw.logRetention ?? String(DEFAULT_LOG_RETENTION);
  const retentionIssue = logRetentionProblem(retentionRaw);
  if (retentionIssue) throw invalid('logRetention', retentionRaw, retentionIssue);

  return {
    example,
    twins,
    name,
    trigger,
    api,
    auth,
    jwtIssuer,
    jwtAudience,
    sink,
    arch,
    memory: Number(memoryRaw),
    timeout: Number(timeoutRaw),
    logRetention: Number(retentionRaw),
    // Only a trigger with questions of its own has answers.
    ...(Object.keys(triggerAnswers).length > 0 && { options: triggerAnswers }),
  };
}

/** The flags a non-interactive run lacks, when it must not fall back to defaults. */
export function missingFlags(raw: RawAnswers): string[] {
  const example = raw.example !== undefined;
  const needed: Field[] = [
    'name',
    ...(example ? [] : (['trigger'] as const)),
    ...(raw.trigger === 'api' ? (['api', 'auth'] as const) : []),
    ...(raw.auth === 'jwt' ? (['jwtIssuer', 'jwtAudience'] as const) : []),
    ...(example ? [] : (['sink'] as const)),
    'arch',
    'memory',
    'timeout',
  ];
  const trigger = TRIGGERS.find((row) => row.id === raw.trigger)?.id;
  const ownOptions = trigger === undefined || example ? [] : triggerOptions(trigger);
  return [
    ...needed.filter((field) => raw[field] === undefined).map(flagOf),
    ...ownOptions.filter((option) => raw.options?.[option.key] === undefined).map((option) => optionFlag(option.key)),
  ];
}
