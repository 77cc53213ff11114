/**
 * test/build/cold-path.int.test.ts in snapshot mode: a fresh Node process
 * imports dist/preflight/index.mjs as Lambda's runtime does with
 * CORS_SNAPSHOT_BUCKET set, reads the snapshot from moto's S3 with the light
 * client, answers one preflight, and reports what it loaded: neither
 * node:crypto nor WebCrypto nor an SDK side file, and no Parameter Store call.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { serializeSnapshot } from '../../functions/core/snapshot';
import { motoEnv } from '../../scripts/lib/moto';
import { FaultProxy } from '../reliability/support/fault-proxy';
import { globalMotoEndpoint } from '../support/moto-ssm';
import { type ColdPath, coldStart, describeWhatColdStartLoads, ENTRY, ROOT } from './support/cold-path';

const PREFIX = '/test/cold-path-snapshot/demo-api';
const BUCKET = 'cold-path-snapshot';

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
    const value = readFileSync(join(ROOT, 'examples', 'products.json'), 'utf8');
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
    cold = await coldStart(env);
    if (process.env.COLD_LOG_LEVEL) process.stderr.write(`${cold.output.join('\n')}\n`);
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

describeWhatColdStartLoads(() => cold);
