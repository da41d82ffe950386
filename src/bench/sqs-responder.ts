/**
 * The bench's zero-latency SQS: a loopback HTTP server that answers SendMessageBatch at once,
 * so a warm batch measures the function's own work, not a queue's. It speaks the AWS JSON 1.0
 * protocol (`X-Amz-Target: AmazonSQS.SendMessageBatch`), which the current SDKs use:
 * aws-sdk-sqs for Rust, @aws-sdk/client-sqs, boto3 >= 1.34. Older clients that speak the query
 * protocol are refused. Signatures are not checked.
 *
 * Its answers are what SQS answers: a MessageId and the MD5 of each body (the JS SDK checks it),
 * and the batch errors that would catch a function sending too many entries or duplicate ids.
 * For the tests it can keep what arrives, reject chosen entries, or fail whole requests.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedMessage {
  /** The entry's Id. */
  id: string;
  body: string;
  queueUrl: string;
  /** Which SendMessageBatch request brought it: 1 for the first this responder answered. */
  request: number;
}

/** A whole-request failure: 400 is not retried by the SDKs, 500 is (and then fails). */
export type RequestFailureStatus = 400 | 500;

export interface SqsResponderOptions {
  /** Keep every message that arrives, for received(). Default true; off for the least work. */
  record?: boolean;
  /** Entry ids answered in Failed (SenderFault, InvalidParameterValue) instead of Successful. */
  failIds?: Iterable<string>;
  /** Entry id → status: a request holding one of these ids fails whole, with a JSON error. */
  failRequests?: Iterable<[string, RequestFailureStatus]>;
}

export interface SqsResponder {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL. */
  endpoint: string;
  /** A queue URL on the endpoint; any URL is answered alike. */
  queueUrl: string;
  /** Every message accepted so far (when recording). */
  received(): ReceivedMessage[];
  /** The messages accepted since the last take, which are then forgotten. */
  takeReceived(): ReceivedMessage[];
  /** The ids that are rejected entry by entry; change them between invocations at will. */
  failIds: Set<string>;
  /** The ids whose requests fail whole, and how; change them at will. */
  failRequests: Map<string, RequestFailureStatus>;
  close(): Promise<void>;
}

interface BatchEntry {
  Id: string;
  MessageBody: string;
}

const TARGET = 'AmazonSQS.SendMessageBatch';
const JSON_1_0 = 'application/x-amz-json-1.0';

/** The error documents SQS sends, with the query-protocol code the SDKs map them back to. */
const ERRORS = {
  400: { type: 'com.amazonaws.sqs#QueueDoesNotExist', query: 'AWS.SimpleQueueService.NonExistentQueue;Sender', message: 'The specified queue does not exist.' },
  500: { type: 'com.amazonaws.sqs#InternalError', query: 'InternalError;Receiver', message: 'We encountered an internal error. Please try again.' },
} as const;

export async function startSqsResponder(options: SqsResponderOptions = {}): Promise<SqsResponder> {
  const record = options.record ?? true;
  const failIds = new Set(options.failIds);
  const failRequests = new Map(options.failRequests);
  let messages: ReceivedMessage[] = [];
  let requests = 0;

  function answer(res: ServerResponse, target: string | string[] | undefined, raw: string): void {
    if (target !== TARGET) return sendError(res, 400, 'com.amazonaws.sqs#UnsupportedOperation', `only ${TARGET} over AWS JSON 1.0 is served here`);
    let input: { QueueUrl?: string; Entries?: BatchEntry[] };
    try {
      input = JSON.parse(raw) as typeof input;
    } catch {
      return sendError(res, 400, 'SerializationException', 'the body is not JSON');
    }
    const entries = input.Entries ?? [];
    const problem = batchProblem(entries);
    if (problem) return sendError(res, 400, `com.amazonaws.sqs#${problem.code}`, problem.message);
    const status = failRequests.size > 0 ? entries.map((entry) => failRequests.get(entry.Id)).find(Boolean) : undefined;
    if (status) return sendError(res, status, ERRORS[status].type, ERRORS[status].message, ERRORS[status].query);

    const request = ++requests;
    const Successful = [];
    const Failed = [];
    for (const { Id, MessageBody } of entries) {
      if (failIds.has(Id)) {
        Failed.push({ Id, SenderFault: true, Code: 'InvalidParameterValue', Message: `entry ${Id} is rejected by the responder's failIds` });
        continue;
      }
      Successful.push({ Id, MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex') });
      if (record) messages.push({ id: Id, body: MessageBody, queueUrl: input.QueueUrl ?? '', request });
    }
    send(res, 200, JSON.stringify({ Successful, Failed }));
  }

  const server = createServer({ keepAlive: true }, (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => answer(res, req.headers['x-amz-target'], Buffer.concat(chunks).toString('utf8')));
  });
  // The SDKs keep their connections for the next batch: never close one under them.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    queueUrl: `${endpoint}/123456789012/churn-predictions`,
    received: () => [...messages],
    takeReceived: () => {
      const taken = messages;
      messages = [];
      return taken;
    },
    failIds,
    failRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What SQS itself refuses in a batch, as it names it. */
function batchProblem(entries: BatchEntry[]): { code: string; message: string } | undefined {
  if (entries.length === 0) return { code: 'EmptyBatchRequest', message: 'There should be at least one SendMessageBatchRequestEntry in the request.' };
  if (entries.length > 10) return { code: 'TooManyEntriesInBatchRequest', message: `Maximum number of entries per request are 10. You have sent ${entries.length}.` };
  if (new Set(entries.map((entry) => entry.Id)).size < entries.length) return { code: 'BatchEntryIdsNotDistinct', message: 'Two or more batch entries in the request have the same Id.' };
  return undefined;
}

function sendError(res: ServerResponse, status: number, type: string, message: string, queryError?: string): void {
  if (queryError) res.setHeader('x-amzn-query-error', queryError);
  send(res, status, JSON.stringify({ __type: type, message }));
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': JSON_1_0, 'Content-Length': Buffer.byteLength(body) }).end(body);
}
