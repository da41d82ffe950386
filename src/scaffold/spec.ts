/**
 * ProjectSpec: the one validated description of a project. Flags and prompts both produce raw
 * strings and go through the same checks here, so they accept and refuse exactly the same input.
 */
import { usageError } from '../cli/errors.js';
import {
  APIS,
  ARCHS,
  DEFAULT_MEMORY,
  MEMORY_RANGE,
  NAME_PATTERN,
  S3_MAX_NAME_LENGTH,
  S3_RESERVED_PREFIXES,
  SINKS,
  TIMEOUT_RANGE,
  TRIGGERS,
  api as apiRow,
  trigger as triggerRow,
  type ApiId,
  type ArchId,
  type SinkId,
  type TriggerId,
} from './catalog.js';

export interface ProjectSpec {
  name: string;
  trigger: TriggerId;
  /** 'none' unless the trigger is 'api'. */
  api: ApiId | 'none';
  sink: SinkId;
  arch: ArchId;
  memory: number;
  timeout: number;
}

/** Answers as typed on the command line or at a prompt, not yet checked. */
export type RawAnswers = { [K in keyof ProjectSpec]?: string };

/** The order of the questions, and the flag that answers each. */
export const FIELDS = ['name', 'trigger', 'api', 'sink', 'arch', 'memory', 'timeout'] as const;
export type Field = (typeof FIELDS)[number];

const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);

function oneOf(values: string[]): string {
  return values.length < 3 ? values.join(' or ') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

/** Why `name` cannot be a project name, or undefined when it can. */
export function nameProblem(name: string, trigger?: TriggerId): string | undefined {
  if (name.length === 0) return 'a name is required';
  if (name.length > 64) return `must be at most 64 characters (it has ${name.length})`;
  const bad = [...new Set(name.replace(/[a-z0-9-]/g, ''))].map((c) => (c === ' ' ? 'spaces' : `"${c}"`));
  if (bad.length > 0) {
    return `may only hold lowercase letters, digits and dashes, not ${oneOf(bad)} (it names the crate and the stack)`;
  }
  if (!NAME_PATTERN.test(name)) return 'must start with a lowercase letter';
  if (name.endsWith('-')) return 'must not end with a dash';
  const reserved = S3_RESERVED_PREFIXES.find((prefix) => name.startsWith(prefix));
  if (trigger === 's3' && reserved) {
    return `must not start with "${reserved}" with the S3 trigger (S3 reserves it, and the bucket name starts with the project name)`;
  }
  if (trigger === 's3' && name.length > S3_MAX_NAME_LENGTH) {
    return `must be at most ${S3_MAX_NAME_LENGTH} characters with the S3 trigger (the bucket is named <name>-<account>-<region>, at most 63 characters)`;
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

export const defaultTimeout = (trigger: TriggerId): number => triggerRow(trigger).defaultTimeout;
export const defaultSink = (trigger: TriggerId): SinkId => triggerRow(trigger).defaultSink;

function invalid(field: Field, raw: string, problem: string) {
  return usageError(`Invalid --${field} "${raw}": ${problem}.`);
}

function choice<T extends string>(field: Field, raw: string, allowed: readonly { id: string }[]): T {
  if (!ids(allowed).includes(raw)) throw invalid(field, raw, `choose ${oneOf(ids(allowed))}`);
  return raw as T;
}

/**
 * Checks every given answer and fills each missing one with its default. Throws a usage error
 * (exit 2) that names the flag of the first bad answer.
 */
export function resolveSpec(raw: RawAnswers): ProjectSpec {
  const trigger = raw.trigger === undefined ? 'api' : choice<TriggerId>('trigger', raw.trigger, TRIGGERS);

  let api: ApiId | 'none' = 'none';
  if (trigger === 'api') {
    api = raw.api === undefined ? 'http' : choice<ApiId>('api', raw.api, APIS);
  } else if (raw.api !== undefined) {
    throw usageError(`--api applies only to the API trigger (the trigger is ${trigger}).`);
  }

  const name = raw.name ?? '';
  const nameIssue = nameProblem(name, trigger);
  if (nameIssue) throw invalid('name', name, nameIssue);

  const sink = raw.sink === undefined ? defaultSink(trigger) : choice<SinkId>('sink', raw.sink, SINKS);
  const arch = raw.arch === undefined ? 'arm64' : choice<ArchId>('arch', raw.arch, ARCHS);

  const memoryRaw = raw.memory ?? String(DEFAULT_MEMORY);
  const memoryIssue = memoryProblem(memoryRaw);
  if (memoryIssue) throw invalid('memory', memoryRaw, memoryIssue);

  const timeoutRaw = raw.timeout ?? String(defaultTimeout(trigger));
  const timeoutIssue = timeoutProblem(timeoutRaw, trigger, api);
  if (timeoutIssue) throw invalid('timeout', timeoutRaw, timeoutIssue);

  return { name, trigger, api, sink, arch, memory: Number(memoryRaw), timeout: Number(timeoutRaw) };
}

/** The flags a non-interactive run lacks, when it must not fall back to defaults. */
export function missingFlags(raw: RawAnswers): string[] {
  const needed: Field[] = ['name', 'trigger', ...(raw.trigger === 'api' ? (['api'] as const) : []), 'sink', 'arch', 'memory', 'timeout'];
  return needed.filter((field) => raw[field] === undefined).map((field) => `--${field}`);
}
