import { fromRestOptions, policyNameFor, toPolicy, type StaticCors } from '../../functions/cli/cors-import';

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
