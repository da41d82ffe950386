/**
 * lambda-kit dev's server and function host, driven for real: a runtime process (a dozen lines
 * of Node standing in for a function binary) under the Runtime API emulator, behind the dev
 * server on a loopback port. Requests are real HTTP (fetch, raw sockets for what fetch will not
 * send), the Invoke API is called with @aws-sdk/client-lambda, and a swap is two scripts.
 */
import { connect } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../src/dev/dev-server.js';
import { FunctionHost } from '../src/dev/function-host.js';
import type { ApiRoute } from '../src/dev/api-routes.js';
import { LocalFunction } from '../src/runtime-api/local-function.js';
import { tempDir } from './support/cli.js';

/**
 * Answers an API event with a proxy response that carries the event back (and the script's
 * VERSION), or for a direct event: {"fail": msg} posts an error, {"crash": code} exits,
 * {"sleep": ms} waits, anything else is echoed with the version.
 */
const RUNTIME = (version: string) => `
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
const post = (path, body) => fetch(api + path, { method: 'POST', body: JSON.stringify(body) });
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    const event = await res.json();
    if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
    if (event.crash !== undefined) process.exit(event.crash);
    if (event.fail || event.rawPath === '/fail') { await post('/invocation/' + id + '/error', { errorType: 'HandlerError', errorMessage: event.fail ?? 'failed' }); continue; }
    if (event.rawPath === '/raw') { await post('/invocation/' + id + '/response', { hello: ${JSON.stringify(version)} }); continue; }
    if (event.httpMethod && event.path === '/rest/raw') { await post('/invocation/' + id + '/response', { hello: 'rest' }); continue; }
    if (event.httpMethod) {
      await post('/invocation/' + id + '/response', { statusCode: 200, multiValueHeaders: { 'x-multi': ['a', 'b'] }, body: JSON.stringify(event) });
      continue;
    }
    if (event.version === '2.0') {
      await post('/invocation/' + id + '/response', {
        statusCode: 201,
        headers: { 'x-version': ${JSON.stringify(version)}, 'content-type': 'application/json' },
        multiValueHeaders: { 'x-multi': ['a', 'b'] },
        cookies: ['one=1; Path=/', 'two=2'],
        body: Buffer.from(JSON.stringify(event)).toString('base64'),
        isBase64Encoded: true,
      });
      continue;
    }
    await post('/invocation/' + id + '/response', { version: ${JSON.stringify(version)}, event });
  }
})();
`;

const ROUTES: ApiRoute[] = [
  { eventName: 'PostItem', kind: 'HttpApi', method: 'POST', path: '/items', payloadFormat: '2.0', stage: undefined },
  { eventName: 'GetItem', kind: 'HttpApi', method: 'GET', path: '/items/{id}', payloadFormat: '2.0', stage: undefined },
  { eventName: 'Fail', kind: 'HttpApi', method: 'GET', path: '/fail', payloadFormat: '2.0', stage: undefined },
  { eventName: 'Raw', kind: 'HttpApi', method: 'GET', path: '/raw', payloadFormat: '2.0', stage: undefined },
  { eventName: 'Rest', kind: 'Api', method: 'ANY', path: '/rest/{proxy+}', payloadFormat: '1.0', stage: 'prod' },
];

let dir: string;
let host: FunctionHost;
let server: DevServer;
let base: string;
const logs: string[] = [];

async function script(version: string): Promise<string> {
  const path = join(dir, `runtime-${version}.cjs`);
  await writeFile(path, RUNTIME(version));
  return path;
}

beforeAll(async () => {
  dir = await tempDir('cfl-dev-server-');
  host = new FunctionHost({
    launch: (binary) =>
      LocalFunction.start({
        command: process.execPath,
        args: [binary],
        env: { PATH: process.env.PATH ?? '' },
        timeoutMs: 5000,
        initTimeoutMs: 5000,
      }),
    buildWaitMs: 10_000,
  });
  host.beginBuild();
  host.endBuild(await script('v1'));
  server = await startDevServer({
    port: 0,
    routes: () => ROUTES,
    functionNames: () => ['AppFunction', 'items-fn'],
    invoke: (event) => host.invoke(event),
    log: (line) => logs.push(line),
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  await host?.stop();
});

/** One request written byte for byte on a fresh socket; resolves with the status line, or 'closed' when the server hangs up without one. */
function rawRequest(bytes: string | Buffer, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received.split('\r\n')[0] || 'closed');
    });
    socket.write(bytes);
  });
}

describe('API routes', () => {
  it('a route gets the 2.0 event, and the answer’s status, headers, multiValueHeaders, cookies and base64 body come back', async () => {
    const response = await fetch(`${base}/items?store=42&store=43`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'session=abc; theme=dark', 'x-trace': 't1' },
      body: '{"id":"A-1"}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-version')).toBe('v1');
    expect(response.headers.get('x-multi')).toBe('a, b');
    expect(response.headers.getSetCookie()).toEqual(['one=1; Path=/', 'two=2']);
    const event = (await response.json()) as { headers: Record<string, string> };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /items',
      rawPath: '/items',
      rawQueryString: 'store=42&store=43',
      cookies: ['session=abc', 'theme=dark'],
      queryStringParameters: { store: '42,43' },
      body: '{"id":"A-1"}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/items', sourceIp: '127.0.0.1' }, routeKey: 'POST /items', stage: '$default' },
    });
    expect(event.headers['x-trace']).toBe('t1');
    expect(event.headers).not.toHaveProperty('cookie');
  });

  it('path parameters are bound and decoded', async () => {
    const event = (await (await fetch(`${base}/items/a%20b`)).json()) as { pathParameters: unknown; routeKey: string };
    expect(event.pathParameters).toEqual({ id: 'a b' });
    expect(event.routeKey).toBe('GET /items/{id}');
  });

  it('an unknown route, or a known path with another method, is a 404 with API Gateway’s body', async () => {
    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['DELETE', '/items'],
      ['GET', '/items'],
    ]) {
      const response = await fetch(`${base}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await response.json()).toEqual({ message: 'Not Found' });
    }
  });

  it('a REST route gets the 1.0 event (resource, greedy path parameter, multi-value headers and query, stage), and answers back', async () => {
    const response = await fetch(`${base}/rest/a/b%20c?x=1&x=2`, {
      method: 'PUT',
      headers: [
        ['x-twice', 'one'],
        ['x-twice', 'two'],
      ],
      body: 'hi',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-multi')).toBe('a, b');
    expect(await response.json()).toMatchObject({
      resource: '/rest/{proxy+}',
      path: '/rest/a/b c',
      httpMethod: 'PUT',
      pathParameters: { proxy: 'a/b c' },
      queryStringParameters: { x: '2' },
      multiValueQueryStringParameters: { x: ['1', '2'] },
      multiValueHeaders: { 'x-twice': ['one, two'] },
      body: 'hi',
      isBase64Encoded: false,
      requestContext: { stage: 'prod', path: '/prod/rest/a/b c', resourcePath: '/rest/{proxy+}', httpMethod: 'PUT' },
    });
  });

  it('REST refuses an answer without statusCode with a 502, as API Gateway does', async () => {
    const response = await fetch(`${base}/rest/raw`);
    expect([response.status, await response.json()]).toEqual([502, { message: 'Internal server error' }]);
  });

  it('an answer without statusCode is a 200 JSON body; a function error is a 500 with API Gateway’s body', async () => {
    const raw = await fetch(`${base}/raw`);
    expect(raw.headers.get('content-length')).toBe(String('{"hello":"v1"}'.length));
    expect([raw.status, await raw.json()]).toEqual([200, { hello: 'v1' }]);
    const failed = await fetch(`${base}/fail`);
    expect([failed.status, await failed.json()]).toEqual([500, { message: 'Internal Server Error' }]);
    expect(logs.some((line) => line.includes('GET /fail → Fail → 500') && line.includes('HandlerError'))).toBe(true);
  });

  it('a body over 10 MB is a 413, and the server goes on', async () => {
    const response = await fetch(`${base}/items`, { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect((await fetch(`${base}/items/1`)).status).toBe(201);
  }, 30_000);
});

describe('hostile clients do not bring dev down', () => {
  it('huge headers (431), bytes that are no HTTP (400), malformed percent-encoding (400), a bad absolute URL (400)', async () => {
    expect(await rawRequest(`GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`)).toMatch(/^HTTP\/1.1 431/);
    expect(await rawRequest('\x16\x03\x01 not http at all\r\n\r\n')).toMatch(/^HTTP\/1.1 400/);
    expect(await rawRequest('GET /items/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 400/);
    expect(await rawRequest('GET http://[::1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 400/);
    expect((await fetch(`${base}/items/1`)).status).toBe(201);
  });

  it('any request line and headers, however odd: each gets an answer or a closed socket, and dev goes on serving', async () => {
    const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
    const target = fc.oneof(fc.string({ maxLength: 40 }), fc.webPath(), fc.webUrl()).map((t) => t.replace(/[\r\n ]/g, ''));
    const header = fc.tuple(
      token,
      fc.string({ maxLength: 40 }).map((v) => v.replace(/[\r\n]/g, '')),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(token, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE')),
        target,
        fc.array(header, { maxLength: 5 }),
        fc.string({ maxLength: 60 }),
        async (method, path, headers, body) => {
          const head = [
            `${method} ${path || '/'} HTTP/1.1`,
            'Host: x',
            'Connection: close',
            `Content-Length: ${Buffer.byteLength(body)}`,
            ...headers.map(([n, v]) => `${n}: ${v}`),
          ];
          const status = await rawRequest(`${head.join('\r\n')}\r\n\r\n${body}`, 10_000);
          expect(status).toMatch(/^(HTTP\/1\.1 \d{3}|closed)/);
        },
      ),
      { numRuns: 60 },
    );
    expect((await fetch(`${base}/items/1`)).status).toBe(201);
  }, 120_000);

  it('a slowloris client is cut off after the headers timeout, while others are served meanwhile', async () => {
    const started = performance.now();
    const slow = new Promise<number>((resolve) => {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write('GET /items/1 HTTP/1.1\r\nHost: x\r\n');
      // A header line every second, never the blank line that ends them.
      const drip = setInterval(() => socket.writable && socket.write(`X-Drip: ${Date.now()}\r\n`), 1000);
      socket.on('close', () => {
        clearInterval(drip);
        resolve(performance.now() - started);
      });
      setTimeout(() => socket.destroy(), 30_000);
    });
    expect((await fetch(`${base}/items/2`)).status).toBe(201);
    expect(await slow).toBeLessThan(25_000);
  }, 40_000);
});

describe('Invoke API, through @aws-sdk/client-lambda', () => {
  const client = () =>
    new LambdaClient({
      endpoint: base,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });

  it('RequestResponse by logical id, by FunctionName and by ARN: the answer; a function error: FunctionError Unhandled', async () => {
    for (const name of ['AppFunction', 'items-fn', 'arn:aws:lambda:us-east-1:123456789012:function:AppFunction:$LATEST']) {
      const out = await client().send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"n":1}') }));
      expect(out.StatusCode).toBe(200);
      expect(out.FunctionError).toBeUndefined();
      expect(JSON.parse(Buffer.from(out.Payload!).toString())).toEqual({ version: 'v1', event: { n: 1 } });
    }
    const failed = await client().send(new InvokeCommand({ FunctionName: 'AppFunction', Payload: Buffer.from('{"fail":"boom"}') }));
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(failed.Payload!).toString())).toEqual({ errorType: 'HandlerError', errorMessage: 'boom' });
  });

  it('Event is accepted with 202 and runs; an unknown function is ResourceNotFoundException; bad JSON is InvalidRequestContentException', async () => {
    const event = await client().send(
      new InvokeCommand({ FunctionName: 'AppFunction', InvocationType: 'Event', Payload: Buffer.from('{"n":2}') }),
    );
    expect(event.StatusCode).toBe(202);
    await expect(client().send(new InvokeCommand({ FunctionName: 'Other', Payload: Buffer.from('{}') }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(client().send(new InvokeCommand({ FunctionName: 'AppFunction', Payload: Buffer.from('{nope') }))).rejects.toMatchObject({
      name: 'InvalidRequestContentException',
    });
  });

  it('a crash is Runtime.ExitError, and the next invocation gets a fresh process', async () => {
    const crashed = await client().send(new InvokeCommand({ FunctionName: 'AppFunction', Payload: Buffer.from('{"crash":3}') }));
    expect(crashed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(crashed.Payload!).toString())).toMatchObject({ errorType: 'Runtime.ExitError' });
    const next = await client().send(new InvokeCommand({ FunctionName: 'AppFunction', Payload: Buffer.from('{"n":3}') }));
    expect(JSON.parse(Buffer.from(next.Payload!).toString())).toEqual({ version: 'v1', event: { n: 3 } });
  });
});

describe('rebuilds', () => {
  it('a request made during a build waits for it and is answered by the new binary; a failed build keeps the last good one', async () => {
    host.beginBuild();
    const during = fetch(`${base}/items/1`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    host.endBuild(await script('v2'));
    expect((await during).headers.get('x-version')).toBe('v2');

    host.beginBuild();
    const duringFailed = fetch(`${base}/items/1`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    host.endBuild(undefined);
    expect((await duringFailed).headers.get('x-version')).toBe('v2');
  });

  it('the wait for a build is bounded: past it the last good build answers', async () => {
    const bounded = new FunctionHost({
      launch: (binary) =>
        LocalFunction.start({ command: process.execPath, args: [binary], env: { PATH: process.env.PATH ?? '' }, timeoutMs: 5000 }),
      buildWaitMs: 300,
    });
    try {
      bounded.beginBuild();
      bounded.endBuild(await script('v3'));
      bounded.beginBuild();
      const started = performance.now();
      const result = await bounded.invoke(Buffer.from('{"n":4}'));
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect(result.outcome === 'response' && JSON.parse(result.payload.toString())).toEqual({ version: 'v3', event: { n: 4 } });
    } finally {
      await bounded.stop();
    }
  });
});
