/**
 * The HTTP front of `lambda-kit dev`, on loopback: the template's API routes, each request
 * turned into API Gateway's event and the function's answer back into a response; and Lambda's
 * Invoke API (`POST /2015-03-31/functions/<name>/invocations`), so that the AWS CLI and SDKs can
 * call the function with an endpoint URL.
 *
 * Whatever a client sends (huge headers, a body that never ends, a malformed URL), the server
 * answers or drops that one connection and goes on.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ASYNC_EVENT_BYTES, SYNC_EVENT_BYTES } from '../project/events.js';
import type { LocalInvocation } from '../runtime-api/local-function.js';
import { readRequestBody } from '../runtime-api/request-body.js';
import {
  GATEWAY_ANSWERS,
  gatewayAnswer,
  httpApiEvent,
  MAX_REQUEST_BODY_BYTES,
  responseOf,
  restApiEvent,
  splitTarget,
  type ApiResponse,
} from './api-event.js';
import { matchRoute, type ApiRoute } from './api-routes.js';
import type { Unavailable } from './function-host.js';

export interface DevServerOptions {
  port: number;
  /** The routes as the template says now (it may change while dev runs). */
  routes: () => readonly ApiRoute[];
  /** The names the Invoke API answers to: the logical id, and FunctionName where it is literal. */
  functionNames: () => readonly string[];
  invoke: (event: Buffer) => Promise<LocalInvocation | Unavailable>;
  /** One line per request and per problem, for the terminal. */
  log: (line: string) => void;
}

export interface DevServer {
  port: number;
  close(): Promise<void>;
}

/** Headers must arrive within this, and a whole request within the next: a slow client holds a socket no longer. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 60_000;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const sockets = new Set<Socket>();
  // Node enforces the timeouts on its checking interval (30 s by default): once a second cuts a slowloris off in time.
  const timeouts = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 };
  const server = createServer(timeouts, (req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      options.log(`dev server: ${req.method} failed: ${error instanceof Error ? error.message : String(error)}`);
      send(res, gatewayAnswer(GATEWAY_ANSWERS.httpApiError));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Bytes that are no HTTP request, headers over Node's limit, a request too slow: answered
  // where the socket still takes it, and closed; never an exception.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (socket.writable && !socket.destroyed) {
      const status =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? '408 Request Timeout'
            : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: DevServerOptions): Promise<void> {
  const target = requestTarget(req.url ?? '');
  if (target === undefined) return discard(req, res, gatewayAnswer(GATEWAY_ANSWERS.badRequest));
  const { rawPath } = splitTarget(target);
  const invokeMatch = INVOKE_PATH.exec(rawPath);
  if (invokeMatch) return handleInvoke(req, res, options, invokeMatch[1]!);

  const method = req.method ?? 'GET';
  const match = matchRoute(options.routes(), method, rawPath);
  if (match === 'malformed') return discard(req, res, gatewayAnswer(GATEWAY_ANSWERS.badRequest));
  if (match === undefined) {
    options.log(`${method} ${rawPath} → 404 (no route in template.yaml)`);
    return discard(req, res, gatewayAnswer(GATEWAY_ANSWERS.notFound));
  }
  const body = await readBody(req, MAX_REQUEST_BODY_BYTES);
  if (body === 'aborted') return;
  if (body === 'too-large') return send(res, gatewayAnswer(GATEWAY_ANSWERS.tooLarge));

  const rest = match.route.payloadFormat === '1.0';
  const request = {
    method,
    url: target,
    rawHeaders: req.rawHeaders,
    body,
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    requestId: randomUUID(),
    now: new Date(),
    stage: match.route.stage,
  };
  const event = rest
    ? { ...restApiEvent(request, match), ...(match.route.kind === 'HttpApi' && { version: '1.0' }) }
    : httpApiEvent(request, match);
  const eventBytes = Buffer.from(JSON.stringify(event));
  if (eventBytes.length > SYNC_EVENT_BYTES) return send(res, gatewayAnswer(GATEWAY_ANSWERS.tooLarge));

  const started = performance.now();
  const result = await options.invoke(eventBytes);
  const errorAnswer = gatewayAnswer(match.route.kind === 'Api' ? GATEWAY_ANSWERS.restError : GATEWAY_ANSWERS.httpApiError);
  let response: ApiResponse;
  let why = '';
  switch (result.outcome) {
    case 'response':
      response = responseOf(result.payload, rest ? '1.0' : '2.0') ?? errorAnswer;
      if (response === errorAnswer) why = ' (the answer is not a proxy integration response: statusCode, headers, body)';
      break;
    case 'timeout':
    case 'init-timeout':
      response = gatewayAnswer(match.route.kind === 'Api' ? GATEWAY_ANSWERS.restTimeout : GATEWAY_ANSWERS.httpApiTimeout);
      why = ` (${describeFailure(result)})`;
      break;
    case 'unavailable':
      response = {
        status: 503,
        headers: [['content-type', 'application/json']],
        body: Buffer.from(JSON.stringify({ message: `lambda-kit dev: ${result.reason}` })),
      };
      why = ` (${result.reason})`;
      break;
    default:
      response = errorAnswer;
      why = ` (${describeFailure(result)})`;
  }
  options.log(
    `${method} ${rawPath} → ${match.route.eventName} → ${response.status} in ${Math.round(performance.now() - started)} ms${why}`,
  );
  send(res, response);
}

/** Lambda's Invoke API, enough of it for `aws lambda invoke` and the SDKs' Invoke. */
async function handleInvoke(req: IncomingMessage, res: ServerResponse, options: DevServerOptions, encodedName: string): Promise<void> {
  const name = functionNameOf(safeDecode(encodedName) ?? encodedName);
  if (req.method !== 'POST') return discard(req, res, awsError(405, 'MethodNotAllowedException', 'Invoke takes POST'));
  const known = options.functionNames();
  if (!known.includes(name)) {
    return discard(
      req,
      res,
      awsError(404, 'ResourceNotFoundException', `Function not found: ${name} (lambda-kit dev serves ${known.join(', ')})`),
    );
  }
  const invocationType = headerOf(req, 'x-amz-invocation-type') ?? 'RequestResponse';
  if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
    return discard(
      req,
      res,
      awsError(400, 'InvalidParameterValueException', `X-Amz-Invocation-Type must be RequestResponse, Event or DryRun`),
    );
  }
  const limit = invocationType === 'Event' ? ASYNC_EVENT_BYTES : SYNC_EVENT_BYTES;
  const body = await readBody(req, limit);
  if (body === 'aborted') return;
  if (body === 'too-large') {
    return send(
      res,
      awsError(413, 'RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes for the InvokeFunction operation`),
    );
  }
  // Lambda gives an empty payload to the function as {}, and refuses what is not JSON.
  const payload = body.length === 0 ? Buffer.from('{}') : body;
  try {
    JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return send(
      res,
      awsError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`),
    );
  }
  const requestId = randomUUID();
  if (invocationType === 'DryRun') return send(res, { status: 204, headers: [['x-amzn-requestid', requestId]], body: Buffer.alloc(0) });
  if (invocationType === 'Event') {
    send(res, { status: 202, headers: [['x-amzn-requestid', requestId]], body: Buffer.alloc(0) });
    const result = await options.invoke(payload);
    options.log(`Invoke ${name} (Event) → ${describeOutcome(result)}`);
    return;
  }
  const result = await options.invoke(payload);
  options.log(`Invoke ${name} → ${describeOutcome(result)}`);
  const headers: [string, string][] = [
    ['content-type', 'application/json'],
    ['x-amzn-requestid', requestId],
    ['x-amz-executed-version', '$LATEST'],
  ];
  if (headerOf(req, 'x-amz-log-type') === 'Tail' && 'logs' in result) {
    // Lambda's last 4 KB of the invocation's log, base64.
    headers.push(['x-amz-log-result', Buffer.from(result.logs.join('\n')).subarray(-4096).toString('base64')]);
  }
  switch (result.outcome) {
    case 'response':
      return send(res, { status: 200, headers, body: result.payload });
    case 'unavailable':
      return send(res, awsError(503, 'ServiceException', `lambda-kit dev: ${result.reason}`));
    default: {
      headers.push(['x-amz-function-error', 'Unhandled']);
      return send(res, { status: 200, headers, body: Buffer.from(JSON.stringify(errorDocument(result))) });
    }
  }
}

/** What Lambda answers for an invocation that failed: the function's own error document, or Lambda's. */
function errorDocument(result: LocalInvocation): { errorType: string; errorMessage: string } {
  switch (result.outcome) {
    case 'error':
    case 'init-error':
      return { errorType: result.errorType, errorMessage: result.errorMessage };
    case 'timeout':
      return {
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${result.requestId} Error: Task timed out after ${(result.timeoutMs / 1000).toFixed(2)} seconds`,
      };
    case 'init-timeout':
      return {
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${result.requestId} Error: INIT did not finish within ${(result.timeoutMs / 1000).toFixed(2)} seconds`,
      };
    case 'exited': {
      const how = result.spawnError
        ? `could not start: ${result.spawnError}`
        : result.signal
          ? `signal: ${result.signal}`
          : `exit status ${result.exitCode}`;
      return { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${result.requestId} Error: Runtime exited with error: ${how}` };
    }
    case 'response':
      return { errorType: 'Unhandled', errorMessage: '' };
  }
}

/** A failed invocation in one line: its error type and the first line of its message. */
export function describeFailure(result: LocalInvocation): string {
  const { errorType, errorMessage } = errorDocument(result);
  return `${errorType}: ${errorMessage.split('\n')[0]!.slice(0, 300)}`;
}

function describeOutcome(result: LocalInvocation | Unavailable): string {
  if (result.outcome === 'unavailable') return `unavailable: ${result.reason}`;
  if (result.outcome === 'response') return `answered in ${Math.round(result.durationMs)} ms`;
  return `failed: ${describeFailure(result)}`;
}

/** `AppFunction`, from a name, `AppFunction:$LATEST`, `123456789012:function:AppFunction` or a whole ARN. */
export function functionNameOf(given: string): string {
  const parts = given.split(':');
  const at = parts.indexOf('function');
  if (at >= 0 && at + 1 < parts.length) return parts[at + 1]!;
  return parts[0]!;
}

function awsError(status: number, type: string, message: string): ApiResponse {
  return {
    status,
    headers: [
      ['content-type', 'application/json'],
      ['x-amzn-errortype', type],
    ],
    body: Buffer.from(JSON.stringify({ Type: 'User', message })),
  };
}

/** The path and query of the request target; an absolute-form URL is reduced to them. */
function requestTarget(url: string): string | undefined {
  if (url.startsWith('/')) return url;
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return undefined;
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Answers without reading the body: the rest of it is read and dropped, so the client sees the answer, not a reset. */
function discard(req: IncomingMessage, res: ServerResponse, response: ApiResponse): void {
  req.resume();
  send(res, response);
}

function send(res: ServerResponse, response: ApiResponse): void {
  if (res.headersSent || res.destroyed) return;
  try {
    // A length, as API Gateway sends, rather than Node's chunked encoding.
    const length: [string, string][] =
      response.status === 204 || response.status === 304 ? [] : [['content-length', String(response.body.length)]];
    res.writeHead(response.status, [...response.headers, ...length].flat());
    res.end(response.body);
  } catch (error) {
    // A header Node refuses: the answer cannot be sent as it is, and the client learns that much.
    if (!res.headersSent)
      res
        .writeHead(502, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: `Internal server error: ${(error as Error).message}` }));
  }
}

/** readRequestBody, but a declared length over the limit is refused before the body arrives. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return readRequestBody(req, limit);
}
