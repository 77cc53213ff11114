import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { motoEnv } from '../../scripts/lib/moto';
import { httpApiEvent } from '../support/apigw-events';

/**
 * Loads the BUILT layer package the way a function that lists the layer does
 * in Lambda: the package sits in <layer>/nodejs/node_modules, reached through
 * NODE_PATH for `require` and through the runtime's layer-aware resolver for
 * `import` (emulated by test/support/lambda-esm-layer-register.mjs).
 */
const root = resolve(__dirname, '../..');
const layerModules = join(root, 'dist/layer/nodejs/node_modules');
const policyPath = '/test/layer-package';
const endpoint = process.env.MOTO_ENDPOINT as string;

const event = httpApiEvent({
  routeKey: 'GET /orders/{id}',
  rawPath: '/orders/7',
  pathParameters: { id: '7' },
  headers: { origin: 'https://app.example.com', vary: 'x' },
});

const functionBody = (importLine: string) => `${importLine}
const handler = withCors(async () => ({ statusCode: 200, headers: { Vary: 'Accept-Encoding' }, body: 'ok' }));
const result = await handler(${JSON.stringify(event)}, {});
const direct = await corsHeaders(${JSON.stringify({ ...event, headers: { origin: 'https://evil.example.org' } })});
process.stdout.write('RESULT ' + JSON.stringify({ result, direct }) + '\\n');
`;

function runFunction(file: string, nodeArgs: string[]): { result: { headers: Record<string, string> }; direct: Record<string, string> } {
  const run = spawnSync(process.execPath, [...nodeArgs, file], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH, ...motoEnv(endpoint), NODE_PATH: layerModules, CORS_POLICY_PATH: policyPath, LOG_LEVEL: 'WARN' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (run.status !== 0 || !line) throw new Error(`function failed (exit ${run.status}):\n${run.stderr}\n${run.stdout}`);
  return JSON.parse(line.slice('RESULT '.length));
}

const expected = {
  result: {
    statusCode: 200,
    body: 'ok',
    headers: { Vary: 'Accept-Encoding, Origin', 'Access-Control-Allow-Origin': 'https://app.example.com', 'Access-Control-Expose-Headers': 'x-order-id' },
  },
  direct: { Vary: 'Origin' },
};

beforeAll(async () => {
  if (!existsSync(join(layerModules, 'apigw-cors/index.js'))) {
    const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--only', 'layer'], { stdio: 'inherit' });
    expect(build.status).toBe(0);
  }
  Object.assign(process.env, motoEnv(endpoint));
  const ssm = new SSMClient({});
  const policy = { route: '/orders/{id}', allowOrigins: ['https://app.example.com'], allowMethods: ['GET'], exposeHeaders: ['x-order-id'] };
  await ssm.send(new PutParameterCommand({ Name: `${policyPath}/orders`, Type: 'String', Overwrite: true, Value: JSON.stringify(policy) }));
});

describe('the built layer package', () => {
  it('works with require() from a CommonJS function through NODE_PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cjs-fn-'));
    const file = join(dir, 'index.js');
    writeFileSync(
      file,
      `(async () => {\n${functionBody("const { withCors, corsHeaders } = require('apigw-cors');")}\n})().catch((e) => { console.error(e); process.exit(1); });\n`,
    );
    expect(runFunction(file, [])).toEqual(expected);
  });

  it('works with import from an ES module function through the layer resolver', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esm-fn-'));
    const file = join(dir, 'index.mjs');
    writeFileSync(file, functionBody("import { withCors, corsHeaders } from 'apigw-cors';"));
    expect(runFunction(file, ['--import', join(root, 'test/support/lambda-esm-layer-register.mjs')])).toEqual(expected);
  });

  it('cannot be imported from an ES module without the layer resolver (why the runtime provides one)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esm-plain-'));
    const file = join(dir, 'index.mjs');
    writeFileSync(file, "import 'apigw-cors';\n");
    const run = spawnSync(process.execPath, [file], { env: { PATH: process.env.PATH, NODE_PATH: layerModules }, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('ERR_MODULE_NOT_FOUND');
  });
});
