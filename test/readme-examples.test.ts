/**
 * Every shell example of README.md and of the READMEs create-fast-lambda writes (each trigger,
 * API flavour, auth and sink, and the churn example) is run here as typed, offline: against moto
 * on loopback, with the venv's tools on PATH and an npm whose registry refuses every connection.
 *
 * Each command belongs to a runner below, which runs it and checks what the README says it
 * shows, or to NOT_RUN, a short list of the commands that cannot run here, each with its reason.
 * A command in neither turns this file red: a new example needs a runner.
 */
import { realpathSync } from 'node:fs';
import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTHS } from '../src/scaffold/catalog.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec, type ProjectSpec } from '../src/scaffold/spec.js';
import { builtTriggerProject } from './support/built-project.js';
import { CREATE_BIN, KIT_BIN, ROOT } from './support/cli.js';
import { freePort, LAMBDA_ROLE, startMoto } from './support/moto.js';
import { runShell, scratchInClone, shellUser, type ShellUser } from './support/readme-user.js';
import { andList, shellExamples, withoutComment, type ShellExample } from './support/shell-examples.js';
import { ALL_SPECS } from './support/specs.js';
import { endToEndTools } from './support/tools.js';

const JWT = {
  http: { jwtIssuer: 'https://example.auth0.com/', jwtAudience: 'https://api.example.com' },
  rest: { jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123', jwtAudience: '4ab5cd6ef7gh8ij9kl0mn1op2q' },
} as const;

/** Every README a project can get: each trigger × API × auth × sink (on one architecture: it only changes comments), and churn. */
const GENERATED_SPECS: ProjectSpec[] = [
  ...ALL_SPECS.filter((spec) => spec.arch === 'x86_64').flatMap((spec) =>
    spec.trigger !== 'api'
      ? [spec]
      : AUTHS.map((auth) =>
          resolveSpec({
            name: `${spec.name}-${auth.id}`,
            trigger: 'api',
            api: spec.api,
            sink: spec.sink,
            arch: spec.arch,
            auth: auth.id,
            ...(auth.id === 'jwt' ? JWT[spec.api as 'http' | 'rest'] : {}),
          }),
        ),
  ),
  resolveSpec({ name: 'churn-demo', example: 'churn', arch: 'x86_64' }),
  resolveSpec({ name: 'churn-demo', example: 'churn', arch: 'x86_64', twins: 'false' }),
];

function label(spec: ProjectSpec): string {
  if (spec.example === 'churn') return `generated README (churn${spec.twins ? '' : ', no twins'})`;
  const api = spec.trigger === 'api' ? ` ${spec.api} ${spec.auth}` : '';
  return `generated README (${spec.trigger}${api} → ${spec.sink})`;
}

const README = await readFile(join(ROOT, 'README.md'), 'utf8');
const EXAMPLES: ShellExample[] = [
  ...shellExamples(README, 'README.md'),
  ...GENERATED_SPECS.flatMap((spec) => shellExamples(renderProject(spec).get('README.md')!, label(spec))),
];

// ---------------------------------------------------------------------------------------------
// Who runs what

interface Claim {
  runner: string;
  claims: (example: ShellExample) => boolean;
}

/** A usage line (`[--json]`, `<name>`), or a bare --help: its flags are checked against the command's help. */
const isSynopsis = (command: string) =>
  /^npx (lambda-kit|create-fast-lambda)\b.*[[<]/.test(command) || /^npx lambda-kit --help$/.test(command);
/**
 * The generated README whose local build and invoke lines run here, in the project that
 * test/invoke-recording.test.ts builds too (one debug build for both): the default `--yes` one.
 */
const LOCAL_RUN_SOURCE = 'generated README (api http iam → dynamodb)';
/** README.md's copy of the next steps a default (API) project prints: its invoke runs with the generated README's. */
const isNextStepsInvoke = (e: ShellExample) =>
  e.source === 'README.md' && e.heading === 'create-fast-lambda' && /^npx lambda-kit invoke /.test(e.command);
const isLocalRun = (e: ShellExample) =>
  ((e.source === LOCAL_RUN_SOURCE && /^npx lambda-kit (invoke|build --no-sam --debug)\b/.test(e.command)) || isNextStepsInvoke(e)) &&
  !isSynopsis(e.command);

/**
 * The generated READMEs whose "Try it" lines run here against a stack deployed into moto with the
 * stub sam: one per trigger that has input of its own to feed (an API is called over the internet).
 */
const DEPLOYED_SOURCES = new Map([
  ['generated README (kinesis → sqs)', 'kinesis'],
  ['generated README (s3 → dynamodb)', 's3'],
  ['generated README (sqs → dynamodb)', 'sqs'],
]);
/** `npx lambda-kit build` is sam build: with the stub sam, what lambda-kit does around it (the real one is a release build of minutes). */
const isDeployCommand = (e: ShellExample) =>
  ['npx lambda-kit build', 'npx lambda-kit deploy', 'npx lambda-kit logs --tail'].includes(e.command);
/** A Try-it line that reads the stack's outputs or feeds it, in one of those READMEs; not SQS's send-message (see NOT_RUN). */
const isTryIt = (e: ShellExample) =>
  DEPLOYED_SOURCES.has(e.source) &&
  e.heading === 'Try it' &&
  /^((stream|bucket|queue)=\$\(aws cloudformation describe-stacks\b|aws (kinesis|s3) |printf '%s' )/.test(e.command);

/** README.md's walk through a local invoke against moto: the block that starts moto. */
const MOTO_WALK_BLOCK = EXAMPLES.find((e) => e.source === 'README.md' && e.command.startsWith('moto_server '))?.block;
const inMotoWalk = (e: ShellExample) => e.source === 'README.md' && e.block === MOTO_WALK_BLOCK;

const RUNNERS: Claim[] = [
  { runner: 'synopsis', claims: (e) => isSynopsis(e.command) },
  {
    runner: 'create',
    claims: (e) => /^npx create-fast-lambda /.test(e.command) && !isSynopsis(e.command) && !inMotoWalk(e),
  },
  {
    runner: 'first steps',
    claims: (e) =>
      e.heading !== 'Development' &&
      !inMotoWalk(e) &&
      !(e.source === 'README.md' && e.heading === 'Set up' && e.line < 40) &&
      ['cd my-fn', 'npm install', 'npx lambda-kit doctor'].includes(e.command),
  },
  {
    runner: 'moto walk',
    claims: (e) => inMotoWalk(e) || (e.command === 'npx lambda-kit build --no-sam --debug' && !isLocalRun(e)),
  },
  { runner: 'local invoke', claims: isLocalRun },
  { runner: 'deployed walk', claims: (e) => isDeployCommand(e) || isTryIt(e) },
];

/** What cannot run here, and why. Each entry must still match an example: a stale one is an error. */
/** Generated READMEs of the triggers whose Try it lines the deployed walk does not run yet. */
const NOT_IN_DEPLOYED_WALK = /^generated README \((dynamodb-stream|schedule) →/;

const NOT_RUN: { match: (example: ShellExample) => boolean; why: string }[] = [
  {
    match: (e) =>
      e.source === 'README.md' && (e.heading === 'Development' || (e.heading === 'Set up' && e.line < 40 && /^npm /.test(e.command))),
    why: "this repository's own install, build and suites: this file runs inside `npm test`, and running it again would recurse",
  },
  {
    match: (e) => e.source === 'README.md' && e.heading === 'Function benchmark',
    why: 'release builds of every generated function, minutes each; test/function-report.test.ts checks what they print',
  },
  {
    match: (e) => e.command === 'npm create fast-lambda@latest [dir] -- [options]',
    why: 'needs the package on a registry: test/registry.test.ts runs it against a verdaccio on loopback',
  },
  {
    match: (e) => e.command === 'npx lambda-kit deploy --guided',
    why: "sam's own questions at a terminal; test/deploy-cli.test.ts hands a pseudo-terminal to the stub sam through it",
  },
  {
    match: (e) =>
      !NOT_IN_DEPLOYED_WALK.test(e.source) &&
      (/^(url|stream|bucket|queue)=\$\(aws cloudformation describe-stacks\b/.test(e.command) ||
        (e.heading === 'Try it' && /^(aws (kinesis|s3) |printf '%s' )/.test(e.command))),
    why:
      "the same lines as the default sink's README of the trigger, which run (runner: deployed walk), with another stack name; " +
      'the output keys they name are checked against template.yaml below',
  },
  {
    match: (e) => NOT_IN_DEPLOYED_WALK.test(e.source) && e.heading === 'Try it' && !/^sam /.test(e.command),
    why:
      'not yet run: the deployed walk covers the Kinesis, S3 and SQS triggers, not yet DynamoDB Streams or the schedule; ' +
      'the output keys they name are checked against template.yaml below',
  },
  {
    match: (e) => /^(curl -i -X POST "\$url|aws sqs send-message )/.test(e.command),
    why:
      'calls the deployed API, or the queue (AWS CLI v1 sends SQS calls to AWS whatever AWS_ENDPOINT_URL says), so only AWS ' +
      'could answer; the output keys are checked against template.yaml below, and the runner deployed walk reads the queue URL',
  },
  {
    match: (e) => /^aws s3api list-object-versions\b/.test(e.command),
    why: "empties the deployed bucket for the `sam delete` after it, which needs CloudFormation's SAM transform (moto has none)",
  },
  {
    match: (e) => e.source.includes('(churn') && e.heading === 'Deploy' && /^(printf '%s' |aws )/.test(e.command),
    why: "feeds the deployed churn stack's stream and reads its queue on AWS; the output keys are checked against template.yaml below",
  },
  {
    match: (e) => /^sam (build|deploy|delete|logs)\b/.test(e.command),
    why:
      "the real sam: sam build is a release build of each crate (minutes apiece), and sam deploy, logs and delete need CloudFormation's " +
      'SAM transform, which moto has not; the deployed walk runs lambda-kit build, deploy and logs with the stub sam instead',
  },
  {
    match: (e) => e.command === 'npx lambda-kit bench --remote',
    why: 'measures the deployed functions on Lambda, with no AWS account here; test/bench-remote*.test.ts run it against a local Lambda API stand-in with the real twins',
  },
  {
    match: (e) =>
      e.command === 'cargo test' ||
      /cargo lambda (watch|invoke)\b/.test(e.command) ||
      /^curl -i -X POST http:\/\/localhost:9000\//.test(e.command) ||
      /^(npx )?lambda-kit bench --local\b/.test(e.command),
    why: 'not yet run here: per-trigger builds (test/rust.test.ts runs cargo test, test/invoke-e2e.test.ts invokes each trigger against moto)',
  },
  {
    match: (e) => e.source !== 'README.md' && /^npx lambda-kit invoke\b/.test(e.command),
    why:
      "the same invoke lines as the API → DynamoDB project's, which run (runner: local invoke), for a crate of its own each " +
      '(a debug build of minutes apiece); test/invoke-e2e.test.ts and test/poison-e2e.test.ts run each trigger through lambda-kit invoke',
  },
];

/** The runners that claim it; only when none does, the NOT_RUN entries that match it. */
function ownersOf(example: ShellExample): string[] {
  const runners = RUNNERS.filter((r) => r.claims(example)).map((r) => r.runner);
  return runners.length ? runners : NOT_RUN.filter((n) => n.match(example)).map((n) => `NOT_RUN: ${n.why}`);
}

function claimedBy(runner: string): ShellExample[] {
  return EXAMPLES.filter((e) => RUNNERS.find((r) => r.runner === runner)!.claims(e));
}

const where = (e: ShellExample) => `${e.source}:${e.line} (${e.heading}): ${e.command}`;

describe('reading the examples', () => {
  it('finds the shell blocks of every README, joined and split as a shell reads them', () => {
    expect(EXAMPLES.filter((e) => e.source === 'README.md').length).toBeGreaterThan(40);
    expect(new Set(EXAMPLES.map((e) => e.source)).size).toBe(GENERATED_SPECS.length + 1);
    const joined = EXAMPLES.find((e) => e.command.startsWith('export AWS_ENDPOINT_URL='));
    expect(joined?.command).toMatch(/AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing$/);
    expect(EXAMPLES.some((e) => e.command.includes('#'))).toBe(false);
  });

  it('drops a comment only outside quotes, and splits && only outside quotes', () => {
    const word = fc.stringMatching(/^[a-z0-9=./-]{1,8}$/);
    const quoted = fc.tuple(fc.constantFrom("'", '"'), fc.stringMatching(/^[a-z #&]{0,8}$/)).map(([q, body]) => `${q}${body}${q}`);
    const command = fc.array(fc.oneof(word, quoted), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(' '));
    fc.assert(
      fc.property(command, command, fc.stringMatching(/^[a-z &#]{0,10}$/), (first, second, comment) => {
        expect(withoutComment(`${first}   # ${comment}`)).toBe(first);
        expect(withoutComment(first)).toBe(first);
        expect(andList(`${first} && ${second}`)).toEqual([first, second]);
      }),
    );
  });

  it('reads `$ ` lines of a console block and only those', () => {
    const examples = shellExamples('# T\n```console\n$ echo a \\\n  b   # two words\na b\n```\n', 'x.md');
    expect(examples).toEqual([{ source: 'x.md', heading: 'T', block: 2, line: 3, command: 'echo a b' }]);
  });
});

describe('every example has a runner or a reason', () => {
  it('belongs to exactly one runner or NOT_RUN entry', () => {
    const orphans = EXAMPLES.filter((e) => ownersOf(e).length !== 1).map((e) => `${where(e)} → ${ownersOf(e).join(' | ') || 'nobody'}`);
    expect(orphans).toEqual([]);
  });

  it('has no stale NOT_RUN entry and no idle runner', () => {
    const unclaimed = EXAMPLES.filter((e) => !RUNNERS.some((r) => r.claims(e)));
    for (const entry of NOT_RUN) expect(unclaimed.some(entry.match), entry.why).toBe(true);
    for (const runner of RUNNERS) expect(claimedBy(runner.runner).length, runner.runner).toBeGreaterThan(0);
  });

  it('names output keys the stack really has (OutputKey==… and jq -r .…)', () => {
    for (const spec of GENERATED_SPECS) {
      const files = renderProject(spec);
      const template = files.get('template.yaml')!;
      const outputs = template.slice(template.indexOf('\nOutputs:'));
      const examples = EXAMPLES.filter((e) => e.source === label(spec) || e.source === 'README.md');
      const keys = examples.flatMap((e) => [...e.command.matchAll(/OutputKey=='(\w+)'|jq -r \.(\w+)/g)].map((m) => m[1] ?? m[2]!));
      const own = examples
        .filter((e) => e.source === label(spec))
        .flatMap((e) => [...e.command.matchAll(/OutputKey=='(\w+)'|jq -r \.(\w+)/g)]);
      if (spec.trigger === 'api' && spec.example === 'none') expect(keys, label(spec)).toContain('ApiUrl');
      for (const match of own) expect(outputs, `${label(spec)}: ${match[0]}`).toMatch(new RegExp(`^  ${match[1] ?? match[2]}:`, 'm'));
    }
    // README.md's own (`lambda-kit outputs --json | jq -r .ApiUrl`) are an API stack's.
    const api = renderProject(resolveSpec({ name: 'web', trigger: 'api' })).get('template.yaml')!;
    for (const e of EXAMPLES.filter((x) => x.source === 'README.md')) {
      for (const m of e.command.matchAll(/jq -r \.(\w+)/g))
        expect(api.slice(api.indexOf('\nOutputs:'))).toMatch(new RegExp(`^  ${m[1]}:`, 'm'));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The runners

const { venvBin: VENV_BIN, missing } = endToEndTools('the README examples need moto, sam, cargo-lambda and cargo');

const scratchDirs: string[] = [];
afterAll(async () => {
  for (const dir of scratchDirs) await rm(dir, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await scratchInClone();
  scratchDirs.push(dir);
  return dir;
}

const distinct = (examples: ShellExample[]) => [...new Map(examples.map((e) => [e.command, e])).values()];

describe('runner: synopsis', () => {
  it.each(distinct(claimedBy('synopsis')).map((e) => [where(e), e] as const))(
    '%s: the command and each flag are in its --help',
    async (_w, e) => {
      const [, bin, maybeCommand] = e.command.split(' ');
      const command = maybeCommand && /^[a-z]/.test(maybeCommand) ? maybeCommand : undefined;
      const binPath = bin === 'lambda-kit' ? KIT_BIN : CREATE_BIN;
      const help = await execa('node', [binPath, ...(command ? [command] : []), '--help'], {
        reject: false,
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(help.exitCode, help.stderr).toBe(0);
      if (command) expect(help.stdout).toContain(`lambda-kit ${command}`);
      for (const flag of e.command.match(/--[a-z][a-z-]*/g) ?? []) expect(help.stdout, flag).toMatch(new RegExp(`${flag}\\b`));
    },
  );
});

function user(ctx: { skip: (note?: string) => void }): Promise<ShellUser> {
  if (missing) ctx.skip(missing);
  return shellUser(VENV_BIN);
}

const clone = realpathSync(ROOT);

describe('runner: create', () => {
  it.for(distinct(claimedBy('create')).map((e) => [where(e), e] as const))('%s', { timeout: 60_000 }, async ([, e], ctx) => {
    const shell = await user(ctx);
    const cwd = await scratch();
    const run = await runShell(shell, e.command, cwd);
    expect(run.exitCode, run.all).toBe(0);
    const dir = join(cwd, e.command.split(' ')[2]!);
    expect(run.stdout).toContain(`Created ${e.command.split(' ')[2]} in`);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(manifest.devDependencies['create-fast-lambda']).toBe(`file:${clone}`);
    await expect(readFile(join(dir, 'template.yaml'), 'utf8')).resolves.toContain('AWS::Serverless::Function');
    if (e.command.includes('--example churn'))
      await expect(readFile(join(dir, 'twins/node/index.mjs'), 'utf8')).resolves.toContain('SQSClient');
  });
});

describe('runner: first steps', () => {
  it('runs cd my-fn, npm install and npx lambda-kit doctor in a project made as the README makes it', { timeout: 180_000 }, async (ctx) => {
    const claimed = distinct(claimedBy('first steps')).map((e) => e.command);
    expect(claimed.sort()).toEqual(['cd my-fn', 'npm install', 'npx lambda-kit doctor']);
    const shell = await user(ctx);
    const cwd = await scratch();
    const create = await runShell(shell, 'npx create-fast-lambda my-fn --yes', cwd);
    expect(create.exitCode, create.all).toBe(0);
    // Next steps print these three in this order; each runs where the one before left the reader.
    const cd = await runShell(shell, 'cd my-fn && pwd', cwd);
    expect(cd.exitCode, cd.all).toBe(0);
    const project = cd.stdout.trim();
    expect(project).toBe(join(cwd, 'my-fn'));

    const install = await runShell(shell, 'npm install', project);
    expect(install.exitCode, install.all).toBe(0);
    expect(install.all).not.toMatch(/404|ERR!/);
    // The project approves the clone's `prepare` (allowScripts), so npm 11 has no install-script notice for a newcomer.
    expect(install.all).not.toMatch(/install-scripts|allow-scripts/);
    expect(await realpath(join(project, 'node_modules/create-fast-lambda'))).toBe(clone);

    const doctor = await runShell(shell, 'npx lambda-kit doctor', project);
    // The generated README: doctor says whether Rust, cargo-lambda, zig and sam are ready, with the fix for each.
    for (const tool of ['cargo-lambda', 'zig', 'sam']) expect(doctor.all, doctor.all).toContain(tool);
    expect(doctor.exitCode, doctor.all).toBe(0);
  });
});

describe('runner: moto walk', () => {
  it("runs the lambda-kit invoke section's moto example line by line: the poison message is parked, the others are stored", {
    timeout: 15 * 60_000,
  }, async (ctx) => {
    const lines = EXAMPLES.filter(inMotoWalk);
    const shell = await user(ctx);
    const cwd = await scratch();
    const port = await freePort();
    // The example as written, on a free port instead of 5000 (other suites run moto beside this one).
    const script = lines.map((e) => e.command.replaceAll('5000', String(port)));
    const motoAt = script.findIndex((line) => line.startsWith('moto_server '));
    expect(motoAt).toBeGreaterThan(0);
    // The reader waits for moto to listen before the next line; a bounded wait does it here.
    script.splice(
      motoAt + 1,
      0,
      "moto=$!; trap 'kill $moto' EXIT",
      `i=0; until curl -s -o /dev/null http://127.0.0.1:${port}/moto-api/ || [ $i -ge 100 ]; do i=$((i+1)); sleep 0.3; done`,
    );
    script.push('echo "stored: $(aws dynamodb scan --table-name orders --select COUNT --query Count --output text)"');
    const run = await runShell(shell, `set -e\n${script.join('\n')}`, cwd, 14 * 60_000);
    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).toContain('Invoking AppFunction locally: ');
    expect(run.all).toContain('with events/bad.json');
    expect(run.all).toMatch(/WARN\s+poison message; parking it message_id=8f5a1c0e-/);
    expect(run.all).toContain('"batchItemFailures": []');
    expect(run.all).toContain('all 3 records succeeded');
    expect(run.all).toMatch(/Duration [\d.]+ ms · Memory \d+\/512 MB · Init [\d.]+ ms \(cold start\)/);
    // The parked message, as the README shows it: the raw body, the reason and where it came from.
    const parked = run.all.split('\n').find((line) => line.startsWith('{"payload"'));
    expect(parked, run.all).toBeDefined();
    const body = JSON.parse(parked!) as { payload: string; payloadEncoding: string; reason: string; source: { messageId: string } };
    expect(body).toMatchObject({
      payloadEncoding: 'text',
      reason: 'invalid item: missing field `name`',
      source: { messageId: '8f5a1c0e-3b7d-4e62-9a41-0d6c2b9e7f13' },
    });
    expect(README).toContain(`"payload":${JSON.stringify(body.payload)}`);
    const bad = JSON.parse(await readFile(join(cwd, 'orders/events/bad.json'), 'utf8')) as { Records: unknown[] };
    expect(run.all).toContain(`stored: ${bad.Records.length - 1}`);
  });
});

describe('runner: local invoke', () => {
  it('builds the default project and invokes its sample event with nothing set up, then against moto with --env', {
    timeout: 30 * 60_000,
  }, async (ctx) => {
    const lines = distinct(claimedBy('local invoke'));
    expect(lines.map((e) => e.command).sort()).toEqual([
      'npx lambda-kit build --no-sam --debug',
      'npx lambda-kit invoke --event events/api.json',
      'npx lambda-kit invoke --event events/api.json --env TABLE_NAME=my-table',
    ]);
    const shell = await user(ctx);
    // The project `create-fast-lambda <name> --yes` makes (API → DynamoDB), built once for the suite.
    const dir = await builtTriggerProject('api', 'dynamodb', VENV_BIN);
    const own = shellExamples(await readFile(join(dir, 'README.md'), 'utf8'), 'its README').map((e) => e.command);
    for (const line of lines) expect(own, line.command).toContain(line.command);
    const install = await runShell(shell, 'npm install', dir, 5 * 60_000);
    expect(install.exitCode, install.all).toBe(0);

    const build = await runShell(shell, 'npx lambda-kit build --no-sam --debug', dir, 25 * 60_000);
    expect(build.exitCode, build.all).toBe(0);

    // Nothing set up: no AWS settings at all (shellUser has none), no --env.
    const first = await runShell(shell, 'npx lambda-kit invoke --event events/api.json', dir);
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toMatch(/"statusCode": 201/);
    expect(first.stderr).toContain('the function runs in us-east-1');
    expect(first.stderr).toMatch(/^ {2}recorded, not sent: dynamodb PutItem ResultsTable \{"id":"A-1001",/m);

    // "Run locally": --env TABLE_NAME=my-table, with AWS_ENDPOINT_URL at moto, where the table is.
    const moto = await startMoto(VENV_BIN);
    try {
      const atMoto = { ...shell, env: { ...shell.env, ...moto.env } };
      const table = await runShell(
        atMoto,
        'aws dynamodb create-table --table-name my-table --billing-mode PAY_PER_REQUEST ' +
          '--attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH >/dev/null',
        dir,
      );
      expect(table.exitCode, table.all).toBe(0);
      const run = await runShell(atMoto, 'npx lambda-kit invoke --event events/api.json --env TABLE_NAME=my-table', dir);
      expect(run.exitCode, run.all).toBe(0);
      expect(run.stdout).toMatch(/"statusCode": 201/);
      expect(run.stderr).not.toContain('recorded');
      const stored = await runShell(atMoto, 'aws dynamodb scan --table-name my-table --select COUNT --query Count --output text', dir);
      expect(stored.stdout.trim()).toBe('1');
    } finally {
      await moto.stop();
    }
  });
});

/**
 * What the stub sam deploys into moto for a generated project: its function (inline code moto
 * keeps and never runs) with its log group, and the input the README's Try-it lines name, under
 * the output keys the real template.yaml gives them (checked against it below).
 */
function deployedStack(stackName: string, trigger: string): string {
  const resources: Record<string, unknown> = {
    Role: LAMBDA_ROLE,
    AppFunctionLogGroup: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: `/aws/lambda/${stackName}` } },
    AppFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: stackName,
        Runtime: 'provided.al2023',
        Handler: 'bootstrap',
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Code: { ZipFile: 'unused' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: 'AppFunctionLogGroup' } },
      },
    },
  };
  const outputs: Record<string, unknown> = {};
  if (trigger === 'kinesis') {
    resources.InputStream = { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } };
    outputs.InputStreamName = { Value: { Ref: 'InputStream' } };
  }
  if (trigger === 's3') {
    resources.InputBucket = { Type: 'AWS::S3::Bucket' };
    outputs.InputBucketName = { Value: { Ref: 'InputBucket' } };
  }
  if (trigger === 'sqs') {
    resources.InputQueue = { Type: 'AWS::SQS::Queue' };
    outputs.InputQueueUrl = { Value: { Ref: 'InputQueue' } };
  }
  return JSON.stringify({ Resources: resources, Outputs: outputs });
}

describe('runner: deployed walk', () => {
  it("deploys each trigger's project with the stub sam into moto, runs its Try-it lines, and tails its logs", {
    timeout: 20 * 60_000,
  }, async (ctx) => {
    const claimed = distinct(claimedBy('deployed walk'));
    expect(
      claimed
        .filter(isDeployCommand)
        .map((e) => e.command)
        .sort(),
    ).toEqual(['npx lambda-kit build', 'npx lambda-kit deploy', 'npx lambda-kit logs --tail']);
    const shell = await user(ctx);
    const cwd = await scratch();
    const motoBin = join(cwd, 'moto-bin');
    const stubBin = join(cwd, 'stub-bin');
    await mkdir(motoBin);
    await mkdir(stubBin);
    await writeFile(
      join(motoBin, 'moto_server'),
      `#!/bin/sh\nexec '${join(VENV_BIN, 'python')}' '${join(ROOT, 'test/support/moto-cfn.py')}' "$@"\n`,
      { mode: 0o755 },
    );
    await writeFile(
      join(stubBin, 'sam'),
      `#!${join(VENV_BIN, 'python')}\n${await readFile(join(ROOT, 'test/support/stub-sam.py'), 'utf8')}`,
      { mode: 0o755 },
    );
    const moto = await startMoto(motoBin);
    let installed: string | undefined;
    try {
      for (const [source, trigger] of DEPLOYED_SOURCES) {
        const spec = GENERATED_SPECS.find((candidate) => label(candidate) === source)!;
        const template = join(cwd, `${spec.name}.json`);
        await writeFile(template, deployedStack(spec.name, trigger));
        // The stub sam first on PATH (the venv has the real one), moto's settings as the README's moto example sets them.
        const env = {
          ...shell.env,
          ...moto.env,
          PATH: `${stubBin}:${shell.env.PATH}`,
          STUB_SAM_RECORD: join(cwd, 'sam-calls.jsonl'),
          STUB_TEMPLATE: template,
        };
        const atMoto = { ...shell, env };
        // npm install once (the first-steps runner checks it); the next projects link to its node_modules.
        const install = installed ? `ln -s '${installed}' node_modules` : 'npm install';
        const made = await runShell(
          atMoto,
          `npx create-fast-lambda ${spec.name} --trigger ${trigger} --sink ${spec.sink} --yes && cd ${spec.name} && ${install}`,
          cwd,
          5 * 60_000,
        );
        expect(made.exitCode, made.all).toBe(0);
        const project = join(cwd, spec.name);
        installed ??= join(project, 'node_modules');

        const build = await runShell(atMoto, 'npx lambda-kit build', project, 5 * 60_000);
        expect(build.exitCode, build.all).toBe(0);
        expect(build.all).toContain('.aws-sam/build/AppFunction/bootstrap');

        const deploy = await runShell(atMoto, 'npx lambda-kit deploy', project, 5 * 60_000);
        expect(deploy.exitCode, deploy.all).toBe(0);
        expect(deploy.stderr).toMatch(new RegExp(`^Deployed ${spec.name} in \\d+ s \\(CREATE_COMPLETE\\)$`, 'm'));

        // Try it, line by line in one shell, as the reader pastes the block.
        const lines = EXAMPLES.filter((e) => e.source === source && isTryIt(e)).map((e) => e.command);
        expect(lines.length, source).toBeGreaterThan(0);
        const check = {
          kinesis:
            'aws kinesis describe-stream-summary --stream-name "$stream" --query StreamDescriptionSummary.StreamStatus --output text',
          s3: 'aws s3 ls "s3://$bucket/reports/2026 q1/"',
          sqs: 'echo "queue: $queue"',
        }[trigger]!;
        const tryIt = await runShell(atMoto, `set -e\n${lines.join('\n')}\n${check}`, project);
        expect(tryIt.exitCode, `${source}\n${lines.join('\n')}\n${tryIt.all}`).toBe(0);
        if (trigger === 'kinesis') expect(tryIt.stdout).toMatch(/"ShardId": "shardId-0+"[\s\S]*ACTIVE/);
        if (trigger === 's3') expect(tryIt.stdout).toMatch(/readme\.md$/m);
        if (trigger === 'sqs') expect(tryIt.stdout).toMatch(/^queue: https?:\/\/\S+$/m);

        if (trigger !== 'sqs') continue;
        // logs --tail, with a line in the function's log group: shown, then Ctrl-C ends it (130).
        const logEvents = join(cwd, 'log-events.json');
        await writeFile(
          logEvents,
          JSON.stringify([{ timestamp: Date.now(), message: JSON.stringify({ level: 'INFO', message: 'stored', records: 3 }) }]),
        );
        const put = await runShell(
          atMoto,
          `aws logs create-log-stream --log-group-name /aws/lambda/${spec.name} --log-stream-name s1 && ` +
            `aws logs put-log-events --log-group-name /aws/lambda/${spec.name} --log-stream-name s1 --log-events file://${logEvents} >/dev/null`,
          project,
        );
        expect(put.exitCode, put.all).toBe(0);
        const tail = await runShell(atMoto, 'timeout --preserve-status -s INT 12 npx lambda-kit logs --tail', project, 60_000);
        expect(tail.all).toMatch(/INFO\s+stored/);
        expect(tail.exitCode, tail.all).toBe(130);
      }
    } finally {
      await moto.stop();
    }
  });
});
