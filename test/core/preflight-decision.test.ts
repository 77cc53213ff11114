// decidePreflight: what counts as a preflight, why it is denied, and the exact
// headers of an allowed answer (issue 2, "The preflight answer").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PREFLIGHT_VARY, decidePreflight } from '../../functions/core';
import { basePolicy, preflight, setOf } from '../support/policies';

const VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/** The shipped sample policy: credentialed, with the shop and its preview sites, max-age 600. */
const sample = JSON.parse(readFileSync(join(__dirname, '../../examples/products.json'), 'utf8')) as Record<string, unknown>;

const set = setOf({
  // The sample without POST (left unlisted for the denials), and with one header name in upper case.
  '/cors/api/products': { ...sample, allowMethods: ['GET', 'PUT', 'DELETE', 'PATCH'], allowHeaders: ['content-type', 'Authorization'] },
  '/cors/api/public': basePolicy({ route: '/public/{path+}', allowOrigins: ['*'], allowMethods: ['GET', 'HEAD'] }),
  '/cors/api/any-method': basePolicy({ route: '/rpc', allowMethods: ['*'] }),
});

describe('what is a preflight', () => {
  test.each([
    ['no Origin', { origin: undefined }],
    ['no Access-Control-Request-Method', { requestMethod: undefined }],
    ['neither', { origin: undefined, requestMethod: undefined }],
  ])('an OPTIONS with %s is not a preflight', (_what, overrides) => {
    expect(decidePreflight(set, preflight(overrides))).toEqual({ kind: 'not-preflight' });
  });

  test('a request that is not a preflight needs no policies at all', () => {
    expect(decidePreflight(undefined, preflight({ origin: undefined }))).toEqual({ kind: 'not-preflight' });
  });
});

describe('denials', () => {
  test('nothing loaded: no_policies_loaded', () => {
    expect(decidePreflight(undefined, preflight())).toMatchObject({ kind: 'denied', reason: 'no_policies_loaded' });
  });

  test('no route policy: no_route_policy', () => {
    expect(decidePreflight(set, preflight({ path: '/orders/1' }))).toMatchObject({ kind: 'denied', reason: 'no_route_policy' });
  });

  test('method matching is byte-exact: PATCH does not allow patch', () => {
    expect(decidePreflight(set, preflight({ requestMethod: 'PATCH' })).kind).toBe('allowed');
    expect(decidePreflight(set, preflight({ requestMethod: 'patch' }))).toMatchObject({ kind: 'denied', reason: 'method_not_allowed' });
  });

  test('an unlisted method: method_not_allowed', () => {
    expect(decidePreflight(set, preflight({ requestMethod: 'POST' }))).toMatchObject({ kind: 'denied', reason: 'method_not_allowed' });
  });

  test.each(['GE T', '', 'GET,PUT', 'GET\r\n'])('a method that is not a token (%j): method_malformed', (requestMethod) => {
    expect(decidePreflight(set, preflight({ requestMethod }))).toMatchObject({ kind: 'denied', reason: 'method_malformed' });
  });

  test('"*" in allowMethods allows any method token but not a malformed one', () => {
    expect(decidePreflight(set, preflight({ path: '/rpc', requestMethod: 'PROPFIND' })).kind).toBe('allowed');
    expect(decidePreflight(set, preflight({ path: '/rpc', requestMethod: 'GE T' })).kind).toBe('denied');
  });

  test('a denial carries no response headers, only the reason', () => {
    const decision = decidePreflight(set, preflight({ origin: 'https://evil.example.net' }));
    expect(decision).toMatchObject({ kind: 'denied', reason: 'origin_not_allowed', detail: expect.any(String) });
    expect(decision).not.toHaveProperty('headers');
  });
});

describe('allowed answers', () => {
  test('a credentialed policy: exact origin, credentials, full method and header lists, max-age and Vary', () => {
    const decision = decidePreflight(set, preflight({ origin: 'https://pr-1.preview.example.com', requestMethod: 'PUT', requestHeaders: 'content-type' }));
    expect(decision.kind).toBe('allowed');
    expect(decision.kind === 'allowed' && decision.headers).toEqual({
      'Access-Control-Allow-Origin': 'https://pr-1.preview.example.com',
      'Access-Control-Allow-Credentials': 'true',
      // The full lists, not the requested ones, so one preflight covers every allowed method and header.
      'Access-Control-Allow-Methods': 'GET, PUT, DELETE, PATCH',
      'Access-Control-Allow-Headers': 'content-type, authorization',
      'Access-Control-Max-Age': '600',
      Vary: VARY,
    });
  });

  test('an anonymous any-origin policy: "*", no credentials header, default max-age', () => {
    const decision = decidePreflight(set, preflight({ path: '/public/a/b.json', origin: 'https://anyone.example.org', requestMethod: 'HEAD' }));
    expect(decision.kind === 'allowed' && decision.headers).toEqual({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, HEAD',
      'Access-Control-Max-Age': '7200',
      Vary: VARY,
    });
  });

  test('the exported Vary constant is the one the issue specifies', () => {
    expect(PREFLIGHT_VARY).toBe(VARY);
  });

  test('every answer is a fresh object: changing one never leaks into the next', () => {
    const first = decidePreflight(set, preflight());
    if (first.kind !== 'allowed') throw new Error('expected allowed');
    first.headers['Access-Control-Allow-Origin'] = 'https://evil.example.net';
    const second = decidePreflight(set, preflight());
    expect(second.kind === 'allowed' && second.headers['Access-Control-Allow-Origin']).toBe('https://shop.example.com');
  });

  test('every header value is a string', () => {
    const decision = decidePreflight(set, preflight());
    if (decision.kind !== 'allowed') throw new Error('expected allowed');
    for (const value of Object.values(decision.headers)) expect(typeof value).toBe('string');
  });
});

describe('paths with dot segments', () => {
  // Browsers remove "." and ".." segments (also %2e forms) before sending; API Gateway may resolve
  // them before routing. Such a path never reaches a policy, so ../ cannot borrow another route's policy.
  test.each([
    '/public/../products/42',
    '/public/./x',
    '/public/%2e%2e/products/42',
    '/public/.%2E/x',
    '/public/%2E./x',
    '/public/%2e/x',
    '/..',
    '/products/42/..',
  ])('%s is denied with path_not_normalized', (path) => {
    expect(decidePreflight(set, preflight({ path, origin: 'https://anyone.example', requestMethod: 'GET' }))).toMatchObject({
      kind: 'denied',
      reason: 'path_not_normalized',
    });
  });

  test.each(['/public/...', '/public/.x', '/public/x.', '/public/%2e%2e%2e', '/public/a..b'])('%s is an ordinary segment', (path) => {
    expect(decidePreflight(set, preflight({ path, origin: 'https://anyone.example', requestMethod: 'GET' })).kind).toBe('allowed');
  });
});
