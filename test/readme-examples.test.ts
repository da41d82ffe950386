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
import { readFile, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTHS } from '../src/scaffold/catalog.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec, type ProjectSpec } from '../src/scaffold/spec.js';
import { freePort } from '../src/tools/moto.js';
import { CREATE_BIN, KIT_BIN, ROOT } from './support/cli.js';
import { runShell, scratchInClone, shellUser, type ShellUser } from './support/readme-user.js';
import { andList, shellExamples, withoutComment, type ShellExample } from './support/shell-examples.js';
import { ALL_SPECS } from './support/specs.js';
import { IN_CI, pythonTools, which } from './support/tools.js';

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
const isSynopsis = (command: string) => /^npx (lambda-kit|create-fast-lambda)\b.*[[<]/.test(command) || /^npx lambda-kit --help$/.test(command);
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
    claims: (e) => inMotoWalk(e) || e.command === 'npx lambda-kit build --no-sam --debug',
  },
];

/** What cannot run here, and why. Each entry must still match an example: a stale one is an error. */
const NOT_RUN: { match: (example: ShellExample) => boolean; why: string }[] = [
  {
    match: (e) => e.source === 'README.md' && (e.heading === 'Development' || (e.heading === 'Set up' && e.line < 40 && /^npm /.test(e.command))),
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
    match: (e) => /^(npx )?lambda-kit (deploy|logs|outputs|delete)\b/.test(e.command) && !isSynopsis(e.command),
    why: 'not yet run here: needs the project deployed (stub-sam.py into moto-cfn.py, as test/deploy-cli.test.ts and logs-e2e do)',
  },
  {
    match: (e) => /^(url|stream|bucket|queue)=\$\(aws cloudformation describe-stacks\b/.test(e.command) || /^(curl -i -X POST "\$url|aws (kinesis|sqs|s3|s3api|scheduler|lambda) )/.test(e.command),
    why: 'not yet run here: reads and feeds a deployed stack; the output keys they name are checked against template.yaml below',
  },
  {
    match: (e) => /^sam (build|deploy|delete|logs)\b/.test(e.command) || e.command === 'npx lambda-kit build' || e.command === 'lambda-kit bench --remote',
    why: 'not yet run here: sam build is a release build of each crate, and sam deploy, logs and delete need a deployed stack',
  },
  {
    match: (e) =>
      e.command === 'cargo test' ||
      /cargo lambda (watch|invoke)\b/.test(e.command) ||
      /^curl -i -X POST http:\/\/localhost:9000\//.test(e.command) ||
      /^(npx )?lambda-kit (invoke|bench --local)\b/.test(e.command),
    why: 'not yet run here: per-trigger builds (test/rust.test.ts runs cargo test, test/invoke-e2e.test.ts invokes each trigger against moto)',
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
    const word = fc.stringMatching(/^[a-z0-9=.\/-]{1,8}$/);
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
      const own = examples.filter((e) => e.source === label(spec)).flatMap((e) => [...e.command.matchAll(/OutputKey=='(\w+)'|jq -r \.(\w+)/g)]);
      if (spec.trigger === 'api' && spec.example === 'none') expect(keys, label(spec)).toContain('ApiUrl');
      for (const match of own) expect(outputs, `${label(spec)}: ${match[0]}`).toMatch(new RegExp(`^  ${match[1] ?? match[2]}:`, 'm'));
    }
    // README.md's own (`lambda-kit outputs --json | jq -r .ApiUrl`) are an API stack's.
    const api = renderProject(resolveSpec({ name: 'web', trigger: 'api' })).get('template.yaml')!;
    for (const e of EXAMPLES.filter((x) => x.source === 'README.md')) {
      for (const m of e.command.matchAll(/jq -r \.(\w+)/g)) expect(api.slice(api.indexOf('\nOutputs:'))).toMatch(new RegExp(`^  ${m[1]}:`, 'm'));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The runners

const tools = pythonTools();
const missing = 'problem' in tools ? `Python tools: ${tools.problem}` : !which('cargo') ? 'cargo is not on PATH' : undefined;
if (missing && IN_CI) throw new Error(`the README examples need moto, sam, cargo-lambda and cargo in CI: ${missing}`);
const VENV_BIN = 'bin' in tools ? tools.bin : '';

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
  it.each(distinct(claimedBy('synopsis')).map((e) => [where(e), e] as const))('%s: the command and each flag are in its --help', async (_w, e) => {
    const [, bin, maybeCommand] = e.command.split(' ');
    const command = maybeCommand && /^[a-z]/.test(maybeCommand) ? maybeCommand : undefined;
    const binPath = bin === 'lambda-kit' ? KIT_BIN : CREATE_BIN;
    const help = await execa('node', [binPath, ...(command ? [command] : []), '--help'], { reject: false, env: { ...process.env, NO_COLOR: '1' } });
    expect(help.exitCode, help.stderr).toBe(0);
    if (command) expect(help.stdout).toContain(`lambda-kit ${command}`);
    for (const flag of e.command.match(/--[a-z][a-z-]*/g) ?? []) expect(help.stdout, flag).toMatch(new RegExp(`${flag}\\b`));
  });
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
    if (e.command.includes('--example churn')) await expect(readFile(join(dir, 'twins/node/index.mjs'), 'utf8')).resolves.toContain('SQSClient');
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
    expect(await realpath(join(project, 'node_modules/create-fast-lambda'))).toBe(clone);

    const doctor = await runShell(shell, 'npx lambda-kit doctor', project);
    // The generated README: doctor says whether Rust, cargo-lambda, zig and sam are ready, with the fix for each.
    for (const tool of ['cargo-lambda', 'zig', 'sam']) expect(doctor.all, doctor.all).toContain(tool);
    expect(doctor.exitCode, doctor.all).toBe(0);
  });
});

describe('runner: moto walk', () => {
  it("runs the lambda-kit invoke section's moto example line by line: the poison message is parked, the others are stored", { timeout: 15 * 60_000 }, async (ctx) => {
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
    expect(body).toMatchObject({ payloadEncoding: 'text', reason: 'invalid item: missing field `name`', source: { messageId: '8f5a1c0e-3b7d-4e62-9a41-0d6c2b9e7f13' } });
    expect(README).toContain(`"payload":${JSON.stringify(body.payload)}`);
    const bad = JSON.parse(await readFile(join(cwd, 'orders/events/bad.json'), 'utf8')) as { Records: unknown[] };
    expect(run.all).toContain(`stored: ${bad.Records.length - 1}`);
  });
});
