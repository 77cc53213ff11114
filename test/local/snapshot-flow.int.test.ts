// The local stack runs the stack's snapshot design: the local Parameter Store emits
// Parameter Store Change events for the writes that pass through it, the BUILT compiler
// turns them into one snapshot object in moto's S3, and both BUILT functions read only
// that object. An edit reaches the preflight answer through the compiler.
import { startLocalStack, type LocalStack } from '../../scripts/local/stack';

jest.setTimeout(180_000);

const TTL_SECONDS = 5;
const OTHER_ORIGIN = 'http://127.0.0.1:3001';

async function preflight(stack: LocalStack, origin: string): Promise<number> {
  const res = await fetch(`${stack.urls.api}/products/42`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' } });
  await res.arrayBuffer();
  return res.status;
}

async function until<T>(what: () => Promise<T>, done: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const products = (origins: string[]) => ({ route: ['/products', '/products/{id}'], allowOrigins: origins, allowMethods: ['GET', 'PUT'] });

describe('local stack, snapshot mode (the default)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      ...(process.env.MOTO_ENDPOINT ? { motoEndpoint: process.env.MOTO_ENDPOINT } : {}),
      policiesDir: null,
      policyPath: `/test/local-snapshot/${process.pid}`,
      ttlSeconds: TTL_SECONDS,
      scheduleSeconds: 0,
    });
  });
  afterAll(() => stack?.stop());

  test('an edit reaches the preflight answer through a change event, the compiler and the snapshot; the functions never call Parameter Store', async () => {
    expect(stack.mode).toBe('snapshot');
    const compiler = stack.snapshot!.compiler;
    // The deploy-time run (a CloudFormation Create of Custom::PolicySnapshot, answered SUCCESS)
    // happened before the gateway opened, on an empty path.
    expect(compiler.runs.map((r) => [r.trigger, r.ok])).toEqual([['deploy', true]]);
    expect(compiler.deployAnswer).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `s3://${stack.snapshot!.bucket}/${stack.snapshot!.key}`,
      Data: { Bucket: stack.snapshot!.bucket, Key: stack.snapshot!.key, Sequence: '1' },
    });
    expect(await preflight(stack, 'http://localhost:3001')).toBe(403);

    await stack.putPolicy('products', products(['http://localhost:*']));
    const allowed = await until(
      () => preflight(stack, 'http://localhost:3001'),
      (s) => s === 204,
      (TTL_SECONDS + 10) * 1000,
    );
    expect(allowed).toBe(204);
    expect(compiler.runs.filter((r) => r.trigger === 'change').map((r) => [r.name, r.ok])).toEqual([[`${stack.policyPath}/products`, true]]);

    // An edit that widens the policy: the other origin flips from 403 to 204 the same way.
    expect(await preflight(stack, OTHER_ORIGIN)).toBe(403);
    await stack.putPolicy('products', products(['http://localhost:*', 'http://127.0.0.1:*']));
    expect(
      await until(
        () => preflight(stack, OTHER_ORIGIN),
        (s) => s === 204,
        (TTL_SECONDS + 10) * 1000,
      ),
    ).toBe(204);

    expect(stack.parameterStore.calls({ app: 'cors-preflight' })).toBe(0);
    expect(stack.parameterStore.calls({ app: 'example-api' })).toBe(0);
    expect(stack.parameterStore.calls({ app: 'cors-compiler', operation: 'GetParametersByPath' })).toBeGreaterThanOrEqual(3);
    // Downloads only when the snapshot changed: its first version, then the two edits (at most one per TTL).
    const s3 = stack.snapshot!.s3.preflight;
    expect(s3.calls({ method: 'GET', status: 200 })).toBeGreaterThanOrEqual(2);
    expect(s3.calls({ method: 'GET', status: 200 })).toBeLessThanOrEqual(3);
    expect(s3.calls({ method: 'PUT' })).toBe(0);
    // What each role is granted in template.yaml is what they use here: instances only GET the object;
    // the compiler only lists (and reads history) in Parameter Store, and GETs and PUTs the object.
    for (const fn of ['preflight', 'api'] as const) expect(Object.keys(stack.snapshot!.s3[fn].snapshot()).every((k) => k.startsWith('GET '))).toBe(true);
    expect(Object.keys(stack.parameterStore.snapshot()['cors-compiler'] ?? {}).sort()).toEqual(['GetParametersByPath']);
    expect(new Set(Object.keys(stack.snapshot!.s3.compiler.snapshot()).map((k) => k.split(' ')[0]))).toEqual(new Set(['GET', 'PUT']));
  });

  test('a write outside PolicyPath/ (a sibling path sharing the prefix) does not run the compiler', async () => {
    await stack.snapshot!.compiler.idle();
    const before = stack.snapshot!.compiler.runs.length;
    const { putPolicy } = await import('../../scripts/local/policies');
    await putPolicy(`${stack.policyPath}-other/products`, products(['*']), stack.env);
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.snapshot!.compiler.runs.length).toBe(before);
    expect(stack.snapshot!.compiler.busy).toBe(0);
  });
});

describe('local stack, direct mode', () => {
  test('no compiler, no snapshot: the preflight function lists the path itself', async () => {
    const stack = await startLocalStack({
      ...(process.env.MOTO_ENDPOINT ? { motoEndpoint: process.env.MOTO_ENDPOINT } : {}),
      policiesDir: null,
      policyPath: `/test/local-direct/${process.pid}`,
      ttlSeconds: TTL_SECONDS,
      mode: 'direct',
    });
    try {
      expect(stack.snapshot).toBeUndefined();
      expect(stack.functions.compiler).toBeUndefined();
      await stack.putPolicy('products', products(['http://localhost:*']));
      expect(await preflight(stack, 'http://localhost:3001')).toBe(204);
      expect(stack.parameterStore.calls({ app: 'cors-preflight', operation: 'GetParametersByPath' })).toBeGreaterThanOrEqual(1);
    } finally {
      await stack.stop();
    }
  });
});
