// The snapshot store's rules with an in-memory object (the reader) and an
// in-memory direct store, on a fake clock: what serves after each answer S3
// can give, how often it reads, when it falls back to listing the path, and
// what it logs.
import { compilePolicySet, type PolicySet } from '../../functions/core/policy-set';
import { serializeSnapshot, type PolicySnapshot, type SnapshotParameter } from '../../functions/core/snapshot';
import { ConfigError, readStoreConfig } from '../../functions/aws/config';
import { createLogger } from '../../functions/aws/logger';
import type { PolicyStore } from '../../functions/aws/policy-store';
import type { ObjectRead } from '../../functions/aws/s3-light-client';
import { SnapshotPolicyStore } from '../../functions/aws/snapshot-policy-store';

const PATH = '/cors/shop-api';
const TTL_S = 60;

const policy = (origin: string) => JSON.stringify({ route: '/products/{id}', allowOrigins: [origin], allowMethods: ['GET'] });
function snapshot(sequence: number, origin: string, listedAt: number, extra: Partial<PolicySnapshot> = {}, more: SnapshotParameter[] = []): string {
  return serializeSnapshot({
    format: 1,
    sequence,
    policyPath: PATH,
    listedAt: new Date(listedAt).toISOString(),
    writtenAt: new Date(listedAt + 500).toISOString(),
    parameters: [{ name: `${PATH}/products`, version: sequence, status: 'current', servedVersion: sequence, value: policy(origin) }, ...more],
    ...extra,
  } as PolicySnapshot);
}

/** The one object, and what the next reads answer instead of it. */
class Bucket {
  body: string | undefined;
  etag = '';
  reads: Array<string | undefined> = [];
  private faults: Array<Error | 'hang'> = [];
  put(body: string | undefined): void {
    this.body = body;
    this.etag = `"e${this.reads.length}-${body?.length}"`;
  }
  fail(...faults: Array<Error | 'hang'>): void {
    this.faults.push(...faults);
  }
  read = (etag: string | undefined, signal: AbortSignal): Promise<ObjectRead> => {
    this.reads.push(etag);
    const fault = this.faults.shift();
    if (fault === 'hang') return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    if (fault) return Promise.reject(fault);
    if (this.body === undefined) return Promise.resolve({ kind: 'missing' });
    if (etag === this.etag) return Promise.resolve({ kind: 'not-modified' });
    return Promise.resolve({ kind: 'object', etag: this.etag, body: this.body });
  };
}

/** A direct store listing one policy allowing `origin`; counts its listings. */
function fakeDirect(origin: string): PolicyStore & { listings: number } {
  const set: PolicySet = compilePolicySet([{ source: `${PATH}/products`, value: policy(origin), type: 'String', version: 1 }]);
  const store = {
    listings: 0,
    stats: { refreshes: 0, failedRefreshes: 0 },
    checkedAt: undefined,
    async current() {
      if (store.listings === 0) {
        store.listings++;
        store.stats.refreshes++;
      }
      return set;
    },
    fresh: () => (store.listings > 0 ? set : undefined),
    async warmUp() {
      await store.current();
    },
    peek: () => (store.listings > 0 ? set : undefined),
  };
  return store;
}

function setup(maxAgeSeconds = 900) {
  let now = Date.parse('2026-12-01T10:00:00Z');
  const bucket = new Bucket();
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ service: 'test', write: (l) => lines.push(JSON.parse(l)), env: { LOG_LEVEL: 'DEBUG' } });
  const direct = fakeDirect('https://direct.example.com');
  const store = new SnapshotPolicyStore({
    config: { policyPath: PATH, ttlSeconds: TTL_S, loadBudgetMs: 300, snapshot: { bucket: 'b', key: 'k', maxAgeSeconds } },
    logger,
    readObject: bucket.read,
    direct: () => direct,
    now: () => now,
    random: () => 0.5,
  });
  const origin = async () => [...((await store.current())?.policies.values() ?? [])].map((p) => p.document.allowOrigins.join(','));
  return {
    bucket,
    lines,
    direct,
    store,
    origin,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
    messages: () => lines.map((l) => l.message),
  };
}

test('reads on warm-up, then nothing within the TTL, then one conditional GET per TTL; 304 keeps serving', async () => {
  const t = setup();
  t.bucket.put(snapshot(1, 'https://a.example.com', t.now()));
  await t.store.warmUp();
  expect(await t.origin()).toEqual(['https://a.example.com']);
  t.advance(TTL_S * 500);
  expect(t.store.fresh()).toBeDefined();
  await t.store.current();
  expect(t.bucket.reads).toEqual([undefined]);
  t.advance(TTL_S * 1000);
  expect(t.store.fresh()).toBeUndefined();
  await t.store.current();
  expect(t.bucket.reads).toEqual([undefined, t.bucket.etag]);
  expect(t.store.stats).toMatchObject({ reads: 2, downloads: 1, notModified: 1, fallbacks: 0, readFailures: 0 });
  expect(t.direct.listings).toBe(0);
});

test('a new snapshot replaces the served one; one with a smaller sequence is ignored and logged', async () => {
  const t = setup();
  t.bucket.put(snapshot(5, 'https://a.example.com', t.now()));
  await t.store.current();
  t.bucket.put(snapshot(6, 'https://b.example.com', t.now()));
  t.advance(TTL_S * 1000);
  expect(await t.origin()).toEqual(['https://b.example.com']);
  t.bucket.put(snapshot(4, 'https://old.example.com', t.now()));
  t.advance(TTL_S * 1000);
  expect(await t.origin()).toEqual(['https://b.example.com']);
  t.advance(TTL_S * 1000);
  expect(await t.origin()).toEqual(['https://b.example.com']);
  expect(t.store.servedSequence).toBe(6);
  expect(t.store.stats.olderIgnored).toBe(2);
  expect(t.messages().filter((m) => m === 'policy snapshot ignored: its sequence is below the one already taken')).toHaveLength(1);
  expect(t.lines.find((l) => l.message === 'policy snapshot ignored: its sequence is below the one already taken')).toMatchObject({
    sequence: 4,
    servedSequence: 6,
  });
});

test.each([
  ['an error', () => Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' })],
  ['throttling', () => Object.assign(new Error('Please reduce your request rate'), { name: 'SlowDown' })],
  ['a hang past the budget', () => 'hang' as const],
])('%s keeps the last good snapshot, retries with backoff, logs once and recovers', async (_name, fault) => {
  const t = setup();
  t.bucket.put(snapshot(1, 'https://a.example.com', t.now()));
  await t.store.current();
  t.bucket.put(snapshot(2, 'https://b.example.com', t.now()));
  t.bucket.fail(fault(), fault(), fault());
  for (let i = 0; i < 3; i++) {
    t.advance(TTL_S * 1000);
    expect(await t.origin()).toEqual(['https://a.example.com']);
  }
  // Backoff: right after a failure no read is due yet (1 s base, jittered over its upper half).
  expect(t.store.fresh()).toBeDefined();
  expect(t.store.stats).toMatchObject({ readFailures: 3, failedRefreshes: 3, fallbacks: 0 });
  expect(t.messages().filter((m) => m === 'policy snapshot read failed; serving the last good snapshot')).toHaveLength(1);
  t.advance(TTL_S * 1000);
  expect(await t.origin()).toEqual(['https://b.example.com']);
  expect(t.messages()).toContain('policy snapshot read again');
  expect(t.direct.listings).toBe(0);
});

test('a body that is not a snapshot, or one of another path, is a failed read: the last good one serves', async () => {
  const t = setup();
  t.bucket.put(snapshot(1, 'https://a.example.com', t.now()));
  await t.store.current();
  t.bucket.put('{"format":1,"sequence":"two"}');
  t.advance(TTL_S * 1000);
  expect(await t.origin()).toEqual(['https://a.example.com']);
  t.bucket.put(snapshot(2, 'https://b.example.com', t.now(), { policyPath: '/cors/other-api' }));
  t.advance(TTL_S * 1000);
  expect(await t.origin()).toEqual(['https://a.example.com']);
  expect(t.store.stats.readFailures).toBe(2);
  expect(JSON.stringify(t.lines)).toContain('not /cors/shop-api (CORS_POLICY_PATH)');
});

test('a missing object (404) falls back to listing the path, and a snapshot written later takes over again', async () => {
  const t = setup();
  await t.store.warmUp();
  expect(await t.origin()).toEqual(['https://direct.example.com']);
  expect(t.store.fallbackReason).toBe('missing');
  expect(t.store.stats).toMatchObject({ fallbacks: 1 });
  t.advance(TTL_S * 1000);
  t.bucket.put(snapshot(1, 'https://a.example.com', t.now()));
  t.advance(TTL_S * 1000);
  expect(await t.origin()).toEqual(['https://a.example.com']);
  expect(t.store.fallbackReason).toBeUndefined();
  expect(t.messages()).toEqual(
    expect.arrayContaining(['policy snapshot unusable; listing the policy path directly', 'policy snapshot serving again; no longer listing the policy path']),
  );
});

test('a warm instance whose object is deleted falls back; the sequence rule starts over with the next object', async () => {
  const t = setup();
  t.bucket.put(snapshot(9, 'https://a.example.com', t.now()));
  await t.store.current();
  t.bucket.put(undefined);
  t.advance(TTL_S * 1000);
  expect(await t.origin()).toEqual(['https://direct.example.com']);
  t.bucket.put(snapshot(1, 'https://new.example.com', t.now()));
  t.advance(TTL_S * 1000);
  expect(await t.origin()).toEqual(['https://new.example.com']);
});

test('an unknown format falls back; the same object is not downloaded again (If-None-Match on its ETag)', async () => {
  const t = setup();
  t.bucket.put(JSON.stringify({ format: 2, sequence: 1 }));
  await t.store.current();
  expect(t.store.fallbackReason).toBe('unknown-format');
  expect(await t.origin()).toEqual(['https://direct.example.com']);
  t.advance(TTL_S * 1000);
  await t.store.current();
  expect(t.bucket.reads).toEqual([undefined, t.bucket.etag]);
  expect(t.store.stats).toMatchObject({ downloads: 1, notModified: 1 });
  expect(t.lines.find((l) => l.message === 'policy snapshot unusable; listing the policy path directly')).toMatchObject({
    reason: 'unknown-format',
    detail: expect.stringContaining('snapshot format 2 is not 1'),
  });
});

test('a cold instance that cannot read S3 lists the path; a warm one never does', async () => {
  const t = setup();
  t.bucket.put(snapshot(1, 'https://a.example.com', t.now()));
  t.bucket.fail(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
  await t.store.warmUp();
  expect(t.store.fallbackReason).toBe('unreadable');
  expect(await t.origin()).toEqual(['https://direct.example.com']);
  // The object is retried after the backoff, and serves from then on.
  t.advance(2000);
  expect(await t.origin()).toEqual(['https://a.example.com']);
  expect(t.direct.listings).toBe(1);
});

test('a stale snapshot keeps serving, is logged once when it turns stale and once when fresh again, and never lists the path', async () => {
  const t = setup(300);
  const listedAt = t.now();
  t.bucket.put(snapshot(1, 'https://a.example.com', listedAt));
  await t.store.current();
  for (let i = 0; i < 10; i++) {
    t.advance(TTL_S * 1000);
    expect(await t.origin()).toEqual(['https://a.example.com']);
  }
  expect(t.store.snapshot.servedListedAt()).toBe(listedAt);
  const stale = t.lines.filter((l) => l.message === 'policy snapshot is stale; still serving it');
  expect(stale).toHaveLength(1);
  expect(stale[0]).toMatchObject({ maxAgeSeconds: 300, sequence: 1 });
  expect(t.direct.listings).toBe(0);
  t.bucket.put(snapshot(2, 'https://b.example.com', t.now()));
  t.advance(TTL_S * 1000);
  expect(await t.origin()).toEqual(['https://b.example.com']);
  expect(t.messages()).toContain('policy snapshot is fresh again');
});

test('concurrent requests at a due refresh share one read', async () => {
  const t = setup();
  t.bucket.put(snapshot(1, 'https://a.example.com', t.now()));
  await Promise.all(Array.from({ length: 50 }, () => t.store.current()));
  expect(t.bucket.reads).toHaveLength(1);
});

describe('configuration', () => {
  it('is snapshot mode with the bucket, the default key from the policy path and the default max age', () => {
    expect(readStoreConfig({ CORS_POLICY_PATH: '/cors/shop-api', CORS_SNAPSHOT_BUCKET: 'my-bucket' }).snapshot).toEqual({
      bucket: 'my-bucket',
      key: 'cors-snapshots/cors/shop-api.json',
      maxAgeSeconds: 900,
    });
    expect(readStoreConfig({ CORS_POLICY_PATH: '/cors/shop-api', CORS_SNAPSHOT_KEY: 'x.json' }).snapshot).toBeUndefined();
  });

  it('reports every bad value together, naming each', () => {
    expect(() =>
      readStoreConfig({
        CORS_POLICY_PATH: '/cors/shop-api',
        CORS_SNAPSHOT_BUCKET: 'My_Bucket',
        CORS_SNAPSHOT_KEY: '/abs.json',
        CORS_SNAPSHOT_MAX_AGE_SECONDS: '10',
        CORS_POLICY_TTL_SECONDS: '1',
      }),
    ).toThrow(
      new ConfigError(
        'invalid configuration: CORS_POLICY_TTL_SECONDS="1" must be a whole number from 5 to 86400; CORS_SNAPSHOT_MAX_AGE_SECONDS="10" must be a whole number from 60 to 604800; CORS_SNAPSHOT_BUCKET="My_Bucket" must be 3-63 characters of a-z 0-9 . - starting and ending with a letter or digit; CORS_SNAPSHOT_KEY="/abs.json" must not start with / (S3 keys are relative to the bucket)',
      ),
    );
  });
});
