import { parseOriginPattern } from '../core/origin';
import type { CompiledPolicy } from '../core/policy';
import type { PolicySet } from '../core/policy-set';
import { allowsHeader, allowsMethod } from '../core/preflight';
import type { RoutePattern } from '../core/route';
import type { BrowserRequest } from './browser-request';
import { evaluate } from './explain-model';

/**
 * The requests `cors-policy verify` sends, built from the policies, each with
 * the answer the engine expects (the code `explain` uses). Pure: no I/O.
 */

/** What a probe checks. */
export type ProbeKind =
  /** An allowed origin, method and the allowed headers: the preflight must pass. */
  | 'allowed'
  /** An origin that looks like an allowed one (`https://shop.example.com.cors-verify.example`): must be denied. */
  | 'look-alike-origin'
  /** A method the policy does not list: must be denied. */
  | 'unlisted-method'
  /** A request header the policy does not list: must be denied. */
  | 'unlisted-header'
  /** `--actual`: a GET or HEAD with an Origin; its CORS headers must be the layer's. */
  | 'actual';

export interface Probe {
  readonly id: number;
  readonly kind: ProbeKind;
  /** The policy whose route the path was made from, and that route as written. */
  readonly policy: string;
  readonly route: string;
  /** `OPTIONS` for a preflight; `GET` or `HEAD` for an actual request. */
  readonly method: 'OPTIONS' | 'GET' | 'HEAD';
  /** Path relative to the API root, e.g. `/products/cors-verify`. */
  readonly path: string;
  /** Exactly the headers sent besides what Node adds (Host, Connection): never Cookie or Authorization. */
  readonly headers: Readonly<Record<string, string>>;
  /** The policy allows credentials: a credentialed request would be checked too. */
  readonly credentials: boolean;
  readonly expected: Expected;
}

export interface Expected {
  /** The status of the preflight function's answer (204 or 403); null for an actual request (any status). */
  readonly status: number | null;
  /** The CORS headers of the expected answer, canonical names. For a preflight: all its headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether a browser would accept this request (credentialed when the policy allows credentials). */
  readonly browserAllows: boolean;
  /** The engine's deny reason, when denied. */
  readonly reason?: string;
}

/** The sample value of a `{param}` and the first segment of a `{greedy+}` in probe paths: easy to find in access logs. */
export const SAMPLE_SEGMENT = 'cors-verify';
const SAMPLE_PORT = '8080';
const SAMPLE_HOST_LABEL = 'cors-verify';
/** A reserved TLD (RFC 2606): a look-alike origin can never be someone's real site. */
const LOOK_ALIKE_SUFFIX = '.cors-verify.example';
const UNLISTED_HEADER = 'x-cors-verify-unlisted';
const WILDCARD_HEADER_SAMPLE = 'x-cors-verify';
// PURGE last: any token is a method a script may send, so a policy listing every common one still gets a negative probe.
const METHOD_CANDIDATES = ['DELETE', 'PATCH', 'PUT', 'POST', 'GET', 'PURGE'] as const;

/** A concrete path for a route pattern that the engine maps to `policy`, or undefined when none is found. */
export function concretePath(set: PolicySet, policy: CompiledPolicy, pattern: RoutePattern): string | undefined {
  const candidates: string[] = [];
  if (pattern.isDefault) {
    // A path nobody else claims: the route table falls back to $default only when no other route matches.
    for (let i = 0; i < 5; i++) candidates.push(`/${SAMPLE_SEGMENT}-default${i === 0 ? '' : `-${i}`}`, `/${SAMPLE_SEGMENT}-default-${i}/x`);
  } else if (pattern.segments.length === 0) candidates.push('/');
  else {
    for (const sample of [SAMPLE_SEGMENT, `${SAMPLE_SEGMENT}-2`, '1']) {
      candidates.push(`/${pattern.segments.map((s) => (s.kind === 'literal' ? s.text : s.kind === 'param' ? sample : `${sample}/a`)).join('/')}`);
    }
  }
  return candidates.find((p) => set.table.match(p) === policy);
}

/** One concrete origin per `allowOrigins` entry: a sample subdomain for `*.`, a sample port for `:*`. */
export function concreteOrigins(policy: CompiledPolicy): string[] {
  const out: string[] = [];
  for (const raw of policy.document.allowOrigins) {
    const parsed = parseOriginPattern(raw);
    if (!parsed.ok) continue;
    const p = parsed.pattern;
    switch (p.kind) {
      case 'any':
        out.push(`https://${SAMPLE_HOST_LABEL}.example`);
        break;
      case 'exact':
        out.push(raw);
        break;
      case 'anyPort':
        out.push(`${p.scheme}://${p.host}:${SAMPLE_PORT}`);
        break;
      case 'subdomains':
        out.push(`${p.scheme}://${SAMPLE_HOST_LABEL}.${p.base}${p.port === '' ? '' : `:${p.port === '*' ? SAMPLE_PORT : p.port}`}`);
        break;
    }
  }
  return [...new Set(out)];
}

/** `https://shop.example.com` -> `https://shop.example.com.cors-verify.example`: the suffix trick naive matchers fall for. */
export function lookAlike(origin: string): string {
  const m = /^(https?:\/\/)([^:/]+)(:\d+)?$/.exec(origin);
  return m ? `${m[1]}${m[2]}${LOOK_ALIKE_SUFFIX}${m[3] ?? ''}` : `https://${SAMPLE_HOST_LABEL}${LOOK_ALIKE_SUFFIX}`;
}

/** The methods a probe sends: every listed one, or a sample for `*`. */
function probeMethods(policy: CompiledPolicy): string[] {
  const listed = policy.document.allowMethods.filter((m) => m !== '*');
  if (policy.anyMethod && !listed.includes('PUT')) listed.push('PUT');
  return listed;
}

/** `Access-Control-Request-Headers` as a browser sends it: lower case, sorted, unique, no spaces. */
export function requestHeaderList(names: readonly string[]): string | undefined {
  const list = [...new Set(names.map((n) => n.toLowerCase()))].sort();
  return list.length > 0 ? list.join(',') : undefined;
}

function allowedHeaderNames(policy: CompiledPolicy): string[] {
  const names = [...policy.headers];
  if (policy.anyHeader) names.push(WILDCARD_HEADER_SAMPLE);
  return names;
}

interface Draft {
  kind: ProbeKind;
  method: 'OPTIONS' | 'GET' | 'HEAD';
  origin: string;
  requestMethod: string;
  requestHeaders?: string | undefined;
}

/** The answer the engine expects, through the same `evaluate` as `cors-policy explain`. */
function expectedFor(set: PolicySet, path: string, draft: Draft, credentials: boolean): Expected {
  const req: BrowserRequest = {
    method: draft.method === 'OPTIONS' ? draft.requestMethod : draft.method,
    path,
    origin: draft.origin,
    credentials,
    headers: [],
    preflight: draft.method === 'OPTIONS',
    preflightBecause: [],
    ...(draft.requestHeaders !== undefined ? { requestHeaders: draft.requestHeaders } : {}),
    notes: [],
  };
  const ev = evaluate(set, req);
  const reason = ev.failure?.reason;
  if (draft.method === 'OPTIONS' && ev.preflight) {
    return {
      status: ev.preflight.status,
      headers: { ...ev.preflight.headers },
      browserAllows: ev.failure?.stage !== 'preflight',
      ...(reason ? { reason } : {}),
    };
  }
  return { status: null, headers: { ...ev.actual.headers }, browserAllows: !ev.failure, ...(reason ? { reason } : {}) };
}

export interface ProbeOptions {
  /** Also send GET/HEAD requests with an Origin. Default false. */
  readonly actual?: boolean;
}

/** The requests of one route, before the engine's expected answers are computed. */
interface RoutePlan {
  readonly source: string;
  readonly policy: CompiledPolicy;
  readonly route: string;
  readonly path: string;
  readonly drafts: readonly Draft[];
}

/** What verify would send: cheap to build (no engine call per probe), so it is counted before anything is sent. */
export interface ProbePlan {
  readonly routes: readonly RoutePlan[];
  /** How many requests verify would send (retries aside). */
  readonly count: number;
  readonly skipped: Array<{ policy: string; route: string; reason: string }>;
}

/** The requests for every served policy and route, in policy and route order, without their expected answers. */
export function planProbes(set: PolicySet, options: ProbeOptions = {}): ProbePlan {
  const routes: RoutePlan[] = [];
  const skipped: Array<{ policy: string; route: string; reason: string }> = [];
  let count = 0;
  const sources = [...set.policies.keys()].sort();
  for (const source of sources) {
    const policy = set.policies.get(source) as CompiledPolicy;
    const origins = concreteOrigins(policy);
    const methods = probeMethods(policy);
    const headerList = requestHeaderList(allowedHeaderNames(policy));
    for (const pattern of policy.routes) {
      const path = concretePath(set, policy, pattern);
      if (!path) {
        skipped.push({ policy: source, route: pattern.source, reason: 'every concrete path tried is claimed by a more specific route of another policy' });
        continue;
      }
      const drafts: Draft[] = [];
      const [firstOrigin] = origins;
      const [firstMethod] = methods;
      if (firstOrigin === undefined || firstMethod === undefined) continue;
      for (const m of methods) drafts.push({ kind: 'allowed', method: 'OPTIONS', origin: firstOrigin, requestMethod: m, requestHeaders: headerList });
      for (const o of origins.slice(1)) drafts.push({ kind: 'allowed', method: 'OPTIONS', origin: o, requestMethod: firstMethod, requestHeaders: headerList });
      if (!policy.anyOrigin)
        drafts.push({ kind: 'look-alike-origin', method: 'OPTIONS', origin: lookAlike(firstOrigin), requestMethod: firstMethod, requestHeaders: headerList });
      const unlistedMethod = METHOD_CANDIDATES.find((m) => !allowsMethod(policy, m));
      if (unlistedMethod)
        drafts.push({ kind: 'unlisted-method', method: 'OPTIONS', origin: firstOrigin, requestMethod: unlistedMethod, requestHeaders: headerList });
      const unlistedHeader = !policy.anyHeader ? UNLISTED_HEADER : !allowsHeader(policy, 'authorization') ? 'authorization' : undefined;
      if (unlistedHeader)
        drafts.push({
          kind: 'unlisted-header',
          method: 'OPTIONS',
          origin: firstOrigin,
          requestMethod: firstMethod,
          requestHeaders: requestHeaderList([...allowedHeaderNames(policy), unlistedHeader]),
        });
      if (options.actual) {
        const safe = allowsMethod(policy, 'GET') || !allowsMethod(policy, 'HEAD') ? 'GET' : 'HEAD';
        for (const o of origins) drafts.push({ kind: 'actual', method: safe, origin: o, requestMethod: safe });
        if (!policy.anyOrigin) drafts.push({ kind: 'actual', method: safe, origin: lookAlike(firstOrigin), requestMethod: safe });
      }
      routes.push({ source, policy, route: pattern.source, path, drafts });
      count += drafts.length;
    }
  }
  return { routes, count, skipped };
}

/** Every probe of a plan (default: of every served policy and route), with the engine's expected answer. */
export function buildProbes(
  set: PolicySet,
  options: ProbeOptions = {},
  plan: ProbePlan = planProbes(set, options),
): { probes: Probe[]; skipped: Array<{ policy: string; route: string; reason: string }> } {
  const probes: Probe[] = [];
  for (const { source, policy, route, path, drafts } of plan.routes) {
    for (const d of drafts) {
      const headers: Record<string, string> = { Origin: d.origin };
      if (d.method === 'OPTIONS') {
        headers['Access-Control-Request-Method'] = d.requestMethod;
        if (d.requestHeaders !== undefined) headers['Access-Control-Request-Headers'] = d.requestHeaders;
      }
      probes.push({
        id: probes.length + 1,
        kind: d.kind,
        policy: source,
        route,
        method: d.method,
        path,
        headers,
        credentials: policy.allowCredentials,
        expected: expectedFor(set, path, d, policy.allowCredentials),
      });
    }
  }
  return { probes, skipped: plan.skipped };
}
