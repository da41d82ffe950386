/**
 * The one table of what create-fast-lambda offers. Prompts, flags, the validator, the renderer,
 * the bench and `--help` all read it. A trigger or a sink is a row here plus its folder,
 * templates/trigger/<id>/ or templates/sink/<id>/: its files, and the fragments the shared
 * templates include by name (templates/README.md has the recipe).
 */
import { DEFAULT_SCHEDULE, scheduleProblem } from './schedule-expression.js';

/**
 * A trigger's row. Shared templates read these fields instead of asking which trigger it is:
 * - `runtime`: the Rust runtime crate; lambda_http answers HTTP requests (status 201 when stored).
 * - `eventModule`, `eventType`: its aws_lambda_events type (`event::<module>::<type>`), '' for HTTP;
 *   with no module, a type of its own handler (`handler::<type>`).
 * - `batch`: Lambda hands it records in batches and retries only the failures it reports.
 * - `parksPoison`: it parks input that can never succeed on an SQS queue of its stack (src/poison.rs).
 * - `managedPolicy`, `managedPolicyScope`: the AWS managed policy SAM would attach for it (our
 *   role replaces it), and what that policy grants on every one of in the account; '' for none.
 * - `queues`: its stack has SQS queues of its own (dead-letter, poison or failure queues), which
 *   the README's security notes describe in place of a results queue's.
 * - `options` (optional): questions only this trigger asks (see `TriggerOption`).
 */
export const TRIGGERS = [
  {
    id: 'api',
    label: 'API',
    short: 'API',
    hint: 'HTTP API or REST API → POST /items',
    defaultSink: 'dynamodb',
    defaultTimeout: 10,
    runtime: 'lambda_http',
    eventModule: '',
    eventType: '',
    batch: false,
    parksPoison: false,
    managedPolicy: '',
    managedPolicyScope: '',
    queues: false,
  },
  {
    id: 'kinesis',
    label: 'Kinesis stream',
    short: 'Kinesis',
    hint: 'records in batches, partial batch failures',
    defaultSink: 'sqs',
    defaultTimeout: 30,
    runtime: 'lambda_runtime',
    eventModule: 'kinesis',
    eventType: 'KinesisEvent',
    batch: true,
    parksPoison: true,
    managedPolicy: 'AWSLambdaKinesisExecutionRole',
    managedPolicyScope: 'stream',
    queues: true,
  },
  {
    id: 's3',
    label: 'S3 bucket',
    short: 'S3',
    hint: 'object created',
    defaultSink: 'dynamodb',
    defaultTimeout: 30,
    runtime: 'lambda_runtime',
    eventModule: 's3',
    eventType: 'S3Event',
    batch: false,
    parksPoison: false,
    managedPolicy: '',
    managedPolicyScope: '',
    queues: true,
  },
  {
    id: 'sqs',
    label: 'SQS queue',
    short: 'SQS',
    hint: 'messages in batches, with a dead-letter queue',
    defaultSink: 'dynamodb',
    defaultTimeout: 30,
    runtime: 'lambda_runtime',
    eventModule: 'sqs',
    eventType: 'SqsEvent',
    batch: true,
    parksPoison: true,
    managedPolicy: 'AWSLambdaSQSQueueExecutionRole',
    managedPolicyScope: 'queue',
    queues: true,
  },
  {
    id: 'dynamodb-stream',
    label: 'DynamoDB stream',
    short: 'DynamoDB Streams',
    hint: "a table's changes in batches, in order per item",
    defaultSink: 'dynamodb',
    defaultTimeout: 30,
    runtime: 'lambda_runtime',
    eventModule: 'dynamodb',
    eventType: 'Event',
    batch: true,
    parksPoison: true,
    managedPolicy: 'AWSLambdaDynamoDBExecutionRole',
    managedPolicyScope: 'stream',
    queues: true,
  },
  {
    id: 'schedule',
    label: 'Schedule',
    short: 'Schedule',
    hint: 'EventBridge Scheduler: rate, cron or one-time, with retries and a dead-letter queue',
    defaultSink: 'dynamodb',
    defaultTimeout: 30,
    runtime: 'lambda_runtime',
    // Its event is the handler's own type: the Input template.yaml gives the schedule.
    eventModule: '',
    eventType: 'ScheduledRun',
    batch: false,
    parksPoison: false,
    managedPolicy: '',
    managedPolicyScope: '',
    queues: true,
    options: [
      {
        key: 'schedule',
        placeholder: '<expr>',
        help: [
          'with --trigger schedule: when it runs, as EventBridge Scheduler takes it:',
          'rate(5 minutes), cron(0 9 ? * MON-FRI *) (UTC) or at(2030-01-31T09:00:00) once',
        ],
        message: 'When does it run? rate(…), cron(…) in UTC, or at(…) once',
        default: DEFAULT_SCHEDULE,
        problem: scheduleProblem,
      },
    ],
  },
] as const;

/**
 * A question only one trigger asks, declared on its row: the flag `--<key>` (`--schedule`), its
 * prompt, default and validator; the answer reaches templates as `options.<key>`. The flags,
 * `--help`, the prompts and the validator read these, so such a question needs no edit there.
 */
export interface TriggerOption {
  key: string;
  /** The flag's argument in `--help`: `--schedule <expr>`. */
  placeholder: string;
  /** Its lines in `--help`, after the flag. */
  help: readonly string[];
  /** The interactive question. */
  message: string;
  default: string;
  /** Why an answer is refused, or undefined when it is accepted. */
  problem: (raw: string) => string | undefined;
}

/** The questions only trigger `id` asks (none for most). */
export function triggerOptions(id: TriggerId): readonly TriggerOption[] {
  const row: Trigger = trigger(id);
  return 'options' in row ? row.options : [];
}

/** Every trigger's own questions, with the trigger that asks each. */
export function allTriggerOptions(): { trigger: TriggerId; option: TriggerOption }[] {
  return TRIGGERS.flatMap((row) => triggerOptions(row.id).map((option) => ({ trigger: row.id, option })));
}

/**
 * Complete applications, instead of a function to fill in. An example fixes its trigger and sink;
 * its files come from templates/example/<id>/ (see render.ts).
 */
export const EXAMPLES = [
  {
    id: 'churn',
    label: 'Churn prediction',
    hint: 'Kinesis → Rust → SQS, with Node.js and Python twins and lambda-kit bench',
    trigger: 'kinesis',
    sink: 'sqs',
  },
] as const;

/** API Gateway stops waiting after this many seconds, so a longer function timeout is useless. */
export const APIS = [
  { id: 'http', label: 'HTTP API', hint: 'cheaper, lower latency', maxTimeout: 30 },
  { id: 'rest', label: 'REST API', hint: 'API keys, usage plans, request validation', maxTimeout: 29 },
] as const;

/** Who may call an API. Never public by default: a scaffold's defaults become production. */
export const AUTHS = [
  { id: 'iam', label: 'IAM-signed requests', hint: 'AWS_IAM: callers sign with SigV4 and need execute-api:Invoke' },
  { id: 'jwt', label: 'JWT', hint: 'tokens from your identity provider (issuer URL + audience)' },
  { id: 'public', label: 'Public', hint: 'anyone on the internet can call it' },
] as const;

/**
 * A REST API has no generic JWT authorizer; it checks tokens of a Cognito user pool, whose
 * issuer URL names the region and the pool.
 */
export const COGNITO_ISSUER = /^https:\/\/cognito-idp\.([a-z0-9-]+)\.amazonaws\.com\/([a-z0-9-]+_[0-9A-Za-z]+)$/;

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
export const DEFAULT_LOG_RETENTION = 14;

/**
 * A sink's row: `env`, the variable naming its resource ('' for none); `sdkClient`, the AWS SDK
 * client it calls (`aws-sdk-<client>`, '' for none); `rustType`, its `Sink`, in src/sink/<rustModule>.rs.
 */
export const SINKS = [
  {
    id: 'dynamodb',
    label: 'DynamoDB table',
    short: 'DynamoDB',
    hint: 'put_item per result',
    env: 'TABLE_NAME',
    sdkClient: 'dynamodb',
    rustModule: 'dynamodb',
    rustType: 'DynamoDbSink',
  },
  {
    id: 'sqs',
    label: 'SQS queue',
    short: 'SQS',
    hint: 'one message per result',
    env: 'QUEUE_URL',
    sdkClient: 'sqs',
    rustModule: 'sqs',
    rustType: 'SqsSink',
  },
  {
    id: 'none',
    label: 'Nothing',
    short: 'no sink',
    hint: 'log the result',
    env: '',
    sdkClient: '',
    rustModule: 'log',
    rustType: 'LogSink',
  },
] as const;

/** Lambda prices per GB-second (us-east-1), and per million requests. */
export const PRICE_PER_MILLION_REQUESTS = 0.2;

export const ARCHS = [
  {
    id: 'arm64',
    label: 'arm64',
    hint: 'Graviton: cheaper per GB-second, faster cold start',
    pricePerGbSecond: 0.0000133334,
    cargoLambdaFlag: '--arm64',
    rustTarget: 'aarch64-unknown-linux-gnu',
  },
  {
    id: 'x86_64',
    label: 'x86_64',
    hint: 'for native dependencies that lack arm64 builds',
    pricePerGbSecond: 0.0000166667,
    cargoLambdaFlag: '--x86-64',
    rustTarget: 'x86_64-unknown-linux-gnu',
  },
] as const;

/**
 * The architecture a project gets when none is chosen: this machine's, so its first build needs
 * no extra rustup target and `lambda-kit invoke` can run the binary here (it never runs one
 * built for another CPU). A machine that is neither takes arm64, the cheaper on Lambda.
 */
export function hostArch(nodeArch: string = process.arch): 'arm64' | 'x86_64' {
  return nodeArch === 'x64' ? 'x86_64' : 'arm64';
}

export const MEMORY_CHOICES = [128, 256, 512, 1024, 1769, 3008] as const;
export const MEMORY_RANGE = { min: 128, max: 10240 } as const;
export const DEFAULT_MEMORY = 512;
/** Lambda gives one full vCPU at this much memory, and CPU share grows linearly with memory. */
export const MB_PER_VCPU = 1769;
export const TIMEOUT_RANGE = { min: 1, max: 900 } as const;

export const DEFAULT_NAME = 'fast-lambda';
export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;
/**
 * The S3 trigger's bucket is named `<stack>-<account id>-<region>`: bucket names stop at 63
 * characters, 12 go to the account id, up to 14 to the region and 2 to the dashes.
 */
export const S3_MAX_NAME_LENGTH = 35;
/**
 * Names Cargo refuses or that Rust already means: keywords, the standard crates, and the names of
 * Cargo's own directories in target/. The generated project's dependencies are refused too, read
 * from its Cargo.toml templates (crate-names.ts). Compared with dashes as '_'.
 */
export const RESERVED_CRATE_NAMES = new Set([
  ...['as', 'async', 'await', 'break', 'const', 'continue', 'crate', 'dyn', 'else', 'enum', 'extern', 'false', 'fn'],
  ...['for', 'gen', 'if', 'impl', 'in', 'let', 'loop', 'match', 'mod', 'move', 'mut', 'pub', 'ref', 'return', 'self'],
  ...['static', 'struct', 'super', 'trait', 'true', 'try', 'type', 'unsafe', 'use', 'where', 'while', 'abstract'],
  ...['become', 'box', 'do', 'final', 'macro', 'override', 'priv', 'typeof', 'unsized', 'virtual', 'yield'],
  ...['std', 'core', 'alloc', 'test', 'proc_macro'],
  ...['deps', 'examples', 'build', 'incremental'],
]);

/**
 * Lambda caps a function's environment variables at 4 KB, keys and values together. With a REST
 * API the JWT audience is one of them; the rest is left for the sink's variable (a table name of
 * up to 255 bytes, a queue URL of about 150) and whatever the user adds.
 */
export const LAMBDA_ENVIRONMENT_BYTES = 4096;
export const MAX_JWT_AUDIENCE_BYTES = 3584;

/** Bucket-name prefixes S3 keeps for itself. */
export const S3_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'] as const;

export type TriggerId = (typeof TRIGGERS)[number]['id'];
export type ApiId = (typeof APIS)[number]['id'];
export type SinkId = (typeof SINKS)[number]['id'];
export type ArchId = (typeof ARCHS)[number]['id'];
export type AuthId = (typeof AUTHS)[number]['id'];
export type ExampleId = (typeof EXAMPLES)[number]['id'];

export type Trigger = (typeof TRIGGERS)[number];
export type Api = (typeof APIS)[number];
export type Sink = (typeof SINKS)[number];
export type Arch = (typeof ARCHS)[number];

export const trigger = (id: TriggerId): Trigger => TRIGGERS.find((t) => t.id === id)!;
export const api = (id: ApiId): Api => APIS.find((a) => a.id === id)!;
export const sink = (id: SinkId): Sink => SINKS.find((s) => s.id === id)!;
export const arch = (id: ArchId): Arch => ARCHS.find((a) => a.id === id)!;
export const example = (id: ExampleId) => EXAMPLES.find((e) => e.id === id)!;

/** Cost in dollars of one million invocations of `durationMs` each. */
export function costPerMillion(memoryMb: number, archId: ArchId, durationMs = 10): number {
  const gbSeconds = (memoryMb / 1024) * (durationMs / 1000) * 1_000_000;
  return gbSeconds * arch(archId).pricePerGbSecond + PRICE_PER_MILLION_REQUESTS;
}

export function vcpuShare(memoryMb: number): number {
  return memoryMb / MB_PER_VCPU;
}

/** "0.29 vCPU · $0.27 per 1M × 10 ms": the hint beside each memory choice. */
export function memoryHint(memoryMb: number, archId: ArchId): string {
  return `${vcpuShare(memoryMb).toFixed(2)} vCPU · ${formatDollars(costPerMillion(memoryMb, archId))} per 1M × 10 ms`;
}

export function formatDollars(amount: number): string {
  return `$${amount.toFixed(2)}`;
}
