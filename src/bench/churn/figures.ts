/**
 * What `lambda-kit bench` measures, whether on this machine (--local) or on the deployed stack
 * (--remote), and the batch every runtime gets. Shared by the measuring and the reporting.
 */
import { generateCustomers, type CustomerRecord } from '../../examples/churn/data.js';
import type { MachineLoad } from '../machine-load.js';

export const RUNTIMES = ['rust', 'node', 'python'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** The template's logical id of each runtime's function. */
export const FUNCTION_IDS: Record<Runtime, string> = {
  rust: 'AppFunction',
  node: 'NodeTwinFunction',
  python: 'PythonTwinFunction',
};

/** Every run draws the same customers, so runs (and machines) compare. */
export const BATCH_SEED = 42;

export interface Samples {
  /** Each sample, in ms, in the order taken. */
  samplesMs: number[];
  medianMs: number;
  p95Ms: number;
}

export interface RuntimeFigures {
  runtime: Runtime;
  /** What ran it: "rustc 1.95.0", "node v20.20.2", "Python 3.11.7" locally; the Lambda runtime ("nodejs22.x") remotely. */
  version: string;
  /**
   * Locally: process spawn → first response, the first batch included. Remotely: Lambda's Init
   * Duration + Duration of the invocation after a forced cold start.
   */
  cold: Samples;
  /** The init alone: spawn → first poll locally, Init Duration remotely. */
  init: Samples;
  /** Locally only: CPU time of each cold process (its threads) by its first response. */
  coldCpu?: Samples;
  /** Warm batches; locally against the zero-latency SQS responder, remotely Lambda's Duration. */
  warm: Samples;
  /** Locally only: CPU time of the function process (its threads) during each warm batch. */
  warmCpu?: Samples;
  /** Locally only: warm batches against moto's SQS, for realism. */
  warmMoto?: Samples;
  /** Peak resident memory: VmHWM locally, Max Memory Used remotely. */
  peakMemoryBytes: number;
}

export interface BenchResults {
  mode: 'local' | 'remote';
  /** ISO time the run finished. */
  finishedAt: string;
  records: number;
  /** Warm runs (local) or invocations (remote) per runtime. */
  runs: number;
  /** Cold starts per runtime. */
  coldRuns: number;
  /**
   * Locally: the runtimes took turns, round by round (Rust, Node.js, Python, Rust, ...), for the
   * cold starts and the warm batches alike, so sample i of each runtime comes from round i.
   */
  interleaved?: boolean;
  /** Locally: where the CPU figures come from (ns per thread from schedstat, or clock ticks from stat). */
  cpuSource?: 'schedstat' | 'stat';
  /** Locally: the machine's load while the cold starts and the zero-latency batches ran. */
  load?: MachineLoad;
  /** The machine (local) or the stack and region (remote). */
  host: string;
  runtimes: RuntimeFigures[];
}

/** The batch: `count` customers as Kinesis records, as Lambda delivers them (data in base64). */
export function kinesisEvent(customers: readonly CustomerRecord[]): { Records: unknown[] } {
  return {
    Records: customers.map((customer, index) => {
      // 56 digits, increasing, like a shard's sequence numbers.
      const sequenceNumber = `4965613778511383479101239518${String(index).padStart(28, '0')}`;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: customer.customer_id,
          sequenceNumber,
          data: Buffer.from(JSON.stringify(customer)).toString('base64'),
          // Lambda sends milliseconds: three fraction digits, which aws_lambda_events relies on.
          approximateArrivalTimestamp: 1_777_625_400.123,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/churn-AppFunctionRole',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/InputStream',
      };
    }),
  };
}

export function benchBatch(records: number): { customers: CustomerRecord[]; event: { Records: unknown[] } } {
  const customers = generateCustomers(records, BATCH_SEED);
  return { customers, event: kinesisEvent(customers) };
}
