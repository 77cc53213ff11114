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

/**
 * Parses `Access-Control-Request-Headers` into lower-case names. Tolerates what
 * proxies and non-browser clients send (spaces or tabs around commas, empty
 * elements, any case) but refuses anything over the bounds or not a token.
 */
export function parseRequestHeaderList(value: string | undefined): RequestHeaderList {
  if (value === undefined || value === '') return { ok: true, names: [] };
  if (value.length > REQUEST_HEADERS_LIMITS.maxLength) return { ok: false, reason: `longer than ${REQUEST_HEADERS_LIMITS.maxLength} characters` };
  let commas = 0;
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) === 44) commas++;
  if (commas >= REQUEST_HEADERS_LIMITS.maxElements) return { ok: false, reason: `more than ${REQUEST_HEADERS_LIMITS.maxElements} elements` };
  const names: string[] = [];
  for (const element of value.split(',')) {
    const name = element.replace(/^[ \t]+|[ \t]+$/g, '');
    if (name === '') continue;
    if (!isToken(name)) return { ok: false, reason: `"${name.slice(0, 64)}" is not a header name` };
    names.push(name.toLowerCase());
  }
  return { ok: true, names };
}
