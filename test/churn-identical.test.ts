/**
 * The churn example's three functions send the same bytes: the Rust function (a debug build of
 * the rendered crate), the Node.js twin (bundled by esbuild as `sam build` bundles it) and the
 * Python twin, each under the Runtime API emulator, get one hostile-ish batch and each send to a
 * responder of its own. Their message bodies, their batchItemFailures and how often each entry
 * reached SQS must be equal, byte for byte and count for count.
 *
 * The model has thousandth-of-a-picounit standard deviations on the charges (weights as small),
 * so ordinary records score as usual while huge charges overflow the score to ±inf or NaN.
 * Needs cargo, dist/ (npm run build) and the Python venv of scripts/python-tools.sh.
 */
import { cp, mkdir, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWithEsbuild, esbuildOptions } from '../src/bench/churn/node-bundle.js';
import { startSqsResponder, type SqsResponder } from '../src/bench/sqs-responder.js';
import { generateCustomers } from '../src/examples/churn/data.js';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { functionsOf, type LambdaFunction } from '../src/project/project.js';
import { lambdaEnvironment } from '../src/runtime-api/lambda-env.js';
import { LocalFunction, type LocalInvocation } from '../src/runtime-api/local-function.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { writeProject } from '../src/scaffold/write.js';
import { awsEnv } from '../src/tools/moto.js';
import { ROOT, tempDir } from './support/cli.js';
import { kinesisEvent } from './support/events.js';
import { CARGO_ENV, IN_CI, pythonTools, which } from './support/tools.js';

const tools = pythonTools();
const missing = 'problem' in tools ? `Python tools: ${tools.problem}` : !which('cargo') ? 'cargo is not on PATH' : undefined;
if (missing && IN_CI) throw new Error(`the churn identity test needs cargo and the Python venv in CI: ${missing}`);

const NAME = 'churn-identical';
/** A debug build: the dependencies are the ones the Rust tests compile, and f64 is f64 in any profile. */
const BUILD_TIMEOUT = 20 * 60_000;

type Runtime = 'rust' | 'node' | 'python';
const RUNTIMES: Runtime[] = ['rust', 'node', 'python'];

/** The shipped model, with charges that can overflow the score (see the header). */
async function hostileModel(): Promise<string> {
  const model = JSON.parse(await readFile(join(ROOT, 'templates/example/churn/model.json'), 'utf8'));
  for (const term of model.numeric) {
    if (term.feature === 'monthly_charges') Object.assign(term, { std: 1e-300, weight: 1e-302 });
    if (term.feature === 'total_charges') Object.assign(term, { std: 1e-300, weight: -1e-305 });
  }
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** A record's data: JSON text (compact unless written by hand), or raw bytes. */
type Data = string | Buffer;

/** The batch: 30 ordinary customers, then one of each oddity; `valid` says which must be scored. */
function hostileBatch(): { data: Data[]; invalid: number[] } {
  const customers = generateCustomers(30, 11);
  const base = customers[0]!;
  const json = (patch: Record<string, unknown>) => JSON.stringify({ ...base, ...patch });
  /** `base` with one field's value written as raw JSON text. */
  const raw = (field: string, text: string) => json({ [field]: '@RAW@' }).replace('"@RAW@"', text);
  const odd: [Data, 'valid' | 'invalid'][] = [
    [json({ customer_id: 'C-"q" \\ \u0000\u0001\b\f\n\r\t\u007f é € 😀 \u2028 \u2029 </script>' }), 'valid'],
    [raw('tenure_months', '14.0'), 'valid'],
    [json({ support_calls: 4294967295 }), 'valid'],
    [json({ support_calls: 4294967296 }), 'invalid'],
    [raw('monthly_charges', '79.850000000000001421085'), 'valid'],
    [raw('total_charges', '2.2250738585072011e-308'), 'valid'],
    [raw('total_charges', '1117.9000000000000909494701772928237915039062500001'), 'valid'],
    [raw('support_calls', '-0').replace(`"monthly_charges":${base.monthly_charges}`, '"monthly_charges":-0.0'), 'valid'],
    // +inf + -inf: the score is NaN; +inf alone: infinite.
    [json({ monthly_charges: 1e10, total_charges: 1e10 }), 'invalid'],
    [json({ monthly_charges: 1e10 }), 'invalid'],
    // A finite but huge score: probability exactly 1; a very low one: exponent notation; 0.
    [json({ monthly_charges: 1e5 }), 'valid'],
    [json({ tenure_months: 300 }), 'valid'],
    [json({ tenure_months: 600 }), 'valid'],
    [json({ tenure_months: 4_000_000_000 }), 'valid'],
    [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json({}))]), 'invalid'],
    [Buffer.from(json({}), 'utf16le'), 'invalid'],
    [Buffer.from(json({ customer_id: 'C-@' })).map((byte) => (byte === 0x40 ? 0xff : byte)) as Buffer, 'invalid'],
    [json({ customer_id: 'C-@' }).replace('@', '\\ud800'), 'invalid'],
    [json({ note: '@' }).replace('@', '\\udc00'), 'invalid'],
    [json({ customer_id: 'C-@' }).replace('@', '\\ud83d\\ude00'), 'valid'],
    [raw('monthly_charges', 'NaN'), 'invalid'],
    [raw('monthly_charges', '1e400'), 'invalid'],
    [json({ customer_id: 'DUP-1' }).replace('{', '{"customer_id":"DUP-0",'), 'valid'],
    [
      `{\n  "extra": {"nested": [1, {"deep": null}]},\n  "customer_id": "C-\\u00e9",\n ${JSON.stringify(base)
        .slice(1)
        .replace(/"customer_id":"[^"]*",/, '')
        .replace('"monthly_charges":', '"monthly_charges": 1E1, "ignored":')}`,
      'valid',
    ],
    [json({ customer_id: '' }), 'invalid'],
    ['[1, 2]', 'invalid'],
    [json({ support_calls: 1.5 }), 'invalid'],
    [json({ monthly_charges: '79.85' }), 'invalid'],
  ];
  const data: Data[] = [...customers.map((customer) => JSON.stringify(customer)), ...odd.map(([d]) => d)];
  const invalid = odd.flatMap(([, kind], i) => (kind === 'invalid' ? [customers.length + i] : []));
  return { data, invalid };
}

/** How SQS treats the batch: 5 refused twice then taken, 7 refused until given up, 9 the sender's fault, 25's request failing. */
const FLAKY: [string, number][] = [
  ['5', 2],
  ['7', 5],
];
const SENDER_FAULT = ['9'];
const FAILING_REQUEST: [string, 500][] = [['25', 500]];

let root: string;
let fns: Record<Runtime, LambdaFunction>;
const commands = {} as Record<Runtime, { command: string; args: string[]; taskRoot: string }>;

beforeAll(async () => {
  if (missing) return;
  root = await tempDir('cfl-churn-identical-');
  const dir = join(root, NAME);
  const files = renderProject(resolveSpec({ name: NAME, example: 'churn' }));
  const model = await hostileModel();
  for (const path of ['model.json', 'twins/node/model.json', 'twins/python/model.json']) files.set(path, model);
  await writeProject(dir, files);
  const template = parseCfnYaml(files.get('template.yaml')!) as { Resources: Record<string, { Metadata?: { BuildProperties?: unknown } }> };
  const byId = Object.fromEntries(functionsOf(template, dir).map((fn) => [fn.logicalId, fn]));
  fns = { rust: byId.AppFunction!, node: byId.NodeTwinFunction!, python: byId.PythonTwinFunction! };

  await execa('cargo', ['build', '--quiet'], { cwd: dir, env: { ...process.env, ...CARGO_ENV }, stdin: 'ignore' });
  commands.rust = { command: join(CARGO_ENV.CARGO_TARGET_DIR, 'debug', NAME), args: [], taskRoot: dir };

  // The twin as sam build bundles it: its folder with the SDK beside it, then esbuild.
  const stage = join(root, 'node-stage');
  await mkdir(stage);
  await cp(fns.node.codeDir, stage, { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  const bundle = join(root, 'node-bundle');
  await bundleWithEsbuild(
    esbuildOptions('NodeTwinFunction', template.Resources.NodeTwinFunction!.Metadata?.BuildProperties, stage, bundle),
  );
  commands.node = { command: process.execPath, args: [join(ROOT, 'dist/bench/runtimes/node-runtime.js')], taskRoot: bundle };

  const venvBin = 'bin' in tools ? tools.bin : '';
  commands.python = {
    command: join(venvBin, 'python'),
    args: [join(ROOT, 'src/bench/runtimes/python_runtime.py')],
    taskRoot: fns.python.codeDir,
  };
}, BUILD_TIMEOUT);

const responders: SqsResponder[] = [];
const running: LocalFunction[] = [];
afterAll(async () => {
  await Promise.all(running.map((fn) => fn.stop()));
  await Promise.all(responders.map((r) => r.close()));
  if (root) await rm(root, { recursive: true, force: true });
});

interface Outcome {
  failures: string[];
  bodies: Map<string, string>;
  arrivals: Map<string, number>;
}

async function runOnce(runtime: Runtime, event: unknown): Promise<Outcome> {
  const sqs = await startSqsResponder({ failIds: SENDER_FAULT, flakyIds: FLAKY, failRequests: FAILING_REQUEST });
  responders.push(sqs);
  const { command, args, taskRoot } = commands[runtime];
  const caller = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...awsEnv(sqs.endpoint), QUEUE_URL: sqs.queueUrl };
  const { env } = lambdaEnvironment({ fn: fns[runtime], functionName: `${NAME}-${runtime}`, taskRoot, caller });
  const fn = await LocalFunction.start({ command, args, cwd: taskRoot, env: { ...env, PYTHONDONTWRITEBYTECODE: '1' }, timeoutMs: 30_000 });
  running.push(fn);
  const result: LocalInvocation = await fn.invoke(event);
  if (result.outcome !== 'response') throw new Error(`${runtime}: ${JSON.stringify({ ...result, logs: result.logs.slice(-5) })}`);
  const answer = JSON.parse(result.payload.toString('utf8')) as { batchItemFailures: { itemIdentifier: string }[] };
  return {
    failures: answer.batchItemFailures.map((failure) => failure.itemIdentifier),
    bodies: new Map(sqs.received().map((message) => [message.id, message.body])),
    arrivals: sqs.arrivals(),
  };
}

describe.skipIf(missing !== undefined)('the churn functions on one hostile batch', () => {
  it('send byte-identical messages, fail the same records and retry the same entries, in Rust, Node.js and Python', {
    timeout: 120_000,
  }, async () => {
    const { data, invalid } = hostileBatch();
    const event = kinesisEvent(
      'InputStream',
      data.map((d) => (typeof d === 'string' ? d : '')),
    );
    event.Records.forEach((record, i) => {
      const d = data[i]!;
      if (typeof d !== 'string') record.kinesis.data = d.toString('base64');
    });
    const sequenceNumbers = event.Records.map((record) => record.kinesis.sequenceNumber);

    const outcomes = {} as Record<Runtime, Outcome>;
    for (const runtime of RUNTIMES) outcomes[runtime] = await runOnce(runtime, event);

    // Rust's answer is as designed: the odd records, 7 (given up), 9 (refused), 25's chunk.
    const rust = outcomes.rust;
    const failed = rust.failures.map((sequenceNumber) => sequenceNumbers.indexOf(sequenceNumber));
    // Chunks are of ten consecutive valid records.
    const valid = data.map((_, i) => i).filter((i) => !invalid.includes(i));
    const chunkOf25 = valid.slice(Math.floor(valid.indexOf(25) / 10) * 10).slice(0, 10);
    expect(failed).toEqual([...new Set([...invalid, 7, 9, ...chunkOf25])].sort((a, b) => a - b));
    for (const index of chunkOf25) expect(rust.arrivals.get(String(index)), `entry ${index}`).toBe(3);
    expect(rust.arrivals.get('5')).toBe(3);
    expect(rust.bodies.has('5')).toBe(true);
    expect(rust.arrivals.get('7')).toBe(3);
    expect(rust.arrivals.get('9')).toBe(1);
    expect(rust.bodies.size).toBe(data.length - failed.length);
    // The probabilities take each of JavaScript's layouts: plain, exponent, 1 and 0.
    const probabilities = [...rust.bodies.values()].map((body) => /"probability":([^,]+),/.exec(body)![1]!);
    expect(probabilities).toEqual(
      expect.arrayContaining(['1', '0', expect.stringMatching(/^\d\.\d+e-\d+$/), expect.stringMatching(/^0\.\d+$/)]),
    );
    expect(probabilities.every((p) => p !== 'null' && !p.endsWith('.0'))).toBe(true);

    for (const twin of ['node', 'python'] as const) {
      const outcome = outcomes[twin];
      expect(outcome.failures, `${twin}: batchItemFailures`).toEqual(rust.failures);
      expect([...outcome.bodies.keys()].sort(), `${twin}: the ids sent`).toEqual([...rust.bodies.keys()].sort());
      for (const [id, body] of rust.bodies) {
        expect(
          Buffer.from(outcome.bodies.get(id)!).equals(Buffer.from(body)),
          `${twin}: message ${id}\n  ${outcome.bodies.get(id)}\n  ${body}`,
        ).toBe(true);
      }
      expect(Object.fromEntries(outcome.arrivals), `${twin}: arrivals per entry`).toEqual(Object.fromEntries(rust.arrivals));
    }
  });
});
