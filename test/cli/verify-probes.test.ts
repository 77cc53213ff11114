import { compilePolicySet, type PolicySet } from '../../functions/core/policy-set';
import { buildProbes, concreteOrigins, concretePath, lookAlike, planProbes, requestHeaderList } from '../../functions/cli/verify-probes';

function setOf(policies: Record<string, object>): PolicySet {
  const set = compilePolicySet(Object.entries(policies).map(([source, p]) => ({ source, value: JSON.stringify(p) })));
  expect(set.problems).toEqual([]);
  return set;
}

const products = {
  route: ['/products/{id}', '/products'],
  allowOrigins: ['https://shop.example.com', 'https://*.preview.example.com', 'http://localhost:*'],
  allowMethods: ['GET', 'PUT'],
  allowHeaders: ['content-type', 'x-request-id'],
  allowCredentials: true,
  maxAge: 600,
};
const files = { route: '/files/{path+}', allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'] };
const fallback = { route: ['$default', '/'], allowOrigins: ['https://shop.example.com'], allowMethods: ['GET'] };

describe('probe paths and origins', () => {
  const set = setOf({ products, files, fallback });
  const policy = (name: string) => set.policies.get(name)!;

  it('makes a concrete path per route pattern that the engine maps back to the same policy', () => {
    expect(policy('products').routes.map((r) => concretePath(set, policy('products'), r))).toEqual(['/products/cors-verify', '/products']);
    expect(policy('files').routes.map((r) => concretePath(set, policy('files'), r))).toEqual(['/files/cors-verify/a']);
    expect(policy('fallback').routes.map((r) => concretePath(set, policy('fallback'), r))).toEqual(['/cors-verify-default', '/']);
  });

  it('skips a $default route no path reaches (a greedy root route claims every other path) and says why', () => {
    const greedy = setOf({ all: { route: '/{proxy+}', allowOrigins: ['https://a.example.com'], allowMethods: ['GET'] }, fallback });
    const fb = greedy.policies.get('fallback')!;
    // /{proxy+} claims every path but "/", which is the fallback policy's own route.
    expect(concretePath(greedy, fb, fb.routes[0]!)).toBeUndefined();
    expect(buildProbes(greedy).skipped).toEqual([{ policy: 'fallback', route: '$default', reason: expect.stringMatching(/claimed by a more specific route/) }]);
  });

  it('makes one concrete origin per allowed origin pattern: sample subdomain, sample port, any', () => {
    expect(concreteOrigins(policy('products'))).toEqual(['https://shop.example.com', 'https://cors-verify.preview.example.com', 'http://localhost:8080']);
    expect(concreteOrigins(policy('files'))).toEqual(['https://cors-verify.example']);
  });

  it('makes look-alike origins the suffix trick fools naive matchers with, on a reserved TLD', () => {
    expect(lookAlike('https://shop.example.com')).toBe('https://shop.example.com.cors-verify.example');
    expect(lookAlike('http://localhost:8080')).toBe('http://localhost.cors-verify.example:8080');
  });

  it('writes Access-Control-Request-Headers as a browser does', () => {
    expect(requestHeaderList(['X-B', 'content-type', 'x-b'])).toBe('content-type,x-b');
    expect(requestHeaderList([])).toBeUndefined();
  });
});

describe('buildProbes', () => {
  const set = setOf({ products, files, fallback });
  const { probes } = buildProbes(set);
  const of = (route: string) => probes.filter((p) => p.route === route);

  it('probes each allowed method from one origin, each other origin once, and three negatives per route', () => {
    expect(of('/products/{id}').map((p) => [p.kind, p.headers.Origin, p.headers['Access-Control-Request-Method'], p.expected.status])).toEqual([
      ['allowed', 'https://shop.example.com', 'GET', 204],
      ['allowed', 'https://shop.example.com', 'PUT', 204],
      ['allowed', 'https://cors-verify.preview.example.com', 'GET', 204],
      ['allowed', 'http://localhost:8080', 'GET', 204],
      ['look-alike-origin', 'https://shop.example.com.cors-verify.example', 'GET', 403],
      ['unlisted-method', 'https://shop.example.com', 'DELETE', 403],
      ['unlisted-header', 'https://shop.example.com', 'GET', 403],
    ]);
  });

  it('expects exactly the preflight function’s answer, from the engine', () => {
    const [first] = of('/products/{id}');
    expect(first!.headers).toEqual({
      Origin: 'https://shop.example.com',
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'content-type,x-request-id',
    });
    expect(first!.credentials).toBe(true);
    expect(first!.expected).toEqual({
      status: 204,
      browserAllows: true,
      headers: {
        'Access-Control-Allow-Origin': 'https://shop.example.com',
        'Access-Control-Allow-Methods': 'GET, PUT',
        'Access-Control-Allow-Headers': 'content-type, x-request-id',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Max-Age': '600',
        Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      },
    });
    const header = of('/products/{id}').find((p) => p.kind === 'unlisted-header')!;
    expect(header.headers['Access-Control-Request-Headers']).toBe('content-type,x-cors-verify-unlisted,x-request-id');
    expect(header.expected).toEqual({
      status: 403,
      headers: { Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' },
      browserAllows: false,
      reason: 'header_not_allowed',
    });
  });

  it('probes wildcards with samples, skips what a wildcard always allows, and tries authorization against "*"', () => {
    expect(
      of('/files/{path+}').map((p) => [p.kind, p.headers['Access-Control-Request-Method'], p.headers['Access-Control-Request-Headers'], p.expected.status]),
    ).toEqual([
      ['allowed', 'PUT', 'x-cors-verify', 204],
      ['unlisted-header', 'PUT', 'authorization,x-cors-verify', 403],
    ]);
  });

  it('never sends cookies or credentials, only the preflight request headers', () => {
    for (const p of probes)
      expect(Object.keys(p.headers).filter((h) => !['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers'].includes(h))).toEqual([]);
  });

  it('adds GET (or HEAD when only HEAD is allowed) with each origin and a look-alike with --actual', () => {
    const headOnly = setOf({ h: { route: '/h', allowOrigins: ['https://a.example.com'], allowMethods: ['HEAD'] } });
    expect(
      buildProbes(headOnly, { actual: true })
        .probes.filter((p) => p.kind === 'actual')
        .map((p) => [p.method, p.headers.Origin, p.expected.headers['Access-Control-Allow-Origin'] ?? null]),
    ).toEqual([
      ['HEAD', 'https://a.example.com', 'https://a.example.com'],
      ['HEAD', 'https://a.example.com.cors-verify.example', null],
    ]);
    const actual = buildProbes(set, { actual: true }).probes.filter((p) => p.kind === 'actual' && p.route === '/products');
    expect(actual.map((p) => [p.method, p.expected.status, p.expected.headers])).toEqual([
      ['GET', null, { Vary: 'Origin', 'Access-Control-Allow-Origin': 'https://shop.example.com', 'Access-Control-Allow-Credentials': 'true' }],
      ['GET', null, { Vary: 'Origin', 'Access-Control-Allow-Origin': 'https://cors-verify.preview.example.com', 'Access-Control-Allow-Credentials': 'true' }],
      ['GET', null, { Vary: 'Origin', 'Access-Control-Allow-Origin': 'http://localhost:8080', 'Access-Control-Allow-Credentials': 'true' }],
      ['GET', null, { Vary: 'Origin' }],
    ]);
  });

  it('numbers probes from 1 in order', () => {
    expect(probes.map((p) => p.id)).toEqual(probes.map((_, i) => i + 1));
  });
});

describe('planProbes', () => {
  it('counts exactly the probes buildProbes makes, without computing their answers', () => {
    const set = compilePolicySet([
      {
        source: 'a',
        value: JSON.stringify({ route: ['/a', '/a/{id}'], allowOrigins: ['https://x.example', 'https://*.y.example'], allowMethods: ['GET', 'PUT'] }),
      },
      { source: 'b', value: JSON.stringify({ route: '$default', allowOrigins: ['*'], allowMethods: ['GET'], allowHeaders: ['*'] }) },
    ]);
    for (const actual of [false, true]) {
      const plan = planProbes(set, { actual });
      expect(plan.count).toBe(buildProbes(set, { actual }).probes.length);
      expect(plan.count).toBeGreaterThan(0);
    }
  });
});
