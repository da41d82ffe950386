/**
 * What create-fast-lambda says about the project it wrote, the same whether the answers came as
 * flags (create.ts) or from the prompts (create-prompts.ts): both import it, neither the other.
 */
import { relative, resolve } from 'node:path';
import { api as apiRow, example as exampleRow, sink as sinkRow, trigger as triggerRow } from '../scaffold/catalog.js';
import type { ProjectSpec } from '../scaffold/spec.js';
import { abbreviateForMessage, quoteForShell } from '../scaffold/quote.js';

/** `Using project name "my-service" (from the directory My_Service).` */
export function describeDerivedName(name: string, directoryName: string): string {
  return `Using project name "${name}" (from the directory ${abbreviateForMessage(directoryName)}).`;
}

/** "Removed 3 files left by an interrupted run (pid 4242)." */
export function describeLeftovers(leftovers: { files: number; pid: number }): string {
  return `Removed ${leftovers.files} file${leftovers.files === 1 ? '' : 's'} left by an interrupted run (pid ${leftovers.pid}).`;
}

export function displayDir(dir: string): string {
  const rel = relative(process.cwd(), resolve(dir));
  if (rel === '') return '.';
  return rel.startsWith('..') ? resolve(dir) : `./${rel}`;
}

export const PUBLIC_API_WARNING =
  'the API is public: anyone on the internet can call POST /items and write to your stack. Throttling limits the damage, not the access; choose --auth iam or jwt before real data flows.';

/** "HTTP API → DynamoDB, arm64, 512 MB, 10 s", or for an example "churn prediction (Kinesis → SQS, with Node.js and Python twins), …" */
export function describeSpec(spec: ProjectSpec, options: { archFromMachine?: boolean } = {}): string {
  // The trigger's own answers beside it: "Schedule rate(5 minutes)".
  const answers = Object.values(spec.options ?? {})
    .map((value) => ` ${value}`)
    .join('');
  const trigger =
    spec.api === 'none'
      ? `${triggerRow(spec.trigger).short}${answers}`
      : `${apiRow(spec.api).label} (${spec.auth === 'iam' ? 'IAM' : spec.auth === 'jwt' ? 'JWT' : 'public'})`;
  const pipeline = `${trigger} → ${sinkRow(spec.sink).short}`;
  const what =
    spec.example === 'none'
      ? pipeline
      : `${exampleRow(spec.example).label.toLowerCase()} (${pipeline}${spec.twins ? ', with Node.js and Python twins' : ''})`;
  const arch = options.archFromMachine ? `${spec.arch} (this machine's)` : spec.arch;
  return `${what}, ${arch}, ${spec.memory} MB, ${spec.timeout} s`;
}

/**
 * The commands to type next, lambda-kit's first: each checks or shows more than the sam or cargo
 * command it wraps. Every line runs as printed, whatever characters the directory's name holds.
 */
export function nextSteps(spec: ProjectSpec, dir: string): string {
  const cd = relative(process.cwd(), resolve(dir));
  // `cd -x` would be an option; `cd ./-x` is the directory.
  const cdTarget = cd.startsWith('-') ? `./${cd}` : cd;
  const event = spec.example === 'none' ? `events/${spec.trigger}.json` : `events/${exampleRow(spec.example).trigger}.json`;
  const steps: [string, string][] = [
    ...(cd === '' ? [] : [[`cd ${quoteForShell(cdTarget)}`, ''] as [string, string]]),
    ['npm install', 'brings lambda-kit'],
    ['npx lambda-kit doctor', 'are Rust, cargo-lambda, zig and sam ready?'],
    [
      'npx lambda-kit build',
      spec.twins ? `sam build: the three functions, Rust for ${spec.arch}` : `sam build: cargo lambda, for ${spec.arch}`,
    ],
    [`npx lambda-kit invoke${spec.twins ? ' --function AppFunction' : ''} --event ${event}`, 'runs it here, no Docker'],
    ...(spec.twins ? [['npx lambda-kit bench --local', 'Rust against its twins, on this machine'] as [string, string]] : []),
    ['npx lambda-kit deploy', "sam deploy, its events live, a failure's root cause"],
    ['npx lambda-kit logs --tail', 'cold starts and latency at a glance'],
  ];
  const width = Math.max(...steps.filter(([, why]) => why).map(([command]) => command.length)) + 2;
  const lines = steps.map(([command, why]) => (why ? `${command.padEnd(width)}# ${why}` : command));
  return `Next steps:\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
}
