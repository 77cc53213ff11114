// How API Gateway turns an HTTP request into a Lambda proxy event and the
// function's result back into an HTTP response, for REST APIs (payload v1) and
// HTTP APIs (payload v2). Pure functions: the gateway server feeds them what
// Node's http module parsed, and the tests feed them hand-made requests.
//
// The emulated API has the two routes the product deploys into: the root `/`
// and the greedy `/{proxy+}`, each with OPTIONS going to the preflight function
// and every other method to the API's own function. URLs carry no stage
// (like a custom domain mapped with an empty base path).
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpApiEvent as httpApiEvent_, restApiEvent } from '../lib/apigw-events';

export type PayloadVersion = 'v1' | 'v2';

/** What the gateway knows about one incoming HTTP request. */
export interface HttpRequestInfo {
  method: string;
  /** Request target as sent: path and raw query string, e.g. `/products/42?a=1&a=2`. */
  url: string;
  /** Alternating names and values, in the client's casing and order, duplicates kept (Node's `rawHeaders`). */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** `1.1` for HTTP/1.1. */
  httpVersion: string;
}

export interface EventOptions {
  requestId?: string;
  /** REST stage name in `requestContext` (v1). Default `local`. */
  stage?: string;
  now?: Date;
  /** The route the gateway matched; default {@link matchRoute}'s `/` or `/{proxy+}`. */
  route?: MatchedRoute;
}

/** A route of the emulated API and the path parameters it took from the path. */
export interface MatchedRoute {
  template: string;
  pathParameters?: Record<string, string>;
  /** A route of the API's own (`ANY <template>`): every method, OPTIONS included, goes to the API function. */
  own?: boolean;
}

/** The route's path parameters as API Gateway passes them (decoded), or undefined for `/`. */
function proxyParameters(route: { template: string; proxy?: string }): MatchedRoute {
  return route.proxy !== undefined ? { template: route.template, pathParameters: { proxy: route.proxy } } : { template: route.template };
}

/** The route the request matches: `/` only matches the root, `/{proxy+}` everything else. */
export function matchRoute(path: string): { template: '/' | '/{proxy+}'; proxy?: string } {
  if (path === '/' || path === '') return { template: '/' };
  return { template: '/{proxy+}', proxy: safeDecode(path.slice(1)) };
}

export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function splitUrl(url: string): { path: string; rawQuery: string } {
  const q = url.indexOf('?');
  const beforeHash = (s: string) => (s.includes('#') ? s.slice(0, s.indexOf('#')) : s);
  if (q < 0) return { path: beforeHash(url) || '/', rawQuery: '' };
  return { path: url.slice(0, q) || '/', rawQuery: beforeHash(url.slice(q + 1)) };
}

/** Query parameters in order, decoded as API Gateway decodes them (`+` is a space). */
function queryPairs(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return [...new URLSearchParams(rawQuery)];
}

/** Header pairs from Node's rawHeaders. */
function headerPairs(rawHeaders: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i] as string, rawHeaders[i + 1] as string]);
  return pairs;
}

/** Headers API Gateway adds before invoking the integration, when the client did not send them. */
function gatewayHeaders(req: HttpRequestInfo, hostPort: string, requestId: string): Array<[string, string]> {
  return [
    ['X-Forwarded-For', req.sourceIp],
    ['X-Forwarded-Port', hostPort],
    ['X-Forwarded-Proto', 'http'],
    ['X-Amzn-Trace-Id', `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${requestId.replace(/-/g, '').slice(0, 24)}`],
  ];
}

function findHeader(pairs: Array<[string, string]>, lowerName: string): string | undefined {
  let found: string | undefined;
  for (const [k, v] of pairs) if (k.toLowerCase() === lowerName) found = v;
  return found;
}

function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript|graphql)|[^;]*\+(json|xml))/i.test(contentType.trim());
}

/**
 * A REST API (payload v1) proxy event. Headers keep the client's casing; a
 * repeated header keeps its last value in `headers` and every value in
 * `multiValueHeaders`; empty maps are `null`, as API Gateway sends them.
 */
export function restEvent(req: HttpRequestInfo, options: EventOptions = {}): APIGatewayProxyEvent {
  const requestId = options.requestId ?? randomUUID();
  const { path, rawQuery } = splitUrl(req.url);
  const route = options.route ?? proxyParameters(matchRoute(path));
  const clientPairs = headerPairs(req.rawHeaders);
  const host = findHeader(clientPairs, 'host') ?? 'localhost';
  const port = host.includes(':') ? host.slice(host.lastIndexOf(':') + 1) : '80';
  const pairs = [...clientPairs];
  for (const extra of gatewayHeaders(req, port, requestId)) if (findHeader(pairs, extra[0].toLowerCase()) === undefined) pairs.push(extra);

  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const casing = new Map<string, string>(); // first casing seen wins, so one name never appears twice
  for (const [name, value] of pairs) {
    const key = casing.get(name.toLowerCase()) ?? name;
    casing.set(name.toLowerCase(), key);
    headers[key] = value;
    (multiValueHeaders[key] ??= []).push(value);
  }
  return restApiEvent({
    method: req.method,
    resource: route.template,
    path,
    pathParameters: route.pathParameters ?? null,
    headers,
    multiValueHeaders,
    query: queryPairs(rawQuery),
    body: req.body.length > 0 ? req.body.toString('utf8') : null,
    stage: options.stage ?? 'local',
    requestId,
    domainName: host,
    sourceIp: req.sourceIp,
    protocol: `HTTP/${req.httpVersion}`,
    userAgent: findHeader(clientPairs, 'user-agent') ?? null,
    resourceId: route.template === '/' ? 'root00' : route.own ? 'own000' : 'proxy0',
    now: options.now ?? new Date(),
  });
}

/**
 * An HTTP API (payload v2) proxy event: lower-case header names, repeated
 * headers joined with commas, cookies moved out of the headers into `cookies`,
 * the method in `requestContext.http`, and the route in `routeKey`.
 */
export function httpApiEvent(req: HttpRequestInfo, options: EventOptions = {}): APIGatewayProxyEventV2 {
  const requestId = options.requestId ?? randomUUID();
  const { path, rawQuery } = splitUrl(req.url);
  const route = options.route ?? proxyParameters(matchRoute(path));
  const routeKey = `${req.method === 'OPTIONS' && !route.own ? 'OPTIONS' : 'ANY'} ${route.template}`;
  const clientPairs = headerPairs(req.rawHeaders);
  const host = findHeader(clientPairs, 'host') ?? 'localhost';
  const port = host.includes(':') ? host.slice(host.lastIndexOf(':') + 1) : '80';
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const pairs = [...clientPairs];
  for (const extra of gatewayHeaders(req, port, requestId)) if (findHeader(pairs, extra[0].toLowerCase()) === undefined) pairs.push(extra);
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    if (key === 'cookie') {
      for (const c of value.split(';')) if (c.trim() !== '') cookies.push(c.trim());
      continue;
    }
    headers[key] = key in headers ? `${headers[key]},${value}` : value;
  }
  const query = queryPairs(rawQuery);
  let queryStringParameters: Record<string, string> | undefined;
  if (query.length > 0) {
    queryStringParameters = {};
    for (const [k, v] of query) queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;
  }
  const textual = isTextual(findHeader(clientPairs, 'content-type'));
  return httpApiEvent_({
    routeKey,
    method: req.method,
    rawPath: path,
    rawQueryString: rawQuery,
    headers,
    ...(cookies.length > 0 ? { cookies } : {}),
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(route.pathParameters !== undefined ? { pathParameters: route.pathParameters } : {}),
    ...(req.body.length > 0 ? { body: textual ? req.body.toString('utf8') : req.body.toString('base64'), isBase64Encoded: !textual } : {}),
    requestId,
    domainName: host,
    sourceIp: req.sourceIp,
    protocol: `HTTP/${req.httpVersion}`,
    userAgent: findHeader(clientPairs, 'user-agent') ?? '',
    now: options.now ?? new Date(),
  });
}

export function eventFor(payload: PayloadVersion, req: HttpRequestInfo, options: EventOptions = {}): APIGatewayProxyEvent | APIGatewayProxyEventV2 {
  return payload === 'v1' ? restEvent(req, options) : httpApiEvent(req, options);
}

/** The HTTP response API Gateway sends the client. Header names keep the function's casing. */
export interface HttpResponseOut {
  statusCode: number;
  headers: Array<[string, string]>;
  body: Buffer;
  /** Why API Gateway refused the function's result, as its execution log would say. */
  gatewayError?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function statusOf(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d{3}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/** The answer API Gateway gives when the function failed or returned something it cannot use. */
export function gatewayFailure(payload: PayloadVersion, why: string): HttpResponseOut {
  // REST answers a bad integration response with 502; HTTP APIs with 500.
  const statusCode = payload === 'v1' ? 502 : 500;
  const message = payload === 'v1' ? 'Internal server error' : 'Internal Server Error';
  return { statusCode, headers: [['Content-Type', 'application/json']], body: Buffer.from(JSON.stringify({ message })), gatewayError: why };
}

function bodyOf(body: unknown, base64: unknown): Buffer | string {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') return 'body must be a string';
  return base64 === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

function hasHeader(headers: Array<[string, string]>, lowerName: string): boolean {
  return headers.some(([k]) => k.toLowerCase() === lowerName);
}

/**
 * A REST (v1) proxy result as API Gateway sends it: `statusCode` required,
 * every header value a string, `multiValueHeaders` (arrays of strings) winning
 * over `headers` for the same name; anything else is a "Malformed Lambda proxy
 * response" (502).
 */
export function restResponse(result: unknown): HttpResponseOut {
  const malformed = (why: string) => gatewayFailure('v1', `Malformed Lambda proxy response: ${why}`);
  if (!isRecord(result)) return malformed('the result is not an object');
  const statusCode = statusOf(result.statusCode);
  if (statusCode === undefined) return malformed('statusCode is missing or not a status code');
  const single = result.headers ?? {};
  const multi = result.multiValueHeaders ?? {};
  if (!isRecord(single)) return malformed('headers is not an object');
  if (!isRecord(multi)) return malformed('multiValueHeaders is not an object');
  const merged = new Map<string, Array<[string, string]>>();
  for (const [name, value] of Object.entries(single)) {
    if (typeof value !== 'string') return malformed(`header ${name} has a ${typeof value} value; header values must be strings`);
    merged.set(name.toLowerCase(), [[name, value]]);
  }
  const fromMulti = new Map<string, Array<[string, string]>>();
  for (const [name, values] of Object.entries(multi)) {
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) return malformed(`multiValueHeaders.${name} must be an array of strings`);
    const key = name.toLowerCase();
    const list = fromMulti.get(key) ?? [];
    for (const v of values as string[]) list.push([name, v]);
    fromMulti.set(key, list);
  }
  for (const [key, list] of fromMulti) merged.set(key, list);
  const body = bodyOf(result.body, result.isBase64Encoded);
  if (typeof body === 'string') return malformed(body);
  const headers = [...merged.values()].flat();
  if (!hasHeader(headers, 'content-type')) headers.push(['Content-Type', 'application/json']);
  return { statusCode, headers, body };
}

/**
 * An HTTP API (v2) result: a structured response when it has `statusCode`;
 * otherwise any JSON value means 200 `application/json` with that JSON as the
 * body. `cookies` become one `Set-Cookie` each.
 */
export function httpApiResponse(result: unknown): HttpResponseOut {
  const malformed = (why: string) => gatewayFailure('v2', `Malformed Lambda proxy response: ${why}`);
  if (!isRecord(result) || !('statusCode' in result)) {
    return {
      statusCode: 200,
      headers: [['Content-Type', 'application/json']],
      body: Buffer.from(typeof result === 'string' ? result : JSON.stringify(result)),
    };
  }
  const statusCode = statusOf(result.statusCode);
  if (statusCode === undefined) return malformed('statusCode is not a status code');
  const single = result.headers ?? {};
  if (!isRecord(single)) return malformed('headers is not an object');
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(single)) {
    if (typeof value !== 'string') return malformed(`header ${name} has a ${typeof value} value; header values must be strings`);
    headers.push([name, value]);
  }
  if (result.cookies !== undefined) {
    if (!Array.isArray(result.cookies) || result.cookies.some((c) => typeof c !== 'string')) return malformed('cookies must be an array of strings');
    for (const c of result.cookies as string[]) headers.push(['Set-Cookie', c]);
  }
  const body = bodyOf(result.body, result.isBase64Encoded);
  if (typeof body === 'string') return malformed(body);
  return { statusCode, headers, body };
}

export function responseFor(payload: PayloadVersion, result: unknown): HttpResponseOut {
  return payload === 'v1' ? restResponse(result) : httpApiResponse(result);
}
