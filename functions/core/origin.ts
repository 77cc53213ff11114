import type { OriginProblemCode } from './problems';
import { publicSuffixAtOrBelow } from './public-suffix';
import { sharedHostingAtOrBelow } from './shared-hosting';

/**
 * Origin patterns (policy side) and serialized origins (request side).
 *
 * A pattern is compiled once into sets keyed by strings the hot path can build
 * from a request origin with a few slices, so matching is a handful of hash
 * lookups whatever the number of patterns.
 */

/** One parsed `allowOrigins` entry. */
export type OriginPattern =
  | { kind: 'any' }
  | { kind: 'exact'; scheme: Scheme; host: string; port: string } // port '' = scheme default
  | { kind: 'anyPort'; scheme: Scheme; host: string }
  | { kind: 'subdomains'; scheme: Scheme; base: string; port: string | '*' };

export type Scheme = 'http' | 'https';

const DEFAULT_PORT: Record<Scheme, string> = { http: '80', https: '443' };

/** Result of parsing a pattern: the pattern, or the reason it is refused. */
export type OriginPatternResult = { ok: true; pattern: OriginPattern } | { ok: false; code: OriginProblemCode; reason: string };

// Letters, digits, inner hyphens; underscores anywhere, as browsers send them
// (the WHATWG URL host parser and Chromium accept `ex_am-ple.com`).
const DNS_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
/** What the WHATWG host parser reads as a number, making the whole host an IPv4 address. */
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/;
/** DNS names have at most 253 characters, not counting a trailing dot: no page is served from a longer one. */
const MAX_HOST_LENGTH = 253;

/** `example.com.` -> `example.com`: a fully qualified host is its own origin, but DNS rules apply to the name. */
const withoutTrailingDot = (host: string): string => (host.length > 1 && host.endsWith('.') ? host.slice(0, -1) : host);

type HostProblem = { code: OriginProblemCode; reason: string } | undefined;

/**
 * Whether `encoded` (a label after its `xn--`) decodes as RFC 3492 punycode to
 * something other than plain ASCII, as IDNA requires. Checked here rather than
 * left to the runtime's URL parser: Node 24's accepts `xn--f` where Node 22's
 * and Chromium's refuse it, and a policy must validate the same on every
 * runtime (the CLI's, the compiler's, the instances').
 */
function isValidPunycode(encoded: string): boolean {
  const BASE = 36;
  const TMIN = 1;
  const TMAX = 26;
  const delimiter = encoded.lastIndexOf('-');
  const basic = delimiter > 0 ? encoded.slice(0, delimiter) : '';
  const rest = delimiter > 0 ? encoded.slice(delimiter + 1) : encoded;
  if (rest === '') return false;
  let n = 128;
  let i = 0;
  let bias = 72;
  let length = basic.length;
  let nonAscii = false;
  for (let pos = 0; pos < rest.length; ) {
    const oldi = i;
    let w = 1;
    for (let k = BASE; ; k += BASE) {
      if (pos >= rest.length) return false;
      const c = rest.charCodeAt(pos++);
      const digit = c >= 48 && c <= 57 ? c - 22 : c >= 65 && c <= 90 ? c - 65 : c >= 97 && c <= 122 ? c - 97 : BASE;
      if (digit >= BASE) return false;
      i += digit * w;
      if (i > 0x10ffff * (length + 1)) return false;
      const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
      if (digit < t) break;
      w *= BASE - t;
    }
    length++;
    let delta = i - oldi;
    delta = oldi === 0 ? Math.floor(delta / 700) : delta >> 1;
    delta += Math.floor(delta / length);
    let k = 0;
    for (; delta > ((BASE - TMIN) * TMAX) >> 1; k += BASE) delta = Math.floor(delta / (BASE - TMIN));
    bias = k + Math.floor(((BASE - TMIN + 1) * delta) / (delta + 38));
    n += Math.floor(i / length);
    i %= length;
    // Beyond Unicode, surrogates and C1 controls are never valid in a host name (IDNA).
    if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff) || n < 0xa0) return false;
    nonAscii = true;
    i++;
  }
  return nonAscii;
}

/**
 * How a browser writes `host` in an origin (the WHATWG URL host parser, as
 * Chromium and Node implement it), or undefined when no browser accepts it.
 * Only called at load, once per pattern.
 */
function browserHost(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
}

/** Why a host can never be in an origin a browser sends, or undefined. */
function hostProblem(host: string): HostProblem {
  const bad = (reason: string): HostProblem => ({ code: 'origin_host', reason });
  if (host === '') return bad('has no host');
  if (IPV6.test(host)) {
    const serialized = browserHost(host);
    if (serialized === undefined || !host.includes(':')) return bad('is not a valid IPv6 address: browsers refuse it, so no request carries this origin');
    if (serialized !== host)
      return { code: 'origin_not_canonical', reason: `is not how browsers write this IPv6 address; they send the compressed form ${serialized}` };
    return undefined;
  }
  const name = withoutTrailingDot(host);
  if (IPV4.test(name)) {
    return name === host ? undefined : { code: 'origin_not_canonical', reason: `browsers drop the trailing dot of an IPv4 address; they send ${name}` };
  }
  if (name.length > MAX_HOST_LENGTH) return bad(`has a host longer than ${MAX_HOST_LENGTH} characters, which DNS cannot resolve, so no page has this origin`);
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') return bad('has an empty label in its host (two dots, a leading dot, or more than one trailing dot)');
    if (!DNS_LABEL.test(label))
      return bad(
        `has an invalid host label "${label}" (letters, digits, underscores and inner hyphens, at most 63 characters; write internationalized names in punycode, xn--...)`,
      );
  }
  const badPunycode = labels.find((l) => l.length > 4 && l.slice(0, 4).toLowerCase() === 'xn--' && !isValidPunycode(l.slice(4)));
  if (badPunycode !== undefined)
    return bad(`has the label "${badPunycode}", which is not valid punycode: browsers refuse the host, so no request carries this origin`);
  if (NUMERIC_LABEL.test(labels[labels.length - 1] as string)) {
    const serialized = browserHost(host);
    if (serialized === undefined)
      return bad('ends in a numeric label, so browsers parse the host as an IPv4 address and refuse this one: no request carries this origin');
    return { code: 'origin_not_canonical', reason: `ends in a numeric label, which browsers read as the IPv4 address ${serialized}; write that instead` };
  }
  const serialized = browserHost(host);
  if (serialized === undefined) {
    const punycode = labels.find((l) => l.startsWith('xn--'));
    return bad(
      punycode !== undefined
        ? `has the label "${punycode}", which is not valid punycode: browsers refuse the host, so no request carries this origin`
        : 'is a host browsers refuse, so no request carries this origin',
    );
  }
  if (serialized !== host) return { code: 'origin_not_canonical', reason: `is not how browsers write this host; they send ${serialized}` };
  return undefined;
}

/**
 * Why `*.<base>` would match strangers' sites, or undefined: a public suffix
 * (Public Suffix List, ICANN or private section) or a listed shared-hosting
 * base at or below `base` (the name without a trailing dot). When the list
 * cannot be read or does not verify (a damaged data file next to a Lambda
 * bundle: public-suffix-text.ts), every wildcard is refused: fail closed.
 */
function wildcardBaseProblem(base: string): { code: OriginProblemCode; reason: string } | undefined {
  if (base === 'localhost') return undefined;
  let suffix: string | undefined;
  try {
    suffix = publicSuffixAtOrBelow(base);
  } catch (error) {
    return {
      code: 'origin_wildcard_unverified',
      reason: `cannot be checked: ${(error as Error).message}; every wildcard origin is refused until the list is intact`,
    };
  }
  if (suffix === base)
    return { code: 'origin_wildcard_public_suffix', reason: `has a wildcard over the public suffix "${base}", which would allow sites anyone can register` };
  if (suffix !== undefined)
    return {
      code: 'origin_wildcard_public_suffix',
      reason: `has a wildcard over "${base}", which contains the public suffix "${suffix}" (Public Suffix List): anyone can publish a site there; list your own subdomain instead`,
    };
  const hosting = sharedHostingAtOrBelow(base);
  if (hosting !== undefined)
    return {
      code: 'origin_wildcard_public_suffix',
      reason: `has a wildcard over ${hosting === base ? `the shared-hosting domain "${base}"` : `"${base}", which contains the shared-hosting domain "${hosting}"`} (not in the Public Suffix List, but anyone can get a site there; docs/policies.md); list your own subdomain instead`,
    };
  return undefined;
}

/** Loopback hosts, where plain http is not an eavesdropping risk. */
export function isLoopbackHost(fullHost: string): boolean {
  const host = withoutTrailingDot(fullHost);
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * Parses one `allowOrigins` entry. Pure and strict: an origin must be written
 * exactly as a browser serializes it, so that matching can be byte equality.
 */
export function parseOriginPattern(raw: string): OriginPatternResult {
  const fail = (code: OriginProblemCode, reason: string): OriginPatternResult => ({ ok: false, code, reason });
  if (raw === '*') return { ok: true, pattern: { kind: 'any' } };
  if (raw === '') return fail('origin_empty', 'is empty');
  if (/\s/.test(raw)) return fail('origin_whitespace', 'contains whitespace; browsers never send it');
  if (raw === 'null')
    return fail(
      'origin_null',
      'the "null" origin is sent by sandboxed iframes, file: pages and redirects, so any site can produce it; it can never be allowed',
    );
  const schemeEnd = raw.indexOf('://');
  if (schemeEnd < 0) {
    if (raw.toLowerCase().startsWith('file:')) return fail('origin_file', 'file: origins are serialized as "null" by browsers and cannot be allowed');
    return fail('origin_no_scheme', 'must be scheme://host[:port], for example https://app.example.com');
  }
  const scheme = raw.slice(0, schemeEnd);
  if (scheme !== scheme.toLowerCase()) return fail('origin_upper_case', 'contains upper case; browsers serialize origins in lower case');
  if (scheme === 'file') return fail('origin_file', 'file: origins are serialized as "null" by browsers and cannot be allowed');
  if (scheme !== 'http' && scheme !== 'https') return fail('origin_scheme', `unsupported scheme "${scheme}"; only http and https origins can be allowed`);
  const rest = raw.slice(schemeEnd + 3);
  if (rest !== rest.toLowerCase()) return fail('origin_upper_case', 'contains upper case; browsers serialize origins in lower case');
  if (rest.includes('@')) return fail('origin_userinfo', 'contains userinfo (user@); an origin has none');
  const cut = rest.search(/[/?#]/);
  if (cut >= 0) {
    const what = rest[cut] === '/' ? (rest.slice(cut) === '/' ? 'a trailing slash' : 'a path') : rest[cut] === '?' ? 'a query' : 'a fragment';
    return fail('origin_path', `has ${what}; an origin is only scheme://host[:port]`);
  }
  // Split host and port; IPv6 hosts are bracketed and contain colons.
  let host = rest;
  let port: string | undefined;
  const portSep = rest.startsWith('[') ? rest.indexOf(']:') + 1 : rest.lastIndexOf(':');
  if (portSep > 0) {
    host = rest.slice(0, portSep);
    port = rest.slice(portSep + 1);
  }
  if (port !== undefined && port !== '*') {
    if (!/^[0-9]+$/.test(port) || port.startsWith('0') || Number(port) < 1 || Number(port) > 65535)
      return fail('origin_port', `has an invalid port "${port}" (1-65535, no leading zeros, or * for any port)`);
    if (port === DEFAULT_PORT[scheme])
      return fail('origin_default_port', `has the default port :${port}, which browsers never send; write ${scheme}://${host}`);
  }
  if (host.startsWith('*.')) {
    const base = host.slice(2);
    if (base.includes('*')) return fail('origin_wildcard_position', 'has a wildcard that is not the single leading "*." label');
    if (IPV4.test(withoutTrailingDot(base)) || IPV6.test(base)) return fail('origin_wildcard_ip', 'has a wildcard over an IP address');
    // A subdomain adds at least two characters ("x."): check the shortest host the pattern can match.
    const problem = hostProblem(`x.${base}`);
    if (problem) return fail(problem.code, problem.reason.replaceAll(`x.${base}`, `*.${base}`));
    // Anyone can publish a site under a public suffix (s3.amazonaws.com, github.io, com)
    // or a shared-hosting base the list does not name (shared-hosting.ts):
    // a wildcard at or above one lets strangers' pages match.
    const name = withoutTrailingDot(base);
    const refused = wildcardBaseProblem(name);
    if (refused) return fail(refused.code, refused.reason);
    return { ok: true, pattern: { kind: 'subdomains', scheme, base, port: port ?? '' } };
  }
  if (host.includes('*'))
    return fail('origin_wildcard_position', 'has a wildcard that is not the single leading "*." label (for example https://*.example.com)');
  const problem = hostProblem(host);
  if (problem) return fail(problem.code, problem.reason);
  if (port === '*') return { ok: true, pattern: { kind: 'anyPort', scheme, host } };
  return { ok: true, pattern: { kind: 'exact', scheme, host, port: port ?? '' } };
}

/** The host of a pattern, for checks such as the insecure-origin rule. */
export function patternHost(p: OriginPattern): string | undefined {
  return p.kind === 'any' ? undefined : p.kind === 'subdomains' ? p.base : p.host;
}

/** Strict shape of a serialized origin as browsers send it. */
const REQUEST_ORIGIN = /^(https?):\/\/([a-z0-9._-]+|\[[0-9a-f:.]+\])(?::([1-9][0-9]{0,4}))?$/;
const MAX_ORIGIN_LENGTH = 300;

/** A request's origin split into parts; undefined when it is not a serialized http(s) origin. */
export interface RequestOrigin {
  readonly origin: string;
  readonly scheme: string;
  readonly host: string;
  readonly port: string;
}

export function parseRequestOrigin(origin: string): RequestOrigin | undefined {
  if (origin.length > MAX_ORIGIN_LENGTH) return undefined;
  const m = REQUEST_ORIGIN.exec(origin);
  if (!m) return undefined;
  const scheme = m[1] as Scheme;
  const host = m[2] as string;
  const port = m[3] ?? '';
  if (port !== '' && (Number(port) > 65535 || port === DEFAULT_PORT[scheme])) return undefined;
  // One trailing dot is a fully qualified host, which browsers keep (`https://example.com.`); `..` never.
  if (host.startsWith('.') || host.includes('..')) return undefined;
  return { origin, scheme, host, port };
}

/**
 * The compiled `allowOrigins` of one policy. Every key is built at load time;
 * `matches` only slices the request origin and looks keys up.
 */
export class OriginMatcher {
  readonly allowsAny: boolean;
  private readonly exact = new Set<string>();
  private readonly anyPort = new Set<string>();
  // keys "scheme://.base:port" and "scheme://.base:*"
  private readonly subdomains = new Set<string>();
  /** Distinct label counts of the subdomain bases, ascending: the only parent domains worth looking up. */
  private readonly baseLabels: readonly number[];

  constructor(patterns: readonly OriginPattern[]) {
    let any = false;
    for (const p of patterns) {
      switch (p.kind) {
        case 'any':
          any = true;
          break;
        case 'exact':
          this.exact.add(`${p.scheme}://${p.host}${p.port ? `:${p.port}` : ''}`);
          break;
        case 'anyPort':
          this.anyPort.add(`${p.scheme}://${p.host}`);
          break;
        case 'subdomains':
          this.subdomains.add(`${p.scheme}://.${p.base}:${p.port}`);
          break;
      }
    }
    this.allowsAny = any;
    const counts = new Set<number>();
    for (const p of patterns) if (p.kind === 'subdomains') counts.add(p.base.split('.').length);
    this.baseLabels = [...counts].sort((a, b) => a - b);
  }

  /** True when the exact, already-parsed request origin is allowed. */
  matches(o: RequestOrigin): boolean {
    if (this.allowsAny || this.exact.has(o.origin)) return true;
    const schemeHost = `${o.scheme}://${o.host}`;
    if (this.anyPort.has(schemeHost)) return true;
    if (this.baseLabels.length === 0 || o.host.startsWith('[')) return false;
    // Look up only the parent domains with as many labels as some base has,
    // found by walking the dots from the right once: linear in the host, with
    // a number of lookups fixed by the policy (a.b.example.com, base example.com -> .example.com).
    const host = o.host;
    const prefix = `${o.scheme}://`;
    let dot = host.length;
    let labels = 0;
    for (const want of this.baseLabels) {
      for (; labels < want; labels++) {
        dot = dot > 0 ? host.lastIndexOf('.', dot - 1) : -1;
        // No label left in front of the base: the host is not a proper subdomain.
        if (dot <= 0) return false;
      }
      const suffix = host.slice(dot);
      if (this.subdomains.has(`${prefix}${suffix}:${o.port}`) || this.subdomains.has(`${prefix}${suffix}:*`)) return true;
    }
    return false;
  }
}
