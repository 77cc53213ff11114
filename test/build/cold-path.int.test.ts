/**
 * What a cold start of the built preflight function loads, on the path Lambda
 * takes (keys in the environment, policies from Parameter Store, here moto):
 * a fresh Node process imports dist/preflight/index.mjs as Lambda's runtime
 * does, answers one preflight, and reports the Node built-ins and files it
 * loaded. The light client signs with a JavaScript SHA-256 and the build
 * defers node:crypto (scripts/lib/sdk-trim.mjs, node-crypto-on-first-use):
 * neither node:crypto nor WebCrypto may load, nor the SDK side file.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { motoEnv } from '../../scripts/lib/moto';
import { globalMotoEndpoint, putPolicies, seedingClient } from '../support/moto-ssm';

const ROOT = resolve(__dirname, '../..');
const ENTRY = join(ROOT, 'dist', 'preflight', 'index.mjs');
const PREFIX = '/test/cold-path/demo-api';

// Runs in the child: import the entry, answer the event, print what was loaded.
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
let env: NodeJS.ProcessEnv;
const EVENT = join(ROOT, 'events', 'rest-v1-preflight-allowed.json');

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
  const out = execFileSync(process.execPath, ['-e', CHILD, ENTRY, EVENT], { env, encoding: 'utf8' });
  cold = JSON.parse(out.trim().split('\n').pop() as string) as ColdPath;
});

test('the preflight is answered from the policies in Parameter Store', () => {
  expect(cold.statusCode).toBe(204);
});

test('neither node:crypto nor WebCrypto is loaded', () => {
  expect(cold.builtins.filter((m) => /^NativeModule (crypto|internal\/crypto\/)/.test(m))).toEqual([]);
});

test('the SDK side files are not loaded', () => {
  expect(cold.files.map((f) => f.slice(ROOT.length))).toEqual(['/dist/preflight/preflight.cjs']);
});

test('without its Public Suffix List file, the function denies every preflight and logs which file is missing', () => {
  const copy = mkdtempSync(join(tmpdir(), 'apigw-cors-no-psl-'));
  try {
    cpSync(join(ROOT, 'dist', 'preflight'), copy, { recursive: true });
    rmSync(join(copy, 'public-suffixes.txt'));
    const out = execFileSync(process.execPath, ['-e', CHILD, join(copy, 'index.mjs'), EVENT], { env, encoding: 'utf8' });
    const lines = out.trim().split('\n');
    expect((JSON.parse(lines.pop() as string) as ColdPath).statusCode).toBe(403);
    expect(lines.join('\n')).toContain(`the Public Suffix List data file ${join(copy, 'public-suffixes.txt')} cannot be read`);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
