// The light S3 GET client against a loopback fake that checks Signature V4 as
// S3 does (test/aws/support/fake-s3.ts). The real S3 SDK client's own request
// passes the same check (positive control) and a tampered one fails (negative
// control), so a pass means our request is signed as the SDK signs it.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3ObjectReader, objectLocation, s3ClientSettings, type S3ClientSettings } from '../../functions/aws/s3-light-client';
import { FakeS3 } from './support/fake-s3';

let fake: FakeS3;
const BUCKET = 'snapshots-bucket';
const KEY = 'cors-snapshots/cors/shop api+v1.json';

const settings = (): S3ClientSettings => ({
  region: 'eu-west-1',
  endpoint: new URL(fake.endpoint),
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: fake.secretAccessKey, sessionToken: 'session-token' },
});
const reader = (overrides: Partial<Parameters<typeof createS3ObjectReader>[3]> = {}, key = KEY) =>
  createS3ObjectReader(settings(), BUCKET, key, { connectionTimeoutMs: 500, requestTimeoutMs: 400, maxBytes: 1_000_000, random: () => 0, ...overrides });
const signal = () => new AbortController().signal;

beforeEach(async () => {
  fake = await FakeS3.start();
});
afterEach(async () => {
  await fake.stop();
});

describe('addressing', () => {
  const aws: S3ClientSettings = { region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };

  it('uses virtual-hosted style in AWS, with each key segment percent-encoded once', () => {
    const { url, path } = objectLocation(aws, 'my-bucket', 'cors-snapshots/a b+c.json');
    expect(url.href).toBe('https://my-bucket.s3.eu-west-1.amazonaws.com/cors-snapshots/a%20b%2Bc.json');
    expect(path).toBe('/cors-snapshots/a%20b%2Bc.json');
  });

  it('uses path style on the regional endpoint for a bucket name with dots (not a valid TLS host label)', () => {
    expect(objectLocation(aws, 'my.bucket', 'k.json').url.href).toBe('https://s3.eu-west-1.amazonaws.com/my.bucket/k.json');
  });

  it('follows the FIPS and dual-stack settings and the China partition, as the SDK does', () => {
    const env = { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_USE_FIPS_ENDPOINT: 'true', AWS_USE_DUALSTACK_ENDPOINT: 'true' };
    const both = s3ClientSettings({ ...env, AWS_REGION: 'us-gov-west-1' }) as S3ClientSettings;
    expect(objectLocation(both, 'my-bucket', 'k.json').url.host).toBe('my-bucket.s3-fips.dualstack.us-gov-west-1.amazonaws.com');
    const china = s3ClientSettings({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_REGION: 'cn-north-1' }) as S3ClientSettings;
    expect(objectLocation(china, 'my-bucket', 'k.json').url.host).toBe('my-bucket.s3.cn-north-1.amazonaws.com.cn');
  });

  it('uses path style under AWS_ENDPOINT_URL_S3 (moto locally)', () => {
    const local = s3ClientSettings({
      AWS_ACCESS_KEY_ID: 'a',
      AWS_SECRET_ACCESS_KEY: 'b',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5000',
    });
    expect(typeof local).toBe('object');
    expect(objectLocation(local as S3ClientSettings, 'my-bucket', 'k.json').url.href).toBe('http://127.0.0.1:5000/my-bucket/k.json');
  });

  it('says what is missing instead of guessing credentials or a region', () => {
    expect(s3ClientSettings({ AWS_REGION: 'us-east-1' })).toMatch(/no credentials/);
    expect(s3ClientSettings({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).toMatch(/AWS_REGION/);
    expect(s3ClientSettings({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: 'not a url' })).toMatch(
      /AWS_ENDPOINT_URL_S3="not a url" is not a URL/,
    );
  });
});

describe('conditional GET', () => {
  it('downloads the object with its ETag, then gets 304 for the same ETag; every request is validly signed', async () => {
    const etag = fake.put(BUCKET, KEY, '{"snapshot":1}');
    const read = reader();
    expect(await read(undefined, signal())).toEqual({ kind: 'object', etag, body: '{"snapshot":1}' });
    expect(await read(etag, signal())).toEqual({ kind: 'not-modified' });
    expect(fake.seen.map((r) => [r.method, r.path, r.headers['if-none-match'], r.signatureValid])).toEqual([
      ['GET', `/${BUCKET}/cors-snapshots/cors/shop%20api%2Bv1.json`, undefined, true],
      ['GET', `/${BUCKET}/cors-snapshots/cors/shop%20api%2Bv1.json`, etag, true],
    ]);
    // The session token and the payload hash S3 requires travel with the request; If-None-Match is signed.
    expect(fake.seen[1]!.headers['x-amz-security-token']).toBe('session-token');
    expect(fake.seen[1]!.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(String(fake.seen[1]!.headers.authorization)).toMatch(/SignedHeaders=[^,]*if-none-match/);
  });

  it('the verifier accepts the S3 SDK client request and refuses a wrong secret (controls)', async () => {
    fake.put(BUCKET, KEY, 'body');
    const sdk = new S3Client({
      region: 'eu-west-1',
      endpoint: fake.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: fake.secretAccessKey },
    });
    const wrong = new S3Client({
      region: 'eu-west-1',
      endpoint: fake.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wrong' },
    });
    try {
      const out = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
      expect(await out.Body?.transformToString()).toBe('body');
      await expect(wrong.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
      expect(fake.seen.map((r) => r.signatureValid)).toEqual([true, false]);
    } finally {
      sdk.destroy();
      wrong.destroy();
    }
  });

  it('answers missing for 404 NoSuchKey, and fails on another 404 (a wrong bucket is not a missing snapshot)', async () => {
    expect(await reader()(undefined, signal())).toEqual({ kind: 'missing' });
    fake.inject({ status: 404, code: 'NoSuchBucket' });
    await expect(reader()(undefined, signal())).rejects.toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });

  it('fails on 403 without retrying (S3 answers a missing key with 403 without s3:ListBucket)', async () => {
    fake.inject({ status: 403, code: 'AccessDenied' });
    await expect(reader()(undefined, signal())).rejects.toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(fake.seen).toHaveLength(1);
  });

  it('retries 500, 503 SlowDown and a timeout, up to 3 attempts', async () => {
    fake.put(BUCKET, KEY, 'x');
    fake.inject({ status: 503, code: 'SlowDown' }, { status: 500, code: 'InternalError' });
    expect(await reader()(undefined, signal())).toMatchObject({ kind: 'object', body: 'x' });
    expect(fake.seen).toHaveLength(3);
    fake.inject('hang', { status: 503, code: 'SlowDown' }, { status: 503, code: 'SlowDown' });
    await expect(reader()(undefined, signal())).rejects.toMatchObject({ name: 'SlowDown' });
    expect(fake.seen).toHaveLength(6);
  });

  it('gives up on a response that never comes with a TimeoutError naming the timeout', async () => {
    fake.inject('hang', 'hang', 'hang');
    await expect(reader({ maxAttempts: 1 })(undefined, signal())).rejects.toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/within 400 ms/),
    });
  });

  it('refuses a body over the size bound without keeping it', async () => {
    fake.inject({ bigBody: 2000 });
    await expect(reader({ maxBytes: 1000, maxAttempts: 1 })(undefined, signal())).rejects.toMatchObject({ name: 'ObjectTooLarge' });
  });

  it('stops at once when its signal aborts', async () => {
    fake.inject('hang');
    const controller = new AbortController();
    const pending = reader({ requestTimeoutMs: 10_000 })(undefined, controller.signal);
    setTimeout(() => controller.abort(new Error('budget')), 50);
    await expect(pending).rejects.toThrow();
    expect(fake.seen).toHaveLength(1);
  });
});
