// Instances in snapshot mode, through the BUILT artefacts (dist/preflight's
// ES module entry, which reads the snapshot in its init, and the layer's
// package) against moto: S3 traffic goes through a fault proxy that counts
// every request, Parameter Store traffic through another. Each instance is
// its own Node process (test/support/bundle-instance.ts); its clock is moved
// forward by a TTL instead of waited for.
import { existsSync } from 'node:fs';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { serializeSnapshot, type PolicySnapshot } from '../../functions/core/snapshot';
import { motoEnv } from '../../scripts/lib/moto';
import { v1Event } from '../support/apigw-events';
import { BundleInstance, LAYER_PACKAGE, PREFLIGHT_BUNDLE } from '../support/bundle-instance';
import { globalMotoEndpoint, putPolicies, seedingClient } from '../support/moto-ssm';
import { FaultProxy } from '../reliability/support/fault-proxy';

const BUCKET = 'cors-snapshot-fleet-test';
const PREFIX = '/test/snapshot-fleet/api';
// Long enough that real time passing on a loaded machine never adds a refresh the test did not move the clock for.
const TTL_S = 30;

/** One instance in snapshot mode: the preflight function, or an API function wrapped with the layer's withCors. */
class Instance extends BundleInstance {
  constructor(kind: 'preflight' | 'layer', env: Record<string, string>) {
    super(
      kind,
      {
        ...motoEnv(ssm.endpoint),
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        CORS_POLICY_PATH: PREFIX,
        CORS_POLICY_TTL_SECONDS: String(TTL_S),
        CORS_POLICY_LOAD_BUDGET_MS: '1500',
        CORS_SNAPSHOT_BUCKET: BUCKET,
        CORS_METRICS_FLUSH_SECONDS: '0',
        ...env,
      },
      'snapshot-fleet',
    );
    started.push(this);
  }
}

const preflight = (origin: string, path = '/products/42') =>
  v1Event({ path, pathParameters: { proxy: path.slice(1) }, resource: '/{proxy+}', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' } });
const actualGet = (origin: string) =>
  v1Event({ httpMethod: 'GET', path: '/products/42', pathParameters: { proxy: 'products/42' }, resource: '/{proxy+}', headers: { Origin: origin } });
const policy = (origin: string) => JSON.stringify({ route: '/products/{id}', allowOrigins: [origin], allowMethods: ['GET', 'PUT'] });

function snapshot(sequence: number, origin: string, listedAt = Date.now(), format = 1): string {
  return serializeSnapshot({
    format,
    sequence,
    policyPath: PREFIX,
    listedAt: new Date(listedAt).toISOString(),
    writtenAt: new Date(listedAt + 200).toISOString(),
    parameters: [{ name: `${PREFIX}/products`, version: sequence, status: 'current', servedVersion: sequence, value: policy(origin) }],
  } as unknown as PolicySnapshot);
}

let s3: FaultProxy;
let ssm: FaultProxy;
let bucket: S3Client;
let seed: SSMClient;
const started: Instance[] = [];
const put = (key: string, body: string) => bucket.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'application/json' }));
const DEFAULT_KEY = `cors-snapshots${PREFIX}.json`;

beforeAll(async () => {
  for (const f of [PREFLIGHT_BUNDLE, LAYER_PACKAGE]) if (!existsSync(f)) throw new Error(`${f} is missing: run node scripts/build.mjs first`);
  const endpoint = globalMotoEndpoint();
  s3 = await FaultProxy.start(endpoint);
  ssm = await FaultProxy.start(endpoint);
  bucket = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await bucket.send(new CreateBucketCommand({ Bucket: BUCKET }));
  seed = seedingClient(endpoint);
  // Parameter Store says something else than the snapshots, so an answer shows where it came from.
  await putPolicies(seed, { [`${PREFIX}/products`]: policy('https://from-parameter-store.example.com') });
}, 60_000);

afterEach(async () => {
  await s3.heal();
  await ssm.heal();
});

afterAll(async () => {
  for (const i of started) i.stop();
  bucket?.destroy();
  seed?.destroy();
  await s3?.stop();
  await ssm?.stop();
});

test('N instances (preflight and layer) make no Parameter Store call, cold starts included, and at most one S3 read per TTL; an edit reaches all within a TTL', async () => {
  await put(DEFAULT_KEY, snapshot(1, 'https://one.example.com'));
  const s3Before = s3.stats.requests;
  const ssmBefore = ssm.stats.requests;
  const fleet = [...Array.from({ length: 3 }, () => new Instance('preflight', {})), ...Array.from({ length: 2 }, () => new Instance('layer', {}))];
  const preflights = Array.from({ length: 10 }, () => preflight('https://one.example.com'));
  const gets = Array.from({ length: 10 }, () => actualGet('https://one.example.com'));
  const events = (i: Instance) => (fleet.indexOf(i) < 3 ? preflights : gets);
  for (const i of fleet) {
    const answers = await i.invoke(events(i));
    for (const a of answers) expect(a.headers['Access-Control-Allow-Origin']).toBe('https://one.example.com');
  }
  // Within the TTL: many requests, no read.
  for (const i of fleet) await i.invoke(events(i), 2000);
  expect(s3.stats.requests - s3Before).toBe(fleet.length);

  await put(DEFAULT_KEY, snapshot(2, 'https://two.example.com'));
  const ttls = 4;
  for (let round = 0; round < ttls; round++) {
    for (const i of fleet) {
      const answers = await i.invoke(events(i), TTL_S * 1000);
      for (const a of answers) expect(a.headers['Access-Control-Allow-Origin']).toBeUndefined();
    }
  }
  // Each instance: one read at cold start, then exactly one per TTL moved (jittered refreshes fall within 90-100% of it).
  expect(s3.stats.requests - s3Before).toBe(fleet.length * (1 + ttls));
  expect(ssm.stats.requests - ssmBefore).toBe(0);
  const last = await Promise.all(
    fleet.map((i) => i.invoke([fleet.indexOf(i) < 3 ? preflight('https://two.example.com') : actualGet('https://two.example.com')])),
  );
  for (const [a] of last) expect(a!.headers['Access-Control-Allow-Origin']).toBe('https://two.example.com');
  // 304s after the first download of version 2, counted on the metrics lines.
  const sum = (i: Instance, name: string) => i.logs.reduce((n, l) => n + (typeof l[name] === 'number' ? (l[name] as number) : 0), 0);
  for (const i of fleet) {
    expect(sum(i, 'SnapshotDownloads')).toBe(2);
    expect(sum(i, 'SnapshotNotModified')).toBe(ttls - 1);
    expect(sum(i, 'SnapshotFallbacks')).toBe(0);
  }
  process.stderr.write(`snapshot fleet: ${fleet.length} instances, ${s3.stats.requests - s3Before} S3 reads over ${ttls} TTLs, 0 Parameter Store calls\n`);
}, 120_000);

test.each([
  ['S3 500', () => s3.inject({ kind: 'html', status: 500 })],
  ['S3 503', () => s3.inject({ kind: 'error', status: 503, type: 'SlowDown' })],
  ['S3 hang', () => s3.inject({ kind: 'hang' })],
])(
  '%s keeps the last snapshot (no Parameter Store call), and the next good read takes the new one',
  async (_name, fault) => {
    const key = `faults/${_name.replace(/\W/g, '-')}.json`;
    await put(key, snapshot(1, 'https://one.example.com'));
    const i = new Instance('preflight', { CORS_SNAPSHOT_KEY: key });
    expect((await i.invoke([preflight('https://one.example.com')]))[0]!.statusCode).toBe(204);
    await put(key, snapshot(2, 'https://two.example.com'));
    const ssmBefore = ssm.stats.requests;
    fault();
    const during = await i.invoke([preflight('https://one.example.com'), preflight('https://two.example.com')], TTL_S * 1000);
    expect(during.map((r) => r.statusCode)).toEqual([204, 403]);
    expect(i.messages()).toContain('policy snapshot read failed; serving the last good snapshot');
    await s3.heal();
    const after = await i.invoke([preflight('https://one.example.com'), preflight('https://two.example.com')], TTL_S * 1000);
    expect(after.map((r) => r.statusCode)).toEqual([403, 204]);
    expect(ssm.stats.requests - ssmBefore).toBe(0);
    expect(i.logs.some((l) => typeof l.SnapshotReadFailures === 'number' && (l.SnapshotReadFailures as number) > 0)).toBe(true);
  },
  60_000,
);

test('a missing snapshot (404) falls back to listing the path; a snapshot written later takes over again', async () => {
  const key = 'fallback/missing.json';
  const ssmBefore = ssm.stats.requests;
  const i = new Instance('preflight', { CORS_SNAPSHOT_KEY: key });
  const [cold] = await i.invoke([preflight('https://from-parameter-store.example.com')]);
  expect(cold!.statusCode).toBe(204);
  expect(ssm.stats.requests - ssmBefore).toBeGreaterThan(0);
  expect(i.logs.find((l) => l.message === 'policy snapshot unusable; listing the policy path directly')).toMatchObject({ reason: 'missing' });
  await put(key, snapshot(1, 'https://one.example.com'));
  const [later] = await i.invoke([preflight('https://one.example.com')], TTL_S * 1000);
  expect(later!.statusCode).toBe(204);
  await bucket.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
}, 60_000);

test('an unknown format version falls back to listing the path', async () => {
  const key = 'fallback/format-2.json';
  await put(key, snapshot(1, 'https://one.example.com', Date.now(), 2));
  const ssmBefore = ssm.stats.requests;
  const i = new Instance('layer', { CORS_SNAPSHOT_KEY: key });
  const [a] = await i.invoke([actualGet('https://from-parameter-store.example.com')]);
  expect(a!.headers['Access-Control-Allow-Origin']).toBe('https://from-parameter-store.example.com');
  expect(ssm.stats.requests - ssmBefore).toBeGreaterThan(0);
  expect(i.logs.find((l) => l.message === 'policy snapshot unusable; listing the policy path directly')).toMatchObject({ reason: 'unknown-format' });
}, 60_000);

test('a cold instance that cannot reach S3 lists the path rather than deny everything', async () => {
  const key = 'fallback/unreachable.json';
  await put(key, snapshot(1, 'https://one.example.com'));
  await s3.refuseConnections();
  const i = new Instance('preflight', { CORS_SNAPSHOT_KEY: key });
  const [a] = await i.invoke([preflight('https://from-parameter-store.example.com')]);
  expect(a!.statusCode).toBe(204);
  expect(i.logs.find((l) => l.message === 'policy snapshot unusable; listing the policy path directly')).toMatchObject({ reason: 'unreadable' });
}, 60_000);

test('a cold instance whose S3 read hangs lists the path once the load budget on S3 has run out', async () => {
  const key = 'fallback/hang.json';
  await put(key, snapshot(1, 'https://one.example.com'));
  s3.inject({ kind: 'hang' });
  const started = Date.now();
  const i = new Instance('preflight', { CORS_SNAPSHOT_KEY: key });
  const [a] = await i.invoke([preflight('https://from-parameter-store.example.com')]);
  const elapsed = Date.now() - started;
  expect(a!.statusCode).toBe(204);
  expect(i.logs.find((l) => l.message === 'policy snapshot unusable; listing the policy path directly')).toMatchObject({
    reason: 'unreadable',
    error: { name: 'SnapshotReadTimeoutError' },
  });
  // Process start, one 1,500 ms budget on S3, the listing: generous for a loaded machine, far below two budgets plus a hang.
  expect(elapsed).toBeGreaterThanOrEqual(1500);
  expect(elapsed).toBeLessThan(1500 * 2 + 10_000);
}, 60_000);

test('a snapshot with a smaller sequence is never taken', async () => {
  const key = 'order/sequence.json';
  await put(key, snapshot(5, 'https://five.example.com'));
  const i = new Instance('preflight', { CORS_SNAPSHOT_KEY: key });
  expect((await i.invoke([preflight('https://five.example.com')]))[0]!.statusCode).toBe(204);
  await put(key, snapshot(3, 'https://three.example.com'));
  const after = await i.invoke([preflight('https://five.example.com'), preflight('https://three.example.com')], TTL_S * 1000);
  expect(after.map((r) => r.statusCode)).toEqual([204, 403]);
  expect(i.logs.find((l) => String(l.message).startsWith('policy snapshot ignored'))).toMatchObject({ sequence: 3, servedSequence: 5 });
}, 60_000);

test('a stale snapshot is still served, logged once and measured, and sends nobody to Parameter Store', async () => {
  const key = 'stale/old.json';
  const listedAt = Date.now() - 2 * 3600_000;
  await put(key, snapshot(1, 'https://old.example.com', listedAt));
  const ssmBefore = ssm.stats.requests;
  const i = new Instance('preflight', { CORS_SNAPSHOT_KEY: key, CORS_SNAPSHOT_MAX_AGE_SECONDS: '600' });
  for (let k = 0; k < 3; k++) expect((await i.invoke([preflight('https://old.example.com')], TTL_S * 1000))[0]!.statusCode).toBe(204);
  expect(ssm.stats.requests - ssmBefore).toBe(0);
  const stale = i.logs.filter((l) => l.message === 'policy snapshot is stale; still serving it');
  expect(stale).toHaveLength(1);
  expect(stale[0]).toMatchObject({ maxAgeSeconds: 600, sequence: 1 });
  const ages = i.logs.filter((l) => typeof l.SnapshotAgeSeconds === 'number').map((l) => l.SnapshotAgeSeconds as number);
  expect(ages.length).toBeGreaterThan(0);
  expect(Math.min(...ages)).toBeGreaterThanOrEqual(7200);
}, 60_000);
