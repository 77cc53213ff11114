// API Gateway proxy events shaped like the real ones (API Gateway payload formats 1.0 and 2.0), small enough
// to read in a test: payload v1 (REST) and v2 (HTTP API).
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

export interface V1Options {
  resource?: string;
  path?: string;
  headers?: Record<string, string> | null;
  multiValueHeaders?: Record<string, string[]> | null;
  pathParameters?: Record<string, string> | null;
  httpMethod?: string;
  stage?: string;
}

/** A REST (payload v1) event. `headers` defaults to the last value of each multi-value header, as API Gateway does. */
export function v1Event(o: V1Options = {}): APIGatewayProxyEvent {
  const multi = o.multiValueHeaders === undefined ? null : o.multiValueHeaders;
  const headers =
    o.headers !== undefined ? o.headers : multi ? Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1] as string])) : null;
  const stage = o.stage ?? 'prod';
  const path = o.path ?? '/';
  return {
    resource: o.resource ?? '/{proxy+}',
    path,
    httpMethod: o.httpMethod ?? 'OPTIONS',
    headers,
    multiValueHeaders: multi,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: o.pathParameters === undefined ? null : o.pathParameters,
    stageVariables: null,
    requestContext: { stage, path: `/${stage}${path}`, httpMethod: o.httpMethod ?? 'OPTIONS', requestId: 'req-v1' },
    body: null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
}

export interface V2Options {
  routeKey?: string;
  rawPath?: string;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  method?: string;
  stage?: string;
}

/** An HTTP API (payload v2) event: lower-case header names, duplicates joined with commas. */
export function v2Event(o: V2Options = {}): APIGatewayProxyEventV2 {
  const method = o.method ?? 'OPTIONS';
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: o.routeKey ?? 'OPTIONS /{proxy+}',
    rawPath: o.rawPath ?? '/',
    rawQueryString: '',
    requestContext: {
      http: { method, path: o.rawPath ?? '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'test' },
      routeKey: o.routeKey ?? 'OPTIONS /{proxy+}',
      stage: o.stage ?? '$default',
      requestId: 'req-v2',
    },
    isBase64Encoded: false,
  };
  if (o.headers !== undefined) event.headers = o.headers;
  if (o.pathParameters !== undefined) event.pathParameters = o.pathParameters;
  return event as unknown as APIGatewayProxyEventV2;
}

/** Browser preflight headers in REST casing. */
export function preflightHeadersV1(origin: string, method: string, requestHeaders?: string): Record<string, string[]> {
  const h: Record<string, string[]> = { Origin: [origin], 'Access-Control-Request-Method': [method], Host: ['api.example.com'] };
  if (requestHeaders !== undefined) h['Access-Control-Request-Headers'] = [requestHeaders];
  return h;
}

/** Browser preflight headers as an HTTP API delivers them (lower-case names). */
export function preflightHeadersV2(origin: string, method: string, requestHeaders?: string): Record<string, string> {
  const h: Record<string, string> = { origin, 'access-control-request-method': method, host: 'api.example.com' };
  if (requestHeaders !== undefined) h['access-control-request-headers'] = requestHeaders;
  return h;
}
