/**
 * What a cold start of the built preflight function loads, on the path Lambda
 * takes (keys in the environment, policies from Parameter Store, here moto):
 * a fresh Node process imports dist/preflight/index.mjs as Lambda's runtime
 * does, answers one preflight, and reports the Node built-ins and files it
 * loaded. The light client signs with a JavaScript SHA-256 and the build
 * defers node:crypto (scripts/lib/sdk-trim.mjs, node-crypto-on-first-use):
 * neither node:crypto nor WebCrypto may load, nor the SDK side file.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { motoEnv } from '../../scripts/lib/moto';
import { globalMotoEndpoint, putPolicies, seedingClient } from '../support/moto-ssm';
import { type ColdPath, coldStart, describeWhatColdStartLoads, ENTRY, ROOT } from './support/cold-path';

const PREFIX = '/test/cold-path/demo-api';

let cold: ColdPath;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  expect(existsSync(ENTRY)).toBe(true);
  const endpoint = globalMotoEndpoint();
  const seed = seedingClient(endpoint);
  try {
    await putPolicies(seed, { [`${PREFIX}/products`]: readFileSync(join(ROOT, 'examples', 'products.json'), 'utf8') });
  } finally {
    seed.destroy();
  }
  env = { PATH: process.env.PATH, HOME: process.env.HOME, ...motoEnv(endpoint), CORS_POLICY_PATH: PREFIX, LOG_LEVEL: 'ERROR' };
  cold = await coldStart(env);
});

test('the preflight is answered from the policies in Parameter Store', () => {
  expect(cold.statusCode).toBe(204);
});

describeWhatColdStartLoads(() => cold);

test('without its Public Suffix List file, the function denies every preflight and logs which file is missing', async () => {
  const copy = mkdtempSync(join(tmpdir(), 'apigw-cors-no-psl-'));
  try {
    cpSync(join(ROOT, 'dist', 'preflight'), copy, { recursive: true });
    rmSync(join(copy, 'public-suffixes.txt'));
    const { statusCode, output } = await coldStart(env, join(copy, 'index.mjs'));
    expect(statusCode).toBe(403);
    expect(output.join('\n')).toContain(`the Public Suffix List data file ${join(copy, 'public-suffixes.txt')} cannot be read`);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
