// SsmPolicyStore with Parameter Store mocked and the clock and randomness
// injected: caching for the TTL, paging, keeping the last good set on a
// failed refresh, backoff, fail closed, and the load budget.
import { GetParameterHistoryCommand, GetParametersByPathCommand, SSMClient, type GetParametersByPathCommandOutput } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmPolicyStore } from '../../functions/aws/ssm-policy-store';
import { createLogger } from '../../functions/aws/logger';
import { decidePreflight } from '../../functions/core';
import { basePolicy, holderAt, preflight } from '../support/policies';
import { FakeParameterStore } from '../support/fake-parameter-store';
import { parameters } from '../support/ssm-mock';

const PATH = '/test/store-unit/api';
const TTL_S = 60;
const TTL_MS = TTL_S * 1000;

const ssm = mockClient(SSMClient);

interface Harness {
  store: SsmPolicyStore;
  clock: { t: number };
  logs: Array<Record<string, unknown>>;
}

function harness(options: { random?: () => number; loadBudgetMs?: number; client?: Pick<SSMClient, 'send'> } = {}): Harness {
  const clock = { t: 1_000_000 };
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ service: 'test', env: { LOG_LEVEL: 'DEBUG' }, write: (line) => logs.push(JSON.parse(line)) });
  const store = new SsmPolicyStore({
    config: { policyPath: PATH, ttlSeconds: TTL_S, loadBudgetMs: options.loadBudgetMs ?? 2000 },
    logger,
    client: options.client ?? new SSMClient({ region: 'us-east-1' }),
    now: () => clock.t,
    random: options.random ?? (() => 0),
  });
  return { store, clock, logs };
}

const page = (policies: Record<string, unknown>, NextToken?: string): GetParametersByPathCommandOutput =>
  ({ Parameters: parameters(policies), ...(NextToken ? { NextToken } : {}), $metadata: {} }) as GetParametersByPathCommandOutput;

const orders = (origin = 'https://shop.example.com') => ({ [`${PATH}/orders`]: basePolicy({ route: '/orders', allowOrigins: [origin] }) });
const calls = () => ssm.commandCalls(GetParametersByPathCommand).length;
const allows = async (store: SsmPolicyStore, origin: string) =>
  decidePreflight(await store.current(), preflight({ path: '/orders', origin })).kind === 'allowed';

beforeEach(() => ssm.reset());
afterAll(() => ssm.restore());

describe('caching', () => {
  test('the first use loads every policy under the path, recursively', async () => {
    ssm.on(GetParametersByPathCommand).resolves(page(orders()));
    const { store } = harness();
    const set = await store.current();
    expect(set?.policies.has(`${PATH}/orders`)).toBe(true);
    expect(ssm.commandCalls(GetParametersByPathCommand)[0]!.args[0].input).toMatchObject({ Path: PATH, Recursive: true });
  });

  test('zero Parameter Store calls between refreshes', async () => {
    ssm.on(GetParametersByPathCommand).resolves(page(orders()));
    const { store, clock } = harness();
    for (let i = 0; i < 50; i++) {
      await store.current();
      clock.t += 1000;
    }
    // 50 requests over 49 s, inside one 60 s TTL.
    expect(calls()).toBe(1);
    expect(store.stats.ssmCalls).toBe(1);
  });

  test('refreshes once the TTL has passed, and serves the edit', async () => {
    ssm
      .on(GetParametersByPathCommand)
      .resolvesOnce(page(orders('https://old.example.com')))
      .resolves(page(orders('https://new.example.com')));
    const { store, clock } = harness();
    const start = clock.t;
    expect(await allows(store, 'https://old.example.com')).toBe(true);
    clock.t = start + TTL_MS - 1;
    expect(await allows(store, 'https://old.example.com')).toBe(true);
    expect(calls()).toBe(1);
    clock.t = start + TTL_MS;
    expect(await allows(store, 'https://new.example.com')).toBe(true);
    expect(await allows(store, 'https://old.example.com')).toBe(false);
    expect(calls()).toBe(2);
  });

  test('jitter only brings a refresh forward, by at most a tenth of the TTL', async () => {
    ssm.on(GetParametersByPathCommand).resolves(page(orders()));
    const { store, clock } = harness({ random: () => 0.999999 });
    const start = clock.t;
    await store.current();
    clock.t = start + TTL_MS * 0.9 - 1;
    await store.current();
    expect(calls()).toBe(1);
    clock.t = start + TTL_MS;
    await store.current();
    expect(calls()).toBe(2);
  });

  test('concurrent requests during a refresh share one load', async () => {
    let release: (v: GetParametersByPathCommandOutput) => void = () => undefined;
    const gate = new Promise<GetParametersByPathCommandOutput>((resolve) => (release = resolve));
    ssm.on(GetParametersByPathCommand).callsFake(() => gate);
    const { store } = harness();
    const pending = [store.current(), store.current(), store.current()];
    release(page(orders()));
    const sets = await Promise.all(pending);
    expect(calls()).toBe(1);
    expect(sets[0]).toBeDefined();
    expect(sets[1]).toBe(sets[0]);
    expect(sets[2]).toBe(sets[0]);
  });

  test('peek never calls Parameter Store', async () => {
    const { store } = harness();
    expect(store.peek()).toBeUndefined();
    expect(calls()).toBe(0);
  });
});

describe('paging', () => {
  test('follows NextToken through empty pages until there is none', async () => {
    ssm
      .on(GetParametersByPathCommand)
      .resolvesOnce(page({ [`${PATH}/a`]: basePolicy({ route: '/a' }), [`${PATH}/b`]: basePolicy({ route: '/b' }) }, 't1'))
      .resolvesOnce(page({}, 't2'))
      .resolvesOnce({ NextToken: 't3', $metadata: {} })
      .resolvesOnce(page({ [`${PATH}/deep/c`]: basePolicy({ route: '/c' }) }));
    const { store } = harness();
    const set = await store.current();
    expect([...set!.policies.keys()].sort()).toEqual([`${PATH}/a`, `${PATH}/b`, `${PATH}/deep/c`]);
    const tokens = ssm.commandCalls(GetParametersByPathCommand).map((c) => c.args[0].input.NextToken);
    expect(tokens).toEqual([undefined, 't1', 't2', 't3']);
    for (const c of ssm.commandCalls(GetParametersByPathCommand)) {
      expect(c.args[0].input).toMatchObject({ Path: PATH, Recursive: true });
      expect(c.args[0].input.MaxResults ?? 10).toBeLessThanOrEqual(10);
    }
  });

  test('a failure on a later page keeps the whole previous set: never half an update', async () => {
    const two = { [`${PATH}/a`]: basePolicy({ route: '/a', allowOrigins: ['https://old.example.com'] }), [`${PATH}/b`]: basePolicy({ route: '/b' }) };
    ssm
      .on(GetParametersByPathCommand)
      .resolvesOnce(page(two))
      .resolvesOnce(page({ [`${PATH}/a`]: basePolicy({ route: '/a', allowOrigins: ['https://new.example.com'] }) }, 'next'))
      .rejectsOnce(new Error('connection reset'));
    const { store, clock } = harness();
    const first = await store.current();
    clock.t += TTL_MS;
    const second = await store.current();
    expect(second).toBe(first);
    expect(decidePreflight(second, preflight({ path: '/a', origin: 'https://old.example.com' })).kind).toBe('allowed');
    expect(second!.policies.has(`${PATH}/b`)).toBe(true);
  });
});

describe('failures', () => {
  test('a failed refresh keeps serving the last good set and logs the failure', async () => {
    ssm
      .on(GetParametersByPathCommand)
      .resolvesOnce(page(orders()))
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const { store, clock, logs } = harness();
    const good = await store.current();
    clock.t += TTL_MS;
    expect(await store.current()).toBe(good);
    expect(store.stats.failedRefreshes).toBe(1);
    const errors = logs.filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ policyPath: PATH });
    expect(JSON.stringify(errors[0])).toContain('Rate exceeded');
  });

  test('after a failure it waits before retrying, waits longer after each further failure, and never longer than the TTL', async () => {
    ssm.on(GetParametersByPathCommand).resolvesOnce(page(orders())).rejects(new Error('down'));
    const { store, clock } = harness({ random: () => 0.5 });
    await store.current();
    clock.t += TTL_MS;
    await store.current(); // first failure
    const waits: number[] = [];
    for (let failure = 0; failure < 8; failure++) {
      const before = calls();
      const from = clock.t;
      // Step the clock until the store tries again; each step is one request.
      while (calls() === before) {
        clock.t += 100;
        await store.current();
        if (clock.t - from > 10 * TTL_MS) throw new Error('the store never retried');
      }
      waits.push(clock.t - from);
    }
    expect(waits[0]).toBeGreaterThan(100);
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(waits[2]).toBeGreaterThan(waits[1]!);
    for (const w of waits) expect(w).toBeLessThanOrEqual(TTL_MS + 100);
    expect(store.peek()?.policies.has(`${PATH}/orders`)).toBe(true);
  });

  test('the backoff ends at the first success: the next refresh is a full TTL later', async () => {
    ssm
      .on(GetParametersByPathCommand)
      .resolvesOnce(page(orders()))
      .rejectsOnce(new Error('down'))
      .resolves(page(orders('https://new.example.com')));
    const { store, clock } = harness();
    await store.current();
    clock.t += TTL_MS;
    await store.current();
    while (calls() < 3) {
      clock.t += 100;
      await store.current();
    }
    expect(await allows(store, 'https://new.example.com')).toBe(true);
    clock.t += TTL_MS - 200;
    await store.current();
    expect(calls()).toBe(3);
  });

  test('nothing ever loaded: no set (callers deny), the reason is logged, and retries back off', async () => {
    ssm
      .on(GetParametersByPathCommand)
      .rejects(Object.assign(new Error('User is not authorized to perform ssm:GetParametersByPath'), { name: 'AccessDeniedException' }));
    const { store, logs } = harness();
    const set = await store.current();
    expect(set).toBeUndefined();
    expect(decidePreflight(set, preflight())).toMatchObject({ kind: 'denied', reason: 'no_policies_loaded' });
    expect(JSON.stringify(logs.filter((l) => l.level === 'ERROR'))).toContain('not authorized');
    // A burst of requests right after the failure does not hammer Parameter Store (about 40 TPS per account).
    for (let i = 0; i < 20; i++) await store.current();
    expect(calls()).toBe(1);
  });

  test('the load budget ends a refresh whose call never returns, and aborts the call', async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const client = {
      send: jest.fn((_command: unknown, options?: { abortSignal?: AbortSignal }) => {
        signals.push(options?.abortSignal);
        return new Promise<never>(() => undefined);
      }),
    } as unknown as Pick<SSMClient, 'send'>;
    const { store, logs } = harness({ client, loadBudgetMs: 50 });
    await expect(store.current()).resolves.toBeUndefined();
    expect(store.stats.failedRefreshes).toBe(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(JSON.stringify(logs.filter((l) => l.level === 'ERROR'))).toMatch(/budget/);
  });

  test('the budget also bounds a refresh when a last good set exists, which keeps serving', async () => {
    let hang = false;
    const client = {
      send: jest.fn(async () => {
        if (hang) return new Promise<never>(() => undefined);
        return page(orders());
      }),
    } as unknown as Pick<SSMClient, 'send'>;
    const { store, clock } = harness({ client, loadBudgetMs: 50 });
    const good = await store.current();
    hang = true;
    clock.t += TTL_MS;
    await expect(store.current()).resolves.toBe(good);
  });
});

describe('policy problems', () => {
  test('an invalid parameter is logged once with its name, field, value and reason, while the rest serve', async () => {
    ssm.on(GetParametersByPathCommand).resolves(page({ ...orders(), [`${PATH}/bad`]: basePolicy({ route: '/bad', allowOrigins: ['https://*.com'] }) }));
    ssm
      .on(GetParameterHistoryCommand)
      .resolves({ Parameters: parameters({ [`${PATH}/bad`]: basePolicy({ route: '/bad', allowOrigins: ['https://*.com'] }) }), $metadata: {} });
    const { store, clock, logs } = harness();
    expect(await allows(store, 'https://shop.example.com')).toBe(true);
    clock.t += TTL_MS;
    await store.current();
    clock.t += TTL_MS;
    await store.current();
    const warnings = logs.filter((l) => l.level === 'WARN');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      parameter: `${PATH}/bad`,
      field: 'allowOrigins[0]',
      value: 'https://*.com',
      reason: expect.stringMatching(/public suffix/i),
    });
  });

  test('a SecureString parameter is refused even when it decrypts to a valid policy', async () => {
    ssm.on(GetParametersByPathCommand).resolves({
      Parameters: [...parameters(orders()), ...parameters({ [`${PATH}/secret`]: basePolicy({ route: '/secret' }) }, 'SecureString')],
      $metadata: {},
    });
    ssm
      .on(GetParameterHistoryCommand)
      .resolves({ Parameters: parameters({ [`${PATH}/secret`]: basePolicy({ route: '/secret' }) }, 'SecureString'), $metadata: {} });
    const { store, logs } = harness();
    const set = await store.current();
    expect(holderAt(set!, '/secret')).toBeUndefined();
    expect(holderAt(set!, '/orders')).toBe(`${PATH}/orders`);
    expect(logs.filter((l) => l.level === 'WARN')).toEqual([expect.objectContaining({ parameter: `${PATH}/secret` })]);
  });
});

describe('an invalid value serves its newest valid version, read from the history', () => {
  const name = `${PATH}/orders`;
  const doc = (origin: string, extra: Record<string, unknown> = {}) => JSON.stringify(basePolicy({ route: '/orders', allowOrigins: [origin], ...extra }));
  const fakeHarness = (fake: FakeParameterStore) => harness({ client: fake.client() });

  test('reads the history of the invalid parameter only, serves its newest valid version, and says which', async () => {
    const fake = new FakeParameterStore();
    fake.put(name, doc('https://v1.example.com'));
    fake.put(name, doc('https://v2.example.com'));
    fake.put(name, doc('https://v3.example.com', { allowMethods: ['TRACE'] }));
    fake.put(`${PATH}/users`, JSON.stringify(basePolicy({ route: '/users' })));
    const { store, logs } = fakeHarness(fake);
    expect(await allows(store, 'https://v2.example.com')).toBe(true);
    expect(await allows(store, 'https://v1.example.com')).toBe(false);
    const set = store.peek()!;
    expect(set.status.get(name)).toBe('earlier-version');
    expect(set.versions.get(name)).toBe(2);
    expect(fake.calls.GetParameterHistory).toBe(1);
    expect(store.stats.historyCalls).toBe(1);
    expect(logs.filter((l) => l.level === 'WARN')).toEqual([
      expect.objectContaining({ parameter: name, status: 'earlier-version', servingVersion: 2, field: 'allowMethods[0]' }),
    ]);
  });

  test('no history is read when every parameter validates', async () => {
    const fake = new FakeParameterStore();
    fake.put(name, doc('https://v1.example.com'));
    fake.put(name, doc('https://v2.example.com'));
    const { store } = fakeHarness(fake);
    expect(await allows(store, 'https://v2.example.com')).toBe(true);
    expect(fake.calls.GetParameterHistory).toBe(0);
  });

  /** Version 1 valid, version 2 not: the store serves version 1, read from the history. */
  async function servingVersion1OfBrokenParameter() {
    const fake = new FakeParameterStore();
    fake.put(name, doc('https://v1.example.com'));
    fake.put(name, '{oops');
    const { store, clock } = fakeHarness(fake);
    expect(await allows(store, 'https://v1.example.com')).toBe(true);
    return { fake, store, clock };
  }

  test('the same invalid version is looked up once per instance; a new version is looked up again', async () => {
    const { fake, store, clock } = await servingVersion1OfBrokenParameter();
    for (let i = 0; i < 3; i++) {
      clock.t += TTL_MS;
      expect(await allows(store, 'https://v1.example.com')).toBe(true);
    }
    expect(fake.calls.GetParametersByPath).toBe(4);
    expect(fake.calls.GetParameterHistory).toBe(1);
    fake.put(name, doc('https://v3.example.com'));
    fake.put(name, '{still broken');
    clock.t += TTL_MS;
    expect(await allows(store, 'https://v3.example.com')).toBe(true);
    expect(fake.calls.GetParameterHistory).toBe(2);
  });

  test('a parameter deleted and written again is looked up again, even at the same version number', async () => {
    const { fake, store, clock } = await servingVersion1OfBrokenParameter();
    fake.delete(name);
    fake.put(name, doc('https://again.example.com'));
    fake.put(name, '{oops');
    clock.t += TTL_MS;
    expect(await allows(store, 'https://again.example.com')).toBe(true);
    expect(await allows(store, 'https://v1.example.com')).toBe(false);
  });

  test('with no valid version the parameter is ignored; a parameter gone before its history is read is too', async () => {
    const fake = new FakeParameterStore();
    fake.put(name, '{oops');
    fake.put(name, doc('https://v2.example.com', { allowMethods: ['TRACE'] }));
    const { store } = fakeHarness(fake);
    expect((await store.current())!.status.get(name)).toBe('rejected');
    ssm.on(GetParametersByPathCommand).resolves(page({ [name]: '{oops' }));
    ssm.on(GetParameterHistoryCommand).rejects(Object.assign(new Error('Parameter not found.'), { name: 'ParameterNotFound' }));
    const gone = harness();
    expect((await gone.store.current())!.status.get(name)).toBe('rejected');
  });

  test('reads a whole history of 100 versions in two pages', async () => {
    const fake = new FakeParameterStore();
    for (let i = 1; i <= 120; i++) fake.put(name, i === 3 || i === 30 ? doc(`https://v${i}.example.com`) : '{oops');
    const { store } = fakeHarness(fake);
    // Versions 1-20 have been dropped (Parameter Store keeps 100): version 30 is the newest valid one left.
    expect(await allows(store, 'https://v30.example.com')).toBe(true);
    expect(fake.calls.GetParameterHistory).toBe(2);
  });

  test('a history longer than Parameter Store keeps is refused for that parameter only: nothing serves for it, the others load', async () => {
    ssm.on(GetParametersByPathCommand).resolves(page({ [name]: '{oops', [`${PATH}/users`]: basePolicy({ route: '/users' }) }));
    ssm.on(GetParameterHistoryCommand).callsFake((input: { NextToken?: string }) => ({
      Parameters: Array.from({ length: 50 }, (_, i) => ({ Name: name, Type: 'String', Value: '{oops', Version: Number(input.NextToken ?? '0') + i + 1 })),
      NextToken: String(Number(input.NextToken ?? '0') + 50),
      $metadata: {},
    }));
    const { store, logs } = harness();
    const set = await store.current();
    expect(set?.status.get(name)).toBe('rejected');
    expect(set?.policies.has(`${PATH}/users`)).toBe(true);
    expect(ssm.commandCalls(GetParameterHistoryCommand)).toHaveLength(3);
    expect(logs.find((l) => l.message === 'policy history unreadable')).toMatchObject({
      parameter: name,
      error: { message: expect.stringContaining('more than 100 versions') },
    });
    expect(logs.some((l) => l.level === 'ERROR')).toBe(false);
  });

  test('history reads count against the load budget', async () => {
    ssm.on(GetParametersByPathCommand).resolves(page({ [name]: '{oops' }));
    ssm.on(GetParameterHistoryCommand).callsFake(() => new Promise(() => undefined));
    const { store, logs } = harness({ loadBudgetMs: 100 });
    expect(await store.current()).toBeUndefined();
    expect(logs.find((l) => l.level === 'ERROR')).toMatchObject({ error: { message: expect.stringContaining('100 ms budget') } });
  });
});

describe('history failures are per parameter (direct mode)', () => {
  const broken = `${PATH}/broken`;
  const users = `${PATH}/users`;
  const doc = (route: string, origin: string) => JSON.stringify(basePolicy({ route, allowOrigins: [origin] }));
  const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

  /** A fake whose GetParameterHistory is throttled while `throttled.on` holds. */
  function throttledFake() {
    const fake = new FakeParameterStore();
    const throttled = { on: true };
    const client = fake.client();
    const send = ((command: unknown) => {
      if (command instanceof GetParameterHistoryCommand && throttled.on) {
        fake.calls.GetParameterHistory++;
        return Promise.reject(throttling());
      }
      return client.send(command as never);
    }) as SSMClient['send'];
    return { fake, throttled, client: { send } };
  }

  test('an invalid parameter whose history is throttled serves nothing, while an unrelated revocation still takes effect', async () => {
    const { fake, throttled, client } = throttledFake();
    fake.put(broken, doc('/broken', 'https://b1.example.com'));
    fake.put(broken, '{oops');
    fake.put(users, doc('/users', 'https://old.example.com'));
    const { store, clock, logs } = harness({ client });
    let set = await store.current();
    expect(set?.status.get(broken)).toBe('rejected');
    expect(decidePreflight(set, preflight({ path: '/users', origin: 'https://old.example.com' })).kind).toBe('allowed');
    // The revocation of the other policy is served at the next refresh although history is still throttled.
    fake.put(users, doc('/users', 'https://new.example.com'));
    clock.t += TTL_MS;
    set = await store.current();
    expect(decidePreflight(set, preflight({ path: '/users', origin: 'https://old.example.com' })).kind).toBe('denied');
    expect(decidePreflight(set, preflight({ path: '/users', origin: 'https://new.example.com' })).kind).toBe('allowed');
    expect(store.stats.failedRefreshes).toBe(0);
    expect(logs.filter((l) => l.message === 'policy history unreadable')).toHaveLength(2);
    // Unreadable is never cached: once history answers, the earlier version serves.
    throttled.on = false;
    clock.t += TTL_MS;
    set = await store.current();
    expect(set?.status.get(broken)).toBe('earlier-version');
    expect(decidePreflight(set, preflight({ path: '/broken', origin: 'https://b1.example.com' })).kind).toBe('allowed');
  });

  test('the outcome under throttling is the same for a fresh store and one that served the parameter before it broke', async () => {
    const { fake, client } = throttledFake();
    fake.put(broken, doc('/broken', 'https://b1.example.com'));
    fake.put(users, doc('/users', 'https://u.example.com'));
    const warm = harness({ client });
    expect(decidePreflight(await warm.store.current(), preflight({ path: '/broken', origin: 'https://b1.example.com' })).kind).toBe('allowed');
    fake.put(broken, '{oops');
    warm.clock.t += TTL_MS;
    const warmSet = await warm.store.current();
    const freshSet = await harness({ client }).store.current();
    for (const set of [warmSet, freshSet]) {
      expect(set?.status.get(broken)).toBe('rejected');
      expect(decidePreflight(set, preflight({ path: '/broken', origin: 'https://b1.example.com' })).kind).toBe('denied');
      expect(decidePreflight(set, preflight({ path: '/users', origin: 'https://u.example.com' })).kind).toBe('allowed');
    }
  });
});

describe('listings are confirmed before a lost name is served (direct mode)', () => {
  /** 12 policies (two pages); `hook` runs after each GetParametersByPath page is answered. */
  function pagedFake(hook: (page: number) => void) {
    const fake = new FakeParameterStore();
    for (let i = 10; i < 22; i++) fake.put(`${PATH}/p${i}`, JSON.stringify(basePolicy({ route: `/p${i}` })));
    let pages = 0;
    const client = fake.client();
    const send = (async (command: unknown) => {
      const out = await client.send(command as never);
      if (command instanceof GetParametersByPathCommand) hook(++pages);
      return out;
    }) as SSMClient['send'];
    return { fake, client: { send } };
  }

  test('a delete during paging never drops an unrelated policy from a warm store', async () => {
    let deleteAt = 0;
    const { fake, client } = pagedFake((n) => {
      if (n === deleteAt) fake.delete(`${PATH}/p10`);
    });
    const { store, clock } = harness({ client });
    expect((await store.current())?.policies.size).toBe(12);
    // The next refresh's first page is answered, then p10 (on that page) is deleted: offset paging skips p20.
    deleteAt = 3;
    clock.t += TTL_MS;
    const set = await store.current();
    expect(set?.policies.has(`${PATH}/p20`)).toBe(true);
    expect(set?.policies.has(`${PATH}/p10`)).toBe(false);
    expect(set?.policies.size).toBe(11);
    expect(store.stats.confirmingListings).toBe(1);
  });

  test('a listing that is not confirmed is not listed again: one listing per refresh when nothing is lost', async () => {
    const { fake, client } = pagedFake(() => undefined);
    const { store, clock } = harness({ client });
    await store.current();
    clock.t += TTL_MS;
    await store.current();
    expect(fake.calls.GetParametersByPath).toBe(4);
    expect(store.stats.confirmingListings).toBe(0);
  });
});

describe('route conflicts', () => {
  test('are logged on every refresh with both parameter names, and the route is denied', async () => {
    const fake = new FakeParameterStore();
    fake.put(`${PATH}/products`, JSON.stringify(basePolicy({ route: '/products/{id}', allowCredentials: true })));
    fake.put(`${PATH}/anyone`, JSON.stringify(basePolicy({ route: '/products/{pid}', allowOrigins: ['*'] })));
    const { store, clock, logs } = harness({ client: fake.client() });
    expect(decidePreflight(await store.current(), preflight({ path: '/products/1', origin: 'https://evil.example' }))).toMatchObject({
      kind: 'denied',
      reason: 'route_conflict',
    });
    clock.t += TTL_MS;
    await store.current();
    const conflicts = logs.filter((l) => l.message === 'route conflict');
    expect(conflicts).toHaveLength(2);
    expect(conflicts[0]).toMatchObject({ level: 'WARN', route: '/products/{}', parameters: [`${PATH}/anyone`, `${PATH}/products`], reason: 'route_conflict' });
  });
});
