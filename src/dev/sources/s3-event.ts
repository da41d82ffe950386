/**
 * The S3 event a bucket's notification sends for a new object
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
 * built from what ListObjectsV2 says of it.
 */

export interface ListedObject {
  key: string;
  size: number;
  /** As S3 lists it, in double quotes. */
  eTag: string;
  lastModified: Date;
}

/**
 * An object key as S3 writes it in an event: form-encoded, as Java's URLEncoder does (a space is
 * `+`; letters, digits and `.-*_` stay), except that `/` stays too. Handlers decode it with
 * `decodeURIComponent(key.replace(/\+/g, ' '))` (Rust: `form_urlencoded`), as AWS's examples do.
 */
export function s3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}

/** The key a handler reads back from an event's `s3.object.key`. */
export function keyFromS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/**
 * S3's sequencer orders the events of one key: a hexadecimal string compared after padding, so
 * fixed width. The object's time in milliseconds, then a counter for puts within the same one.
 */
export function s3Sequencer(lastModified: Date, counter: number): string {
  const time = Math.max(0, lastModified.getTime()).toString(16).toUpperCase().padStart(12, '0');
  return `${time}${(counter & 0xffff).toString(16).toUpperCase().padStart(4, '0')}`;
}

export function s3ObjectCreatedEvent(bucket: string, object: ListedObject, region: string, sequencer: string) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: object.lastModified.toISOString(),
        // ListObjectsV2 cannot tell a PUT from a POST or a copy; Put is the common case, and what `aws s3 cp` does.
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'lambda-kit-dev' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'lambda-kit-dev', 'x-amz-id-2': 'lambda-kit-dev' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'lambda-kit-dev',
          bucket: { name: bucket, ownerIdentity: { principalId: 'lambda-kit-dev' }, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: s3EventKey(object.key),
            size: object.size,
            // Events carry the ETag without the quotes that listings and headers put around it.
            eTag: object.eTag.replace(/^"|"$/g, ''),
            sequencer,
          },
        },
      },
    ],
  };
}
