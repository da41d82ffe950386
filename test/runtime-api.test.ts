/**
 * Conformance of the Lambda Runtime API emulator, driven by a tiny runtime client written here
 * from the public spec: what a runtime sees on /invocation/next, and what each of its answers
 * (/response, /error, /init/error, silence) turns into. Then the process host (LocalFunction),
 * with a runtime that is a small Node script: cold then warm, logs, crashes, timeouts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, RuntimeApiEmulator, newTraceId } from '../src/runtime-api/emulator.js';
import { LocalFunction } from '../src/runtime-api/local-function.js';
import { tempDir } from './support/cli.js';

const API = '/2018-06-01/runtime';

/** The runtime side: poll for the next event. */
async function next(emulator: RuntimeApiEmulator) {
  const response = await fetch(`http://${emulator.endpoint}${API}/invocation/next`);
  return {
    status: response.status,
    headers: response.headers,
    event: await response.text(),
    requestId: response.headers.get('lambda-runtime-aws-request-id')!,
  };
}

async function post(emulator: RuntimeApiEmulator, path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://${emulator.endpoint}${API}${path}`, { method: 'POST', body, headers });
  return { status: response.status, body: await response.json() };
}

/** An invocation left pending on purpose: closing the emulator rejects it. */
const ignore = (promise: Promise<unknown>) => void promise.catch(() => {});

const emulators: RuntimeApiEmulator[] = [];
async function start(options: Parameters<typeof RuntimeApiEmulator.start>[0] = {}) {
  const emulator = await RuntimeApiEmulator.start(options);
  emulators.push(emulator);
  return emulator;
}
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()));
});

describe('Runtime API emulator', () => {
  it('listens on loopback, on a port of its own', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(a.endpoint).not.toBe(b.endpoint);
  });

  it('delivers an event and resolves with the response the runtime posts', async () => {
    const emulator = await start();
    const outcome = emulator.invoke({ Records: [{ id: 1 }] });
    const delivered = await next(emulator);
    expect(delivered.status).toBe(200);
    expect(JSON.parse(delivered.event)).toEqual({ Records: [{ id: 1 }] });
    const answer = await post(emulator, `/invocation/${delivered.requestId}/response`, '{"ok":true}');
    expect(answer).toEqual({ status: 202, body: { status: 'OK' } });

    const result = await outcome;
    expect(result.outcome).toBe('response');
    if (result.outcome !== 'response') return;
    expect(result.payload.toString()).toBe('{"ok":true}');
    expect(result.requestId).toBe(delivered.requestId);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.completedAt - result.deliveredAt).toBeCloseTo(result.durationMs, 6);
  });

  it('round-trips the request id: the one invoked with is the one delivered and answered', async () => {
    const emulator = await start();
    const outcome = emulator.invoke('{}', { requestId: 'c0ffee00-1111-2222-3333-444455556666' });
    const delivered = await next(emulator);
    expect(delivered.requestId).toBe('c0ffee00-1111-2222-3333-444455556666');
    // An answer for another id is refused, and the invocation keeps waiting for its own.
    const wrong = await post(emulator, '/invocation/not-this-one/response', '1');
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ errorType: 'InvalidRequestID' });
    await post(emulator, `/invocation/${delivered.requestId}/response`, '2');
    const result = await outcome;
    expect(result).toMatchObject({ outcome: 'response', requestId: 'c0ffee00-1111-2222-3333-444455556666' });
    // Once answered, the id is spent.
    expect((await post(emulator, `/invocation/${delivered.requestId}/response`, '3')).status).toBe(400);
  });

  it('sends the deadline, function ARN and trace headers Lambda sends', async () => {
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:orders';
    const emulator = await start({ functionArn: arn, timeoutMs: 30_000 });
    const before = Date.now();
    ignore(emulator.invoke('{}', { traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' }));
    const { headers } = await next(emulator);
    const deadline = Number(headers.get('lambda-runtime-deadline-ms'));
    expect(deadline).toBeGreaterThanOrEqual(before + 30_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(headers.get('lambda-runtime-invoked-function-arn')).toBe(arn);
    expect(headers.get('lambda-runtime-trace-id')).toBe('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    expect(headers.get('content-type')).toBe('application/json');

    ignore(emulator.invoke('{}', { timeoutMs: 1500, clientContext: { custom: { a: 1 } }, cognitoIdentity: { cognitoIdentityId: 'id-1' } }));
    const second = await next(emulator);
    expect(Number(second.headers.get('lambda-runtime-deadline-ms')) - Date.now()).toBeLessThanOrEqual(1500);
    expect(JSON.parse(second.headers.get('lambda-runtime-client-context')!)).toEqual({ custom: { a: 1 } });
    expect(JSON.parse(second.headers.get('lambda-runtime-cognito-identity')!)).toEqual({ cognitoIdentityId: 'id-1' });
    expect(second.headers.get('lambda-runtime-trace-id')).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  });

  it('makes a trace id of the current time', () => {
    expect(newTraceId(Date.UTC(2026, 4, 1) + 234)).toMatch(new RegExp(`^Root=1-${(Date.UTC(2026, 4, 1) / 1000).toString(16)}-`));
  });

  it('turns a posted error into a function error with its type and message', async () => {
    const emulator = await start();
    const outcome = emulator.invoke('{}');
    const { requestId } = await next(emulator);
    const body = JSON.stringify({ errorType: 'InvalidItem', errorMessage: 'missing field `name`', stackTrace: [] });
    const answer = await post(emulator, `/invocation/${requestId}/error`, body, { 'Lambda-Runtime-Function-Error-Type': 'Unhandled' });
    expect(answer.status).toBe(202);
    const result = await outcome;
    expect(result).toMatchObject({ outcome: 'error', requestId, errorType: 'InvalidItem', errorMessage: 'missing field `name`' });
  });

  it('reads an error that is not JSON by its header and text', async () => {
    const emulator = await start();
    const outcome = emulator.invoke('{}');
    const { requestId } = await next(emulator);
    await post(emulator, `/invocation/${requestId}/error`, 'it broke', { 'Lambda-Runtime-Function-Error-Type': 'Runtime.Custom' });
    expect(await outcome).toMatchObject({ outcome: 'error', errorType: 'Runtime.Custom', errorMessage: 'it broke' });
  });

  it('reports an init error to the waiting invocation, and to every later one', async () => {
    const emulator = await start();
    const outcome = emulator.invoke('{}');
    const body = JSON.stringify({ errorType: 'Runtime.InitError', errorMessage: 'environment variable TABLE_NAME is not set' });
    const answer = await post(emulator, '/init/error', body, { 'Lambda-Runtime-Function-Error-Type': 'Runtime.InitError' });
    expect(answer.status).toBe(202);
    expect(await outcome).toMatchObject({
      outcome: 'init-error',
      errorType: 'Runtime.InitError',
      errorMessage: 'environment variable TABLE_NAME is not set',
    });
    expect(emulator.initError?.errorType).toBe('Runtime.InitError');
    expect(await emulator.invoke('{}')).toMatchObject({ outcome: 'init-error' });
  });

  it('gives up on an invocation at its deadline', async () => {
    const emulator = await start({ timeoutMs: 100 });
    const outcome = emulator.invoke('{}');
    const { requestId } = await next(emulator);
    expect(await outcome).toMatchObject({ outcome: 'timeout', requestId, timeoutMs: 100 });
    // A late answer finds nobody waiting.
    expect((await post(emulator, `/invocation/${requestId}/response`, '{}')).status).toBe(400);
  });

  it('holds a poll until an event arrives, and hands out one event per poll, in order', async () => {
    const emulator = await start();
    const poll = next(emulator);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const first = emulator.invoke('"a"');
    const second = emulator.invoke('"b"');
    const a = await poll;
    expect(a.event).toBe('"a"');
    await post(emulator, `/invocation/${a.requestId}/response`, '1');
    const b = await next(emulator);
    expect(b.event).toBe('"b"');
    await post(emulator, `/invocation/${b.requestId}/response`, '2');
    expect((await first).outcome).toBe('response');
    expect((await second).outcome).toBe('response');
  });

  it('refuses a response over 6 MB, as Lambda does', async () => {
    const emulator = await start();
    const outcome = emulator.invoke('{}');
    const { requestId } = await next(emulator);
    const status = await fetch(`http://${emulator.endpoint}${API}/invocation/${requestId}/response`, {
      method: 'POST',
      body: 'x'.repeat(MAX_RESPONSE_BYTES + 1),
    }).then(
      (r) => r.status,
      () => 413,
    );
    expect(status).toBe(413);
    expect(await outcome).toMatchObject({ outcome: 'error', errorType: 'Function.ResponseSizeTooLarge' });
  });

  it('answers unknown routes with 404 and abandons an invocation on abort', async () => {
    const emulator = await start();
    expect((await fetch(`http://${emulator.endpoint}/2018-06-01/runtime/nope`)).status).toBe(404);
    expect((await fetch(`http://${emulator.endpoint}${API}/invocation/next`, { method: 'POST' })).status).toBe(405);
    const controller = new AbortController();
    const outcome = emulator.invoke('{}', { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(outcome).rejects.toThrow('stop');
  });
});

/**
 * A runtime in a dozen lines of Node, as a stand-in for a function binary. What it does with an
 * event is in the event: {"echo": x} answers x, {"fail": msg} posts an error, {"crash": code}
 * exits, {"sleep": ms} waits first. MODE=exit-at-init and MODE=init-error fail before polling.
 */
const FAKE_RUNTIME = `
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
const post = (path, body) => fetch(api + path, { method: 'POST', body: JSON.stringify(body) });
(async () => {
  console.log('init ' + process.env.AWS_LAMBDA_FUNCTION_NAME);
  if (process.env.MODE === 'exit-at-init') { console.error('Error: environment variable TABLE_NAME is not set'); process.exit(1); }
  if (process.env.MODE === 'init-error') { await post('/init/error', { errorType: 'Runtime.InitError', errorMessage: 'no config' }); process.exit(1); }
  if (process.env.MODE === 'never-poll') { setInterval(() => {}, 1000); return; }
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    const event = await res.json();
    console.log('handling ' + id);
    if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
    if (event.crash !== undefined) process.exit(event.crash);
    if (event.fail) await post('/invocation/' + id + '/error', { errorType: 'HandlerError', errorMessage: event.fail });
    else await post('/invocation/' + id + '/response', event.echo ?? null);
  }
})();
`;

describe('LocalFunction (the runtime process under the emulator)', () => {
  const running: LocalFunction[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((f) => f.stop()));
  });

  async function run(env: Record<string, string> = {}, timeoutMs = 5000, initTimeoutMs?: number) {
    const dir = await tempDir('cfl-runtime-');
    const script = join(dir, 'runtime.cjs');
    await writeFile(script, FAKE_RUNTIME);
    const fn = await LocalFunction.start({
      command: process.execPath,
      args: [script],
      env: { PATH: process.env.PATH ?? '', AWS_LAMBDA_FUNCTION_NAME: 'fake', ...env },
      timeoutMs,
      initTimeoutMs,
    });
    running.push(fn);
    return fn;
  }

  it('serves a cold invocation, then warm ones, in the same process', async () => {
    const fn = await run();
    const cold = await fn.invoke({ echo: { n: 1 } });
    expect(cold.outcome).toBe('response');
    expect(cold.outcome === 'response' && JSON.parse(cold.payload.toString())).toEqual({ n: 1 });
    expect(cold.initDurationMs).toBeGreaterThan(0);
    expect(cold.logs).toEqual(['init fake', `handling ${cold.requestId}`]);

    const warm = await fn.invoke({ echo: 2 });
    expect(warm.outcome === 'response' && warm.payload.toString()).toBe('2');
    expect(warm.initDurationMs).toBeUndefined();
    expect(warm.logs).toEqual([`handling ${warm.requestId}`]);
    if (process.platform === 'linux') expect(warm.maxMemoryBytes).toBeGreaterThan(1_000_000);
  });

  it('reports a function error and keeps serving', async () => {
    const fn = await run();
    expect(await fn.invoke({ fail: 'bad item' })).toMatchObject({ outcome: 'error', errorType: 'HandlerError', errorMessage: 'bad item' });
    expect(await fn.invoke({ echo: 'still here' })).toMatchObject({ outcome: 'response' });
  });

  it('reports a process that exits at init, with what it wrote', async () => {
    const fn = await run({ MODE: 'exit-at-init' });
    const result = await fn.invoke({});
    expect(result).toMatchObject({ outcome: 'exited', exitCode: 1 });
    expect(result.initDurationMs).toBeUndefined();
    expect(result.logs).toContain('Error: environment variable TABLE_NAME is not set');
  });

  it('reports an init error posted by the runtime', async () => {
    const fn = await run({ MODE: 'init-error' });
    expect(await fn.invoke({})).toMatchObject({ outcome: 'init-error', errorType: 'Runtime.InitError', errorMessage: 'no config' });
  });

  it('reports a crash while handling, after a successful init', async () => {
    const fn = await run();
    const result = await fn.invoke({ crash: 3 });
    expect(result).toMatchObject({ outcome: 'exited', exitCode: 3 });
    expect(result.initDurationMs).toBeGreaterThan(0);
  });

  it('times out a slow invocation and stops the process, as Lambda does', async () => {
    const fn = await run({}, 200);
    expect(await fn.invoke({ sleep: 5000 })).toMatchObject({ outcome: 'timeout', timeoutMs: 200 });
    expect(await fn.exited).toMatchObject({ signal: 'SIGTERM' });
  });

  it('gives up on a runtime that never polls', async () => {
    const fn = await run({ MODE: 'never-poll' }, 5000, 300);
    expect(await fn.invoke({})).toMatchObject({ outcome: 'init-timeout', timeoutMs: 300 });
  });

  it('reports an executable that cannot be started', async () => {
    const fn = await LocalFunction.start({ command: '/nonexistent/bootstrap', env: {}, timeoutMs: 1000 });
    running.push(fn);
    expect(await fn.invoke({})).toMatchObject({ outcome: 'exited', spawnError: 'ENOENT' });
  });
});
