/**
 * A minimal Lambda runtime interface client for Node, so the bench runs a Node.js function under
 * our Runtime API emulator as the nodejs22.x managed runtime runs it:
 *
 *   LAMBDA_TASK_ROOT=<function dir> _HANDLER=index.handler AWS_LAMBDA_RUNTIME_API=<host:port> \
 *     node dist/bench/runtimes/node-runtime.js
 *
 * It imports the handler's module once (the init), then loops: take the next event, await the
 * handler, post its result or its error. Only async (promise-returning) handlers are supported.
 * Its own start-up counts in the function's cold start, so it does what the real runtime does
 * and nothing more: node:http with one kept-alive connection (fetch would load undici).
 */
import { existsSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// host:port, as Lambda sets it (127.0.0.1:9001).
const [HOST, PORT] = (process.env.AWS_LAMBDA_RUNTIME_API ?? '').split(':');
const PREFIX = '/2018-06-01/runtime';
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

interface Reply {
  headers: IncomingHttpHeaders;
  body: string;
}

function call(method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    if (body !== undefined)
      Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
    const req = request({ host: HOST, port: PORT, method, path: PREFIX + path, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The error document Lambda expects: the error's name is its type, in the body and the header. */
function postError(path: string, error: unknown): Promise<Reply> {
  const e = error instanceof Error ? error : new Error(String(error));
  const document = { errorType: e.name, errorMessage: e.message, stackTrace: e.stack?.split('\n') ?? [] };
  return call('POST', path, JSON.stringify(document), { 'Lambda-Runtime-Function-Error-Type': e.name });
}

type Handler = (event: unknown, context: object) => unknown;

/** `index.handler` → the export `handler` of index.js, index.mjs or index.cjs in the task root. */
async function loadHandler(): Promise<Handler> {
  const spec = process.env._HANDLER ?? '';
  const dot = spec.lastIndexOf('.');
  const [moduleName, exportName] = [spec.slice(0, dot), spec.slice(dot + 1)];
  const base = join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((path) => existsSync(path));
  if (dot < 1 || !file) throw named('Runtime.ImportModuleError', `Cannot find module '${moduleName}' for handler '${spec}'`);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const handler = module[exportName];
  if (typeof handler !== 'function') throw named('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  return handler as Handler;
}

function named(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

let handler: Handler;
try {
  handler = await loadHandler();
} catch (error) {
  console.error('init failed:', error);
  await postError('/init/error', error);
  process.exit(1);
}

const env = process.env;
for (;;) {
  const next = await call('GET', '/invocation/next');
  const { headers } = next;
  const requestId = String(headers['lambda-runtime-aws-request-id']);
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  // The X-Ray SDK and Powertools read the trace id from here, as they do in Lambda.
  env._X_AMZN_TRACE_ID = String(headers['lambda-runtime-trace-id'] ?? '');
  const jsonHeader = (name: string) => (typeof headers[name] === 'string' ? JSON.parse(headers[name]) : undefined);
  const context = {
    awsRequestId: requestId,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: jsonHeader('lambda-runtime-client-context'),
    identity: jsonHeader('lambda-runtime-cognito-identity'),
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
  try {
    const result = await handler(JSON.parse(next.body), context);
    await call('POST', `/invocation/${requestId}/response`, JSON.stringify(result ?? null));
  } catch (error) {
    console.error('invocation failed:', error);
    await postError(`/invocation/${requestId}/error`, error);
  }
}
