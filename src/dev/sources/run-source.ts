/**
 * `lambda-kit dev`'s event source mappings: runSource polls a queue, a stream (Kinesis, DynamoDB) or a bucket on the
 * function's endpoint and invokes the function as Lambda would, until its signal aborts.
 */
import { usageError } from '../../errors.js';
import { DEFAULT_TIMING, type SourceOptions } from './source-runtime.js';

export type { InvokeResult, SourceOptions } from './source-runtime.js';

/** Lambda's ranges for a mapping's settings: a mapping outside them is refused by the API. */
const BATCH_SIZE_MAX = 10_000;
const WINDOW_MAX_SECONDS = 300;

function checkOptions(options: SourceOptions): void {
  const { batchSize, maximumBatchingWindowInSeconds: window } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > BATCH_SIZE_MAX) {
    throw usageError(`${options.kind}: the batch size must be a whole number from 1 to ${BATCH_SIZE_MAX}, not ${batchSize}`);
  }
  if (!Number.isInteger(window) || window < 0 || window > WINDOW_MAX_SECONDS) {
    throw usageError(
      `${options.kind}: the batching window must be a whole number of seconds from 0 to ${WINDOW_MAX_SECONDS}, not ${window}`,
    );
  }
  // Lambda's own rule: more than 10 messages need a window to gather them in.
  if (options.kind === 'sqs' && batchSize > 10 && window === 0) {
    throw usageError(`sqs: a batch size over 10 (${batchSize}) needs a batching window of at least 1 second, as Lambda requires`);
  }
}

/**
 * Polls until `options.signal` aborts, then resolves. Rejects only with a UserError, for what
 * retrying cannot mend: a queue, stream or bucket that does not exist, or refused credentials.
 */
export async function runSource(options: SourceOptions): Promise<void> {
  checkOptions(options);
  const timing = { ...DEFAULT_TIMING, ...options.timing };
  // Each kind loads its own AWS SDK client only: the S3 client alone takes a while to load.
  switch (options.kind) {
    case 'sqs':
      return (await import('./sqs-source.js')).runSqsSource(options, timing);
    case 'kinesis':
      return (await import('./kinesis-source.js')).runKinesisSource(options, timing);
    case 'dynamodb':
      return (await import('./dynamodb-stream-source.js')).runDynamoDbStreamSource(options, timing);
    case 's3':
      return (await import('./s3-source.js')).runS3Source(options, timing);
    default:
      throw usageError(`lambda-kit dev cannot poll ${String((options as { kind: unknown }).kind)} sources`);
  }
}
