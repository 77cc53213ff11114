// The init phase: the ES module entry (index.mjs) awaits init() at top level,
// so Lambda loads and compiles the policies before the first request. Parameter
// Store mocked; the built entry itself is run in test/deploy/local-invoke.int.test.ts
// and by the cold-start bench.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { resetDefaultStore } from '../../functions/aws/default-store';
import { handler, init } from '../../functions/preflight/handler';
import { captureStdout, parameters, type CapturedLogs } from '../support/ssm-mock';

const PREFIX = '/test/init/api';
const products = readFileSync(join(__dirname, '..', '..', 'examples', 'products.json'), 'utf8');
const event = JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', 'rest-v1-preflight-allowed.json'), 'utf8'));
const ssm = mockClient(SSMClient);
let logs: CapturedLogs;

beforeEach(() => {
  ssm.reset();
  process.env.CORS_POLICY_PATH = PREFIX;
  delete process.env.LOG_LEVEL;
  resetDefaultStore();
  logs = captureStdout();
});
afterEach(() => logs.restore());
afterAll(() => {
  ssm.restore();
  resetDefaultStore();
});

test('init loads the policies, so the first request makes no Parameter Store call', async () => {
  ssm.on(GetParametersByPathCommand).resolves({ Parameters: parameters({ [`${PREFIX}/products`]: products }) });
  await init();
  expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
  const first = await handler(event, { awsRequestId: 'r1' });
  expect(first.statusCode).toBe(204);
  expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
});

test('a failed load in init resolves, is logged, and the first request tries again at once', async () => {
  ssm
    .on(GetParametersByPathCommand)
    .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
    .resolves({ Parameters: parameters({ [`${PREFIX}/products`]: products }) });
  await expect(init()).resolves.toBeUndefined();
  expect(logs.withMessage('policy load failed; denying every preflight until policies load')).toHaveLength(1);
  // No waiting out the backoff: nothing was served yet, and the first request's retry succeeds.
  const first = await handler(event, { awsRequestId: 'r1' });
  expect(first.statusCode).toBe(204);
  expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
});

test('a configuration error in init resolves and is logged; requests are denied', async () => {
  delete process.env.CORS_POLICY_PATH;
  await expect(init()).resolves.toBeUndefined();
  expect(logs.withMessage('configuration error; denying every preflight')).toHaveLength(1);
  expect((await handler(event)).statusCode).toBe(403);
  expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(0);
});
