/**
 * The bench's zero-latency SQS: a loopback HTTP server that answers SendMessageBatch at once,
 * so a warm batch measures the function's own work, not a queue's. It speaks the AWS JSON 1.0
 * protocol (`X-Amz-Target: AmazonSQS.SendMessageBatch`), which the current SDKs use:
 * aws-sdk-sqs for Rust, @aws-sdk/client-sqs, boto3 >= 1.34. Older clients that speak the query
 * protocol are refused. Signatures are not checked.
 *
 * Its answers are what SQS answers: a MessageId and the MD5 of each body (the JS SDK checks it),
 * and the batch errors that would catch a function sending too many entries or duplicate ids.
 * For the tests it can keep what arrives, reject chosen entries (for good, or the first few
 * times), or fail whole requests, and count each entry's arrivals.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';

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
  /**
   * Entry id → n: the entry's first n arrivals are answered in Failed as the service's fault
   * (SenderFault false, InternalError), as SQS answers when throttled; later ones succeed.
   */
  flakyIds?: Iterable<[string, number]>;
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
  /** How many times each entry id arrived, in any request, failed or not. */
  arrivals(): Map<string, number>;
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
  400: {
    type: 'com.amazonaws.sqs#QueueDoesNotExist',
    query: 'AWS.SimpleQueueService.NonExistentQueue;Sender',
    message: 'The specified queue does not exist.',
  },
  500: {
    type: 'com.amazonaws.sqs#InternalError',
    query: 'InternalError;Receiver',
    message: 'We encountered an internal error. Please try again.',
  },
} as const;

export async function startSqsResponder(options: SqsResponderOptions = {}): Promise<SqsResponder> {
  const record = options.record ?? true;
  const failIds = new Set(options.failIds);
  const failRequests = new Map(options.failRequests);
  const flakyIds = new Map(options.flakyIds);
  const arrivals = new Map<string, number>();
  let messages: ReceivedMessage[] = [];
  let requests = 0;

  /** The response to one request: status and JSON body. */
  function answer(target: string | undefined, raw: string): [number, string, string?] {
    if (target !== TARGET)
      return errorAnswer(400, 'com.amazonaws.sqs#UnsupportedOperation', `only ${TARGET} over AWS JSON 1.0 is served here`);
    let input: { QueueUrl?: string; Entries?: BatchEntry[] };
    try {
      input = JSON.parse(raw) as typeof input;
    } catch {
      return errorAnswer(400, 'SerializationException', 'the body is not JSON');
    }
    const entries = input.Entries ?? [];
    const problem = batchProblem(entries);
    if (problem) return errorAnswer(400, `com.amazonaws.sqs#${problem.code}`, problem.message);
    for (const { Id } of entries) arrivals.set(Id, (arrivals.get(Id) ?? 0) + 1);
    const status = failRequests.size > 0 ? entries.map((entry) => failRequests.get(entry.Id)).find(Boolean) : undefined;
    if (status) return errorAnswer(status, ERRORS[status].type, ERRORS[status].message, ERRORS[status].query);

    const request = ++requests;
    const Successful = [];
    const Failed = [];
    for (const { Id, MessageBody } of entries) {
      if (failIds.has(Id)) {
        Failed.push({
          Id,
          SenderFault: true,
          Code: 'InvalidParameterValue',
          Message: `entry ${Id} is rejected by the responder's failIds`,
        });
        continue;
      }
      if ((arrivals.get(Id) ?? 0) <= (flakyIds.get(Id) ?? 0)) {
        Failed.push({ Id, SenderFault: false, Code: 'InternalError', Message: `entry ${Id} is refused by the responder's flakyIds` });
        continue;
      }
      Successful.push({ Id, MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex') });
      if (record) messages.push({ id: Id, body: MessageBody, queueUrl: input.QueueUrl ?? '', request });
    }
    return [200, JSON.stringify({ Successful, Failed })];
  }

  // HTTP/1.1 by hand over a socket: node:http's own work per request (some 100 µs) would be
  // the biggest cost of a warm Rust batch, on the same CPUs as the function.
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        const request = nextRequest(buffered);
        if (request === 'incomplete') return;
        if (request === 'malformed') {
          socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          return;
        }
        buffered = buffered.subarray(request.length);
        const [status, body, queryError] = answer(request.target, request.body);
        socket.write(
          `HTTP/1.1 ${status} ${status === 200 ? 'OK' : status === 400 ? 'Bad Request' : 'Internal Server Error'}\r\n` +
            `Content-Type: ${JSON_1_0}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
            `x-amzn-RequestId: ${randomUUID()}\r\n${queryError ? `x-amzn-query-error: ${queryError}\r\n` : ''}\r\n${body}`,
        );
      }
    });
    socket.on('error', () => socket.destroy());
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
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
    arrivals: () => new Map(arrivals),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** What SQS itself refuses in a batch, as it names it. */
function batchProblem(entries: BatchEntry[]): { code: string; message: string } | undefined {
  if (entries.length === 0)
    return { code: 'EmptyBatchRequest', message: 'There should be at least one SendMessageBatchRequestEntry in the request.' };
  if (entries.length > 10)
    return {
      code: 'TooManyEntriesInBatchRequest',
      message: `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
    };
  if (new Set(entries.map((entry) => entry.Id)).size < entries.length)
    return { code: 'BatchEntryIdsNotDistinct', message: 'Two or more batch entries in the request have the same Id.' };
  return undefined;
}

function errorAnswer(status: number, type: string, message: string, queryError?: string): [number, string, string?] {
  return [status, JSON.stringify({ __type: type, message }), queryError];
}

interface ParsedRequest {
  /** Bytes the request took in the buffer, head and body. */
  length: number;
  target: string | undefined;
  body: string;
}

/** The first whole request in `buffer`, as the SDKs send them: a Content-Length body, no chunking. */
export function nextRequest(buffer: Buffer): ParsedRequest | 'incomplete' | 'malformed' {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd < 0) return buffer.length > 65_536 ? 'malformed' : 'incomplete';
  const head = buffer.toString('latin1', 0, headEnd);
  let contentLength = 0;
  let target: string | undefined;
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') contentLength = Number(value);
    else if (name === 'x-amz-target') target = value;
    else if (name === 'transfer-encoding' && value.toLowerCase() !== 'identity') return 'malformed';
  }
  if (!Number.isSafeInteger(contentLength) || contentLength < 0) return 'malformed';
  const length = headEnd + 4 + contentLength;
  if (buffer.length < length) return 'incomplete';
  return { length, target, body: buffer.toString('utf8', headEnd + 4, length) };
}
