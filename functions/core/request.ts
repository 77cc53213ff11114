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

/** RFC 9110 tchar (see isToken), by character code below 128. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** RFC 9110 OWS: a space or a horizontal tab. */
const isOws = (c: number): boolean => c === 32 || c === 9;

/**
 * Parses `Access-Control-Request-Headers` into lower-case names. Tolerates what
 * proxies and non-browser clients send (spaces or tabs around commas, empty
 * elements, any case) but refuses anything over the bounds or not a token.
 *
 * Linear in the value's length, whatever the whitespace: commas are counted
 * with indexOf, then one left-to-right pass reads each element as whitespace,
 * token, whitespace, every character once, by character code (a regex per
 * element costs more than the element itself; a regex trim such as
 * `/^[ \t]+|[ \t]+$/g` is quadratic in a run of spaces before a non-space).
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
    while (at < length && isOws(value.charCodeAt(at))) at++;
    const from = at;
    let upper = false;
    for (let c = value.charCodeAt(at); at < length && c < 128 && TCHAR[c] === 1; c = value.charCodeAt(++at)) if (c >= 65 && c <= 90) upper = true;
    const to = at;
    while (at < length && isOws(value.charCodeAt(at))) at++;
    if (at < length && value.charCodeAt(at) !== 44 /* , */) {
      // Not OWS token OWS: name the element, trimmed and clipped, in the reason.
      const next = value.indexOf(',', at);
      const element = value.slice(from, next < 0 ? length : next).trim();
      return { ok: false, reason: `"${element.slice(0, 64)}" is not a header name` };
    }
    if (to > from) {
      const name = value.slice(from, to);
      names.push(upper ? name.toLowerCase() : name);
    }
    if (at >= length) return { ok: true, names };
  }
}
