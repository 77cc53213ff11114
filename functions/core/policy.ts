import { OriginMatcher, isLoopbackHost, parseOriginPattern, patternHost, type OriginPattern } from './origin';
import { PolicyValidationError, type PolicyProblem, type PolicyProblemCode } from './problems';
import { parseRoutePattern, type RoutePattern } from './route';
import { FORBIDDEN_METHODS, FORBIDDEN_RESPONSE_HEADERS, MAX_METHOD_LENGTH, NORMALIZED_METHODS, isForbiddenRequestHeader, isToken } from './tokens';

/**
 * The policy document as stored in one SSM parameter (the public contract).
 * Field names follow API Gateway's own CORS configuration.
 */
export interface PolicyDocument {
  /** API Gateway path pattern(s): `/products/{id}`, `/files/{path+}`, `/`, or `$default`. */
  route: string | string[];
  /** Serialized origins: exact, `https://*.example.com` (subdomains only), `http://localhost:*` (any port), or `*` (any, without credentials). */
  allowOrigins: string[];
  /** Method tokens, byte-exact (`PATCH` does not allow `patch`); `*` = any, without credentials. */
  allowMethods: string[];
  /** Request header names, case-insensitive; `*` = any except `authorization`, without credentials. Default: none. */
  allowHeaders?: string[];
  /** Response header names scripts may read; `*` = all, without credentials. Default: none. */
  exposeHeaders?: string[];
  /** Allow cookies and HTTP authentication. Default: false. */
  allowCredentials?: boolean;
  /** Seconds a browser may cache the preflight answer, 0-86400. Default: {@link DEFAULT_MAX_AGE}. */
  maxAge?: number;
  /** Allows non-loopback `http://` origins together with credentials. Anyone on the network path can then act as that origin. Default: false. */
  dangerouslyAllowInsecureOriginsWithCredentials?: boolean;
  /** Free text for operators; ignored by the engine. */
  description?: string;
}

/** 2 hours: Chromium's cap, so one preflight per route and origin serves as long as a browser allows. */
export const DEFAULT_MAX_AGE = 7200;
/** 24 hours: Firefox's cap; no browser caches longer. */
export const MAX_MAX_AGE = 86400;

const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'route',
  'allowOrigins',
  'allowMethods',
  'allowHeaders',
  'exposeHeaders',
  'allowCredentials',
  'maxAge',
  'dangerouslyAllowInsecureOriginsWithCredentials',
  'description',
  // The JSON Schema an editor validates the file against (schema/policy.schema.json); ignored by the engine.
  '$schema',
]);

/** A validated policy, with everything the hot path needs computed once. */
export interface CompiledPolicy {
  /** The parameter (or file) the policy came from. */
  readonly source: string;
  /** The document as validated, normalized (lists always present). */
  readonly document: Readonly<Required<Omit<PolicyDocument, 'description' | 'route'>>> & { route: string[]; description?: string };
  readonly routes: readonly RoutePattern[];
  readonly origins: OriginMatcher;
  readonly allowCredentials: boolean;
  /** `*` in allowOrigins: answer `Access-Control-Allow-Origin: *` (anonymous requests only). */
  readonly anyOrigin: boolean;
  readonly anyMethod: boolean;
  readonly methods: ReadonlySet<string>;
  readonly anyHeader: boolean;
  /** Lower-case allowed request header names (without `*`). */
  readonly headers: ReadonlySet<string>;
  /** Precomputed response header values. */
  readonly values: {
    readonly allowMethods: string;
    readonly allowHeaders: string | undefined;
    readonly exposeHeaders: string | undefined;
    readonly maxAge: string;
  };
}

type Collect = (field: string, value: unknown, code: PolicyProblemCode, reason: string) => void;

function stringList(doc: Record<string, unknown>, field: string, required: boolean, problem: Collect): string[] {
  const value = doc[field];
  if (value === undefined) {
    if (required) problem(field, undefined, 'required', 'is required');
    return [];
  }
  if (!Array.isArray(value)) {
    problem(field, value, 'wrong_type', 'must be an array of strings');
    return [];
  }
  if (required && value.length === 0) problem(field, value, 'empty_list', 'must list at least one entry');
  const out: string[] = [];
  value.forEach((v, i) => {
    if (typeof v !== 'string') problem(`${field}[${i}]`, v, 'wrong_type', 'must be a string');
    else out.push(v);
  });
  return out;
}

function checkDuplicates(field: string, values: readonly string[], fold: (v: string) => string, problem: Collect): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    const k = fold(v);
    if (seen.has(k)) problem(`${field}[${i}]`, v, 'duplicate', 'is listed twice');
    seen.add(k);
  });
}

/**
 * Validates and compiles one policy document.
 *
 * @param source - the parameter or file name, used in every problem message
 * @param input - the parameter's value (JSON text) or an already-parsed object
 * @throws {@link PolicyValidationError} with every problem found
 */
export function parsePolicy(source: string, input: string | unknown): CompiledPolicy {
  const problems: PolicyProblem[] = [];
  const problem: Collect = (field, value, code, reason) => problems.push({ source, field, value, code, reason });
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw new PolicyValidationError([{ source, field: '', value: input, code: 'invalid_json', reason: `is not valid JSON (${(err as Error).message})` }], {
        cause: err,
      });
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PolicyValidationError([{ source, field: '', value: raw, code: 'not_an_object', reason: 'must be a JSON object' }]);
  }
  const doc = raw as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (!KNOWN_FIELDS.has(key)) problem(key, doc[key], 'unknown_field', `is not a policy field (known fields: ${[...KNOWN_FIELDS].join(', ')})`);
  }

  const bool = (field: string): boolean => {
    const v = doc[field];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') problem(field, v, 'wrong_type', 'must be true or false');
    return v === true;
  };
  const credentials = bool('allowCredentials');
  const insecureOptIn = bool('dangerouslyAllowInsecureOriginsWithCredentials');
  if (doc.description !== undefined && typeof doc.description !== 'string') problem('description', doc.description, 'wrong_type', 'must be a string');
  if (doc.$schema !== undefined && typeof doc.$schema !== 'string')
    problem('$schema', doc.$schema, 'wrong_type', "must be a string (the schema's path or URL)");

  // route
  const routes: RoutePattern[] = [];
  const routeValue = doc.route;
  const routeList: Array<[string, unknown]> =
    typeof routeValue === 'string' ? [['route', routeValue]] : Array.isArray(routeValue) ? routeValue.map((r, i) => [`route[${i}]`, r]) : [];
  if (routeValue === undefined) problem('route', undefined, 'required', 'is required');
  else if (typeof routeValue !== 'string' && !Array.isArray(routeValue))
    problem('route', routeValue, 'wrong_type', 'must be a path pattern or an array of them');
  else if (Array.isArray(routeValue) && routeValue.length === 0) problem('route', routeValue, 'empty_list', 'must list at least one path pattern');
  const routeKeys = new Set<string>();
  for (const [field, r] of routeList) {
    if (typeof r !== 'string') {
      problem(field, r, 'wrong_type', 'must be a string');
      continue;
    }
    const parsed = parseRoutePattern(r);
    if (!parsed.ok) problem(field, r, 'route_invalid', `invalid route pattern: ${parsed.reason}`);
    else if (routeKeys.has(parsed.pattern.key)) problem(field, r, 'route_repeated', 'is the same route as another entry of this policy');
    else {
      routeKeys.add(parsed.pattern.key);
      routes.push(parsed.pattern);
    }
  }

  // allowOrigins
  const origins = stringList(doc, 'allowOrigins', true, problem);
  const patterns: OriginPattern[] = [];
  origins.forEach((o, i) => {
    const field = `allowOrigins[${i}]`;
    const parsed = parseOriginPattern(o);
    if (!parsed.ok) {
      problem(field, o, parsed.code, `invalid origin pattern: ${parsed.reason}`);
      return;
    }
    const p = parsed.pattern;
    if (p.kind === 'any' && credentials) {
      problem(field, o, 'wildcard_with_credentials', '"*" cannot be combined with allowCredentials: browsers refuse it; list the origins');
      return;
    }
    const host = patternHost(p);
    if (credentials && !insecureOptIn && p.kind !== 'any' && p.scheme === 'http' && host !== undefined && !isLoopbackHost(host)) {
      problem(
        field,
        o,
        'insecure_origin_with_credentials',
        'an http:// origin with allowCredentials lets anyone on the network path act as that origin; use https, or set dangerouslyAllowInsecureOriginsWithCredentials: true',
      );
      return;
    }
    patterns.push(p);
  });
  checkDuplicates('allowOrigins', origins, (v) => v, problem);

  // allowMethods
  const methods = stringList(doc, 'allowMethods', true, problem);
  methods.forEach((m, i) => {
    const field = `allowMethods[${i}]`;
    if (m === '*') {
      if (credentials) problem(field, m, 'wildcard_with_credentials', '"*" is not a wildcard for credentialed requests; list the methods');
    } else if (!isToken(m)) problem(field, m, 'method_invalid', 'is not a valid method token');
    else if (m.length > MAX_METHOD_LENGTH) problem(field, m, 'method_invalid', `is longer than ${MAX_METHOD_LENGTH} characters`);
    else if (FORBIDDEN_METHODS.has(m.toUpperCase())) problem(field, m, 'method_forbidden', 'is a forbidden method that browsers never send');
    else if (m !== m.toUpperCase() && NORMALIZED_METHODS.has(m.toUpperCase()))
      problem(field, m, 'method_not_upper_case', `browsers upper-case this method before sending it; write "${m.toUpperCase()}"`);
  });
  checkDuplicates('allowMethods', methods, (v) => v, problem);

  // allowHeaders / exposeHeaders: names are case-insensitive, kept lower-case
  const headerList = (field: 'allowHeaders' | 'exposeHeaders'): string[] => {
    const list = stringList(doc, field, false, problem);
    list.forEach((h, i) => {
      const f = `${field}[${i}]`;
      const lower = h.toLowerCase();
      if (h === '*') {
        if (credentials) problem(f, h, 'wildcard_with_credentials', '"*" is not a wildcard for credentialed requests; list the header names');
      } else if (!isToken(h)) problem(f, h, 'header_invalid', 'is not a valid header name');
      else if (lower.startsWith('access-control-') && !(field === 'allowHeaders' && isForbiddenRequestHeader(lower)))
        problem(
          f,
          h,
          'header_cors_protocol',
          field === 'allowHeaders'
            ? 'is a CORS response header, never a request header a script sends; allowing it has no effect (list the request headers your scripts set)'
            : 'is a CORS protocol header; exposing it means nothing (list the response headers your scripts read)',
        );
      else if (field === 'allowHeaders' && isForbiddenRequestHeader(lower))
        problem(f, h, 'header_forbidden', 'is a forbidden request header that scripts cannot set; allowing it has no effect');
      else if (field === 'exposeHeaders' && FORBIDDEN_RESPONSE_HEADERS.has(lower))
        problem(f, h, 'header_never_exposed', 'is never exposed to scripts by browsers');
    });
    checkDuplicates(field, list, (v) => v.toLowerCase(), problem);
    return list.map((h) => h.toLowerCase());
  };
  const allowHeaders = headerList('allowHeaders');
  const exposeHeaders = headerList('exposeHeaders');

  // maxAge
  let maxAge = DEFAULT_MAX_AGE;
  if (doc.maxAge !== undefined) {
    const v = doc.maxAge;
    if (typeof v !== 'number' || !Number.isInteger(v)) problem('maxAge', v, 'max_age_invalid', 'must be a whole number of seconds');
    else if (v < 0 || v > MAX_MAX_AGE) problem('maxAge', v, 'max_age_out_of_range', `must be between 0 and ${MAX_MAX_AGE} seconds`);
    else maxAge = v;
  }

  if (problems.length > 0) throw new PolicyValidationError(problems);

  const anyHeader = allowHeaders.includes('*');
  const document = {
    route: routes.map((r) => r.source),
    allowOrigins: origins,
    allowMethods: methods,
    allowHeaders,
    exposeHeaders,
    allowCredentials: credentials,
    maxAge,
    dangerouslyAllowInsecureOriginsWithCredentials: insecureOptIn,
    ...(typeof doc.description === 'string' ? { description: doc.description } : {}),
  };
  return {
    source,
    document,
    routes,
    origins: new OriginMatcher(patterns),
    allowCredentials: credentials,
    anyOrigin: patterns.some((p) => p.kind === 'any'),
    anyMethod: methods.includes('*'),
    methods: new Set(methods.filter((m) => m !== '*')),
    anyHeader,
    headers: new Set(allowHeaders.filter((h) => h !== '*')),
    values: {
      allowMethods: methods.join(', '),
      allowHeaders: allowHeaders.length > 0 ? allowHeaders.join(', ') : undefined,
      exposeHeaders: exposeHeaders.length > 0 ? exposeHeaders.join(', ') : undefined,
      maxAge: String(maxAge),
    },
  };
}
