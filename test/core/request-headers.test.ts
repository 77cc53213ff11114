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
    expect(decidePreflight(set, preflight({ path: '/listed', requestHeaders: 'content-type,x-api-key' }))).toMatchObject({ kind: 'denied', reason: 'header_not_allowed' });
  });

  test('a policy without allowHeaders allows a preflight without request headers only', () => {
    expect(decidePreflight(set, preflight({ path: '/none' })).kind).toBe('allowed');
    expect(decidePreflight(set, preflight({ path: '/none', requestHeaders: 'content-type' }))).toMatchObject({ kind: 'denied', reason: 'header_not_allowed' });
  });

  test('"*" allows any header but authorization', () => {
    expect(decidePreflight(set, preflight({ path: '/any', requestHeaders: 'x-anything,x-else' })).kind).toBe('allowed');
    expect(decidePreflight(set, preflight({ path: '/any', requestHeaders: 'x-anything,authorization' }))).toMatchObject({ kind: 'denied', reason: 'header_not_allowed' });
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
 * Linear work, shown by counting reads rather than by timing: the value is
 * handed over as an object with only the string methods the parser may use,
 * each counting the characters it touches. A regex trim (quadratic in a run of
 * spaces before a non-space) would need methods this object lacks, and a
 * rescanning loop would read far more than a few times the length.
 */
describe('parseRequestHeaderList reads each character a bounded number of times', () => {
  class CountingString {
    reads = 0;
    constructor(private readonly text: string) {}
    get length(): number {
      return this.text.length;
    }
    charCodeAt(i: number): number {
      this.reads++;
      return this.text.charCodeAt(i);
    }
    indexOf(search: string, from: number): number {
      const found = this.text.indexOf(search, from);
      this.reads += (found < 0 ? this.text.length : found + 1) - from;
      return found;
    }
    slice(from: number, to: number): string {
      this.reads += to - from;
      return this.text.slice(from, to);
    }
  }
  const readsFor = (value: string): { reads: number; result: unknown } => {
    const counting = new CountingString(value);
    const result = parseRequestHeaderList(counting as unknown as string);
    return { reads: counting.reads, result };
  };
  const max = REQUEST_HEADERS_LIMITS.maxLength;
  const ws = (n: number) => ' \t'.repeat(n).slice(0, n);

  test.each([
    ['a whitespace run inside an element', (n: number) => `x-a${ws(n - 4)}b`, false],
    ['a whitespace run before a name', (n: number) => `${ws(n - 12)}content-type`, true],
    ['a whitespace run after a name', (n: number) => `content-type${ws(n - 12)}`, true],
    ['whitespace runs around every element', (n: number) => Array.from({ length: 32 }, () => `${ws(n / 64 - 2)}x${ws(n / 64 - 1)}`).join(','), true],
    ['only whitespace', (n: number) => ws(n), true],
  ])('%s: at most 4 reads per character, at every size', (_what, make, ok) => {
    for (const n of [256, 1024, max]) {
      const value = make(n);
      const { reads, result } = readsFor(value);
      expect(result).toMatchObject({ ok });
      expect(reads).toBeLessThanOrEqual(4 * value.length + 64);
    }
  });

  test('the reads double when the value doubles (linear, not quadratic)', () => {
    const at = (n: number) => readsFor(`x-a${ws(n - 4)}b`).reads;
    expect(at(max) / at(max / 2)).toBeLessThan(2.1);
  });
});
