// The built compiler (scripts/build.mjs --only compiler, what `make
// build-CompilerFunction` runs for sam build): a CommonJS entry exporting
// `handler`, with the Public Suffix List file next to it, run in its own Node
// process against moto as Lambda would call it (a scheduled event).
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSnapshot } from '../../functions/core/snapshot';
import { motoEnv } from '../../scripts/lib/moto';
import { basePolicy } from '../support/policies';
import { globalMotoEndpoint, putPolicies, seedingClient } from '../support/moto-ssm';

jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '../..');
const BUCKET = 'compiler-bundle-int';
const PATH = '/test/compiler-bundle/api';
/** The full SSM and S3 clients are bundled in; a jump past this means something else came along. */
const MAX_BUNDLE_BYTES = 750_000;

let out: string;
let seed: SSMClient;
let s3: S3Client;
let endpoint: string;

beforeAll(async () => {
  endpoint = globalMotoEndpoint();
  seed = seedingClient(endpoint);
  s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  out = mkdtempSync(join(tmpdir(), 'compiler-bundle-'));
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--only', 'compiler', '--outdir', out], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
});

afterAll(() => {
  seed.destroy();
  s3.destroy();
  rmSync(out, { recursive: true, force: true });
});

test('index.js and public-suffixes.txt, within the size ceiling', () => {
  expect(existsSync(join(out, 'public-suffixes.txt'))).toBe(true);
  expect(statSync(join(out, 'index.js')).size).toBeLessThan(MAX_BUNDLE_BYTES);
  expect(readFileSync(join(out, 'index.js'), 'utf8')).not.toMatch(/^import /m);
});

test('the built handler compiles the path into the snapshot object, and logs its summary with the metrics', async () => {
  await putPolicies(seed, {
    [`${PATH}/orders`]: basePolicy({ route: '/orders' }),
    [`${PATH}/wild`]: basePolicy({ route: '/wild', allowOrigins: ['https://*.github.io'] }),
  });
  const script = `
    const { handler } = require(${JSON.stringify(join(out, 'index.js'))});
    const event = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(join(__dirname, 'events', 'scheduled.json'))}, 'utf8'));
    handler(event, { getRemainingTimeInMillis: () => 60000, logStreamName: 'test' }).then(
      (r) => process.stderr.write('RESULT ' + JSON.stringify(r) + '\\n'),
      (e) => { process.stderr.write('ERROR ' + e.message + '\\n'); process.exit(1); },
    );`;
  const run = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...motoEnv(endpoint),
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      CORS_POLICY_PATH: PATH,
      CORS_SNAPSHOT_BUCKET: BUCKET,
    },
    timeout: 60_000,
  });
  expect(run.stderr).toContain('RESULT {"outcome":"written","sequence":1,"changes":2}');
  const lines = run.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.find((l) => l.message === 'snapshot compiled')).toMatchObject({ SnapshotCompiles: 1, InvalidPolicyParameters: 1, PolicyChanges: 2 });
  // The public-suffix rule ran in the bundle (read from the data file next to it).
  expect(lines.find((l) => l.message === 'invalid policy parameter')).toMatchObject({ parameter: `${PATH}/wild`, status: 'rejected' });
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cors-snapshots/test/compiler-bundle/api.json' }));
  const snapshot = parseSnapshot(await object.Body!.transformToString());
  expect(snapshot.parameters.map((p) => [p.name, p.status])).toEqual([
    [`${PATH}/orders`, 'current'],
    [`${PATH}/wild`, 'rejected'],
  ]);
});
