// Parameter Store going away mid-run: this file starts its own moto server so
// that stopping it disturbs no other test. The last good table must keep
// serving, the failure must be logged, and a store that never loaded must
// deny. The clock is injected; only the clients' own retries take real time.
// Everything runs once per client the store may load with: the light signed
// client (the plain Lambda environment) and the full SDK client (any other,
// here forced with CORS_SSM_CLIENT=sdk).
import type { SSMClient } from '@aws-sdk/client-ssm';
import { createLogger } from '../../functions/aws/logger';
import { SsmPolicyStore } from '../../functions/aws/ssm-policy-store';
import { decidePreflight } from '../../functions/core';
import { startMoto, type MotoServer } from '../../scripts/lib/moto';
import { putPolicies, seedingClient, useMoto } from '../support/moto-ssm';
import { basePolicy, preflight } from '../support/policies';

const PATH = '/test/ssm-outage-int/api';
const TTL_S = 5;

let moto: MotoServer | undefined;
let seed: SSMClient | undefined;
const savedSwitch = process.env.CORS_SSM_CLIENT;

async function startSeededMoto(): Promise<void> {
  moto = await startMoto();
  useMoto(moto.endpoint);
  seed = seedingClient(moto.endpoint);
  await putPolicies(seed, {
    [`${PATH}/orders`]: basePolicy({ route: '/orders' }),
    [`${PATH}/users`]: basePolicy({ route: '/users/{id}', allowOrigins: ['https://admin.example.com'] }),
  });
}

function storeFor() {
  const clock = { t: 0 };
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ service: 'test', env: {}, write: (line) => logs.push(JSON.parse(line)) });
  const store = new SsmPolicyStore({ config: { policyPath: PATH, ttlSeconds: TTL_S, loadBudgetMs: 3000 }, logger, now: () => clock.t, random: () => 0 });
  return { store, clock, logs };
}

describe.each<[string, 'light' | 'sdk']>([
  ['the light signed client', 'light'],
  ['the full SDK client', 'sdk'],
])('with %s', (_label, kind) => {
  beforeAll(async () => {
    if (kind === 'sdk') process.env.CORS_SSM_CLIENT = 'sdk';
    else delete process.env.CORS_SSM_CLIENT;
    await startSeededMoto();
  });

  afterAll(async () => {
    seed?.destroy();
    await moto?.stop();
    if (savedSwitch === undefined) delete process.env.CORS_SSM_CLIENT;
    else process.env.CORS_SSM_CLIENT = savedSwitch;
  });

  test('moto stopped mid-run: the last good table keeps serving and the failure is logged; a cold store denies', async () => {
    const warm = storeFor();
    const loaded = await warm.store.current();
    expect(warm.store.clientKind).toBe(kind);
    expect(decidePreflight(loaded, preflight({ path: '/orders' })).kind).toBe('allowed');

    await moto!.stop();

    // Past the TTL the store must try Parameter Store again, fail, and keep the table it had.
    warm.clock.t = TTL_S * 1000;
    const after = await warm.store.current();
    expect(after).toBe(loaded);
    expect(warm.store.stats.failedRefreshes).toBe(1);
    expect(decidePreflight(after, preflight({ path: '/orders' })).kind).toBe('allowed');
    expect(decidePreflight(after, preflight({ path: '/users/1', origin: 'https://admin.example.com' })).kind).toBe('allowed');
    expect(decidePreflight(after, preflight({ path: '/users/1', origin: 'https://evil.example.net' })).kind).toBe('denied');
    const errors = warm.logs.filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ policyPath: PATH, consecutiveFailures: 1 });
    expect(errors[0]!.error).toBeDefined();

    // Requests during the backoff are served from memory without another attempt.
    const callsBefore = warm.store.stats.ssmCalls;
    await warm.store.current();
    expect(warm.store.stats.ssmCalls).toBe(callsBefore);

    // A container started during the outage has nothing to serve: it denies and says why.
    const cold = storeFor();
    const none = await cold.store.current();
    expect(none).toBeUndefined();
    expect(decidePreflight(none, preflight({ path: '/orders' }))).toMatchObject({ kind: 'denied', reason: 'no_policies_loaded' });
    expect(cold.logs.filter((l) => l.level === 'ERROR')).toHaveLength(1);
  });

  test('a Parameter Store that accepts connections but never answers costs at most the load budget', async () => {
    // A loopback server that swallows requests: the real client must give up, not wait for Lambda's timeout.
    const { createServer } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    useMoto(`http://127.0.0.1:${port}`);
    try {
      const clock = { t: 0 };
      const logs: Array<Record<string, unknown>> = [];
      const logger = createLogger({ service: 'test', env: {}, write: (line) => logs.push(JSON.parse(line)) });
      const store = new SsmPolicyStore({ config: { policyPath: PATH, ttlSeconds: TTL_S, loadBudgetMs: 500 }, logger, now: () => clock.t, random: () => 0 });
      await expect(store.current()).resolves.toBeUndefined();
      expect(store.clientKind).toBe(kind);
      expect(store.stats.failedRefreshes).toBe(1);
      expect(sockets.size).toBeGreaterThan(0);
      expect(logs.filter((l) => l.level === 'ERROR')).toHaveLength(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
