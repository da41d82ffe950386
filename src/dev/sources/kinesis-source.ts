/**
 * Lambda's Kinesis event source mapping, for `lambda-kit dev`: reads every shard from the
 * starting position, in order, a batch at a time, and moves a shard on only past what succeeded.
 * With ReportBatchItemFailures a batch is read again from the lowest failed sequence number; a
 * function error (or an answer Lambda cannot trust) reads the whole batch again, after a pause,
 * until MaximumRetryAttempts is spent, and then dev skips the batch and says so.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type _Record as KinesisRecord,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { UserError } from '../../errors.js';
import { SYNC_EVENT_BYTES } from '../../project/events.js';
import { quoted, visible } from '../../text/terminal-text.js';
import { readBatchResponse } from './batch-response.js';
import { compareSequenceNumbers, kinesisEvent, kinesisEventRecord, type StreamOrigin } from './kinesis-event.js';
import {
  Caller,
  clientSettings,
  DEV_RETRY_LIMIT,
  pause,
  plural,
  regionOf,
  seconds,
  Stopped,
  type SourceOptions,
  type SourceTiming,
} from './source-runtime.js';

/** What GetRecords gives for an iterator past its 5 minutes, instead of throwing. */
const EXPIRED: unique symbol = Symbol('expired iterator');

/** `{"Records":[]}` around the records. */
const EVENT_OVERHEAD_BYTES = 14;
/** GetRecords returns at most 10,000 records a call. */
const GET_RECORDS_MAX = 10_000;

interface Stream {
  name: string;
  arn: string;
  region: string;
  account: string;
}

interface Shard {
  id: string;
  /** Where the next read starts; undefined once a closed shard is read to its end. */
  iterator: string | undefined;
  /** The last sequence number handed on for good, to start again after it if the iterator expires. */
  checkpoint: string | undefined;
  /** Failed attempts at the batch that starts at the checkpoint. */
  attempts: number;
}

/** `arn:aws:kinesis:us-east-1:123456789012:stream/orders` → its parts; a bare name uses the environment's region. */
function streamOf(target: string, env: Record<string, string>): Stream {
  const arn = /^arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):(\d{12}):stream\/([A-Za-z0-9_.-]{1,128})$/.exec(target);
  if (arn) return { arn: target, region: arn[2]!, account: arn[3]!, name: arn[4]! };
  if (/^[A-Za-z0-9_.-]{1,128}$/.test(target)) {
    const region = regionOf(env);
    // moto's and LocalStack's default account; the ARN only labels the records.
    const account = '123456789012';
    return { arn: `arn:aws:kinesis:${region}:${account}:stream/${target}`, region, account, name: target };
  }
  throw new UserError(`kinesis: ${quoted(target)} is not a stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>) or name`);
}

export async function runKinesisSource(options: SourceOptions, timing: SourceTiming): Promise<void> {
  const { signal, log } = options;
  const stream = streamOf(options.target, options.env);
  // The Kinesis client speaks HTTP/2 by default, for SubscribeToShard; polling needs HTTP/1.1, which moto and LocalStack speak.
  const kinesis = new KinesisClient({
    ...clientSettings(options.env, 'KINESIS'),
    region: stream.region,
    requestHandler: new NodeHttpHandler(),
  });
  const caller = new Caller('kinesis', signal, log, timing);
  const retryLimit =
    options.maximumRetryAttempts === undefined || options.maximumRetryAttempts < 0 ? DEV_RETRY_LIMIT : options.maximumRetryAttempts;
  const origin = (shardId: string): StreamOrigin => ({
    streamArn: stream.arn,
    shardId,
    region: stream.region,
    invokeIdentityArn: `arn:aws:iam::${stream.account}:role/lambda-kit-dev`,
  });
  const iteratorAt = async (shardId: string, type: ShardIteratorType, sequenceNumber?: string): Promise<string | undefined> => {
    const timestamp = type === 'AT_TIMESTAMP' ? new Date((options.startingPositionTimestamp ?? 0) * 1000) : undefined;
    const { ShardIterator } = await caller.call('GetShardIterator', timing.callGraceMs, (abortSignal) =>
      kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream.name,
          ShardId: shardId,
          ShardIteratorType: type,
          ...(sequenceNumber !== undefined ? { StartingSequenceNumber: sequenceNumber } : {}),
          ...(timestamp ? { Timestamp: timestamp } : {}),
        }),
        { abortSignal },
      ),
    );
    return ShardIterator;
  };
  try {
    const shardIds: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await caller.call('ListShards', timing.callGraceMs, (abortSignal) =>
        kinesis.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: stream.name }), { abortSignal }),
      );
      shardIds.push(...(page.Shards ?? []).map((s) => s.ShardId!));
      nextToken = page.NextToken;
    } while (nextToken);
    const position = options.startingPosition ?? 'LATEST';
    const shards: Shard[] = [];
    for (const id of shardIds) shards.push({ id, iterator: await iteratorAt(id, position), checkpoint: undefined, attempts: 0 });
    const failures = options.reportBatchItemFailures ? ', ReportBatchItemFailures' : '';
    const window = options.maximumBatchingWindowInSeconds;
    log(
      `kinesis: reading ${plural(shards.length, 'shard')} of ${stream.name} from ${position} (batch size ${options.batchSize}, batching window ${window} s${failures})`,
    );

    const readBatch = async (shard: Shard): Promise<KinesisRecord[]> => {
      const records: KinesisRecord[] = [];
      let bytes = EVENT_OVERHEAD_BYTES;
      /** How many of `got` the batch can take without passing the limit; at least one, so a batch always moves on. */
      const fitting = (got: KinesisRecord[]): number => {
        for (const [index, record] of got.entries()) {
          const size = Buffer.byteLength(JSON.stringify(kinesisEventRecord(record, origin(shard.id)))) + 1;
          if (records.length + index > 0 && bytes + size > SYNC_EVENT_BYTES) return index;
          bytes += size;
        }
        return got.length;
      };
      let windowEnds = Number.POSITIVE_INFINITY;
      while (shard.iterator !== undefined && records.length < options.batchSize) {
        const iterator = shard.iterator;
        const page = await caller.call('GetRecords', timing.callGraceMs, (abortSignal) =>
          kinesis
            .send(
              new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(GET_RECORDS_MAX, options.batchSize - records.length) }),
              { abortSignal },
            )
            .catch((error: unknown): typeof EXPIRED => {
              if ((error as { name?: unknown }).name === 'ExpiredIteratorException') return EXPIRED;
              throw error;
            }),
        );
        if (page === EXPIRED) {
          // An iterator lasts 5 minutes: a new one starts right after what was handed on, or where reading began.
          shard.iterator = shard.checkpoint
            ? await iteratorAt(shard.id, 'AFTER_SEQUENCE_NUMBER', shard.checkpoint)
            : await iteratorAt(shard.id, position);
          continue;
        }
        const got = page.Records ?? [];
        // The window opens with the batch's first record.
        if (records.length === 0 && got.length > 0) windowEnds = Date.now() + window * 1000;
        shard.iterator = page.NextShardIterator;
        const fits = fitting(got);
        records.push(...got.slice(0, fits));
        if (fits < got.length) {
          // Lambda's synchronous invoke takes 6 MB: the rest is read again, for the next batch.
          shard.iterator = await iteratorAt(shard.id, 'AT_SEQUENCE_NUMBER', got[fits]!.SequenceNumber);
          break;
        }
        // Nothing yet: on to the next shard. Something: without a window, invoke now; with one, gather until it closes.
        if (records.length === 0 || window === 0 || Date.now() >= windowEnds) break;
        if (got.length === 0) await pause(Math.min(timing.idlePollMs, windowEnds - Date.now()), signal);
      }
      return records;
    };

    while (!signal.aborted) {
      let anyRecords = false;
      for (const shard of shards) {
        if (signal.aborted) break;
        const records = await readBatch(shard);
        if (records.length === 0) continue;
        anyRecords = true;
        await invokeAndMoveOn(shard, records);
      }
      if (!anyRecords) await pause(timing.idlePollMs, signal);
      if (shards.every((s) => s.iterator === undefined)) {
        log(`kinesis: every shard of ${stream.name} is closed and read to its end`);
        return;
      }
    }
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
  } finally {
    kinesis.destroy();
  }

  async function invokeAndMoveOn(shard: Shard, records: KinesisRecord[]): Promise<void> {
    const sequenceNumbers = records.map((r) => r.SequenceNumber!);
    const first = sequenceNumbers[0]!;
    const last = sequenceNumbers.at(-1)!;
    const result = await options.invoke(kinesisEvent(records, origin(shard.id)));
    const head = `kinesis: ${shard.id}: ${plural(records.length, 'record')}`;
    let retryFrom: string | undefined;
    let outcome: string;
    if (!result.ok) {
      retryFrom = first;
      outcome = `function error (${visible(result.error, 200)})`;
    } else if (options.reportBatchItemFailures) {
      const verdict = readBatchResponse(result.answer, sequenceNumbers);
      if (verdict.kind === 'whole-batch-failed') {
        retryFrom = first;
        outcome = `all failed (${verdict.why})`;
      } else if (verdict.kind === 'some-failed') {
        retryFrom = verdict.failed.reduce((lowest, s) => (compareSequenceNumbers(s, lowest) < 0 ? s : lowest));
        outcome = `${verdict.failed.length} failed (batchItemFailures)`;
      } else {
        outcome = '0 failed';
      }
    } else {
      outcome = '0 failed';
    }
    if (retryFrom === undefined) {
      shard.checkpoint = last;
      shard.attempts = 0;
      log(`${head}, ${outcome}: done up to ${last}`);
      return;
    }
    // What precedes the lowest failure succeeded, and is not sent again.
    const done = sequenceNumbers.filter((s) => compareSequenceNumbers(s, retryFrom) < 0);
    if (done.length > 0) {
      shard.checkpoint = done.at(-1);
      shard.attempts = 0;
    }
    shard.attempts++;
    if (shard.attempts > retryLimit) {
      shard.checkpoint = last;
      shard.attempts = 0;
      log(
        `${head}, ${outcome}: gave up after ${retryLimit} ${retryLimit === 1 ? 'retry' : 'retries'} (MaximumRetryAttempts); skipping to after ${last}`,
      );
      shard.iterator = await iteratorAt(shard.id, 'AFTER_SEQUENCE_NUMBER', last);
      return;
    }
    const wait = Math.min(timing.firstBackoffMs * 2 ** (shard.attempts - 1), timing.maxBackoffMs);
    log(`${head}, ${outcome}: retry ${shard.attempts} of ${retryLimit} from ${retryFrom} in ${seconds(wait)}`);
    shard.iterator = await iteratorAt(shard.id, 'AT_SEQUENCE_NUMBER', retryFrom);
    await pause(wait, signal);
  }
}
