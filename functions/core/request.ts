/**
 * What the engine needs from an HTTP request, independent of how it arrived
 * (API Gateway payload v1 or v2, a test, the CLI). Header values are exactly
 * as received; several lines of one header are joined with ",".
 */
export interface CorsRequest {
  /** The request's own method (`OPTIONS` for a preflight). */
  readonly method: string;
  /** Path relative to the API root, e.g. `/products/42`; never includes a stage or base path. */
  readonly path: string;
  readonly origin: string | undefined;
  /** `Access-Control-Request-Method`. */
  readonly requestMethod: string | undefined;
  /** `Access-Control-Request-Headers`. */
  readonly requestHeaders: string | undefined;
}

/** Bounds on `Access-Control-Request-Headers`: a flood of commas or whitespace is a known DoS. */
export const REQUEST_HEADERS_LIMITS = { maxLength: 4096, maxElements: 64 } as const;

export type RequestHeaderList = { ok: true; names: string[] } | { ok: false; reason: string };

// Sticky scanners: each matches at lastIndex only, a single character class
// repeated, so it reads its run once and never backtracks. Both match the
// empty string, so test() always succeeds and leaves lastIndex at the run's end.
/** RFC 9110 OWS: spaces and horizontal tabs. */
const OWS = /[ \t]*/y;
/** RFC 9110 tchar (see isToken). */
const TCHARS = /[!#$%&'*+\-.^_`|~0-9A-Za-z]*/y;

/** Where the run `scanner` matches at `at` ends. */
function skip(scanner: RegExp, value: string, at: number): number {
  scanner.lastIndex = at;
  scanner.test(value);
  return scanner.lastIndex;
}

/**
 * Parses `Access-Control-Request-Headers` into lower-case names. Tolerates what
 * proxies and non-browser clients send (spaces or tabs around commas, empty
 * elements, any case) but refuses anything over the bounds or not a token.
 *
 * Linear in the value's length, whatever the whitespace: commas are counted
 * with indexOf, then each element is read left to right as whitespace, token,
 * whitespace by sticky scanners that each start where the previous one
 * stopped, so every character is read once. (A regex trim such as
 * `/^[ \t]+|[ \t]+$/g` is quadratic in a run of spaces before a non-space.)
 */
export function parseRequestHeaderList(value: string | undefined): RequestHeaderList {
  if (value === undefined || value === '') return { ok: true, names: [] };
  const length = value.length;
  if (length > REQUEST_HEADERS_LIMITS.maxLength) return { ok: false, reason: `longer than ${REQUEST_HEADERS_LIMITS.maxLength} characters` };
  let commas = 0;
  for (let i = value.indexOf(','); i >= 0; i = value.indexOf(',', i + 1)) {
    if (++commas >= REQUEST_HEADERS_LIMITS.maxElements) return { ok: false, reason: `more than ${REQUEST_HEADERS_LIMITS.maxElements} elements` };
  }
  const names: string[] = [];
  for (let at = 0; ; at++) {
    const from = skip(OWS, value, at);
    const to = skip(TCHARS, value, from);
    at = skip(OWS, value, to);
    if (at < length && value.charCodeAt(at) !== 44 /* , */) {
      // Not OWS token OWS: name the element, trimmed and clipped, in the reason.
      const next = value.indexOf(',', at);
      const element = value.slice(from, next < 0 ? length : next).trim();
      return { ok: false, reason: `"${element.slice(0, 64)}" is not a header name` };
    }
    if (to > from) names.push(value.slice(from, to).toLowerCase());
    if (at >= length) return { ok: true, names };
  }
}
