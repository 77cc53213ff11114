import { parseRequestOrigin } from './origin';
import type { CompiledPolicy } from './policy';
import { describeClaims, isRouteConflict, type PolicySet, type RouteConflict } from './policy-set';
import { parseRequestHeaderList, type CorsRequest } from './request';
import { hasDotSegment } from './route';
import { FORBIDDEN_METHODS, MAX_METHOD_LENGTH, isToken } from './tokens';

/** Why a preflight was denied. Stable codes: operators search logs for them (and `cors-policy denials` accepts only these). */
export const DENY_REASONS = [
  'no_policies_loaded',
  'no_route_policy',
  'route_conflict',
  'path_not_normalized',
  'origin_malformed',
  'origin_not_allowed',
  'method_malformed',
  'method_not_allowed',
  'headers_malformed',
  'header_not_allowed',
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

export type PreflightDecision =
  /** OPTIONS without both `Origin` and `Access-Control-Request-Method`: not a CORS preflight. */
  | { readonly kind: 'not-preflight' }
  | { readonly kind: 'allowed'; readonly policy: CompiledPolicy; readonly headers: Record<string, string> }
  | { readonly kind: 'denied'; readonly reason: DenyReason; readonly detail: string; readonly policy?: CompiledPolicy; readonly conflict?: RouteConflict };

/** Every preflight answer depends on these request headers, allowed or not. */
export const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/** `*` for an anonymous any-origin policy, else the request's own origin. */
export function allowOrigin(policy: CompiledPolicy, origin: string): string {
  return policy.anyOrigin && !policy.allowCredentials ? '*' : origin;
}

/** An allowed preflight's headers, from strings computed when the policy was loaded. */
function preflightHeaders(policy: CompiledPolicy, origin: string): Record<string, string> {
  // A fresh object per answer: callers may mutate it, and nothing may leak between requests.
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': allowOrigin(policy, origin),
    'Access-Control-Allow-Methods': policy.values.allowMethods,
    'Access-Control-Max-Age': policy.values.maxAge,
    Vary: PREFLIGHT_VARY,
  };
  if (policy.allowCredentials) headers['Access-Control-Allow-Credentials'] = 'true';
  if (policy.values.allowHeaders !== undefined) headers['Access-Control-Allow-Headers'] = policy.values.allowHeaders;
  return headers;
}

/** True when the policy allows this request header name (lower case). `*` never covers `authorization`. */
export function allowsHeader(policy: CompiledPolicy, name: string): boolean {
  if (policy.headers.has(name)) return true;
  return policy.anyHeader && name !== 'authorization';
}

/** True when the policy allows this method, byte-exact. `*` never covers the forbidden methods. */
export function allowsMethod(policy: CompiledPolicy, method: string): boolean {
  if (policy.methods.has(method)) return true;
  return policy.anyMethod && method.length <= MAX_METHOD_LENGTH && isToken(method) && !FORBIDDEN_METHODS.has(method.toUpperCase());
}

/**
 * Decides a preflight. Pure: the same set and request always give the same
 * answer. `set` is undefined when no policies could ever be loaded (fail closed).
 */
export function decidePreflight(set: PolicySet | undefined, request: CorsRequest): PreflightDecision {
  const { origin, requestMethod } = request;
  if (origin === undefined || requestMethod === undefined) return { kind: 'not-preflight' };
  if (!set) return { kind: 'denied', reason: 'no_policies_loaded', detail: 'no policies could be loaded from the policy store yet' };
  if (hasDotSegment(request.path))
    return {
      kind: 'denied',
      reason: 'path_not_normalized',
      detail: 'the path has a "." or ".." segment, which browsers never send and API Gateway may have resolved before routing',
    };
  const holder = set.table.match(request.path);
  if (!holder) return { kind: 'denied', reason: 'no_route_policy', detail: `no policy has a route matching ${request.path}` };
  // A contested route is denied outright: falling through to a greedy or $default route would widen access.
  if (isRouteConflict(holder))
    return {
      kind: 'denied',
      reason: 'route_conflict',
      detail: `the route ${holder.key} is claimed by ${describeClaims(holder)}; it is denied until one of them gives it up`,
      conflict: holder,
    };
  return memoizedDecision(holder, origin, requestMethod, request.requestHeaders);
}

/*
 * Browsers repeat the same few (origin, method, header list) triples per
 * route, and the decision for a policy depends on nothing else: remember
 * recent ones. Bounded in entries and key length so that hostile variety only
 * costs the uncached path; the answer headers are copied on every hit.
 */
const MEMO_ENTRIES = 4096;
const MEMO_VALUE_LENGTH = 1024;
// policy -> origin -> request method -> request headers -> decision
type Memo = Map<string, Map<string, Map<string, PreflightDecision>>>;
let memo = new WeakMap<CompiledPolicy, Memo>();
let memoEntries = 0;

function memoizedDecision(policy: CompiledPolicy, origin: string, requestMethod: string, requestHeaders: string | undefined): PreflightDecision {
  const headersKey = requestHeaders ?? '';
  const hit = memo.get(policy)?.get(origin)?.get(requestMethod)?.get(headersKey);
  if (hit !== undefined) return hit.kind === 'allowed' ? { kind: 'allowed', policy, headers: { ...hit.headers } } : hit;
  const decision = decideForPolicy(policy, origin, requestMethod, requestHeaders);
  if (origin.length + requestMethod.length + headersKey.length <= MEMO_VALUE_LENGTH) {
    if (memoEntries >= MEMO_ENTRIES) {
      memo = new WeakMap();
      memoEntries = 0;
    }
    let byOrigin = memo.get(policy);
    if (!byOrigin) memo.set(policy, (byOrigin = new Map()));
    let byMethod = byOrigin.get(origin);
    if (!byMethod) byOrigin.set(origin, (byMethod = new Map()));
    let byHeaders = byMethod.get(requestMethod);
    if (!byHeaders) byMethod.set(requestMethod, (byHeaders = new Map()));
    byHeaders.set(headersKey, decision.kind === 'allowed' ? { ...decision, headers: { ...decision.headers } } : Object.freeze(decision));
    memoEntries++;
  }
  return decision;
}

function decideForPolicy(policy: CompiledPolicy, origin: string, requestMethod: string, requestHeaders: string | undefined): PreflightDecision {
  const parsedOrigin = parseRequestOrigin(origin);
  if (!parsedOrigin) return { kind: 'denied', reason: 'origin_malformed', detail: 'Origin is not a single serialized http(s) origin', policy };
  if (!policy.origins.matches(parsedOrigin)) return { kind: 'denied', reason: 'origin_not_allowed', detail: `origin is not in allowOrigins`, policy };
  if (requestMethod.length > MAX_METHOD_LENGTH || !isToken(requestMethod))
    return {
      kind: 'denied',
      reason: 'method_malformed',
      detail: `Access-Control-Request-Method is not a method token of at most ${MAX_METHOD_LENGTH} characters`,
      policy,
    };
  if (!allowsMethod(policy, requestMethod))
    return { kind: 'denied', reason: 'method_not_allowed', detail: `method ${requestMethod} is not in allowMethods (matching is case-sensitive)`, policy };
  const list = parseRequestHeaderList(requestHeaders);
  if (!list.ok) return { kind: 'denied', reason: 'headers_malformed', detail: `Access-Control-Request-Headers is ${list.reason}`, policy };
  for (const name of list.names) {
    if (!allowsHeader(policy, name)) {
      const why = name === 'authorization' && policy.anyHeader ? ' ("*" never covers authorization; list it)' : '';
      return { kind: 'denied', reason: 'header_not_allowed', detail: `header ${name} is not in allowHeaders${why}`, policy };
    }
  }
  return { kind: 'allowed', policy, headers: preflightHeaders(policy, origin) };
}
