// The direct-mode fixes of issue 21 against moto, through both clients the
// store loads with (the light signed client and the full SDK client):
// - the history cache hits (LastModifiedDate arrives as epoch seconds from the
//   light client and as a Date from the SDK);
// - a delete during a refresh's paging never drops an unrelated policy (moto
//   pages by offset);
// - throttled history for one invalid parameter does not hold the others back.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { createLogger } from '../../functions/aws/logger';
import type { HistorySender } from '../../functions/aws/parameter-history';
import type { PageSender } from '../../functions/aws/parameters-by-path';
import { defaultPageSender, type SsmClientKind } from '../../functions/aws/ssm-page-sender';
import { SsmPolicyStore } from '../../functions/aws/ssm-policy-store';
import { createSsmClient, sdkHistorySender, sdkPageSender } from '../../functions/aws/ssm-sdk';
import { decidePreflight } from '../../functions/core';
import { basePolicy, preflight } from '../support/policies';
import { deleteParameter, globalMotoEndpoint, putPolicies, seedingClient, useMoto } from '../support/moto-ssm';

const ROOT = '/test/direct-mode-int';
const TTL_S = 60;
let seed: SSMClient;
const savedEnv = { ...process.env };

beforeAll(() => {
  const endpoint = globalMotoEndpoint();
  useMoto(endpoint);
  seed = seedingClient(endpoint);
});

afterAll(() => {
  seed.destroy();
  process.env = savedEnv;
});

let counter = 0;

function storeFor(path: string, kind: SsmClientKind, wrap: { page?: (send: PageSender) => PageSender; history?: (send: HistorySender) => HistorySender } = {}) {
  const clock = { t: 1_000_000 };
  const budget = 5000;
  const sdk = createSsmClient(budget);
  let sendPage: PageSender;
  if (kind === 'light') {
    const sender = defaultPageSender(budget);
    expect(sender.kind).toBe('light');
    sendPage = sender.send;
  } else sendPage = sdkPageSender(sdk);
  const store = new SsmPolicyStore({
    config: { policyPath: path, ttlSeconds: TTL_S, loadBudgetMs: budget },
    logger: createLogger({ service: 'test', env: { LOG_LEVEL: 'ERROR' }, write: () => undefined }),
    sendPage: wrap.page ? wrap.page(sendPage) : sendPage,
    sendHistory: wrap.history ? wrap.history(sdkHistorySender(sdk)) : sdkHistorySender(sdk),
    now: () => clock.t,
    random: () => 0,
  });
  return { store, advance: () => void (clock.t += TTL_S * 1000) };
}

describe.each<SsmClientKind>(['light', 'sdk'])('with the %s client', (kind) => {
  test('an invalid parameter costs one history read per instance, not one per refresh (the cache hits)', async () => {
    const path = `${ROOT}/cache-${kind}${++counter}`;
    const name = `${path}/orders`;
    await putPolicies(seed, { [name]: basePolicy({ route: '/orders', allowOrigins: ['https://v1.example.com'] }) });
    await putPolicies(seed, { [name]: '{oops' });
    const { store, advance } = storeFor(path, kind);
    for (let i = 0; i < 3; i++) {
      const set = await store.current();
      expect(set?.status.get(name)).toBe('earlier-version');
      advance();
    }
    expect(store.stats.refreshes).toBe(3);
    expect(store.stats.historyCalls).toBe(1);
    // A new version is looked up again.
    await putPolicies(seed, { [name]: '{still broken' });
    await store.current();
    expect(store.stats.historyCalls).toBe(2);
  });

  test('a delete during the paging of a refresh never drops an unrelated policy', async () => {
    const path = `${ROOT}/paging-${kind}${++counter}`;
    for (let i = 10; i < 22; i++) await putPolicies(seed, { [`${path}/p${i}`]: basePolicy({ route: `/p${i}` }) });
    let pages = 0;
    let deleteAfterPage = 0;
    const { store, advance } = storeFor(path, kind, {
      page: (send) => async (input, signal) => {
        const out = await send(input, signal);
        if (++pages === deleteAfterPage) await deleteParameter(seed, `${path}/p10`);
        return out;
      },
    });
    expect((await store.current())?.policies.size).toBe(12);
    deleteAfterPage = pages + 1; // right after the next refresh's first page
    advance();
    const set = await store.current();
    expect([...(set?.policies.keys() ?? [])].sort()).toEqual(Array.from({ length: 11 }, (_, i) => `${path}/p${11 + i}`));
    expect(decidePreflight(set, preflight({ path: '/p20', origin: 'https://shop.example.com' })).kind).toBe('allowed');
    expect(store.stats.confirmingListings).toBe(1);
  });

  test('throttled history for one invalid parameter: the others still update, the same way for a warm and a fresh store', async () => {
    const path = `${ROOT}/throttled-${kind}${++counter}`;
    const broken = `${path}/broken`;
    const users = `${path}/users`;
    await putPolicies(seed, {
      [broken]: basePolicy({ route: '/broken' }),
      [users]: basePolicy({ route: '/users', allowOrigins: ['https://old.example.com'] }),
    });
    const throttle =
      (send: HistorySender): HistorySender =>
      async (input, signal) => {
        if (input.Name === broken) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
        return send(input, signal);
      };
    const warm = storeFor(path, kind, { history: throttle });
    await warm.store.current();
    await putPolicies(seed, { [broken]: '{oops', [users]: basePolicy({ route: '/users', allowOrigins: ['https://new.example.com'] }) });
    warm.advance();
    const sets = [await warm.store.current(), await storeFor(path, kind, { history: throttle }).store.current()];
    for (const set of sets) {
      expect(set?.status.get(broken)).toBe('rejected');
      expect(decidePreflight(set, preflight({ path: '/users', origin: 'https://new.example.com' })).kind).toBe('allowed');
      expect(decidePreflight(set, preflight({ path: '/users', origin: 'https://old.example.com' })).kind).toBe('denied');
    }
    expect(warm.store.stats.failedRefreshes).toBe(0);
  });
});
