/**
 * `lambda-kit bench --local`'s measuring (measureLocal), driven with real processes under the
 * real Runtime API emulator, but runtimes whose cost is known: small Node.js runtime clients
 * that burn a set amount of CPU, or sleep, per event. So the CPU columns can be checked against
 * what the processes did, the rounds' order against a log each process writes, and the extra
 * rounds against a cold start made to vary wildly. No cargo build: the churn bench tests
 * (bench-local.test.ts) run the real functions.
 */
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureLocal, type LocalBenchOptions, type LocalRuntime } from '../src/bench/churn/local.js';
import type { Runtime } from '../src/bench/churn/figures.js';
import { validateModel } from '../src/examples/churn/model.js';
import type { LambdaFunction } from '../src/project/project.js';
import { tempDir } from './support/cli.js';

const LINUX = process.platform === 'linux';

/**
 * A runtime client: logs "<name> start" when spawned, sleeps `initMs` (or, with "flip", 0 and
 * 800 ms on alternate starts), then per event logs "<name> invoke" and burns `ms` of CPU (by the
 * process's own clock) or sleeps `ms`, and answers with no failed record.
 */
const CLIENT = `
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
const [name, work, ms, init, log] = process.argv.slice(2);
appendFileSync(log, name + ' start\\n');
let initMs = Number(init);
if (init === 'flip') {
  const counter = log + '.' + name;
  let starts = 0;
  try { starts = Number(readFileSync(counter, 'utf8')); } catch {}
  writeFileSync(counter, String(starts + 1));
  initMs = starts % 2 === 0 ? 0 : 800;
}
await new Promise((resolve) => setTimeout(resolve, initMs));
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const call = (method, path, body) => new Promise((resolve, reject) => {
  const req = request({ host, port, method, path: '/2018-06-01/runtime' + path }, (res) => {
    const chunks = [];
    res.on('data', (chunk) => chunks.push(chunk));
    res.on('end', () => resolve(res.headers['lambda-runtime-aws-request-id']));
  });
  req.on('error', reject);
  req.end(body);
});
const burn = (limit) => { const start = process.cpuUsage(); for (;;) { const used = process.cpuUsage(start); if ((used.user + used.system) / 1000 >= limit) return; } };
for (;;) {
  const id = await call('GET', '/invocation/next');
  appendFileSync(log, name + ' invoke\\n');
  if (work === 'burn') burn(Number(ms)); else await new Promise((resolve) => setTimeout(resolve, Number(ms)));
  await call('POST', '/invocation/' + id + '/response', JSON.stringify({ batchItemFailures: [] }));
}
`;

let dir: string;
let client: string;

beforeAll(async () => {
  dir = await tempDir('cfl-bench-cpu-');
  client = join(dir, 'client.mjs');
  await writeFile(client, CLIENT);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const fn = (logicalId: string): LambdaFunction => ({
  logicalId,
  codeDir: dir,
  architecture: 'x86_64',
  buildMethod: undefined,
  runtime: undefined,
  handler: undefined,
  memorySize: 128,
  timeout: 30,
  environment: {},
  functionName: undefined,
  logFormat: undefined,
  applicationLogLevel: undefined,
});

function runtime(name: Runtime, work: 'burn' | 'sleep', ms: number, log: string, init: number | 'flip' = 0): LocalRuntime {
  return {
    runtime: name,
    version: `fake ${name}`,
    fn: fn(`${name}Function`),
    command: process.execPath,
    args: [client, name, work, String(ms), String(init), log],
    taskRoot: dir,
  };
}

/** Nothing in these runtimes sends to SQS: no address is ever contacted, and no batch has records. */
const NOWHERE = { endpoint: 'http://127.0.0.1:9', queueUrl: 'http://127.0.0.1:9/000000000000/none' };

function options(runtimes: LocalRuntime[], counts: { runs: number; coldRuns: number; maxColdRuns?: number }): LocalBenchOptions {
  return {
    runtimes,
    model: validateModel(JSON.parse(readFileSync(new URL('../templates/example/churn/model.json', import.meta.url), 'utf8'))),
    customers: [],
    event: { Records: [] },
    ...counts,
    responder: { ...NOWHERE, takeReceived: () => [] },
    moto: { rust: NOWHERE, node: NOWHERE, python: NOWHERE },
    drainMoto: async () => 0,
    onProgress: () => {},
  };
}

describe.skipIf(!LINUX)('measureLocal: CPU beside wall time, rounds in turns', () => {
  it('reads ≈ 200 ms of CPU for a batch that burns 200 ms, ≈ 0 for one that sleeps 200 ms, and takes turns', {
    timeout: 120_000,
  }, async () => {
    const log = join(dir, 'turns.log');
    const measured = await measureLocal(
      options([runtime('rust', 'burn', 200, log), runtime('node', 'sleep', 200, log), runtime('python', 'burn', 100, log)], {
        runs: 3,
        coldRuns: 2,
      }),
    );
    const [rust, node, python] = measured.runtimes;
    expect(measured.coldRounds).toBe(2);
    expect(measured.cpuSource).toBe('schedstat');

    expect(rust!.warmCpu!.samplesMs).toHaveLength(3);
    for (const ms of rust!.warmCpu!.samplesMs) expect(ms).toBeGreaterThanOrEqual(195);
    for (const ms of rust!.warmCpu!.samplesMs) expect(ms).toBeLessThan(260);
    for (const ms of python!.warmCpu!.samplesMs) expect(ms).toBeGreaterThanOrEqual(95);
    for (const ms of python!.warmCpu!.samplesMs) expect(ms).toBeLessThan(150);
    // Sleeping costs wall time, not CPU.
    for (const ms of node!.warm.samplesMs) expect(ms).toBeGreaterThanOrEqual(195);
    for (const ms of node!.warmCpu!.samplesMs) expect(ms).toBeLessThan(20);

    // A cold process's CPU: its start-up and its first event, by its first response.
    expect(rust!.coldCpu!.samplesMs).toHaveLength(2);
    for (const ms of rust!.coldCpu!.samplesMs) expect(ms).toBeGreaterThanOrEqual(200);
    expect(node!.coldCpu!.medianMs).toBeLessThan(rust!.coldCpu!.medianMs - 150);
    expect(node!.coldCpu!.medianMs).toBeGreaterThan(5);

    // Rust, Node.js, Python in every round; then the three warm processes, batch by batch; then moto's, one after another.
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    const round = ['rust start', 'rust invoke', 'node start', 'node invoke', 'python start', 'python invoke'];
    const turns = ['rust invoke', 'node invoke', 'python invoke'];
    const moto = (name: string) => [`${name} start`, ...Array(4).fill(`${name} invoke`)];
    expect(lines).toEqual([
      ...round,
      ...round,
      'rust start',
      'rust invoke',
      'node start',
      'node invoke',
      'python start',
      'python invoke',
      ...turns,
      ...turns,
      ...turns,
      ...moto('rust'),
      ...moto('node'),
      ...moto('python'),
    ]);

    expect(measured.load.wallMs).toBeGreaterThan(0);
    expect(measured.load.busyMs).toBeGreaterThan(0);
    expect(measured.load.othersShare).toBeGreaterThanOrEqual(0);
    expect(measured.load.othersShare).toBeLessThanOrEqual(1);
    expect(measured.load.loadavgBefore).toHaveLength(3);
  });

  it('adds rounds, up to the maximum, while a cold-start ratio spreads too wide to judge', { timeout: 120_000 }, async () => {
    const log = join(dir, 'flip.log');
    // Python's cold start is 0 or 800 ms more, round by round: its ratio to Rust swings.
    const runtimes = [runtime('rust', 'sleep', 1, log), runtime('node', 'sleep', 1, log), runtime('python', 'sleep', 1, log, 'flip')];
    const measured = await measureLocal(options(runtimes, { runs: 1, coldRuns: 2, maxColdRuns: 4 }));
    expect(measured.coldRounds).toBe(4);
    expect(measured.runtimes.map((r) => r.cold.samplesMs.length)).toEqual([4, 4, 4]);
    const python = measured.runtimes[2]!.cold.samplesMs;
    expect(Math.max(...python) - Math.min(...python)).toBeGreaterThan(600);
  });
});
