// `cors-policy snapshot` in-process against moto: the snapshot the compiler
// wrote, whether it still matches Parameter Store, --json, and remote text
// printed with control and bidirectional characters escaped.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../functions/aws/logger';
import { readParameterHistory } from '../../functions/aws/parameter-history';
import { GetParameterHistoryCommand, GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { printable } from '../../functions/cli/commands/snapshot';
import { main } from '../../functions/cli/main';
import { Output } from '../../functions/cli/output';
import { readCompilerConfig } from '../../functions/compiler/config';
import { compileSnapshot } from '../../functions/compiler/run';
import { s3SnapshotObjects } from '../../functions/compiler/snapshot-object';
import { defaultSnapshotKey, serializeSnapshot } from '../../functions/core/snapshot';
import { basePolicy } from '../support/policies';
import { useSnapshotMoto } from '../support/moto-s3';
import { putPolicies } from '../support/moto-ssm';

const ROOT = '/test/cli-snapshot';
const BUCKET = 'cli-snapshot-int';
const moto = useSnapshotMoto(BUCKET);

async function run(args: string[], json = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: string[] = [];
  const errs: string[] = [];
  out.on('data', (c) => chunks.push(String(c)));
  err.on('data', (c) => errs.push(String(c)));
  const code = await main(['snapshot', ...args, ...(json ? ['--json'] : [])], new Output(json, out, err));
  return { code, stdout: chunks.join(''), stderr: errs.join('') };
}

async function compile(path: string): Promise<void> {
  const logger = createLogger({ service: 'test', env: { LOG_LEVEL: 'ERROR' }, write: () => undefined });
  const config = readCompilerConfig({ CORS_POLICY_PATH: path, CORS_SNAPSHOT_BUCKET: BUCKET });
  await compileSnapshot(
    {
      config,
      logger,
      objects: s3SnapshotObjects(moto.s3, BUCKET, config.key),
      sendPage: (input) => moto.seed.send(new GetParametersByPathCommand(input)),
      readHistory: (name) => readParameterHistory(name, (input) => moto.seed.send(new GetParameterHistoryCommand(input))),
    },
    { kind: 'manual' },
  );
}

test('shows sequence, age and each parameter, and says whether Parameter Store still matches (exit 0, then 3)', async () => {
  const path = `${ROOT}/matches`;
  await putPolicies(moto.seed, { [`${path}/orders`]: basePolicy({ route: '/orders' }) });
  await putPolicies(moto.seed, { [`${path}/users`]: basePolicy({ route: '/users' }) });
  await putPolicies(moto.seed, { [`${path}/users`]: '{oops' });
  await compile(path);
  const ok = await run(['--bucket', BUCKET, '--path', path]);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain(`Snapshot s3://${BUCKET}/${defaultSnapshotKey(path)}`);
  expect(ok.stdout).toMatch(/sequence 1, policy path \/test\/cli-snapshot\/matches/);
  expect(ok.stdout).toMatch(/age \d+ s/);
  expect(ok.stdout).toContain(`${path}/users  version 2  earlier-version (serving version 1)`);
  expect(ok.stdout).toContain('Parameter Store now: matches (2 parameters');

  await putPolicies(moto.seed, { [`${path}/orders`]: basePolicy({ route: '/orders', allowOrigins: ['https://other.example.com'] }) });
  await putPolicies(moto.seed, { [`${path}/new`]: basePolicy({ route: '/new' }) });
  const drift = await run(['--bucket', BUCKET, '--path', path], true);
  expect(drift.code).toBe(3);
  const doc = JSON.parse(drift.stdout);
  expect(doc).toMatchObject({
    command: 'snapshot',
    ok: true,
    sequence: 1,
    matchesParameterStore: false,
    drift: { added: [{ name: `${path}/new`, version: 1 }], removed: [], changed: [{ name: `${path}/orders`, snapshotVersion: 1, currentVersion: 2 }] },
  });
  expect(doc.parameters).toHaveLength(2);
  expect(typeof doc.ageSeconds).toBe('number');
});

test('remote text is printed with control and bidi characters escaped', async () => {
  const path = `${ROOT}/hostile`;
  const key = 'hostile/snapshot.json';
  const reason = 'bad \u001b[2J\u001b[31mred\u202etxt.exe\r\nfake line';
  await moto.s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: serializeSnapshot({
        format: 1,
        sequence: 7,
        policyPath: path,
        listedAt: new Date().toISOString(),
        writtenAt: new Date().toISOString(),
        parameters: [{ name: `${path}/x`, version: 1, status: 'rejected', reason }],
      }),
    }),
  );
  const human = await run(['--bucket', BUCKET, '--key', key]);
  expect(human.stdout).not.toMatch(/[\u001b\u202e\r]/);
  expect(human.stdout).toContain('bad \\u001b[2J\\u001b[31mred\\u202etxt.exe\\u000d\\u000afake line');
  const json = await run(['--bucket', BUCKET, '--key', key], true);
  expect(json.stdout).not.toContain('\u202e');
  expect(printable('a\u2066b', 10)).toBe('a\\u2066b');
});

test('a missing object, a missing --bucket and an object that is not a snapshot are errors (exit 2) that say what to do', async () => {
  const missing = await run(['--bucket', BUCKET, '--key', 'nothing/here.json']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/NoSuchKey.*has the compiler run/);
  expect((await run(['--path', '/x'])).stderr).toMatch(/--bucket is required/);
  await moto.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'junk.json', Body: '{"format":1}' }));
  const junk = await run(['--bucket', BUCKET, '--key', 'junk.json']);
  expect(junk.code).toBe(2);
  expect(junk.stderr).toMatch(/not a snapshot this version reads/);
});
