import { isToken } from './tokens';

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

/** Optional whitespace (RFC 9110 OWS): space or horizontal tab. */
const isOws = (c: number): boolean => c === 32 || c === 9;

/**
 * Parses `Access-Control-Request-Headers` into lower-case names. Tolerates what
 * proxies and non-browser clients send (spaces or tabs around commas, empty
 * elements, any case) but refuses anything over the bounds or not a token.
 *
 * Linear in the value's length: each element is trimmed by moving two indexes
 * towards each other, so no character is read more than a few times, however
 * the whitespace is arranged (a regex trim is quadratic in a run of spaces
 * followed by a non-space). Reads the value only through `length`,
 * `charCodeAt`, `indexOf` and `slice`.
 */
export function parseRequestHeaderList(value: string | undefined): RequestHeaderList {
  if (value === undefined || value === '') return { ok: true, names: [] };
  const length = value.length;
  if (length > REQUEST_HEADERS_LIMITS.maxLength) return { ok: false, reason: `longer than ${REQUEST_HEADERS_LIMITS.maxLength} characters` };
  let commas = 0;
  for (let i = 0; i < length; i++) if (value.charCodeAt(i) === 44) commas++;
  if (commas >= REQUEST_HEADERS_LIMITS.maxElements) return { ok: false, reason: `more than ${REQUEST_HEADERS_LIMITS.maxElements} elements` };
  const names: string[] = [];
  for (let start = 0; start <= length; ) {
    let end = value.indexOf(',', start);
    if (end < 0) end = length;
    let from = start;
    let to = end;
    while (from < to && isOws(value.charCodeAt(from))) from++;
    while (to > from && isOws(value.charCodeAt(to - 1))) to--;
    if (from < to) {
      const name = value.slice(from, to);
      if (!isToken(name)) return { ok: false, reason: `"${name.slice(0, 64)}" is not a header name` };
      names.push(name.toLowerCase());
    }
    start = end + 1;
  }
  return { ok: true, names };
}
