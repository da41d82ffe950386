/**
 * The Kinesis event Lambda's event source mapping sends, built from GetRecords' records, as
 * Lambda builds it (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html): the data
 * in base64, the arrival time in epoch seconds, and `shardId:sequenceNumber` as the event id.
 */
import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';

export interface KinesisEventRecord {
  kinesis: {
    kinesisSchemaVersion: '1.0';
    partitionKey: string;
    sequenceNumber: string;
    data: string;
    approximateArrivalTimestamp: number;
  };
  eventSource: 'aws:kinesis';
  eventVersion: '1.0';
  eventID: string;
  eventName: 'aws:kinesis:record';
  invokeIdentityArn: string;
  awsRegion: string;
  eventSourceARN: string;
}

/** Where a stream's records come from, as each record of the event names it. */
export interface StreamOrigin {
  streamArn: string;
  shardId: string;
  region: string;
  /** The role Lambda would assume; dev runs as the caller's credentials, so this names no real role. */
  invokeIdentityArn: string;
}

export function kinesisEventRecord(record: KinesisRecord, origin: StreamOrigin): KinesisEventRecord {
  const sequenceNumber = record.SequenceNumber ?? '';
  const arrival = record.ApproximateArrivalTimestamp?.getTime() ?? 0;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      // Lambda's epoch seconds, with the milliseconds as a fraction (1545084650.987).
      approximateArrivalTimestamp: arrival / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${origin.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: origin.invokeIdentityArn,
    awsRegion: origin.region,
    eventSourceARN: origin.streamArn,
  };
}

/** Kinesis (and DynamoDB Streams) sequence numbers are decimal strings of up to 128 digits: compared as numbers, not as text. */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
