/**
 * Lambda's SQS event source mapping, for `lambda-kit dev`: long-polls the queue, gathers up to
 * BatchSize messages within MaximumBatchingWindowInSeconds, invokes the function with the event
 * Lambda would send, then deletes what succeeded. A function error deletes nothing; with
 * ReportBatchItemFailures the listed messages stay, and SQS delivers them again once their
 * visibility timeout passes (so a message may be invoked more than once, as in Lambda).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { UserError } from '../../errors.js';
import { SYNC_EVENT_BYTES } from '../../project/events.js';
import { quoted, visible } from '../../text/terminal-text.js';
import { readBatchResponse } from './batch-response.js';
import { Caller, clientSettings, plural, regionOf, Stopped, type SourceOptions, type SourceTiming } from './source-runtime.js';
import { sqsEvent, sqsEventRecord } from './sqs-event.js';

/** SQS gives at most 10 messages per ReceiveMessage and takes at most 10 per DeleteMessageBatch. */
const SQS_MAX_PER_CALL = 10;
/** `{"Records":[]}` around the records. */
const EVENT_OVERHEAD_BYTES = 14;

interface Queue {
  url: string;
  arn: string;
  name: string;
  visibilityTimeoutSeconds: number;
}

/** `arn:aws:sqs:us-east-1:123456789012:orders` → its name and account, to ask SQS for its URL. */
function queueArnParts(arn: string): { name: string; account: string } | undefined {
  const match = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:(\d{12}):([A-Za-z0-9_.-]+)$/.exec(arn);
  return match ? { account: match[1]!, name: match[2]! } : undefined;
}

/**
 * The region a queue URL or ARN names (`https://sqs.eu-west-1.amazonaws.com/…`, the legacy
 * `https://eu-west-1.queue.amazonaws.com/…`, `arn:aws:sqs:eu-west-1:…`): requests are signed for
 * it. A stand-in's URL (http://127.0.0.1:5000/…) names none, and the environment's region is used.
 */
export function queueRegion(target: string): string | undefined {
  const arn = /^arn:aws[a-z-]*:sqs:([a-z0-9-]+):/.exec(target);
  if (arn) return arn[1];
  const host = /^https?:\/\/([^/:]+)/.exec(target)?.[1] ?? '';
  return (
    /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1] ??
    /^([a-z]{2}(?:-[a-z]+)+-\d)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1]
  );
}

async function findQueue(sqs: SQSClient, caller: Caller, target: string, timeoutMs: number): Promise<Queue> {
  let url = target;
  if (target.startsWith('arn:')) {
    const parts = queueArnParts(target);
    if (!parts) throw new UserError(`sqs: ${quoted(target)} is not a queue ARN (arn:aws:sqs:<region>:<account>:<name>)`);
    const found = await caller.call('GetQueueUrl', timeoutMs, (abortSignal) =>
      sqs.send(new GetQueueUrlCommand({ QueueName: parts.name, QueueOwnerAWSAccountId: parts.account }), { abortSignal }),
    );
    url = found.QueueUrl ?? '';
  } else if (!/^https?:\/\/[^/]+\/.+/.test(target)) {
    throw new UserError(`sqs: ${quoted(target)} is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>) or ARN`);
  }
  const { Attributes = {} } = await caller.call('GetQueueAttributes', timeoutMs, (abortSignal) =>
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }), { abortSignal }),
  );
  const arn = Attributes.QueueArn ?? '';
  return {
    url,
    arn,
    name: arn.split(':').at(-1) || url.split('/').at(-1)!,
    visibilityTimeoutSeconds: Number(Attributes.VisibilityTimeout ?? 30),
  };
}

/** The region the event names: the queue's own, as its ARN says. */
function eventRegion(queue: Queue, options: SourceOptions): string {
  return queueRegion(queue.arn) ?? queueRegion(options.target) ?? regionOf(options.env);
}

export async function runSqsSource(options: SourceOptions, timing: SourceTiming): Promise<void> {
  const { signal, log } = options;
  const sqs = new SQSClient({ ...clientSettings(options.env, 'SQS'), region: queueRegion(options.target) ?? regionOf(options.env) });
  const caller = new Caller('sqs', signal, log, timing);
  try {
    const queue = await findQueue(sqs, caller, options.target, timing.callGraceMs);
    const window = options.maximumBatchingWindowInSeconds;
    const failures = options.reportBatchItemFailures ? ', ReportBatchItemFailures' : '';
    log(`sqs: polling ${queue.name} (batch size ${options.batchSize}, batching window ${window} s${failures})`);
    while (!signal.aborted) {
      const batch = await gatherBatch(sqs, caller, queue, options, timing);
      if (batch.length > 0) await invokeAndSettle(sqs, caller, queue, batch, options, timing);
    }
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
  } finally {
    sqs.destroy();
  }
}

/**
 * Up to BatchSize messages: the first receive waits (long poll) for any; with a batching window,
 * receives go on until the batch is full or the window, counted from the first message, closes.
 */
async function gatherBatch(sqs: SQSClient, caller: Caller, queue: Queue, options: SourceOptions, timing: SourceTiming): Promise<Message[]> {
  const batch: Message[] = [];
  const region = eventRegion(queue, options);
  let bytes = EVENT_OVERHEAD_BYTES;
  let overflow: Message[] = [];
  let windowEnds = Number.POSITIVE_INFINITY;
  while (batch.length < options.batchSize && overflow.length === 0) {
    const left = windowEnds - Date.now();
    if (batch.length > 0 && left <= 0) break;
    const waitSeconds = batch.length === 0 ? timing.longPollSeconds : Math.min(timing.longPollSeconds, Math.ceil(left / 1000));
    const { Messages = [] } = await caller.call('ReceiveMessage', waitSeconds * 1000 + timing.callGraceMs, (abortSignal) =>
      sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(SQS_MAX_PER_CALL, options.batchSize - batch.length),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal },
      ),
    );
    if (batch.length === 0 && Messages.length > 0) windowEnds = Date.now() + options.maximumBatchingWindowInSeconds * 1000;
    for (const [index, message] of Messages.entries()) {
      // Lambda's synchronous invoke takes 6 MB: a batch ends before the message that would pass it.
      const size = Buffer.byteLength(JSON.stringify(sqsEventRecord(message, queue.arn, region))) + 1;
      if (batch.length > 0 && bytes + size > SYNC_EVENT_BYTES) {
        overflow = Messages.slice(index);
        break;
      }
      bytes += size;
      batch.push(message);
    }
    // Without a window, Lambda invokes with whatever one poll brought.
    if (batch.length > 0 && options.maximumBatchingWindowInSeconds === 0) break;
  }
  if (overflow.length > 0) await release(sqs, caller, queue, overflow, timing);
  return batch;
}

/** Messages received past the batch's limit go back to the queue at once, for the next batch, rather than after the visibility timeout. */
async function release(sqs: SQSClient, caller: Caller, queue: Queue, messages: Message[], timing: SourceTiming): Promise<void> {
  for (let start = 0; start < messages.length; start += SQS_MAX_PER_CALL) {
    const entries = messages
      .slice(start, start + SQS_MAX_PER_CALL)
      .map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '', VisibilityTimeout: 0 }));
    await caller.call('ChangeMessageVisibilityBatch', timing.callGraceMs, (abortSignal) =>
      sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queue.url, Entries: entries }), { abortSignal }),
    );
  }
}

async function invokeAndSettle(
  sqs: SQSClient,
  caller: Caller,
  queue: Queue,
  batch: Message[],
  options: SourceOptions,
  timing: SourceTiming,
): Promise<void> {
  const { log } = options;
  const event = sqsEvent(batch, queue.arn, eventRegion(queue, options));
  const ids = batch.map((m) => m.MessageId ?? '');
  const result = await options.invoke(event);
  const comesBack = `after the visibility timeout (${queue.visibilityTimeoutSeconds} s)`;
  const records = plural(batch.length, 'record');
  if (!result.ok) {
    log(`sqs: ${records}, function error (${visible(result.error, 200)}): deleted none; they come back ${comesBack}`);
    return;
  }
  let keep = new Set<string>();
  let why = '';
  if (options.reportBatchItemFailures) {
    const verdict = readBatchResponse(result.answer, ids);
    if (verdict.kind === 'whole-batch-failed') {
      log(`sqs: ${records}, all failed (${verdict.why}): deleted none; they come back ${comesBack}`);
      return;
    }
    if (verdict.kind === 'some-failed') {
      keep = new Set(verdict.failed);
      why = ' (batchItemFailures)';
    }
  }
  const done = batch.filter((m) => !keep.has(m.MessageId ?? ''));
  const notDeleted = await deleteMessages(sqs, caller, queue, done, timing);
  const kept = batch.length - done.length;
  const failedPart = `${kept} failed${why}`;
  const keptPart = kept > 0 ? `; kept ${kept}, which come${kept === 1 ? 's' : ''} back ${comesBack}` : '';
  const trouble =
    notDeleted.length > 0 ? `; ${notDeleted.length} could not be deleted (${visible(notDeleted[0]!, 120)}) and will come back` : '';
  log(`sqs: ${records}, ${failedPart}: deleted ${done.length - notDeleted.length}${keptPart}${trouble}`);
}

/** Deletes `messages` ten at a time; returns why each that could not be deleted was not. */
async function deleteMessages(sqs: SQSClient, caller: Caller, queue: Queue, messages: Message[], timing: SourceTiming): Promise<string[]> {
  const problems: string[] = [];
  for (let start = 0; start < messages.length; start += SQS_MAX_PER_CALL) {
    const chunk = messages.slice(start, start + SQS_MAX_PER_CALL);
    const entries = chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' }));
    const { Failed = [] } = await caller.call('DeleteMessageBatch', timing.callGraceMs, (abortSignal) =>
      sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: entries }), { abortSignal }),
    );
    problems.push(...Failed.map((f) => `${f.Code ?? 'error'}: ${f.Message ?? ''}`.trim()));
  }
  return problems;
}
