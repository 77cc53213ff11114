// The README's commands run as written, with the real `npx`:
// - `npx cors-policy` resolves in the repository (a workspace carries the bin;
//   npm links no package's own), whatever the mode of dist/cli/index.js;
// - the Deploy walkthrough (discover, import, validate, push) runs end to end against
//   moto's API Gateway and Parameter Store in a directory laid out as a fresh clone:
//   `policies/` holding only its README, samconfig.toml the committed one. The only
//   change to the commands: the README's placeholder API id becomes moto's. The `sam`
//   line and `verify` (a real execute-api URL) cannot run here.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseOverrides } from '../../functions/cli/samconfig';
import { motoEnv } from '../../scripts/lib/moto';
import { apiGatewayEnv, createRestApi, restClient } from '../support/moto-apigateway';
import { globalMotoEndpoint } from '../support/moto-ssm';

const ROOT = resolve(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const README_API_ID = 'a1b2c3d4e5';

/** The lines of the ```sh block under `## heading` that run `npx cors-policy`. */
function commandsUnder(heading: string): string[] {
  const section = README.split(/^## /m).find((s) => s.startsWith(`${heading}\n`)) ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').filter((l) => l.startsWith('npx cors-policy '));
}

function sh(line: string, cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync('/bin/sh', ['-c', line], { cwd, env, encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npx cors-policy in the repository', () => {
  const env = { ...process.env, npm_config_update_notifier: 'false', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }; // nothing here may reach AWS

  it('is linked into node_modules/.bin by the workspace, and answers --help', () => {
    const r = sh('npx cors-policy --help', ROOT, env);
    expect(r.stderr).toBe('');
    expect([r.code, r.stdout.split('\n')[0]]).toEqual([0, 'usage: cors-policy <command> [options]']);
  });

  it('does not depend on the execute bit of dist/cli/index.js (a rebuild by an older build script dropped it)', () => {
    const cli = join(ROOT, 'dist', 'cli', 'index.js');
    const mode = statSync(cli).mode;
    chmodSync(cli, 0o644);
    try {
      expect(sh('npx cors-policy --version', ROOT, env)).toMatchObject({
        code: 0,
        stdout: `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`,
      });
    } finally {
      chmodSync(cli, mode);
    }
  });

  it('validate without arguments reads the empty policies/ of a fresh clone and points at the examples', () => {
    expect(readdirSync(join(ROOT, 'policies'))).toEqual(['README.md']);
    const r = sh('npx cors-policy validate', ROOT, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('no policy files (.json, .yaml, .yml) found in policies (the demo policies are in examples/: cors-policy validate examples)\n');
  });

  it("the README's explain example exits 0 as written", () => {
    const line = README.split('\n').find((l) => l.startsWith('$ npx cors-policy explain '))!;
    expect(line).toBeDefined();
    const r = sh(line.slice(2), ROOT, env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Verdict: ALLOWED');
  });
});

describe("the README's Deploy walkthrough, against moto", () => {
  let clone: string;
  let env: NodeJS.ProcessEnv;
  let apiId: string;
  let ids: Record<string, string>;
  let ssm: SSMClient;
  const commands = commandsUnder('Deploy');

  beforeAll(async () => {
    const endpoint = globalMotoEndpoint();
    const rest = restClient(endpoint);
    // An API set up with the console's "Enable CORS" on one resource.
    const api = await createRestApi(rest, 'readme-deploy', {
      resources: {
        '/': { GET: {} },
        '/orders': {
          GET: {},
          OPTIONS: {
            mock: {
              headers: {
                'Access-Control-Allow-Origin': "'https://shop.example.com'",
                'Access-Control-Allow-Methods': "'GET,OPTIONS'",
                'Access-Control-Allow-Headers': "'content-type'",
                'Access-Control-Max-Age': "'600'",
              },
            },
          },
        },
      },
      stages: ['prod'],
    });
    rest.destroy();
    apiId = api.id;
    ids = api.ids;
    // A directory laid out as a fresh clone: the committed samconfig.toml and policies/,
    // and node_modules, where npx finds the workspace's bin.
    clone = mkdtempSync(join(tmpdir(), 'readme-deploy-'));
    copyFileSync(join(ROOT, 'samconfig.toml'), join(clone, 'samconfig.toml'));
    mkdirSync(join(clone, 'policies'));
    for (const f of readdirSync(join(ROOT, 'policies'))) copyFileSync(join(ROOT, 'policies', f), join(clone, 'policies', f));
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    writeFileSync(join(clone, 'package.json'), '{ "name": "clone", "private": true }\n');
    env = {
      PATH: process.env.PATH,
      HOME: clone,
      npm_config_update_notifier: 'false',
      ...motoEnv(endpoint),
      ...apiGatewayEnv(endpoint),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    ssm = new SSMClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });

  afterAll(() => {
    ssm?.destroy();
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  const run = (verb: string) => {
    const line = commands.find((c) => c.startsWith(`npx cors-policy ${verb} `));
    if (!line) throw new Error(`the README's Deploy block has no "npx cors-policy ${verb}" line`);
    return sh(line.replaceAll(README_API_ID, apiId), clone, env);
  };

  it('has the steps in order', () => {
    expect(commands.map((c) => c.split(' ')[2])).toEqual(['discover', 'import', 'validate', 'push', 'verify']);
  });

  it('discover: the ids into samconfig.toml, and the command that removes the MOCK OPTIONS later', () => {
    const r = run('discover');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const overrides = Object.fromEntries(
      parseOverrides(/parameter_overrides = "(.*)"/.exec(readFileSync(join(clone, 'samconfig.toml'), 'utf8'))![1]!.replaceAll('\\"', '"')),
    );
    expect(overrides).toMatchObject({ ApiType: 'REST', ApiId: apiId, RestRootResourceId: ids['/'], StageName: 'prod', PolicyPath: '/cors/shop-api' });
    expect(r.stdout).toContain(`  aws apigateway delete-method --rest-api-id ${apiId} --resource-id ${ids['/orders']} --http-method OPTIONS\n`);
  });

  it('import: into the fresh policies/, next steps with the README path', () => {
    const r = run('import');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(join(clone, 'policies')).sort()).toEqual(['README.md', 'orders.json']);
    expect(r.stdout).toContain(
      'next: cors-policy validate policies && cors-policy diff --path /cors/shop-api --dir policies, then cors-policy push --path /cors/shop-api --dir policies',
    );
  });

  it('validate: the imported file is valid (the folder README is not a policy)', () => {
    const r = run('validate');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok {3}policies\/orders\.json \(\d+ bytes\)\n1 file checked: all valid\n$/);
  });

  it('push: says what it is about to publish, then publishes the imported policy and nothing else', async () => {
    const r = run('push');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const announce = r.stdout.indexOf(
      'about to publish 1 policy from policies to /cors/shop-api:\n  policies/orders.json -> /cors/shop-api/orders\n      routes:  /orders\n      origins: https://shop.example.com\n',
    );
    expect(announce).toBeGreaterThan(-1);
    expect(r.stdout.indexOf('added     /cors/shop-api/orders')).toBeGreaterThan(announce);
    const stored = await ssm.send(new GetParametersByPathCommand({ Path: '/cors/shop-api', Recursive: true }));
    expect((stored.Parameters ?? []).map((p) => p.Name)).toEqual(['/cors/shop-api/orders']);
    expect(JSON.parse(stored.Parameters![0]!.Value!)).toMatchObject({ route: '/orders', allowOrigins: ['https://shop.example.com'], maxAge: 600 });
  });
});
