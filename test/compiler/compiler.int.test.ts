/**
 * The compiler against moto (SSM and S3 through the real SDK clients): every
 * scenario of issue 21 that ends in the snapshot object. Faults are injected
 * by wrapping the real senders (a page hook that deletes a parameter in the
 * middle of a listing, a history reader that throttles one parameter, an S3
 * write held back until another run has written).
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterHistoryCommand, GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createLogger } from '../../functions/aws/logger';
import { readParameterHistory } from '../../functions/aws/parameter-history';
import { listParametersByPath } from '../../functions/aws/parameters-by-path';
import { HistoryCache } from '../../functions/aws/policy-compile';
import { readCompilerConfig } from '../../functions/compiler/config';
import { handler, resetCompiler } from '../../functions/compiler/handler';
import { compileSnapshot, type CompilerDeps } from '../../functions/compiler/run';
import { s3SnapshotObjects, type SnapshotObjects } from '../../functions/compiler/snapshot-object';
import { decidePreflight } from '../../functions/core';
import { compilePolicySet } from '../../functions/core/policy-set';
import { parseSnapshot, snapshotEntries, type PolicySnapshot } from '../../functions/core/snapshot';
import { lambdaContext, startResponseServer, type ResponseServer } from '../deploy/cfn';
import { basePolicy, preflight } from '../support/policies';
import { useSnapshotMoto } from '../support/moto-s3';
import { deleteParameter, putPolicies } from '../support/moto-ssm';

jest.setTimeout(120_000);

const ROOT = '/test/compiler-int';
const BUCKET = 'compiler-int-snapshots';
const moto = useSnapshotMoto(BUCKET);

let counter = 0;
const freshPath = (label: string) => `${ROOT}/${label}${++counter}`;
const keyOf = (path: string) => `snapshots${path}.json`;

async function readSnapshot(key: string): Promise<PolicySnapshot> {
  const out = await moto.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return parseSnapshot(await out.Body!.transformToString());
}

interface Options {
  /** Runs after each GetParametersByPath page is answered, with the page's number in this run. */
  onPage?: (page: number) => Promise<void> | void;
  /** Parameters whose GetParameterHistory is throttled. */
  throttled?: ReadonlySet<string>;
  objects?: (real: SnapshotObjects) => SnapshotObjects;
  cache?: HistoryCache;
}

/** The compiler's dependencies with the real SDK clients against moto, and the faults asked for. */
function depsFor(path: string, options: Options = {}): { deps: CompilerDeps; logs: Array<Record<string, unknown>>; stats: { pages: number; history: number } } {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ service: 'cors-compiler', env: { LOG_LEVEL: 'DEBUG' }, write: (line) => logs.push(JSON.parse(line)) });
  const config = readCompilerConfig({ CORS_POLICY_PATH: path, CORS_SNAPSHOT_BUCKET: BUCKET, CORS_SNAPSHOT_KEY: keyOf(path) });
  const real = s3SnapshotObjects(moto.s3, BUCKET, config.key);
  const stats = { pages: 0, history: 0 };
  const deps: CompilerDeps = {
    config,
    logger,
    objects: options.objects ? options.objects(real) : real,
    sendPage: async (input) => {
      const page = await moto.seed.send(new GetParametersByPathCommand(input));
      stats.pages++;
      await options.onPage?.(stats.pages);
      return page;
    },
    readHistory: (name) =>
      readParameterHistory(name, async (input) => {
        stats.history++;
        if (options.throttled?.has(name)) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
        return moto.seed.send(new GetParameterHistoryCommand(input));
      }),
    historyCache: options.cache ?? new HistoryCache(),
  };
  return { deps, logs, stats };
}

const policy = (route: string, origin: string) => basePolicy({ route, allowOrigins: [origin] });
const byName = (snapshot: PolicySnapshot, name: string) => snapshot.parameters.find((p) => p.name === name);
/** What an instance answers from the snapshot, as the instances compile it. */
const answers = (snapshot: PolicySnapshot, route: string, origin: string) =>
  decidePreflight(compilePolicySet(snapshotEntries(snapshot)), preflight({ path: route, origin })).kind;

test('an edit: the next run writes sequence + 1 with the new value, logs which parameter changed from which version to which', async () => {
  const path = freshPath('edit');
  await putPolicies(moto.seed, {
    [`${path}/orders`]: policy('/orders', 'https://old.example.com'),
    [`${path}/users`]: policy('/users', 'https://u.example.com'),
  });
  const first = depsFor(path);
  const r1 = await compileSnapshot(first.deps, { kind: 'change' });
  expect(r1).toMatchObject({ outcome: 'written', sequence: 1, parameters: 2, invalidParameters: 0 });
  await putPolicies(moto.seed, { [`${path}/orders`]: policy('/orders', 'https://new.example.com') });
  const second = depsFor(path);
  const r2 = await compileSnapshot(second.deps, { kind: 'change', name: `${path}/orders`, operation: 'Update' });
  expect(r2).toMatchObject({ outcome: 'written', sequence: 2, previousSequence: 1 });
  const snapshot = await readSnapshot(keyOf(path));
  expect(snapshot.sequence).toBe(2);
  expect(byName(snapshot, `${path}/orders`)).toMatchObject({ version: 2, status: 'current', servedVersion: 2 });
  expect(answers(snapshot, '/orders', 'https://new.example.com')).toBe('allowed');
  expect(answers(snapshot, '/orders', 'https://old.example.com')).toBe('denied');
  expect(Date.parse(snapshot.listedAt)).toBeLessThanOrEqual(Date.parse(snapshot.writtenAt));
  const changed = second.logs.filter((l) => l.message === 'policy changed');
  expect(changed).toEqual([expect.objectContaining({ parameter: `${path}/orders`, change: 'changed', fromVersion: 1, toVersion: 2, sequence: 2 })]);
  // Nothing changed: a change event writes nothing; a scheduled run writes (the heartbeat that moves listedAt).
  const r3 = await compileSnapshot(depsFor(path).deps, { kind: 'change' });
  expect(r3).toMatchObject({ outcome: 'unchanged', sequence: 2, changes: [] });
  const r4 = await compileSnapshot(depsFor(path).deps, { kind: 'schedule' });
  expect(r4).toMatchObject({ outcome: 'written', sequence: 3, changes: [] });
  expect(Date.parse((await readSnapshot(keyOf(path))).listedAt)).toBeGreaterThanOrEqual(Date.parse(snapshot.listedAt));
});

test('an invalid edit: the newest valid earlier version serves, with the reason, and the parameter is counted invalid', async () => {
  const path = freshPath('invalid');
  const name = `${path}/orders`;
  await putPolicies(moto.seed, { [name]: policy('/orders', 'https://v1.example.com') });
  await putPolicies(moto.seed, { [name]: policy('/orders', 'https://v2.example.com') });
  await putPolicies(moto.seed, { [name]: basePolicy({ route: '/orders', allowOrigins: ['https://*.com'] }) });
  const { deps, logs } = depsFor(path);
  const result = await compileSnapshot(deps, { kind: 'change' });
  expect(result.invalidParameters).toBe(1);
  const snapshot = await readSnapshot(keyOf(path));
  expect(byName(snapshot, name)).toMatchObject({ version: 3, status: 'earlier-version', servedVersion: 2, reason: expect.stringContaining('public suffix') });
  expect(answers(snapshot, '/orders', 'https://v2.example.com')).toBe('allowed');
  expect(answers(snapshot, '/orders', 'https://evil.com')).toBe('denied');
  expect(logs.find((l) => l.message === 'invalid policy parameter')).toMatchObject({ parameter: name, status: 'earlier-version', servedVersion: 2 });
});

test('a delete during the paging of a listing never drops an unrelated policy (moto pages by offset)', async () => {
  const path = freshPath('paging');
  const names = Array.from({ length: 12 }, (_, i) => `${path}/p${10 + i}`);
  await putPolicies(moto.seed, Object.fromEntries(names.map((n, i) => [n, policy(`/p${10 + i}`, 'https://shop.example.com')])));
  // The control, on a copy of the path: one plain listing with the same delete after its first page misses a parameter nobody touched.
  const control = `${path}-control`;
  await putPolicies(moto.seed, Object.fromEntries(names.map((n, i) => [n.replace(path, control), policy(`/p${10 + i}`, 'https://shop.example.com')])));
  let pages = 0;
  const plain = await listParametersByPath(control, async (input) => {
    const page = await moto.seed.send(new GetParametersByPathCommand(input));
    if (++pages === 1) await deleteParameter(moto.seed, `${control}/p10`);
    return page;
  });
  // p10 was listed before its delete; the delete moved the offset, so p20 was skipped.
  expect(plain.map((p) => p.name)).toEqual([...names.slice(0, 10), names[11]!].map((n) => n.replace(path, control)));

  const { deps } = depsFor(path, {
    onPage: async (page) => {
      if (page === 1) await deleteParameter(moto.seed, `${path}/p10`);
    },
  });
  const result = await compileSnapshot(deps, { kind: 'change', name: `${path}/p10`, operation: 'Delete' });
  expect(result.listings).toBeGreaterThanOrEqual(3);
  const snapshot = await readSnapshot(keyOf(path));
  expect(snapshot.parameters.map((p) => p.name)).toEqual(names.slice(1));
});

test('throttled history: the others still update, the unreadable one serves its previous snapshot value; the result is deterministic', async () => {
  const path = freshPath('throttled');
  const broken = `${path}/broken`;
  const users = `${path}/users`;
  await putPolicies(moto.seed, { [broken]: policy('/broken', 'https://b1.example.com'), [users]: policy('/users', 'https://old.example.com') });
  await putPolicies(moto.seed, { [broken]: '{oops' });
  await compileSnapshot(depsFor(path).deps, { kind: 'schedule' });
  expect(byName(await readSnapshot(keyOf(path)), broken)).toMatchObject({ status: 'earlier-version', servedVersion: 1 });

  // Another invalid version (a history read is due) and a revocation on the other policy, with history throttled.
  await putPolicies(moto.seed, { [broken]: '{still broken', [users]: policy('/users', 'https://new.example.com') });
  const throttled = new Set([broken]);
  const run = depsFor(path, { throttled });
  const result = await compileSnapshot(run.deps, { kind: 'change' });
  expect(result.outcome).toBe('written');
  const snapshot = await readSnapshot(keyOf(path));
  expect(byName(snapshot, broken)).toMatchObject({
    version: 3,
    status: 'previous-snapshot',
    servedVersion: 1,
    reason: expect.stringContaining('ThrottlingException'),
  });
  expect(answers(snapshot, '/users', 'https://new.example.com')).toBe('allowed');
  expect(answers(snapshot, '/users', 'https://old.example.com')).toBe('denied');
  expect(answers(snapshot, '/broken', 'https://b1.example.com')).toBe('allowed');
  // Compiling again under the same throttling gives the same parameters (nothing to write).
  expect(await compileSnapshot(depsFor(path, { throttled }).deps, { kind: 'change' })).toMatchObject({ outcome: 'unchanged', sequence: snapshot.sequence });

  // With no previous snapshot value for it, the unreadable parameter is rejected, with the reason.
  const otherKey = depsFor(path, { throttled });
  const fresh: CompilerDeps = { ...otherKey.deps, objects: s3SnapshotObjects(moto.s3, BUCKET, `${keyOf(path)}.fresh`) };
  await compileSnapshot(fresh, { kind: 'manual' });
  expect(byName(await readSnapshot(`${keyOf(path)}.fresh`), broken)).toMatchObject({
    status: 'rejected',
    reason: expect.stringContaining('could not be read'),
  });
  // Once history answers, the newest valid version serves again.
  await compileSnapshot(depsFor(path).deps, { kind: 'change' });
  expect(byName(await readSnapshot(keyOf(path)), broken)).toMatchObject({ status: 'earlier-version', servedVersion: 1 });
});

test("a burst of change events: an event older than the snapshot's listing lists nothing; a newer one compiles", async () => {
  const path = freshPath('burst');
  await putPolicies(moto.seed, { [`${path}/a`]: policy('/a', 'https://a1.example.com') });
  const before = new Date(Date.now() - 5000).toISOString();
  await compileSnapshot(depsFor(path).deps, { kind: 'manual' });
  await putPolicies(moto.seed, { [`${path}/a`]: policy('/a', 'https://a2.example.com') });
  const covered = depsFor(path);
  expect(await compileSnapshot(covered.deps, { kind: 'change', name: `${path}/a`, time: before })).toMatchObject({ outcome: 'covered', sequence: 1 });
  expect(covered.stats.pages).toBe(0);
  const fresh = depsFor(path);
  expect(await compileSnapshot(fresh.deps, { kind: 'change', name: `${path}/a`, time: new Date().toISOString() })).toMatchObject({
    outcome: 'written',
    sequence: 2,
  });
  expect(fresh.stats.pages).toBeGreaterThanOrEqual(2);
});

test('two compilers at once: both finish, sequences strictly increase, no update is lost', async () => {
  const path = freshPath('concurrent');
  await putPolicies(moto.seed, { [`${path}/a`]: policy('/a', 'https://a1.example.com'), [`${path}/b`]: policy('/b', 'https://b1.example.com') });
  await compileSnapshot(depsFor(path).deps, { kind: 'manual' });

  // Forced interleaving: A lists (sees the edit of a), is held before its write; the edit of b lands; B runs whole; A's write is refused (412) and A starts over.
  await putPolicies(moto.seed, { [`${path}/a`]: policy('/a', 'https://a2.example.com') });
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reachedWrite: () => void = () => undefined;
  const atWrite = new Promise<void>((resolve) => {
    reachedWrite = resolve;
  });
  let writes = 0;
  const a = depsFor(path, {
    objects: (real) => ({
      ...real,
      read: () => real.read(),
      remove: () => real.remove(),
      async write(body, etag) {
        if (++writes === 1) {
          reachedWrite();
          await held;
        }
        return real.write(body, etag);
      },
    }),
  });
  const runA = compileSnapshot(a.deps, { kind: 'change' });
  await atWrite;
  await putPolicies(moto.seed, { [`${path}/b`]: policy('/b', 'https://b2.example.com') });
  const resultB = await compileSnapshot(depsFor(path).deps, { kind: 'change' });
  release();
  const resultA = await runA;
  expect(resultB).toMatchObject({ outcome: 'written', sequence: 2 });
  expect(resultA.attempts).toBe(2);
  expect(a.logs.some((l) => l.message === 'snapshot write lost a race; compiling again from a fresh listing')).toBe(true);
  // A's second attempt found B's snapshot already saying everything: nothing lost, nothing rolled back.
  expect(resultA).toMatchObject({ outcome: 'unchanged', sequence: 2 });
  let snapshot = await readSnapshot(keyOf(path));
  expect(answers(snapshot, '/a', 'https://a2.example.com')).toBe('allowed');
  expect(answers(snapshot, '/b', 'https://b2.example.com')).toBe('allowed');

  // Truly at once, after two more edits: both finish, and the final snapshot holds both edits.
  await putPolicies(moto.seed, { [`${path}/a`]: policy('/a', 'https://a3.example.com'), [`${path}/b`]: policy('/b', 'https://b3.example.com') });
  const both = await Promise.all([compileSnapshot(depsFor(path).deps, { kind: 'change' }), compileSnapshot(depsFor(path).deps, { kind: 'schedule' })]);
  // Whichever writes first, the other's write is refused and it starts over: two writes never share a sequence.
  const written = both.filter((r) => r.outcome === 'written').map((r) => r.sequence);
  expect(new Set(written).size).toBe(written.length);
  expect(written.length).toBeGreaterThanOrEqual(1);
  const last = Math.max(...both.map((r) => r.sequence));
  expect(last).toBeGreaterThanOrEqual(3);
  snapshot = await readSnapshot(keyOf(path));
  expect(snapshot.sequence).toBe(last);
  expect(answers(snapshot, '/a', 'https://a3.example.com')).toBe('allowed');
  expect(answers(snapshot, '/b', 'https://b3.example.com')).toBe('allowed');
});

describe('the handler', () => {
  const event = (file: string) => JSON.parse(readFileSync(join(__dirname, 'events', file), 'utf8')) as Record<string, unknown>;
  let logged: string[] = [];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    resetCompiler();
    logged = [];
    spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    }) as typeof process.stdout.write);
  });
  afterEach(() => spy.mockRestore());
  const lines = () =>
    logged
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  function configure(path: string, extra: Record<string, string> = {}): void {
    process.env.CORS_POLICY_PATH = path;
    process.env.CORS_SNAPSHOT_BUCKET = BUCKET;
    process.env.CORS_SNAPSHOT_KEY = keyOf(path);
    delete process.env.CORS_SNAPSHOT_DELETE_ON_STACK_DELETE;
    Object.assign(process.env, extra);
  }

  test('a late event never rolls the snapshot back: it recompiles the current state', async () => {
    const path = freshPath('late');
    const name = `${path}/orders`;
    configure(path);
    await putPolicies(moto.seed, { [name]: policy('/orders', 'https://v1.example.com') });
    const change = () => ({ ...event('parameter-store-change.json'), time: new Date().toISOString(), detail: { name, type: 'String', operation: 'Update' } });
    await handler(change(), lambdaContext());
    await putPolicies(moto.seed, { [name]: policy('/orders', 'https://v2.example.com') });
    expect(await handler(change(), lambdaContext())).toMatchObject({ outcome: 'written', sequence: 2 });
    // The event of version 1 arrives last (events are best effort and unordered): older than the
    // snapshot's listing, it lists nothing; without a time it recompiles and finds nothing to write.
    const late = { ...change(), time: '2020-01-01T00:00:00Z', detail: { name, type: 'String', operation: 'Create' } };
    expect(await handler(late, lambdaContext())).toMatchObject({ outcome: 'covered', sequence: 2 });
    const { time: _dropped, ...untimed } = late;
    expect(await handler(untimed, lambdaContext())).toMatchObject({ outcome: 'unchanged', sequence: 2 });
    const snapshot = await readSnapshot(keyOf(path));
    expect(snapshot.sequence).toBe(2);
    expect(answers(snapshot, '/orders', 'https://v2.example.com')).toBe('allowed');
    expect(answers(snapshot, '/orders', 'https://v1.example.com')).toBe('denied');
    const summary = lines().filter((l) => l.message === 'snapshot compiled');
    expect(summary).toHaveLength(4);
    expect(summary[2]).toMatchObject({ outcome: 'covered', listings: 0, SnapshotCompiles: 1 });
    // EMF: the metric names and the service dimension the template's alarms use.
    expect(summary[1]).toMatchObject({
      service: 'cors-compiler',
      SnapshotCompiles: 1,
      SnapshotCompileFailures: 0,
      InvalidPolicyParameters: 0,
      PolicyChanges: 1,
      SnapshotBytes: expect.any(Number),
      _aws: { CloudWatchMetrics: [{ Namespace: 'ApigwCors', Dimensions: [['service']] }] },
    });
    expect(summary[3]).toMatchObject({ PolicyChanges: 0, trigger: { kind: 'change', operation: 'Create' } });
  });

  test('a scheduled event writes the heartbeat; an S3 failure is logged with SnapshotCompileFailures and rejects', async () => {
    const path = freshPath('scheduled');
    configure(path);
    await putPolicies(moto.seed, { [`${path}/orders`]: policy('/orders', 'https://v1.example.com') });
    expect(await handler(event('scheduled.json'), lambdaContext())).toMatchObject({ outcome: 'written', sequence: 1 });
    expect(await handler(event('scheduled.json'), lambdaContext())).toMatchObject({ outcome: 'written', sequence: 2 });
    resetCompiler();
    process.env.CORS_SNAPSHOT_BUCKET = 'no-such-bucket-here';
    await expect(handler(event('scheduled.json'), lambdaContext())).rejects.toThrow(/bucket/i);
    expect(lines().find((l) => l.message === 'snapshot compile failed; the previous snapshot keeps serving')).toMatchObject({
      SnapshotCompileFailures: 1,
      SnapshotCompiles: 0,
    });
  });

  test('throttled history through the real SDK client (a proxy answers ThrottlingException for one parameter): the others update', async () => {
    const path = freshPath('proxied');
    const broken = `${path}/broken`;
    const users = `${path}/users`;
    await putPolicies(moto.seed, { [broken]: policy('/broken', 'https://b1.example.com'), [users]: policy('/users', 'https://old.example.com') });
    configure(path);
    await handler(event('scheduled.json'), lambdaContext());
    await putPolicies(moto.seed, { [broken]: '{oops', [users]: policy('/users', 'https://new.example.com') });
    // Everything goes to moto except GetParameterHistory of the broken parameter, which is throttled on every attempt.
    let throttled = 0;
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.headers['x-amz-target'] === 'AmazonSSM.GetParameterHistory' && body.toString().includes(JSON.stringify(broken))) {
          throttled++;
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': 'ThrottlingException' });
          res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
          return;
        }
        const target = new URL(moto.endpoint);
        const up = httpRequest(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        up.on('error', () => res.destroy());
        up.end(body);
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      resetCompiler();
      process.env.AWS_ENDPOINT_URL_SSM = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const results = [
        await handler({ ...event('parameter-store-change.json'), time: new Date().toISOString() }, lambdaContext()),
        await handler({ ...event('parameter-store-change.json'), time: new Date().toISOString() }, lambdaContext()),
      ];
      expect(results).toEqual([
        { outcome: 'written', sequence: 2, changes: 2 },
        { outcome: 'unchanged', sequence: 2, changes: 0 },
      ]);
      expect(throttled).toBeGreaterThanOrEqual(2); // the SDK retried, then the run went on without it
    } finally {
      process.env.AWS_ENDPOINT_URL_SSM = moto.endpoint;
      resetCompiler();
      await new Promise<void>((done) => server.close(() => done()));
    }
    const snapshot = await readSnapshot(keyOf(path));
    expect(byName(snapshot, broken)).toMatchObject({ status: 'previous-snapshot', servedVersion: 1, reason: expect.stringContaining('ThrottlingException') });
    expect(answers(snapshot, '/users', 'https://new.example.com')).toBe('allowed');
    expect(answers(snapshot, '/users', 'https://old.example.com')).toBe('denied');
    expect(lines().find((l) => l.message === 'invalid policy parameter')).toMatchObject({ parameter: broken, status: 'previous-snapshot' });
  });

  test('invalid configuration: the error names the variable', async () => {
    configure(freshPath('config'));
    delete process.env.CORS_SNAPSHOT_BUCKET;
    await expect(handler(event('scheduled.json'), lambdaContext())).rejects.toThrow(/CORS_SNAPSHOT_BUCKET is not set/);
  });

  describe('custom resource (deploy-time run)', () => {
    let server: ResponseServer;
    beforeAll(async () => {
      server = await startResponseServer();
    });
    afterAll(() => server.close());
    beforeEach(() => server.reset());

    const cfn = (requestType: 'Create' | 'Update' | 'Delete', physicalId?: string) =>
      ({
        RequestType: requestType,
        ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:compiler',
        ResponseURL: `${server.url}/cfn-response?X-Amz-Signature=abc`,
        StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/shop-cors/0a1b2c3d',
        RequestId: `request-${requestType}`,
        LogicalResourceId: 'InitialSnapshot',
        ResourceType: 'Custom::PolicySnapshot',
        ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:compiler' },
        ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
        ...(requestType === 'Update' ? { OldResourceProperties: {} } : {}),
      }) as never;
    const exists = async (key: string) =>
      moto.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
        () => true,
        (err: { $metadata?: { httpStatusCode?: number } }) => (err.$metadata?.httpStatusCode === 404 ? false : Promise.reject(err)),
      );

    test('Create compiles and answers SUCCESS once; Delete answers SUCCESS and keeps the snapshot unless told to delete it', async () => {
      const path = freshPath('cfn');
      configure(path);
      await putPolicies(moto.seed, { [`${path}/orders`]: policy('/orders', 'https://v1.example.com') });
      await handler(cfn('Create'), lambdaContext());
      expect(server.received).toHaveLength(1);
      const created = server.received[0]!.body;
      expect(created).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: `s3://${BUCKET}/${keyOf(path)}`,
        Data: { Bucket: BUCKET, Key: keyOf(path), Sequence: '1', Outcome: 'written' },
      });
      expect((await readSnapshot(keyOf(path))).parameters).toHaveLength(1);

      await handler(cfn('Update', created.PhysicalResourceId), lambdaContext());
      expect(server.received[1]!.body).toMatchObject({ Status: 'SUCCESS', Data: { Sequence: '1', Outcome: 'unchanged' } });

      await handler(cfn('Delete', created.PhysicalResourceId), lambdaContext());
      expect(server.received[2]!.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.PhysicalResourceId });
      expect(await exists(keyOf(path))).toBe(true);

      resetCompiler();
      process.env.CORS_SNAPSHOT_DELETE_ON_STACK_DELETE = 'true';
      await handler(cfn('Delete', created.PhysicalResourceId), lambdaContext());
      expect(server.received[3]!.body).toMatchObject({ Status: 'SUCCESS' });
      expect(await exists(keyOf(path))).toBe(false);
    });

    test('Create fails with a reason CloudFormation shows when the snapshot cannot be written; a failed Create is deleted without touching S3', async () => {
      const path = freshPath('cfnfail');
      configure(path, { CORS_SNAPSHOT_BUCKET: 'no-such-bucket-here', CORS_SNAPSHOT_DELETE_ON_STACK_DELETE: 'true' });
      await putPolicies(moto.seed, { [`${path}/orders`]: policy('/orders', 'https://v1.example.com') });
      await handler(cfn('Create'), lambdaContext());
      expect(server.received).toHaveLength(1);
      expect(server.received[0]!.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/NoSuchBucket|bucket/i) });
      await handler(cfn('Delete', 'InitialSnapshot-request-Create'), lambdaContext());
      expect(server.received[1]!.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'InitialSnapshot-request-Create' });
    });

    test('a configuration error answers FAILED naming the variable, never leaving CloudFormation waiting', async () => {
      configure(freshPath('cfnconfig'), { CORS_SNAPSHOT_KEY: '/leading-slash.json' });
      await handler(cfn('Create'), lambdaContext());
      expect(server.received[0]!.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('CORS_SNAPSHOT_KEY') });
    });
  });
});

test('an object this build cannot read is replaced with a higher sequence, never a lower one', async () => {
  const path = freshPath('unknown');
  await putPolicies(moto.seed, { [`${path}/orders`]: policy('/orders', 'https://v1.example.com') });
  await moto.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: keyOf(path), Body: JSON.stringify({ format: 99, sequence: 41 }) }));
  const { deps, logs } = depsFor(path);
  expect(await compileSnapshot(deps, { kind: 'change' })).toMatchObject({ outcome: 'written', sequence: 42 });
  expect(logs.some((l) => l.message === 'previous snapshot unreadable; it will be replaced')).toBe(true);
});
