/**
 * `--trigger schedule` as a user meets it: the real bin with --schedule, its refusals (exit 2,
 * one line, nothing written), and the question at a terminal.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TRIGGERS } from '../src/scaffold/catalog.js';
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { CREATE_BIN, listTree, runBin, tempDir, userEnv } from './support/cli.js';
import { KEY, spawnInPty } from './support/pty.js';

const REST = ['--sink', 'dynamodb', '--arch', 'x86_64', '--memory', '256', '--timeout', '20'];

/** Exit 2, one line on stderr naming the flag, and no file anywhere. */
async function expectRefused(args: string[], message: RegExp) {
  const cwd = await tempDir();
  const result = await runBin(CREATE_BIN, args, cwd);
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(await readdir(cwd)).toEqual([]);
}

describe('create-fast-lambda --trigger schedule', () => {
  it('shows the trigger and --schedule, with its default, in --help', async () => {
    const result = await runBin(CREATE_BIN, ['--help'], await tempDir());
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/--trigger <trigger> +api\|.*\bschedule\b/);
    expect(result.stdout).toMatch(/^ {2}--schedule <expr> +with --trigger schedule: /m);
    expect(result.stdout).toContain('(default: rate(5 minutes))');
  });

  it('writes the chosen expression as the ScheduleExpression default, and says so', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['nightly', '--trigger', 'schedule', '--schedule', 'cron(0 3 * * ? *)', ...REST], cwd);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Created nightly in ./nightly: Schedule cron(0 3 * * ? *) → DynamoDB, x86_64, 256 MB, 20 s.');
    expect(result.stdout).toContain('npx lambda-kit invoke --event events/schedule.json');
    const files = await listTree(join(cwd, 'nightly'));
    expect(files).toEqual(expect.arrayContaining(['events/schedule.json', 'src/handler.rs', 'template.yaml']));
    const template = parseCfnYaml(await readFile(join(cwd, 'nightly/template.yaml'), 'utf8')) as any;
    expect(template.Parameters.ScheduleExpression.Default).toBe('cron(0 3 * * ? *)');
    expect(template.Resources.AppFunction.Properties.Events.ScheduledRun.Properties.ScheduleExpression).toEqual({
      Ref: 'ScheduleExpression',
    });
    expect(await readFile(join(cwd, 'nightly/README.md'), 'utf8')).toContain('`cron(0 3 * * ? *)`');
  });

  it('takes rate(5 minutes) with --yes', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['tick', '--trigger', 'schedule', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    const template = parseCfnYaml(await readFile(join(cwd, 'tick/template.yaml'), 'utf8')) as any;
    expect(template.Parameters.ScheduleExpression.Default).toBe('rate(5 minutes)');
  });

  it('refuses an expression Scheduler would refuse, naming what is wrong', async () => {
    await expectRefused(
      ['x', '--trigger', 'schedule', '--schedule', 'cron(0 9 * * * *)', '--yes'],
      /^create-fast-lambda: Invalid --schedule "cron\(0 9 \* \* \* \*\)": cron needs \? in exactly one of day-of-month and day-of-week/,
    );
    await expectRefused(
      ['x', '--trigger', 'schedule', '--schedule', 'rate(1 minutes)', '--yes'],
      /with 1 the unit is singular: rate\(1 minute\)/,
    );
  });

  it('shows control characters in a refused expression as escapes, on one line', async () => {
    await expectRefused(
      ['x', '--trigger', 'schedule', '--schedule', 'rate(5 minutes)\n\x1b[31mok', '--yes'],
      /"rate\(5 minutes\)\\n\\u001b\[31mok": must not hold control characters/,
    );
  });

  it('refuses --schedule with another trigger, or with an example', async () => {
    await expectRefused(
      ['x', '--trigger', 'sqs', '--schedule', 'rate(1 hour)', '--yes'],
      /--schedule applies only to --trigger schedule \(the trigger is sqs\)\./,
    );
    await expectRefused(
      ['x', '--schedule', 'rate(1 hour)', '--yes'],
      /--schedule applies only to --trigger schedule \(the trigger is api\)\./,
    );
    await expectRefused(
      ['x', '--example', 'churn', '--schedule', 'rate(1 hour)', '--yes'],
      /--schedule applies only to --trigger schedule \(the trigger is kinesis\)\./,
    );
  });

  it('without a terminal, names --schedule among the missing answers', async () => {
    await expectRefused(['x', '--trigger', 'schedule', ...REST], /no terminal to ask on, and no answer for --schedule\./);
  });
});

describe('create-fast-lambda --trigger schedule at a terminal', () => {
  it('asks for the expression, re-asks a wrong one with the reason, and writes the right one', async () => {
    const cwd = await tempDir();
    const t = spawnInPty(['node', CREATE_BIN, 'weekly', '--name', 'weekly', '--trigger', 'schedule', ...REST], {
      cwd,
      env: userEnv({ NO_COLOR: '' }),
    });
    await t.waitFor('When does it run?');
    t.type(`cron(0 9 ? * MON-FRY *)${KEY.enter}`);
    await t.waitFor('has "FRY", not a value of 1-7 or SUN-SAT');
    t.type(`${KEY.backspace.repeat(6)}FRI *)${KEY.enter}`);
    await t.waitFor('Next steps');
    expect(await t.exit).toBe(0);
    expect(t.screen()).toContain('Schedule cron(0 9 ? * MON-FRI *) → DynamoDB');
    const template = parseCfnYaml(await readFile(join(cwd, 'weekly/template.yaml'), 'utf8')) as any;
    expect(template.Parameters.ScheduleExpression.Default).toBe('cron(0 9 ? * MON-FRI *)');
  });

  it('offers the schedule in the trigger menu and takes the default expression on Enter', async () => {
    const cwd = await tempDir();
    const t = spawnInPty(['node', CREATE_BIN, 'ticker', '--name', 'ticker', ...REST], { cwd, env: userEnv({ NO_COLOR: '' }) });
    await t.waitFor('What triggers the function?');
    await t.waitFor('Schedule');
    // The menu is the catalog's rows in order.
    t.type(KEY.down.repeat(TRIGGERS.findIndex((row) => row.id === 'schedule')) + KEY.enter);
    await t.waitFor('When does it run?');
    t.type(KEY.enter);
    await t.waitFor('Next steps');
    expect(await t.exit).toBe(0);
    expect(t.screen()).toContain('Schedule rate(5 minutes) → DynamoDB');
  });
});
