/**
 * `lambda-kit bench --remote`'s measuring (src/bench/churn/remote.ts) against a Lambda API
 * stand-in that runs real functions here (test/support/lambda-service.ts): the churn example's
 * Node twin, run by our Node runtime client and sending to the zero-latency SQS responder, and a
 * small function with a slow init. The SDK reaches the stand-in through AWS_ENDPOINT_URL_LAMBDA;
 * AWS_ENDPOINT_URL points nowhere, so nothing else could have answered.
 *
 * Needs dist/ (npm run build) for the Node runtime client.
 */
import { statSync } from 'node:fs';
import { cp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { invokeRemote } from '../src/aws/remote-invoke.js';
import { benchBatch, type RuntimeFigures } from '../src/bench/churn/figures.js';
import { measureRemote, NONCE_VARIABLE, type RemoteBenchOptions } from '../src/bench/churn/remote.js';
import { startSqsResponder, type SqsResponder } from '../src/bench/sqs-responder.js';
import { freePort } from '../src/tools/moto.js';
import { ROOT, tempDir } from './support/cli.js';
import { LambdaService, type ServedInvocation } from './support/lambda-service.js';

const NODE_RUNTIME = join(ROOT, 'dist/bench/runtimes/node-runtime.js');
const TWIN = join(ROOT, 'templates/example/churn/twins/node');
const MODEL_FILE = join(ROOT, 'templates/example/churn/model.json');
const MB = 1_048_576;

/** A function with an init worth measuring: 300 ms of it, and 40 MB held. It counts its calls
 * in a file (each cold start is a new process) and fails on call FAIL_AT when that is set. */
const SLOW_INIT = `
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

await new Promise((resolve) => setTimeout(resolve, 300));
const ballast = Buffer.alloc(40 * 1024 * 1024, 1);
const counter = join(process.env.LAMBDA_TASK_ROOT, 'calls');

export const handler = async (event) => {
  let calls = 1;
  try { calls += Number(readFileSync(counter, 'utf8')); } catch {}
  writeFileSync(counter, String(calls));
  if (String(calls) === process.env.FAIL_AT) throw new Error('boom on call ' + calls + '\\nat the second line');
  console.log('handled ' + event.Records.length + ' records, call ' + calls + ', ballast ' + ballast.length);
  return { batchItemFailures: [] };
};
`;

const TWIN_NAME = 'churn-node';
const SLOW_NAME = 'churn';
const { event } = benchBatch(25);
const RECORDS = event.Records as { kinesis: { sequenceNumber: string } }[];

let twinDir: string;
let slowDir: string;
let sqs: SqsResponder;
let service: LambdaService;
const savedEnv = { ...process.env };

/** The variables each function was deployed with: the user's, which the bench must keep. */
const twinVariables = () => ({ QUEUE_URL: sqs.queueUrl, AWS_ENDPOINT_URL: sqs.endpoint, TEAM: 'data science' });
const slowVariables = { TEAM: 'platform', EMPTY: '' };

beforeAll(async () => {
  const built = statSync(NODE_RUNTIME, { throwIfNoEntry: false });
  if (!built || built.mtimeMs < statSync(join(ROOT, 'src/bench/runtimes/node-runtime.ts')).mtimeMs) {
    throw new Error(`${NODE_RUNTIME} is missing or stale: run npm run build`);
  }
  // The twin as `sam build` packages it: its code, the model beside it, its dependencies.
  twinDir = await tempDir('cfl-remote-twin-');
  await cp(TWIN, twinDir, { recursive: true });
  await writeFile(join(twinDir, 'model.json'), await readFile(MODEL_FILE));
  // ESM ignores NODE_PATH: the SDK must be found from the function's own node_modules.
  await symlink(join(ROOT, 'node_modules'), join(twinDir, 'node_modules'), 'dir');
  slowDir = await tempDir('cfl-remote-slow-');
  await writeFile(join(slowDir, 'index.mjs'), SLOW_INIT);
  sqs = await startSqsResponder();

  // No profile or endpoint of the machine's may take part.
  delete process.env.AWS_PROFILE;
  process.env.AWS_CONFIG_FILE = join(slowDir, 'no-aws-config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(slowDir, 'no-aws-credentials');
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${await freePort()}`;
});

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  await sqs?.close();
  await Promise.all([twinDir, slowDir].map((dir) => dir && rm(dir, { recursive: true, force: true })));
});

beforeEach(async () => {
  await rm(join(slowDir, 'calls'), { force: true });
  sqs.takeReceived();
  sqs.failIds.clear();
  service = await LambdaService.start({
    [TWIN_NAME]: {
      command: process.execPath,
      args: [NODE_RUNTIME],
      cwd: twinDir,
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      memorySize: 512,
      timeoutMs: 20_000,
      // As the example's template deploys it.
      logFormat: 'JSON',
      env: twinVariables(),
    },
    [SLOW_NAME]: {
      command: process.execPath,
      args: [NODE_RUNTIME],
      cwd: slowDir,
      handler: 'index.handler',
      runtime: 'provided.al2023',
      memorySize: 256,
      timeoutMs: 10_000,
      env: slowVariables,
    },
  });
  Object.assign(process.env, service.env);
});

afterEach(async () => {
  await service.close();
});

function bench(options: Partial<RemoteBenchOptions> & { progress?: string[] } = {}): Promise<RuntimeFigures[]> {
  const progress = options.progress ?? [];
  return measureRemote({
    functions: [
      { runtime: 'node', functionName: TWIN_NAME },
      { runtime: 'rust', functionName: SLOW_NAME },
    ],
    event,
    invocations: 3,
    aws: { region: 'us-east-1' },
    onProgress: (line) => progress.push(line),
    ...options,
  });
}

const served = (name: string): ServedInvocation[] => service.invocations.filter((i) => i.functionName === name);
const updates = (name: string) => service.updates.filter((u) => u.functionName === name).map((u) => u.variables);

describe('measureRemote', () => {
  it("forces a cold start each round, reads the figures from the REPORT lines, and leaves the user's variables as they were", async () => {
    const progress: string[] = [];
    const figures = await bench({ progress });

    expect(figures.map((f) => [f.runtime, f.version])).toEqual([
      ['node', 'nodejs22.x'],
      ['rust', 'provided.al2023'],
    ]);
    for (const [figure, name] of [
      [figures[0]!, TWIN_NAME],
      [figures[1]!, SLOW_NAME],
    ] as const) {
      const calls = served(name);
      // Each round: a fresh environment (a new process) with an Init Duration, then the same one warm.
      expect(calls.map((c) => c.cold)).toEqual([true, false, true, false, true, false]);
      const colds = calls.filter((c) => c.cold);
      const warms = calls.filter((c) => !c.cold);
      expect(new Set(colds.map((c) => c.pid)).size).toBe(3);
      for (const [i, warm] of warms.entries()) expect(warm.pid).toBe(colds[i]!.pid);
      for (const c of colds) expect(c.initDurationMs).toBeGreaterThan(0);
      for (const c of warms) expect(c.initDurationMs).toBeUndefined();

      // The figures are the REPORTs' (text has two decimals, JSON three).
      expect(figure.cold.samplesMs).toHaveLength(3);
      expect(figure.init.samplesMs).toHaveLength(3);
      expect(figure.warm.samplesMs).toHaveLength(3);
      for (const [i, ms] of figure.cold.samplesMs.entries()) expect(ms).toBeCloseTo(colds[i]!.initDurationMs! + colds[i]!.durationMs, 1);
      for (const [i, ms] of figure.init.samplesMs.entries()) expect(ms).toBeCloseTo(colds[i]!.initDurationMs!, 1);
      for (const [i, ms] of figure.warm.samplesMs.entries()) expect(ms).toBeCloseTo(warms[i]!.durationMs, 1);
      expect(figure.peakMemoryBytes).toBe(Math.max(...calls.map((c) => c.maxMemoryUsedMb)) * MB);
      expect(figure.peakMemoryBytes).toBeGreaterThan(0);

      // Every update kept the user's variables and added a fresh nonce; the last one restored them.
      const original = name === TWIN_NAME ? twinVariables() : slowVariables;
      const sent = updates(name);
      expect(sent).toHaveLength(4);
      const nonces = sent.slice(0, 3).map((variables) => {
        const { [NONCE_VARIABLE]: nonce, ...rest } = variables;
        expect(rest).toEqual(original);
        return nonce;
      });
      expect(new Set(nonces).size).toBe(3);
      expect(colds.map((c) => c.variables[NONCE_VARIABLE])).toEqual(nonces);
      expect(sent[3]).toEqual(original);
      expect(service.variables(name)).toEqual(original);
    }

    const slow = figures[1]!;
    expect(Math.min(...slow.init.samplesMs)).toBeGreaterThanOrEqual(300);
    expect(slow.cold.medianMs).toBeGreaterThan(slow.warm.medianMs + 250);
    expect(slow.peakMemoryBytes).toBeGreaterThanOrEqual(40 * MB);

    // The twin did its work each time: 25 messages per invocation.
    expect(sqs.takeReceived()).toHaveLength(25 * 6);
    expect(progress.filter((line) => line.startsWith(`node (${TWIN_NAME}): round `))).toHaveLength(3);
    expect(progress).toContainEqual(
      expect.stringMatching(/^rust \(churn\): round 3\/3: cold \d+\.\d\d ms \(init \d+\.\d\d ms\), warm \d+\.\d\d ms$/),
    );
  }, 60_000);

  it('drops a nonce a killed run left behind, with the restore', async () => {
    await service.close();
    service = await LambdaService.start({
      [SLOW_NAME]: {
        command: process.execPath,
        args: [NODE_RUNTIME],
        cwd: slowDir,
        handler: 'index.handler',
        env: { ...slowVariables, [NONCE_VARIABLE]: 'stale' },
      },
    });
    Object.assign(process.env, service.env);
    await bench({ functions: [{ runtime: 'rust', functionName: SLOW_NAME }], invocations: 1 });
    expect(service.variables(SLOW_NAME)).toEqual(slowVariables);
  });

  it('stops at a function error with one line naming the function, and restores the variables', async () => {
    await service.close();
    const env = { ...slowVariables, FAIL_AT: '3' };
    service = await LambdaService.start({
      [SLOW_NAME]: { command: process.execPath, args: [NODE_RUNTIME], cwd: slowDir, handler: 'index.handler', env },
    });
    Object.assign(process.env, service.env);

    const failure = bench({ functions: [{ runtime: 'rust', functionName: SLOW_NAME }] });
    // The third call is the second round's cold start.
    await expect(failure).rejects.toMatchObject({
      name: 'UserError',
      message: 'rust function churn failed (Unhandled): Error: boom on call 3',
    });
    expect(served(SLOW_NAME).map((c) => c.functionError)).toEqual([undefined, undefined, 'Unhandled']);
    expect(updates(SLOW_NAME)).toHaveLength(3);
    expect(service.variables(SLOW_NAME)).toEqual(env);
  }, 30_000);

  it('stops at a record the function reports failed, naming it, and restores the variables', async () => {
    sqs.failIds.add('3');
    await expect(bench()).rejects.toMatchObject({
      name: 'UserError',
      message: `node function churn-node reported 1 failed record (first: {"itemIdentifier":"${RECORDS[3]!.kinesis.sequenceNumber}"})`,
    });
    expect(served(TWIN_NAME)).toHaveLength(1);
    // The other function was never touched.
    expect(served(SLOW_NAME)).toHaveLength(0);
    expect(updates(SLOW_NAME)).toHaveLength(0);
    expect(service.variables(TWIN_NAME)).toEqual(twinVariables());
  }, 30_000);

  it('says which function does not exist before changing any', async () => {
    const failure = bench({
      functions: [
        { runtime: 'rust', functionName: SLOW_NAME },
        { runtime: 'python', functionName: 'churn-python' },
      ],
    });
    await expect(failure).rejects.toMatchObject({ name: 'UserError', message: 'function churn-python does not exist in us-east-1' });
    expect(service.updates).toEqual([]);
    expect(service.invocations).toEqual([]);
  });

  it('skips a sample whose REPORT line the log tail lacks, and says so', async () => {
    // Calls 1 and 4: the first round's cold invocation, the second round's warm one.
    service.cutReport = (name, call) => name === SLOW_NAME && (call === 1 || call === 4);
    const progress: string[] = [];
    const [figure] = await bench({ functions: [{ runtime: 'rust', functionName: SLOW_NAME }], invocations: 2, progress });
    expect(figure!.cold.samplesMs).toHaveLength(1);
    expect(figure!.init.samplesMs).toHaveLength(1);
    expect(figure!.warm.samplesMs).toHaveLength(1);
    expect(figure!.cold.samplesMs[0]).toBeCloseTo(served(SLOW_NAME)[2]!.initDurationMs! + served(SLOW_NAME)[2]!.durationMs, 1);
    expect(progress).toEqual([
      expect.stringMatching(/^rust \(churn\): round 1\/2: no REPORT line in the cold invocation's log tail: sample skipped, warm /),
      expect.stringMatching(/^rust \(churn\): round 2\/2: cold .*, no REPORT line in the warm invocation's log tail: sample skipped$/),
    ]);
  }, 30_000);

  it('fails when no cold invocation left a REPORT line, and restores the variables', async () => {
    service.cutReport = (_name, call) => call % 2 === 1;
    await expect(bench({ functions: [{ runtime: 'rust', functionName: SLOW_NAME }], invocations: 2 })).rejects.toMatchObject({
      name: 'UserError',
      message: 'rust function churn: no cold invocation left a REPORT line to read in its log tail',
    });
    expect(service.variables(SLOW_NAME)).toEqual(slowVariables);
  }, 30_000);

  it('says so when Lambda cannot apply the update, and restores the variables', async () => {
    service.failNextUpdate(SLOW_NAME, 'Lambda could not configure the function: the stand-in was told to fail');
    await expect(bench({ functions: [{ runtime: 'rust', functionName: SLOW_NAME }] })).rejects.toMatchObject({
      name: 'UserError',
      message:
        'updating the configuration of rust function churn failed: InvalidConfiguration: Lambda could not configure the function: the stand-in was told to fail',
    });
    expect(service.invocations).toEqual([]);
    expect(updates(SLOW_NAME)).toEqual([expect.objectContaining({ [NONCE_VARIABLE]: expect.any(String) }), slowVariables]);
    expect(service.variables(SLOW_NAME)).toEqual(slowVariables);
  });

  it('rejects with the abort reason when aborted midway, after restoring the variables', async () => {
    const controller = new AbortController();
    const reason = new Error('interrupted');
    const progress: string[] = [];
    const failure = bench({
      functions: [{ runtime: 'rust', functionName: SLOW_NAME }],
      signal: controller.signal,
      onProgress: (line) => {
        progress.push(line);
        controller.abort(reason);
      },
    });
    await expect(failure).rejects.toBe(reason);
    expect(progress).toHaveLength(1);
    expect(served(SLOW_NAME)).toHaveLength(2);
    expect(updates(SLOW_NAME)).toEqual([expect.objectContaining({ [NONCE_VARIABLE]: expect.any(String) }), slowVariables]);
    expect(service.variables(SLOW_NAME)).toEqual(slowVariables);
  }, 30_000);

  it('restores the variables when aborted while an update is applying', async () => {
    const controller = new AbortController();
    // Abort while the first update is being made: it then applies with no one waiting for it.
    service.onRequest = (request) => request === `PUT ${SLOW_NAME}/configuration` && controller.abort(new Error('interrupted'));
    await expect(bench({ functions: [{ runtime: 'rust', functionName: SLOW_NAME }], signal: controller.signal })).rejects.toThrow(
      'interrupted',
    );
    expect(service.requests).toEqual([
      `GET ${SLOW_NAME}/configuration`,
      `GET ${SLOW_NAME}/configuration`,
      `PUT ${SLOW_NAME}/configuration`,
      // The restore waits for that update (in progress, then done) before making its own.
      `GET ${SLOW_NAME}/configuration`,
      `GET ${SLOW_NAME}/configuration`,
      `PUT ${SLOW_NAME}/configuration`,
      `GET ${SLOW_NAME}/configuration`,
      `GET ${SLOW_NAME}/configuration`,
    ]);
    expect(service.invocations).toEqual([]);
    expect(service.variables(SLOW_NAME)).toEqual(slowVariables);
  });
});

describe('the Lambda stand-in', () => {
  it('answers `lambda-kit invoke --remote` with a log tail it can read: cold, then warm', async () => {
    const payload = Buffer.from(JSON.stringify(event));
    const cold = await invokeRemote(SLOW_NAME, payload, { region: 'us-east-1' });
    const warm = await invokeRemote(`arn:aws:lambda:us-east-1:123456789012:function:${SLOW_NAME}`, payload, { region: 'us-east-1' });
    expect(JSON.parse(cold.payload.toString())).toEqual({ batchItemFailures: [] });
    expect(cold).toMatchObject({
      statusCode: 200,
      functionError: undefined,
      executedVersion: '$LATEST',
      logLines: ['handled 25 records, call 1, ballast 41943040'],
    });
    expect(cold.report).toMatchObject({
      requestId: served(SLOW_NAME)[0]!.requestId,
      memorySizeMb: 256,
      initDurationMs: expect.any(Number),
    });
    expect(cold.report!.maxMemoryUsedMb).toBeGreaterThanOrEqual(40);
    expect(warm.logLines).toEqual(['handled 25 records, call 2, ballast 41943040']);
    expect(warm.report!.initDurationMs).toBeUndefined();
    await expect(invokeRemote('nope', payload, { region: 'us-east-1' })).rejects.toMatchObject({
      message: 'function nope does not exist in us-east-1',
    });
  });
});
