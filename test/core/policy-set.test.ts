// compilePolicySet: many parameters become one route table. One bad parameter
// never takes the others down, an invalid edit keeps the last valid version,
// and two policies never share a route.
import { compilePolicySet, decidePreflight } from '../../functions/core';
import { basePolicy, preflight, setOf } from '../support/policies';

const valid = (route: unknown, origin = 'https://shop.example.com') => basePolicy({ route, allowOrigins: [origin] });
const sourceAt = (set: ReturnType<typeof setOf>, path: string) => set.table.match(path)?.source;

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
    expect(set.problems).toContainEqual({ source: '/cors/api/broken', field: 'allowOrigins[0]', value: 'null', code: 'origin_null', reason: expect.any(String) });
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

describe('an invalid edit keeps the last valid version', () => {
  const first = setOf({ '/cors/api/orders': valid('/orders', 'https://old.example.com'), '/cors/api/users': valid('/users') });

  test('the previous version keeps serving the route, with status kept-last-valid and the problem reported', () => {
    const next = setOf({ '/cors/api/orders': basePolicy({ route: '/orders', allowOrigins: ['https://*.com'] }), '/cors/api/users': valid('/users') }, first);
    expect(next.status.get('/cors/api/orders')).toBe('kept-last-valid');
    expect(next.table.match('/orders')).toBe(first.policies.get('/cors/api/orders'));
    expect(decidePreflight(next, preflight({ path: '/orders', origin: 'https://old.example.com' })).kind).toBe('allowed');
    expect(next.problems).toEqual([{ source: '/cors/api/orders', field: 'allowOrigins[0]', value: 'https://*.com', code: 'origin_wildcard_public_suffix', reason: expect.stringContaining('"com"') }]);
  });

  test('a valid edit replaces the previous version', () => {
    const next = setOf({ '/cors/api/orders': valid('/orders', 'https://new.example.com'), '/cors/api/users': valid('/users') }, first);
    expect(next.status.get('/cors/api/orders')).toBe('current');
    expect(decidePreflight(next, preflight({ path: '/orders', origin: 'https://new.example.com' })).kind).toBe('allowed');
    expect(decidePreflight(next, preflight({ path: '/orders', origin: 'https://old.example.com' })).kind).toBe('denied');
  });

  test('a policy invalid from its first load has no route at all', () => {
    const next = setOf({ '/cors/api/new': basePolicy({ route: '/new', allowMethods: ['TRACE'] }), '/cors/api/users': valid('/users') }, first);
    expect(next.status.get('/cors/api/new')).toBe('rejected');
    expect(sourceAt(next, '/new')).toBeUndefined();
  });

  test('a deleted parameter takes its routes with it', () => {
    const next = setOf({ '/cors/api/users': valid('/users') }, first);
    expect(sourceAt(next, '/orders')).toBeUndefined();
    expect(next.policies.has('/cors/api/orders')).toBe(false);
  });

  test('the last valid version survives several invalid refreshes in a row', () => {
    const bad = { '/cors/api/orders': '{oops', '/cors/api/users': valid('/users') };
    const second = setOf(bad, first);
    const third = setOf(bad, second);
    expect(third.table.match('/orders')).toBe(first.policies.get('/cors/api/orders'));
    expect(third.status.get('/cors/api/orders')).toBe('kept-last-valid');
  });
});

describe('two policies claiming the same route', () => {
  test('on a first load the policy whose name sorts first keeps the route; the other is rejected and names the owner', () => {
    const set = setOf({ '/cors/api/b-second': valid('/orders', 'https://b.example.com'), '/cors/api/a-first': valid('/orders', 'https://a.example.com') });
    expect(sourceAt(set, '/orders')).toBe('/cors/api/a-first');
    expect(set.status.get('/cors/api/b-second')).toBe('rejected');
    expect(set.problems).toHaveLength(1);
    expect(set.problems[0]).toMatchObject({ source: '/cors/api/b-second', field: 'route', value: '/orders' });
    expect(set.problems[0]!.reason).toContain('/cors/api/a-first');
  });

  test('routes differing only in parameter names are the same route', () => {
    const set = setOf({ '/cors/api/a': valid('/products/{id}'), '/cors/api/b': valid('/products/{productId}') });
    expect(set.status.get('/cors/api/b')).toBe('rejected');
    expect(set.problems).toEqual([expect.objectContaining({ source: '/cors/api/b', field: 'route', value: '/products/{productId}' })]);
  });

  test('two greedy routes at the same place are the same route', () => {
    const set = setOf({ '/cors/api/a': valid('/{proxy+}'), '/cors/api/b': valid('/{path+}') });
    expect(set.status.get('/cors/api/b')).toBe('rejected');
  });

  test('a route freed by a deleted policy goes to the policy that was refused it', () => {
    const first = setOf({ '/cors/api/a': valid('/orders', 'https://a.example.com'), '/cors/api/b': valid('/orders', 'https://b.example.com') });
    expect(first.status.get('/cors/api/b')).toBe('rejected');
    const next = setOf({ '/cors/api/b': valid('/orders', 'https://b.example.com') }, first);
    expect(sourceAt(next, '/orders')).toBe('/cors/api/b');
    expect(next.status.get('/cors/api/b')).toBe('current');
    expect(next.problems).toEqual([]);
  });

  test('a conflict on one route of a list keeps the whole newcomer out', () => {
    const set = setOf({ '/cors/api/a': valid('/orders'), '/cors/api/b': valid(['/invoices', '/orders']) });
    expect(sourceAt(set, '/invoices')).toBeUndefined();
    expect(set.status.get('/cors/api/b')).toBe('rejected');
  });

  test('the incumbent keeps its route when a newcomer sorting before it claims the route', () => {
    const first = setOf({ '/cors/api/z-incumbent': valid('/orders') });
    const next = setOf({ '/cors/api/z-incumbent': valid('/orders'), '/cors/api/a-newcomer': valid('/orders') }, first);
    expect(sourceAt(next, '/orders')).toBe('/cors/api/z-incumbent');
    expect(next.status.get('/cors/api/z-incumbent')).toBe('current');
    expect(next.status.get('/cors/api/a-newcomer')).toBe('rejected');
    expect(next.problems).toEqual([expect.objectContaining({ source: '/cors/api/a-newcomer', field: 'route', value: '/orders' })]);
  });

  test('the incumbent keeps its route when its own edit is invalid and a newcomer claims the route', () => {
    const first = setOf({ '/cors/api/z-incumbent': valid('/orders') });
    const next = setOf({ '/cors/api/z-incumbent': '{"route": "/orders"', '/cors/api/a-newcomer': valid('/orders') }, first);
    expect(next.table.match('/orders')).toBe(first.policies.get('/cors/api/z-incumbent'));
    expect(next.status.get('/cors/api/a-newcomer')).toBe('rejected');
  });

  test('the incumbent keeps its route when it adds another route in the same refresh as a newcomer claims the first', () => {
    // BUG: compilePolicySet counts a policy as incumbent only while its route list is unchanged, so here the
    // newcomer (sorting first) takes /orders, and the incumbent, whose old and new versions both conflict,
    // loses /orders and /invoices. Expected: the owner of /orders keeps it; only the newcomer is rejected.
    const first = setOf({ '/cors/api/z-incumbent': valid('/orders') });
    const next = setOf({ '/cors/api/z-incumbent': valid(['/orders', '/invoices']), '/cors/api/a-newcomer': valid('/orders') }, first);
    expect(sourceAt(next, '/orders')).toBe('/cors/api/z-incumbent');
    expect(next.status.get('/cors/api/a-newcomer')).toBe('rejected');
    expect(sourceAt(next, '/invoices')).toBe('/cors/api/z-incumbent');
  });

  test('a policy whose edit claims a taken route keeps its previous version', () => {
    const first = setOf({ '/cors/api/a': valid('/orders'), '/cors/api/b': valid('/invoices') });
    const next = setOf({ '/cors/api/a': valid('/orders'), '/cors/api/b': valid(['/invoices', '/orders']) }, first);
    expect(sourceAt(next, '/orders')).toBe('/cors/api/a');
    expect(next.table.match('/invoices')).toBe(first.policies.get('/cors/api/b'));
    expect(next.status.get('/cors/api/b')).toBe('kept-last-valid');
    expect(next.problems).toEqual([expect.objectContaining({ source: '/cors/api/b', field: 'route', value: '/orders' })]);
  });

  test('the outcome does not depend on the order SSM returns parameters in', () => {
    const docs = { '/cors/api/b': valid('/orders', 'https://b.example.com'), '/cors/api/a': valid('/orders', 'https://a.example.com') };
    const forward = compilePolicySet(Object.entries(docs).map(([source, d]) => ({ source, value: JSON.stringify(d) })));
    const backward = compilePolicySet(Object.entries(docs).reverse().map(([source, d]) => ({ source, value: JSON.stringify(d) })));
    expect(sourceAt(forward, '/orders')).toBe(sourceAt(backward, '/orders'));
  });
});
