/**
 * The Runtime API emulator against requests no honest runtime sends: malformed paths, unknown
 * request ids, wrong methods, junk bodies. It runs in a child process of its own (built, from
 * dist/), as it runs inside lambda-kit, so a request that kills it shows as a dead process and a
 * socket that never answers, not as an error vitest happens to catch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';

const API = '/2018-06-01/runtime';

/**
 * Holds one invocation in flight at all times (a new one as soon as the last settles), so that
 * answers for a live request id reach real code; prints its endpoint, then each outcome.
 */
const HOST = `
const { RuntimeApiEmulator } = await import(${JSON.stringify(join(ROOT, 'dist/runtime-api/emulator.js'))});
const emulator = await RuntimeApiEmulator.start({ timeoutMs: 600000 });
console.log(emulator.endpoint);
for (;;) {
  const result = await emulator.invoke('{"n":1}', { requestId: 'req-' + Date.now() });
  console.log(result.outcome);
}
`;

interface RawAnswer {
  status: number;
}

/** One request written byte for byte on a fresh loopback socket; resolves with the status line's code. */
function rawRequest(endpoint: string, head: string, body: Uint8Array, timeoutMs = 3000): Promise<RawAnswer> {
  const [host, port] = endpoint.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(head.split('\r\n')[0])}`));
    }, timeoutMs);
    const settle = () => {
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(received);
      if (!status) return false;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(status[1]) });
      return true;
    };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      settle();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (settle()) return;
      clearTimeout(timer);
      reject(new Error(`connection closed without an answer to ${JSON.stringify(head.split('\r\n')[0])}`));
    });
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
}

function request(method: string, path: string, body: Uint8Array = new Uint8Array()): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
}

let host: ChildProcess;
let endpoint: string;
let outcomes: string[] = [];

beforeAll(async () => {
  host = spawn(process.execPath, ['--input-type=module', '-e', HOST], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  host.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: host.stdout! });
  endpoint = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    host.once('exit', () => reject(new Error(`the emulator host exited: ${stderr}`)));
  });
  lines.on('line', (line) => outcomes.push(line));
  // The runtime's first poll ends its init, as in Lambda: from then on /init/error is refused.
  await roundTrip();
});

afterAll(() => {
  host?.kill('SIGKILL');
});

/** The runtime's poll: the request id of the event it was handed. */
async function nextEvent(): Promise<string> {
  const next = await fetch(`http://${endpoint}${API}/invocation/next`, { signal: AbortSignal.timeout(3000) });
  expect(next.status).toBe(200);
  await next.arrayBuffer();
  return next.headers.get('lambda-runtime-aws-request-id')!;
}

/** The runtime's side of one honest round trip: take the event, answer it. */
async function roundTrip(): Promise<void> {
  const id = await nextEvent();
  const answer = await fetch(`http://${endpoint}${API}/invocation/${encodeURIComponent(id)}/response`, { method: 'POST', body: '"ok"' });
  expect(answer.status).toBe(202);
}

describe('Runtime API emulator under hostile requests', () => {
  it.each([
    ['POST', `${API}/invocation/%ZZ/response`, 400],
    ['POST', `${API}/invocation/%E0%A4%A/error`, 400],
    ['POST', `${API}/invocation/no-such-id/response`, 400],
    ['POST', `${API}/invocation/no-such-id/error`, 400],
    ['GET', `${API}/invocation/no-such-id/response`, 405],
    ['PUT', `${API}/init/error`, 405],
    ['POST', `${API}/init/error`, 403],
    ['CONNECT', '127.0.0.1:1', 405],
    ['DELETE', `${API}/invocation/next`, 405],
    ['GET', `${API}/invocation//response`, 404],
    ['GET', '/2018-06-01/runtime', 404],
    ['GET', '*', 404],
    ['GET', 'http://127.0.0.1/2018-06-01/runtime/invocation/%ZZ/response', 404],
  ])('%s %s answers %i and the emulator lives on', async (method, path, status) => {
    expect((await rawRequest(endpoint, request(method, path), new Uint8Array())).status).toBe(status);
    expect(host.exitCode).toBeNull();
  });

  it('answers every random request with a status, and keeps serving the function', async () => {
    // An event in flight, so that some random answers are for a request id that is waiting for one.
    const live = await nextEvent();
    const segment = fc.oneof(
      fc.constantFrom('invocation', 'next', 'response', 'error', 'init', '%ZZ', '%', '%00', '..', '', live, '%2F'),
      fc.string({ unit: 'binary-ascii', maxLength: 12 }),
    );
    const path = fc.oneof(
      fc.array(segment, { maxLength: 6 }).map((parts) => `${API}/${parts.join('/')}`),
      fc.tuple(fc.constantFrom('response', 'error'), segment).map(([kind, id]) => `${API}/invocation/${id}/${kind}`),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }),
    );
    const method = fc.oneof(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT'),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }),
    );
    const body = fc.uint8Array({ maxLength: 2048 });

    await fc.assert(
      fc.asyncProperty(method, path, body, async (m, p, b) => {
        // A GET of /invocation/next is a poll: Lambda holds it until an event comes, and so do we.
        fc.pre(!(m === 'GET' && /\/invocation\/next(\?|$)/.test(p)));
        const answer = await rawRequest(endpoint, request(m, p, b), b);
        expect(answer.status).toBeGreaterThanOrEqual(200);
        expect(answer.status).toBeLessThan(600);
        expect(host.exitCode).toBeNull();
      }),
      { numRuns: 300 },
    );
    // The live event is answered now if no random request did; then a whole honest round trip.
    const last = await rawRequest(endpoint, request('POST', `${API}/invocation/${live}/response`), new Uint8Array());
    expect([202, 400]).toContain(last.status);
    await roundTrip();
    expect(host.exitCode).toBeNull();
  });

  it('answers a response over 6 MB with 413 and fails that invocation as Lambda does', async () => {
    const id = await nextEvent();
    outcomes = [];
    const big = new Uint8Array(6_291_556 + 1).fill(0x61);
    const answer = await rawRequest(endpoint, request('POST', `${API}/invocation/${id}/response`, big), big);
    expect(answer.status).toBe(413);
    await expect.poll(() => outcomes, { timeout: 3000 }).toContain('error');
    await roundTrip();
    expect(host.exitCode).toBeNull();
  });
});
