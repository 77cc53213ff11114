import { parseRequestOrigin } from './origin';
import { isRouteConflict, type PolicySet } from './policy-set';
import { allowOrigin, allowsMethod } from './preflight';
import type { CorsRequest } from './request';
import { hasDotSegment } from './route';

/**
 * CORS headers for an actual (non-preflight) response.
 *
 * Every such response varies by Origin, whether the origin is allowed, denied
 * or absent, so shared caches never serve one origin's answer to another.
 */
export interface ActualCorsHeaders {
  /** True when `Access-Control-Allow-Origin` is present. */
  readonly allowed: boolean;
  /** Fresh object: safe to mutate. Always holds `Vary: Origin`. */
  readonly headers: Record<string, string>;
}

/**
 * Headers for the actual response to `request`: the origin must be allowed and
 * the request's method listed, exactly as a preflight would need.
 */
export function actualResponseHeaders(set: PolicySet | undefined, request: Pick<CorsRequest, 'method' | 'path' | 'origin'>): ActualCorsHeaders {
  const headers: Record<string, string> = { Vary: 'Origin' };
  const origin = request.origin;
  // A path with dot segments never comes from a browser (see hasDotSegment): no CORS headers, as the preflight denies it.
  if (origin === undefined || !set || hasDotSegment(request.path)) return { allowed: false, headers };
  const policy = set.table.match(request.path);
  if (!policy || isRouteConflict(policy)) return { allowed: false, headers };
  const parsed = parseRequestOrigin(origin);
  if (!parsed || !policy.origins.matches(parsed) || !allowsMethod(policy, request.method)) return { allowed: false, headers };
  headers['Access-Control-Allow-Origin'] = allowOrigin(policy, origin);
  if (policy.allowCredentials) headers['Access-Control-Allow-Credentials'] = 'true';
  if (policy.values.exposeHeaders !== undefined) headers['Access-Control-Expose-Headers'] = policy.values.exposeHeaders;
  return { allowed: true, headers };
}
