/**
 * What the SQS, Kinesis, DynamoDB Streams and S3 pollers share: the options `lambda-kit dev` calls them with, SDK
 * client settings from the function's environment, calls that are bounded in time and end at
 * once on abort, and back-off between failed calls, so that an endpoint that is down or that
 * never answers is retried slowly, with a line each time, instead of spun on.
 */
import { UserError } from '../../errors.js';
import { visible } from '../../text/terminal-text.js';

export type InvokeResult = { ok: true; answer: unknown } | { ok: false; error: string };

/** How long things take; the defaults are Lambda's or the service's, tests shorten them. */
export interface SourceTiming {
  /** ReceiveMessage's long poll, in seconds (SQS allows 0 to 20; Lambda uses 20). */
  longPollSeconds: number;
  /** How much longer than its own wait a call may take before it counts as hung. */
  callGraceMs: number;
  /** The first pause after a failed call; it doubles on each failure in a row, up to maxBackoffMs. */
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** The pause between polls that found nothing (Kinesis shards, S3 listings): Lambda polls a shard once a second. */
  idlePollMs: number;
}

export const DEFAULT_TIMING: SourceTiming = {
  longPollSeconds: 20,
  callGraceMs: 10_000,
  firstBackoffMs: 1000,
  maxBackoffMs: 30_000,
  idlePollMs: 1000,
};

export interface SourceOptions {
  kind: 'sqs' | 'kinesis' | 'dynamodb' | 's3';
  /** A queue URL (or ARN) | a stream ARN (or name) | a DynamoDB stream ARN (or table name) | a bucket name (or ARN). */
  target: string;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  reportBatchItemFailures: boolean;
  /** AWS_ENDPOINT_URL, AWS_REGION, credentials for the SDK clients. */
  env: Record<string, string>;
  /**
   * Runs the function on one event. `answer` is its response: bytes or text (parsed here as
   * Lambda parses them) or a value already parsed from JSON.
   */
  invoke: (event: unknown) => Promise<InvokeResult>;
  /** Abort → stop polling promptly; runSource then resolves. */
  signal: AbortSignal;
  /** One line per batch: how many records, how many failed, what was deleted or kept. */
  log: (line: string) => void;
  /** Kinesis, DynamoDB Streams: where each shard is first read from; LATEST when unset. */
  startingPosition?: 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
  /** Kinesis AT_TIMESTAMP: the time, in epoch seconds. */
  startingPositionTimestamp?: number;
  /**
   * Streams: how many times a failing batch is retried before dev gives up on it and moves on.
   * The template's MaximumRetryAttempts; unset or -1 (Lambda's "until the records expire") is 10 here.
   */
  maximumRetryAttempts?: number;
  /** Streams: a batch the function fails as a whole is split in two, and each half tried on its own. */
  bisectBatchOnFunctionError?: boolean;
  /** S3: the notification's Filter.S3Key rules; only keys that match send events. */
  keyFilter?: S3KeyFilter;
  timing?: Partial<SourceTiming>;
}

export interface S3KeyFilter {
  prefix?: string;
  suffix?: string;
}

export const DEV_RETRY_LIMIT = 10;

/** The SDK client settings for the function's environment: its endpoint, region and keys. */
export function clientSettings(env: Record<string, string>, service: 'SQS' | 'KINESIS' | 'DYNAMODB_STREAMS' | 'S3') {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  return {
    region: regionOf(env),
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
    // The pollers retry themselves, with a line each time: the SDK's silent retries would hide a dead endpoint.
    maxAttempts: 1,
    // Moto and other stand-ins serve every bucket on one host, as paths.
    ...(service === 'S3' && endpoint ? { forcePathStyle: true } : {}),
  };
}

export function regionOf(env: Record<string, string>): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A call that ended because dev stops: not a failure, nothing to report. */
export class Stopped extends Error {
  constructor() {
    super('stopped');
    this.name = 'Stopped';
  }
}

/** The service's error code and HTTP status, when the service answered at all. */
function serviceError(error: unknown): { name: string; status: number | undefined; message: string } {
  const e = error as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = typeof e?.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    status,
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
}

const THROTTLING = /Throttl|TooManyRequests|RequestLimitExceeded|ProvisionedThroughputExceeded|SlowDown|LimitExceeded/;

/**
 * Whether retrying may help: no answer, a timeout, a 5xx or throttling may pass; a 4xx such as a
 * queue, stream or bucket that does not exist, or keys that are refused, will not.
 */
export function isTransient(error: unknown): boolean {
  const { name, status } = serviceError(error);
  if (THROTTLING.test(name)) return true;
  return status === undefined || status >= 500 || status === 429;
}

/** One line for a failed call: `ReceiveMessage: TimeoutError: no answer in 3 s`. */
export function describeFailure(call: string, error: unknown): string {
  const { name, message } = serviceError(error);
  return visible(`${call}: ${name}${message && message !== name ? `: ${message.split('\n')[0]}` : ''}`, 300);
}

/**
 * Calls the service and paces failures: each call has `timeoutMs` to answer; a transient failure
 * is logged and paused after (doubling), then retried; a lasting one becomes a one-line UserError.
 * An abort ends any call at once with Stopped.
 */
export class Caller {
  private failuresInARow = 0;

  constructor(
    private readonly prefix: string,
    private readonly signal: AbortSignal,
    private readonly log: (line: string) => void,
    private readonly timing: SourceTiming,
  ) {}

  /** `send` gets the signal to pass to the SDK's send(), which ends the call on abort or on timeout. */
  async call<T>(name: string, timeoutMs: number, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    for (;;) {
      if (this.signal.aborted) throw new Stopped();
      // One controller per call, let go of when the call ends: dev polls for hours, once a second.
      const call = new AbortController();
      let hung = false;
      const timer = setTimeout(() => {
        hung = true;
        call.abort();
      }, timeoutMs);
      const stop = () => call.abort();
      this.signal.addEventListener('abort', stop, { once: true });
      let failure: unknown;
      try {
        const result = await send(call.signal);
        this.failuresInARow = 0;
        return result;
      } catch (error) {
        failure = error;
      } finally {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', stop);
      }
      if (this.signal.aborted) throw new Stopped();
      if (!hung && !isTransient(failure)) throw new UserError(`${this.prefix}: ${describeFailure(name, failure)}`);
      const wait = Math.min(this.timing.firstBackoffMs * 2 ** this.failuresInARow, this.timing.maxBackoffMs);
      this.failuresInARow++;
      const why = hung ? `${name}: no answer in ${seconds(timeoutMs)}` : describeFailure(name, failure);
      this.log(`${this.prefix}: ${why}; retrying in ${seconds(wait)}`);
      await pause(wait, this.signal);
    }
  }
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
