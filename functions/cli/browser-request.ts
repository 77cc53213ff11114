import { NORMALIZED_METHODS, isForbiddenRequestHeader, isToken } from '../core/tokens';
import { UsageError } from './errors';

/**
 * What a browser would send for `fetch(url, {method, headers, credentials})`
 * from a page on `origin`, following the Fetch standard: which headers are
 * CORS-safelisted, whether a preflight is needed, and the exact
 * Access-Control-Request-* values it would carry.
 */
export interface ExplainFlags {
  readonly urlPath: string;
  readonly origin: string;
  readonly method: string;
  /** Items as given to --headers: `name` or `name:value`. */
  readonly headers: readonly string[];
  readonly credentials: boolean;
}

export interface HeaderInfo {
  readonly name: string;
  readonly value?: string;
  readonly safelisted: boolean;
  /** Scripts cannot set it: the browser drops it. */
  readonly forbidden: boolean;
  readonly why: string;
}

export interface BrowserRequest {
  /** The method as the browser sends it (DELETE, GET, HEAD, OPTIONS, POST, PUT upper-cased; others as written). */
  readonly method: string;
  readonly path: string;
  readonly origin: string;
  readonly credentials: boolean;
  readonly headers: readonly HeaderInfo[];
  readonly preflight: boolean;
  /** Why a preflight is (or is not) sent. */
  readonly preflightBecause: readonly string[];
  /** `Access-Control-Request-Headers` as the browser sends it: lower case, sorted, unique, no spaces. */
  readonly requestHeaders?: string;
  readonly notes: readonly string[];
}

const SAFELISTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST']);
const SAFELISTED_CONTENT_TYPES: ReadonlySet<string> = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
/** Fetch's CORS-unsafe request-header bytes. */
const UNSAFE_BYTE = /[\x00-\x08\x0a-\x1f"():<>?@[\\\]{}\x7f]/;

/** Whether a header would be CORS-safelisted, per the Fetch standard. */
export function safelistHeader(name: string, value: string | undefined): { safelisted: boolean; why: string } {
  const known = ['accept', 'accept-language', 'content-language', 'content-type', 'range'];
  if (!known.includes(name)) return { safelisted: false, why: 'not a CORS-safelisted header' };
  if (value === undefined) {
    if (name === 'content-type')
      return {
        safelisted: false,
        why: 'content-type is safelisted only for application/x-www-form-urlencoded, multipart/form-data and text/plain; assumed another type such as application/json (write content-type:text/plain to model a form)',
      };
    if (name === 'range')
      return {
        safelisted: false,
        why: 'range is safelisted only for a single bytes=N- or bytes=N-M range; assumed another (write range:bytes=0- to model one)',
      };
    return { safelisted: true, why: `${name} is CORS-safelisted (for ordinary values)` };
  }
  if (Buffer.byteLength(value) > 128) return { safelisted: false, why: 'values over 128 bytes are never safelisted' };
  switch (name) {
    case 'accept':
      return UNSAFE_BYTE.test(value) ? { safelisted: false, why: 'the value has a CORS-unsafe byte' } : { safelisted: true, why: 'accept is CORS-safelisted' };
    case 'accept-language':
    case 'content-language':
      return /^[0-9A-Za-z *,\-.;=]*$/.test(value)
        ? { safelisted: true, why: `${name} is CORS-safelisted` }
        : { safelisted: false, why: 'the value has characters outside 0-9 A-Z a-z space * , - . ; =' };
    case 'content-type': {
      const essence = value.split(';')[0]?.trim().toLowerCase() ?? '';
      if (UNSAFE_BYTE.test(value)) return { safelisted: false, why: 'the value has a CORS-unsafe byte' };
      return SAFELISTED_CONTENT_TYPES.has(essence)
        ? { safelisted: true, why: `content-type ${essence} is CORS-safelisted` }
        : { safelisted: false, why: `content-type ${essence || '(empty)'} is not one of application/x-www-form-urlencoded, multipart/form-data, text/plain` };
    }
    default:
      return /^bytes=\d+-\d*$/.test(value)
        ? { safelisted: true, why: 'a single byte range is CORS-safelisted' }
        : { safelisted: false, why: 'range is safelisted only as bytes=N- or bytes=N-M' };
  }
}

/** Splits `--headers` items (comma-separated, repeatable) into name and optional value. */
export function parseHeaderItems(items: readonly string[]): Array<{ name: string; value?: string }> {
  const out: Array<{ name: string; value?: string }> = [];
  for (const item of items.flatMap((i) => i.split(','))) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const colon = trimmed.indexOf(':');
    const name = (colon >= 0 ? trimmed.slice(0, colon) : trimmed).trim();
    if (!isToken(name)) throw new UsageError(`--headers: "${name}" is not a header name (fetch() would throw before sending anything)`);
    out.push(colon >= 0 ? { name, value: trimmed.slice(colon + 1).trim() } : { name });
  }
  return out;
}

export function browserRequest(flags: ExplainFlags): BrowserRequest {
  const notes: string[] = [];
  if (!flags.urlPath.startsWith('/'))
    throw new UsageError(`--url-path "${flags.urlPath}" must start with "/" (the path relative to the API root, without the stage)`);
  let path = flags.urlPath;
  const cut = path.search(/[?#]/);
  if (cut >= 0) {
    notes.push('the query string and fragment play no part in CORS routing and were ignored');
    path = path.slice(0, cut) || '/';
  }

  const upper = flags.method.toUpperCase();
  const method = NORMALIZED_METHODS.has(upper) ? upper : flags.method;
  if (method !== flags.method) notes.push(`browsers upper-case ${flags.method} to ${method} before sending it`);
  else if (method !== upper && isToken(method))
    notes.push(
      `browsers send "${method}" exactly as written (only DELETE, GET, HEAD, OPTIONS, POST and PUT are upper-cased); write "${upper}" in the script if the API expects it`,
    );
  if (['CONNECT', 'TRACE', 'TRACK'].includes(upper)) notes.push(`${upper} is a forbidden method: fetch() throws and nothing is sent`);

  const headers: HeaderInfo[] = [];
  for (const { name: rawName, value } of parseHeaderItems(flags.headers)) {
    const name = rawName.toLowerCase();
    if (isForbiddenRequestHeader(name)) {
      headers.push({
        name,
        ...(value !== undefined ? { value } : {}),
        safelisted: false,
        forbidden: true,
        why: 'a forbidden request header: scripts cannot set it, the browser drops it',
      });
      continue;
    }
    const s = safelistHeader(name, value);
    headers.push({ name, ...(value !== undefined ? { value } : {}), safelisted: s.safelisted, forbidden: false, why: s.why });
  }
  const unsafe = [...new Set(headers.filter((h) => !h.safelisted && !h.forbidden).map((h) => h.name))].sort();

  const because: string[] = [];
  if (!SAFELISTED_METHODS.has(method)) because.push(`${method} is not a CORS-safelisted method (GET, HEAD, POST)`);
  if (unsafe.length > 0)
    because.push(`${unsafe.length === 1 ? 'header' : 'headers'} ${unsafe.join(', ')} ${unsafe.length === 1 ? 'is' : 'are'} not CORS-safelisted`);
  const preflight = because.length > 0;
  if (!preflight) because.push(`${method} is CORS-safelisted and every header is safelisted: a simple request, sent without a preflight`);
  return {
    method,
    path,
    origin: flags.origin,
    credentials: flags.credentials,
    headers,
    preflight,
    preflightBecause: because,
    ...(unsafe.length > 0 ? { requestHeaders: unsafe.join(',') } : {}),
    notes,
  };
}
