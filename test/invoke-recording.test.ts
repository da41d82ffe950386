/**
 * A first local invoke with no stack: `lambda-kit invoke` gives the variables that name the
 * stack's resources local placeholders, answers the function's AWS calls itself and records them.
 *
 * First with a Node runtime standing in for the binary (what the function is given, a call it
 * makes, a function that hangs after one), then with the real generated API → DynamoDB function,
 * built once for the suite (test/support/built-project.ts), run as a newcomer runs it: no AWS
 * settings of any kind in the environment.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { builtTriggerProject } from './support/built-project.js';
import { httpApiEvent, itemJson } from './support/events.js';
import { CARGO_ENV, endToEndTools } from './support/tools.js';

/**
 * A Lambda runtime in Node, standing in for target/debug/orders. It answers with the environment
 * it was given; MODE=call first makes the calls named in CALLS (X-Amz-Target → JSON body) to
 * AWS_ENDPOINT_URL and answers with their statuses; MODE=hang makes them, then never answers.
 */
const FAKE_FUNCTION = `#!/usr/bin/env node
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    await res.text();
    const statuses = [];
    for (const [target, body] of Object.entries(JSON.parse(process.env.CALLS || '{}'))) {
      const call = await fetch(process.env.AWS_ENDPOINT_URL, { method: 'POST', headers: { 'x-amz-target': target }, body: JSON.stringify(body) });
      statuses.push(call.status);
      await call.text();
    }
    if (process.env.MODE === 'hang') return setInterval(() => {}, 1000);
    const names = ['TABLE_NAME', 'DEAD_LETTER_QUEUE_URL', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'];
    const env = Object.fromEntries(names.map((name) => [name, process.env[name] ?? null]));
    await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: JSON.stringify({ env, statuses }) });
  }
})();
`;

/** The environment of someone who has never set anything up for AWS. */
const NO_AWS: NodeJS.ProcessEnv = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith('AWS_'))
    .map((name) => [name, undefined]),
);

let root: string;
let project: string;

beforeAll(async () => {
  root = await tempDir('cfl-recording-');
  await execa(
    process.execPath,
    [CREATE_BIN, 'orders', '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'x86_64', '--timeout', '2', '--yes'],
    { cwd: root, stdin: 'ignore' },
  );
  project = join(root, 'orders');
  const binary = join(project, 'target/debug/orders');
  await mkdir(join(binary, '..'), { recursive: true });
  await writeFile(binary, FAKE_FUNCTION);
  await chmod(binary, 0o755);
  // No profile either: an empty config and credentials file.
  await writeFile(join(root, 'aws-config'), '');
});
afterAll(() => rm(root, { recursive: true, force: true }));

function invoke(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 20_000) {
  const base = userEnv({
    ...NO_AWS,
    AWS_CONFIG_FILE: join(root, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws-config'),
    ...env,
  });
  delete base.CARGO_TARGET_DIR;
  for (const [name, value] of Object.entries(base)) if (value === undefined) delete base[name];
  return execa(process.execPath, [KIT_BIN, 'invoke', ...args], {
    cwd: project,
    env: base,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout,
  });
}

const answerOf = (stdout: string) => JSON.parse(stdout) as { env: Record<string, string | null>; statuses: number[] };

describe('lambda-kit invoke with no stack resources given', () => {
  it('gives each variable that names a stack resource a placeholder, the recorder as endpoint, a region and credentials of no one', async () => {
    const result = await invoke([], { AWS_SESSION_TOKEN: 'a-real-session-token', AWS_PROFILE: 'work' });
    expect(result.exitCode, result.stderr).toBe(0);
    const { env } = answerOf(result.stdout);
    expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env).toMatchObject({
      TABLE_NAME: 'ResultsTable',
      DEAD_LETTER_QUEUE_URL: `${env.AWS_ENDPOINT_URL}/000000000000/InputDeadLetterQueue`,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'LOCALRECORDING',
      // Nothing of the user's goes to the recorder.
      AWS_SESSION_TOKEN: null,
      AWS_PROFILE: null,
    });
    const notes = result.stderr.split('\n');
    expect(notes).toContain('AWS_REGION is not set, nor a region in your AWS profile: the function runs in us-east-1');
    const said = notes.filter((line) => line.includes('recorded here, not sent'));
    expect(said).toEqual([
      'No stack resources given, so TABLE_NAME (ResultsTable) and DEAD_LETTER_QUEUE_URL (InputDeadLetterQueue) are local placeholders, and the ' +
        "function's AWS calls are recorded here, not sent. To call real resources, give each with --env NAME=value, or deploy and use --remote.",
    ]);
    // Said before the run: the answer's lines come after it.
    expect(notes.indexOf(said[0]!)).toBeLessThan(notes.findIndex((line) => line.startsWith('Duration ')));
  });

  it('takes the region from the profile when the environment names none', async () => {
    await writeFile(join(root, 'profile-config'), '[default]\nregion = eu-west-2\n');
    const result = await invoke([], { AWS_CONFIG_FILE: join(root, 'profile-config') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(answerOf(result.stdout).env).toMatchObject({ AWS_REGION: 'eu-west-2', AWS_DEFAULT_REGION: 'eu-west-2' });
    expect(result.stderr).not.toContain('AWS_REGION is not set');
  });

  it('leaves a variable given with --env to the user, and records nothing when every one is given', async () => {
    const one = await invoke(['--env', 'TABLE_NAME=orders'], { AWS_REGION: 'eu-west-1' });
    expect(one.exitCode, one.stderr).toBe(0);
    expect(answerOf(one.stdout).env).toMatchObject({
      TABLE_NAME: 'orders',
      DEAD_LETTER_QUEUE_URL: expect.stringMatching(/\/InputDeadLetterQueue$/),
      AWS_REGION: 'eu-west-1',
    });
    expect(one.stderr).toContain('No stack resources given, so DEAD_LETTER_QUEUE_URL (InputDeadLetterQueue) is a local placeholder');

    const all = await invoke(['--env', 'TABLE_NAME=orders', '--env', 'DEAD_LETTER_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/1/dlq'], {
      AWS_REGION: 'eu-west-1',
    });
    expect(all.exitCode, all.stderr).toBe(0);
    expect(answerOf(all.stdout).env).toMatchObject({ AWS_ENDPOINT_URL: null, AWS_ACCESS_KEY_ID: null });
    expect(all.stderr).not.toContain('recorded');
  });

  it('records nothing when the user has an endpoint of their own (moto): the variables stay theirs to give', async () => {
    const result = await invoke(['--env', 'TABLE_NAME=orders'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(answerOf(result.stdout).env).toMatchObject({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', DEAD_LETTER_QUEUE_URL: null });
    expect(result.stderr).toContain('DEAD_LETTER_QUEUE_URL is !Ref InputDeadLetterQueue in template.yaml: set it with --env');
    expect(result.stderr).not.toContain('recorded');
  });

  it('prints each call after the answer, an unanswered one too, and the function sees the error answer', async () => {
    const calls = {
      'DynamoDB_20120810.PutItem': { TableName: 'ResultsTable', Item: { id: { S: 'A-1' }, note: { S: 'bell \u0007 and \u001b[2J' } } },
      'DynamoDB_20120810.DeleteTable': { TableName: 'ResultsTable' },
    };
    const result = await invoke(['--env', `CALLS=${JSON.stringify(calls)}`]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(answerOf(result.stdout).statuses).toEqual([200, 400]);
    const lines = result.stderr.split('\n');
    const recorded = lines.filter((line) => line.includes(', not sent: '));
    expect(recorded).toEqual([
      '  recorded, not sent: dynamodb PutItem ResultsTable {"id":"A-1","note":"bell \\u0007 and \\u001b[2J"}',
      '  answered with an error, not sent: dynamodb DeleteTable: not answered locally (only PutItem, SendMessage and SendMessageBatch are)',
    ]);
    expect(lines.indexOf(recorded[0]!)).toBeLessThan(lines.findIndex((line) => line.startsWith('Duration ')));
  });

  it('a function that hangs after a call: timed out at its Timeout, the call still shown, nothing left listening', async () => {
    const calls = { 'AmazonSQS.SendMessage': { QueueUrl: 'http://127.0.0.1:1/000000000000/InputDeadLetterQueue', MessageBody: 'parked' } };
    const started = Date.now();
    const result = await invoke(['--env', `CALLS=${JSON.stringify(calls)}`, '--env', 'MODE=hang']);
    // The template's Timeout is 2 s; the run must end soon after, recorder and all.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toContain('  recorded, not sent: sqs SendMessage InputDeadLetterQueue parked');
    expect(lines.at(-1)).toBe("lambda-kit: Task timed out after 2.00 seconds (the function's Timeout in template.yaml)");
  });
});

// ---------------------------------------------------------------------------------------------
// The real generated function

const { venvBin, missing } = endToEndTools('the generated-function tests need cargo and cargo-lambda');

describe.skipIf(missing)('the generated API → DynamoDB function, with nothing set up', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await builtTriggerProject('api', 'dynamodb', venvBin);
  }, 25 * 60_000);

  /** `lambda-kit invoke` in the built project, with the shared target directory and no AWS settings. */
  const kit = (args: string[]) => {
    const env = userEnv({
      ...NO_AWS,
      AWS_CONFIG_FILE: join(root, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws-config'),
      CARGO_TARGET_DIR: CARGO_ENV.CARGO_TARGET_DIR,
    });
    for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
    return runBin(KIT_BIN, ['invoke', ...args], dir, env);
  };

  it('answers the sample event with 201, the PutItem recorded with its item, and no region lookup on EC2', async () => {
    const result = await kit(['--event', 'events/api.json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ statusCode: 201 });
    const sample = JSON.parse(JSON.parse(await readFile(join(dir, 'events/api.json'), 'utf8')).body) as { id: string };
    expect(result.stderr).toMatch(new RegExp(`^  recorded, not sent: dynamodb PutItem ResultsTable \\{"id":"${sample.id}",`, 'm'));
    expect(result.stderr).not.toMatch(/IMDS/);
    expect(result.stderr).not.toContain('answered with an error');
  }, 120_000);

  it('an item over the recorder’s cap: the PutItem is refused, the function answers 503, and the line says why', async () => {
    // 2.5 MB of name: under the 6 MB an API event may carry, over the 2 MiB a request may take here.
    const body = itemJson({ id: 'BIG-1', name: 'x'.repeat(2_500_000), quantity: 1 });
    const event = join(root, 'huge.json');
    await writeFile(event, JSON.stringify(httpApiEvent(body)));
    const result = await kit(['--event', event]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ statusCode: 503 });
    expect(result.stderr).toMatch(
      /^ {2}answered with an error, not sent: a request of more than 2,097,152 bytes: not read, not answered$/m,
    );
  }, 120_000);
});
