/**
 * A function's output cut into lines (src/text/line-splitter.ts) in linear time, whatever the
 * line lengths, with a runaway line kept to its beginning and a marker: checked by counting the
 * bytes the splitter copies, and for real on a child process that writes 64 MB without a newline
 * (which took about 50 s when each chunk was appended to the line so far).
 */
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFunction } from '../src/runtime-api/local-function.js';
import { LineSplitter, MAX_LINE_BYTES } from '../src/text/line-splitter.js';
import { showableLine } from '../src/text/terminal-text.js';
import { tempDir } from './support/cli.js';

function splitAll(chunks: Buffer[], maxLineBytes?: number): { lines: string[]; splitter: LineSplitter } {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxLineBytes);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return { lines, splitter };
}

describe('LineSplitter', () => {
  it('gives the lines of the whole, however the stream is chunked, multi-byte characters and CRLF included', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '😀', '\n', '\r\n', ' '), maxLength: 60 });
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 10 }), (whole, cuts) => {
        const bytes = Buffer.from(whole, 'utf8');
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, i) => bytes.subarray(start, [...points, bytes.length][i]));
        const expected = whole.split('\n').map((line) => line.replace(/\r$/, ''));
        if (expected.at(-1) === '') expected.pop();
        expect(splitAll(chunks).lines).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the first maxLineBytes of a long line and says how many bytes it cut', () => {
    const { lines } = splitAll([Buffer.from('abcdef'), Buffer.from('ghij\nshort\n')], 4);
    expect(lines).toEqual(['abcd… [6 more bytes not shown]', 'shor… [1 more bytes not shown]']);
  });

  it('copies each byte kept at most once: 64 MB without a newline costs no join at all', () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    for (let i = 0; i < 1024; i++) splitter.push(chunk);
    splitter.push(Buffer.from('\n'));
    // 60 KB is kept from the first chunk alone; the other 1,023 chunks are only counted.
    expect(splitter.copiedBytes).toBe(0);
    expect(lines).toEqual([`${'x'.repeat(MAX_LINE_BYTES)}… [67,047,424 more bytes not shown]`]);
    // Many short chunks per line: each is joined once, when its line ends.
    const small = new LineSplitter(() => {});
    for (let i = 0; i < 10_000; i++) small.push(Buffer.from(i % 100 === 99 ? 'y\n' : 'y'));
    expect(small.copiedBytes).toBe(10_000);
  });
});

describe('a function that writes 64 MB without a newline', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('cfl-lines-');
    const script = join(dir, 'bootstrap');
    await writeFile(script, `#!${process.execPath}\nprocess.stdout.write('z'.repeat(64 * 1024 * 1024), () => process.exit(3));\n`);
    await chmod(script, 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is read in linear time, its line cut with a marker', async () => {
    const local = await LocalFunction.start({
      command: join(dir, 'bootstrap'),
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 60_000,
      initTimeoutMs: 60_000,
    });
    const started = performance.now();
    let result;
    try {
      result = await local.invoke({});
    } finally {
      await local.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    expect(result.outcome).toBe('exited');
    expect(result.logs).toEqual([`${'z'.repeat(MAX_LINE_BYTES)}… [67,047,424 more bytes not shown]`]);
    expect(showableLine(result.logs[0]!)).toBe(result.logs[0]);
    // Linear takes about a second here, quadratic about 50: the bound leaves room for a busy machine.
    expect(seconds).toBeLessThan(20);
  }, 90_000);
});
