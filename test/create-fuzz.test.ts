/**
 * The built create-fast-lambda, spawned with generated hostile command lines: control characters,
 * unicode, huge values, stray and unknown flags. Whatever comes in, it exits 0, 1 or 2; a failure
 * is exactly one stderr line, without a stack trace, and leaves no file behind.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CREATE_BIN, listTree, runBin, tempDir } from './support/cli.js';

/** No NUL: the operating system cannot pass one in an argument at all. */
const hostile = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replaceAll('\u0000', '')), weight: 2 },
  {
    arbitrary: fc.string({
      unit: fc.constantFrom('a', 'b', '-', '=', '\n', '\t', '\u001b', '[', '"', '\\', ' ', 'é', '€', '😀', '\u2028', '\u0085'),
      minLength: 1,
      maxLength: 20,
    }),
    weight: 3,
  },
  { arbitrary: fc.nat({ max: 100_000 }).map((n) => 'y'.repeat(n)), weight: 1 },
);

const VALUES: Record<string, string[]> = {
  '--name': ['fn-a', 'rayon', 'tokio', 'std', 'A', ''],
  '--example': ['churn'],
  '--trigger': ['api', 'sqs', 's3', 'kinesis'],
  '--api': ['http', 'rest'],
  '--auth': ['iam', 'jwt', 'public'],
  '--jwt-issuer': ['https://idp.example.com/', 'HTTPS://idp.example.com/', 'https://idp.example.com/?q'],
  '--jwt-audience': ['web', 'a'.repeat(5000)],
  '--sink': ['dynamodb', 'sqs', 'none'],
  '--arch': ['arm64', 'x86_64'],
  '--memory': ['128', '512', '0'],
  '--timeout': ['10', '29', '900'],
  '--log-retention': ['14', '13'],
};

const flagWithValue = fc
  .tuple(fc.constantFrom(...Object.keys(VALUES)), fc.boolean(), hostile)
  .chain(([flag, valid, junk]) => (valid ? fc.constantFrom(...VALUES[flag]!) : fc.constant(junk)).map((value) => [flag, value]));

const bareFlag = fc.constantFrom(['--yes'], ['--no-twins'], ['--twins'], ['--colour'], ['-q'], ['--name'], ['--']);

/** A directory argument that stays inside the test's own temporary directory. */
const dirArg = hostile.map((s) => s.replaceAll('/', '_')).filter((s) => s !== '.' && s !== '..');

const commandLine = fc
  .tuple(fc.option(dirArg, { nil: undefined }), fc.array(fc.oneof(flagWithValue, bareFlag), { maxLength: 6 }), fc.boolean())
  .map(([dir, flags, yes]) => [...(dir === undefined ? [] : [dir]), ...flags.flat(), ...(yes ? ['--yes'] : [])]);

describe('create-fast-lambda fuzzed with hostile command lines', () => {
  it('exits 0, 1 or 2; fails with one line, no stack trace, no file left', async () => {
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(commandLine, async (args) => {
        const cwd = await tempDir('cfl-fuzz-');
        const result = await runBin(CREATE_BIN, args, cwd);
        const shown = JSON.stringify(args).slice(0, 300);
        expect([0, 1, 2], shown).toContain(result.exitCode);
        expect(result.stderr, shown).not.toMatch(/\n\s+at |unexpected error/);
        if (result.exitCode === 0) {
          const entries = await readdir(cwd);
          expect(entries, shown).toHaveLength(1);
          const files = await listTree(join(cwd, entries[0]!));
          expect(files, shown).toContain('Cargo.toml');
          expect(
            files.filter((file) => file.includes('.lock') || file.endsWith('.tmp')),
            shown,
          ).toEqual([]);
        } else {
          failures++;
          expect(result.stderr.replace(/\n$/, '').split('\n'), shown).toHaveLength(1);
          expect(result.stderr, shown).toMatch(/^create-fast-lambda: /);
          expect(await readdir(cwd), shown).toEqual([]);
        }
      }),
      { numRuns: 40 },
    );
    // The generator must reach the failure paths; a fuzz test that never fails a run tests nothing.
    expect(failures).toBeGreaterThan(5);
  }, 120_000);
});
