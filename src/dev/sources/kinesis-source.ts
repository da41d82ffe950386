/**
 * Lambda's Kinesis event source mapping, for `lambda-kit dev`: the Kinesis calls and records
 * under the shard poller (stream-shards.ts), which reads, batches, retries and bisects.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { UserError } from '../../errors.js';
import { quoted } from '../../text/terminal-text.js';
import { kinesisEventRecord, type StreamOrigin } from './kinesis-event.js';
import { Caller, clientSettings, regionOf, type SourceOptions, type SourceTiming } from './source-runtime.js';
import { EXPIRED, runShardPoller, type ShardInfo, type StreamApi } from './stream-shards.js';

/** GetRecords returns at most 10,000 records a call. */
const GET_RECORDS_MAX = 10_000;

interface Stream {
  name: string;
  arn: string;
  region: string;
  account: string;
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
  const stream = streamOf(options.target, options.env);
  // The Kinesis client speaks HTTP/2 by default, for SubscribeToShard; polling needs HTTP/1.1, which moto and LocalStack speak.
  const kinesis = new KinesisClient({
    ...clientSettings(options.env, 'KINESIS'),
    region: stream.region,
    requestHandler: new NodeHttpHandler(),
  });
  const origin = (shardId: string): StreamOrigin => ({
    streamArn: stream.arn,
    shardId,
    region: stream.region,
    invokeIdentityArn: `arn:aws:iam::${stream.account}:role/lambda-kit-dev`,
  });
  const api: StreamApi<KinesisRecord> = {
    prefix: 'kinesis',
    label: stream.name,
    getRecordsMax: GET_RECORDS_MAX,
    async listShards(caller) {
      const shards: ShardInfo[] = [];
      let nextToken: string | undefined;
      do {
        const page = await caller.call('ListShards', timing.callGraceMs, (abortSignal) =>
          kinesis.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: stream.name }), { abortSignal }),
        );
        shards.push(...(page.Shards ?? []).map((s) => ({ id: s.ShardId!, parentId: s.ParentShardId })));
        nextToken = page.NextToken;
      } while (nextToken);
      return shards;
    },
    async iterator(caller, shardId, type, sequenceNumber) {
      const timestamp = type === 'AT_TIMESTAMP' ? new Date((options.startingPositionTimestamp ?? 0) * 1000) : undefined;
      const { ShardIterator } = await caller.call('GetShardIterator', timing.callGraceMs, (abortSignal) =>
        kinesis.send(
          new GetShardIteratorCommand({
            StreamName: stream.name,
            ShardId: shardId,
            ShardIteratorType: type as ShardIteratorType,
            ...(sequenceNumber !== undefined ? { StartingSequenceNumber: sequenceNumber } : {}),
            ...(timestamp ? { Timestamp: timestamp } : {}),
          }),
          { abortSignal },
        ),
      );
      return ShardIterator;
    },
    async getRecords(caller, iterator, limit) {
      const page = await caller.call('GetRecords', timing.callGraceMs, (abortSignal) =>
        kinesis
          .send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), { abortSignal })
          .catch((error: unknown): typeof EXPIRED => {
            if ((error as { name?: unknown }).name === 'ExpiredIteratorException') return EXPIRED;
            throw error;
          }),
      );
      return page === EXPIRED ? EXPIRED : { records: page.Records ?? [], next: page.NextShardIterator };
    },
    sequenceNumberOf: (record) => record.SequenceNumber!,
    eventRecordOf: (record, shardId) => kinesisEventRecord(record, origin(shardId)),
    destroy: () => kinesis.destroy(),
  };
  return runShardPoller(api, options, timing, new Caller('kinesis', options.signal, options.log, timing));
}
