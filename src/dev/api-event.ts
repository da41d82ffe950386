/**
 * An HTTP request turned into the event API Gateway sends a Lambda proxy integration (HTTP API
 * payload 2.0, or REST API payload 1.0), and the function's answer turned back into the HTTP
 * response API Gateway would give. Shapes from the API Gateway developer guide ("Working with
 * AWS Lambda proxy integrations for HTTP APIs", "Input format of a Lambda function for proxy
 * integration").
 *
 * Pure: the request comes in as values, the answer as bytes.
 */
import { routeKeyOf, type RouteMatch } from './api-routes.js';

/** API Gateway's cap on a request's body (HTTP API and REST API): 10 MB. */
export const MAX_REQUEST_BODY_BYTES = 10_485_760;

const ACCOUNT = '123456789012';
const API_ID = 'local';

export interface ApiRequest {
  method: string;
  /** The request target as sent: path and query, percent-encoded. */
  url: string;
  /** Node's rawHeaders: name, value, name, value… with the names as the client wrote them. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  requestId: string;
  now: Date;
  /** The REST API's stage, for requestContext.path (REST only). */
  stage?: string;
}

/** `/items?x=1` → its path and its query string, without the `?`. */
export function splitTarget(url: string): { rawPath: string; rawQueryString: string } {
  const question = url.indexOf('?');
  return question < 0 ? { rawPath: url, rawQueryString: '' } : { rawPath: url.slice(0, question), rawQueryString: url.slice(question + 1) };
}

/**
 * A map for names that come from the client (headers, query parameters, claims): without a
 * prototype, so `__proto__` or `constructor` is a name like any other, not Object's own.
 */
function nameMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Header pairs from Node's rawHeaders. */
function headerPairs(rawHeaders: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return pairs;
}

/** Query parameters, each name with its values in order; undecodable text kept as sent. */
function queryPairs(rawQueryString: string): [string, string][] {
  if (rawQueryString === '') return [];
  return rawQueryString
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=');
      const [name, value] = equals < 0 ? [part, ''] : [part.slice(0, equals), part.slice(equals + 1)];
      return [formDecoded(name), formDecoded(value)];
    });
}

function formDecoded(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/** `Fri, 01 May 2026` → `01/May/2026:09:30:00 +0000`, API Gateway's requestTime format. */
export function requestTime(now: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(now.getUTCDate())}/${months[now.getUTCMonth()]}/${now.getUTCFullYear()}:${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;
}

/** Content types API Gateway passes as text; anything else (or bytes that are not UTF-8) goes base64. */
function isTextual(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type === '' || type.startsWith('text/') || /^application\/([\w.+-]+\+)?(json|xml|javascript|x-www-form-urlencoded|graphql)$/.test(type)
  );
}

function encodedBody(body: Buffer, contentType: string | undefined): { body: string; isBase64Encoded: boolean } {
  const text = isTextual(contentType) ? utf8(body) : undefined;
  return text === undefined ? { body: body.toString('base64'), isBase64Encoded: true } : { body: text, isBase64Encoded: false };
}

function utf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The claims of a Bearer JWT, decoded and NOT verified (dev says so at start), as API Gateway
 * hands them to the function: every value a string (HTTP API writes lists as `[a b]`).
 */
export function bearerClaims(authorization: string | undefined): Record<string, string> | undefined {
  const token = /^\s*(?:Bearer\s+)?([\w-]+)\.([\w-]+)\.([\w-]*)\s*$/i.exec(authorization ?? '');
  if (!token) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token[2]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const claims = nameMap<string>();
  for (const [name, value] of Object.entries(payload)) {
    claims[name] =
      typeof value === 'string'
        ? value
        : Array.isArray(value)
          ? `[${value.map(String).join(' ')}]`
          : typeof value === 'object'
            ? JSON.stringify(value)
            : String(value);
  }
  return claims;
}

/** The HTTP API payload 2.0 event for a request `match` serves. */
export function httpApiEvent(request: ApiRequest, match: RouteMatch): Record<string, unknown> {
  const { rawPath, rawQueryString } = splitTarget(request.url);
  const headers = nameMap<string>();
  const cookies: string[] = [];
  for (const [name, value] of headerPairs(request.rawHeaders)) {
    const lower = name.toLowerCase();
    // Cookies are lifted out of the headers into their own list.
    if (lower === 'cookie')
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
    else headers[lower] = Object.hasOwn(headers, lower) ? `${headers[lower]},${value}` : value;
  }
  const query = nameMap<string>();
  for (const [name, value] of queryPairs(rawQueryString)) query[name] = Object.hasOwn(query, name) ? `${query[name]},${value}` : value;
  const claims = bearerClaims(headers.authorization);
  const routeKey = routeKeyOf(match.route);
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    ...(Object.keys(match.pathParameters).length > 0 && { pathParameters: match.pathParameters }),
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      ...(claims && { authorizer: { jwt: { claims, scopes: claims.scope ? claims.scope.split(' ') : null } } }),
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0],
      http: {
        method: request.method,
        path: safeDecodedPath(rawPath),
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      routeKey,
      stage: '$default',
      time: requestTime(request.now),
      timeEpoch: request.now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (request.body.length > 0) Object.assign(event, encodedBody(request.body, headers['content-type']));
  return event;
}

/** The REST API payload 1.0 event for a request `match` serves. */
export function restApiEvent(request: ApiRequest, match: RouteMatch): Record<string, unknown> {
  const { rawPath, rawQueryString } = splitTarget(request.url);
  const headers = nameMap<string>();
  const multiValueHeaders = nameMap<string[]>();
  for (const [name, value] of headerPairs(request.rawHeaders)) {
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query = nameMap<string>();
  const multiQuery = nameMap<string[]>();
  for (const [name, value] of queryPairs(rawQueryString)) {
    query[name] = value;
    multiQuery[name] = [...(multiQuery[name] ?? []), value];
  }
  const header = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  const claims = bearerClaims(header('authorization'));
  const hasQuery = Object.keys(query).length > 0;
  const hasPathParameters = Object.keys(match.pathParameters).length > 0;
  const path = safeDecodedPath(rawPath);
  const stage = request.stage ?? 'Prod';
  const host = header('host') ?? 'localhost';
  const body = request.body.length > 0 ? encodedBody(request.body, header('content-type')) : { body: null, isBase64Encoded: false };
  return {
    resource: match.route.path,
    path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: hasPathParameters ? match.pathParameters : null,
    stageVariables: null,
    requestContext: {
      resourceId: 'local',
      resourcePath: match.route.path,
      httpMethod: request.method,
      extendedRequestId: request.requestId,
      requestTime: requestTime(request.now),
      path: `/${stage}${path}`,
      accountId: ACCOUNT,
      protocol: 'HTTP/1.1',
      stage,
      domainPrefix: host.split('.')[0],
      requestTimeEpoch: request.now.getTime(),
      requestId: request.requestId,
      ...(claims && { authorizer: { claims } }),
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: request.sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: header('user-agent') ?? '',
        user: null,
      },
      domainName: host,
      apiId: API_ID,
    },
    ...body,
  };
}

function safeDecodedPath(rawPath: string): string {
  try {
    return decodeURI(rawPath);
  } catch {
    return rawPath;
  }
}

export interface ApiResponse {
  status: number;
  /** Header pairs, a name repeated for each of its values (Set-Cookie among them). */
  headers: [string, string][];
  body: Buffer;
}

/** API Gateway's own answers, each as it words them. */
export const GATEWAY_ANSWERS = {
  notFound: { status: 404, message: 'Not Found' },
  tooLarge: { status: 413, message: 'Request Entity Too Large' },
  badRequest: { status: 400, message: 'Bad Request' },
  httpApiError: { status: 500, message: 'Internal Server Error' },
  restError: { status: 502, message: 'Internal server error' },
  httpApiTimeout: { status: 503, message: 'Service Unavailable' },
  restTimeout: { status: 504, message: 'Endpoint request timed out' },
} as const;

export function gatewayAnswer({ status, message }: { status: number; message: string }): ApiResponse {
  return { status, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify({ message })) };
}

/** Headers Node sets itself from the body it sends: the function's would contradict it. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * The HTTP response for the function's answer, or undefined when API Gateway would refuse the
 * answer (a 500 for HTTP APIs, 502 for REST). HTTP API 2.0 also takes an answer without
 * `statusCode`: a 200 with the answer itself as the JSON body.
 */
export function responseOf(answer: Buffer, payload: '1.0' | '2.0'): ApiResponse | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.toString('utf8'));
  } catch {
    return undefined;
  }
  const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  if (!isObject || !('statusCode' in (parsed as object))) {
    if (payload === '1.0') return undefined;
    const body = typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
    return { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from(body) };
  }
  const doc = parsed as Record<string, unknown>;
  const status = Number(doc.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const headers: [string, string][] = [];
  const named = new Set<string>();
  if (isRecord(doc.multiValueHeaders)) {
    for (const [name, values] of Object.entries(doc.multiValueHeaders)) {
      if (!Array.isArray(values)) continue;
      named.add(name.toLowerCase());
      for (const value of values) headers.push([name, String(value)]);
    }
  }
  if (isRecord(doc.headers)) {
    // multiValueHeaders wins for a name both give, as in API Gateway.
    for (const [name, value] of Object.entries(doc.headers))
      if (!named.has(name.toLowerCase()) && value !== null) headers.push([name, String(value)]);
  }
  if (payload === '2.0' && Array.isArray(doc.cookies)) for (const cookie of doc.cookies) headers.push(['set-cookie', String(cookie)]);
  const text = typeof doc.body === 'string' ? doc.body : doc.body === undefined || doc.body === null ? '' : JSON.stringify(doc.body);
  const body = doc.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  const sendable = headers.filter(
    ([name, value]) => isHeaderToken(name) && isHeaderValue(value) && !FRAMING_HEADERS.has(name.toLowerCase()),
  );
  return { status, headers: sendable, body };
}

/** A header Node can send; a function's odd header is dropped rather than crash the response. */
function isHeaderToken(name: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name);
}

function isHeaderValue(value: string): boolean {
  return !/[^\t\x20-\x7e\x80-\xff]/.test(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
