/**
 * The Lambda API on loopback, enough of it for `lambda-kit bench --remote` and `invoke --remote`,
 * that RUNS the functions here: each one a real runtime process under our Runtime API emulator
 * (a LocalFunction), kept as Lambda keeps an execution environment, and thrown away when the
 * configuration changes, so that the next invocation is a cold start. moto cannot run a function
 * without Docker; this can.
 *
 * What it serves, as Lambda's REST API (2015-03-31) answers it:
 * - GetFunctionConfiguration: after an update, the first read says LastUpdateStatus InProgress,
 *   the next Successful (or Failed, when told to): a client must wait, as with Lambda.
 * - UpdateFunctionConfiguration: Environment, MemorySize, Timeout; refused while an update is in
 *   progress (ResourceConflictException) or with a reserved variable, as Lambda refuses them.
 * - Invoke (RequestResponse): the payload, X-Amz-Function-Error, X-Amz-Executed-Version, and with
 *   X-Amz-Log-Type: Tail the last 4 KB of the log in X-Amz-Log-Result, REPORT line included.
 *
 * Point a client at it with `env` (AWS_ENDPOINT_URL_LAMBDA and dummy credentials). Signatures
 * are not checked.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LocalFunction, type LocalInvocation } from '../../src/runtime-api/local-function.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const MB = 1_048_576;
/** LogType Tail gives the last 4 KB of the invocation's log. */
const TAIL_BYTES = 4096;

/** Lambda sets these itself, and refuses them in a function's Environment. */
const RESERVED = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

export interface ServedFunction {
  /** The runtime process: a `bootstrap`, or node with a runtime client. */
  command: string;
  args?: string[];
  /** The function's Environment.Variables: what GetFunctionConfiguration shows and updates replace. */
  env?: Record<string, string>;
  /** LAMBDA_TASK_ROOT and the working directory. */
  cwd?: string;
  /** The configuration's Handler (_HANDLER). Default `bootstrap`. */
  handler?: string;
  /** MB. Default 128. */
  memorySize?: number;
  /** Default 3 s, Lambda's default. */
  timeoutMs?: number;
  /** The configuration's Runtime. Default `provided.al2023`. */
  runtime?: string;
  /** LoggingConfig.LogFormat: Lambda's own lines as text (default) or as JSON events. */
  logFormat?: 'Text' | 'JSON';
}

/** One invocation as the service ran it: for tests to compare with what a client made of it. */
export interface ServedInvocation {
  functionName: string;
  /** The function's how-manieth invocation, from 1. */
  call: number;
  requestId: string;
  /** The environment's process; a new one is a cold start. */
  pid: number | undefined;
  cold: boolean;
  /** The variables the environment was started with (its Environment.Variables). */
  variables: Record<string, string>;
  functionError: string | undefined;
  /** The REPORT's figures (written there to two decimals in text, three in JSON). */
  durationMs: number;
  initDurationMs: number | undefined;
  maxMemoryUsedMb: number;
  /** What the function wrote. */
  logs: string[];
}

export interface ServedUpdate {
  functionName: string;
  variables: Record<string, string>;
}

interface Configuration {
  variables: Record<string, string>;
  memorySize: number;
  timeoutMs: number;
}

interface FunctionState {
  name: string;
  spec: ServedFunction;
  config: Configuration;
  /** An update not applied yet: the first read sees it in progress, and settles it. */
  pending: Configuration | undefined;
  status: 'Successful' | 'InProgress' | 'Failed';
  statusReason?: { code: string; reason: string };
  failNext?: { code: string; reason: string };
  revisionId: string;
  lastModified: string;
  environment: LocalFunction | undefined;
  calls: number;
  /** Invocations of one function run one at a time, as in one execution environment. */
  queue: Promise<unknown>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class LambdaService {
  readonly endpoint: string;
  /** For a client: AWS_ENDPOINT_URL_LAMBDA here, a region and dummy credentials. */
  readonly env: Record<string, string>;
  /** Every invocation, in order. */
  readonly invocations: ServedInvocation[] = [];
  /** Every accepted UpdateFunctionConfiguration that set variables, in order. */
  readonly updates: ServedUpdate[] = [];
  /** Every request, as `GET name/configuration` and the like. */
  readonly requests: string[] = [];
  /** For tests: told of each request as it arrives (`PUT name/configuration`), before it is served. */
  onRequest: ((request: string) => void) | undefined;
  /** For tests: when it says true, the invocation's log tail lacks its REPORT line. */
  cutReport: ((functionName: string, call: number) => boolean) | undefined;

  #server: Server;
  #sockets = new Set<Socket>();
  #functions = new Map<string, FunctionState>();

  private constructor(server: Server, functions: Record<string, ServedFunction>) {
    this.#server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.env = {
      AWS_ENDPOINT_URL_LAMBDA: this.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    };
    const now = new Date().toISOString().replace('Z', '+0000');
    for (const [name, spec] of Object.entries(functions)) {
      this.#functions.set(name, {
        name,
        spec,
        config: { variables: { ...spec.env }, memorySize: spec.memorySize ?? 128, timeoutMs: spec.timeoutMs ?? 3000 },
        pending: undefined,
        status: 'Successful',
        revisionId: randomUUID(),
        lastModified: now,
        environment: undefined,
        calls: 0,
        queue: Promise.resolve(),
      });
    }
    server.on('request', (req, res) => void this.#route(req, res));
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(functions: Record<string, ServedFunction>): Promise<LambdaService> {
    const server = createServer({ keepAlive: true });
    // An invocation may take as long as the function's timeout: nothing here cuts it short.
    server.requestTimeout = 0;
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    return new LambdaService(server, functions);
  }

  /** The function's variables now (an update in progress not yet applied). */
  variables(functionName: string): Record<string, string> {
    return { ...this.#state(functionName).config.variables };
  }

  /** The next update of `functionName` ends Failed, as an update Lambda cannot apply does. */
  failNextUpdate(functionName: string, reason: string, code = 'InvalidConfiguration'): void {
    this.#state(functionName).failNext = { code, reason };
  }

  /** Stops every execution environment and the server. */
  async close(): Promise<void> {
    await Promise.all([...this.#functions.values()].map((fn) => fn.environment?.stop()));
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #state(name: string): FunctionState {
    const fn = this.#functions.get(name);
    if (!fn) throw new ApiError(404, 'ResourceNotFoundException', `Function not found: ${arn(name)}`);
    return fn;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.endpoint);
      const match = /^\/2015-03-31\/functions\/([^/]+)\/(configuration|invocations)$/.exec(url.pathname);
      const body = await readBody(req);
      if (!match) throw new ApiError(404, 'UnknownOperationException', `no operation at ${req.method} ${url.pathname}`);
      const name = functionNameOf(decodeURIComponent(match[1]!));
      const request = `${req.method} ${name}/${match[2]}`;
      this.requests.push(request);
      this.onRequest?.(request);
      const fn = this.#state(name);
      if (match[2] === 'configuration' && req.method === 'GET') return json(res, 200, this.#read(fn));
      if (match[2] === 'configuration' && req.method === 'PUT') return json(res, 200, this.#update(fn, parseJson(body)));
      if (match[2] === 'invocations' && req.method === 'POST') return await this.#invoke(fn, req, body, res);
      throw new ApiError(405, 'UnknownOperationException', `no operation at ${req.method} ${url.pathname}`);
    } catch (caught) {
      const error = caught instanceof ApiError ? caught : new ApiError(500, 'ServiceException', `the stand-in failed: ${String(caught)}`);
      // The REST-JSON error shape: the type in a header, the message in the body (Lambda spells
      // it `Message` for ResourceNotFoundException, `message` for the others).
      const key = error.type === 'ResourceNotFoundException' ? 'Message' : 'message';
      res.setHeader('x-amzn-errortype', error.type);
      json(res, error.status, { Type: 'User', [key]: error.message });
    }
  }

  /** GetFunctionConfiguration, which also moves an update on: seen InProgress once, then done. */
  #read(fn: FunctionState): object {
    const shown = this.#configuration(fn);
    if (fn.status === 'InProgress') this.#settle(fn);
    return shown;
  }

  #settle(fn: FunctionState): void {
    if (fn.failNext) {
      fn.status = 'Failed';
      fn.statusReason = fn.failNext;
      fn.failNext = undefined;
    } else {
      fn.status = 'Successful';
      fn.statusReason = undefined;
      fn.config = fn.pending!;
      // A new configuration, new execution environments: the old one goes once it is idle.
      const old = fn.environment;
      fn.environment = undefined;
      if (old) fn.queue = fn.queue.then(() => old.stop());
    }
    fn.pending = undefined;
  }

  #update(fn: FunctionState, input: Record<string, unknown>): object {
    if (fn.status === 'InProgress') {
      throw new ApiError(
        409,
        'ResourceConflictException',
        `The operation cannot be performed at this time. An update is in progress for resource: ${arn(fn.name)}`,
      );
    }
    const next: Configuration = { ...fn.config };
    const environment = input.Environment as { Variables?: Record<string, string> } | undefined;
    if (environment) {
      const variables = environment.Variables ?? {};
      const reserved = Object.keys(variables).filter((key) => RESERVED.has(key));
      if (reserved.length > 0) {
        throw new ApiError(
          400,
          'InvalidParameterValueException',
          `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
        );
      }
      next.variables = { ...variables };
      this.updates.push({ functionName: fn.name, variables: { ...variables } });
    }
    if (typeof input.MemorySize === 'number') next.memorySize = input.MemorySize;
    if (typeof input.Timeout === 'number') next.timeoutMs = input.Timeout * 1000;
    fn.pending = next;
    fn.status = 'InProgress';
    fn.revisionId = randomUUID();
    fn.lastModified = new Date().toISOString().replace('Z', '+0000');
    return this.#configuration(fn);
  }

  /** The configuration as Lambda shows it: during an update, the new values. */
  #configuration(fn: FunctionState): object {
    const config = fn.pending ?? fn.config;
    return {
      FunctionName: fn.name,
      FunctionArn: arn(fn.name),
      Runtime: fn.spec.runtime ?? 'provided.al2023',
      Role: `arn:aws:iam::${ACCOUNT}:role/${fn.name}-role`,
      Handler: fn.spec.handler ?? 'bootstrap',
      CodeSize: 1024,
      Description: '',
      Timeout: Math.ceil(config.timeoutMs / 1000),
      MemorySize: config.memorySize,
      LastModified: fn.lastModified,
      CodeSha256: 'c3RhbmQtaW4=',
      Version: '$LATEST',
      ...(Object.keys(config.variables).length > 0 ? { Environment: { Variables: config.variables } } : {}),
      TracingConfig: { Mode: 'PassThrough' },
      RevisionId: fn.revisionId,
      State: 'Active',
      LastUpdateStatus: fn.status,
      ...(fn.statusReason ? { LastUpdateStatusReason: fn.statusReason.reason, LastUpdateStatusReasonCode: fn.statusReason.code } : {}),
      PackageType: 'Zip',
      Architectures: ['x86_64'],
      EphemeralStorage: { Size: 512 },
      LoggingConfig: { LogFormat: fn.spec.logFormat ?? 'Text', LogGroup: `/aws/lambda/${fn.name}` },
    };
  }

  async #invoke(fn: FunctionState, req: IncomingMessage, payload: Buffer, res: ServerResponse): Promise<void> {
    const type = header(req, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (type !== 'RequestResponse')
      throw new ApiError(400, 'InvalidParameterValueException', `this stand-in runs RequestResponse invocations only, not ${type}`);
    const tail = header(req, 'x-amz-log-type') === 'Tail';
    const run = fn.queue.then(() => this.#run(fn, payload));
    fn.queue = run.catch(() => {});
    const { invocation, answer, log } = await run;
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-Amz-Executed-Version': '$LATEST',
      'X-Amzn-RequestId': invocation.requestId,
    };
    if (invocation.functionError) headers['X-Amz-Function-Error'] = invocation.functionError;
    if (tail) headers['X-Amz-Log-Result'] = lastBytes(log, TAIL_BYTES).toString('base64');
    res.writeHead(200, headers).end(answer);
  }

  /** One invocation in the function's environment, started first when there is none. */
  async #run(fn: FunctionState, payload: Buffer): Promise<{ invocation: ServedInvocation; answer: Buffer; log: string }> {
    const call = ++fn.calls;
    const requestId = randomUUID();
    const { config } = fn;
    const cold = fn.environment === undefined;
    const startedAt = performance.now();
    if (cold) fn.environment = await this.#startEnvironment(fn);
    const environment = fn.environment!;
    const result = await environment.invoke(payload, { requestId, timeoutMs: config.timeoutMs });
    const elapsedMs = performance.now() - startedAt;

    const { answer, functionError, status } = outcome(result, config.timeoutMs);
    // Lambda throws away an environment whose runtime crashed, timed out or failed its init.
    if (status) {
      fn.environment = undefined;
      await environment.stop();
    }
    const initDurationMs = cold ? result.initDurationMs : undefined;
    const durationMs = 'durationMs' in result ? result.durationMs : Math.max(0, elapsedMs - (initDurationMs ?? 0));
    const maxMemoryUsedMb = Math.ceil((result.maxMemoryBytes ?? 0) / MB);

    const figures = { durationMs, memorySizeMb: config.memorySize, maxMemoryUsedMb, initDurationMs };
    const platform = fn.spec.logFormat === 'JSON' ? jsonPlatformLines : textPlatformLines;
    const runtimeVersion = (fn.spec.runtime ?? 'provided.al2023').replace('.', ':');
    const lines = [
      ...(cold ? [platform.initStart(runtimeVersion, fn.name)] : []),
      platform.start(requestId),
      ...result.logs,
      ...platform.end(requestId),
      ...(this.cutReport?.(fn.name, call) ? [] : [platform.report(requestId, figures, status)]),
    ];
    const invocation: ServedInvocation = {
      functionName: fn.name,
      call,
      requestId,
      pid: environment.process.pid,
      cold,
      variables: { ...config.variables },
      functionError,
      durationMs,
      initDurationMs,
      maxMemoryUsedMb,
      logs: result.logs,
    };
    this.invocations.push(invocation);
    return { invocation, answer, log: `${lines.join('\n')}\n` };
  }

  #startEnvironment(fn: FunctionState): Promise<LocalFunction> {
    const { spec, config, name } = fn;
    const cwd = spec.cwd ?? process.cwd();
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    // What Lambda gives every function, then the function's own variables.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: cwd,
      _HANDLER: spec.handler ?? 'bootstrap',
      AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime ?? 'provided.al2023'}`,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      // The execution role's credentials, as Lambda passes them.
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      // With JSON logs, Lambda tells the runtime so, and the level to keep.
      ...(spec.logFormat === 'JSON' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'INFO' } : {}),
      ...config.variables,
    };
    return LocalFunction.start({ command: spec.command, args: spec.args, cwd, env, functionArn: arn(name), timeoutMs: config.timeoutMs });
  }
}

interface ReportFigures {
  durationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  initDurationMs: number | undefined;
}

type Status = { status: string; errorType: string } | undefined;

/** Lambda's own lines around an invocation, as LogFormat Text writes them. */
const textPlatformLines = {
  initStart: (runtimeVersion: string) =>
    `INIT_START Runtime Version: ${runtimeVersion}.v1\tRuntime Version ARN: arn:aws:lambda:${REGION}::runtime:stand-in`,
  start: (requestId: string) => `START RequestId: ${requestId} Version: $LATEST`,
  end: (requestId: string) => [`END RequestId: ${requestId}`],
  report: (requestId: string, f: ReportFigures, status: Status) =>
    [
      `REPORT RequestId: ${requestId}`,
      `Duration: ${f.durationMs.toFixed(2)} ms`,
      `Billed Duration: ${Math.ceil(f.durationMs)} ms`,
      `Memory Size: ${f.memorySizeMb} MB`,
      `Max Memory Used: ${f.maxMemoryUsedMb} MB`,
      ...(f.initDurationMs !== undefined ? [`Init Duration: ${f.initDurationMs.toFixed(2)} ms`] : []),
      ...(status ? [`Status: ${status.status}`, `Error Type: ${status.errorType}`] : []),
      // Lambda ends the line with a tab.
      '',
    ].join('\t'),
};

/** The same as LogFormat JSON writes them: one `platform.*` event a line. */
const jsonPlatformLines = {
  initStart: (runtimeVersion: string, functionName: string) =>
    event('platform.initStart', {
      initializationType: 'on-demand',
      phase: 'init',
      runtimeVersion: `${runtimeVersion}.v1`,
      runtimeVersionArn: `arn:aws:lambda:${REGION}::runtime:stand-in`,
      functionName,
      functionVersion: '$LATEST',
    }),
  start: (requestId: string) => event('platform.start', { requestId, version: '$LATEST' }),
  end: () => [],
  report: (requestId: string, f: ReportFigures, status: Status) =>
    event('platform.report', {
      requestId,
      metrics: {
        durationMs: Number(f.durationMs.toFixed(3)),
        billedDurationMs: Math.ceil(f.durationMs),
        memorySizeMB: f.memorySizeMb,
        maxMemoryUsedMB: f.maxMemoryUsedMb,
        ...(f.initDurationMs !== undefined ? { initDurationMs: Number(f.initDurationMs.toFixed(3)) } : {}),
      },
      status: status?.status ?? 'success',
      ...(status ? { errorType: status.errorType } : {}),
    }),
};

function event(type: string, record: object): string {
  return JSON.stringify({ time: new Date().toISOString(), type, record });
}

/** What Lambda answers for each outcome, and the REPORT's status for the ones that end the environment. */
function outcome(result: LocalInvocation, timeoutMs: number): { answer: Buffer; functionError?: string; status?: Status } {
  const document = (errorType: string, errorMessage: string) => Buffer.from(JSON.stringify({ errorType, errorMessage }));
  switch (result.outcome) {
    case 'response':
      return { answer: result.payload };
    case 'error':
      // The runtime's own error document, as it posted it.
      return {
        answer: result.payload.length > 0 ? result.payload : document(result.errorType, result.errorMessage),
        functionError: 'Unhandled',
      };
    case 'init-error':
      return {
        answer: document(result.errorType, result.errorMessage),
        functionError: 'Unhandled',
        status: { status: 'error', errorType: result.errorType },
      };
    case 'exited': {
      const why = result.spawnError ?? (result.signal ? `signal: ${result.signal}` : `exit status ${result.exitCode}`);
      const message = `RequestId: ${result.requestId} Error: Runtime exited with error: ${why}`;
      return {
        answer: document('Runtime.ExitError', message),
        functionError: 'Unhandled',
        status: { status: 'error', errorType: 'Runtime.ExitError' },
      };
    }
    case 'timeout':
    case 'init-timeout': {
      const message = `${new Date().toISOString()} ${result.requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;
      return {
        answer: document('Sandbox.Timedout', message),
        functionError: 'Unhandled',
        status: { status: 'timeout', errorType: 'Sandbox.Timedout' },
      };
    }
  }
}

/** A name, a partial ARN (`123456789012:function:name`) or an ARN, with or without a qualifier. */
function functionNameOf(raw: string): string {
  const at = raw.indexOf('function:');
  return (at >= 0 ? raw.slice(at + 'function:'.length) : raw).split(':')[0]!;
}

function arn(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}

function lastBytes(text: string, limit: number): Buffer {
  const bytes = Buffer.from(text);
  return bytes.length > limit ? bytes.subarray(bytes.length - limit) : bytes;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(body.toString('utf8') || '{}') as unknown;
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw new ApiError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
