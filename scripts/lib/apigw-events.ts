// The one builder of API Gateway proxy events, typed with @types/aws-lambda:
// payload 1.0 (REST APIs) and 2.0 (HTTP APIs), shaped as API Gateway sends
// them (the payload format documentation for Lambda proxy integrations).
// The local gateway builds every event it sends through it, from a parsed
// HTTP request; the tests build theirs with it too, giving only what a test
// is about and taking the rest from the defaults below.
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

export const ACCOUNT_ID = '123456789012';
export const API_ID = 'local0api0';

/** A REST API (payload 1.0) event. Every field is optional; see each default. */
export interface RestEventOptions {
  /** Default `OPTIONS`. */
  method?: string;
  /** The resource's path template, e.g. `/{proxy+}` (default) or `/`. */
  resource?: string;
  /** Path parameters, decoded; `null` for a resource without any. Default: `null`. */
  pathParameters?: Record<string, string> | null;
  /**
   * The request path without the stage. Default: `resource` with its
   * parameters filled in (`/{proxy+}` with `{proxy: 'a/b'}` is `/a/b`).
   */
  path?: string;
  /**
   * Single-value headers (the last value of each name). Default: the last
   * value of each of `multiValueHeaders`, or `null` when that is null too,
   * as API Gateway sends a request without headers.
   */
  headers?: Record<string, string> | null;
  /** Every value of each header. Default: each of `headers` as a one-element list, or `null`. */
  multiValueHeaders?: Record<string, string[]> | null;
  /** Query parameters in order, duplicates kept. Default none (`null` maps). */
  query?: ReadonlyArray<readonly [string, string]>;
  /** Default `null`. */
  body?: string | null;
  /** Default `prod`. */
  stage?: string;
  /** Default `req-v1`. */
  requestId?: string;
  /** Default `api.example.com`. */
  domainName?: string;
  /** Default `203.0.113.10`. */
  sourceIp?: string;
  /** Default `HTTP/1.1`. */
  protocol?: string;
  /** Default `null`. */
  userAgent?: string | null;
  /** Default `proxy0` (`root00` for `/`). */
  resourceId?: string;
  /** `requestTime`/`requestTimeEpoch`. Default: the Unix epoch, so events are reproducible. */
  now?: Date;
}

/** An HTTP API (payload 2.0) event. Every field is optional; see each default. */
export interface HttpEventOptions {
  /** Default `OPTIONS /{proxy+}`. */
  routeKey?: string;
  /** The request method. Default: the route key's (`GET` for `$default`). */
  method?: string;
  /** The path as requested, with a named stage's prefix. Default `/`. */
  rawPath?: string;
  /** Default empty. */
  rawQueryString?: string;
  /** Lower-case names, repeated headers joined with commas. Default: none (no `headers` member). */
  headers?: Record<string, string>;
  /** Moved out of the `cookie` header by API Gateway. Default: none. */
  cookies?: string[];
  /** Query parameters, repeated ones joined with commas. Default: none. */
  queryStringParameters?: Record<string, string>;
  /** Default: none (no `pathParameters` member). */
  pathParameters?: Record<string, string>;
  /** Default: none. */
  body?: string;
  /** Default false. */
  isBase64Encoded?: boolean;
  /** Default `$default`. */
  stage?: string;
  /** Default `req-v2`. */
  requestId?: string;
  /** Default `api.example.com`. */
  domainName?: string;
  /** Default `203.0.113.10`. */
  sourceIp?: string;
  /** Default `HTTP/1.1`. */
  protocol?: string;
  /** Default empty. */
  userAgent?: string;
  /** `time`/`timeEpoch`. Default: the Unix epoch. */
  now?: Date;
}

/** `09/Apr/2015:12:34:56 +0000`, the format of `requestTime`/`time`. */
export function clfTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function domainPrefix(host: string): string {
  return host.split('.')[0]?.split(':')[0] ?? host;
}

/** `/products/{id}` with `{id: '42'}` is `/products/42`; a greedy `{proxy+}` takes its value as is. */
function fillTemplate(resource: string, params: Record<string, string> | null): string {
  return resource.replace(/\{([^}+]+)\+?\}/g, (whole, name: string) => params?.[name] ?? whole);
}

/** A REST API (payload 1.0) proxy event. */
export function restApiEvent(o: RestEventOptions = {}): APIGatewayProxyEvent {
  const method = o.method ?? 'OPTIONS';
  const resource = o.resource ?? '/{proxy+}';
  const pathParameters = o.pathParameters ?? null;
  const path = o.path ?? fillTemplate(resource, pathParameters);
  const stage = o.stage ?? 'prod';
  const requestId = o.requestId ?? 'req-v1';
  const host = o.domainName ?? 'api.example.com';
  const now = o.now ?? new Date(0);
  let headers = o.headers;
  let multiValueHeaders = o.multiValueHeaders;
  if (headers === undefined)
    headers = multiValueHeaders ? Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v[v.length - 1] ?? ''])) : null;
  if (multiValueHeaders === undefined) multiValueHeaders = headers ? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])) : null;
  let queryStringParameters: Record<string, string> | null = null;
  let multiValueQueryStringParameters: Record<string, string[]> | null = null;
  if (o.query && o.query.length > 0) {
    queryStringParameters = {};
    multiValueQueryStringParameters = {};
    for (const [k, v] of o.query) {
      queryStringParameters[k] = v;
      (multiValueQueryStringParameters[k] ??= []).push(v);
    }
  }
  return {
    resource,
    path,
    httpMethod: method,
    headers: headers as APIGatewayProxyEvent['headers'],
    multiValueHeaders: multiValueHeaders as APIGatewayProxyEvent['multiValueHeaders'],
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      authorizer: undefined,
      domainName: host,
      domainPrefix: domainPrefix(host),
      extendedRequestId: requestId.slice(0, 16),
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: o.sourceIp ?? '203.0.113.10',
        user: null,
        userAgent: o.userAgent ?? null,
        userArn: null,
      },
      path: `/${stage}${path}`,
      protocol: o.protocol ?? 'HTTP/1.1',
      requestId,
      requestTime: clfTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: o.resourceId ?? (resource === '/' ? 'root00' : 'proxy0'),
      resourcePath: resource,
      stage,
    },
    body: o.body ?? null,
    isBase64Encoded: false,
  };
}

/** An HTTP API (payload 2.0) proxy event. */
export function httpApiEvent(o: HttpEventOptions = {}): APIGatewayProxyEventV2 {
  const routeKey = o.routeKey ?? 'OPTIONS /{proxy+}';
  const method = o.method ?? (routeKey === '$default' ? 'GET' : (routeKey.split(' ')[0] ?? 'GET'));
  const rawPath = o.rawPath ?? '/';
  const host = o.domainName ?? 'api.example.com';
  const now = o.now ?? new Date(0);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: o.rawQueryString ?? '',
    ...(o.cookies ? { cookies: o.cookies } : {}),
    headers: o.headers as APIGatewayProxyEventV2['headers'],
    ...(o.queryStringParameters ? { queryStringParameters: o.queryStringParameters } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName: host,
      domainPrefix: domainPrefix(host),
      http: { method, path: rawPath, protocol: o.protocol ?? 'HTTP/1.1', sourceIp: o.sourceIp ?? '203.0.113.10', userAgent: o.userAgent ?? '' },
      requestId: o.requestId ?? 'req-v2',
      routeKey,
      stage: o.stage ?? '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(o.pathParameters ? { pathParameters: o.pathParameters } : {}),
    ...(o.body !== undefined ? { body: o.body } : {}),
    isBase64Encoded: o.isBase64Encoded ?? false,
  };
  // API Gateway leaves `headers` out of an event for a request without any; so does this builder.
  if (o.headers === undefined) delete (event as { headers?: unknown }).headers;
  return event;
}
