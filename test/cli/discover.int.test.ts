// `cors-policy discover` through the built binary against moto's API Gateway
// (REST and HTTP). Each test builds its own API; moto's HTTP API ids have 8 letters.
import { copyFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DeleteMethodCommand } from '@aws-sdk/client-api-gateway';
import { parseOverrides } from '../../functions/cli/samconfig';
import { createHttpApi, createRestApi } from '../support/moto-apigateway';
import { runCli } from './support/cli';
import { API_GATEWAY_SANDBOX, useCliSandbox } from './support/sandbox';

const REPO = resolve(__dirname, '../..');
const sandbox = useCliSandbox('discover', API_GATEWAY_SANDBOX);
const { cli } = sandbox;

const enableCors = { mock: { headers: { 'Access-Control-Allow-Origin': "'https://shop.example.com'", 'Access-Control-Allow-Methods': "'GET,OPTIONS'" } } };

describe('REST', () => {
  test('prints the ids, stages, MOCK OPTIONS, shadowing methods and authorizers, and the sam deploy line', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'discover-rest', {
      authorizer: true,
      resources: { '/': { GET: {} }, '/{proxy+}': { ANY: {} }, '/items': { GET: {}, OPTIONS: enableCors }, '/users': { ANY: { authorizationType: 'CUSTOM' } } },
      stages: ['prod'],
    });
    const r = await cli('discover', '--api-id', api.id, '--policy-path', '/cors/shop-api');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`REST API ${api.id} "discover-rest"\n`);
    expect(r.stdout).toContain(`  root resource "/":     ${api.rootId}\n`);
    expect(r.stdout).toContain(`  "/{proxy+}" resource:  ${api.ids['/{proxy+}']}\n`);
    expect(r.stdout).toContain('  stages:                prod\n');
    expect(r.stdout).toContain('  MOCK OPTIONS:          /items\n');
    expect(r.stdout).toContain('  shadowing OPTIONS/ANY: ANY /users, OPTIONS /items\n');
    expect(r.stdout).toContain('  authorizers:           ANY /users (CUSTOM)\n');
    expect(r.stdout).not.toContain('blocks the deploy');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      `sam deploy --parameter-overrides 'ApiType="REST" ApiId="${api.id}" RestRootResourceId="${api.rootId}" ExistingProxyResourceId="${api.ids['/{proxy+}']}" StageName="prod" PolicyPath="/cors/shop-api"'`,
    );
  });

  test('without a /{proxy+} the stack creates it: ExistingProxyResourceId stays empty', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'discover-no-proxy', { stages: ['prod'] });
    const r = await cli('discover', '--api-id', api.id);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  "/{proxy+}" resource:  none (the stack creates it)\n');
    expect(r.stdout).toContain(`ExistingProxyResourceId="" StageName="prod"'`);
    expect(r.stdout).toContain('note: no --policy-path');
  });

  test('an OPTIONS method on "/" blocks the deploy: exit 3 with the reason', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'discover-root-options', { resources: { '/': { OPTIONS: enableCors } }, stages: ['prod'] });
    const r = await cli('discover', '--api-id', api.id);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`blocks the deploy: / already has an OPTIONS method (id ${api.rootId})`);
    expect(r.stdout).toContain(
      `to remove what blocks the deploy, after import and push (live with the stage deployment the stack makes):\n  aws apigateway delete-method --rest-api-id ${api.id} --resource-id ${api.rootId} --http-method OPTIONS\n`,
    );
  });

  test('prints the delete-method commands for what blocks the deploy and, apart, for the MOCK OPTIONS on other paths; they work as printed', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'discover-removals', {
      resources: { '/': { OPTIONS: enableCors }, '/items': { GET: {}, OPTIONS: enableCors }, '/users': { OPTIONS: enableCors } },
      stages: ['prod'],
    });
    const r = await cli('discover', '--api-id', api.id, '--region', 'us-east-1', '--json');
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { removeBlockers: string[]; removeMockOptions: string[] };
    const del = (id: string) => `aws apigateway delete-method --rest-api-id ${api.id} --resource-id ${id} --http-method OPTIONS --region us-east-1`;
    expect(doc.removeBlockers).toEqual([del(api.rootId)]);
    expect(doc.removeMockOptions).toEqual([del(api.ids['/items']!), del(api.ids['/users']!)]);
    // The printed words are the arguments of the API call: run them through the SDK, then discover again.
    for (const command of [...doc.removeBlockers, ...doc.removeMockOptions]) {
      const words = command.split(' ');
      const arg = (name: string) => words[words.indexOf(name) + 1]!;
      await sandbox.clients.rest.send(
        new DeleteMethodCommand({ restApiId: arg('--rest-api-id'), resourceId: arg('--resource-id'), httpMethod: arg('--http-method') }),
      );
    }
    const after = await cli('discover', '--api-id', api.id);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('  MOCK OPTIONS:          none\n');
    expect(after.stdout).not.toContain('aws apigateway delete-method');
  });

  test('several stages without --stage: the line names none, --write-samconfig refuses', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'discover-stages', { stages: ['dev', 'prod'] });
    const r = await cli('discover', '--api-id', api.id);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('note: the API has several stages (dev, prod); pass --stage NAME');
    expect(r.stdout).toContain('StageName="<STAGE>"');
    const w = await cli('discover', '--api-id', api.id, '--write-samconfig', '--samconfig', join(sandbox.home, 'never.toml'));
    expect(w.code).toBe(2);
    expect(w.stderr).toBe('cors-policy discover: error: --write-samconfig needs one stage: pass --stage (stages: dev, prod)\n');
  });

  test('--stage that does not exist: exit 2 with the stages there are', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'discover-bad-stage', { stages: ['prod'] });
    const r = await cli('discover', '--api-id', api.id, '--stage', 'live');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cors-policy discover: error: REST API ${api.id} has no stage "live" (stages: prod); the stack never creates stages\n`);
  });

  test('--json: one document with the parameters, named as in template.yaml', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'discover-json', { stages: ['prod'] });
    const r = await cli('discover', '--api-id', api.id, '--stage', 'prod', '--policy-path', '/cors/shop-api', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      command: 'discover',
      ok: true,
      apiId: api.id,
      apiType: 'REST',
      rootResourceId: api.rootId,
      proxyResourceId: null,
      stages: [{ name: 'prod', autoDeploy: null }],
      stage: 'prod',
      corsConfiguration: null,
      blockers: [],
      parameters: {
        ApiType: 'REST',
        ApiId: api.id,
        RestRootResourceId: api.rootId,
        ExistingProxyResourceId: '',
        StageName: 'prod',
        PolicyPath: '/cors/shop-api',
      },
      samconfig: null,
    });
    const template = await readFile(join(REPO, 'template.yaml'), 'utf8');
    const section = /^Parameters:\n([\s\S]*?)\n\S/m.exec(template)![1]!;
    const declared = [...section.matchAll(/^ {2}(\w+):$/gm)].map((m) => m[1]);
    for (const name of Object.keys(doc.parameters as object)) expect(declared).toContain(name);
  });

  test('--write-samconfig changes only parameter_overrides of [default.deploy.parameters]', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'discover-write', { resources: { '/{proxy+}': { ANY: {} } }, stages: ['prod'] });
    const dir = await sandbox.dir();
    const file = join(dir, 'samconfig.toml');
    await copyFile(join(REPO, 'samconfig.toml'), file);
    const before = await readFile(file, 'utf8');
    const r = await runCli(['discover', '--api-id', api.id, '--write-samconfig'], { env: sandbox.env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wrote ApiType, ApiId, RestRootResourceId, ExistingProxyResourceId, StageName into samconfig.toml');
    const after = await readFile(file, 'utf8');
    const [a, b] = [before.split('\n'), after.split('\n')];
    expect(b).toHaveLength(a.length);
    const changed = a.flatMap((line, i) => (line === b[i] ? [] : [i]));
    expect(changed).toHaveLength(1);
    expect(a[changed[0]!]).toMatch(/^parameter_overrides = /);
    const overrides = Object.fromEntries(parseOverrides(JSON.parse(b[changed[0]!]!.replace(/^parameter_overrides = /, '')) as string));
    expect(overrides).toEqual({
      ...Object.fromEntries(parseOverrides(JSON.parse(a[changed[0]!]!.replace(/^parameter_overrides = /, '')) as string)),
      ApiType: 'REST',
      ApiId: api.id,
      RestRootResourceId: api.rootId,
      ExistingProxyResourceId: api.ids['/{proxy+}'],
      StageName: 'prod',
    });
    expect(overrides.PolicyPath).toBe('/cors/shop-api'); // kept from the file
  });
});

describe('HTTP', () => {
  test('a CorsConfiguration blocks the deploy; stages show AutoDeploy; moto ids are flagged for the template', async () => {
    const apiId = await createHttpApi(sandbox.clients.http, 'discover-http-cors', {
      cors: { AllowOrigins: ['https://app.example.com'] },
      routes: ['ANY /{proxy+}', 'ANY /users'],
      stages: { $default: true },
    });
    const r = await cli('discover', '--api-id', apiId);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`HTTP API ${apiId} "discover-http-cors"\n`);
    expect(r.stdout).toContain('  CorsConfiguration:     {"AllowOrigins":["https://app.example.com"]}\n');
    expect(r.stdout).toContain('  stages:                $default (AutoDeploy)\n');
    expect(r.stdout).toContain('  shadowing OPTIONS/ANY: ANY /users\n');
    expect(r.stdout).toContain(`blocks the deploy: the API has a CorsConfiguration`);
    expect(r.stdout).toContain(
      `to remove what blocks the deploy, after import and push (preflights fail from then until the stack exists: run sam deploy right after):\n  aws apigatewayv2 delete-cors-configuration --api-id ${apiId}\n`,
    );
    expect(r.stdout).toContain(`note: the id "${apiId}" does not have the 10 characters of an AWS API id`);
    expect(r.stdout).toContain(
      `sam deploy --parameter-overrides 'ApiType="HTTP" ApiId="${apiId}" RestRootResourceId="" ExistingProxyResourceId="" StageName="$default"'`,
    );
  });

  test('names and values from API Gateway reach the terminal escaped: no control or bidi character', async () => {
    const apiId = await createHttpApi(sandbox.clients.http, 'shop\u001b[2J\u202eipa', {
      cors: { AllowOrigins: ['https://app.example.com\u202e\u0085'] },
      stages: { 'live\u2066': true },
    });
    const r = await cli('discover', '--api-id', apiId);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(r.stdout).toContain(`HTTP API ${apiId} "shop\\x1b[2J\\u202eipa"\n`);
  });

  test('existing OPTIONS routes block the deploy; a stage without AutoDeploy is noted; an authorizer on ANY is reported', async () => {
    const apiId = await createHttpApi(sandbox.clients.http, 'discover-http-routes', {
      routes: ['OPTIONS /', { key: 'ANY /admin', authorizationType: 'JWT' }],
      stages: { live: false },
    });
    const r = await cli('discover', '--api-id', apiId, '--json');
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      ok: false,
      apiType: 'HTTP',
      stages: [{ name: 'live', autoDeploy: false }],
      stage: 'live',
      shadowing: ['ANY /admin'],
      authorizedPreflights: [{ route: 'ANY /admin', authorization: 'JWT' }],
      blockers: ['the route "OPTIONS /" exists already; the stack adds its own: remove it first'],
      removeBlockers: [expect.stringMatching(new RegExp(`^aws apigatewayv2 delete-route --api-id ${apiId} --route-id [a-z0-9]+$`))],
      removeMockOptions: [],
    });
    expect(doc.notes).toContain('stage live has no AutoDeploy: the stack deploys it after adding the routes');
  });

  test('a WebSocket API is refused: exit 2', async () => {
    const apiId = await createHttpApi(sandbox.clients.http, 'discover-ws', { protocol: 'WEBSOCKET' });
    const r = await cli('discover', '--api-id', apiId);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cors-policy discover: error: API ${apiId} is a WEBSOCKET API; this product serves REST and HTTP APIs only\n`);
  });
});

test('an API that does not exist: exit 2 with the reason, also as JSON', async () => {
  const r = await cli('discover', '--api-id', 'nosuchapi0', '--json');
  expect(r.code).toBe(2);
  expect(JSON.parse(r.stdout)).toEqual({
    command: 'discover',
    ok: false,
    error: { code: 'NotFound', message: 'no REST or HTTP API with id "nosuchapi0" in this account and region (us-east-1); check --api-id and --region' },
  });
});

describe('usage', () => {
  test.each([
    ['discover', ['--api-id', '--stage', '--policy-path', '--write-samconfig', '--samconfig', '--region', '--profile', '--json']],
    ['import', ['--api-id', '--dir', '--dry-run', '--region', '--profile', '--json']],
  ])('%s --help describes every flag and the endpoint variables', async (command, flags) => {
    const r = await cli(command, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: cors-policy ${command} --api-id ID`));
    for (const f of flags) expect(r.stdout).toContain(`  ${f}`);
    expect(r.stdout).toContain('AWS_ENDPOINT_URL_API_GATEWAY (REST), AWS_ENDPOINT_URL_APIGATEWAYV2 (HTTP)');
  });

  test('--api-id is required and must look like an id: exit 2', async () => {
    expect(await cli('discover')).toMatchObject({ code: 2, stderr: expect.stringContaining('--api-id is required') });
    expect(await cli('import', '--api-id', 'Not An Id')).toMatchObject({
      code: 2,
      stderr: 'cors-policy import: error: --api-id "Not An Id" is not an API Gateway id (lower-case letters and digits)\n',
    });
  });
});
