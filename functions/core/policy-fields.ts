// One validator per policy field, as jub0bs/cors's config.go has: each reads its field from the
// raw document, reports every problem it finds and returns what the compiled policy is built from (an
// empty or default value when the field is bad, so the next validators still run and every
// problem of a document is reported together). Runs at policy load only, never per request.
import { isLoopbackHost, parseOriginPattern, patternHost, type OriginPattern } from './origin';
import type { PolicyProblemCode } from './problems';
import { parseRoutePattern, type RoutePattern } from './route';
import { FORBIDDEN_METHODS, FORBIDDEN_RESPONSE_HEADERS, MAX_METHOD_LENGTH, NORMALIZED_METHODS, isForbiddenRequestHeader, isToken } from './tokens';

/** 2 hours: Chromium's cap, so one preflight per route and origin serves as long as a browser allows. */
export const DEFAULT_MAX_AGE = 7200;
/** 24 hours: Firefox's cap; no browser caches longer. */
export const MAX_MAX_AGE = 86400;

/** The document as parsed, before any check: each validator reads its own field. */
export type RawDocument = Readonly<Record<string, unknown>>;

/** Adds one problem to the document's list; `field` is the field or list entry (`allowMethods[2]`). */
export type ReportProblem = (field: string, value: unknown, code: PolicyProblemCode, reason: string) => void;

/** An optional list of strings; a required one must also be present and not empty. Returns the strings, without the bad entries. */
function stringList(doc: RawDocument, field: string, required: boolean, problem: ReportProblem): string[] {
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

function checkDuplicates(field: string, values: readonly string[], fold: (v: string) => string, problem: ReportProblem): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    const k = fold(v);
    if (seen.has(k)) problem(`${field}[${i}]`, v, 'duplicate', 'is listed twice');
    seen.add(k);
  });
}

/** `allowCredentials` and `dangerouslyAllowInsecureOriginsWithCredentials`: true only when written `true`. */
export function validateFlag(doc: RawDocument, field: string, problem: ReportProblem): boolean {
  const value = doc[field];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') problem(field, value, 'wrong_type', 'must be true or false');
  return value === true;
}

/** `description`: free text, kept in the compiled document when it is a string. */
export function validateDescription(doc: RawDocument, problem: ReportProblem): string | undefined {
  const value = doc.description;
  if (value !== undefined && typeof value !== 'string') problem('description', value, 'wrong_type', 'must be a string');
  return typeof value === 'string' ? value : undefined;
}

/** `$schema`: the editor's schema reference; checked, never compiled. */
export function validateSchemaReference(doc: RawDocument, problem: ReportProblem): void {
  const value = doc.$schema;
  if (value !== undefined && typeof value !== 'string') problem('$schema', value, 'wrong_type', "must be a string (the schema's path or URL)");
}

/** `route`: one path pattern or a non-empty list of distinct ones. */
export function validateRoutes(doc: RawDocument, problem: ReportProblem): RoutePattern[] {
  const value = doc.route;
  const entries: Array<[string, unknown]> =
    typeof value === 'string' ? [['route', value]] : Array.isArray(value) ? value.map((r, i) => [`route[${i}]`, r]) : [];
  if (value === undefined) problem('route', undefined, 'required', 'is required');
  else if (typeof value !== 'string' && !Array.isArray(value)) problem('route', value, 'wrong_type', 'must be a path pattern or an array of them');
  else if (Array.isArray(value) && value.length === 0) problem('route', value, 'empty_list', 'must list at least one path pattern');
  const routes: RoutePattern[] = [];
  const keys = new Set<string>();
  for (const [field, r] of entries) {
    if (typeof r !== 'string') {
      problem(field, r, 'wrong_type', 'must be a string');
      continue;
    }
    const parsed = parseRoutePattern(r);
    if (!parsed.ok) problem(field, r, 'route_invalid', `invalid route pattern: ${parsed.reason}`);
    else if (keys.has(parsed.pattern.key)) problem(field, r, 'route_repeated', 'is the same route as another entry of this policy');
    else {
      keys.add(parsed.pattern.key);
      routes.push(parsed.pattern);
    }
  }
  return routes;
}

/**
 * `allowOrigins`: the entries as written, and the patterns of the valid ones. With credentials, `*` is
 * refused, and so is a non-loopback `http://` origin unless `insecureOptIn` (the dangerous flag) is set.
 */
export function validateOrigins(
  doc: RawDocument,
  credentials: boolean,
  insecureOptIn: boolean,
  problem: ReportProblem,
): { listed: string[]; patterns: OriginPattern[] } {
  const listed = stringList(doc, 'allowOrigins', true, problem);
  const patterns: OriginPattern[] = [];
  listed.forEach((o, i) => {
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
  checkDuplicates('allowOrigins', listed, (v) => v, problem);
  return { listed, patterns };
}

/** `allowMethods`: byte-exact method tokens, or `*` without credentials. */
export function validateMethods(doc: RawDocument, credentials: boolean, problem: ReportProblem): string[] {
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
  return methods;
}

/** What one header field refuses among well-formed names (`lower` is the name in lower case); reports at most one problem. */
type HeaderNameRule = (entry: string, name: string, lower: string) => void;

/** The rules both header fields share: `*` without credentials, token syntax, no repeats ignoring case. Returns the names in lower case. */
function validateHeaderNames(doc: RawDocument, field: string, credentials: boolean, problem: ReportProblem, rule: HeaderNameRule): string[] {
  const names = stringList(doc, field, false, problem);
  names.forEach((h, i) => {
    const entry = `${field}[${i}]`;
    if (h === '*') {
      if (credentials) problem(entry, h, 'wildcard_with_credentials', '"*" is not a wildcard for credentialed requests; list the header names');
    } else if (!isToken(h)) problem(entry, h, 'header_invalid', 'is not a valid header name');
    else rule(entry, h, h.toLowerCase());
  });
  checkDuplicates(field, names, (v) => v.toLowerCase(), problem);
  return names.map((h) => h.toLowerCase());
}

/** `allowHeaders`: request header names scripts may set, lower-cased; default none. */
export function validateAllowHeaders(doc: RawDocument, credentials: boolean, problem: ReportProblem): string[] {
  return validateHeaderNames(doc, 'allowHeaders', credentials, problem, (entry, name, lower) => {
    // Access-Control-Request-* are forbidden request headers: they get that problem, not the protocol one.
    if (isForbiddenRequestHeader(lower))
      problem(entry, name, 'header_forbidden', 'is a forbidden request header that scripts cannot set; allowing it has no effect');
    else if (lower.startsWith('access-control-'))
      problem(
        entry,
        name,
        'header_cors_protocol',
        'is a CORS response header, never a request header a script sends; allowing it has no effect (list the request headers your scripts set)',
      );
  });
}

/** `exposeHeaders`: response header names scripts may read, lower-cased; default none. */
export function validateExposeHeaders(doc: RawDocument, credentials: boolean, problem: ReportProblem): string[] {
  return validateHeaderNames(doc, 'exposeHeaders', credentials, problem, (entry, name, lower) => {
    if (lower.startsWith('access-control-'))
      problem(entry, name, 'header_cors_protocol', 'is a CORS protocol header; exposing it means nothing (list the response headers your scripts read)');
    else if (FORBIDDEN_RESPONSE_HEADERS.has(lower)) problem(entry, name, 'header_never_exposed', 'is never exposed to scripts by browsers');
  });
}

/** `maxAge`: whole seconds from 0 to {@link MAX_MAX_AGE}; {@link DEFAULT_MAX_AGE} when absent or bad. */
export function validateMaxAge(doc: RawDocument, problem: ReportProblem): number {
  const value = doc.maxAge;
  if (value === undefined) return DEFAULT_MAX_AGE;
  if (typeof value !== 'number' || !Number.isInteger(value)) problem('maxAge', value, 'max_age_invalid', 'must be a whole number of seconds');
  else if (value < 0 || value > MAX_MAX_AGE) problem('maxAge', value, 'max_age_out_of_range', `must be between 0 and ${MAX_MAX_AGE} seconds`);
  else return value;
  return DEFAULT_MAX_AGE;
}
