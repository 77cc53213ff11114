// Parsing Access-Control-Request-Headers: browsers send a tidy lower-case
// list; proxies and other clients send spaces, empty elements and other
// casing, which are tolerated; floods and non-tokens are refused (a flood of commas is a known DoS).
import { REQUEST_HEADERS_LIMITS, decidePreflight, parseRequestHeaderList } from '../../functions/core';
import { basePolicy, preflight, setOf } from '../support/policies';

describe('parseRequestHeaderList', () => {
  test.each([
    ['the browser form', 'authorization,content-type,x-request-id', ['authorization', 'content-type', 'x-request-id']],
    ['a single name', 'content-type', ['content-type']],
    ['spaces after commas', 'authorization, content-type', ['authorization', 'content-type']],
    ['spaces and tabs around names', ' \tauthorization \t,\t content-type ', ['authorization', 'content-type']],
    ['empty elements', 'authorization,,content-type,', ['authorization', 'content-type']],
    ['a lone comma', ',', []],
    ['only whitespace', ' \t ', []],
    ['upper and mixed case', 'Authorization,CONTENT-TYPE,X-Request-Id', ['authorization', 'content-type', 'x-request-id']],
    ['token punctuation', "x-a.b_c!#$%&'*+^`|~", ["x-a.b_c!#$%&'*+^`|~"]],
  ])('accepts %s', (_what, value, names) => {
    expect(parseRequestHeaderList(value)).toEqual({ ok: true, names });
  });

  test('an absent or empty header is an empty list', () => {
    expect(parseRequestHeaderList(undefined)).toEqual({ ok: true, names: [] });
    expect(parseRequestHeaderList('')).toEqual({ ok: true, names: [] });
  });

  test.each([
    ['a space inside a name', 'x request'],
    ['a colon', 'x-a:1'],
    ['a semicolon', 'x-a;b'],
    ['a double quote', '"x-a"'],
    ['a non-ASCII letter', 'x-ä'],
    ['a newline between names', 'x-a\nx-b'],
    ['a NUL byte', 'x-a\u0000'],
    ['a slash', 'x/a'],
  ])('refuses %s', (_what, value) => {
    expect(parseRequestHeaderList(value)).toEqual({ ok: false, reason: expect.any(String) });
  });

  test('a comma flood over the element bound is refused without being split', () => {
    expect(parseRequestHeaderList(','.repeat(100_000)).ok).toBe(false);
    expect(parseRequestHeaderList('a,'.repeat(1000)).ok).toBe(false);
  });

  test('the element bound counts elements: at the bound accepted, one more refused', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `x-${i}`).join(',');
    expect(parseRequestHeaderList(names(REQUEST_HEADERS_LIMITS.maxElements))).toMatchObject({ ok: true });
    expect(parseRequestHeaderList(names(REQUEST_HEADERS_LIMITS.maxElements + 1)).ok).toBe(false);
  });

  test('the length bound: at the bound accepted, one character more refused', () => {
    const name = 'x'.repeat(REQUEST_HEADERS_LIMITS.maxLength);
    expect(parseRequestHeaderList(name)).toEqual({ ok: true, names: [name] });
    expect(parseRequestHeaderList(`${name}x`).ok).toBe(false);
    expect(parseRequestHeaderList(' '.repeat(REQUEST_HEADERS_LIMITS.maxLength + 1)).ok).toBe(false);
  });

  test('the bounds leave room for what browsers send', () => {
    // A page may set a few dozen custom headers; refusing those would break real clients.
    expect(REQUEST_HEADERS_LIMITS.maxElements).toBeGreaterThanOrEqual(32);
    expect(REQUEST_HEADERS_LIMITS.maxLength).toBeGreaterThanOrEqual(1024);
  });
});

describe('request headers in decidePreflight', () => {
  const set = setOf({
    '/cors/api/listed': basePolicy({ route: '/listed', allowHeaders: ['Content-Type', 'x-request-id'] }),
    '/cors/api/any': basePolicy({ route: '/any', allowHeaders: ['*'] }),
    '/cors/api/none': basePolicy({ route: '/none' }),
  });

  test('listed headers match case-insensitively, in any order and form', () => {
    expect(decidePreflight(set, preflight({ path: '/listed', requestHeaders: 'x-request-id,content-type' })).kind).toBe('allowed');
    expect(decidePreflight(set, preflight({ path: '/listed', requestHeaders: 'Content-Type , X-Request-ID,,' })).kind).toBe('allowed');
  });

  test('one unlisted header denies the preflight with header_not_allowed', () => {
    expect(decidePreflight(set, preflight({ path: '/listed', requestHeaders: 'content-type,x-api-key' }))).toMatchObject({
      kind: 'denied',
      reason: 'header_not_allowed',
    });
  });

  test('a policy without allowHeaders allows a preflight without request headers only', () => {
    expect(decidePreflight(set, preflight({ path: '/none' })).kind).toBe('allowed');
    expect(decidePreflight(set, preflight({ path: '/none', requestHeaders: 'content-type' }))).toMatchObject({ kind: 'denied', reason: 'header_not_allowed' });
  });

  test('"*" allows any header but authorization', () => {
    expect(decidePreflight(set, preflight({ path: '/any', requestHeaders: 'x-anything,x-else' })).kind).toBe('allowed');
    expect(decidePreflight(set, preflight({ path: '/any', requestHeaders: 'x-anything,authorization' }))).toMatchObject({
      kind: 'denied',
      reason: 'header_not_allowed',
    });
    expect(decidePreflight(set, preflight({ path: '/any', requestHeaders: 'Authorization' }))).toMatchObject({ kind: 'denied', reason: 'header_not_allowed' });
  });

  test.each([
    ['a comma flood', ','.repeat(10_000)],
    ['an over-long value', `content-type,${'x'.repeat(REQUEST_HEADERS_LIMITS.maxLength)}`],
    ['a non-token', 'content-type,x y'],
  ])('%s is denied as headers_malformed', (_what, requestHeaders) => {
    expect(decidePreflight(set, preflight({ path: '/any', requestHeaders }))).toMatchObject({ kind: 'denied', reason: 'headers_malformed' });
  });
});

/**
 * Linear work, shown by structure rather than by timing: every character read
 * (charCodeAt), comma search (indexOf) and regex use on the value is recorded.
 * The parser reads left to right, each character at most three times (as
 * whitespace, as part of a name, as whitespace again: the reads that end each
 * run), finds commas with one indexOf per comma, and runs no regex over the
 * value. A regex trim (`/^[ \t]+|[ \t]+$/g`, quadratic in a run of spaces
 * before a non-space) or a split-and-rescan fails these checks.
 */
describe('parseRequestHeaderList reads each character a bounded number of times', () => {
  const charCodeAt_ = String.prototype.charCodeAt;
  const indexOf_ = String.prototype.indexOf;
  const exec_ = RegExp.prototype.exec;
  const scan = (value: string): { reads: number; searches: number; regexes: number; result: unknown } => {
    let reads = 0;
    let searches = 0;
    let regexes = 0;
    String.prototype.charCodeAt = function (this: string, i: number) {
      if (this === value) reads++;
      return charCodeAt_.call(this, i);
    };
    String.prototype.indexOf = function (this: string, search: string, from?: number) {
      if (this === value) searches++;
      return indexOf_.call(this, search, from);
    };
    // Every regex use (test, replace, split, match) goes through exec.
    RegExp.prototype.exec = function (this: RegExp, s: string) {
      if (s === value) regexes++;
      return exec_.call(this, s);
    };
    try {
      return { result: parseRequestHeaderList(value), reads, searches, regexes };
    } finally {
      String.prototype.charCodeAt = charCodeAt_;
      String.prototype.indexOf = indexOf_;
      RegExp.prototype.exec = exec_;
    }
  };
  const max = REQUEST_HEADERS_LIMITS.maxLength;
  const ws = (n: number) => ' \t'.repeat(n).slice(0, n);

  test.each([
    ['a whitespace run before a name', `${ws(max - 12)}content-type`, true],
    ['a whitespace run after a name', `content-type${ws(max - 12)}`, true],
    ['whitespace runs around every element', Array.from({ length: 32 }, () => `${ws(60)}x${ws(63)}`).join(','), true],
    ['only whitespace', ws(max), true],
    ['the browser form', 'authorization,content-type,x-request-id', true],
    ['63 commas and 64 padded names', Array.from({ length: 64 }, (_, i) => `  X-Name-${i}\t`).join(','), true],
    ['a whitespace run inside an element', `x-a${ws(max - 4)}b`, false],
  ])('%s: each character read at most three times, one search per comma, no regex', (_what, value, ok) => {
    const { result, reads, searches, regexes } = scan(value);
    expect(result).toMatchObject({ ok });
    const elements = value.split(',').length;
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(3 * value.length);
    expect(searches).toBeLessThanOrEqual(elements + 1);
    expect(regexes).toBe(0);
  });
});
