import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { motoEnv } from '../../scripts/lib/moto';

/**
 * The preflight bundle keeps the SDK out of its entry for cold start
 * (scripts/build.mjs, scripts/lib/sdk-trim.mjs): a light signed client loads
 * policies on the plain Lambda path; elsewhere the SDK client comes from a side
 * file, the SDK's default credential chain inside it. These tests run the BUILT bundle in a clean process to prove that every
 * way of getting credentials, and an error the light client does not model,
 * behave through both clients as the SDK does.
 */
const root = resolve(__dirname, '../..');
const bundle = join(root, 'dist/preflight/preflight.cjs');
const endpoint = process.env.MOTO_ENDPOINT as string;
const policyPath = '/test/ssm-bundle';
const event = JSON.parse(require('node:fs').readFileSync(join(root, 'events/rest-v1-preflight-allowed.json'), 'utf8'));
event.pathParameters = { proxy: 'orders' };
event.resource = '/{proxy+}';

/** Runs the bundle in a clean process (asynchronously: the fake endpoint below lives in this one). */
async function invoke(env: Record<string, string>): Promise<{ status: number; logs: Array<Record<string, unknown>> }> {
  const script = `require(${JSON.stringify(bundle)}).handler(${JSON.stringify(event)}).then((r) => { process.stdout.write('RESULT ' + r.statusCode + '\\n'); });`;
  const child = spawn(process.execPath, ['-e', script], {
    env: {
      PATH: process.env.PATH,
      HOME: mkdtempSync(join(tmpdir(), 'home-')),
      CORS_POLICY_PATH: policyPath,
      CORS_POLICY_LOAD_BUDGET_MS: '3000',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    timeout: 120_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const lines = stdout.split('\n');
  const result = lines.find((l) => l.startsWith('RESULT '));
  if (!result) throw new Error(`bundle failed (exit ${code}): ${stderr}`);
  return { status: Number(result.slice(7)), logs: lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) };
}

beforeAll(async () => {
  if (!existsSync(bundle)) expect(spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--only', 'preflight'], { stdio: 'inherit' }).status).toBe(0);
  Object.assign(process.env, motoEnv(endpoint));
  const policy = { route: '/orders', allowOrigins: ['https://shop.example.com'], allowMethods: ['PUT'], allowHeaders: ['authorization', 'content-type'] };
  await new SSMClient({}).send(new PutParameterCommand({ Name: `${policyPath}/orders`, Type: 'String', Overwrite: true, Value: JSON.stringify(policy) }));
});

describe('the SDK side file of the preflight bundle', () => {
  it('signs with credentials from the environment, as Lambda provides them (light client)', async () => {
    expect((await invoke(motoEnv(endpoint))).status).toBe(204);
  });

  it('signs with credentials from the environment through the SDK side file when the operator asks for the SDK', async () => {
    expect((await invoke({ ...motoEnv(endpoint), CORS_SSM_CLIENT: 'sdk', LOG_LEVEL: 'DEBUG' })).logs).toContainEqual(
      expect.objectContaining({ message: 'policies loaded', client: 'sdk', policies: 1 }),
    );
  });

  it('falls back to the full default chain: a named profile from the shared credentials file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aws-'));
    writeFileSync(join(dir, 'credentials'), '[cors-test]\naws_access_key_id = fromprofile\naws_secret_access_key = fromprofile\n');
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, AWS_SESSION_TOKEN: _t, ...noKeys } = motoEnv(endpoint);
    const env = { ...noKeys, AWS_PROFILE: 'cors-test', AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') };
    expect((await invoke(env)).status).toBe(204);
  });

  it('denies and logs the SDK’s own credentials error when there are no credentials anywhere', async () => {
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, AWS_SESSION_TOKEN: _t, ...noKeys } = motoEnv(endpoint);
    const dir = mkdtempSync(join(tmpdir(), 'aws-'));
    // No files, and no instance metadata endpoint to ask (AWS_EC2_METADATA_DISABLED).
    const result = await invoke({
      ...noKeys,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_CONFIG_FILE: join(dir, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(result.status).toBe(403);
    const failure = result.logs.find((l) => l.message === 'policy load failed; denying every preflight until policies load');
    expect(failure).toBeDefined();
    expect(JSON.stringify(failure)).toMatch(/credential/i);
  });

  describe('an SSM error GetParametersByPath does not model', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ParameterVersionNotFound' });
          res.end(JSON.stringify({ __type: 'ParameterVersionNotFound', message: 'no such version' }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it.each([
      ['the SDK client', { CORS_SSM_CLIENT: 'sdk' }],
      ['the light signed client', {}],
    ])('still arrive with their name, message and status through %s', async (_label, extra) => {
      const result = await invoke({ ...motoEnv(url), ...extra });
      expect(result.status).toBe(403);
      const failure = result.logs.find((l) => l.level === 'ERROR') as { error: { name: string; message: string } } | undefined;
      expect(failure?.error).toMatchObject({ name: 'ParameterVersionNotFound', message: 'no such version' });
    });
  });
});
