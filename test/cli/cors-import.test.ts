import { fromCorsConfiguration, fromRestOptions, policyNameFor, toPolicy, type StaticCors } from '../../functions/cli/cors-import';

const base: StaticCors = { origins: ['https://a.example.com'], methods: ['GET'], headers: [], expose: [], credentials: false, maxAge: 600 };

describe('toPolicy never widens', () => {
  test('a "*" allowHeaders with credentials is dropped (browsers read it as a header named "*")', () => {
    const r = toPolicy('s', ['/x'], { ...base, headers: ['*', 'content-type'], credentials: true }, 'd');
    expect(r.document).toMatchObject({ allowHeaders: ['content-type'], allowCredentials: true });
    expect(r.dropped.map((p) => p.field)).toEqual(['allowHeaders[0]']);
  });

  test('no method left: the policy is left out rather than given a default', () => {
    const r = toPolicy('s', ['/x'], { ...base, methods: ['get'] }, 'd');
    expect(r.document).toBeUndefined();
    expect(r.refused).toMatch(/no method is left/);
  });

  test('max-age: absent -> 5 s (the browser default), negative -> 0, above every cap -> 86400', () => {
    expect(toPolicy('s', ['/x'], { ...base, maxAge: undefined }, 'd').document?.maxAge).toBe(5);
    expect(toPolicy('s', ['/x'], { ...base, maxAge: -1 }, 'd').document?.maxAge).toBe(0);
    expect(toPolicy('s', ['/x'], { ...base, maxAge: 90000 }, 'd').document?.maxAge).toBe(86400);
  });

  test('no Access-Control-Allow-Methods means the safelisted methods, written out', () => {
    expect(toPolicy('s', ['/x'], { ...base, methods: undefined }, 'd').document?.allowMethods).toEqual(['GET', 'HEAD', 'POST']);
  });
});

describe('fromRestOptions', () => {
  const mock = (statusCode: string, params: Record<string, string>) => ({
    methodIntegration: { type: 'MOCK', integrationResponses: { [statusCode]: { statusCode, responseParameters: params } } },
  });

  test('a non-2xx answer fails every preflight today: nothing to reproduce', () => {
    expect(fromRestOptions('api', '/x', mock('403', { 'method.response.header.Access-Control-Allow-Origin': "'*'" })).refused).toMatch(/status 403/);
  });

  test('credentials other than exactly "true" are no credentials, as in browsers', () => {
    const r = fromRestOptions(
      'api',
      '/x',
      mock('200', { 'method.response.header.Access-Control-Allow-Origin': "'*'", 'method.response.header.Access-Control-Allow-Credentials': "'TRUE'" }),
    );
    expect(r.document).toMatchObject({ allowOrigins: ['*'] });
    expect(r.document).not.toHaveProperty('allowCredentials');
  });
});

test('policy names are valid parameter names', () => {
  expect(['/', '/items', '/items/{id}', '/files/{path+}', '/a b'].map(policyNameFor)).toEqual(['root', 'items', 'items-id', 'files-path', 'a_b']);
});

describe('import reads each source under its own semantics', () => {
  const mock = (params: Record<string, string>) => ({
    methodIntegration: { type: 'MOCK', integrationResponses: { '200': { statusCode: '200', responseParameters: params } } },
  });
  const H = 'method.response.header.';

  test.each([["'https://*.example.com'"], ["'http://localhost:*'"], ["'null'"], ["'https://a.example.com, https://b.example.com'"]])(
    'a REST MOCK origin %s matches no origin a browser sends: the policy is left out, naming why',
    (value) => {
      const r = fromRestOptions('api', '/items', mock({ [`${H}Access-Control-Allow-Origin`]: value, [`${H}Access-Control-Allow-Methods`]: "'GET,PUT'" }));
      expect(r.source).toBe('OPTIONS /items');
      expect(r.document).toBeUndefined();
      expect(r.refused).toContain('allows no origin a browser sends');
      expect(r.notes.join('\n')).toContain('browsers compare Access-Control-Allow-Origin byte for byte');
    },
  );

  test.each([
    [
      'a REST MOCK "*" with credentials allows no credentialed request: left out, not imported as a credentialed policy',
      { 'Access-Control-Allow-Origin': "'*'", 'Access-Control-Allow-Credentials': "'true'" },
      'every browser refuses',
    ],
    [
      'a REST MOCK method or header list with a non-token fails every preflight: left out rather than cleaned up',
      { 'Access-Control-Allow-Origin': "'https://a.example.com'", 'Access-Control-Allow-Headers': "'content-type, bad header'" },
      '"bad header"',
    ],
  ])('%s', (_title, headers, reason) => {
    const r = fromRestOptions('api', '/items', mock(Object.fromEntries(Object.entries(headers).map(([name, value]) => [`${H}${name}`, value]))));
    expect(r.document).toBeUndefined();
    expect(r.refused).toContain(reason);
  });

  test('OPTIONS is left out of allowMethods and header names are lower-cased', () => {
    const r = fromRestOptions(
      'api',
      '/items',
      mock({
        [`${H}Access-Control-Allow-Origin`]: "'https://a.example.com'",
        [`${H}Access-Control-Allow-Methods`]: "'GET,OPTIONS,PUT'",
        [`${H}Access-Control-Allow-Headers`]: "'Content-Type,X-Amz-Date,Authorization'",
        [`${H}Access-Control-Expose-Headers`]: "'ETag'",
      }),
    );
    expect(r.document).toMatchObject({ allowMethods: ['GET', 'PUT'], allowHeaders: ['content-type', 'x-amz-date', 'authorization'], exposeHeaders: ['etag'] });
    expect(r.notes).toContain('left out OPTIONS from allowMethods: the preflight itself needs no entry');
  });

  test('an HTTP API origin in an undocumented form, or a whole scheme, is left out with why; the exact origins stay', () => {
    const r = fromCorsConfiguration('api', {
      AllowOrigins: ['https://*.example.com', 'https://*', 'https://shop.example.com'],
      AllowMethods: ['GET', 'OPTIONS'],
      AllowHeaders: ['X-Trace'],
    });
    expect(r.document).toMatchObject({ allowOrigins: ['https://shop.example.com'], allowMethods: ['GET'], allowHeaders: ['x-trace'] });
    expect(r.notes).toEqual(
      expect.arrayContaining([
        expect.stringContaining('left out origin "https://*.example.com": not a form API Gateway documents'),
        expect.stringContaining('left out origin "https://*": it allows every https origin'),
      ]),
    );
  });
});
