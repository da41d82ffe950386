/**
 * The next steps printed after creating a project: lambda-kit's commands, each one accepted as
 * printed, and a `cd` line a POSIX shell reads back as the directory, whatever its name holds.
 */
import { execFileSync } from 'node:child_process';
import { access, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quoteForShell } from '../src/scaffold/quote.js';
import { CREATE_BIN, KIT_BIN, runBin, tempDir } from './support/cli.js';

/** What `sh -c '<line>'` prints to stdout. */
const sh = (line: string, cwd?: string): string => execFileSync('sh', ['-c', line], { cwd, encoding: 'utf8' });

describe('quoteForShell', () => {
  it('leaves a plain path alone and quotes the rest', () => {
    expect(quoteForShell('apps/my-fn')).toBe('apps/my-fn');
    expect(quoteForShell('my fn')).toBe("'my fn'");
    expect(quoteForShell("it's")).toBe("'it'\\''s'");
    expect(quoteForShell('')).toBe("''");
  });

  it('gives a word sh prints back exactly, for any string', () => {
    // No NUL (no argument can hold one) and well-formed UTF-16, which is all a path can be here.
    const text = fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({
          unit: fc.constantFrom("'", '"', '$', '`', '\\', ' ', '\n', '\t', '*', '?', '~', '!', '#', ';', '&', '|', '(', '-', 'a', 'é'),
          maxLength: 30,
        }),
      )
      .filter((s) => !s.includes('\u0000') && !/\p{Surrogate}/u.test(s));
    fc.assert(
      fc.property(text, (s) => {
        expect(sh(`printf %s ${quoteForShell(s)}`)).toBe(s);
      }),
      { numRuns: 150 },
    );
  });
});

describe('create-fast-lambda next steps', () => {
  const stepsOf = (stdout: string) =>
    stdout
      .slice(stdout.indexOf('Next steps:\n') + 'Next steps:\n'.length)
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim().replace(/\s+# .*$/, ''));

  it('lead with lambda-kit, in the order a newcomer needs them', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['orders', '--trigger', 'sqs', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(stepsOf(result.stdout)).toEqual([
      'cd orders',
      'npm install',
      'npx lambda-kit doctor',
      'npx lambda-kit build',
      'npx lambda-kit invoke --event events/sqs.json',
      'npx lambda-kit deploy',
      'npx lambda-kit logs --tail',
    ]);
  });

  it.each([
    ['a plain project', ['svc', '--trigger', 'kinesis', '--yes']],
    ['the churn example with twins', ['churn', '--example', 'churn', '--yes']],
  ])('prints only commands and flags lambda-kit accepts, with an event that exists: %s', async (_label, args) => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, args, cwd);
    expect(result.exitCode).toBe(0);
    const project = join(cwd, args[0]!);
    const kitSteps = stepsOf(result.stdout).filter((step) => step.startsWith('npx lambda-kit '));
    expect(kitSteps.length).toBeGreaterThanOrEqual(5);
    for (const step of kitSteps) {
      const kitArgs = step.split(' ').slice(2);
      // --help after the flags: they are parsed (an unknown one is exit 2) and nothing runs.
      const help = await execa(process.execPath, [KIT_BIN, ...kitArgs, '--help'], { cwd: project, reject: false, stdin: 'ignore' });
      expect(help.exitCode, `${step}: ${help.stderr}`).toBe(0);
      const event = kitArgs[kitArgs.indexOf('--event') + 1];
      if (kitArgs.includes('--event')) await access(join(project, event!));
    }
  });

  it.each([
    ['api → dynamodb', ['--trigger', 'api', '--sink', 'dynamodb']],
    ['kinesis → sqs', ['--trigger', 'kinesis', '--sink', 'sqs']],
    ['s3 → none', ['--trigger', 's3', '--sink', 'none']],
    ['the churn example', ['--example', 'churn']],
    ['the churn example without twins', ['--example', 'churn', '--no-twins']],
  ])("match the generated README's first steps, in the same order (%s)", async (_label, flags) => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['svc', ...flags, '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    const readme = await readFile(join(cwd, 'svc/README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## First steps'));
    const start = section.indexOf('```sh\n') + '```sh\n'.length;
    const block = section.slice(start, section.indexOf('\n```', start));
    const readmeSteps = block.split('\n').map((line) => line.replace(/\s+# .*$/, ''));
    expect(readmeSteps).toEqual(stepsOf(result.stdout).filter((step) => !step.startsWith('cd ')));
  });

  it.each([["it's $HOME `dir`"], ['two  spaces\tand a tab'], ['-starts-with-dash'], ['"quoted" & *']])(
    'prints a cd line the shell takes to the project: %s',
    async (directory) => {
      const cwd = await tempDir();
      const result = await runBin(CREATE_BIN, ['--name', 'svc', '--trigger', 'sqs', '--yes', '--', directory], cwd);
      expect(result.exitCode, result.stderr).toBe(0);
      const cd = stepsOf(result.stdout)[0]!;
      expect(cd).toMatch(/^cd /);
      expect(sh(`${cd} && pwd -P`, cwd).trimEnd()).toBe(await realpath(join(cwd, directory)));
    },
  );
});
