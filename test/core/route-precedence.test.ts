// Route matching follows API Gateway: a literal segment beats {param}, which
// beats a greedy {param+}; $default comes last; /{proxy+} never matches /.
import fc from 'fast-check';
import { RouteTable, hasDotSegment, parseRoutePattern } from '../../functions/core';
import { basePolicy, holderAt, setOf } from '../support/policies';

function table(routes: string[]): RouteTable<string> {
  const t = new RouteTable<string>();
  for (const r of routes) {
    const parsed = parseRoutePattern(r);
    if (!parsed.ok) throw new Error(`bad route in test: ${r}: ${parsed.reason}`);
    t.add(parsed.pattern, r);
  }
  return t;
}

describe('precedence', () => {
  const t = table(['$default', '/{proxy+}', '/products/{rest+}', '/products/{id}', '/products/featured', '/']);

  test.each([
    ['/products/featured', '/products/featured'],
    ['/products/42', '/products/{id}'],
    ['/products/42/reviews', '/products/{rest+}'],
    ['/products/featured/reviews', '/products/{rest+}'],
    ['/products', '/{proxy+}'],
    ['/orders/1', '/{proxy+}'],
    ['/', '/'],
  ])('%s is answered by %s', (path, route) => {
    expect(t.match(path)).toBe(route);
  });

  test('the order routes were added in does not change the winner', () => {
    const reversed = table(['/', '/products/featured', '/products/{id}', '/products/{rest+}', '/{proxy+}', '$default']);
    for (const path of ['/products/featured', '/products/42', '/products/42/x', '/orders', '/']) expect(reversed.match(path)).toBe(t.match(path));
  });

  test('$default answers only what nothing else matches', () => {
    const t2 = table(['$default', '/products/{id}']);
    expect(t2.match('/products/1')).toBe('/products/{id}');
    expect(t2.match('/products/1/x')).toBe('$default');
    expect(t2.match('/orders')).toBe('$default');
    expect(t2.match('/')).toBe('$default');
  });

  test('literal segments are case-sensitive, as in API Gateway', () => {
    expect(table(['/products']).match('/Products')).toBeUndefined();
  });
});

describe('greedy parameters', () => {
  test('/{proxy+} does not match the root', () => {
    expect(table(['/{proxy+}']).match('/')).toBeUndefined();
  });

  test('a greedy parameter needs at least one segment', () => {
    const t = table(['/files/{path+}']);
    expect(t.match('/files')).toBeUndefined();
    expect(t.match('/files/a')).toBe('/files/{path+}');
    expect(t.match('/files/a/b/c.txt')).toBe('/files/{path+}');
  });

  test('parameters never match an empty segment', () => {
    const t = table(['/products/{id}']);
    expect(t.match('/products/')).toBeUndefined();
    expect(t.match('/products//x')).toBeUndefined();
  });
});

describe('backtracking', () => {
  test('a literal branch that dead-ends falls back to the parameter branch', () => {
    const t = table(['/a/b/d', '/a/{x}/c']);
    expect(t.match('/a/b/c')).toBe('/a/{x}/c');
    expect(t.match('/a/b/d')).toBe('/a/b/d');
  });

  test('the leftmost literal wins when both branches match', () => {
    const t = table(['/a/{x}/c', '/a/b/{y}']);
    expect(t.match('/a/b/c')).toBe('/a/b/{y}');
    expect(t.match('/a/z/c')).toBe('/a/{x}/c');
    expect(t.match('/a/z/d')).toBeUndefined();
  });

  test('a dead end several levels deep falls back to a greedy parameter above it', () => {
    const t = table(['/a/b/c/d', '/a/{x}/c/e', '/a/{rest+}']);
    expect(t.match('/a/b/c/e')).toBe('/a/{x}/c/e');
    expect(t.match('/a/b/c/f')).toBe('/a/{rest+}');
    expect(t.match('/a/b/c/d/e')).toBe('/a/{rest+}');
  });

  test('a parameter branch that dead-ends falls back to a greedy parameter at the root', () => {
    const t = table(['/a/{x}/c', '/{proxy+}']);
    expect(t.match('/a/b/d')).toBe('/{proxy+}');
  });
});

describe('large tables', () => {
  test('500 routes each resolve to their own pattern', () => {
    const routes: string[] = [];
    for (let i = 0; i < 125; i++) routes.push(`/svc${i}`, `/svc${i}/items/{id}`, `/svc${i}/items/special`, `/svc${i}/{rest+}`);
    const t = table([...routes, '$default']);
    expect(t.size).toBe(501);
    for (let i = 0; i < 125; i++) {
      expect(t.match(`/svc${i}`)).toBe(`/svc${i}`);
      expect(t.match(`/svc${i}/items/${i}`)).toBe(`/svc${i}/items/{id}`);
      expect(t.match(`/svc${i}/items/special`)).toBe(`/svc${i}/items/special`);
      expect(t.match(`/svc${i}/items/${i}/deeper`)).toBe(`/svc${i}/{rest+}`);
    }
    expect(t.match('/svc125')).toBe('$default');
    expect(t.match('/svc1x')).toBe('$default');
  });

  test('500 policies compile into one table that routes each path to its policy', () => {
    const docs: Record<string, unknown> = {};
    for (let i = 0; i < 500; i++) docs[`/cors/api/p${String(i).padStart(3, '0')}`] = basePolicy({ route: `/r${i}/{id}` });
    const set = setOf(docs);
    expect(set.problems).toEqual([]);
    expect(set.policies.size).toBe(500);
    for (let i = 0; i < 500; i += 37) expect(holderAt(set, `/r${i}/x`)).toBe(`/cors/api/p${String(i).padStart(3, '0')}`);
    expect(set.table.match('/r500/x')).toBeUndefined();
  });

  test('a path much deeper than any route is not matched by a literal route', () => {
    const t = table(['/a']);
    expect(t.match(`/a${'/a'.repeat(10_000)}`)).toBeUndefined();
  });
});

describe('hasDotSegment', () => {
  // A plain model of the WHATWG single- and double-dot segments, checked against the scanner.
  const DOTS = ['.', '..', '%2e', '.%2e', '%2e.', '%2e%2e'];
  const model = (path: string) => path.split('/').some((s) => DOTS.includes(s.toLowerCase()));

  test('agrees with a split-and-compare model on random paths', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', '.', '..', '...', '%2e', '%2E', '.%2e', '%2e.', '%2e%2e', '%2E%2e', '%2', '%2ex', 'x.', '.x', '%', ''), { maxLength: 8 }),
        fc.boolean(),
        (segments, leading) => {
          const path = `${leading ? '/' : ''}${segments.join('/')}`;
          expect([path, hasDotSegment(path)]).toEqual([path, model(path)]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
