import { browserRequest, type ExplainFlags } from '../../functions/cli/browser-request';
import { clientAlternatives, evaluate, suggestRepair, type StoredEntry } from '../../functions/cli/explain-model';
import { explainRoute } from '../../functions/cli/route-explain';
import { compilePolicySet } from '../../functions/core/policy-set';

const entry = (name: string, doc: object): StoredEntry => ({ source: `/cors/api/${name}`, value: JSON.stringify(doc) });
const ENTRIES: StoredEntry[] = [
  entry('products', {
    route: ['/products', '/products/{id}'],
    allowOrigins: ['https://shop.example.com'],
    allowMethods: ['GET', 'PUT', 'PATCH'],
    allowHeaders: ['content-type'],
    allowCredentials: true,
  }),
  entry('public', { route: '/public/{path+}', allowOrigins: ['*'], allowMethods: ['GET'], allowHeaders: ['*'], exposeHeaders: ['*'] }),
  entry('special', { route: '/products/special', allowOrigins: ['https://admin.example.com'], allowMethods: ['GET'] }),
  entry('items', { route: '/{kind}/{id}/items', allowOrigins: ['https://shop.example.com'], allowMethods: ['GET'] }),
];
const set = compilePolicySet(ENTRIES);
const newSource = (name: string): string => `/cors/api/${name}`;
const flags = (f: Partial<ExplainFlags>): ExplainFlags => ({
  urlPath: '/products/1',
  origin: 'https://shop.example.com',
  method: 'GET',
  headers: [],
  credentials: false,
  ...f,
});

/** The repair's edits applied: the request must then pass, judged by evaluate itself. */
function repairedAllows(f: Partial<ExplainFlags>): { texts: string[]; blocked?: string; allowedAfter: boolean } {
  const req = browserRequest(flags(f));
  const repair = suggestRepair(ENTRIES, req, newSource);
  const working = ENTRIES.map((e) => ({ ...e, doc: JSON.parse(e.value) as Record<string, unknown> }));
  for (const fix of repair.fixes) {
    if (fix.action === 'create') {
      working.push({ source: fix.policy, value: '', doc: fix.value as Record<string, unknown> });
      continue;
    }
    const target = working.find((w) => w.source === fix.policy)!;
    const field = fix.field!;
    const list = Array.isArray(target.doc[field]) ? (target.doc[field] as unknown[]) : [];
    if (fix.action === 'add') target.doc[field] = [...list, fix.value];
    if (fix.action === 'set') target.doc[field] = fix.value;
    if (fix.action === 'remove') target.doc[field] = list.filter((v) => v !== fix.value);
    if (fix.action === 'replace') target.doc[field] = [...list.filter((v) => v !== fix.replaces), fix.value];
  }
  const after = compilePolicySet(working.map((w) => ({ source: w.source, value: JSON.stringify(w.doc) })));
  return { texts: repair.fixes.map((x) => x.text), ...(repair.blocked ? { blocked: repair.blocked } : {}), allowedAfter: !evaluate(after, req).failure };
}

describe('route explanation', () => {
  it('a literal segment beats a parameter and names the losers', () => {
    const r = explainRoute(set, '/products/special');
    expect([r.winner?.policy.source, r.winner?.route]).toEqual(['/cors/api/special', '/products/special']);
    expect(r.others.map((o) => o.route)).toEqual(['/products/{id}']);
  });

  it('compares segment by segment from the left', () => {
    const r = explainRoute(set, '/products/7/items');
    expect([r.winner?.route, r.winner?.params]).toEqual(['/{kind}/{id}/items', { kind: 'products', id: '7' }]);
  });

  it('a greedy parameter takes the rest of the path', () => {
    expect(explainRoute(set, '/public/a/b/c').winner?.params).toEqual({ path: 'a/b/c' });
  });

  it('reports no winner when nothing matches', () => {
    expect(explainRoute(set, '/nothing')).toEqual({ others: [] });
  });
});

describe('evaluate', () => {
  it('gives the Lambda response for a preflight and the layer headers for the actual response', () => {
    const ev = evaluate(set, browserRequest(flags({ method: 'PUT', headers: ['content-type'], credentials: true })));
    expect(ev.failure).toBeUndefined();
    expect(ev.preflight?.status).toBe(204);
    expect(ev.preflight?.headers['Access-Control-Allow-Credentials']).toBe('true');
    expect(ev.actual.headers['Access-Control-Allow-Origin']).toBe('https://shop.example.com');
  });

  it('a credentialed request to a policy without allowCredentials fails in the browser even though the engine allows it', () => {
    const ev = evaluate(set, browserRequest(flags({ urlPath: '/public/x', method: 'GET', credentials: true })));
    expect(ev.preflight).toBeUndefined();
    expect(ev.actual.allowed).toBe(true);
    expect(ev.failure).toMatchObject({ stage: 'actual', reason: 'credentials_not_allowed' });
  });

  it('a simple request from a foreign origin fails at the actual response with the engine reason', () => {
    const ev = evaluate(set, browserRequest(flags({ origin: 'https://evil.example.net' })));
    expect(ev.failure).toMatchObject({ stage: 'actual', reason: 'origin_not_allowed' });
  });
});

describe('suggestRepair: the smallest verified change', () => {
  it.each<[string, Partial<ExplainFlags>, unknown[]]>([
    [
      'adds the origin, the method and the header in one suggestion when all three are missing',
      { origin: 'https://new.example.com', method: 'DELETE', headers: ['x-trace'] },
      [
        'add "https://new.example.com" to allowOrigins of /cors/api/products',
        'add "DELETE" to allowMethods of /cors/api/products',
        'add "x-trace" to allowHeaders of /cors/api/products',
      ],
    ],
    [
      'lists authorization explicitly, because "*" never covers it',
      { urlPath: '/public/a', origin: 'https://x.example.org', headers: ['authorization'] },
      ['add "authorization" to allowHeaders of /cors/api/public'],
    ],
    [
      'for credentials on a wildcard policy, sets allowCredentials and replaces every "*"',
      { urlPath: '/public/a', origin: 'https://x.example.org', method: 'GET', headers: ['x-a'], credentials: true },
      [
        'set allowCredentials: true in /cors/api/public',
        'replace "*" with "https://x.example.org" in allowOrigins of /cors/api/public ("*" never passes with credentials; other origins then need listing too)',
        'replace "*" with "x-a" in allowHeaders of /cors/api/public',
        'remove "*" from exposeHeaders of /cors/api/public (list the response headers scripts must read instead)',
      ],
    ],
    [
      'creates a policy when no route matches, named after the path',
      { urlPath: '/orders/9', method: 'POST', headers: ['content-type'] },
      [expect.stringContaining('no policy matches /orders/9: add a policy with route "/orders/9", e.g. /cors/api/orders = ')],
    ],
  ])('%s, and the request then passes', (_behaviour, request, texts) => {
    const r = repairedAllows(request);
    expect(r.texts).toEqual(texts);
    expect(r.allowedAfter).toBe(true);
  });

  it('refuses to suggest an http origin for a credentialed policy', () => {
    const r = repairedAllows({ origin: 'http://shop.example.com', method: 'PUT', credentials: true });
    expect(r.texts).toEqual([]);
    expect(r.blocked).toContain('http://shop.example.com is an http:// origin and the policy sends credentials');
    expect(r.blocked).toContain('https');
  });

  it.each([
    ['null', 'Origin "null" can never be allowed'],
    ['https://Shop.example.com', 'contains upper case'],
    ['https://shop.example.com:443', 'default port'],
  ])('says origin %s can never be allowed', (origin, reason) => {
    const r = repairedAllows({ origin, method: 'PUT' });
    expect(r.texts).toEqual([]);
    expect(r.blocked).toContain(reason);
  });

  it('says a path with dot segments can never be allowed, and suggests no policy', () => {
    const r = repairedAllows({ urlPath: '/public/../products/1', method: 'PUT' });
    expect(r.texts).toEqual([]);
    expect(r.blocked).toContain('no policy change can allow it');
  });

  it('says a forbidden method can never be allowed', () => {
    const r = repairedAllows({ method: 'TRACE' });
    expect(r.blocked).toContain('is a forbidden method');
  });

  it('suggests nothing for a request that already passes', () => {
    expect(repairedAllows({})).toEqual({ texts: [], allowedAfter: true });
  });
});

describe('clientAlternatives: fixes on the calling side', () => {
  it('suggests dropping credentials when the policy allows the request without them', () => {
    expect(clientAlternatives(set, browserRequest(flags({ urlPath: '/public/a', credentials: true })))).toEqual([
      expect.stringContaining('without credentials'),
    ]);
  });

  it('suggests the upper-case method when only the case is wrong', () => {
    expect(clientAlternatives(set, browserRequest(flags({ method: 'patch' })))).toEqual([expect.stringContaining('send the method as "PATCH"')]);
  });

  it('suggests nothing when no client-side change helps', () => {
    expect(clientAlternatives(set, browserRequest(flags({ origin: 'https://evil.example.net', credentials: true })))).toEqual([]);
  });
});

describe('suggestions never widen beyond what was seen, nor to something unsafe', () => {
  // Everything a suggestion could add, for requests chosen as an attacker would (logged by denials, typed into explain).
  const origins = ['https://shop.example.com', 'https://evil.example.net', 'http://insecure.example.com', 'null', 'https://*.example.com', '*'];
  const methods = ['GET', 'PUT', 'patch', '*', 'DELETE'];
  const headerLists = [[], ['x-trace'], ['*'], ['x-a', '*'], ['authorization']];
  const paths = ['/products/1', '/orders/7', '/{proxy+}', '/{id}', '/a/{rest+}', '$default', '/public/x', '/'];
  const isCatchAll = (route: unknown): boolean =>
    (Array.isArray(route) ? route : [route]).some((r) => typeof r !== 'string' || r === '$default' || /[{}]/.test(r));

  it('never adds "*", null, a wildcard, an http:// origin with credentials or a catch-all route; every origin edit carries the warning', () => {
    let suggestions = 0;
    for (const origin of origins)
      for (const method of methods)
        for (const headers of headerLists)
          for (const urlPath of paths)
            for (const credentials of [false, true]) {
              let req: ReturnType<typeof browserRequest>;
              try {
                req = browserRequest(flags({ origin, method, headers, urlPath, credentials }));
              } catch {
                continue; // explain refuses such input before any suggestion
              }
              const repair = suggestRepair(ENTRIES, req, newSource);
              const credentialedAfter = (policy: string, created?: Record<string, unknown>): boolean =>
                repair.fixes.some((f) => f.policy === policy && f.field === 'allowCredentials') ||
                (created ?? JSON.parse(ENTRIES.find((e) => e.source === policy)?.value ?? '{}')).allowCredentials === true;
              for (const fix of repair.fixes) {
                if (fix.action === 'remove') continue; // removing only narrows
                suggestions++;
                const where = `${fix.text} for ${JSON.stringify({ origin, method, headers, urlPath, credentials })}`;
                const values = fix.action === 'create' ? Object.values(fix.value as Record<string, unknown>).flat() : [fix.value];
                for (const v of values) {
                  expect({ where, v }).not.toEqual({ where, v: '*' });
                  expect({ where, v }).not.toEqual({ where, v: 'null' });
                  if (typeof v === 'string' && v.includes('://')) expect({ where, wildcard: v.includes('*') }).toEqual({ where, wildcard: false });
                }
                if (fix.action === 'create')
                  expect({ where, catchAll: isCatchAll((fix.value as { route: unknown }).route) }).toEqual({ where, catchAll: false });
                const originAdded = fix.action === 'create' || fix.field === 'allowOrigins';
                if (originAdded) {
                  expect({ where, warned: fix.warning?.includes('yours?') }).toEqual({ where, warned: true });
                  const created = fix.action === 'create' ? (fix.value as Record<string, unknown>) : undefined;
                  const added = created ? (created.allowOrigins as string[]) : [fix.value];
                  if (credentialedAfter(fix.policy, created))
                    expect({ where, http: added.some((o) => String(o).startsWith('http://')) }).toEqual({ where, http: false });
                }
              }
            }
    // The sweep reached real suggestions, not only refusals.
    expect(suggestions).toBeGreaterThan(20);
  });

  it('a logged greedy or catch-all path gets no new policy, only a reason', () => {
    for (const urlPath of ['/{proxy+}', '/{id}']) {
      const r = suggestRepair(ENTRIES, browserRequest(flags({ urlPath, origin: 'https://evil.example.net' })), newSource);
      expect(r.fixes).toEqual([]);
      expect(r.blocked).toContain('only claim the literal path seen');
    }
  });

  it('a method or header named "*" gets no suggestion', () => {
    expect(suggestRepair(ENTRIES, browserRequest(flags({ method: '*' })), newSource)).toMatchObject({ fixes: [], blocked: expect.stringContaining('"*"') });
    expect(suggestRepair(ENTRIES, browserRequest(flags({ method: 'PUT', headers: ['*'] })), newSource)).toMatchObject({
      fixes: [],
      blocked: expect.stringContaining('header named "*"'),
    });
  });

  it('a new policy for an unmatched literal path carries the "is this origin yours?" warning', () => {
    const r = suggestRepair(ENTRIES, browserRequest(flags({ urlPath: '/orders/7', origin: 'https://evil.example.net' })), newSource);
    expect(r.fixes).toEqual([
      expect.objectContaining({
        action: 'create',
        value: expect.objectContaining({ route: '/orders/7' }),
        warning: expect.stringContaining('is https://evil.example.net yours?'),
      }),
    ]);
  });
});
