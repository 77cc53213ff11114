import { actualResponseHeaders } from '../core/actual';
import { parseOriginPattern, parseRequestOrigin } from '../core/origin';
import { parsePolicy, type CompiledPolicy } from '../core/policy';
import { compilePolicySet, isRouteConflict, type PolicyEntry, type PolicySet } from '../core/policy-set';
import { allowsHeader, decidePreflight, type PreflightDecision } from '../core/preflight';
import { preflightAnswer } from '../core/preflight-answer';
import { PolicyValidationError } from '../core/problems';
import type { CorsRequest } from '../core/request';
import { parseRoutePattern } from '../core/route';
import { isToken } from '../core/tokens';
import type { BrowserRequest } from './browser-request';

/**
 * What the Lambda and the layer would answer for a browser request, whether
 * the browser would accept it, and the smallest policy edit that would make
 * it pass. Every answer comes from the engine the Lambda runs
 * (`decidePreflight`, `actualResponseHeaders`); every suggested edit is
 * applied to a copy of the policies and checked with the same engine.
 */
export interface Evaluation {
  readonly preflight?: {
    readonly request: CorsRequest;
    readonly decision: PreflightDecision;
    readonly status: number;
    readonly headers: Record<string, string>;
  };
  /** Headers the apigw-cors layer adds to the actual response. */
  readonly actual: { readonly allowed: boolean; readonly headers: Record<string, string> };
  readonly failure?: Failure;
}

export interface Failure {
  readonly stage: 'preflight' | 'actual';
  /** The engine's deny reason, or `credentials_not_allowed` when the answer lacks what a credentialed request needs. */
  readonly reason: string;
  readonly detail: string;
  readonly policy?: CompiledPolicy;
}

/** The denial the engine gives for this request's method, origin and headers. */
function denial(set: PolicySet, request: CorsRequest): Extract<PreflightDecision, { kind: 'denied' }> | undefined {
  const d = decidePreflight(set, request);
  return d.kind === 'denied' ? d : undefined;
}

function credentialsProblem(headers: Record<string, string>): string | undefined {
  const missing: string[] = [];
  if (headers['Access-Control-Allow-Credentials'] !== 'true') missing.push('has no Access-Control-Allow-Credentials: true');
  if (headers['Access-Control-Allow-Origin'] === '*') missing.push('answers Access-Control-Allow-Origin: * (a wildcard never passes with credentials)');
  return missing.length > 0 ? `the request is credentialed, but the response ${missing.join(' and ')}` : undefined;
}

export function evaluate(set: PolicySet, req: BrowserRequest): Evaluation {
  const actual = actualResponseHeaders(set, { method: req.method, path: req.path, origin: req.origin });
  if (req.preflight) {
    const request: CorsRequest = { method: 'OPTIONS', path: req.path, origin: req.origin, requestMethod: req.method, requestHeaders: req.requestHeaders };
    const decision = decidePreflight(set, request);
    // Exactly what the preflight function answers (the same builder), without the CORS_DEBUG header.
    const { statusCode: status, headers } = preflightAnswer(decision);
    const preflight = { request, decision, status, headers };
    if (decision.kind === 'denied')
      return {
        preflight,
        actual,
        failure: { stage: 'preflight', reason: decision.reason, detail: decision.detail, ...(decision.policy ? { policy: decision.policy } : {}) },
      };
    const policy = decision.kind === 'allowed' ? decision.policy : undefined;
    const cred = req.credentials ? credentialsProblem(headers) : undefined;
    if (cred) return { preflight, actual, failure: { stage: 'preflight', reason: 'credentials_not_allowed', detail: cred, ...(policy ? { policy } : {}) } };
    if (!actual.allowed)
      return {
        preflight,
        actual,
        failure: {
          stage: 'actual',
          reason: 'actual_not_allowed',
          detail: 'the actual response carries no Access-Control-Allow-Origin',
          ...(policy ? { policy } : {}),
        },
      };
    return { preflight, actual };
  }
  // A simple request goes straight to the API; the browser checks the actual response.
  if (!actual.allowed) {
    const d = denial(set, { method: req.method, path: req.path, origin: req.origin, requestMethod: req.method, requestHeaders: undefined });
    return {
      actual,
      failure: {
        stage: 'actual',
        reason: d?.reason ?? 'actual_not_allowed',
        detail: d?.detail ?? 'the actual response carries no Access-Control-Allow-Origin',
        ...(d?.policy ? { policy: d.policy } : {}),
      },
    };
  }
  const cred = req.credentials ? credentialsProblem(actual.headers) : undefined;
  const holder = set.table.match(req.path);
  if (cred)
    return {
      actual,
      failure: { stage: 'actual', reason: 'credentials_not_allowed', detail: cred, ...(holder && !isRouteConflict(holder) ? { policy: holder } : {}) },
    };
  return { actual };
}

/** One edit to one policy. */
export interface Fix {
  /** The policy (parameter name or file) to edit or create. */
  readonly policy: string;
  readonly action: 'add' | 'set' | 'replace' | 'remove' | 'create';
  readonly field?: string;
  readonly value?: unknown;
  /** For replace: the value replaced. */
  readonly replaces?: unknown;
  readonly text: string;
  /** Set on every edit that lets an origin in: the question to answer before applying it. */
  readonly warning?: string;
}

/** The question every origin suggestion carries: a denied origin is most often someone else's. */
export function originWarning(origin: string): string {
  return `is ${origin} yours? apply this only for an origin you control; a denied origin is often someone else's site probing the API`;
}

/** Whether an edit lets an origin in (add, replace or a new policy). */
export function addsOrigin(f: Fix): boolean {
  return f.warning !== undefined;
}

/**
 * Why a suggestion for this request would be unsafe, or undefined. Never
 * suggested: `*` (a method or header literally named `*` is what was seen, and
 * in a policy it is a wildcard), an `http://` origin let in with credentials
 * (`null` and patterns never pass {@link originNeverAllowed}).
 */
function unsafeSuggestion(req: BrowserRequest, addsOriginWithCredentials: boolean): string | undefined {
  if (req.method === '*')
    return 'the request\'s method is "*": in allowMethods "*" is a wildcard for every method, far wider than what was seen; no edit is suggested';
  const headers = req.requestHeaders ? req.requestHeaders.split(',') : [];
  if (headers.some((h) => h.trim() === '*'))
    return 'the request lists a header named "*": in allowHeaders "*" is a wildcard for every header, far wider than what was seen; no edit is suggested';
  if (addsOriginWithCredentials && req.origin.startsWith('http://'))
    return `${req.origin} is an http:// origin and the policy sends credentials: anyone on the network path can act as that origin; serve the site over https, no edit is suggested`;
  return undefined;
}

/** A route a new policy may claim: only the literal path seen, never a parameter, a greedy or catch-all route. */
function literalRoute(path: string): string | undefined {
  const parsed = parseRoutePattern(path);
  if (!parsed.ok || parsed.pattern.isDefault || parsed.pattern.segments.some((seg) => seg.kind !== 'literal')) return undefined;
  return path;
}

export interface Repair {
  /** Edits that together make the browser accept the request (verified with the engine). Empty when it already passes. */
  readonly fixes: readonly Fix[];
  /** Set when no policy edit can make it pass, or the needed edit would make a policy invalid. */
  readonly blocked?: string;
}

/** A policy as stored: its source and its JSON value. */
export type StoredEntry = PolicyEntry;

function originNeverAllowed(origin: string): string | undefined {
  if (parseRequestOrigin(origin)) return undefined;
  if (origin === 'null')
    return 'Origin "null" can never be allowed: browsers send it from sandboxed iframes, file: pages and redirected requests, so any site can produce it';
  const pattern = parseOriginPattern(origin);
  const why = pattern.ok ? 'is not a single serialized http(s) origin' : pattern.reason;
  return `Origin ${JSON.stringify(origin)} can never be allowed: it ${why}; browsers only send origins serialized as scheme://host[:port] in lower case`;
}

/** A file-system and SSM safe name for a new policy, from the first literal segment of the path. */
function newPolicyName(path: string, taken: (name: string) => boolean): string {
  const first = path.split('/').find((s) => s !== '' && !s.startsWith('{')) ?? 'root';
  const base = first.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'root';
  let name = base;
  for (let i = 2; taken(name); i++) name = `${base}-${i}`;
  return name;
}

function parseDoc(value: string): Record<string, unknown> {
  return JSON.parse(value) as Record<string, unknown>;
}

function list(doc: Record<string, unknown>, field: string): unknown[] {
  const v = doc[field];
  return Array.isArray(v) ? [...v] : [];
}

/**
 * Finds the smallest set of edits that makes the browser accept the request:
 * repeatedly evaluates, fixes the first reason the browser would refuse, and
 * re-evaluates on the edited copy, because a request can fail on its origin,
 * then its method, then a header. `newSource` names a new policy.
 */
export function suggestRepair(entries: readonly StoredEntry[], req: BrowserRequest, newSource: (name: string) => string): Repair {
  const working = entries.map((e) => ({ ...e }));
  const fixes: Fix[] = [];
  const seen = new Set<string>();
  for (let round = 0; round < 12; round++) {
    const set = compilePolicySet(working);
    const { failure } = evaluate(set, req);
    if (!failure) return { fixes };
    const key = `${failure.reason}|${failure.policy?.source ?? ''}|${failure.detail}`;
    if (seen.has(key)) return { fixes, blocked: `no policy edit found that fixes: ${failure.detail}` };
    seen.add(key);

    const origin = originNeverAllowed(req.origin);
    if (origin) return { fixes, blocked: origin };
    if (!isToken(req.method)) return { fixes, blocked: `method ${JSON.stringify(req.method)} can never be allowed: it is not a method token` };
    if (failure.reason === 'headers_malformed') return { fixes, blocked: `${failure.detail}; a browser never sends that` };
    if (failure.reason === 'no_policies_loaded') return { fixes, blocked: failure.detail };
    // Which claimant should own the route is a decision for people: no edit is suggested.
    if (failure.reason === 'route_conflict')
      return { fixes, blocked: `${failure.detail} (route_conflict): decide which policy owns the route and remove it from the others` };
    if (failure.reason === 'path_not_normalized') return { fixes, blocked: `${failure.detail}; no policy change can allow it` };

    if (failure.reason === 'no_route_policy' || !failure.policy) {
      const unsafe = unsafeSuggestion(req, req.credentials);
      if (unsafe) return { fixes, blocked: unsafe };
      const route = literalRoute(req.path);
      if (route === undefined)
        return {
          fixes,
          blocked: `no policy matches ${req.path}, and a new policy may only claim the literal path seen, never a parameter, greedy ({proxy+}) or catch-all ($default) route: write one by hand if this path should allow cross-origin requests`,
        };
      const headers = req.requestHeaders ? req.requestHeaders.split(',') : [];
      const doc: Record<string, unknown> = {
        route,
        allowOrigins: [req.origin],
        allowMethods: [req.method],
        ...(headers.length > 0 ? { allowHeaders: headers } : {}),
        ...(req.credentials ? { allowCredentials: true } : {}),
      };
      const source = newSource(newPolicyName(req.path, (n) => working.some((w) => w.source === newSource(n))));
      const invalid = problemsOf(source, doc);
      if (invalid) return { fixes, blocked: `a new policy for ${req.path} would be invalid: ${invalid}` };
      working.push({ source, value: JSON.stringify(doc) });
      fixes.push({
        policy: source,
        action: 'create',
        value: doc,
        text: `no policy matches ${req.path}: add a policy with route ${JSON.stringify(route)}, e.g. ${source} = ${JSON.stringify(doc)}`,
        warning: originWarning(req.origin),
      });
      continue;
    }

    const policy = failure.policy;
    const entry = working.find((w) => w.source === policy.source);
    if (!entry) return { fixes, blocked: `policy ${policy.source} is not editable here` };
    // An invalid current value is served by an earlier version: the edit starts from that one, and replaces the invalid value.
    const served = set.versions.get(policy.source);
    const doc = parseDoc(served !== undefined ? (entry.history?.find((v) => v.version === served)?.value ?? entry.value) : entry.value);
    // The http:// rule applies where the edit lets this origin in with credentials: adding it to a credentialed policy, or turning credentials on.
    const lettingIn =
      (failure.reason === 'origin_not_allowed' && (req.credentials || doc.allowCredentials === true)) || failure.reason === 'credentials_not_allowed';
    const unsafe = unsafeSuggestion(req, lettingIn);
    if (unsafe) return { fixes, blocked: unsafe };
    const edits: Fix[] = [];
    const add = (field: string, value: string): void => {
      doc[field] = [...list(doc, field), value];
      edits.push({
        policy: policy.source,
        action: 'add',
        field,
        value,
        text: `add ${JSON.stringify(value)} to ${field} of ${policy.source}`,
        ...(field === 'allowOrigins' ? { warning: originWarning(value) } : {}),
      });
    };
    switch (failure.reason) {
      case 'origin_not_allowed':
        add('allowOrigins', req.origin);
        break;
      case 'method_not_allowed':
        add('allowMethods', req.method);
        break;
      case 'header_not_allowed': {
        const names = (req.requestHeaders ?? '').split(',').filter((n) => n !== '' && !allowsHeader(policy, n));
        for (const n of names) add('allowHeaders', n);
        break;
      }
      case 'credentials_not_allowed':
        credentialEdits(doc, req, policy.source, edits);
        break;
      default:
        return { fixes, blocked: failure.detail };
    }
    const invalid = problemsOf(policy.source, doc);
    if (invalid) return { fixes, blocked: `${edits.map((e) => e.text).join(', then ')} would make ${policy.source} invalid: ${invalid}` };
    entry.value = JSON.stringify(doc);
    fixes.push(...edits);
  }
  return { fixes, blocked: 'no policy edit found within 12 steps' };
}

/** allowCredentials: true, and every "*" that is not a wildcard for credentialed requests replaced by what this request needs. */
function credentialEdits(doc: Record<string, unknown>, req: BrowserRequest, source: string, edits: Fix[]): void {
  doc.allowCredentials = true;
  edits.push({ policy: source, action: 'set', field: 'allowCredentials', value: true, text: `set allowCredentials: true in ${source}` });
  const replaceStar = (field: string, values: readonly string[], note = ''): void => {
    const current = list(doc, field);
    if (!current.includes('*')) return;
    const rest = current.filter((v) => v !== '*');
    const added = values.filter((v) => !rest.includes(v));
    doc[field] = [...rest, ...added];
    if (added.length === 0) edits.push({ policy: source, action: 'remove', field, value: '*', text: `remove "*" from ${field} of ${source}${note}` });
    for (const v of added)
      edits.push({
        policy: source,
        action: 'replace',
        field,
        value: v,
        replaces: '*',
        text: `replace "*" with ${JSON.stringify(v)} in ${field} of ${source}${note}`,
        ...(field === 'allowOrigins' ? { warning: originWarning(v) } : {}),
      });
  };
  replaceStar('allowOrigins', [req.origin], ' ("*" never passes with credentials; other origins then need listing too)');
  replaceStar('allowMethods', [req.method]);
  replaceStar('allowHeaders', req.requestHeaders ? req.requestHeaders.split(',') : []);
  replaceStar('exposeHeaders', [], ' (list the response headers scripts must read instead)');
}

function problemsOf(source: string, doc: Record<string, unknown>): string | undefined {
  try {
    parsePolicy(source, doc);
    return undefined;
  } catch (err) {
    if (!(err instanceof PolicyValidationError)) throw err;
    return err.problems.map((p) => `${p.field ? `${p.field}: ` : ''}${p.value !== undefined ? `${JSON.stringify(p.value)}: ` : ''}${p.reason}`).join('; ');
  }
}

/**
 * Changes on the calling side that would make the request pass without any
 * policy edit, checked with the engine: often the right fix is in the script.
 */
export function clientAlternatives(set: PolicySet, req: BrowserRequest): string[] {
  const out: string[] = [];
  const passes = (changed: BrowserRequest): boolean => !evaluate(set, changed).failure;
  if (req.credentials && passes({ ...req, credentials: false })) {
    out.push("send the request without credentials (fetch credentials: 'same-origin' or 'omit'); the policy allows that as it is");
  }
  const upper = req.method.toUpperCase();
  if (upper !== req.method && passes({ ...req, method: upper }))
    out.push(`send the method as "${upper}": browsers send "${req.method}" exactly as the script writes it, and method matching is case-sensitive`);
  return out;
}
