/**
 * A local stand-in for the few AWS calls the generated functions make, for a first local invoke
 * with no stack deployed: `lambda-kit invoke` points the function's AWS_ENDPOINT_URL here, and
 * each call is answered as the real service answers it, recorded, and never sent anywhere.
 *
 * It answers DynamoDB PutItem (with the conditions the generated sink writes with, checked
 * against what this run recorded before), SQS SendMessage and SendMessageBatch, in the awsJson1_0
 * protocol both speak (X-Amz-Target names the operation). Any other call gets the error answer the
 * SDK surfaces (`UnknownOperationException`), so the function fails loudly rather than seeming to
 * work. The answers are a pure function (`answerAwsCall`); only `RecordingAws` holds a socket.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nestingDepth } from '../text/json-text.js';
import { showable, showableLine } from '../text/terminal-text.js';

/** The largest request body read: AWS's own limits are below it (an SQS batch takes 1 MiB, a DynamoDB item 400 KB). */
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
/** Deeper JSON than DynamoDB's 32 levels of nested attributes is no request of theirs. */
const MAX_DEPTH = 64;
/** How much of one item or message a recorded line shows. */
const SHOWN_CHARS = 300;
/** The account id in placeholder queue URLs and ARNs: none of the user's. */
export const PLACEHOLDER_ACCOUNT = '000000000000';

export interface RecordedCall {
  /** `dynamodb PutItem ResultsTable {"id":"A-1001",…}`: one line, safe to print. */
  text: string;
  /** False when the call got an error answer (an unknown operation, a malformed request, a refused condition). */
  answered: boolean;
}

export interface AwsAnswer {
  status: number;
  body: string;
  /** The service's error code, sent in `x-amzn-query-error` too for SQS's query-compatible clients. */
  errorCode?: string;
  call: RecordedCall;
}

/** What PutItem calls stored, per table and id, so that a condition is checked as DynamoDB would. */
export type RecordedTables = Map<string, Map<string, Record<string, unknown>>>;

const DYNAMODB_PREFIX = 'DynamoDB_20120810.';
const SQS_PREFIX = 'AmazonSQS.';

/**
 * The answer to one request: `target` is its X-Amz-Target header, `body` its bytes. Never throws;
 * whatever comes in, the answer is a status, an awsJson body and one printable line.
 */
export function answerAwsCall(target: string | undefined, body: Buffer, tables: RecordedTables): AwsAnswer {
  const operation = target ?? '';
  const service = operation.startsWith(DYNAMODB_PREFIX) ? 'dynamodb' : operation.startsWith(SQS_PREFIX) ? 'sqs' : undefined;
  const name = service ? operation.slice(operation.indexOf('.') + 1) : operation;
  const shownCall = service
    ? `${service} ${showable(name)}`
    : target === undefined
      ? 'a request without X-Amz-Target'
      : `X-Amz-Target ${showableLine(target, 80)}`;
  if (
    service === undefined ||
    !['PutItem', 'SendMessage', 'SendMessageBatch'].includes(name) ||
    (service === 'dynamodb') !== (name === 'PutItem')
  ) {
    return refuse(
      400,
      'UnknownOperationException',
      `lambda-kit answers only DynamoDB PutItem and SQS SendMessage and SendMessageBatch locally, not ${shownCall}`,
      `${shownCall}: not answered locally (only PutItem, SendMessage and SendMessageBatch are)`,
    );
  }
  const input = parseInput(body);
  if (typeof input === 'string') return refuse(400, 'SerializationException', input, `${shownCall}: ${input}`);
  if (name === 'PutItem') return putItem(input, tables);
  if (name === 'SendMessage') return sendMessage(input);
  return sendMessageBatch(input);
}

function parseInput(body: Buffer): Record<string, unknown> | string {
  const text = body.toString('utf8');
  if (nestingDepth(text) > MAX_DEPTH) return `the request nests more than ${MAX_DEPTH} levels deep`;
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    return 'the request body is not JSON';
  }
  return typeof input === 'object' && input !== null && !Array.isArray(input)
    ? (input as Record<string, unknown>)
    : 'the request body is not a JSON object';
}

function refuse(status: number, code: string, message: string, line: string): AwsAnswer {
  return {
    status,
    body: JSON.stringify({ __type: code, message }),
    errorCode: code,
    call: { text: showableLine(line, 400), answered: false },
  };
}

function shortened(text: string): string {
  return showableLine(text, SHOWN_CHARS);
}

// ---------------------------------------------------------------------------------------------
// DynamoDB

function putItem(input: Record<string, unknown>, tables: RecordedTables): AwsAnswer {
  const table = typeof input.TableName === 'string' ? input.TableName : undefined;
  const item = plainItem(input.Item);
  if (!table || item === undefined) {
    const message = !table ? 'TableName is required' : 'Item must be a map of attribute values';
    return refuse(400, 'ValidationException', message, `dynamodb PutItem: ${message}`);
  }
  const shown = `dynamodb PutItem ${shortened(table)} ${shortened(JSON.stringify(inReadingOrder(item)))}`;
  const key = typeof item.id === 'string' ? item.id : JSON.stringify(item);
  const rows = tables.get(table) ?? new Map<string, Record<string, unknown>>();
  const condition = typeof input.ConditionExpression === 'string' ? input.ConditionExpression : undefined;
  const verdict = condition === undefined ? 'met' : checkCondition(condition, input, rows.get(key));
  if (verdict === 'failed') {
    const answer = refuse(400, 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', 'The conditional request failed', '');
    return {
      ...answer,
      call: { text: `${shown} refused: its condition failed against an item recorded earlier in this run`, answered: false },
    };
  }
  rows.set(key, item);
  tables.set(table, rows);
  const note = verdict === 'unchecked' ? ' (its condition is not checked locally)' : '';
  return { status: 200, body: '{}', call: { text: `${shown}${note}`, answered: true } };
}

/** The item with `id` first and the rest by name: DynamoDB keeps no order, and the SDK sends a hash map's. */
function inReadingOrder(item: Record<string, unknown>): Record<string, unknown> {
  const names = Object.keys(item).sort((a, b) => (a === 'id' ? -1 : b === 'id' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(names.map((name) => [name, item[name]]));
}

/**
 * The two conditions the generated DynamoDB sink writes with, checked against the item this run
 * stored under the same id: `attribute_not_exists(id)`, and `attribute_not_exists(#v) OR #v < :v`.
 */
function checkCondition(
  condition: string,
  input: Record<string, unknown>,
  stored: Record<string, unknown> | undefined,
): 'met' | 'failed' | 'unchecked' {
  const names = (typeof input.ExpressionAttributeNames === 'object' && input.ExpressionAttributeNames) || {};
  const values = plainItem(input.ExpressionAttributeValues) ?? {};
  const nameOf = (token: string) => (token.startsWith('#') ? (names as Record<string, unknown>)[token] : token);
  const first = /^\s*attribute_not_exists\s*\(\s*(#?\w+)\s*\)\s*$/.exec(condition);
  if (first) return stored === undefined || !(String(nameOf(first[1]!)) in stored) ? 'met' : 'failed';
  const ordered = /^\s*attribute_not_exists\s*\(\s*(#?\w+)\s*\)\s+OR\s+(#?\w+)\s*<\s*(:\w+)\s*$/i.exec(condition);
  if (ordered && ordered[1] === ordered[2]) {
    const attribute = String(nameOf(ordered[1]!));
    const current = stored?.[attribute];
    if (current === undefined) return 'met';
    const next = values[ordered[3]!];
    return typeof current === 'string' && typeof next === 'string' && current < next ? 'met' : 'failed';
  }
  return 'unchecked';
}

/** DynamoDB's attribute values as plain JSON (`{"S":"x"}` → `"x"`), for reading; undefined if `value` is no map of them. */
function plainItem(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const plain: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(value)) {
    const converted = plainAttribute(attribute);
    if (converted === INVALID) return undefined;
    plain[name] = converted;
  }
  return plain;
}

const INVALID = Symbol('invalid');

function plainAttribute(attribute: unknown): unknown {
  if (typeof attribute !== 'object' || attribute === null || Array.isArray(attribute)) return INVALID;
  const entries = Object.entries(attribute);
  if (entries.length !== 1) return INVALID;
  const [type, value] = entries[0]!;
  switch (type) {
    case 'S':
    case 'B':
      return typeof value === 'string' ? value : INVALID;
    case 'N': {
      // Shown as a JSON number; only the line shows it, so a digit lost beyond a double's precision harms nothing.
      const number = typeof value === 'string' ? Number(value) : Number.NaN;
      return Number.isFinite(number) ? number : INVALID;
    }
    case 'BOOL':
      return typeof value === 'boolean' ? value : INVALID;
    case 'NULL':
      return value === true ? null : INVALID;
    case 'SS':
    case 'NS':
    case 'BS':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : INVALID;
    case 'L': {
      if (!Array.isArray(value)) return INVALID;
      const list = value.map(plainAttribute);
      return list.includes(INVALID) ? INVALID : list;
    }
    case 'M':
      return plainItem(value) ?? INVALID;
    default:
      return INVALID;
  }
}

// ---------------------------------------------------------------------------------------------
// SQS

/** The queue's name: the last part of its URL, which is what a queue URL ends with. */
function queueName(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1) || url;
}

/** What SQS accepts in a body: XML 1.0's characters (no other control characters, no lone surrogates). */
const SQS_BODY = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]+$/u;

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function sendMessage(input: Record<string, unknown>): AwsAnswer {
  const url = typeof input.QueueUrl === 'string' ? input.QueueUrl : undefined;
  const body = typeof input.MessageBody === 'string' ? input.MessageBody : undefined;
  if (!url) return refuse(400, 'MissingParameter', 'The request must contain the parameter QueueUrl.', 'sqs SendMessage: no QueueUrl');
  const shown = `sqs SendMessage ${shortened(queueName(url))}`;
  if (!body || !SQS_BODY.test(body)) {
    const message = body ? 'Invalid characters found in the message body.' : 'The request must contain the parameter MessageBody.';
    const answer = refuse(400, body ? 'InvalidMessageContents' : 'MissingParameter', message, '');
    return { ...answer, call: { text: `${shown} refused: ${message}`, answered: false } };
  }
  return {
    status: 200,
    body: JSON.stringify({ MD5OfMessageBody: md5(body), MessageId: randomUUID() }),
    call: { text: `${shown} ${shortened(body)}`, answered: true },
  };
}

function sendMessageBatch(input: Record<string, unknown>): AwsAnswer {
  const url = typeof input.QueueUrl === 'string' ? input.QueueUrl : undefined;
  if (!url) return refuse(400, 'MissingParameter', 'The request must contain the parameter QueueUrl.', 'sqs SendMessageBatch: no QueueUrl');
  const shown = `sqs SendMessageBatch ${shortened(queueName(url))}`;
  const entries = Array.isArray(input.Entries) ? (input.Entries as unknown[]) : [];
  const refusal = (code: string, message: string) => ({
    ...refuse(400, code, message, ''),
    call: { text: `${shown} refused: ${message}`, answered: false },
  });
  if (entries.length === 0) return refusal('EmptyBatchRequest', 'The batch request does not contain any entries.');
  if (entries.length > 10)
    return refusal('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  const ids = entries.map((entry) => (typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).Id : undefined));
  if (ids.some((id) => typeof id !== 'string' || !/^[\w-]{1,80}$/.test(id)))
    return refusal(
      'InvalidBatchEntryId',
      'A batch entry id can only contain alphanumeric characters, hyphens and underscores, 1 to 80 of them.',
    );
  if (new Set(ids).size !== ids.length)
    return refusal('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');

  const successful: unknown[] = [];
  const failed: unknown[] = [];
  const bodies: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const body = (entry as Record<string, unknown>).MessageBody;
    if (typeof body === 'string' && SQS_BODY.test(body)) {
      successful.push({ Id: ids[index], MessageId: randomUUID(), MD5OfMessageBody: md5(body) });
      bodies.push(shortened(body));
    } else {
      failed.push({
        Id: ids[index],
        SenderFault: true,
        Code: 'InvalidMessageContents',
        Message: 'Invalid characters found in the message body, or none.',
      });
    }
  }
  const count = `${successful.length} message${successful.length === 1 ? '' : 's'}`;
  const refused = failed.length ? ` (${failed.length} refused: invalid or empty body)` : '';
  return {
    status: 200,
    body: JSON.stringify({ Successful: successful, Failed: failed }),
    call: { text: `${shown} ${count}${refused}${bodies.length ? `: ${bodies.join(' | ')}` : ''}`, answered: failed.length === 0 },
  };
}

// ---------------------------------------------------------------------------------------------
// The endpoint

export interface RecordingAwsOptions {
  /** Each call, as it is answered. */
  onCall?: (call: RecordedCall) => void;
  maxRequestBytes?: number;
}

export class RecordingAws {
  readonly calls: RecordedCall[] = [];
  /** The URL to set as the function's AWS_ENDPOINT_URL. */
  endpoint = '';
  readonly #server: Server;
  readonly #tables: RecordedTables = new Map();
  readonly #options: RecordingAwsOptions;

  private constructor(server: Server, options: RecordingAwsOptions) {
    this.#server = server;
    this.#options = options;
  }

  /** Listens on a random loopback port. */
  static async start(options: RecordingAwsOptions = {}): Promise<RecordingAws> {
    const server = createServer();
    const recorder = new RecordingAws(server, options);
    server.on('request', (request, response) => recorder.#serve(request, response));
    // A client that connects and never finishes its request must not hold the run open.
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    recorder.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return recorder;
  }

  /** A queue URL on this endpoint, for a placeholder: SQS calls name their queue by it. */
  queueUrl(name: string): string {
    return `${this.endpoint}/${PLACEHOLDER_ACCOUNT}/${name}`;
  }

  #record(call: RecordedCall): void {
    this.calls.push(call);
    this.#options.onCall?.(call);
  }

  #serve(request: IncomingMessage, response: ServerResponse): void {
    const limit = this.#options.maxRequestBytes ?? MAX_REQUEST_BYTES;
    const send = (answer: AwsAnswer, close = false) => {
      this.#record(answer.call);
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() };
      if (answer.errorCode) headers['x-amzn-query-error'] = `${answer.errorCode.slice(answer.errorCode.indexOf('#') + 1)};Sender`;
      if (close) headers.connection = 'close';
      response.writeHead(answer.status, headers).end(answer.body);
    };
    if (request.method !== 'POST' || request.url !== '/') {
      request.resume();
      const shown = `${showableLine(request.method ?? '', 20)} ${showableLine(request.url ?? '', 200)}`;
      send(refuse(404, 'UnknownOperationException', 'AWS JSON calls are POST /', `${shown}: not an AWS JSON call (POST /)`));
      return;
    }
    const declared = Number(request.headers['content-length']);
    const tooLarge = () =>
      refuse(
        413,
        'RequestEntityTooLarge',
        `the request is over ${limit} bytes`,
        `a request of more than ${limit.toLocaleString('en-US')} bytes: not read, not answered`,
      );
    if (declared > limit) {
      // Answered without reading it; the connection closes, so the rest is never buffered.
      send(tooLarge(), true);
      request.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        send(tooLarge(), true);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (done) return;
      done = true;
      const target = request.headers['x-amz-target'];
      send(answerAwsCall(Array.isArray(target) ? target[0] : target, Buffer.concat(chunks), this.#tables));
    });
    request.on('error', () => {
      done = true;
    });
  }

  /** Stops listening and drops every connection, idle or not. Idempotent. */
  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise((resolve) => this.#server.close(resolve));
    this.#server.closeAllConnections();
    await closed;
  }
}
