/**
 * Parameter Store faults through both clients the store loads with (the light
 * signed client of the common Lambda path, and the full SDK client every other
 * environment uses): every test runs once per client. A fault-injecting proxy on
 * 127.0.0.1 sits between the product's SSM client and a moto server this file
 * starts for itself. For every fault:
 * - a warm store keeps serving its last good policies, the faulty refresh ends
 *   within the load budget (plus a margin: a bound on the promise, not a speed
 *   test), the failure is logged, and no further call is made during backoff;
 * - a cold store denies (`no_policies_loaded`) within the budget and logs why;
 * - once the proxy heals, the next refresh picks up the current policies.
 * The store's clock is injected (or Date.now skewed for the handler's own store)
 * to jump past the TTL and backoff instead of sleeping.
 */
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../../functions/aws/logger';
import { defaultStore, resetDefaultStore } from '../../functions/aws/default-store';
import { defaultPageSender, type SsmClientKind } from '../../functions/aws/ssm-page-sender';
import { SsmPolicyStore } from '../../functions/aws/ssm-policy-store';
import { createSsmClient } from '../../functions/aws/ssm-sdk';
import { decidePreflight, type PolicySet } from '../../functions/core';
import { handler } from '../../functions/preflight/handler';
import { motoEnv, startMoto, type MotoServer } from '../../scripts/lib/moto';
import { httpApiEvent } from '../support/apigw-events';
import { FaultProxy } from './support/fault-proxy';

const ROOT = '/test/reliability-ssm-faults';
const TTL_SECONDS = 60;
/** Smaller than the 2000 ms default so the suite stays short; every bound below scales with it. */
const BUDGET_MS = 1000;
/** Scheduling slack on 2 busy cores: the product promises the budget, the margin only absorbs the machine. */
const MARGIN_MS = 1500;

let moto: MotoServer;
let proxy: FaultProxy;
let seed: SSMClient;
const savedEnv = { ...process.env };

const orders = {
  route: '/orders/{id}',
  allowOrigins: ['https://shop.example.com'],
  allowMethods: ['GET', 'PUT'],
  allowHeaders: ['content-type'],
  allowCredentials: true,
};
const account = { route: '/account', allowOrigins: ['https://*.example.com'], allowMethods: ['POST'] };
const added = { route: '/added', allowOrigins: ['https://new.example.com'], allowMethods: ['DELETE'] };

const preflight = (path: string, origin: string, method: string) => ({ method: 'OPTIONS', path, origin, requestMethod: method, requestHeaders: undefined });
const servesOriginal = (set: PolicySet | undefined): void => {
  expect(decidePreflight(set, preflight('/orders/7', 'https://shop.example.com', 'PUT')).kind).toBe('allowed');
  expect(decidePreflight(set, preflight('/account', 'https://a.example.com', 'POST')).kind).toBe('allowed');
  expect(decidePreflight(set, preflight('/orders/7', 'https://evil.com', 'PUT')).kind).toBe('denied');
};

async function put(name: string, value: unknown): Promise<void> {
  await seed.send(new PutParameterCommand({ Name: name, Value: JSON.stringify(value), Type: 'String', Overwrite: true }));
}

let pathCounter = 0;
/** A fresh parameter path per test, seeded with two policies, so tests never see each other's edits. */
async function seededPath(): Promise<string> {
  const path = `${ROOT}/t${++pathCounter}`;
  await put(`${path}/orders`, orders);
  await put(`${path}/account`, account);
  return path;
}

interface Harness {
  store: SsmPolicyStore;
  logs: Array<Record<string, unknown>>;
  /** Moves the store's clock past the TTL and any backoff. */
  advance: () => void;
  path: string;
}

/** The client under test in the current describe block (set by the describe.each below). */
let clientKind: SsmClientKind = 'light';

/** The product's own client settings for the client under test: timeouts, 3 attempts. */
function clientOptions(budgetMs: number) {
  if (clientKind === 'sdk') return { client: createSsmClient(budgetMs) };
  const sender = defaultPageSender(budgetMs);
  expect(sender.kind).toBe('light'); // the proxy's environment is the plain Lambda one
  return { sendPage: sender.send };
}

async function newStore(budgetMs = BUDGET_MS): Promise<Harness> {
  const path = await seededPath();
  let skew = 0;
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ service: 'reliability', env: {}, write: (line) => logs.push(JSON.parse(line)) });
  const store = new SsmPolicyStore({
    config: { policyPath: path, ttlSeconds: TTL_SECONDS, loadBudgetMs: budgetMs },
    logger,
    ...clientOptions(budgetMs),
    now: () => Date.now() + skew,
  });
  return { store, logs, path, advance: () => void (skew += TTL_SECONDS * 1000 + 1) };
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

/** Slowest faulty refresh seen per scenario, printed at the end for the figures in docs/reliability.md. */
const slowest: Record<string, number> = {};
const record = (label: string, ms: number): void => {
  slowest[label] = Math.max(slowest[label] ?? 0, Math.round(ms));
};

/** Every fault, with what the logged error must mention. */
const FAULTS: Array<[string, () => Promise<void> | void, RegExp]> = [
  [
    'throttling on every attempt (ThrottlingException)',
    () => proxy.inject({ kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }),
    /Throttling|budget/,
  ],
  ['500 InternalServerError on every attempt', () => proxy.inject({ kind: 'error', status: 500, type: 'InternalServerError' }), /InternalServerError/],
  // The SDK reports this as a JSON deserialization error; the status is not in the log line.
  ['503 HTML page from something in the way', () => proxy.inject({ kind: 'html', status: 503 }), /503|ServiceUnavailable|JSON|Deserialization/i],
  ['a response that never comes (socket held open)', () => proxy.inject({ kind: 'hang' }), /budget|timeout/i],
  ['a response slower than the budget', () => proxy.inject({ kind: 'delay', ms: BUDGET_MS * 3 }), /budget|timeout/i],
  // Three resets with backoff can outlast the 1 s budget on a busy machine: then the budget is the reason logged.
  ['the connection reset on every request', () => proxy.inject({ kind: 'reset' }), /ECONNRESET|socket hang up|reset|budget/i],
  ['connection refused (listener closed)', () => proxy.refuseConnections(), /ECONNREFUSED/],
  [
    'a body cut in half (Content-Length matching the half)',
    () => proxy.inject({ kind: 'truncate', declareFullLength: false }),
    /JSON|Deserialization|Unexpected|Unterminated/i,
  ],
  [
    'a body cut in half and the connection dropped',
    () => proxy.inject({ kind: 'truncate', declareFullLength: true }),
    /aborted|ECONNRESET|socket|premature|closed|budget/i,
  ],
  ['a 200 whose body is not JSON', () => proxy.inject({ kind: 'body', body: '<html>maintenance</html>' }), /JSON|Deserialization|Unexpected/i],
  ['a 200 whose Parameters is a number', () => proxy.inject({ kind: 'body', body: '{"Parameters":42}' }), /.+/],
  [
    'AccessDeniedException (not retried)',
    () => proxy.inject({ kind: 'error', status: 400, type: 'AccessDeniedException', message: 'not authorized to perform ssm:GetParametersByPath' }),
    /AccessDenied/,
  ],
  ['a NextToken that never ends', () => proxy.inject({ kind: 'body', body: '{"Parameters":[],"NextToken":"again"}' }), /budget|pages/],
];

/** Malformed but well-formed-JSON pages: nothing a real Parameter Store sends, so they must count as failures. */
const MALFORMED_PAGES: Array<[string, string]> = [
  ['Parameters is a string', '{"Parameters":"abc"}'],
  ['Parameters holds numbers', '{"Parameters":[1,2]}'],
  [
    'a parameter whose Value is an object',
    '{"Parameters":[{"Name":"/x","Type":"String","Value":{"route":"$default","allowOrigins":["*"],"allowMethods":["*"]}}]}',
  ],
  ['an empty body', ''],
  ['a JSON null body', 'null'],
];

beforeAll(async () => {
  moto = await startMoto();
  seed = new SSMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  proxy = await FaultProxy.start(moto.endpoint);
  // The product's clients find the proxy through the standard endpoint variable.
  Object.assign(process.env, motoEnv(proxy.endpoint), { LOG_LEVEL: 'INFO' });
});

afterEach(async () => {
  await proxy.heal();
});

afterAll(async () => {
  process.stderr.write(`reliability ssm faults (budget ${BUDGET_MS} ms), slowest faulty refresh per scenario in ms: ${JSON.stringify(slowest)}\n`);
  await proxy?.stop();
  seed?.destroy();
  await moto?.stop();
  process.env = savedEnv;
  resetDefaultStore();
});

describe.each<[string, SsmClientKind]>([
  ['the light signed client', 'light'],
  ['the full SDK client', 'sdk'],
])('with %s', (_label, kind) => {
  beforeAll(() => {
    clientKind = kind;
  });

  describe('a warm store', () => {
    it.each(FAULTS)(
      'keeps serving its last good policies through %s, within the budget, and recovers',
      async (label, inject, why) => {
        const h = await newStore();
        const good = await h.store.current();
        servesOriginal(good);

        await inject();
        // Meanwhile a policy is added: only a successful refresh can know about it.
        await put(`${h.path}/added`, added);
        h.advance();
        const faulty = await timed(() => h.store.current());
        record(`warm: ${label}`, faulty.ms);
        expect(faulty.value).toBe(good);
        servesOriginal(faulty.value);
        expect(faulty.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
        expect(h.store.stats.failedRefreshes).toBe(1);
        const errors = h.logs.filter((l) => l.level === 'ERROR');
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({ message: 'policy refresh failed; serving the last good policies', policyPath: h.path, consecutiveFailures: 1 });
        expect(JSON.stringify(errors[0]!.error)).toMatch(why);

        // During the backoff every request is answered from memory, without touching Parameter Store.
        const before = proxy.stats.requests;
        const during = await Promise.all(Array.from({ length: 50 }, () => h.store.current()));
        expect(during.every((s) => s === good)).toBe(true);
        expect(proxy.stats.requests).toBe(before);

        await proxy.heal();
        h.advance();
        const healed = await h.store.current();
        expect(healed).not.toBe(good);
        servesOriginal(healed);
        expect(decidePreflight(healed, preflight('/added', 'https://new.example.com', 'DELETE')).kind).toBe('allowed');
        expect(h.store.stats.failedRefreshes).toBe(1);
      },
      20_000,
    );

    it.each(MALFORMED_PAGES)(
      'keeps its last good policies when a page is malformed: %s',
      async (label, body) => {
        const h = await newStore();
        const good = await h.store.current();
        proxy.inject({ kind: 'body', body });
        h.advance();
        const faulty = await timed(() => h.store.current());
        // Found by this test: a page whose Parameters was not a list of {Name, Value} strings (or an empty
        // or null body, which the SDK turns into {}) once compiled into an empty or junk set that replaced
        // the last good one, so a warm function denied everything (fixed in d600815).
        record(`warm: malformed page, ${label}`, faulty.ms);
        servesOriginal(faulty.value);
        expect(faulty.value === good).toBe(true);
        expect(faulty.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
        const errors = h.logs.filter((l) => l.level === 'ERROR');
        expect(errors).toHaveLength(1);
        expect(JSON.stringify(errors[0]!.error)).toMatch(/malformed/);
      },
      20_000,
    );

    it('rides out a short throttling burst with the SDK retries: the refresh succeeds', async () => {
      // Throttling retries back off from 500 ms (up to 1 s for the first retry), so this uses the default budget.
      const h = await newStore(2000);
      const good = await h.store.current();
      const faultedBefore = proxy.stats.faulted;
      proxy.inject({ kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }, 1);
      await put(`${h.path}/added`, added);
      h.advance();
      const refreshed = await timed(() => h.store.current());
      expect(refreshed.value).not.toBe(good);
      expect(decidePreflight(refreshed.value, preflight('/added', 'https://new.example.com', 'DELETE')).kind).toBe('allowed');
      expect(h.store.stats.failedRefreshes).toBe(0);
      expect(proxy.stats.faulted - faultedBefore).toBe(1);
      expect(refreshed.ms).toBeLessThan(2000 + MARGIN_MS);
      expect(h.logs.filter((l) => l.level === 'ERROR')).toEqual([]);
    });

    it('rides out a burst of 5xx answers with the SDK retries', async () => {
      const h = await newStore();
      const good = await h.store.current();
      proxy.inject({ kind: 'error', status: 503, type: 'ServiceUnavailable' }, 2);
      h.advance();
      const refreshed = await h.store.current();
      expect(refreshed).not.toBe(good);
      servesOriginal(refreshed);
      expect(h.store.stats.failedRefreshes).toBe(0);
    });

    it('keeps serving through repeated failures, backing off, and recovers on the first refresh after healing', async () => {
      const h = await newStore();
      const good = await h.store.current();
      proxy.inject({ kind: 'error', status: 500, type: 'InternalServerError' });
      for (let i = 1; i <= 4; i++) {
        h.advance();
        const r = await timed(() => h.store.current());
        expect(r.value).toBe(good);
        expect(r.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
        expect(h.store.stats.failedRefreshes).toBe(i);
      }
      expect(h.logs.filter((l) => l.level === 'ERROR').map((l) => l.consecutiveFailures)).toEqual([1, 2, 3, 4]);
      await proxy.heal();
      h.advance();
      const healed = await h.store.current();
      expect(healed).not.toBe(good);
      servesOriginal(healed);
    });
  });

  describe('a cold store (nothing ever loaded)', () => {
    it.each(FAULTS)(
      'denies within the budget and logs why under %s, then loads once healed',
      async (label, inject, why) => {
        const h = await newStore();
        await inject();
        const cold = await timed(() => h.store.current());
        record(`cold: ${label}`, cold.ms);
        expect(cold.value).toBeUndefined();
        expect(cold.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
        expect(decidePreflight(cold.value, preflight('/orders/7', 'https://shop.example.com', 'PUT'))).toMatchObject({
          kind: 'denied',
          reason: 'no_policies_loaded',
        });
        const errors = h.logs.filter((l) => l.level === 'ERROR');
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({ message: 'policy load failed; denying every preflight until policies load', policyPath: h.path });
        expect(JSON.stringify(errors[0]!.error)).toMatch(why);

        await proxy.heal();
        h.advance();
        servesOriginal(await h.store.current());
      },
      20_000,
    );
  });

  describe('the preflight function with its own store', () => {
    const realNow = Date.now;
    let skew = 0;
    let lines: Array<Record<string, unknown>>;
    let dateSpy: jest.SpyInstance;
    let writeSpy: jest.SpyInstance;

    const event = (origin: string) =>
      httpApiEvent({ rawPath: '/orders/7', headers: { origin, 'access-control-request-method': 'PUT' }, pathParameters: { proxy: 'orders/7' } });

    beforeEach(async () => {
      const path = await seededPath();
      Object.assign(process.env, { CORS_POLICY_PATH: path, CORS_POLICY_TTL_SECONDS: String(TTL_SECONDS), CORS_POLICY_LOAD_BUDGET_MS: String(BUDGET_MS) });
      // The operator's switch picks the client the handler's own store uses.
      if (clientKind === 'sdk') process.env.CORS_SSM_CLIENT = 'sdk';
      else delete process.env.CORS_SSM_CLIENT;
      skew = 0;
      // Installed before the store exists, so the store's clock is this one.
      dateSpy = jest.spyOn(Date, 'now').mockImplementation(() => realNow.call(Date) + skew);
      lines = [];
      writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        return true;
      });
      resetDefaultStore();
    });
    afterEach(() => {
      dateSpy.mockRestore();
      writeSpy.mockRestore();
      const runtime = defaultStore('cors-preflight');
      if (runtime.ok) expect(runtime.store.clientKind).toBe(clientKind);
      resetDefaultStore();
    });

    it('cold during an outage: denies with 403 no_policies_loaded within the budget and logs why; allows once healed', async () => {
      proxy.inject({ kind: 'hang' });
      const r = await timed(() => handler(event('https://shop.example.com') as never));
      expect(r.value.statusCode).toBe(403);
      expect(Object.keys(r.value.headers).filter((k) => k.toLowerCase().startsWith('access-control-'))).toEqual([]);
      expect(r.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
      expect(lines).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'policy load failed; denying every preflight until policies load' }));
      expect(lines).toContainEqual(expect.objectContaining({ message: 'preflight denied', reason: 'no_policies_loaded' }));

      await proxy.heal();
      skew += TTL_SECONDS * 1000 + 1;
      const healed = await handler(event('https://shop.example.com') as never);
      expect(healed.statusCode).toBe(204);
      expect(healed.headers['Access-Control-Allow-Origin']).toBe('https://shop.example.com');
    });

    it('warm during an outage: 100 concurrent preflights all get their usual answer within the budget, from one refresh attempt', async () => {
      const first = await handler(event('https://shop.example.com') as never);
      expect(first.statusCode).toBe(204);
      proxy.inject({ kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
      skew += TTL_SECONDS * 1000 + 1;
      const before = proxy.stats.requests;
      const r = await timed(() =>
        Promise.all(Array.from({ length: 100 }, (_, i) => handler(event(i % 2 ? 'https://shop.example.com' : 'https://evil.com') as never))),
      );
      expect(r.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
      r.value.forEach((res, i) => {
        if (i % 2) expect(res).toEqual(first);
        else expect(res.statusCode).toBe(403);
      });
      // One refresh for all of them: at most the SDK's 3 attempts reached Parameter Store.
      expect(proxy.stats.requests - before).toBeGreaterThanOrEqual(1);
      expect(proxy.stats.requests - before).toBeLessThanOrEqual(3);
      expect(lines.filter((l) => l.message === 'policy refresh failed; serving the last good policies')).toHaveLength(1);
      expect(lines.filter((l) => l.message === 'unexpected error; denying')).toEqual([]);
    });
  });
});
