// SsmPolicyStore with the real SSM client (built by createSsmClient from
// AWS_ENDPOINT_URL_SSM) against the shared moto server. The clock is injected,
// so "after the TTL" costs no waiting. Every case uses its own path.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { createLogger } from '../../functions/aws/logger';
import { SsmPolicyStore } from '../../functions/aws/ssm-policy-store';
import { decidePreflight } from '../../functions/core';
import { basePolicy, preflight } from '../support/policies';
import { deleteParameter, globalMotoEndpoint, putPolicies, seedingClient, useMoto } from '../support/moto-ssm';

const ROOT = '/test/ssm-policy-store-int';
const TTL_S = 5;

let seed: SSMClient;

beforeAll(() => {
  const endpoint = globalMotoEndpoint();
  useMoto(endpoint);
  seed = seedingClient(endpoint);
});

afterAll(() => seed.destroy());

function storeFor(path: string) {
  const clock = { t: 0 };
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ service: 'test', env: {}, write: (line) => logs.push(JSON.parse(line)) });
  const store = new SsmPolicyStore({ config: { policyPath: path, ttlSeconds: TTL_S, loadBudgetMs: 5000 }, logger, now: () => clock.t, random: () => 0 });
  return { store, clock, logs };
}

const decide = async (store: SsmPolicyStore, path: string, origin = 'https://shop.example.com') =>
  decidePreflight(await store.current(), preflight({ path, origin }));

test('pages past 10 parameters: 25 policies, nested at several depths, all serve', async () => {
  const path = `${ROOT}/pagination`;
  const policies: Record<string, unknown> = {};
  for (let i = 0; i < 25; i++) {
    const name = i % 3 === 0 ? `${path}/team${i % 2}/deep/p${i}` : `${path}/p${i}`;
    policies[name] = basePolicy({ route: `/items${i}/{id}` });
  }
  await putPolicies(seed, policies);
  const { store } = storeFor(path);
  const set = await store.current();
  expect(set?.problems).toEqual([]);
  expect(set?.policies.size).toBe(25);
  for (let i = 0; i < 25; i++) expect(await decide(store, `/items${i}/42`)).toMatchObject({ kind: 'allowed' });
  // At most 10 a page: at least three calls for 25 parameters.
  expect(store.stats.ssmCalls).toBeGreaterThanOrEqual(3);
});

test('an edit is picked up after the TTL, not before, and a deletion too', async () => {
  const path = `${ROOT}/edit`;
  await putPolicies(seed, {
    [`${path}/orders`]: basePolicy({ route: '/orders', allowOrigins: ['https://old.example.com'] }),
    [`${path}/users`]: basePolicy({ route: '/users' }),
  });
  const { store, clock } = storeFor(path);
  expect((await decide(store, '/orders', 'https://old.example.com')).kind).toBe('allowed');

  await putPolicies(seed, { [`${path}/orders`]: basePolicy({ route: '/orders', allowOrigins: ['https://new.example.com'] }) });
  await deleteParameter(seed, `${path}/users`);
  clock.t = TTL_S * 1000 - 1;
  expect((await decide(store, '/orders', 'https://old.example.com')).kind).toBe('allowed');
  expect((await decide(store, '/users')).kind).toBe('allowed');
  expect(store.stats.ssmCalls).toBe(1);

  clock.t = TTL_S * 1000;
  expect((await decide(store, '/orders', 'https://new.example.com')).kind).toBe('allowed');
  expect(await decide(store, '/orders', 'https://old.example.com')).toMatchObject({ kind: 'denied', reason: 'origin_not_allowed' });
  expect(await decide(store, '/users')).toMatchObject({ kind: 'denied', reason: 'no_route_policy' });
});

test('invalid parameters are ignored and logged while the rest serve', async () => {
  const path = `${ROOT}/invalid`;
  await putPolicies(seed, {
    [`${path}/orders`]: basePolicy({ route: '/orders' }),
    [`${path}/users`]: basePolicy({ route: '/users/{id}' }),
    [`${path}/broken-json`]: '{"route": "/broken"',
    [`${path}/wildcard-credentials`]: basePolicy({ route: '/wild', allowOrigins: ['*'], allowCredentials: true }),
  });
  await putPolicies(seed, { [`${path}/secret`]: basePolicy({ route: '/secret' }) }, 'SecureString');
  const { store, logs } = storeFor(path);
  expect((await decide(store, '/orders')).kind).toBe('allowed');
  expect((await decide(store, '/users/7')).kind).toBe('allowed');
  for (const route of ['/broken', '/wild', '/secret']) expect(await decide(store, route)).toMatchObject({ kind: 'denied', reason: 'no_route_policy' });
  const rejected = new Set(logs.filter((l) => l.level === 'WARN').map((l) => l.parameter));
  expect(rejected).toEqual(new Set([`${path}/broken-json`, `${path}/wildcard-credentials`, `${path}/secret`]));
});

test('an invalid edit serves the newest valid version from the history, in a warm store and a fresh one alike', async () => {
  const path = `${ROOT}/invalid-edit`;
  const name = `${path}/orders`;
  await putPolicies(seed, { [name]: basePolicy({ route: '/orders', allowOrigins: ['https://v1.example.com'] }) });
  const { store, clock } = storeFor(path);
  expect((await decide(store, '/orders', 'https://v1.example.com')).kind).toBe('allowed');
  // Version 2 is valid but this store never sees it: version 3, invalid, lands within the same TTL.
  await putPolicies(seed, { [name]: basePolicy({ route: '/orders', allowOrigins: ['https://v2.example.com'] }) });
  await putPolicies(seed, { [name]: basePolicy({ route: '/orders', allowMethods: ['TRACE'] }) });
  clock.t = TTL_S * 1000;
  const fresh = storeFor(path).store;
  for (const s of [store, fresh]) {
    expect((await decide(s, '/orders', 'https://v2.example.com')).kind).toBe('allowed');
    expect((await decide(s, '/orders', 'https://v1.example.com')).kind).toBe('denied');
    expect((await s.current())?.status.get(name)).toBe('earlier-version');
    expect((await s.current())?.versions.get(name)).toBe(2);
    expect(s.stats.historyCalls).toBe(1);
  }
});

test('a route two parameters claim is denied in every store, and served again once one gives it up', async () => {
  const path = `${ROOT}/conflict`;
  await putPolicies(seed, {
    [`${path}/products`]: basePolicy({ route: '/products/{id}', allowCredentials: true }),
    [`${path}/default`]: basePolicy({ route: '$default', allowOrigins: ['https://evil.example'] }),
  });
  const { store, clock } = storeFor(path);
  expect((await decide(store, '/products/1')).kind).toBe('allowed');
  await putPolicies(seed, { [`${path}/anyone`]: basePolicy({ route: '/products/{pid}', allowOrigins: ['*'] }) });
  clock.t = TTL_S * 1000;
  for (const s of [store, storeFor(path).store]) {
    for (const origin of ['https://shop.example.com', 'https://evil.example'])
      expect(await decide(s, '/products/1', origin)).toMatchObject({ kind: 'denied', reason: 'route_conflict' });
  }
  await deleteParameter(seed, `${path}/anyone`);
  clock.t = 2 * TTL_S * 1000;
  expect((await decide(store, '/products/1')).kind).toBe('allowed');
});

test('a path with no parameters loads as an empty set and denies with no_route_policy', async () => {
  const { store } = storeFor(`${ROOT}/empty`);
  expect(await decide(store, '/anything')).toMatchObject({ kind: 'denied', reason: 'no_route_policy' });
});
