#!/usr/bin/env node
// npm run bench:startup: how long the CLIs take to start and to render a project, each beside
// bare `node -e 0` measured in the same run, so the ratios hold on any machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.env.RUNS ?? 30);
const work = mkdtempSync(join(tmpdir(), 'cfl-bench-'));

function time(args, prepare) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const extra = prepare?.(i) ?? [];
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [...args, ...extra], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const cases = [
  ['node -e 0', ['-e', '0']],
  ['lambda-kit --help', [join(root, 'bin/lambda-kit.js'), '--help']],
  ['create-fast-lambda --help', [join(root, 'bin/create-fast-lambda.js'), '--help']],
  [
    'create-fast-lambda render (kinesis → sqs, --yes)',
    [join(root, 'bin/create-fast-lambda.js'), '--trigger', 'kinesis', '--yes'],
    (i) => [`p${i}`],
  ],
];

// One untimed pass of each warms the file cache.
for (const [, args, prepare] of cases) spawnSync(process.execPath, [...args, ...(prepare?.(runs) ?? [])], { cwd: work });

const results = cases.map(([label, args, prepare]) => [label, time(args, prepare)]);
const bare = results[0][1];
console.log(`median of ${runs} runs, node ${process.version}, ${process.platform}/${process.arch}\n`);
console.log(`${'command'.padEnd(50)}${'median'.padStart(10)}${'× node'.padStart(9)}`);
for (const [label, ms] of results) {
  console.log(`${label.padEnd(50)}${`${ms.toFixed(1)} ms`.padStart(10)}${(ms / bare).toFixed(2).padStart(9)}`);
}
rmSync(work, { recursive: true, force: true });
