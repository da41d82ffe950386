/**
 * The routes a function serves behind API Gateway, read from its SAM `Events` (HttpApi and Api),
 * and the matcher that picks the route for a request as API Gateway does: literal segments win
 * over `{param}`, which wins over a greedy `{proxy+}`; a method of its own wins over ANY.
 *
 * Pure: the template comes in parsed.
 */

export type ApiKind = 'HttpApi' | 'Api';

export interface ApiRoute {
  /** The event's name in template.yaml, e.g. `PostItem`. */
  eventName: string;
  kind: ApiKind;
  /** Upper case: `POST`, or `ANY`. */
  method: string;
  /** `/items/{id}`, `/files/{proxy+}`, or `$default` (an HttpApi event without Path: every request). */
  path: string;
  /** The event the function gets: 2.0 for an HTTP API (unless PayloadFormatVersion says 1.0), 1.0 for REST. */
  payloadFormat: '1.0' | '2.0';
  /** A REST API's stage (its StageName where the template writes it), for requestContext.path. */
  stage: string | undefined;
}

export interface RouteMatch {
  route: ApiRoute;
  /** Decoded values of the path's variables; `{proxy+}` is named `proxy`. */
  pathParameters: Record<string, string>;
}

type Json = Record<string, unknown>;
const isMapping = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The HttpApi and Api events of function `logicalId`; literal Path and Method only (an intrinsic cannot be read here). */
export function apiRoutesOf(template: unknown, logicalId: string): ApiRoute[] {
  if (!isMapping(template) || !isMapping(template.Resources)) return [];
  const resource = template.Resources[logicalId];
  const properties = isMapping(resource) ? resource.Properties : undefined;
  const events = isMapping(properties) ? properties.Events : undefined;
  if (!isMapping(events)) return [];
  const routes: ApiRoute[] = [];
  for (const [eventName, event] of Object.entries(events)) {
    if (!isMapping(event) || (event.Type !== 'HttpApi' && event.Type !== 'Api')) continue;
    const props = isMapping(event.Properties) ? event.Properties : {};
    const { Path: path, Method: method } = props;
    const payloadFormat = event.Type === 'Api' || String(props.PayloadFormatVersion) === '1.0' ? '1.0' : '2.0';
    const stage = event.Type === 'Api' ? stageOf(template.Resources, props.RestApiId) : undefined;
    if (event.Type === 'HttpApi' && path === undefined && method === undefined) {
      routes.push({ eventName, kind: 'HttpApi', method: 'ANY', path: '$default', payloadFormat, stage });
      continue;
    }
    if (typeof path !== 'string' || typeof method !== 'string' || !path.startsWith('/')) continue;
    const upper = method.toUpperCase();
    routes.push({
      eventName,
      kind: event.Type,
      method: upper === 'X-AMAZON-APIGATEWAY-ANY-METHOD' ? 'ANY' : upper,
      path,
      payloadFormat,
      stage,
    });
  }
  return routes;
}

/** The StageName of the REST API `!Ref`'d by an Api event, where it is a literal; SAM's implicit API uses Prod. */
function stageOf(resources: Json, restApiId: unknown): string {
  const ref = isMapping(restApiId) ? restApiId.Ref : undefined;
  const api = typeof ref === 'string' ? resources[ref] : undefined;
  const stage = isMapping(api) && isMapping(api.Properties) ? api.Properties.StageName : undefined;
  return typeof stage === 'string' && /^[\w-]+$/.test(stage) ? stage : 'Prod';
}

/** `POST /items`, or `$default`: the routeKey of an HTTP API event. */
export function routeKeyOf(route: ApiRoute): string {
  return route.path === '$default' ? '$default' : `${route.method} ${route.path}`;
}

/**
 * The route for `method` and `rawPath` (as sent, percent-encoded, without the query), or
 * undefined when none serves it (API Gateway's 404). A segment that is not valid
 * percent-encoding gives `'malformed'` (a 400).
 */
export function matchRoute(routes: readonly ApiRoute[], method: string, rawPath: string): RouteMatch | undefined | 'malformed' {
  const segments = rawPath.split('/').slice(1);
  const decoded = segments.map(decodedSegment);
  if (decoded.some((segment) => segment === undefined)) return 'malformed';
  let best: { match: RouteMatch; rank: number[] } | undefined;
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method.toUpperCase()) continue;
    const bound = route.path === '$default' ? { pathParameters: {}, rank: [] } : bind(route.path, segments, decoded as string[]);
    if (!bound) continue;
    // Segment by segment, more specific first; $default last of all; then an exact method over ANY.
    const rank = [route.path === '$default' ? 0 : 1, ...bound.rank, route.method === 'ANY' ? 0 : 1];
    if (!best || compareRanks(rank, best.rank) > 0) best = { match: { route, pathParameters: bound.pathParameters }, rank };
  }
  return best?.match;
}

/** Binds a route's path to a request's segments: each segment's rank is 3 literal, 2 `{param}`, 1 greedy. */
function bind(path: string, raw: string[], decoded: string[]): { pathParameters: Record<string, string>; rank: number[] } | undefined {
  const pattern = path.split('/').slice(1);
  // Names from the template: `{constructor}` must be a name like any other.
  const pathParameters = Object.create(null) as Record<string, string>;
  const rank: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    const greedy = /^\{([^{}]+)\+\}$/.exec(part);
    if (greedy && i === pattern.length - 1) {
      // A greedy variable takes one segment at least, and everything after it.
      if (raw.length <= i || (raw.length === i + 1 && raw[i] === '')) return undefined;
      pathParameters[greedy[1]!] = decoded.slice(i).join('/');
      rank.push(1);
      return { pathParameters, rank };
    }
    if (i >= raw.length) return undefined;
    const variable = /^\{([^{}+]+)\}$/.exec(part);
    if (variable) {
      if (raw[i] === '') return undefined;
      pathParameters[variable[1]!] = decoded[i]!;
      rank.push(2);
    } else if (part === raw[i] || part === decoded[i]) {
      rank.push(3);
    } else {
      return undefined;
    }
  }
  return pattern.length === raw.length ? { pathParameters, rank } : undefined;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? -1) - (b[i] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
