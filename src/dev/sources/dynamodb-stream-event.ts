/**
 * The DynamoDB Streams event Lambda's event source mapping sends, built from GetRecords'
 * records as Lambda builds it (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html):
 * each record as the stream gave it, its attribute values in DynamoDB's typed JSON (binary as
 * base64), the creation time in epoch seconds, and the stream's ARN added as eventSourceARN.
 * aws_lambda_events' `dynamodb::Event`, which generated handlers decode, reads exactly this.
 */
import type { AttributeValue, _Record as StreamsRecord } from '@aws-sdk/client-dynamodb-streams';

/** An attribute value as JSON: {"S": "…"}, {"N": "3"}, {"B": "<base64>"}, {"M": {…}}, … */
export type AttributeJson = Record<string, unknown>;

export interface DynamoDbEventRecord {
  eventID: string;
  eventName: string;
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime?: number;
    Keys?: Record<string, AttributeJson>;
    NewImage?: Record<string, AttributeJson>;
    OldImage?: Record<string, AttributeJson>;
    SequenceNumber: string;
    SizeBytes?: number;
    StreamViewType?: string;
  };
  /** Only for items deleted by DynamoDB's time to live: {type: Service, principalId: dynamodb.amazonaws.com}. */
  userIdentity?: { type: string; principalId: string };
  eventSourceARN: string;
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** The SDK's attribute value (binary as bytes) back to the wire's JSON (binary as base64), as Lambda passes it on. */
export function attributeJson(value: AttributeValue): AttributeJson {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: attributesJson(value.M) };
  if (value.L !== undefined) return { L: value.L.map(attributeJson) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  // A type newer than this SDK: passed on as the SDK kept it.
  const [name, raw] = value.$unknown ?? ['NULL', true];
  return { [name]: raw };
}

export function attributesJson(item: Record<string, AttributeValue>): Record<string, AttributeJson> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, attributeJson(value)]));
}

export function dynamoDbEventRecord(record: StreamsRecord, streamArn: string): DynamoDbEventRecord {
  const change = record.dynamodb ?? {};
  const created = change.ApproximateCreationDateTime;
  return {
    eventID: record.eventID ?? '',
    eventName: record.eventName ?? '',
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: record.eventSource ?? 'aws:dynamodb',
    awsRegion: record.awsRegion ?? '',
    dynamodb: {
      // The stream gives whole seconds (rounded down), and Lambda passes them on as a number.
      ...(created !== undefined && { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) }),
      ...(change.Keys && { Keys: attributesJson(change.Keys) }),
      ...(change.NewImage && { NewImage: attributesJson(change.NewImage) }),
      ...(change.OldImage && { OldImage: attributesJson(change.OldImage) }),
      SequenceNumber: change.SequenceNumber ?? '',
      ...(change.SizeBytes !== undefined && { SizeBytes: change.SizeBytes }),
      ...(change.StreamViewType !== undefined && { StreamViewType: change.StreamViewType }),
    },
    ...(record.userIdentity?.Type !== undefined && {
      userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId ?? '' },
    }),
    eventSourceARN: streamArn,
  };
}
