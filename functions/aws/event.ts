import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type { CorsRequest } from '../core/request';

/** An API Gateway proxy event: REST (payload v1) or HTTP API (payload v2). */
export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

export function isV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0';
}

/**
 * True when `key` is `lowerName` in any case: by length and first letter
 * first, so most of a request's header names cost no lower-casing.
 */
function isHeaderName(key: string, lowerName: string): boolean {
  return key.length === lowerName.length && (key.charCodeAt(0) | 32) === lowerName.charCodeAt(0) && key.toLowerCase() === lowerName;
}

/**
 * {@link isHeaderName} for a key of the right length, trying the two casings
 * clients send (`origin` over HTTP/2 and in payload v2, `Origin` over HTTP/1.1)
 * by plain comparison before lower-casing: the hot path allocates no string.
 */
function isPreflightHeaderName(key: string, lowerName: string, canonicalName: string): boolean {
  return key === lowerName || key === canonicalName || ((key.charCodeAt(0) | 32) === lowerName.charCodeAt(0) && key.toLowerCase() === lowerName);
}

/** The two casings clients send a header name in: `origin` (HTTP/2, payload v2) and `Origin` (HTTP/1.1). */
function canonicalCasing(lowerName: string): string {
  return lowerName.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** A string value of `headers` under one of the usual casings of `lowerName`, joined as several lines are. */
function usualCasingValue(headers: Record<string, unknown>, lower: string, canonical: string): string | undefined {
  const a = headers[lower];
  const b = lower === canonical ? undefined : headers[canonical];
  if (typeof a === 'string') return typeof b === 'string' ? `${a},${b}` : a;
  return typeof b === 'string' ? b : undefined;
}

/**
 * The names of `multiValueHeaders` when it is a map with at least one entry
 * (API Gateway's complete map of the request's headers), else undefined.
 */
function multiValueKeys(multi: unknown): string[] | undefined {
  if (!multi || typeof multi !== 'object') return undefined;
  const keys = Object.keys(multi);
  return keys.length > 0 ? keys : undefined;
}

/**
 * Reads one header case-insensitively. Payload v1 keeps the client's casing and
 * may split a header over `multiValueHeaders` (which then holds every value);
 * payload v2 lower-cases names and joins duplicates with commas. Several values
 * are joined with ",", so two Origin lines become one malformed origin.
 *
 * A non-empty `multiValueHeaders` is API Gateway's complete map (it sends both
 * maps with the same names), so it is the one enumerated; `headers` then only
 * fills in, under the usual casings (`origin`, `Origin`), what it lacks (events
 * written by hand or by `sam local generate-event`). Enumerating a map costs
 * ~22 µs per 1,000 names here: reading one map, not two, is what bounds a
 * request that fills API Gateway's 10 KB of headers with names (issue 22).
 *
 * @param lowerName - the header's name in lower case
 * @param canonicalName - its usual capitalised casing (`Origin`); default: derived from `lowerName`
 */
export function readHeader(event: ApiGatewayEvent, lowerName: string, canonicalName?: string): string | undefined {
  const multi = (event as APIGatewayProxyEvent).multiValueHeaders as unknown;
  const headers = event.headers as Record<string, unknown> | null | undefined;
  // Object.keys, not for...in: a request may carry hundreds of headers, and for...in over such an object costs more.
  const multiKeys = multiValueKeys(multi);
  if (multiKeys) {
    let joined: string | undefined;
    for (const key of multiKeys) {
      if (!isHeaderName(key, lowerName)) continue;
      const values = (multi as Record<string, unknown>)[key];
      if (!Array.isArray(values)) continue;
      for (const v of values) if (typeof v === 'string') joined = joined === undefined ? v : `${joined},${v}`;
    }
    if (joined !== undefined || !headers || typeof headers !== 'object') return joined;
    // A caller on a per-request path passes the canonical casing, so no name is rewritten per request.
    return usualCasingValue(headers, lowerName, canonicalName ?? canonicalCasing(lowerName));
  }
  if (!headers || typeof headers !== 'object') return undefined;
  let found: string | undefined;
  for (const key of Object.keys(headers)) {
    if (!isHeaderName(key, lowerName)) continue;
    const v = headers[key];
    if (typeof v === 'string') found = found === undefined ? v : `${found},${v}`;
  }
  return found;
}

// Route templates are few and fixed per API: parse each once.
type TemplatePart = string | { param: string; greedy: boolean };
const templateCache = new Map<string, TemplatePart[]>();
const TEMPLATE_CACHE_LIMIT = 1000;

function templateParts(template: string): TemplatePart[] {
  let parts = templateCache.get(template);
  if (!parts) {
    parts = template.split('/').map((seg) => {
      const m = /^\{([^{}+]+)(\+?)\}$/.exec(seg);
      return m ? { param: m[1] as string, greedy: m[2] === '+' } : seg;
    });
    if (templateCache.size < TEMPLATE_CACHE_LIMIT) templateCache.set(template, parts);
  }
  return parts;
}

/**
 * A greedy parameter's value without leading slashes. API Gateway never
 * starts one with "/" (the template has the separator), but the SAM CLI's
 * `sam local generate-event apigateway aws-proxy` does (`"proxy": "/path/to/resource"`):
 * such an event is routed as API Gateway would route its request path.
 */
function greedyValue(value: unknown): string {
  if (typeof value !== 'string') return '';
  let i = 0;
  while (value.charCodeAt(i) === 47 /* / */) i++;
  return i === 0 ? value : value.slice(i);
}

/**
 * The request's path relative to the API root, rebuilt from the matched route
 * template and the path parameters (`/{proxy+}` + `proxy=products/42`, or
 * `/products/{id}` + `id=42`). Never `path`/`rawPath`, which carry stages and
 * custom-domain base paths, except for an HTTP API `$default` route, where the
 * named stage is stripped from `rawPath`.
 */
export function routePath(event: ApiGatewayEvent): string {
  let template: string | undefined;
  if (isV2(event)) {
    const routeKey = typeof event.routeKey === 'string' ? event.routeKey : '';
    const space = routeKey.indexOf(' ');
    template = space >= 0 ? routeKey.slice(space + 1) : undefined;
    if (template === undefined) {
      const raw = typeof event.rawPath === 'string' ? event.rawPath : '/';
      const stage = event.requestContext?.stage;
      // Only a named stage appears in rawPath; the $default stage has no prefix.
      if (typeof stage !== 'string' || stage === '' || stage === '$default') return raw;
      if (raw === `/${stage}`) return '/';
      return raw.startsWith(`/${stage}/`) ? raw.slice(stage.length + 1) : raw;
    }
  } else {
    template = typeof event.resource === 'string' ? event.resource : undefined;
  }
  const params = (event.pathParameters ?? {}) as Record<string, unknown>;
  if (template === undefined || template === '') {
    const proxy = greedyValue(params.proxy);
    return proxy !== '' ? `/${proxy}` : '/';
  }
  if (template === '/') return '/';
  // The preflight function's own route: no template to split.
  if (template === '/{proxy+}') return `/${greedyValue(params.proxy)}`;
  const parts = templateParts(template);
  let path = '';
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as TemplatePart;
    if (typeof part === 'string') path += `/${part}`;
    else if (part.greedy) path += `/${greedyValue(params[part.param])}`;
    else {
      const value = params[part.param];
      path += `/${typeof value === 'string' ? value : ''}`;
    }
  }
  return path === '' ? '/' : path;
}

/** The request's own HTTP method. */
export function requestMethod(event: ApiGatewayEvent): string {
  const m = isV2(event) ? event.requestContext?.http?.method : event.httpMethod;
  return typeof m === 'string' ? m : '';
}

const ORIGIN = 'origin';
const ACRM = 'access-control-request-method';
const ACRH = 'access-control-request-headers';

/** Which of the three preflight headers a header name is: by length, then as {@link isHeaderName}. */
function preflightHeaderIndex(key: string): 0 | 1 | 2 | -1 {
  const n = key.length;
  if (n === 6) return isPreflightHeaderName(key, ORIGIN, 'Origin') ? 0 : -1;
  if (n === 29) return isPreflightHeaderName(key, ACRM, 'Access-Control-Request-Method') ? 1 : -1;
  if (n === 30) return isPreflightHeaderName(key, ACRH, 'Access-Control-Request-Headers') ? 2 : -1;
  return -1;
}

/** Appends a header's further value as {@link readHeader} joins them. */
const joinValue = (found: string | undefined, v: string): string => (found === undefined ? v : `${found},${v}`);

/**
 * `Origin`, `Access-Control-Request-Method` and `Access-Control-Request-Headers`
 * in one pass over one header map, with exactly {@link readHeader}'s rules: a
 * non-empty `multiValueHeaders` enumerated, `headers` read under the usual
 * casings for the ones it lacks; else `headers` enumerated.
 */
function readPreflightHeaders(event: ApiGatewayEvent): [string | undefined, string | undefined, string | undefined] {
  let origin: string | undefined;
  let acrm: string | undefined;
  let acrh: string | undefined;
  const multi = (event as APIGatewayProxyEvent).multiValueHeaders as unknown;
  const headers = event.headers as Record<string, unknown> | null | undefined;
  const keys = multiValueKeys(multi);
  if (keys) {
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] as string;
      const i = preflightHeaderIndex(key);
      if (i === -1) continue;
      const values = (multi as Record<string, unknown>)[key];
      if (!Array.isArray(values)) continue;
      for (const v of values) {
        if (typeof v !== 'string') continue;
        if (i === 0) origin = joinValue(origin, v);
        else if (i === 1) acrm = joinValue(acrm, v);
        else acrh = joinValue(acrh, v);
      }
    }
    if (headers && typeof headers === 'object') {
      // Only the headers multiValueHeaders lacks, and only under the usual casings: no second enumeration.
      origin ??= usualCasingValue(headers, ORIGIN, 'Origin');
      acrm ??= usualCasingValue(headers, ACRM, 'Access-Control-Request-Method');
      acrh ??= usualCasingValue(headers, ACRH, 'Access-Control-Request-Headers');
    }
    return [origin, acrm, acrh];
  }
  if (headers && typeof headers === 'object') {
    const keys = Object.keys(headers);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] as string;
      const i = preflightHeaderIndex(key);
      if (i === -1) continue;
      const v = headers[key];
      if (typeof v !== 'string') continue;
      if (i === 0) origin = joinValue(origin, v);
      else if (i === 1) acrm = joinValue(acrm, v);
      else acrh = joinValue(acrh, v);
    }
  }
  return [origin, acrm, acrh];
}

/** Turns an API Gateway event into the engine's request. Never throws on odd events. */
export function corsRequestFromEvent(event: ApiGatewayEvent): CorsRequest {
  const [origin, acrm, acrh] = readPreflightHeaders(event);
  return { method: requestMethod(event), path: routePath(event), origin, requestMethod: acrm, requestHeaders: acrh };
}
