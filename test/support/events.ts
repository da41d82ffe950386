/**
 * Trigger events written for these tests from AWS's documented event shapes (Lambda developer
 * guide: "Using Lambda with Kinesis / SQS / S3 / API Gateway HTTP APIs"), built from readable
 * inputs: items in, the event Lambda would deliver out.
 */
import { createHash, randomUUID } from 'node:crypto';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

export interface Item {
  id: string;
  name: string;
  quantity: number;
}

/** A record body as a producer writes it: pretty, as people often do, not compact. */
export const itemJson = (item: Item) => JSON.stringify(item, null, 1);

/** What the SQS sink writes: compact JSON in field order. */
export const compactItem = (item: Item) => JSON.stringify({ id: item.id, name: item.name, quantity: item.quantity });

/**
 * A Kinesis batch from two shards of `stream`: one sequence number per record, increasing per
 * shard, base64 data, and on KMS-encrypted records `encryptionType: KMS`.
 */
export function kinesisEvent(stream: string, bodies: string[], options: { kms?: boolean } = {}) {
  const shardSequence = [
    49_656_137_785_113_834_791_012_395_183_927_532_475_812_392_011_442_536_450n,
    49_656_137_785_136_135_536_210_925_807_068_913_602_142_703_893_135_917_058n,
  ];
  return {
    Records: bodies.map((body, i) => {
      const shard = i % 2;
      const sequenceNumber = String(shardSequence[shard]! + BigInt(i) * 1_208_925_819_614_629_174_706_176n);
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: `customer-${(i * 7919) % 1000}`,
          sequenceNumber,
          data: Buffer.from(body).toString('base64'),
          // Seconds with millisecond precision, as Lambda writes them (at most 3 decimals).
          approximateArrivalTimestamp: (1_777_625_400_123 + i * 41) / 1000,
          ...(options.kms ? { encryptionType: 'KMS' } : {}),
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-00000000000${shard}:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/orders-AppFunctionRole-7XK2M9Q4B1ZP`,
        awsRegion: REGION,
        eventSourceARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${stream}`,
      };
    }),
  };
}

/** An SQS batch from a standard queue: message ids, receipt handles, attributes, MD5s. */
export function sqsEvent(queue: string, bodies: string[]) {
  return {
    Records: bodies.map((body, i) => ({
      messageId: randomUUID(),
      receiptHandle: `AQEB${Buffer.from(`${queue}/${i}/${randomUUID()}`).toString('base64')}`,
      body,
      attributes: {
        ApproximateReceiveCount: String(1 + (i % 3 === 2 ? 1 : 0)),
        SentTimestamp: String(1_777_625_400_000 + i * 137),
        SenderId: 'AROAIWPX5BD2BHG722MW4:orders-api',
        ApproximateFirstReceiveTimestamp: String(1_777_625_400_000 + i * 137 + 9),
      },
      messageAttributes:
        i % 2 === 0
          ? { channel: { stringValue: i === 0 ? 'web' : 'mobile', stringListValues: [], binaryListValues: [], dataType: 'String' } }
          : {},
      md5OfBody: createHash('md5').update(body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue}`,
      awsRegion: REGION,
    })),
  };
}

export interface S3Upload {
  /** The key as S3 sends it: URL-encoded, spaces as `+`. */
  key: string;
  size: number;
  eventName?: string;
  versionId?: string;
  eTag?: string;
}

/** An S3 "object created" notification with one record per upload. */
export function s3Event(bucket: string, uploads: S3Upload[]) {
  return {
    Records: uploads.map((upload, i) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: REGION,
      eventTime: new Date(Date.UTC(2026, 4, 1, 9, 30, i, 250)).toISOString(),
      eventName: upload.eventName ?? 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:AROAIWPX5BD2BHG722MW4:uploader' },
      requestParameters: { sourceIPAddress: '198.51.100.23' },
      responseElements: {
        'x-amz-request-id': `8C2F1A${i}B7D3E4F5A6`,
        'x-amz-id-2': 'vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=',
      },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'AppFunctionObjectCreated',
        bucket: { name: bucket, ownerIdentity: { principalId: 'A3I5XTEXAMAI3E' }, arn: `arn:aws:s3:::${bucket}` },
        object: {
          key: upload.key,
          size: upload.size,
          ...(upload.eTag ? { eTag: upload.eTag } : {}),
          ...(upload.versionId ? { versionId: upload.versionId } : {}),
          sequencer: `0A1B2C3D4E5F6789${i}`,
        },
      },
    })),
  };
}

/** An HTTP API (payload 2.0) request: `POST /items` signed with SigV4 by an IAM user. */
export function httpApiEvent(body: string, options: { method?: string; base64?: boolean } = {}) {
  const method = options.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: `${method} /items`,
    rawPath: '/items',
    rawQueryString: 'source=pos&store=42',
    cookies: ['session=opaque-9f8e7d'],
    headers: {
      accept: 'application/json',
      'accept-encoding': 'gzip, deflate',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260501/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
      'content-length': String(Buffer.byteLength(body)),
      'content-type': 'application/json; charset=utf-8',
      host: 'k2x9d7w1qa.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'pos-terminal/4.2 (store 42)',
      'x-amz-date': '20260501T093000Z',
      'x-amzn-trace-id': 'Root=1-6814f0a8-4c1b2a3d5e6f708192a3b4c5',
      'x-forwarded-for': '198.51.100.23',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    queryStringParameters: { source: 'pos', store: '42' },
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'k2x9d7w1qa',
      authorizer: {
        iam: {
          accessKey: 'AKIAIOSFODNN7EXAMPLE',
          accountId: ACCOUNT,
          callerId: 'AIDAJQABLZS4A3QDU576Q',
          cognitoIdentity: null,
          principalOrgId: 'o-a1b2c3d4e5',
          userArn: `arn:aws:iam::${ACCOUNT}:user/pos-terminal-42`,
          userId: 'AIDAJQABLZS4A3QDU576Q',
        },
      },
      domainName: 'k2x9d7w1qa.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'k2x9d7w1qa',
      http: { method, path: '/items', protocol: 'HTTP/1.1', sourceIp: '198.51.100.23', userAgent: 'pos-terminal/4.2 (store 42)' },
      requestId: 'Kp3vTjLhoAMEbXw=',
      routeKey: `${method} /items`,
      stage: '$default',
      time: '01/May/2026:09:30:00 +0000',
      timeEpoch: 1_777_627_800_000,
    },
    body: options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: Boolean(options.base64),
  };
}
