/**
 * readRequestBody, the size-limited body reader the Runtime API emulator and `lambda-kit dev` share,
 * on a real HTTP server on loopback, fed by real sockets: bodies on either side of the limit, in
 * any chunking, with or without a declared length; a body that never ends; a client that leaves
 * mid-body.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRequestBody } from '../src/runtime-api/request-body.js';

const LIMIT = 64;

let server: Server;
let port: number;
/** What readRequestBody gave for each request, in order, and a wait for the next one. */
const results: (Buffer | 'too-large' | 'aborted')[] = [];
let nextResult: ((result: Buffer | 'too-large' | 'aborted') => void) | undefined;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readRequestBody(req, LIMIT);
    results.push(body);
    nextResult?.(body);
    if (body === 'aborted') return;
    res.end(typeof body === 'string' ? body : `bytes:${body.toString('hex')}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Writes `head` (which asks for `Connection: close`), then each chunk; resolves with all the server sent before it closed. */
function send(head: string, chunks: Uint8Array[], timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms; received so far: ${JSON.stringify(received)}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(head);
    for (const chunk of chunks) socket.write(chunk);
  });
}

/** The text a request got back: its body after the head. */
const answerOf = (raw: string) => raw.split('\r\n\r\n').slice(1).join('\r\n\r\n');

/** A body split into pieces at the given cut points. */
function split(body: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (body.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((from, i) => body.subarray(from, [...points, body.length][i])).filter((piece) => piece.length > 0);
}

/** The same pieces in HTTP's chunked encoding, with the closing empty chunk. */
function chunked(pieces: Uint8Array[]): Uint8Array[] {
  return [
    ...pieces.flatMap((piece) => [Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]),
    Buffer.from('0\r\n\r\n'),
  ];
}

describe('readRequestBody', () => {
  it('gives a body up to the limit whole, and refuses a larger one with an answer rather than a reset, however it arrives', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Lengths spread evenly over both sides of the limit (fast-check favours short arrays otherwise).
        fc.integer({ min: 0, max: 2 * LIMIT }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length })),
        fc.array(fc.nat({ max: 2 * LIMIT }), { maxLength: 4 }),
        fc.boolean(),
        async (body, cuts, declared) => {
          const pieces = split(body, cuts);
          const head = declared
            ? `POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`
            : 'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n';
          const raw = await send(head, declared ? pieces : chunked(pieces));
          expect(raw).toMatch(/^HTTP\/1\.1 200 /);
          const expected = body.length > LIMIT ? 'too-large' : `bytes:${Buffer.from(body).toString('hex')}`;
          expect(answerOf(raw)).toContain(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses a body that never ends once it passes the limit', async () => {
    const endless = chunked([new Uint8Array(LIMIT + 1).fill(0x61)]).slice(0, -1);
    const raw = await send('POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n', endless);
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    expect(answerOf(raw)).toContain('too-large');
  });

  it('says aborted when the client leaves mid-body', async () => {
    const result = new Promise<Buffer | 'too-large' | 'aborted'>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server never finished reading; results so far: ${results.join(', ')}`)), 3000);
      nextResult = (body) => {
        clearTimeout(timer);
        resolve(body);
      };
    });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${LIMIT}\r\n\r\nhalf`);
    setTimeout(() => socket.destroy(), 100);
    expect(await result).toBe('aborted');
    nextResult = undefined;
  });
});
