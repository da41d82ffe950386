/**
 * Lambda's DynamoDB Streams event source mapping, for `lambda-kit dev`: the table's stream is
 * found (from its ARN, or from the table's name with ListStreams, as the mapping's role may),
 * then the shard poller (stream-shards.ts) reads, batches, retries and bisects as for Kinesis.
 */
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type _Record as StreamsRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { UserError } from '../../errors.js';
import { quoted } from '../../text/terminal-text.js';
import { dynamoDbEventRecord } from './dynamodb-stream-event.js';
import { Caller, clientSettings, regionOf, type SourceOptions, type SourceTiming, Stopped } from './source-runtime.js';
import { EXPIRED, runShardPoller, type ShardInfo, type StreamApi } from './stream-shards.js';

/** DynamoDB Streams' GetRecords returns at most 1,000 records a call. */
const GET_RECORDS_MAX = 1000;

const STREAM_ARN = /^arn:(aws[a-z-]*):dynamodb:([a-z0-9-]+):(\d{12}):table\/([A-Za-z0-9_.-]{3,255})\/stream\/([^/\s]+)$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** A stream ARN's region and table, or the table named: which one is its stream is asked of the service. */
export function streamTargetOf(
  target: string,
  env: Record<string, string>,
): { arn: string; region: string; table: string } | { table: string; region: string } {
  const arn = STREAM_ARN.exec(target);
  if (arn) return { arn: target, region: arn[2]!, table: arn[4]! };
  if (TABLE_NAME.test(target)) return { table: target, region: regionOf(env) };
  throw new UserError(
    `dynamodb: ${quoted(target)} is not a stream ARN (arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>) or table name`,
  );
}

export async function runDynamoDbStreamSource(options: SourceOptions, timing: SourceTiming): Promise<void> {
  const target = streamTargetOf(options.target, options.env);
  const streams = new DynamoDBStreamsClient({ ...clientSettings(options.env, 'DYNAMODB_STREAMS'), region: target.region });
  const caller = new Caller('dynamodb', options.signal, options.log, timing);
  let streamArn: string;
  if ('arn' in target) streamArn = target.arn;
  else {
    try {
      const { Streams = [] } = await caller.call('ListStreams', timing.callGraceMs, (abortSignal) =>
        streams.send(new ListStreamsCommand({ TableName: target.table }), { abortSignal }),
      );
      // A table whose stream was turned off and on again has several: the newest label is its stream now.
      const newest = Streams.filter((s) => s.StreamArn).sort((a, b) => ((a.StreamLabel ?? '') < (b.StreamLabel ?? '') ? 1 : -1))[0];
      if (!newest)
        throw new UserError(`dynamodb: table ${quoted(target.table)} has no stream`, {
          hint: 'Turn its stream on (StreamSpecification), or pass the stream ARN with --source.',
        });
      streamArn = newest.StreamArn!;
    } catch (error) {
      streams.destroy();
      // Stopped while finding the stream: nothing was read, nothing to report.
      if (error instanceof Stopped) return;
      throw error;
    }
  }
  const api: StreamApi<StreamsRecord> = {
    prefix: 'dynamodb',
    label: `the stream of table ${target.table}`,
    getRecordsMax: GET_RECORDS_MAX,
    async listShards(call) {
      const shards: ShardInfo[] = [];
      let after: string | undefined;
      do {
        const { StreamDescription } = await call.call('DescribeStream', timing.callGraceMs, (abortSignal) =>
          streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ...(after ? { ExclusiveStartShardId: after } : {}) }), {
            abortSignal,
          }),
        );
        shards.push(...(StreamDescription?.Shards ?? []).map((s) => ({ id: s.ShardId!, parentId: s.ParentShardId })));
        after = StreamDescription?.LastEvaluatedShardId;
      } while (after);
      return shards;
    },
    async iterator(call, shardId, type, sequenceNumber) {
      if (type === 'AT_TIMESTAMP') throw new UserError('dynamodb: a DynamoDB stream is read from LATEST or TRIM_HORIZON, not AT_TIMESTAMP');
      const { ShardIterator } = await call.call('GetShardIterator', timing.callGraceMs, (abortSignal) =>
        streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: type,
            ...(sequenceNumber !== undefined ? { SequenceNumber: sequenceNumber } : {}),
          }),
          { abortSignal },
        ),
      );
      return ShardIterator;
    },
    async getRecords(call, iterator, limit) {
      const page = await call.call('GetRecords', timing.callGraceMs, (abortSignal) =>
        streams
          .send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), { abortSignal })
          .catch((error: unknown): typeof EXPIRED => {
            // An iterator lasts 15 minutes.
            if ((error as { name?: unknown }).name === 'ExpiredIteratorException') return EXPIRED;
            throw error;
          }),
      );
      return page === EXPIRED ? EXPIRED : { records: page.Records ?? [], next: page.NextShardIterator };
    },
    sequenceNumberOf: (record) => record.dynamodb?.SequenceNumber ?? '0',
    eventRecordOf: (record) => dynamoDbEventRecord(record, streamArn),
    destroy: () => streams.destroy(),
  };
  return runShardPoller(api, options, timing, caller);
}
