/**
 * `lambda-kit bench --remote`, end to end: the real CLI in a churn project made by the real
 * scaffolder. moto serves CloudFormation (a stack named as samconfig.toml names it, whose three
 * functions carry the template's logical ids), and the Lambda API stand-in
 * (test/support/lambda-service.ts) serves the functions the stack names, running the project's
 * own twins: twins/node under our Node runtime client, twins/python under the test venv's Python
 * with our Python runtime client, both sending to the zero-latency SQS responder. The "Rust"
 * function is the Node twin again: no Rust binary is built here, and this is about the CLI's
 * wiring (stack → names → measuring → table and files), not about Rust's figures.
 *
 * Needs dist/ (npm run build) and the Python venv of scripts/python-tools.sh (moto, boto3).
 */
import { rmSync, statSync } from 'node:fs';
import { readFile, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NONCE_VARIABLE } from '../src/bench/churn/remote.js';
import { startSqsResponder, type SqsResponder } from '../src/bench/sqs-responder.js';
import { CREATE_BIN, KIT_BIN, ROOT, runBin, tempDir, userEnv } from './support/cli.js';
import { LambdaService, type ServedFunction } from './support/lambda-service.js';
import { clientConfig, LAMBDA_ROLE, startMoto, type MotoServer } from './support/moto.js';
import { IN_CI, pythonTools } from './support/tools.js';

// The SDK's Node 20 notice is for us, not for the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const tools = pythonTools();
const missing = 'problem' in tools ? `Python tools: ${tools.problem}` : undefined;
if (missing && IN_CI) throw new Error(`the bench --remote CLI tests need moto and boto3 in CI: ${missing}`);
const VENV_BIN = 'bin' in tools ? tools.bin : '';

const NODE_RUNTIME = join(ROOT, 'dist/bench/runtimes/node-runtime.js');
const PYTHON_RUNTIME = join(ROOT, 'dist/bench/runtimes/python_runtime.py');
/** What each built file is built from: a stale dist/ would test yesterday's CLI. */
const BUILT = [
  [join(ROOT, 'dist/cli/commands/bench.js'), join(ROOT, 'src/cli/commands/bench.ts')],
  [join(ROOT, 'dist/bench/churn/remote.js'), join(ROOT, 'src/bench/churn/remote.ts')],
  [NODE_RUNTIME, join(ROOT, 'src/bench/runtimes/node-runtime.ts')],
  [PYTHON_RUNTIME, join(ROOT, 'src/bench/runtimes/python_runtime.py')],
] as const;

/** The names the template gives the functions in a stack called churn. */
const STACK = 'churn';
const NAMES = { rust: 'churn', node: 'churn-node', python: 'churn-python' } as const;
const RECORDS = 20;
const INVOCATIONS = 2;

let root: string;
let project: string;
let moto: MotoServer;
let sqs: SqsResponder;
let service: LambdaService;

/** Each function's variables as deployed (the template's QUEUE_URL, here the responder's). */
const deployedVariables = () => ({ QUEUE_URL: sqs.queueUrl, AWS_ENDPOINT_URL: sqs.endpoint });

/** The stack as CloudFormation would hold it after `sam deploy`: the three functions by logical id. */
function stackTemplate(): string {
  const fn = (name: string, runtime: string, handler: string) => ({
    Type: 'AWS::Lambda::Function',
    Properties: {
      FunctionName: name,
      Runtime: runtime,
      Handler: handler,
      MemorySize: 512,
      Timeout: 30,
      Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
      // moto keeps the code and never runs it: the stand-in runs the project's.
      Code: { ZipFile: 'unused' },
    },
  });
  return JSON.stringify({
    Resources: {
      Role: LAMBDA_ROLE,
      AppFunction: fn(NAMES.rust, 'provided.al2023', 'bootstrap'),
      NodeTwinFunction: fn(NAMES.node, 'nodejs22.x', 'index.handler'),
      PythonTwinFunction: fn(NAMES.python, 'python3.13', 'app.handler'),
    },
  });
}

beforeAll(async () => {
  if (missing) return;
  for (const [built, source] of BUILT) {
    const at = statSync(built, { throwIfNoEntry: false });
    if (!at || at.mtimeMs < statSync(source).mtimeMs) throw new Error(`${built} is missing or stale: run npm run build`);
  }
  root = await tempDir('cfl-bench-remote-');
  await execa(process.execPath, [CREATE_BIN, STACK, '--example', 'churn', '--yes'], { cwd: root, stdin: 'ignore' });
  project = join(root, STACK);
  // As `sam build` packages the Node twin: its dependencies beside it (ESM ignores NODE_PATH).
  await symlink(join(ROOT, 'node_modules'), join(project, 'twins/node/node_modules'), 'dir');

  moto = await startMoto(VENV_BIN);
  const cfn = new CloudFormationClient(clientConfig(moto));
  try {
    await cfn.send(new CreateStackCommand({ StackName: STACK, TemplateBody: stackTemplate(), Capabilities: ['CAPABILITY_IAM'] }));
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: STACK }));
    expect(Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
  } finally {
    cfn.destroy();
  }
  sqs = await startSqsResponder();
}, 120_000);

afterAll(async () => {
  await sqs?.close();
  await moto?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

beforeEach(async () => {
  if (missing) return;
  sqs.takeReceived();
  const node = (runtime: string): ServedFunction => ({
    command: process.execPath,
    args: [NODE_RUNTIME],
    cwd: join(project, 'twins/node'),
    handler: 'index.handler',
    runtime,
    memorySize: 512,
    timeoutMs: 30_000,
    logFormat: 'JSON',
    env: deployedVariables(),
  });
  service = await LambdaService.start({
    // No Rust binary is built here: the Node twin answers for the Rust function's name.
    [NAMES.rust]: node('provided.al2023'),
    [NAMES.node]: node('nodejs22.x'),
    [NAMES.python]: {
      command: join(VENV_BIN, 'python'),
      args: [PYTHON_RUNTIME],
      cwd: join(project, 'twins/python'),
      handler: 'app.handler',
      runtime: 'python3.13',
      memorySize: 512,
      timeoutMs: 30_000,
      logFormat: 'JSON',
      env: deployedVariables(),
    },
  });
  await rm(join(project, 'bench'), { recursive: true, force: true });
});

afterEach(async () => {
  await service?.close();
});

/**
 * `lambda-kit bench` as a person runs it in the project: dummy credentials and a region in the
 * environment, moto for everything but Lambda, the stand-in for Lambda, and no AWS settings of
 * the machine's (no profile, no config files, no endpoints).
 */
function bench(args: string[]) {
  const env = userEnv();
  for (const key of Object.keys(env)) if (key.startsWith('AWS_')) delete env[key];
  return runBin(KIT_BIN, ['bench', ...args], project, {
    ...env,
    ...moto.env,
    AWS_ENDPOINT_URL_LAMBDA: service.endpoint,
    AWS_CONFIG_FILE: join(root, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'no-aws-credentials'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
}

interface Samples {
  samplesMs: number[];
  medianMs: number;
  p95Ms: number;
}

interface Results {
  mode: string;
  records: number;
  runs: number;
  coldRuns: number;
  host: string;
  runtimes: { runtime: string; version: string; cold: Samples; init: Samples; warm: Samples; peakMemoryBytes: number }[];
  goals: unknown[];
}

const readResults = async () => JSON.parse(await readFile(join(project, 'bench/results.json'), 'utf8')) as Results;

describe.skipIf(missing !== undefined)('lambda-kit bench --remote', () => {
  it("finds the stack's three functions, measures each, prints the table, writes results.json and chart.svg, and restores every function", async () => {
    const run = await bench(['--remote', '--records', String(RECORDS), '--invocations', String(INVOCATIONS)]);
    expect(run.exitCode, run.stderr).toBe(0);

    // What was run, on what: the stack (from samconfig.toml) and the region (from AWS_REGION).
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(
      `${RECORDS} records per batch; ${INVOCATIONS} cold starts and ${INVOCATIONS} warm invocations per runtime; stack ${STACK} in us-east-1`,
    );
    expect(lines[1]).toBe('Rust: provided.al2023, Node.js: nodejs22.x, Python: python3.13');
    expect(lines.find((line) => line.includes('init duration'))).toMatch(/^ +cold start +init duration +warm p50 +warm p95 +peak memory$/);
    // A row per runtime; each twin's figures with their ratio to Rust's.
    const rust = lines.find((line) => line.startsWith('Rust '));
    expect(rust).toMatch(/^Rust +\d[\d.]* m?s +\d[\d.]* m?s +\d[\d.]* m?s +\d[\d.]* m?s +\d+\.\d MB$/);
    for (const twin of ['Node.js', 'Python']) {
      const row = lines.find((line) => line.startsWith(`${twin} `));
      expect(row, twin).toBeDefined();
      expect(row!.match(/\(\d+\.\d×\)/g), twin).toHaveLength(5);
    }
    // Goals are for --local: none here.
    expect(run.stdout).not.toMatch(/goal|^[✓✗] /m);
    // Progress on stderr: a line per round per function, then where the files went.
    for (const [runtime, name] of Object.entries(NAMES)) {
      for (let round = 1; round <= INVOCATIONS; round++) {
        expect(run.stderr).toMatch(
          new RegExp(
            `^${runtime} \\(${name}\\): round ${round}/${INVOCATIONS}: cold \\d+\\.\\d\\d ms \\(init \\d+\\.\\d\\d ms\\), warm \\d+\\.\\d\\d ms$`,
            'm',
          ),
        );
      }
    }
    expect(run.stderr).toMatch(/^wrote bench\/results\.json and chart\.svg$/m);

    const results = await readResults();
    expect(results).toMatchObject({
      mode: 'remote',
      records: RECORDS,
      runs: INVOCATIONS,
      coldRuns: INVOCATIONS,
      host: `stack ${STACK} in us-east-1`,
      goals: [],
    });
    expect(results.runtimes.map((r) => [r.runtime, r.version])).toEqual([
      ['rust', 'provided.al2023'],
      ['node', 'nodejs22.x'],
      ['python', 'python3.13'],
    ]);
    for (const r of results.runtimes) {
      expect(r.cold.samplesMs, r.runtime).toHaveLength(INVOCATIONS);
      expect(r.init.samplesMs, r.runtime).toHaveLength(INVOCATIONS);
      expect(r.warm.samplesMs, r.runtime).toHaveLength(INVOCATIONS);
      // A cold start is its init and then the batch.
      for (const [i, cold] of r.cold.samplesMs.entries()) expect(cold, r.runtime).toBeGreaterThan(r.init.samplesMs[i]!);
      expect(r.peakMemoryBytes, r.runtime).toBeGreaterThan(0);
    }
    const svg = await readFile(join(project, 'bench/chart.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<rect x=/g)).toHaveLength(9);

    for (const name of Object.values(NAMES)) {
      const served = service.invocations.filter((i) => i.functionName === name);
      // Each round a forced cold start (an environment carrying a nonce), then a warm invocation.
      expect(
        served.map((i) => i.cold),
        name,
      ).toEqual(Array.from({ length: INVOCATIONS }, () => [true, false]).flat());
      for (const invocation of served) expect(invocation.variables[NONCE_VARIABLE], name).toEqual(expect.any(String));
      // The user's variables are back, with no nonce left behind.
      expect(service.variables(name), name).toEqual(deployedVariables());
      expect(service.variables(name), name).not.toHaveProperty(NONCE_VARIABLE);
    }
    // Every invocation did its work: one message per record.
    expect(sqs.takeReceived()).toHaveLength(RECORDS * 2 * INVOCATIONS * 3);
  }, 120_000);

  it('prints the figures as JSON with --json: what results.json holds', async () => {
    const run = await bench(['--remote', '--records', '5', '--invocations', '1', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as Results;
    expect(printed).toMatchObject({ mode: 'remote', records: 5, runs: 1, coldRuns: 1, host: `stack ${STACK} in us-east-1` });
    expect(printed.runtimes.map((r) => r.runtime)).toEqual(['rust', 'node', 'python']);
    for (const r of printed.runtimes) expect(r.cold.samplesMs, r.runtime).toHaveLength(1);
    expect(printed).toEqual(await readResults());
    for (const name of Object.values(NAMES)) expect(service.variables(name), name).toEqual(deployedVariables());
  }, 60_000);

  it('refuses --invocations 0 with exit 2 and one line, touching nothing', async () => {
    const run = await bench(['--remote', '--invocations', '0']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toBe("lambda-kit: --invocations must be a whole number from 1 to 1000, not '0'.");
    expect(run.stdout).toBe('');
    expect(service.requests).toEqual([]);
  });

  it('says in one line that the stack does not exist, with exit 1, before touching any function', async () => {
    const run = await bench(['--remote', '--stack-name', 'churn-staging', '--invocations', '1']);
    expect(run.exitCode).toBe(1);
    const stderr = run.stderr.trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^lambda-kit: stack churn-staging does not exist in us-east-1\. /);
    expect(run.stdout).toBe('');
    expect(service.requests).toEqual([]);
    await expect(stat(join(project, 'bench/results.json'))).rejects.toThrow();
  });
});
