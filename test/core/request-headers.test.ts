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
 * Linear work, shown by structure rather than by timing: every regex the
 * parser runs is recorded with the span it read. The parser may only use
 * sticky scanners (they match at one position, one character class, no
 * backtracking), each starting where the previous one stopped, so together
 * they read each character once. A regex trim (`/^[ \t]+|[ \t]+$/g`, quadratic
 * in a run of spaces before a non-space) or a split-and-rescan fails these checks.
 */
describe('parseRequestHeaderList reads each character once', () => {
  // Every regex use (test, replace, split, match) goes through RegExp.prototype.exec once it is replaced.
  const exec_ = RegExp.prototype.exec;
  interface Span {
    sticky: boolean;
    from: number;
    to: number;
  }
  const scan = (value: string): { spans: Span[]; result: unknown } => {
    const spans: Span[] = [];
    RegExp.prototype.exec = function (this: RegExp, s: string) {
      const from = this.lastIndex;
      const out = exec_.call(this, s);
      spans.push({ sticky: this.sticky, from, to: this.lastIndex });
      return out;
    };
    try {
      return { result: parseRequestHeaderList(value), spans };
    } finally {
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
    ['a whitespace run inside an element', `x-a${ws(max - 4)}b`, false],
  ])('%s: only sticky scans, each from where the last stopped, reading the value once', (_what, value, ok) => {
    const { spans, result } = scan(value);
    expect(result).toMatchObject({ ok });
    expect(spans.length).toBeGreaterThan(0);
    expect(spans.every((s) => s.sticky)).toBe(true);
    // Contiguous: a scan starts where the previous stopped, or one past a comma.
    let read = 0;
    let last = 0;
    for (const span of spans) {
      expect([span, span.from === last || (span.from === last + 1 && value[last] === ',')]).toEqual([span, true]);
      read += span.to - span.from;
      last = span.to;
    }
    expect(read).toBeLessThanOrEqual(value.length);
    // Three scans per element (whitespace, token, whitespace) and no more.
    expect(spans.length).toBeLessThanOrEqual(3 * value.split(',').length);
  });
});
