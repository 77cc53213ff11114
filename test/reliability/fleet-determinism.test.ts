/**
 * Fleet determinism: a warm instance that lived through any sequence of puts,
 * invalid edits, deletes and conflicting puts answers every request exactly as
 * a fresh instance started afterwards. Both are the real SsmPolicyStore over
 * an in-memory Parameter Store that keeps history (test/support/fake-parameter-store.ts).
 *
 * Prints the number of cases and the GetParameterHistory calls the refreshes
 * made. FUZZ_SEED=<n> replays a run, FUZZ_RUNS_FACTOR=<x> scales it.
 */
import fc from 'fast-check';
import { createLogger } from '../../functions/aws/logger';
import { SsmPolicyStore } from '../../functions/aws/ssm-policy-store';
import { actualResponseHeaders, decidePreflight, type PolicySet, type PreflightDecision } from '../../functions/core';
import { FakeParameterStore } from '../support/fake-parameter-store';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Math.random() * 2 ** 31) | 0;
const FACTOR = Number(process.env.FUZZ_RUNS_FACTOR ?? '1') || 1;
const RUNS = Math.max(1, Math.round(500 * FACTOR));

const PATH = '/fleet/api';
const TTL_MS = 60_000;
const NAMES = ['products', 'anyone', 'orders', 'default', 'team/deep'].map((n) => `${PATH}/${n}`);
/** Pairs that are the same route up to parameter names, so conflicting puts are easy to make. */
const ROUTE_FAMILIES = [['/products/{id}', '/products/{pid}'], ['/orders'], ['/files/{path+}', '/files/{rest+}'], ['$default'], ['/'], ['/products/special']];
const ORIGINS = ['https://shop.example.com', 'https://admin.example.com', 'https://evil.example'];
const PATHS = ['/products/42', '/products/special', '/orders', '/files/a/b', '/', '/elsewhere', '/orders/1'];

type Op =
  | { kind: 'put'; name: number; routes: string[]; origins: string[]; credentials: boolean }
  | { kind: 'invalid'; name: number; how: number }
  | { kind: 'delete'; name: number }
  | { kind: 'conflict'; name: number; other: number; variant: number; wide: boolean };

const routes = fc
  .uniqueArray(fc.integer({ min: 0, max: ROUTE_FAMILIES.length - 1 }), { minLength: 1, maxLength: 3 })
  .chain((families) => fc.tuple(...families.map((f) => fc.constantFrom(...ROUTE_FAMILIES[f]!))));
const name = fc.integer({ min: 0, max: NAMES.length - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      name,
      routes,
      origins: fc.uniqueArray(fc.constantFrom('*', ...ORIGINS.slice(0, 2)), { minLength: 1, maxLength: 2 }),
      credentials: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('invalid' as const), name, how: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), name }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('conflict' as const), name, other: name, variant: fc.integer({ min: 0, max: 1 }), wide: fc.boolean() }),
  },
);
const request = fc.record({ path: fc.constantFrom(...PATHS), origin: fc.constantFrom(...ORIGINS), requestMethod: fc.constantFrom('GET', 'PUT', 'DELETE') });

const INVALID = [
  '{"route": ',
  JSON.stringify({ route: '/orders', allowOrigins: ['*'], allowMethods: ['GET'], allowCredentials: true }),
  JSON.stringify({ route: '/products/{id}', allowOrigins: ['https://shop.example.com'], allowMethods: ['TRACE'] }),
  'SecureString',
];

/** Applies one operation to the fake store, keeping `current` (the routes each parameter claims) up to date. */
function apply(fake: FakeParameterStore, o: Op, current: Map<string, string[]>): void {
  const target = NAMES[o.name]!;
  switch (o.kind) {
    case 'put': {
      const origins = o.credentials ? o.origins.filter((x) => x !== '*') : o.origins;
      fake.put(
        target,
        JSON.stringify({
          route: o.routes,
          allowOrigins: origins.length > 0 ? origins : [ORIGINS[0]],
          allowMethods: ['GET', 'PUT'],
          ...(o.credentials ? { allowCredentials: true } : {}),
        }),
      );
      current.set(target, o.routes);
      return;
    }
    case 'invalid':
      // A valid policy stored as a SecureString is an invalid edit too: only String parameters are policies.
      if (o.how === 3)
        fake.put(target, JSON.stringify({ route: '/orders', allowOrigins: ['https://shop.example.com'], allowMethods: ['GET'] }), 'SecureString');
      else fake.put(target, INVALID[o.how]!);
      return;
    case 'delete':
      fake.delete(target);
      current.delete(target);
      return;
    case 'conflict': {
      // Claim a route another parameter claims, under the other spelling of its parameter names when there is one.
      const theirs = current.get(NAMES[o.other]!) ?? ['/products/{id}'];
      const family = ROUTE_FAMILIES.find((f) => f.includes(theirs[0]!))!;
      const route = family[o.variant % family.length]!;
      fake.put(target, JSON.stringify({ route, allowOrigins: o.wide ? ['*'] : ['https://evil.example'], allowMethods: ['GET', 'PUT', 'DELETE'] }));
      current.set(target, [route]);
      return;
    }
  }
}

function storeOn(fake: FakeParameterStore, clock: { t: number }): SsmPolicyStore {
  const logger = createLogger({ service: 'fleet-test', env: { LOG_LEVEL: 'ERROR' }, write: () => undefined });
  return new SsmPolicyStore({
    config: { policyPath: PATH, ttlSeconds: TTL_MS / 1000, loadBudgetMs: 2000 },
    logger,
    client: fake.client(),
    now: () => clock.t,
    random: () => 0,
  });
}

/** A decision without object identity: what a client would see, plus the reason and the policy's name. */
function observable(d: PreflightDecision): unknown {
  if (d.kind === 'allowed') return { kind: d.kind, policy: d.policy.source, headers: d.headers };
  if (d.kind === 'denied')
    return { kind: d.kind, reason: d.reason, policy: d.policy?.source, conflict: d.conflict && { key: d.conflict.key, claims: d.conflict.claims } };
  return d;
}

const figures = {
  cases: 0,
  operations: 0,
  requests: 0,
  warmRefreshes: 0,
  warmHistoryReads: 0,
  freshRefreshes: 0,
  freshHistoryReads: 0,
  maxHistoryReadsPerFreshRefresh: 0,
  conflictsAtEnd: 0,
  earlierVersionsAtEnd: 0,
  routeConflictAnswers: 0,
};
afterAll(() => {
  process.stderr.write(`fleet determinism: ${JSON.stringify(figures)} seed=${SEED} (FUZZ_SEED=${SEED} replays this run)\n`);
});

test('a warm instance that lived through any sequence of edits answers every request exactly as a fresh one started afterwards', async () => {
  await fc.assert(
    // Each operation may or may not be followed by a refresh of the warm instance: several edits often land within one TTL.
    fc.asyncProperty(
      fc.array(fc.tuple(op, fc.boolean()), { minLength: 1, maxLength: 25 }),
      fc.array(request, { minLength: 10, maxLength: 30 }),
      async (ops, requests) => {
        figures.cases++;
        const fake = new FakeParameterStore();
        const clock = { t: 0 };
        const warm = storeOn(fake, clock);
        const current = new Map<string, string[]>();
        await warm.current();
        for (const [o, refresh] of ops) {
          figures.operations++;
          apply(fake, o, current);
          if (!refresh) continue;
          clock.t += TTL_MS;
          await warm.current();
        }
        clock.t += TTL_MS;
        await warm.current();
        const fresh = storeOn(fake, clock);
        const freshSet = (await fresh.current()) as PolicySet;
        const warmSet = warm.peek() as PolicySet;
        expect(warm.stats.failedRefreshes).toBe(0);
        expect(fresh.stats.failedRefreshes).toBe(0);
        figures.warmRefreshes += warm.stats.refreshes;
        figures.warmHistoryReads += warm.stats.historyCalls;
        figures.freshRefreshes++;
        figures.freshHistoryReads += fresh.stats.historyCalls;
        figures.maxHistoryReadsPerFreshRefresh = Math.max(figures.maxHistoryReadsPerFreshRefresh, fresh.stats.historyCalls);
        figures.conflictsAtEnd += freshSet.conflicts.length;
        figures.earlierVersionsAtEnd += freshSet.versions.size;

        expect([...warmSet.status]).toEqual([...freshSet.status]);
        expect([...warmSet.versions]).toEqual([...freshSet.versions]);
        expect(warmSet.conflicts).toEqual(freshSet.conflicts);
        for (const r of requests) {
          figures.requests++;
          const req = { method: 'OPTIONS', path: r.path, origin: r.origin, requestMethod: r.requestMethod, requestHeaders: undefined };
          const w = decidePreflight(warmSet, req);
          if (w.kind === 'denied' && w.reason === 'route_conflict') figures.routeConflictAnswers++;
          expect(observable(w)).toEqual(observable(decidePreflight(freshSet, req)));
          const actual = { method: r.requestMethod, path: r.path, origin: r.origin };
          expect(actualResponseHeaders(warmSet, actual)).toEqual(actualResponseHeaders(freshSet, actual));
        }
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
});

test('the issue 11 reproductions: a warm and a fresh instance agree, and neither widens', async () => {
  const fake = new FakeParameterStore();
  const clock = { t: 0 };
  fake.put(
    `${PATH}/products`,
    JSON.stringify({ route: '/products/{id}', allowOrigins: ['https://shop.example.com'], allowMethods: ['GET'], allowCredentials: true }),
  );
  fake.put(`${PATH}/default`, JSON.stringify({ route: '$default', allowOrigins: ['https://evil.example'], allowMethods: ['GET'] }));
  const warm = storeOn(fake, clock);
  await warm.current();
  // An invalid edit of products, then a newcomer claiming the same route for everyone.
  fake.put(`${PATH}/products`, '{"route": "/products/{id}"');
  clock.t += TTL_MS;
  await warm.current();
  fake.put(`${PATH}/anyone`, JSON.stringify({ route: '/products/{pid}', allowOrigins: ['*'], allowMethods: ['GET'] }));
  clock.t += TTL_MS;
  await warm.current();
  const fresh = storeOn(fake, clock);
  for (const set of [warm.peek(), await fresh.current()]) {
    for (const origin of ['https://evil.example', 'https://shop.example.com']) {
      expect(decidePreflight(set, { method: 'OPTIONS', path: '/products/1', origin, requestMethod: 'GET', requestHeaders: undefined })).toMatchObject({
        kind: 'denied',
        reason: 'route_conflict',
      });
    }
    expect(set!.status.get(`${PATH}/products`)).toBe('earlier-version');
  }
  // Deleting the newcomer resolves the conflict: products' earlier version serves again, on both.
  fake.delete(`${PATH}/anyone`);
  clock.t += TTL_MS;
  const later = storeOn(fake, clock);
  for (const set of [await warm.current(), await later.current()]) {
    expect(
      decidePreflight(set, { method: 'OPTIONS', path: '/products/1', origin: 'https://shop.example.com', requestMethod: 'GET', requestHeaders: undefined }),
    ).toMatchObject({ kind: 'allowed' });
    expect(
      decidePreflight(set, { method: 'OPTIONS', path: '/products/1', origin: 'https://evil.example', requestMethod: 'GET', requestHeaders: undefined }),
    ).toMatchObject({ kind: 'denied', reason: 'origin_not_allowed' });
  }
});
