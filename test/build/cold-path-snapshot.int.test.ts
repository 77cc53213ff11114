/**
 * test/build/cold-path.int.test.ts in snapshot mode: a fresh Node process
 * imports dist/preflight/index.mjs as Lambda's runtime does with
 * CORS_SNAPSHOT_BUCKET set, reads the snapshot from moto's S3 with the light
 * client, answers one preflight, and reports what it loaded: neither
 * node:crypto nor WebCrypto nor an SDK side file, and no Parameter Store call.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { serializeSnapshot } from '../../functions/core/snapshot';
import { motoEnv } from '../../scripts/lib/moto';
import { FaultProxy } from '../reliability/support/fault-proxy';
import { globalMotoEndpoint } from '../support/moto-ssm';

const ROOT = resolve(__dirname, '../..');
const ENTRY = join(ROOT, 'dist', 'preflight', 'index.mjs');
const PREFIX = '/test/cold-path-snapshot/demo-api';
const BUCKET = 'cold-path-snapshot';

const CHILD = `
const before = new Set(process.moduleLoadList);
const { createRequire } = require('node:module');
const [entry, eventFile] = process.argv.slice(1);
import(entry).then(async (mod) => {
  const result = await mod.handler(JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8')), { awsRequestId: 'cold-path' });
  const builtins = process.moduleLoadList.filter((m) => !before.has(m));
  const files = Object.keys(createRequire(entry).cache);
  process.stdout.write('\\n' + JSON.stringify({ statusCode: result.statusCode, builtins, files }) + '\\n');
});
`;

interface ColdPath {
  statusCode: number;
  builtins: string[];
  files: string[];
}

let cold: ColdPath;
let ssmCalls: number;
let s3Calls: number;

beforeAll(async () => {
  expect(existsSync(ENTRY)).toBe(true);
  const endpoint = globalMotoEndpoint();
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const ssm = await FaultProxy.start(endpoint);
  const s3Proxy = await FaultProxy.start(endpoint);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const now = new Date().toISOString();
    const value = readFileSync(join(ROOT, 'policies', 'products.json'), 'utf8');
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `cors-snapshots${PREFIX}.json`,
        Body: serializeSnapshot({
          format: 1,
          sequence: 1,
          policyPath: PREFIX,
          listedAt: now,
          writtenAt: now,
          parameters: [{ name: `${PREFIX}/products`, version: 1, status: 'current', servedVersion: 1, value }],
        }),
      }),
    );
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...motoEnv(ssm.endpoint),
      AWS_ENDPOINT_URL_S3: s3Proxy.endpoint,
      CORS_POLICY_PATH: PREFIX,
      CORS_SNAPSHOT_BUCKET: BUCKET,
      LOG_LEVEL: process.env.COLD_LOG_LEVEL ?? 'ERROR',
    };
    // Asynchronous: the proxies answer from this process.
    const { stdout: out } = await promisify(execFile)(process.execPath, ['-e', CHILD, ENTRY, join(ROOT, 'events', 'rest-v1-preflight-allowed.json')], {
      env,
      encoding: 'utf8',
    });
    if (process.env.COLD_LOG_LEVEL) process.stderr.write(out);
    cold = JSON.parse(out.trim().split('\n').pop() as string) as ColdPath;
    ssmCalls = ssm.stats.requests;
    s3Calls = s3Proxy.stats.requests;
  } finally {
    s3.destroy();
    await ssm.stop();
    await s3Proxy.stop();
  }
}, 60_000);

test('the preflight is answered from the snapshot: one S3 read, no Parameter Store call', () => {
  expect(cold.statusCode).toBe(204);
  expect(s3Calls).toBe(1);
  expect(ssmCalls).toBe(0);
});

test('neither node:crypto nor WebCrypto is loaded', () => {
  expect(cold.builtins.filter((m) => /^NativeModule (crypto|internal\/crypto\/)/.test(m))).toEqual([]);
});

test('the SDK side files are not loaded', () => {
  expect(cold.files.map((f) => f.slice(ROOT.length))).toEqual(['/dist/preflight/preflight.cjs']);
});
