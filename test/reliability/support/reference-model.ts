/**
 * A deliberately naive model of the CORS rules the product promises, written
 * from the Fetch standard, the API Gateway payload formats and the policy contract, without
 * importing anything from functions/. Every lookup is a linear scan and every
 * check a plain string comparison: slow, obvious, and independent of the
 * engine's tries, hash keys and precomputed strings it is compared against.
 */

/** A policy document as the contract defines it (only valid documents reach the model). */
export interface ModelPolicyDocument {
  route: string | string[];
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  allowCredentials?: boolean;
  maxAge?: number;
  dangerouslyAllowInsecureOriginsWithCredentials?: boolean;
  description?: string;
}

export interface ModelPolicy {
  source: string;
  doc: ModelPolicyDocument;
}

export interface ModelRequest {
  path: string;
  origin: string | undefined;
  requestMethod: string | undefined;
  requestHeaders: string | undefined;
}

export type ModelDecision =
  | { kind: 'not-preflight' }
  | { kind: 'allowed'; source: string; headers: Record<string, string> }
  | { kind: 'denied'; reason: string };

export const MODEL_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

// RFC 9110 tchar, spelled out rather than as a character class.
const TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";
export function modelIsToken(s: string): boolean {
  if (s.length === 0) return false;
  for (const ch of s) {
    const alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!alnum && !TCHAR_SYMBOLS.includes(ch)) return false;
  }
  return true;
}

function asList(route: string | string[]): string[] {
  return typeof route === 'string' ? [route] : route;
}

// ---------------------------------------------------------------- routes

type Seg = { kind: 'literal'; text: string } | { kind: 'param' } | { kind: 'greedy' };

/** `/a/{id}/{rest+}` → literal a, param, greedy; `/` → no segments. Only valid patterns reach here. */
function routeSegments(route: string): Seg[] {
  if (route === '/') return [];
  return route
    .slice(1)
    .split('/')
    .map((part): Seg => (part.startsWith('{') ? (part.endsWith('+}') ? { kind: 'greedy' } : { kind: 'param' }) : { kind: 'literal', text: part }));
}

/** Two routes are the same route when they differ only in parameter names. */
export function modelRouteKey(route: string): string {
  if (route === '$default') return '$default';
  return `/${routeSegments(route)
    .map((s) => (s.kind === 'literal' ? s.text : s.kind === 'param' ? '{}' : '{+}'))
    .join('/')}`;
}

function pathSegments(path: string): string[] {
  if (path === '/' || path === '') return [];
  return (path.startsWith('/') ? path.slice(1) : path).split('/');
}

/**
 * A literal matches its exact text; a parameter matches one non-empty segment;
 * a greedy parameter matches the rest of the path, one segment or more, the
 * first non-empty (like any parameter). `/` matches only the root.
 */
function routeMatches(segs: Seg[], path: string[]): boolean {
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.kind === 'greedy') return path.length > i && path[i] !== '';
    if (i >= path.length) return false;
    if (s.kind === 'literal' ? path[i] !== s.text : path[i] === '') return false;
  }
  return segs.length === path.length;
}

const RANK = { literal: 2, param: 1, greedy: 0 } as const;

/** Positive when `a` is more specific than `b`: at the first differing segment, literal > {param} > {greedy+}. */
function compareSpecificity(a: Seg[], b: Seg[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const ra = a[i] ? RANK[a[i]!.kind] : -1;
    const rb = b[i] ? RANK[b[i]!.kind] : -1;
    if (ra !== rb) return ra - rb;
  }
  return 0;
}

/**
 * The policies that serve: every valid one (only valid documents reach the
 * model). Who holds a route depends on nothing but the stored policies: a
 * route claimed by two or more of them is held by none (see {@link modelRoute}).
 */
export function modelServingPolicies(policies: readonly ModelPolicy[]): ModelPolicy[] {
  return [...policies];
}

/** The route keys claimed by more than one policy. */
export function modelConflictedRoutes(policies: readonly ModelPolicy[]): Set<string> {
  const claimants = new Map<string, number>();
  for (const p of policies) for (const k of asList(p.doc.route).map(modelRouteKey)) claimants.set(k, (claimants.get(k) ?? 0) + 1);
  return new Set([...claimants].filter(([, n]) => n > 1).map(([k]) => k));
}

/**
 * The most specific route matching the path (`$default` when none does), and
 * who holds it: its policy, or `conflict` when several policies claim it
 * (then the request is denied; nothing less specific is tried).
 */
export function modelRoute(serving: readonly ModelPolicy[], path: string): { kind: 'policy'; policy: ModelPolicy } | { kind: 'conflict' } | undefined {
  const segs = pathSegments(path);
  const conflicted = modelConflictedRoutes(serving);
  let best: { policy: ModelPolicy; segs: Seg[]; key: string } | undefined;
  let fallback: ModelPolicy | undefined;
  for (const policy of serving) {
    for (const route of asList(policy.doc.route)) {
      if (route === '$default') {
        fallback = policy;
        continue;
      }
      const rs = routeSegments(route);
      if (!routeMatches(rs, segs)) continue;
      if (!best || compareSpecificity(rs, best.segs) > 0) best = { policy, segs: rs, key: modelRouteKey(route) };
    }
  }
  if (best) return conflicted.has(best.key) ? { kind: 'conflict' } : { kind: 'policy', policy: best.policy };
  if (fallback) return conflicted.has('$default') ? { kind: 'conflict' } : { kind: 'policy', policy: fallback };
  return undefined;
}

/** The policy that answers for the path; undefined when none does (no route, or a contested one). */
export function modelFindPolicy(serving: readonly ModelPolicy[], path: string): ModelPolicy | undefined {
  const held = modelRoute(serving, path);
  return held?.kind === 'policy' ? held.policy : undefined;
}

// ---------------------------------------------------------------- origins

/** A request origin split into parts, when it is one serialized http(s) origin as a browser sends it. */
export interface ModelOrigin {
  scheme: 'http' | 'https';
  host: string;
  /** '' when absent (the scheme's default). */
  port: string;
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A bound against abuse: a serialized origin longer than this is refused outright. */
export const MODEL_MAX_ORIGIN = 300;

/**
 * `scheme://host[:port]` exactly as browsers serialize it: http or https,
 * a lower-case host of dot-separated non-empty labels of letters, digits,
 * hyphens and underscores, with at most one trailing dot (WHATWG URL keeps
 * both: `https://example.com.`, `http://ex_am-ple.com`), or a bracketed IPv6 literal, and an optional port from 1 to 65535
 * written without leading zeros and never the scheme's default port.
 */
export function modelParseOrigin(origin: string): ModelOrigin | undefined {
  if (origin.length > MODEL_MAX_ORIGIN) return undefined;
  let scheme: 'http' | 'https';
  let rest: string;
  if (origin.startsWith('https://')) [scheme, rest] = ['https', origin.slice(8)];
  else if (origin.startsWith('http://')) [scheme, rest] = ['http', origin.slice(7)];
  else return undefined;
  let host = rest;
  let port = '';
  const close = rest.lastIndexOf(']');
  const colon = rest.lastIndexOf(':');
  if (colon > close) {
    host = rest.slice(0, colon);
    port = rest.slice(colon + 1);
    if (port === '' || port[0] === '0' || [...port].some((c) => c < '0' || c > '9') || Number(port) > 65535) return undefined;
    if ((scheme === 'https' && port === '443') || (scheme === 'http' && port === '80')) return undefined;
  }
  if (host.startsWith('[')) {
    if (!host.endsWith(']') || host.length < 3) return undefined;
    if ([...host.slice(1, -1)].some((c) => !'0123456789abcdef:.'.includes(c))) return undefined;
  } else {
    if (host === '') return undefined;
    const name = host.endsWith('.') ? host.slice(0, -1) : host;
    for (const label of name.split('.')) {
      if (label === '') return undefined;
      if ([...label].some((c) => !LOWER_ALNUM.includes(c) && c !== '-' && c !== '_')) return undefined;
    }
  }
  return { scheme, host, port };
}

/**
 * Does one allowOrigins entry allow this (well-formed) origin?
 * `*` any origin; `scheme://host:*` that host on any port; `scheme://*.base[:port|:*]`
 * any proper subdomain of base (never base itself); otherwise byte equality.
 */
export function modelOriginAllowedBy(pattern: string, origin: string, o: ModelOrigin): boolean {
  if (pattern === '*') return true;
  const schemeEnd = pattern.indexOf('://');
  const scheme = pattern.slice(0, schemeEnd);
  if (scheme !== o.scheme) return false;
  const hostPort = pattern.slice(schemeEnd + 3);
  if (hostPort.startsWith('*.')) {
    const afterStar = hostPort.slice(2);
    const colon = afterStar.lastIndexOf(':');
    const base = colon >= 0 ? afterStar.slice(0, colon) : afterStar;
    const port = colon >= 0 ? afterStar.slice(colon + 1) : '';
    if (o.host.startsWith('[')) return false;
    const suffix = `.${base}`;
    if (!o.host.endsWith(suffix) || o.host.length === suffix.length) return false;
    return port === '*' || port === o.port;
  }
  if (hostPort.endsWith(':*')) return o.host === hostPort.slice(0, -2);
  return pattern === origin;
}

export function modelOriginAllowed(doc: ModelPolicyDocument, origin: string): boolean {
  const o = modelParseOrigin(origin);
  return o !== undefined && doc.allowOrigins.some((p) => modelOriginAllowedBy(p, origin, o));
}

// ---------------------------------------------------------------- methods

/** Fetch's forbidden methods: browsers never send them, so not even `*` covers them. */
const FORBIDDEN = ['CONNECT', 'TRACE', 'TRACK'];

/** Byte-exact (PATCH does not allow patch); `*` is any other token (only ever without credentials). */
export function modelMethodAllowed(doc: ModelPolicyDocument, method: string): boolean {
  if (doc.allowMethods.includes(method)) return true;
  return doc.allowMethods.includes('*') && method.length <= MODEL_METHOD_MAX_LENGTH && modelIsToken(method) && !FORBIDDEN.includes(method.toUpperCase());
}

/** Longer method tokens are refused in requests (and in policies). */
export const MODEL_METHOD_MAX_LENGTH = 64;

/** The WHATWG URL standard's single- and double-dot segments, which browsers remove before sending. */
const DOT_SEGMENTS = ['.', '..', '%2e', '.%2e', '%2e.', '%2e%2e'];
export function modelHasDotSegment(path: string): boolean {
  return path.split('/').some((seg) => DOT_SEGMENTS.includes(seg.toLowerCase()));
}

// ---------------------------------------------------------------- request headers

export const MODEL_ACRH_MAX_LENGTH = 4096;
export const MODEL_ACRH_MAX_ELEMENTS = 64;

/** Access-Control-Request-Headers: comma-separated names, spaces/tabs around them and empty elements tolerated, bounded. */
export function modelParseRequestHeaders(value: string | undefined): string[] | undefined {
  if (value === undefined || value === '') return [];
  if (value.length > MODEL_ACRH_MAX_LENGTH) return undefined;
  const elements = value.split(',');
  if (elements.length > MODEL_ACRH_MAX_ELEMENTS) return undefined;
  const names: string[] = [];
  for (const e of elements) {
    let a = 0;
    let b = e.length;
    while (a < b && (e[a] === ' ' || e[a] === '\t')) a++;
    while (b > a && (e[b - 1] === ' ' || e[b - 1] === '\t')) b--;
    const name = e.slice(a, b);
    if (name === '') continue;
    if (!modelIsToken(name)) return undefined;
    names.push(name.toLowerCase());
  }
  return names;
}

// ---------------------------------------------------------------- decision

/** The preflight answer the contract promises for this request under these policies. */
export function modelDecide(policies: readonly ModelPolicy[] | undefined, req: ModelRequest): ModelDecision {
  if (req.origin === undefined || req.requestMethod === undefined) return { kind: 'not-preflight' };
  if (!policies) return { kind: 'denied', reason: 'no_policies_loaded' };
  if (modelHasDotSegment(req.path)) return { kind: 'denied', reason: 'path_not_normalized' };
  const held = modelRoute(modelServingPolicies(policies), req.path);
  if (!held) return { kind: 'denied', reason: 'no_route_policy' };
  if (held.kind === 'conflict') return { kind: 'denied', reason: 'route_conflict' };
  const policy = held.policy;
  const doc = policy.doc;
  const origin = req.origin;
  const parsed = modelParseOrigin(origin);
  if (!parsed) return { kind: 'denied', reason: 'origin_malformed' };
  if (!doc.allowOrigins.some((p) => modelOriginAllowedBy(p, origin, parsed))) return { kind: 'denied', reason: 'origin_not_allowed' };
  const method = req.requestMethod;
  if (method.length > MODEL_METHOD_MAX_LENGTH || !modelIsToken(method)) return { kind: 'denied', reason: 'method_malformed' };
  if (!modelMethodAllowed(doc, method)) return { kind: 'denied', reason: 'method_not_allowed' };
  const names = modelParseRequestHeaders(req.requestHeaders);
  if (!names) return { kind: 'denied', reason: 'headers_malformed' };
  const allowed = (doc.allowHeaders ?? []).map((h) => h.toLowerCase());
  for (const n of names) {
    const listed = allowed.includes(n);
    const wildcard = allowed.includes('*') && n !== 'authorization';
    if (!listed && !wildcard) return { kind: 'denied', reason: 'header_not_allowed' };
  }
  const credentials = doc.allowCredentials === true;
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': doc.allowOrigins.includes('*') && !credentials ? '*' : origin,
    'Access-Control-Allow-Methods': doc.allowMethods.join(', '),
    'Access-Control-Max-Age': String(doc.maxAge ?? 7200),
    Vary: MODEL_VARY,
  };
  if (credentials) headers['Access-Control-Allow-Credentials'] = 'true';
  if (allowed.length > 0) headers['Access-Control-Allow-Headers'] = allowed.join(', ');
  return { kind: 'allowed', source: policy.source, headers };
}

/** Headers for an actual response: the origin allowed and the request's own method listed, exactly as a preflight needs. */
export function modelActualHeaders(
  policies: readonly ModelPolicy[] | undefined,
  req: { method: string; path: string; origin: string | undefined },
): Record<string, string> {
  const headers: Record<string, string> = { Vary: 'Origin' };
  if (req.origin === undefined || !policies || modelHasDotSegment(req.path)) return headers;
  const policy = modelFindPolicy(modelServingPolicies(policies), req.path);
  if (!policy) return headers;
  const doc = policy.doc;
  if (!modelOriginAllowed(doc, req.origin)) return headers;
  if (!modelMethodAllowed(doc, req.method)) return headers;
  const credentials = doc.allowCredentials === true;
  headers['Access-Control-Allow-Origin'] = doc.allowOrigins.includes('*') && !credentials ? '*' : req.origin;
  if (credentials) headers['Access-Control-Allow-Credentials'] = 'true';
  const expose = (doc.exposeHeaders ?? []).map((h) => h.toLowerCase());
  if (expose.length > 0) headers['Access-Control-Expose-Headers'] = expose.join(', ');
  return headers;
}

// ---------------------------------------------------------------- API Gateway events

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * One request header from an API Gateway event, as API Gateway documents the payloads:
 * names are case-insensitive; payload v1 may split a header over
 * `multiValueHeaders`, which then holds every value and every name (and wins over `headers`);
 * several values are joined with ",". Values that are not strings are ignored.
 */
export function modelEventHeader(event: unknown, lowerName: string): string | undefined {
  if (!isRecord(event)) return undefined;
  const collect = (map: unknown, each: (v: unknown, push: (s: string) => void) => void): string[] => {
    const out: string[] = [];
    if (!isRecord(map)) return out;
    for (const key of Object.keys(map)) {
      if (key.toLowerCase() !== lowerName) continue;
      each(map[key], (s) => out.push(s));
    }
    return out;
  };
  const multi = collect(event.multiValueHeaders, (v, push) => {
    if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') push(s);
  });
  if (multi.length > 0) return multi.join(',');
  // A non-empty multiValueHeaders is API Gateway's complete map: headers only fills in, under the
  // two casings clients send (origin, Origin), what it lacks (issue 22: one enumeration per request).
  if (isRecord(event.multiValueHeaders) && Object.keys(event.multiValueHeaders).length > 0) {
    if (!isRecord(event.headers)) return undefined;
    const canonical = lowerName
      .split('-')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('-');
    const found = [lowerName, canonical].filter((n, i, all) => all.indexOf(n) === i).map((n) => (event.headers as Record<string, unknown>)[n]);
    const strings = found.filter((v): v is string => typeof v === 'string');
    return strings.length > 0 ? strings.join(',') : undefined;
  }
  const single = collect(event.headers, (v, push) => {
    if (typeof v === 'string') push(v);
  });
  return single.length > 0 ? single.join(',') : undefined;
}

/**
 * The path relative to the API root: the matched route template with each
 * `{name}`/`{name+}` replaced by its path parameter (missing → empty). Payload v2
 * takes the template from `routeKey` ("METHOD /template"); for a `$default` route
 * it uses `rawPath` without the named stage. Payload v1 takes `resource`; with no
 * template at all, `/` + the `proxy` parameter. A greedy parameter's leading
 * slashes are dropped (SAM CLI events write `"proxy": "/path"`; API Gateway never does).
 */
export function modelEventPath(event: unknown): string {
  if (!isRecord(event)) return '/';
  const params = isRecord(event.pathParameters) ? event.pathParameters : {};
  let template: string | undefined;
  if (event.version === '2.0') {
    const routeKey = typeof event.routeKey === 'string' ? event.routeKey : '';
    const space = routeKey.indexOf(' ');
    if (space < 0) {
      const raw = typeof event.rawPath === 'string' ? event.rawPath : '/';
      const ctx = isRecord(event.requestContext) ? event.requestContext : {};
      const stage = typeof ctx.stage === 'string' && ctx.stage !== '' && ctx.stage !== '$default' ? ctx.stage : undefined;
      if (stage === undefined) return raw;
      if (raw === `/${stage}`) return '/';
      return raw.startsWith(`/${stage}/`) ? raw.slice(stage.length + 1) : raw;
    }
    template = routeKey.slice(space + 1);
  } else {
    template = typeof event.resource === 'string' ? event.resource : undefined;
  }
  if (template === undefined || template === '') {
    const proxy = typeof params.proxy === 'string' ? params.proxy.replace(/^\/+/, '') : '';
    return proxy !== '' ? `/${proxy}` : '/';
  }
  if (template === '/') return '/';
  let path = '';
  for (const seg of template.split('/').slice(1)) {
    const m = /^\{([^{}+]+)(\+?)\}$/.exec(seg);
    if (!m) path += `/${seg}`;
    else {
      const v = params[m[1]!];
      const value = typeof v === 'string' ? v : '';
      path += `/${m[2] === '+' ? value.replace(/^\/+/, '') : value}`;
    }
  }
  return path === '' ? '/' : path;
}

/** The request's own method: `requestContext.http.method` (v2) or `httpMethod` (v1); '' when absent. */
export function modelEventMethod(event: unknown): string {
  if (!isRecord(event)) return '';
  if (event.version === '2.0') {
    const ctx = isRecord(event.requestContext) ? event.requestContext : {};
    const http = isRecord(ctx.http) ? ctx.http : {};
    return typeof http.method === 'string' ? http.method : '';
  }
  return typeof event.httpMethod === 'string' ? event.httpMethod : '';
}

export function modelRequestFromEvent(event: unknown): ModelRequest {
  return {
    path: modelEventPath(event),
    origin: modelEventHeader(event, 'origin'),
    requestMethod: modelEventHeader(event, 'access-control-request-method'),
    requestHeaders: modelEventHeader(event, 'access-control-request-headers'),
  };
}

/** The proxy result the preflight function must return for this event. */
export function modelHandlerResult(
  policies: readonly ModelPolicy[] | undefined,
  event: unknown,
): { statusCode: number; headers: Record<string, string>; body: string } {
  const d = modelDecide(policies, modelRequestFromEvent(event));
  if (d.kind === 'allowed') return { statusCode: 204, headers: d.headers, body: '' };
  if (d.kind === 'not-preflight') return { statusCode: 204, headers: { Vary: MODEL_VARY }, body: '' };
  return { statusCode: 403, headers: { Vary: MODEL_VARY }, body: '' };
}
