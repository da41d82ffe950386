/**
 * A Lambda Runtime API endpoint on loopback, written from the public spec
 * (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), so that a runtime (a Rust
 * `bootstrap`, a Node or Python runtime client) runs on this machine as it does in Lambda:
 * it polls `GET /2018-06-01/runtime/invocation/next`, and answers each event on
 * `/invocation/{id}/response` or `/invocation/{id}/error`, or reports a failed init on
 * `/init/error`.
 *
 * Only the HTTP side lives here: no process is spawned. `invoke()` queues an event, hands it to
 * the runtime's next poll (one at a time, like Lambda) and resolves with what came back. See
 * local-function.ts for the process that polls it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { readRequestBody } from './request-body.js';

const PREFIX = '/2018-06-01/runtime';

/** Lambda's limit on a synchronous response: 6 MB. */
export const MAX_RESPONSE_BYTES = 6_291_556;

export interface EmulatorOptions {
  /** Lambda-Runtime-Invoked-Function-Arn; defaults to a placeholder ARN for `function`. */
  functionArn?: string;
  /** The default invocation timeout: Lambda-Runtime-Deadline-Ms is now + this. Default 3000. */
  timeoutMs?: number;
}

export interface InvokeOptions {
  /** Lambda-Runtime-Aws-Request-Id; a random UUID by default. */
  requestId?: string;
  /** Overrides the emulator's timeout for this invocation. */
  timeoutMs?: number;
  /** Lambda-Runtime-Trace-Id; a fresh X-Ray trace header by default. */
  traceId?: string;
  /** Sent as Lambda-Runtime-Client-Context (JSON). */
  clientContext?: unknown;
  /** Sent as Lambda-Runtime-Cognito-Identity (JSON). */
  cognitoIdentity?: unknown;
  /** Abandons the invocation: its promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

interface Timing {
  requestId: string;
  /** performance.now() when the runtime received the event, and when it answered. */
  deliveredAt: number;
  completedAt: number;
  /** completedAt - deliveredAt: the function's own time, as Lambda's REPORT Duration. */
  durationMs: number;
}

/** How an invocation ended, as far as the Runtime API can tell. */
export type InvocationResult =
  | (Timing & { outcome: 'response'; payload: Buffer })
  | (Timing & { outcome: 'error'; errorType: string; errorMessage: string; payload: Buffer })
  /** The runtime reported on /init/error, before or instead of taking this event. */
  | { outcome: 'init-error'; requestId: string; errorType: string; errorMessage: string; payload: Buffer }
  /** No answer by the deadline. Lambda then stops the execution environment. */
  | { outcome: 'timeout'; requestId: string; deliveredAt: number; timeoutMs: number };

export interface InitErrorReport {
  errorType: string;
  errorMessage: string;
  payload: Buffer;
}

interface Pending {
  requestId: string;
  payload: Buffer;
  timeoutMs: number;
  options: InvokeOptions;
  deliveredAt?: number;
  timer?: NodeJS.Timeout;
  settle: (result: InvocationResult) => void;
  fail: (error: unknown) => void;
}

/** A fresh X-Ray trace header, as Lambda passes it: Root, Parent and Sampled. */
export function newTraceId(now = Date.now()): string {
  const epoch = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

export class RuntimeApiEmulator {
  /** `host:port`: the value for the runtime's AWS_LAMBDA_RUNTIME_API. */
  readonly endpoint: string;
  readonly functionArn: string;
  readonly timeoutMs: number;

  #server: Server;
  #sockets = new Set<Socket>();
  #queue: Pending[] = [];
  #inFlight = new Map<string, Pending>();
  #polls: ServerResponse[] = [];
  #initError: InitErrorReport | undefined;
  #initDone = false;
  #firstPoll: Promise<number>;
  #resolveFirstPoll!: (at: number) => void;

  private constructor(server: Server, options: EmulatorOptions) {
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.endpoint = `127.0.0.1:${port}`;
    this.functionArn = options.functionArn ?? 'arn:aws:lambda:us-east-1:123456789012:function:function';
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.#firstPoll = new Promise((resolve) => (this.#resolveFirstPoll = resolve));
    server.on('request', (req, res) => {
      // Whatever a request does, the emulator answers it and goes on: dying would orphan the function.
      this.#route(req, res).catch((error: unknown) =>
        reply(res, 500, 'ServiceException', `the emulator failed on this request: ${String(error)}`),
      );
    });
    // CONNECT is not a route; without a listener Node drops the socket unanswered.
    server.on('connect', (_req: IncomingMessage, socket: Socket) => {
      socket.on('error', () => {});
      socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Listens on a random loopback port. */
  static async start(options: EmulatorOptions = {}): Promise<RuntimeApiEmulator> {
    const server = createServer({ keepAlive: true });
    // A poll for the next event may wait for minutes; nothing here should time it out.
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new RuntimeApiEmulator(server, options);
  }

  /** performance.now() of the runtime's first poll: its init is done. */
  get firstPoll(): Promise<number> {
    return this.#firstPoll;
  }

  /** What the runtime posted on /init/error, if it did. */
  get initError(): InitErrorReport | undefined {
    return this.#initError;
  }

  /** Queues an event (JSON-encoded unless already bytes or a string) and waits for its outcome. */
  invoke(event: unknown, options: InvokeOptions = {}): Promise<InvocationResult> {
    const payload = Buffer.isBuffer(event) ? event : Buffer.from(typeof event === 'string' ? event : JSON.stringify(event));
    const requestId = options.requestId ?? randomUUID();
    return new Promise<InvocationResult>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.#forget(pending);
        reject(signal!.reason);
      };
      const pending: Pending = {
        requestId,
        payload,
        timeoutMs: options.timeoutMs ?? this.timeoutMs,
        options,
        settle: (result) => {
          this.#forget(pending);
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        fail: (error) => {
          this.#forget(pending);
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.#initError) return pending.settle({ outcome: 'init-error', requestId, ...this.#initError });
      this.#queue.push(pending);
      this.#deliver();
    });
  }

  /** Stops listening, drops every connection and rejects what is still pending. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    for (const pending of [...this.#queue, ...this.#inFlight.values()]) pending.fail(new Error('the Runtime API emulator was closed'));
    await closed;
  }

  #forget(pending: Pending): void {
    clearTimeout(pending.timer);
    this.#queue = this.#queue.filter((p) => p !== pending);
    if (this.#inFlight.get(pending.requestId) === pending) this.#inFlight.delete(pending.requestId);
  }

  /** Hands queued events to waiting polls, one event per poll. */
  #deliver(): void {
    while (this.#queue.length > 0 && this.#polls.length > 0) {
      const pending = this.#queue.shift()!;
      const res = this.#polls.shift()!;
      if (res.destroyed) {
        this.#queue.unshift(pending);
        continue;
      }
      const { options } = pending;
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'Lambda-Runtime-Aws-Request-Id': pending.requestId,
        'Lambda-Runtime-Deadline-Ms': String(Date.now() + pending.timeoutMs),
        'Lambda-Runtime-Invoked-Function-Arn': this.functionArn,
        'Lambda-Runtime-Trace-Id': options.traceId ?? newTraceId(),
      };
      if (options.clientContext !== undefined) headers['Lambda-Runtime-Client-Context'] = JSON.stringify(options.clientContext);
      if (options.cognitoIdentity !== undefined) headers['Lambda-Runtime-Cognito-Identity'] = JSON.stringify(options.cognitoIdentity);
      this.#inFlight.set(pending.requestId, pending);
      res.writeHead(200, headers).end(pending.payload);
      const deliveredAt = performance.now();
      pending.deliveredAt = deliveredAt;
      pending.timer = setTimeout(() => {
        pending.settle({ outcome: 'timeout', requestId: pending.requestId, deliveredAt, timeoutMs: pending.timeoutMs });
      }, pending.timeoutMs);
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    if (!path.startsWith(`${PREFIX}/`)) return reply(res, 404, 'NotFound', `no route ${path}`);
    const route = path.slice(PREFIX.length);

    if (route === '/invocation/next') {
      if (req.method !== 'GET') return reply(res, 405, 'MethodNotAllowed', 'use GET');
      this.#resolveFirstPoll(performance.now());
      this.#initDone = true;
      this.#polls.push(res);
      res.on('close', () => (this.#polls = this.#polls.filter((r) => r !== res)));
      return this.#deliver();
    }

    const match = /^\/invocation\/([^/]+)\/(response|error)$/.exec(route);
    if (!match && route !== '/init/error') return reply(res, 404, 'NotFound', `no route ${path}`);
    if (req.method !== 'POST') return reply(res, 405, 'MethodNotAllowed', 'use POST');
    // A request id that is not valid percent-encoding names no invocation.
    const requestId = match ? decodedSegment(match[1]!) : undefined;
    if (match && requestId === undefined) {
      req.resume();
      return reply(res, 400, 'InvalidRequestID', `the request id in ${path} is not valid percent-encoding`);
    }
    const body = await readRequestBody(req, MAX_RESPONSE_BYTES);
    if (body === 'aborted') return;
    if (body === 'too-large') {
      const pending = match?.[2] === 'response' ? this.#inFlight.get(requestId!) : undefined;
      const message = `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`;
      if (pending)
        pending.settle({
          ...timing(pending),
          outcome: 'error',
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: message,
          payload: Buffer.alloc(0),
        });
      return reply(res, 413, 'RequestEntityTooLarge', message);
    }

    if (route === '/init/error') {
      // Once the runtime has polled, its init is over: Lambda refuses the transition back.
      if (this.#initDone) return reply(res, 403, 'InvalidStateTransition', 'init is over: report errors on /invocation/{id}/error');
      const report = describeError(body, req.headers['lambda-runtime-function-error-type'], 'Runtime.InitError');
      this.#initError = report;
      reply(res, 202);
      for (const pending of [...this.#queue, ...this.#inFlight.values()]) {
        pending.settle({ outcome: 'init-error', requestId: pending.requestId, ...report });
      }
      return;
    }

    const pending = this.#inFlight.get(requestId!);
    if (!pending) return reply(res, 400, 'InvalidRequestID', `no invocation ${requestId} is waiting for an answer`);
    reply(res, 202);
    if (match![2] === 'response') {
      pending.settle({ ...timing(pending), outcome: 'response', payload: body });
    } else {
      const error = describeError(body, req.headers['lambda-runtime-function-error-type'], 'Unhandled');
      pending.settle({ ...timing(pending), outcome: 'error', ...error });
    }
  }
}

function timing(pending: Pending): Timing {
  const completedAt = performance.now();
  const deliveredAt = pending.deliveredAt ?? completedAt;
  return { requestId: pending.requestId, deliveredAt, completedAt, durationMs: completedAt - deliveredAt };
}

/** An error document, `{"errorType": …, "errorMessage": …}`, read leniently. */
function describeError(body: Buffer, headerType: string | string[] | undefined, fallbackType: string): InitErrorReport {
  let errorType = typeof headerType === 'string' && headerType ? headerType : fallbackType;
  let errorMessage = body.toString('utf8');
  try {
    const doc = JSON.parse(errorMessage) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof doc.errorType === 'string' && doc.errorType) errorType = doc.errorType;
    if (typeof doc.errorMessage === 'string') errorMessage = doc.errorMessage;
  } catch {
    // Not JSON: the raw text is the message.
  }
  return { errorType, errorMessage, payload: body };
}

/** decodeURIComponent, or undefined where the text is not valid percent-encoding. */
function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function reply(res: ServerResponse, status: number, errorType?: string, errorMessage?: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = errorType ? JSON.stringify({ errorType, errorMessage }) : JSON.stringify({ status: 'OK' });
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
}
