// corsRequestFromEvent and routePath for payload v1 (REST) and v2 (HTTP API):
// headers read case-insensitively from headers and multiValueHeaders, and the
// path rebuilt from the route template and path parameters, never from
// path/rawPath (which carry stages and custom-domain base paths).
import fc from 'fast-check';
import { corsRequestFromEvent, readHeader, routePath } from '../../functions/aws/event';
import { v1Event, v2Event } from '../support/apigw-events';

describe('payload v1 headers', () => {
  test('reads headers whatever their casing', () => {
    const event = v1Event({
      headers: { oRiGiN: 'https://shop.example.com', 'ACCESS-CONTROL-REQUEST-METHOD': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    expect(corsRequestFromEvent(event)).toMatchObject({ origin: 'https://shop.example.com', requestMethod: 'PUT', requestHeaders: 'content-type' });
  });

  test('reads multiValueHeaders when headers is null', () => {
    const event = v1Event({ headers: null, multiValueHeaders: { Origin: ['https://shop.example.com'], 'Access-Control-Request-Method': ['GET'] } });
    expect(corsRequestFromEvent(event)).toMatchObject({ origin: 'https://shop.example.com', requestMethod: 'GET', requestHeaders: undefined });
  });

  test('joins a request-headers list split over several header lines', () => {
    // API Gateway keeps only the last line in `headers`; multiValueHeaders has them all.
    const event = v1Event({ multiValueHeaders: { 'Access-Control-Request-Headers': ['content-type', 'x-request-id'] } });
    expect(event.headers!['Access-Control-Request-Headers']).toBe('x-request-id');
    expect(readHeader(event, 'access-control-request-headers')).toBe('content-type,x-request-id');
  });

  test('two Origin lines become one value that is not a single origin', () => {
    const event = v1Event({ multiValueHeaders: { Origin: ['https://shop.example.com', 'https://evil.example.net'] } });
    const origin = corsRequestFromEvent(event).origin;
    expect(origin).not.toBe('https://shop.example.com');
    expect(origin).not.toBe('https://evil.example.net');
  });

  test('null headers, multiValueHeaders and pathParameters give an empty request at the root', () => {
    const event = v1Event({ resource: '/', headers: null, multiValueHeaders: null, pathParameters: null });
    expect(corsRequestFromEvent(event)).toEqual({ method: 'OPTIONS', path: '/', origin: undefined, requestMethod: undefined, requestHeaders: undefined });
  });

  test('the method is httpMethod', () => {
    expect(corsRequestFromEvent(v1Event({ httpMethod: 'GET' })).method).toBe('GET');
  });
});

describe('payload v1 paths', () => {
  test.each([
    ['the root resource', { resource: '/', path: '/', pathParameters: null }, '/'],
    ['the proxy resource', { resource: '/{proxy+}', path: '/products/42', pathParameters: { proxy: 'products/42' } }, '/products/42'],
    [
      'the proxy resource behind a custom domain base path',
      { resource: '/{proxy+}', path: '/shop/v1/products/42', pathParameters: { proxy: 'products/42' } },
      '/products/42',
    ],
    ['a nested proxy resource', { resource: '/api/{proxy+}', path: '/api/a/b', pathParameters: { proxy: 'a/b' } }, '/api/a/b'],
    ['a resource with a parameter', { resource: '/products/{id}', path: '/products/42', pathParameters: { id: '42' } }, '/products/42'],
    ['a resource with a named greedy parameter', { resource: '/files/{path+}', path: '/files/a/b.txt', pathParameters: { path: 'a/b.txt' } }, '/files/a/b.txt'],
    [
      'a resource with two parameters',
      { resource: '/shops/{shop}/items/{item}', path: '/x/shops/s1/items/i2', pathParameters: { shop: 's1', item: 'i2' } },
      '/shops/s1/items/i2',
    ],
  ])('%s', (_what, options, expected) => {
    const event = v1Event(options);
    expect(routePath(event)).toBe(expected);
    expect(corsRequestFromEvent(event).path).toBe(expected);
  });

  test.each([
    ['the SAM CLI aws-proxy form', '/products/42'],
    ['several leading slashes', '//products/42'],
  ])('a greedy parameter with a leading slash (%s) routes as API Gateway routes the request path', (_what, proxy) => {
    // `sam local generate-event apigateway aws-proxy` writes "proxy": "/path/to/resource"; API Gateway never does.
    expect(routePath(v1Event({ resource: '/{proxy+}', path: '/products/42', pathParameters: { proxy } }))).toBe('/products/42');
    expect(routePath(v1Event({ resource: '/files/{path+}', path: '/files/a', pathParameters: { path: proxy.replace('products/42', 'a') } }))).toBe('/files/a');
  });

  test('the stage never appears in the path', () => {
    const event = v1Event({ resource: '/{proxy+}', path: '/products/42', pathParameters: { proxy: 'products/42' }, stage: 'prod' });
    expect(event.requestContext.path).toBe('/prod/products/42');
    expect(routePath(event)).toBe('/products/42');
  });
});

describe('payload v2 headers', () => {
  test('reads lower-case headers, with a comma-joined request-headers list kept whole', () => {
    const event = v2Event({
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'content-type,x-request-id' },
    });
    expect(corsRequestFromEvent(event)).toMatchObject({
      origin: 'https://shop.example.com',
      requestMethod: 'PATCH',
      requestHeaders: 'content-type,x-request-id',
    });
  });

  test('a missing headers map gives no origin and no request method', () => {
    expect(corsRequestFromEvent(v2Event())).toMatchObject({ origin: undefined, requestMethod: undefined, requestHeaders: undefined });
  });

  test('the method is requestContext.http.method', () => {
    expect(corsRequestFromEvent(v2Event({ method: 'OPTIONS' })).method).toBe('OPTIONS');
    expect(corsRequestFromEvent(v2Event({ method: 'DELETE' })).method).toBe('DELETE');
  });
});

describe('payload v2 paths', () => {
  test.each([
    [
      'the proxy route on the $default stage',
      { routeKey: 'OPTIONS /{proxy+}', rawPath: '/products/42', pathParameters: { proxy: 'products/42' } },
      '/products/42',
    ],
    [
      'the proxy route on a named stage',
      { routeKey: 'OPTIONS /{proxy+}', rawPath: '/dev/products/42', stage: 'dev', pathParameters: { proxy: 'products/42' } },
      '/products/42',
    ],
    ['the root route with no pathParameters', { routeKey: 'OPTIONS /', rawPath: '/dev', stage: 'dev' }, '/'],
    ['an ANY proxy route', { routeKey: 'ANY /{proxy+}', rawPath: '/orders/1', pathParameters: { proxy: 'orders/1' } }, '/orders/1'],
    ['a route with a parameter', { routeKey: 'OPTIONS /products/{id}', rawPath: '/products/7', pathParameters: { id: '7' } }, '/products/7'],
    [
      'a route with a named greedy parameter',
      { routeKey: 'ANY /files/{path+}', rawPath: '/dev/files/a/b.txt', stage: 'dev', pathParameters: { path: 'a/b.txt' } },
      '/files/a/b.txt',
    ],
    ['the $default route on a named stage', { routeKey: '$default', rawPath: '/dev/products/42', stage: 'dev' }, '/products/42'],
    ['the $default route on the $default stage', { routeKey: '$default', rawPath: '/products/42', stage: '$default' }, '/products/42'],
    ['the $default route at a named stage root', { routeKey: '$default', rawPath: '/dev', stage: 'dev' }, '/'],
  ])('%s', (_what, options, expected) => {
    expect(routePath(v2Event(options))).toBe(expected);
  });

  test('a path that merely starts like the stage name keeps its first segment', () => {
    expect(routePath(v2Event({ routeKey: '$default', rawPath: '/devices/1', stage: 'dev' }))).toBe('/devices/1');
  });
});

describe('odd events never throw: they read as a request for / with no method and no CORS headers', () => {
  test.each([
    ['an empty object', {}],
    ['a v2 event without requestContext', { version: '2.0', routeKey: 'OPTIONS /{proxy+}' }],
    ['a v1 event with non-string header values (dropped, not stringified)', { resource: '/', headers: { Origin: 5 }, multiValueHeaders: { Origin: 'x' } }],
  ])('%s', (_what, event) => {
    expect(corsRequestFromEvent(event as never)).toStrictEqual({
      method: '',
      path: '/',
      origin: undefined,
      requestMethod: undefined,
      requestHeaders: undefined,
    });
  });
});

describe('the one-pass preflight header reader', () => {
  // corsRequestFromEvent reads the three headers in one pass with a fast path for the usual
  // casings; it must agree with readHeader (one header at a time) on any header maps.
  const name = (lower: string) =>
    fc
      .array(fc.boolean(), { minLength: lower.length, maxLength: lower.length })
      .map((upper) => [...lower].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
  const headerName = fc.oneof(
    name('origin'),
    name('access-control-request-method'),
    name('access-control-request-headers'),
    // Look-alikes: other names, and characters whose lower case is not what an ASCII fold gives.
    fc.constantFrom(
      'Host',
      'Originx',
      'origin ',
      'Access-Control-Request-Methods',
      'x-forwarded-for',
      'orİgin',
      'ORIGİN',
      'Origin\r',
      'access-control-request-metho0',
    ),
  );
  const value = fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null), fc.integer());
  const headers = fc.option(fc.dictionary(headerName, value, { maxKeys: 6 }), { nil: null });
  const multi = fc.option(fc.dictionary(headerName, fc.oneof(fc.array(value, { maxLength: 3 }), fc.constant(null)), { maxKeys: 6 }), { nil: null });

  test('agrees with readHeader for every header map', () => {
    fc.assert(
      fc.property(headers, multi, (h, m) => {
        const event = v1Event({ headers: h as Record<string, string> | null, multiValueHeaders: m as Record<string, string[]> | null });
        const request = corsRequestFromEvent(event);
        expect([request.origin, request.requestMethod, request.requestHeaders]).toEqual([
          readHeader(event, 'origin'),
          readHeader(event, 'access-control-request-method'),
          readHeader(event, 'access-control-request-headers'),
        ]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("a request that fills API Gateway's header budget with names is read in one enumeration (issue 22)", () => {
  /** `headers` wrapped so that every enumeration of its names is counted. */
  function counted(headers: Record<string, string>): { headers: Record<string, string>; enumerations: () => number } {
    let n = 0;
    const proxy = new Proxy(headers, {
      ownKeys(target) {
        n++;
        return Reflect.ownKeys(target);
      },
    });
    return { headers: proxy, enumerations: () => n };
  }
  // 900 distinct six-character names that differ from "origin" only in the last letter: each of the 32
  // casings of "origi" with a last letter (either case) that is not n, so none of them is Origin.
  const LAST_LETTERS = [...'abcdefghijklmopqrstuvwxyzABCDEFGHIJKLMOPQRSTUVWXYZ'];
  const LOOK_ALIKE_COUNT = 900;
  const lookAlikeName = (i: number): string => [...'origi'].map((c, bit) => ((i >> bit) & 1 ? c.toUpperCase() : c)).join('') + LAST_LETTERS[Math.floor(i / 32)];
  const lookAlikes = Object.fromEntries(Array.from({ length: LOOK_ALIKE_COUNT }, (_, i) => [lookAlikeName(i), 'x']));

  test('the look-alikes are 900 distinct six-character names, none of them Origin in any casing', () => {
    const names = Object.keys(lookAlikes);
    expect(names).toHaveLength(LOOK_ALIKE_COUNT);
    expect(names.filter((n) => n.length !== 6 || n.toLowerCase() === 'origin')).toEqual([]);
  });

  test('with a non-empty multiValueHeaders (API Gateway sends both maps), headers is never enumerated', () => {
    const raw = { ...lookAlikes, Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'PUT' };
    expect(Object.keys(raw)).toHaveLength(LOOK_ALIKE_COUNT + 2);
    const multiValueHeaders = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, [v]]));
    const { headers, enumerations } = counted(raw);
    const event = v1Event({ headers, multiValueHeaders });
    expect(corsRequestFromEvent(event)).toMatchObject({ origin: 'https://shop.example.com', requestMethod: 'PUT', requestHeaders: undefined });
    expect(readHeader(event, 'access-control-request-headers')).toBeUndefined();
    expect(enumerations()).toBe(0);
  });

  test('what multiValueHeaders lacks is read from headers under the usual casings (sam local generate-event)', () => {
    const event = v1Event({
      headers: { origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'PUT', 'aCcEsS-cOnTrOl-ReQuEsT-hEaDeRs': 'x-a' },
      multiValueHeaders: { Accept: ['*/*'] },
    });
    // An odd casing only in headers is not looked for: API Gateway's multiValueHeaders would hold it.
    expect(corsRequestFromEvent(event)).toMatchObject({ origin: 'https://shop.example.com', requestMethod: 'PUT', requestHeaders: undefined });
    expect(readHeader(event, 'origin')).toBe('https://shop.example.com');
  });

  test('without multiValueHeaders (payload v2, or an empty map), headers is read whatever the casing, in one enumeration', () => {
    const raw = { ...lookAlikes, oRiGiN: 'https://shop.example.com', 'access-control-request-method': 'GET' };
    expect(Object.keys(raw)).toHaveLength(LOOK_ALIKE_COUNT + 2);
    const { headers, enumerations } = counted(raw);
    expect(corsRequestFromEvent(v1Event({ headers, multiValueHeaders: {} }))).toMatchObject({ origin: 'https://shop.example.com', requestMethod: 'GET' });
    expect(enumerations()).toBe(1);
  });
});
