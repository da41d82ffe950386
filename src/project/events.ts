/**
 * A project's sample events: the one `sam local invoke` would send (samconfig.toml's
 * local_invoke event), else the only file in events/; and reading an event, from a file or from
 * stdin, no larger than Lambda would accept for the function's trigger.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { EXIT, UserError } from '../errors.js';
import { jsonSyntaxError } from '../text/json-text.js';
import { parseCfnYaml } from './cfn-yaml.js';
import type { LambdaFunction, Project } from './project.js';
import { samConfigValue } from './samconfig.js';

export async function defaultEventFile(project: Project): Promise<string> {
  const configured = samConfigValue(project.samconfig, 'local_invoke', 'event');
  if (typeof configured === 'string') return resolve(project.dir, configured);
  const dir = join(project.dir, 'events');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 1) return join(dir, files[0]!);
  if (files.length === 0)
    throw new UserError(`no sample event in ${relative(process.cwd(), dir) || dir}: pass one with --event <file>`, {
      exitCode: EXIT.usage,
    });
  throw new UserError(`events/ has ${files.length} events: pick one with --event (${files.map((f) => `events/${f}`).join(', ')})`, {
    exitCode: EXIT.usage,
  });
}

/** The most an event may weigh, and why: it depends on how the trigger invokes the function. */
export interface EventLimit {
  bytes: number;
  /** Completes "Lambda refuses a larger event …": which invocation type, and whose. */
  why: string;
}

/**
 * Lambda's payload limits (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html): 6 MB
 * for a synchronous invoke (API Gateway, and the event source mappings of SQS, Kinesis,
 * DynamoDB), 1 MB for an asynchronous one (S3, SNS, EventBridge…; 256 KB before October 2025).
 */
export const SYNC_EVENT_BYTES = 6_291_456;
export const ASYNC_EVENT_BYTES = 1_048_576;

/** SAM event types whose service invokes the function asynchronously. */
const ASYNC_TRIGGERS: Record<string, string> = {
  S3: 'S3',
  SNS: 'SNS',
  EventBridgeRule: 'EventBridge',
  CloudWatchEvent: 'EventBridge',
  Schedule: 'EventBridge Scheduler',
  ScheduleV2: 'EventBridge Scheduler',
  CloudWatchLogs: 'CloudWatch Logs',
  IoTRule: 'IoT',
};

/** The limit for the events of `fn`'s triggers, from its `Events` in template.yaml. */
export async function eventLimitOf(project: Project, fn: LambdaFunction): Promise<EventLimit> {
  const types = await triggerTypes(project.templatePath, fn.logicalId);
  const asyncTrigger = types.map((type) => ASYNC_TRIGGERS[type]).find((name) => name !== undefined);
  if (asyncTrigger)
    return { bytes: ASYNC_EVENT_BYTES, why: `in an asynchronous invoke, which is how ${asyncTrigger} invokes ${fn.logicalId}` };
  const named = types.length > 0 ? `, which is how ${types[0]} invokes ${fn.logicalId}` : '';
  return { bytes: SYNC_EVENT_BYTES, why: `in a synchronous invoke${named}` };
}

/** The SAM `Events` types of function `logicalId`; none when the template says nothing readable. */
export async function triggerTypes(templatePath: string, logicalId: string): Promise<string[]> {
  try {
    const template = parseCfnYaml(await readFile(templatePath, 'utf8')) as {
      Resources?: Record<string, { Properties?: { Events?: unknown } }>;
    };
    const events = template.Resources?.[logicalId]?.Properties?.Events;
    if (typeof events !== 'object' || events === null) return [];
    return Object.values(events).flatMap((event: unknown) => {
      const type = (event as { Type?: unknown } | null)?.Type;
      return typeof type === 'string' ? [type] : [];
    });
  } catch {
    // loadProject has read this template already; what cannot be read here limits nothing more.
    return [];
  }
}

const DEFAULT_LIMIT: EventLimit = { bytes: SYNC_EVENT_BYTES, why: 'in a synchronous invoke' };

/**
 * The event's bytes from a file (or a FIFO, or a device), checked to be JSON as Lambda requires,
 * reading at most one byte more than the limit, so that an endless input ends too.
 */
export async function readEventFile(path: string, limit: EventLimit = DEFAULT_LIMIT): Promise<Buffer> {
  const shown = printable(displayed(path));
  let bytes: Buffer;
  try {
    bytes = await readAtMost(createReadStream(path), limit.bytes + 1);
  } catch (error) {
    throw new UserError(await cannotRead(`event file ${shown}`, path, error));
  }
  return checkedEvent(bytes, `event file ${shown}`, limit);
}

/** The event from a stream (`--event -`: stdin), as readEventFile reads a file. */
export async function readEventStream(stream: Readable, name: string, limit: EventLimit = DEFAULT_LIMIT): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readAtMost(stream, limit.bytes + 1);
  } catch (error) {
    throw new UserError(
      `cannot read the event from ${name}: ${(error as NodeJS.ErrnoException).code ?? printable((error as Error).message)}`,
    );
  }
  return checkedEvent(bytes, `the event on ${name}`, limit);
}

/** Up to `max` bytes of `stream`; leaving early destroys it, so a writer stops on EPIPE. */
async function readAtMost(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(bytes);
    size += bytes.length;
    if (size >= max) break;
  }
  return Buffer.concat(chunks, Math.min(size, max));
}

function checkedEvent(bytes: Buffer, what: string, limit: EventLimit): Buffer {
  if (bytes.length > limit.bytes) {
    const size = `${limit.bytes / 1_048_576} MB (${limit.bytes.toLocaleString('en-US')} bytes)`;
    throw new UserError(`${what} is over ${size}: Lambda refuses a larger event ${limit.why}`);
  }
  const text = bytes.toString('utf8');
  try {
    JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the event, which may hold a secret: say only where and why.
    const where = jsonSyntaxError(text);
    throw new UserError(`${what} is not JSON${where ? ` (line ${where.line}, column ${where.column}: ${where.problem})` : ''}`);
  }
  return bytes;
}

/** Why a path cannot be read, in words, for one line. */
async function cannotRead(what: string, path: string, error: unknown): Promise<string> {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': {
      const target = await readlink(path).catch(() => undefined);
      return target === undefined ? `${what} does not exist` : `${what} is a symbolic link to ${printable(target)}, which does not exist`;
    }
    case 'ENOTDIR':
      return `${what} does not exist (a part of its path is a file)`;
    case 'EISDIR':
      return `${what} is a directory: give a JSON file`;
    case 'EACCES':
    case 'EPERM':
      return `${what} cannot be read: permission denied`;
    case 'ELOOP':
      return `${what} is a loop of symbolic links`;
    case 'ENAMETOOLONG':
      return `${what}: the path is too long`;
    default: {
      const kind = await lstat(path).then(
        (info) => (info.isSocket() ? 'a socket' : undefined),
        () => undefined,
      );
      return kind ? `${what} is ${kind}: give a JSON file` : `cannot read ${what}: ${code ?? printable((error as Error).message)}`;
    }
  }
}

/** Relative to where the user is, unless that climbs out of it. */
function displayed(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Control characters made visible, so a name or reason stays on one line. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
