/**
 * The slowest requests we can construct inside the engine's bounds, one per
 * parser, for the "worst request inside the bounds" rows of the warm bench.
 * Each is built from the sample events (route `/products/{id}`, policy
 * `products`: origins `https://shop.example.com`, `https://*.preview.example.com`,
 * `http://localhost:*`).
 *
 * The preflight function remembers recent (origin, method, header list)
 * decisions, so a hostile client varies its values to always take the
 * uncached path: every memoizable input here comes in {@link VARIANTS}
 * distinct copies, more than the memo holds, cycled through by the bench.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { REQUEST_HEADERS_LIMITS } from '../../functions/core/request';
import { actualEvents, preflightEvents } from './events';

/** More than the preflight memo's 4,096 entries: every call misses. */
export const VARIANTS = 8192;

/** The longest request origin the engine parses (longer ones are refused before any work). */
const MAX_ORIGIN = 300;
/** API Gateway's bound on a request's headers (REST and HTTP APIs): 10,240 bytes in total. */
const HEADER_BYTES = 10_240;

export interface HostileCase {
  /** Row name: which parser, and what the request is. */
  name: string;
  /** What the product answers: checked before anything is timed. */
  expect: 'allowed' | 'denied';
  /** One event, or {@link VARIANTS} of them when the input is memoizable. */
  events: APIGatewayProxyEvent[];
}

function withHeader(base: APIGatewayProxyEvent, name: string, value: string): APIGatewayProxyEvent {
  const e = structuredClone(base);
  e.headers[name] = value;
  (e.multiValueHeaders as Record<string, string[]>)[name] = [value];
  return e;
}

/** `n` distinct hosts of `length` characters made of one-letter labels, ending in `suffix`. */
function dottyHosts(n: number, length: number, suffix: string): string[] {
  const hosts: string[] = [];
  for (let i = 0; i < n; i++) {
    const tag = `v${i.toString(36)}`;
    let host = `${tag}.${suffix}`;
    while (host.length + 2 <= length) host = `a.${host}`;
    hosts.push(host);
  }
  return hosts;
}

/** Pads a header-value to the ACRH length bound with a run of spaces and tabs inside one element. */
function padToBound(head: string, tail: string): string {
  const run = REQUEST_HEADERS_LIMITS.maxLength - head.length - tail.length;
  return `${head}${' \t'.repeat(Math.ceil(run / 2)).slice(0, run)}${tail}`;
}

/** Many header names of the lengths the reader compares (6, 29, 30), none of them a preflight header. */
function headerFlood(): Record<string, string> {
  const out: Record<string, string> = {};
  let bytes = 0;
  for (let i = 0; bytes < HEADER_BYTES - 600; i++) {
    const n = [6, 29, 30][i % 3] as number;
    const id = String(i); // digits: never completes a real name
    // Same first letters as the real names, so any early exit comes as late as possible.
    const name = (n === 6 ? 'origi' : n === 29 ? 'access-control-request-metho' : 'access-control-request-header').slice(0, n - id.length) + id;
    out[name.padEnd(n, 'x')] = 'x';
    bytes += n + 4;
  }
  return out;
}

/**
 * API Gateway's header budget filled with six-character names that start like
 * `Origin` in every casing (`oRiGi7`): each passes the reader's length and
 * first-letter checks and is lower-cased to be compared (issue 22's worst request).
 */
function originLookAlikes(): Record<string, string> {
  const out: Record<string, string> = {};
  const last = 'abcdefghijklmopqrstuvwxyz0123456789'; // no "n": never completes "origin"
  let bytes = 0;
  for (let casing = 0; bytes < HEADER_BYTES - 600; casing++) {
    const head = [...'origi'].map((c, i) => ((casing >> i) & 1 ? c.toUpperCase() : c)).join('');
    for (let j = 0; j < last.length && bytes < HEADER_BYTES - 600; j++) {
      out[`${head}${last[j]}`] = 'x';
      bytes += 6 + 4;
    }
  }
  return out;
}

/** The preflight function's worst requests: allowed ones against the normal allowed preflight, denied ones against the normal denied one. */
export function hostilePreflights(): HostileCase[] {
  const { v1Allowed } = preflightEvents();
  const cases: HostileCase[] = [];
  // Access-Control-Request-Headers: at the length bound (not memoized), whitespace runs inside and around elements.
  cases.push({
    name: 'ACRH: 4 KB, one element padded by a 4 KB space/tab run',
    expect: 'allowed',
    events: [withHeader(v1Allowed, 'Access-Control-Request-Headers', padToBound('authorization', ',content-type'))],
  });
  cases.push({
    name: 'ACRH: 4 KB, a space/tab run inside an element',
    expect: 'denied',
    events: [withHeader(v1Allowed, 'Access-Control-Request-Headers', padToBound('x-a', 'b'))],
  });
  cases.push({
    name: 'ACRH: 63 commas, 64 whitespace-padded names',
    expect: 'allowed',
    events: [
      withHeader(
        v1Allowed,
        'Access-Control-Request-Headers',
        Array.from({ length: REQUEST_HEADERS_LIMITS.maxElements }, (_, i) => (i % 2 ? ' \t content-type \t ' : ' \t authorization \t '))
          .join(',')
          .padEnd(REQUEST_HEADERS_LIMITS.maxLength, ' '),
      ),
    ],
  });
  // Origin: the longest parsed origin, all one-letter labels, matching the subdomain pattern only at its end.
  cases.push({
    name: 'Origin: 300 chars, 139 labels, under *.preview.example.com',
    expect: 'allowed',
    events: dottyHosts(VARIANTS, MAX_ORIGIN - 'https://'.length, 'preview.example.com').map((h) => withHeader(v1Allowed, 'Origin', `https://${h}`)),
  });
  cases.push({
    name: 'Origin: 300 chars, 142 labels, not allowed',
    expect: 'denied',
    events: dottyHosts(VARIANTS, MAX_ORIGIN - 'https://'.length, 'example.org').map((h) => withHeader(v1Allowed, 'Origin', `https://${h}`)),
  });
  // Access-Control-Request-Method: the longest method token the engine reads.
  cases.push({
    name: 'ACRM: 64-char method token, not allowed',
    expect: 'denied',
    events: Array.from({ length: VARIANTS }, (_, i) => withHeader(v1Allowed, 'Access-Control-Request-Method', `M${i.toString(36)}`.padEnd(64, 'X'))),
  });
  // Path: the whole header budget spent on one long segment, and on dot segments.
  const longSegment = structuredClone(v1Allowed);
  longSegment.pathParameters = { proxy: `products/${'4'.repeat(8000)}` };
  cases.push({ name: 'path: one 8 KB segment', expect: 'allowed', events: [longSegment] });
  // Every segment starts like a dot segment, so the dot-segment check reads each one (and none is).
  const dots = structuredClone(v1Allowed);
  dots.pathParameters = { proxy: `products/${'.a/%2ea/'.repeat(1140)}42` };
  cases.push({ name: 'path: 2,280 dot-like segments (9 KB)', expect: 'denied', events: [dots] });
  // Event reading: API Gateway's header budget filled with names the reader must compare.
  const flood = structuredClone(v1Allowed);
  const extra = headerFlood();
  Object.assign(flood.headers, extra);
  Object.assign(flood.multiValueHeaders, Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, [v]])));
  cases.push({ name: `event: ${Object.keys(extra).length} look-alike header names (10 KB)`, expect: 'allowed', events: [flood] });
  // The same budget on six-character Origin look-alikes, without Access-Control-Request-Headers, so nothing ends the search early.
  const origins = structuredClone(v1Allowed);
  delete origins.headers['Access-Control-Request-Headers'];
  delete (origins.multiValueHeaders as Record<string, string[]>)['Access-Control-Request-Headers'];
  const lookAlikes = originLookAlikes();
  Object.assign(origins.headers, lookAlikes);
  Object.assign(origins.multiValueHeaders, Object.fromEntries(Object.entries(lookAlikes).map(([k, v]) => [k, [v]])));
  cases.push({ name: `event: ${Object.keys(lookAlikes).length} six-character Origi* names, no ACRH (10 KB)`, expect: 'allowed', events: [origins] });
  return cases;
}

/** The layer's worst requests (actual GET responses); the layer keeps no memo, so one event each. */
export function hostileActuals(): HostileCase[] {
  const { v1 } = actualEvents();
  const origin = structuredClone(v1);
  const host = dottyHosts(1, MAX_ORIGIN - 'https://'.length, 'preview.example.com')[0] as string;
  origin.headers.Origin = `https://${host}`;
  (origin.multiValueHeaders as Record<string, string[]>).Origin = [`https://${host}`];
  const path = structuredClone(v1);
  path.pathParameters = { proxy: `products/${'4'.repeat(8000)}` };
  const flood = structuredClone(v1);
  const extra = headerFlood();
  Object.assign(flood.headers, extra);
  Object.assign(flood.multiValueHeaders, Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, [v]])));
  return [
    { name: 'withCors: Origin 300 chars, 139 labels', expect: 'allowed', events: [origin] },
    { name: 'withCors: path, one 8 KB segment', expect: 'allowed', events: [path] },
    { name: `withCors: ${Object.keys(extra).length} look-alike header names`, expect: 'allowed', events: [flood] },
  ];
}
