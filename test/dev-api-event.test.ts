/**
 * lambda-kit dev's pure core: the route matcher (which route API Gateway picks for a path, and
 * the path parameters it binds), the HTTP request → API Gateway event mapping (headers, cookies,
 * query, bodies, JWT claims) and the function's answer → HTTP response mapping. Property-based
 * where the input space is open.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerClaims, httpApiEvent, responseOf, restApiEvent, type ApiRequest } from '../src/dev/api-event.js';
import { apiRoutesOf, matchRoute, type ApiRoute } from '../src/dev/api-routes.js';

const route = (method: string, path: string, kind: ApiRoute['kind'] = 'HttpApi'): ApiRoute => ({
  eventName: `${method}${path}`,
  kind,
  method,
  path,
  payloadFormat: kind === 'Api' ? '1.0' : '2.0',
  stage: kind === 'Api' ? 'prod' : undefined,
});

/** A path segment as a client may send it: anything, percent-encoded. */
const segmentValue = fc.string({ minLength: 1, maxLength: 12 });
const literal = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);

function request(overrides: Partial<ApiRequest> = {}): ApiRequest {
  return {
    method: 'POST',
    url: '/items',
    rawHeaders: ['Host', '127.0.0.1:3000'],
    body: Buffer.alloc(0),
    sourceIp: '127.0.0.1',
    requestId: 'req-1',
    now: new Date(Date.UTC(2026, 4, 1, 9, 30, 0)),
    ...overrides,
  };
}

describe('apiRoutesOf', () => {
  it('reads HttpApi and Api events, with methods upper-cased, $default for a path-less HttpApi, and the REST stage', () => {
    const template = {
      Resources: {
        RestApi: { Type: 'AWS::Serverless::Api', Properties: { StageName: 'prod' } },
        AppFunction: {
          Type: 'AWS::Serverless::Function',
          Properties: {
            Events: {
              PostItem: { Type: 'HttpApi', Properties: { Path: '/items', Method: 'post' } },
              GetOne: { Type: 'Api', Properties: { RestApiId: { Ref: 'RestApi' }, Path: '/items/{id}', Method: 'GET' } },
              Anything: { Type: 'HttpApi' },
              Queue: { Type: 'SQS', Properties: { Queue: 'arn' } },
              Computed: { Type: 'HttpApi', Properties: { Path: { 'Fn::Sub': '/x' }, Method: 'GET' } },
            },
          },
        },
      },
    };
    expect(apiRoutesOf(template, 'AppFunction')).toEqual([
      { eventName: 'PostItem', kind: 'HttpApi', method: 'POST', path: '/items', payloadFormat: '2.0', stage: undefined },
      { eventName: 'GetOne', kind: 'Api', method: 'GET', path: '/items/{id}', payloadFormat: '1.0', stage: 'prod' },
      { eventName: 'Anything', kind: 'HttpApi', method: 'ANY', path: '$default', payloadFormat: '2.0', stage: undefined },
    ]);
    expect(apiRoutesOf(template, 'Missing')).toEqual([]);
    expect(apiRoutesOf('not a template', 'AppFunction')).toEqual([]);
  });
});

describe('matchRoute', () => {
  it('a literal route matches exactly its own path, with no parameters, and nothing one segment longer or shorter', () => {
    fc.assert(
      fc.property(fc.array(literal, { minLength: 1, maxLength: 5 }), (segments) => {
        const path = `/${segments.join('/')}`;
        const routes = [route('GET', path)];
        expect(matchRoute(routes, 'GET', path)).toEqual({ route: routes[0], pathParameters: {} });
        expect(matchRoute(routes, 'GET', `${path}/extra`)).toBeUndefined();
        if (segments.length > 1) expect(matchRoute(routes, 'GET', `/${segments.slice(0, -1).join('/')}`)).toBeUndefined();
        expect(matchRoute(routes, 'POST', path)).toBeUndefined();
        expect(matchRoute([route('ANY', path)], 'DELETE', path)).toBeDefined();
      }),
    );
  });

  it('{param} binds the decoded segment and {proxy+} the decoded rest, whatever the values', () => {
    fc.assert(
      fc.property(literal, segmentValue, fc.array(segmentValue, { minLength: 1, maxLength: 4 }), (base, id, rest) => {
        const one = matchRoute([route('GET', `/${base}/{id}`)], 'GET', `/${base}/${encodeURIComponent(id)}`);
        expect(one).not.toBe('malformed');
        expect(one && one !== 'malformed' ? one.pathParameters : undefined).toEqual({ id });
        const greedy = matchRoute([route('GET', `/${base}/{proxy+}`)], 'GET', `/${base}/${rest.map(encodeURIComponent).join('/')}`);
        expect(greedy && greedy !== 'malformed' ? greedy.pathParameters : undefined).toEqual({ proxy: rest.join('/') });
      }),
    );
  });

  it('the most specific route wins, in any order: literal over {param} over {proxy+} over $default; a method of its own over ANY', () => {
    const routes = [
      route('ANY', '$default'),
      route('ANY', '/{proxy+}'),
      route('GET', '/items/{id}'),
      route('GET', '/items/special'),
      route('ANY', '/items/special'),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(routes, { minLength: routes.length, maxLength: routes.length }), (shuffled) => {
        const pick = (method: string, path: string) => {
          const match = matchRoute(shuffled, method, path);
          return match && match !== 'malformed' ? match.route : undefined;
        };
        expect(pick('GET', '/items/special')).toBe(routes[3]);
        expect(pick('POST', '/items/special')).toBe(routes[4]);
        expect(pick('GET', '/items/42')).toBe(routes[2]);
        expect(pick('POST', '/items/42')).toBe(routes[1]);
        expect(pick('GET', '/')).toBe(routes[0]);
      }),
    );
  });

  it('a path that is not valid percent-encoding is malformed, not a crash; {proxy+} needs a segment', () => {
    expect(matchRoute([route('GET', '/{proxy+}')], 'GET', '/%zz')).toBe('malformed');
    expect(matchRoute([route('GET', '/{proxy+}')], 'GET', '/%E0%A4%A')).toBe('malformed');
    expect(matchRoute([route('GET', '/files/{proxy+}')], 'GET', '/files/')).toBeUndefined();
    expect(matchRoute([route('GET', '/files/{proxy+}')], 'GET', '/files')).toBeUndefined();
  });
});

/** Header names as clients write them, never Cookie (it has a list of its own in 2.0). */
const headerName = fc
  .oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'))
  .filter((name) => name.toLowerCase() !== 'cookie');
const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);
const cookie = fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[A-Za-z0-9]{0,8}$/)).map(([n, v]) => `${n}=${v}`);

describe('HTTP request → API Gateway event', () => {
  it('2.0: headers lower-cased with repeated ones comma-joined in order, cookies lifted out into their own list', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 }), fc.array(cookie, { maxLength: 4 }), (headers, cookies) => {
        const rawHeaders = headers.flat();
        if (cookies.length > 0) rawHeaders.push('Cookie', cookies.join('; '));
        const event = httpApiEvent(request({ rawHeaders }), { route: route('POST', '/items'), pathParameters: {} });
        const expected = new Map<string, string>();
        for (const [name, value] of headers) {
          const lower = name.toLowerCase();
          expected.set(lower, expected.has(lower) ? `${expected.get(lower)},${value}` : value);
        }
        expect(Object.entries(event.headers as object)).toEqual([...expected]);
        expect(event.cookies).toEqual(cookies.length > 0 ? cookies : undefined);
      }),
    );
  });

  it('1.0: headers keep their case, multiValueHeaders every value in order, headers the last', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 }), (headers) => {
        const event = restApiEvent(request({ rawHeaders: headers.flat() }), { route: route('POST', '/items', 'Api'), pathParameters: {} });
        const multi = new Map<string, string[]>();
        for (const [name, value] of headers) multi.set(name, [...(multi.get(name) ?? []), value]);
        expect(Object.entries(event.multiValueHeaders as object)).toEqual([...multi]);
        expect(Object.entries(event.headers as object)).toEqual([...multi].map(([name, values]) => [name, values.at(-1)]));
      }),
    );
  });

  it('query parameters: 2.0 joins repeats with commas, 1.0 lists them; absent ones are omitted (2.0) or null (1.0)', () => {
    const match = { route: route('GET', '/items'), pathParameters: {} };
    const v2 = httpApiEvent(request({ method: 'GET', url: '/items?a=1&b=x%20y&a=2&c' }), match);
    expect(v2).toMatchObject({
      rawPath: '/items',
      rawQueryString: 'a=1&b=x%20y&a=2&c',
      queryStringParameters: { a: '1,2', b: 'x y', c: '' },
    });
    const v1 = restApiEvent(request({ method: 'GET', url: '/items?a=1&a=2' }), { ...match, route: route('GET', '/items', 'Api') });
    expect(v1).toMatchObject({ queryStringParameters: { a: '2' }, multiValueQueryStringParameters: { a: ['1', '2'] } });
    expect(httpApiEvent(request({ url: '/items' }), match)).not.toHaveProperty('queryStringParameters');
    expect(restApiEvent(request({ url: '/items' }), match)).toMatchObject({
      queryStringParameters: null,
      pathParameters: null,
      body: null,
    });
  });

  it('bodies: text types pass as text, anything else (or bytes that are not UTF-8) as base64 that decodes to the same bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.constantFrom('application/octet-stream', 'image/png', 'application/json', 'text/plain'),
        (bytes, type) => {
          const body = Buffer.from(bytes);
          const event = httpApiEvent(request({ rawHeaders: ['Content-Type', type], body }), {
            route: route('POST', '/items'),
            pathParameters: {},
          });
          const decoded = event.isBase64Encoded ? Buffer.from(event.body as string, 'base64') : Buffer.from(event.body as string, 'utf8');
          expect(decoded.equals(body)).toBe(true);
          if (type === 'image/png' || type === 'application/octet-stream') expect(event.isBase64Encoded).toBe(true);
        },
      ),
    );
  });

  it('a Bearer JWT’s claims, decoded and stringified, land in authorizer.jwt.claims (2.0) and authorizer.claims (1.0)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(fc.stringMatching(/^[a-z_:]{1,10}$/), fc.constantFrom('__proto__', 'constructor')),
          fc.oneof(fc.string(), fc.integer(), fc.boolean()),
        ),
        (claims) => {
          const token = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
          const strings = Object.fromEntries(Object.entries(claims).map(([name, value]) => [name, String(value)]));
          expect(bearerClaims(`Bearer ${token}`)).toEqual(strings);
          const v2 = httpApiEvent(request({ rawHeaders: ['Authorization', `Bearer ${token}`] }), {
            route: route('POST', '/items'),
            pathParameters: {},
          });
          expect((v2.requestContext as any).authorizer.jwt.claims).toEqual(strings);
          const v1 = restApiEvent(request({ rawHeaders: ['Authorization', token] }), {
            route: route('POST', '/items', 'Api'),
            pathParameters: {},
          });
          expect((v1.requestContext as any).authorizer.claims).toEqual(strings);
        },
      ),
    );
    expect(bearerClaims('AWS4-HMAC-SHA256 Credential=AKIA/20260501/us-east-1/execute-api/aws4_request')).toBeUndefined();
    expect(bearerClaims('Bearer a.bm90IGpzb24.c')).toBeUndefined();
    expect(bearerClaims('Bearer a.WzEsMl0.c')).toBeUndefined();
  });
});

describe('the function’s answer → HTTP response', () => {
  it('status, headers, multiValueHeaders, cookies and a base64 body come back as sent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 599 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.boolean(),
        fc.array(cookie, { maxLength: 3 }),
        fc.array(headerValue, { minLength: 1, maxLength: 3 }),
        (status, bytes, base64, cookies, multi) => {
          const body = base64 ? Buffer.from(bytes).toString('base64') : Buffer.from(bytes).toString('hex');
          const answer = {
            statusCode: status,
            headers: { 'x-one': 'one' },
            multiValueHeaders: { 'x-multi': multi },
            cookies,
            body,
            isBase64Encoded: base64,
          };
          const response = responseOf(Buffer.from(JSON.stringify(answer)), '2.0')!;
          expect(response.status).toBe(status);
          expect(response.body.equals(base64 ? Buffer.from(bytes) : Buffer.from(body))).toBe(true);
          expect(response.headers.filter(([n]) => n === 'set-cookie').map(([, v]) => v)).toEqual(cookies);
          expect(response.headers.filter(([n]) => n === 'x-multi').map(([, v]) => v)).toEqual(multi);
          expect(response.headers).toContainEqual(['x-one', 'one']);
        },
      ),
    );
  });

  it('2.0 takes an answer without statusCode as a 200 JSON body; 1.0 refuses it, and both refuse what is not JSON', () => {
    expect(responseOf(Buffer.from('{"hello":"world"}'), '2.0')).toEqual({
      status: 200,
      headers: [['content-type', 'application/json']],
      body: Buffer.from('{"hello":"world"}'),
    });
    expect(responseOf(Buffer.from('{"hello":"world"}'), '1.0')).toBeUndefined();
    expect(responseOf(Buffer.from('not json'), '2.0')).toBeUndefined();
    expect(responseOf(Buffer.from('{"statusCode": 99}'), '2.0')).toBeUndefined();
  });

  it('framing headers and headers Node cannot send are dropped rather than crash the answer', () => {
    const answer = {
      statusCode: 200,
      headers: { 'content-length': '999', 'bad header': 'x', 'x-newline': 'a\r\nb', 'x-ok': 'fine' },
      body: 'hi',
    };
    expect(responseOf(Buffer.from(JSON.stringify(answer)), '2.0')!.headers).toEqual([['x-ok', 'fine']]);
  });
});
