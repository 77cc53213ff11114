// compilePolicySet: many parameters become one route table, as a pure function
// of what is stored. One bad parameter never takes the others down, an invalid
// value serves the newest stored version that validates, and a route two
// policies claim is denied to everyone.
import { compilePolicySet, conflictProblems, decidePreflight, type PolicyEntry, type StoredVersion } from '../../functions/core';
import { basePolicy, holderAt, preflight, setOf } from '../support/policies';

const valid = (route: unknown, origin = 'https://shop.example.com') => basePolicy({ route, allowOrigins: [origin] });
const sourceAt = holderAt;
const json = (doc: unknown) => (typeof doc === 'string' ? doc : JSON.stringify(doc));
/** An entry whose stored versions are `versions` in order (1, 2, ...); the last one is current. */
const stored = (source: string, ...versions: unknown[]): PolicyEntry => {
  const history: StoredVersion[] = versions.map((v, i) => ({ version: i + 1, value: json(v), type: 'String' }));
  return { source, value: history[history.length - 1]!.value, type: 'String', version: history.length, history };
};

describe('one bad parameter never takes the others down', () => {
  test('the valid policies serve and the invalid one is reported by name', () => {
    const set = setOf({
      '/cors/api/orders': valid('/orders'),
      '/cors/api/broken': basePolicy({ route: '/broken', allowOrigins: ['null'] }),
      '/cors/api/users': valid('/users/{id}'),
      '/cors/api/not-json': '{"route": ',
    });
    expect(sourceAt(set, '/orders')).toBe('/cors/api/orders');
    expect(sourceAt(set, '/users/7')).toBe('/cors/api/users');
    expect(sourceAt(set, '/broken')).toBeUndefined();
    expect([...set.policies.keys()].sort()).toEqual(['/cors/api/orders', '/cors/api/users']);
    expect(set.status.get('/cors/api/broken')).toBe('rejected');
    expect(set.status.get('/cors/api/not-json')).toBe('rejected');
    expect(set.status.get('/cors/api/orders')).toBe('current');
    expect(new Set(set.problems.map((p) => p.source))).toEqual(new Set(['/cors/api/broken', '/cors/api/not-json']));
    expect(set.problems).toContainEqual({
      source: '/cors/api/broken',
      field: 'allowOrigins[0]',
      value: 'null',
      code: 'origin_null',
      reason: expect.any(String),
    });
  });

  test('a route without a valid policy falls through to $default, never to the rejected policy', () => {
    const set = setOf({
      '/cors/api/default': valid('$default', 'https://default.example.com'),
      '/cors/api/broken': basePolicy({ route: '/admin', allowOrigins: ['*'], allowCredentials: true }),
    });
    expect(sourceAt(set, '/admin')).toBe('/cors/api/default');
  });

  test('an empty set of entries compiles to an empty table', () => {
    const set = compilePolicySet([]);
    expect(set.table.size).toBe(0);
    expect(set.table.match('/anything')).toBeUndefined();
    expect(set.problems).toEqual([]);
  });
});

describe('the parameter type', () => {
  test.each(['SecureString', 'StringList'])('refuses a %s parameter even when its value is a valid policy', (type) => {
    const set = compilePolicySet([
      { source: '/cors/api/secret', value: JSON.stringify(valid('/secret')), type },
      { source: '/cors/api/plain', value: JSON.stringify(valid('/plain')), type: 'String' },
    ]);
    expect(sourceAt(set, '/secret')).toBeUndefined();
    expect(sourceAt(set, '/plain')).toBe('/cors/api/plain');
    expect(set.status.get('/cors/api/secret')).toBe('rejected');
    const [problem] = set.problems;
    expect(set.problems).toHaveLength(1);
    expect(problem!.source).toBe('/cors/api/secret');
    expect(problem!.reason).toContain(type);
  });

  test('accepts an entry whose type is unknown (files, the CLI)', () => {
    expect(sourceAt(compilePolicySet([{ source: 'policies/a.json', value: JSON.stringify(valid('/a')) }]), '/a')).toBe('policies/a.json');
  });
});

describe('an invalid value serves the newest stored version that validates', () => {
  const orders = '/cors/api/orders';
  const users = { source: '/cors/api/users', value: json(valid('/users')), type: 'String' };

  test('the newest valid version serves, with status earlier-version, its version number, and the problem of the current value', () => {
    const set = compilePolicySet([
      stored(
        orders,
        valid('/orders', 'https://v1.example.com'),
        valid('/orders', 'https://v2.example.com'),
        basePolicy({ route: '/orders', allowOrigins: ['https://*.com'] }),
      ),
      users,
    ]);
    expect(set.status.get(orders)).toBe('earlier-version');
    expect(set.versions.get(orders)).toBe(2);
    expect(decidePreflight(set, preflight({ path: '/orders', origin: 'https://v2.example.com' })).kind).toBe('allowed');
    expect(decidePreflight(set, preflight({ path: '/orders', origin: 'https://v1.example.com' })).kind).toBe('denied');
    expect(set.problems).toEqual([
      { source: orders, field: 'allowOrigins[0]', value: 'https://*.com', code: 'origin_wildcard_public_suffix', reason: expect.stringContaining('"com"') },
    ]);
  });

  test('skips invalid versions in between, however many', () => {
    const set = compilePolicySet([
      stored(orders, valid('/orders', 'https://v1.example.com'), '{oops', '{"route": 1}', basePolicy({ route: '/orders', allowMethods: ['TRACE'] })),
    ]);
    expect(set.versions.get(orders)).toBe(1);
    expect(decidePreflight(set, preflight({ path: '/orders', origin: 'https://v1.example.com' })).kind).toBe('allowed');
  });

  test('a version of another type does not count, even when its value would validate', () => {
    const entry = stored(orders, valid('/orders', 'https://v1.example.com'), valid('/orders', 'https://v2.example.com'), '{oops');
    const history = entry.history!.map((v) => (v.version === 2 ? { ...v, type: 'SecureString' } : v));
    const set = compilePolicySet([{ ...entry, history }]);
    expect(set.versions.get(orders)).toBe(1);
  });

  test('a valid current value serves itself, whatever the history holds', () => {
    const set = compilePolicySet([stored(orders, valid('/orders', 'https://v1.example.com'), '{oops', valid('/orders', 'https://v3.example.com'))]);
    expect(set.status.get(orders)).toBe('current');
    expect(set.versions.has(orders)).toBe(false);
    expect(decidePreflight(set, preflight({ path: '/orders', origin: 'https://v3.example.com' })).kind).toBe('allowed');
  });

  test('versions newer than the current one are never used (a listing older than the history read)', () => {
    const entry: PolicyEntry = {
      source: orders,
      value: '{oops',
      version: 2,
      history: [
        { version: 1, value: json(valid('/orders', 'https://v1.example.com')) },
        { version: 3, value: json(valid('/orders', 'https://v3.example.com')) },
      ],
    };
    expect(compilePolicySet([entry]).versions.get(orders)).toBe(1);
  });

  test('a parameter with no valid version never serves and is rejected', () => {
    const set = compilePolicySet([stored(orders, '{oops', basePolicy({ route: '/orders', allowMethods: ['TRACE'] })), users]);
    expect(set.status.get(orders)).toBe('rejected');
    expect(sourceAt(set, '/orders')).toBeUndefined();
    expect(set.policies.has(orders)).toBe(false);
  });

  test('without a history an invalid value is rejected, and its route falls through to $default', () => {
    const set = setOf({ [orders]: '{oops', '/cors/api/default': valid('$default', 'https://default.example.com') });
    expect(set.status.get(orders)).toBe('rejected');
    expect(sourceAt(set, '/orders')).toBe('/cors/api/default');
  });

  test('a deleted parameter takes its routes with it', () => {
    const set = compilePolicySet([users]);
    expect(sourceAt(set, '/orders')).toBeUndefined();
  });
});

describe('two policies claiming the same route', () => {
  test('the route is denied with route_conflict naming both, and each keeps its other routes', () => {
    const set = setOf({
      '/cors/api/b': valid(['/orders', '/b-only'], 'https://b.example.com'),
      '/cors/api/a': valid(['/a-only', '/orders'], 'https://a.example.com'),
    });
    expect(sourceAt(set, '/orders')).toBe('conflict /orders');
    expect(sourceAt(set, '/a-only')).toBe('/cors/api/a');
    expect(sourceAt(set, '/b-only')).toBe('/cors/api/b');
    expect(set.status.get('/cors/api/a')).toBe('current');
    expect(set.status.get('/cors/api/b')).toBe('current');
    expect(set.conflicts).toEqual([
      {
        kind: 'route-conflict',
        key: '/orders',
        claims: [
          { source: '/cors/api/a', route: '/orders' },
          { source: '/cors/api/b', route: '/orders' },
        ],
      },
    ]);
    expect(set.problems).toEqual([]);
    for (const origin of ['https://a.example.com', 'https://b.example.com', 'https://evil.example']) {
      const d = decidePreflight(set, preflight({ path: '/orders', origin }));
      expect(d).toMatchObject({ kind: 'denied', reason: 'route_conflict' });
      if (d.kind === 'denied') expect(d.detail).toContain('/cors/api/a');
      if (d.kind === 'denied') expect(d.detail).toContain('/cors/api/b');
    }
  });

  test('the issue 11 reproduction: a newcomer claiming /products/{pid} for * never widens /products/{id}', () => {
    const products = { source: '/cors/shop/products', value: json(basePolicy({ route: '/products/{id}', allowCredentials: true })), type: 'String' };
    const wide = { source: '/cors/shop/anyone', value: json(basePolicy({ route: '/products/{pid}', allowOrigins: ['*'] })), type: 'String' };
    for (const entries of [
      [products, wide],
      [wide, products],
    ]) {
      const set = compilePolicySet(entries);
      expect(decidePreflight(set, preflight({ path: '/products/42', origin: 'https://evil.example' }))).toMatchObject({
        kind: 'denied',
        reason: 'route_conflict',
      });
      expect(decidePreflight(set, preflight({ path: '/products/42', origin: 'https://shop.example.com' }))).toMatchObject({
        kind: 'denied',
        reason: 'route_conflict',
      });
    }
  });

  test('a request on the contested route never falls through to a greedy or $default policy', () => {
    const set = setOf({
      '/cors/api/a': valid('/products/{id}'),
      '/cors/api/b': valid('/products/{productId}'),
      '/cors/api/greedy': valid('/products/{rest+}', 'https://evil.example'),
      '/cors/api/default': valid('$default', 'https://evil.example'),
    });
    expect(decidePreflight(set, preflight({ path: '/products/42', origin: 'https://evil.example' }))).toMatchObject({
      kind: 'denied',
      reason: 'route_conflict',
    });
    // Paths the contested route does not match still go where they always went.
    expect(sourceAt(set, '/products/42/reviews')).toBe('/cors/api/greedy');
    expect(sourceAt(set, '/elsewhere')).toBe('/cors/api/default');
  });

  test('routes differing only in parameter names, and greedy routes at one place, are the same route', () => {
    expect(setOf({ '/cors/api/a': valid('/products/{id}'), '/cors/api/b': valid('/products/{productId}') }).conflicts.map((c) => c.key)).toEqual([
      '/products/{}',
    ]);
    expect(setOf({ '/cors/api/a': valid('/{proxy+}'), '/cors/api/b': valid('/{path+}') }).conflicts.map((c) => c.key)).toEqual(['/{+}']);
    expect(
      setOf({ '/cors/api/a': valid('$default'), '/cors/api/b': valid('$default'), '/cors/api/c': valid('$default') }).conflicts[0]!.claims.map((c) => c.source),
    ).toEqual(['/cors/api/a', '/cors/api/b', '/cors/api/c']);
  });

  test('an earlier version serving for an invalid value conflicts like any other', () => {
    const set = compilePolicySet([stored('/cors/api/a', valid('/orders'), '{oops'), { source: '/cors/api/b', value: json(valid('/orders')) }]);
    expect(set.status.get('/cors/api/a')).toBe('earlier-version');
    expect(sourceAt(set, '/orders')).toBe('conflict /orders');
  });

  test('an invalid claimant with no valid version is no claimant: the other serves', () => {
    const set = setOf({ '/cors/api/a': valid('/orders'), '/cors/api/b': '{"route": "/orders"' });
    expect(sourceAt(set, '/orders')).toBe('/cors/api/a');
    expect(set.conflicts).toEqual([]);
  });

  test('removing one claim serves the route again', () => {
    const set = setOf({ '/cors/api/a': valid('/orders'), '/cors/api/b': valid('/invoices') });
    expect(sourceAt(set, '/orders')).toBe('/cors/api/a');
    expect(sourceAt(set, '/invoices')).toBe('/cors/api/b');
  });

  test('each conflict becomes a problem of every claimant, for validate and push', () => {
    const problems = conflictProblems(setOf({ '/cors/api/a': valid('/products/{id}'), '/cors/api/b': valid('/products/{pid}') }));
    expect(problems).toEqual([
      {
        source: '/cors/api/a',
        field: 'route',
        value: '/products/{id}',
        code: 'route_conflict',
        reason: expect.stringContaining('"/products/{pid}" of /cors/api/b'),
      },
      {
        source: '/cors/api/b',
        field: 'route',
        value: '/products/{pid}',
        code: 'route_conflict',
        reason: expect.stringContaining('"/products/{id}" of /cors/api/a'),
      },
    ]);
    for (const p of problems) expect(p.reason).toContain('route_conflict');
  });

  test('the outcome does not depend on the order SSM returns parameters in', () => {
    const docs = { '/cors/api/b': valid(['/orders', '/x'], 'https://b.example.com'), '/cors/api/a': valid(['/orders', '/y'], 'https://a.example.com') };
    const forward = compilePolicySet(Object.entries(docs).map(([source, d]) => ({ source, value: JSON.stringify(d) })));
    const backward = compilePolicySet(
      Object.entries(docs)
        .reverse()
        .map(([source, d]) => ({ source, value: JSON.stringify(d) })),
    );
    for (const path of ['/orders', '/x', '/y']) expect(sourceAt(forward, path)).toBe(sourceAt(backward, path));
    expect(forward.conflicts).toEqual(backward.conflicts);
  });
});
