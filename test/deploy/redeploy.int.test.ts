/**
 * The BUILT check/deploy custom resource (dist/redeploy/index.js) run in-process
 * against moto's API Gateway (REST and HTTP) with the real SDK, answering a local
 * stand-in for CloudFormation's ResponseURL. One test per behaviour; what moto cannot
 * stand in for (HTTP CreateDeployment, paging, throttling and conflict errors, hangs)
 * is in redeploy.test.ts with mocked clients.
 *
 * moto's HTTP API ids have 8 letters where AWS's have 10: the template's ApiId pattern
 * would refuse them, the custom resource does not check the form (the API answers
 * whether it exists), so these tests pass moto's ids straight in.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { GetDeploymentsCommand, GetStageCommand, GetStagesCommand, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { UpdateApiCommand, type ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import type { ResponseBody } from '../../functions/redeploy/handler';
import { globalMotoEndpoint, useMoto } from '../support/moto-ssm';
import { apiGatewayEnv, createHttpApi, createRestApi, httpClient, restClient } from '../support/moto-apigateway';
import { LOG_STREAM, STACK_ID, captureStdout, cfnEvent, lambdaContext, startResponseServer, type Props, type ResponseServer } from './cfn';

const BUNDLE = resolve(__dirname, '../../dist/redeploy/index.js');

let handler: (event: CloudFormationCustomResourceEvent, context: Context) => Promise<void>;
let bundleDir: string;
let server: ResponseServer;
let rest: APIGatewayClient;
let http: ApiGatewayV2Client;
let logged: () => string;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "node scripts/build.mjs --only redeploy" (npm test builds it first)`);
  const endpoint = globalMotoEndpoint();
  useMoto(endpoint);
  Object.assign(process.env, apiGatewayEnv(endpoint));
  // A copy: a concurrent build empties dist/ for a moment.
  bundleDir = mkdtempSync(join(tmpdir(), 'redeploy-bundle-'));
  copyFileSync(BUNDLE, join(bundleDir, 'index.js'));
  handler = (require(join(bundleDir, 'index.js')) as { handler: typeof handler }).handler;
  server = await startResponseServer();
  rest = restClient(endpoint);
  http = httpClient(endpoint);
});

afterAll(async () => {
  await server?.close();
  rest?.destroy();
  http?.destroy();
  rmSync(bundleDir, { recursive: true, force: true });
});

beforeEach(() => {
  server.reset();
  logged = captureStdout();
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** Runs one invocation and returns the one response it sent. */
async function invoke(requestType: 'Create' | 'Update' | 'Delete', props: Props, old?: Props): Promise<ResponseBody> {
  await handler(cfnEvent(server.url, requestType, props, old), lambdaContext());
  expect(server.received).toHaveLength(1);
  return server.received[0]!.body;
}

const restCheck = (apiId: string, rootId: string, extra: Props = {}): Props => ({
  Action: 'Check',
  ApiType: 'REST',
  ApiId: apiId,
  StageName: 'prod',
  RestRootResourceId: rootId,
  ExistingProxyResourceId: '',
  PolicyPath: '/cors/shop-api',
  ...extra,
});
const restDeploy = (apiId: string, extra: Props = {}): Props => ({
  Action: 'Deploy',
  ApiType: 'REST',
  ApiId: apiId,
  StageName: 'prod',
  Triggers: { Revision: '1' },
  ...extra,
});
const httpCheck = (apiId: string, extra: Props = {}): Props => ({
  Action: 'Check',
  ApiType: 'HTTP',
  ApiId: apiId,
  StageName: '$default',
  RestRootResourceId: '',
  ExistingProxyResourceId: '',
  PolicyPath: '/cors/shop-api',
  ...extra,
});
const httpDeploy = (apiId: string): Props => ({ Action: 'Deploy', ApiType: 'HTTP', ApiId: apiId, StageName: '$default', Triggers: { Revision: '1' } });

const mockOptions = { mock: { headers: { 'Access-Control-Allow-Origin': "'https://shop.example.com'" } } };

describe('REST Check', () => {
  test('passes on a new install, answers with a PUT to the ResponseURL, and reports OPTIONS/ANY methods on more specific paths', async () => {
    const api = await createRestApi(rest, 'check-pass', {
      resources: { '/': { GET: {} }, '/users': { ANY: {}, GET: {} }, '/orders': { OPTIONS: mockOptions, POST: {} }, '/items': { GET: {} } },
      stages: ['prod'],
    });
    const body = await invoke('Create', restCheck(api.id, api.rootId));
    expect(body).toEqual({
      Status: 'SUCCESS',
      StackId: STACK_ID,
      RequestId: 'request-Create',
      LogicalResourceId: 'RestStageDeployment',
      NoEcho: false,
      PhysicalResourceId: `apigw-cors:check:REST:${api.id}:prod`,
      Data: { ShadowingRoutes: 'ANY /users, OPTIONS /orders' },
    });
    const { method, headers, url } = server.received[0]!;
    expect([method, headers['content-type'], url]).toEqual(['PUT', '', '/cfn-response?X-Amz-Signature=abc']);
    // The project's logger, and the pre-signed ResponseURL (a credential) is never logged.
    expect(logged()).toContain('"service":"apigw-cors-redeploy"');
    expect(logged()).not.toContain('X-Amz-Signature');
  });

  test('a missing stage fails: the stage must exist', async () => {
    const api = await createRestApi(rest, 'check-no-stage', { stages: ['dev'] });
    const body = await invoke('Create', restCheck(api.id, api.rootId));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(
      new RegExp(`^REST API ${api.id} or its stage "prod" was not found .*never creates stages\\. \\(log stream ${LOG_STREAM.replace(/[[\]$]/g, '\\$&')}\\)$`),
    );
  });

  test('a missing REST API fails with a hint about ApiType', async () => {
    const body = await invoke('Create', restCheck('nosuchapi1', 'r00t'));
    expect(body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/REST API nosuchapi1 or its stage "prod" was not found.*for an HTTP API set ApiType=HTTP/),
    });
  });

  test('a RestRootResourceId that is not "/" fails and names the root id', async () => {
    const api = await createRestApi(rest, 'check-root', { resources: { '/users': { GET: {} } }, stages: ['prod'] });
    const body = await invoke('Create', restCheck(api.id, api.ids['/users']!));
    expect(body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining(`is not the root resource of REST API ${api.id}; its "/" resource has id "${api.rootId}".`),
    });
  });

  test('an existing /{proxy+} not named in ExistingProxyResourceId fails on create with the id to pass', async () => {
    const api = await createRestApi(rest, 'check-proxy-unnamed', { resources: { '/{proxy+}': { ANY: {} } }, stages: ['prod'] });
    const body = await invoke('Create', restCheck(api.id, api.rootId));
    expect(body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining(`Deploy again with ExistingProxyResourceId=${api.ids['/{proxy+}']}.`) });
  });

  test('an existing /{proxy+} named in ExistingProxyResourceId passes; its ANY method is no conflict', async () => {
    const api = await createRestApi(rest, 'check-proxy-named', { resources: { '/{proxy+}': { ANY: {} } }, stages: ['prod'] });
    const body = await invoke('Create', restCheck(api.id, api.rootId, { ExistingProxyResourceId: api.ids['/{proxy+}']! }));
    expect(body).toMatchObject({ Status: 'SUCCESS', Data: { ShadowingRoutes: 'none' } });
  });

  test('an ExistingProxyResourceId that is no resource of the API fails', async () => {
    const api = await createRestApi(rest, 'check-proxy-unknown', { stages: ['prod'] });
    const body = await invoke('Create', restCheck(api.id, api.rootId, { ExistingProxyResourceId: 'zzzzzzzzzz' }));
    expect(body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining(`ExistingProxyResourceId "zzzzzzzzzz" is not a resource of REST API ${api.id}.`),
    });
  });

  test('an ExistingProxyResourceId of another path fails and names the real /{proxy+}', async () => {
    const api = await createRestApi(rest, 'check-proxy-wrong', { resources: { '/users/{proxy+}': { ANY: {} }, '/{proxy+}': { GET: {} } }, stages: ['prod'] });
    const body = await invoke('Create', restCheck(api.id, api.rootId, { ExistingProxyResourceId: api.ids['/users/{proxy+}']! }));
    expect(body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining(
        `is the resource "/users/{proxy+}", not "/{proxy+}" directly under the root (that one has id "${api.ids['/{proxy+}']}").`,
      ),
    });
  });

  test('an ExistingProxyResourceId of another path, with no /{proxy+} on the API, says to leave it empty', async () => {
    const api = await createRestApi(rest, 'check-proxy-none', { resources: { '/users': { GET: {} } }, stages: ['prod'] });
    const body = await invoke('Create', restCheck(api.id, api.rootId, { ExistingProxyResourceId: api.ids['/users']! }));
    expect(body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining('is the resource "/users", not "/{proxy+}" directly under the root; leave ExistingProxyResourceId empty to create it.'),
    });
  });

  test('an OPTIONS method already on "/" fails a new install', async () => {
    const api = await createRestApi(rest, 'check-root-options', { resources: { '/': { OPTIONS: mockOptions } }, stages: ['prod'] });
    const body = await invoke('Create', restCheck(api.id, api.rootId));
    expect(body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining(`Resource "/" (id "${api.rootId}") of REST API ${api.id} already has an OPTIONS method`),
    });
  });

  test('an OPTIONS method already on the named /{proxy+} fails a new install', async () => {
    const api = await createRestApi(rest, 'check-proxy-options', { resources: { '/{proxy+}': { OPTIONS: mockOptions } }, stages: ['prod'] });
    const body = await invoke('Create', restCheck(api.id, api.rootId, { ExistingProxyResourceId: api.ids['/{proxy+}']! }));
    expect(body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('Resource "/{proxy+}"') });
  });

  test('an Update on the same API: the OPTIONS methods the stack added are no conflict', async () => {
    const api = await createRestApi(rest, 'check-update', {
      resources: { '/': { OPTIONS: { integrationType: 'AWS_PROXY' } }, '/{proxy+}': { OPTIONS: { integrationType: 'AWS_PROXY' } } },
      stages: ['prod', 'old'],
    });
    const props = restCheck(api.id, api.rootId);
    const body = await invoke('Update', props, { ...props, StageName: 'old' });
    expect(body).toMatchObject({ Status: 'SUCCESS', Data: { ShadowingRoutes: 'none' } });
  });

  test('an Update moving the stack to another API checks for conflicts again', async () => {
    const api = await createRestApi(rest, 'check-move', { resources: { '/': { OPTIONS: mockOptions } }, stages: ['prod'] });
    const props = restCheck(api.id, api.rootId);
    const body = await invoke('Update', props, { ...props, ApiId: 'other00000' });
    expect(body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('already has an OPTIONS method') });
  });

  test('a PolicyPath in the reserved /aws or /ssm namespace fails', async () => {
    const api = await createRestApi(rest, 'check-policy-path', { stages: ['prod'] });
    const body = await invoke('Create', restCheck(api.id, api.rootId, { PolicyPath: '/aws/cors' }));
    expect(body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^PolicyPath "\/aws\/cors" .*must not begin with "aws" or "ssm"/) });
  });
});

describe('REST Deploy', () => {
  const stageDeployment = async (apiId: string, stageName = 'prod') => (await rest.send(new GetStageCommand({ restApiId: apiId, stageName }))).deploymentId;

  test('Create deploys the existing stage: it now serves the new deployment, described with the stack name', async () => {
    const api = await createRestApi(rest, 'deploy-create', { resources: { '/{proxy+}': { OPTIONS: { integrationType: 'AWS_PROXY' } } }, stages: ['prod'] });
    const before = await stageDeployment(api.id);
    const body = await invoke('Create', restDeploy(api.id));
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `apigw-cors:deploy:REST:${api.id}:prod`, Data: { DeploymentId: expect.any(String) } });
    const deployed = body.Data!.DeploymentId;
    expect(deployed).not.toBe(before);
    expect(await stageDeployment(api.id)).toBe(deployed);
    const deployments = (await rest.send(new GetDeploymentsCommand({ restApiId: api.id }))).items ?? [];
    expect(deployments.find((d) => d.id === deployed)?.description).toBe('apigw-cors-preflight stack shop-cors: OPTIONS routes (Create)');
  });

  test('Update deploys the stage again with the same physical id', async () => {
    const api = await createRestApi(rest, 'deploy-update', { stages: ['prod'] });
    const first = await invoke('Create', restDeploy(api.id));
    server.reset();
    const props = restDeploy(api.id, { Triggers: { Revision: '2' } });
    const second = await invoke('Update', props, restDeploy(api.id));
    expect(second).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: first.PhysicalResourceId });
    expect(second.Data!.DeploymentId).not.toBe(first.Data!.DeploymentId);
    expect(await stageDeployment(api.id)).toBe(second.Data!.DeploymentId);
  });

  test('a missing stage fails and is not created by CreateDeployment', async () => {
    const api = await createRestApi(rest, 'deploy-no-stage', { stages: ['dev'] });
    const body = await invoke('Create', restDeploy(api.id));
    expect(body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/stage "prod" was not found.*never creates stages/) });
    expect(((await rest.send(new GetStagesCommand({ restApiId: api.id }))).item ?? []).map((s) => s.stageName)).toEqual(['dev']);
    expect((await rest.send(new GetDeploymentsCommand({ restApiId: api.id }))).items).toHaveLength(1);
  });
});

describe('Delete', () => {
  test.each(['Check', 'Deploy'])('%s: answers SUCCESS with the same physical id and leaves the API as it was', async (action) => {
    const api = await createRestApi(rest, `delete-${action}`, { stages: ['prod'] });
    const before = await stageDeployment();
    const props = action === 'Check' ? restCheck(api.id, api.rootId) : restDeploy(api.id);
    expect(await invoke('Delete', props)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'physical-1' });
    expect(await stageDeployment()).toEqual(before);

    async function stageDeployment() {
      return {
        stages: ((await rest.send(new GetStagesCommand({ restApiId: api.id }))).item ?? []).map((s) => [s.stageName, s.deploymentId]),
        deployments: (await rest.send(new GetDeploymentsCommand({ restApiId: api.id }))).items?.length,
      };
    }
  });
});

describe('HTTP Check', () => {
  test('passes on a new install and reports ANY/OPTIONS routes on more specific paths', async () => {
    const apiId = await createHttpApi(http, 'check-pass', {
      routes: ['ANY /{proxy+}', 'ANY /users', 'GET /orders', 'OPTIONS /orders/{id}', '$default'],
      stages: { $default: true },
    });
    const body = await invoke('Create', httpCheck(apiId));
    expect(body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `apigw-cors:check:HTTP:${apiId}:$default`,
      Data: { ShadowingRoutes: 'ANY /users, OPTIONS /orders/{id}' },
    });
  });

  test('a CorsConfiguration fails before any route is added, saying why and what to do', async () => {
    const apiId = await createHttpApi(http, 'check-cors', { cors: { AllowOrigins: ['https://app.example.com'] }, stages: { $default: true } });
    const body = await invoke('Create', httpCheck(apiId));
    expect(body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(new RegExp(`^HTTP API ${apiId} has a CorsConfiguration.*discards the CORS headers.*Remove the API's CorsConfiguration`)),
    });
  });

  test('the id of a REST API fails with a hint about ApiType', async () => {
    const api = await createRestApi(rest, 'check-http-is-rest', { stages: ['prod'] });
    const body = await invoke('Create', httpCheck(api.id));
    expect(body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(new RegExp(`^HTTP API ${api.id} was not found.*for a REST API set ApiType=REST`)),
    });
  });

  test('a WebSocket API is refused', async () => {
    const apiId = await createHttpApi(http, 'check-ws', { protocol: 'WEBSOCKET' });
    const body = await invoke('Create', httpCheck(apiId));
    expect(body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining(`API ${apiId} is a WEBSOCKET API; ApiType=HTTP needs an HTTP API.`) });
  });

  test('a missing stage fails', async () => {
    const apiId = await createHttpApi(http, 'check-no-stage', { stages: { live: false } });
    const body = await invoke('Create', httpCheck(apiId));
    expect(body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining(`Stage "$default" of HTTP API ${apiId} was not found`) });
  });

  test('existing OPTIONS / or OPTIONS /{proxy+} routes fail a new install', async () => {
    const apiId = await createHttpApi(http, 'check-taken', { routes: ['OPTIONS /', 'OPTIONS /{proxy+}'], stages: { $default: true } });
    const body = await invoke('Create', httpCheck(apiId));
    expect(body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining(`HTTP API ${apiId} already has the route(s) "OPTIONS /", "OPTIONS /{proxy+}".`),
    });
  });

  test('an Update on the same API: the routes the stack added are no conflict', async () => {
    const apiId = await createHttpApi(http, 'check-update', { routes: ['OPTIONS /', 'OPTIONS /{proxy+}'], stages: { $default: true } });
    expect(await invoke('Update', httpCheck(apiId))).toMatchObject({ Status: 'SUCCESS', Data: { ShadowingRoutes: 'none' } });
  });
});

describe('HTTP Deploy', () => {
  test('a stage with AutoDeploy has picked the routes up already: SUCCESS without a deployment', async () => {
    const apiId = await createHttpApi(http, 'deploy-auto', { routes: ['OPTIONS /'], stages: { $default: true } });
    expect(await invoke('Create', httpDeploy(apiId))).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `apigw-cors:deploy:HTTP:${apiId}:$default`,
      Data: { DeploymentId: 'AutoDeploy' },
    });
  });

  test('a CorsConfiguration added after the install fails the next Update', async () => {
    const apiId = await createHttpApi(http, 'deploy-cors-later', { stages: { $default: true } });
    expect((await invoke('Create', httpDeploy(apiId))).Status).toBe('SUCCESS');
    server.reset();
    await http.send(new UpdateApiCommand({ ApiId: apiId, CorsConfiguration: { AllowOrigins: ['*'] } }));
    expect(await invoke('Update', httpDeploy(apiId))).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining(`HTTP API ${apiId} has a CorsConfiguration`),
    });
  });
});

describe('the response protocol', () => {
  test.each([
    [{ ApiType: 'WEBSOCKET' }, 'Property ApiType must be "REST" or "HTTP", not "WEBSOCKET".'],
    [{ Action: 'Remove' }, 'Property Action must be "Check" or "Deploy", not "Remove".'],
    [{ ApiId: '' }, 'Property ApiId is required.'],
    [{ StageName: '' }, 'Property StageName is required.'],
    [{ RestRootResourceId: '' }, 'RestRootResourceId is required for a REST API (the id of its "/" resource).'],
    [{ StageName: { name: 'prod' } }, 'Property StageName must be a string.'],
  ] as [Props, string][])('invalid properties %j answer FAILED with the reason', async (change, reason) => {
    const body = await invoke('Create', restCheck('anyapi0001', 'r00t', change));
    expect(body).toMatchObject({ Status: 'FAILED', Reason: `${reason} (log stream ${LOG_STREAM})`, PhysicalResourceId: 'RestStageDeployment-request-Create' });
  });

  test('Delete answers SUCCESS even with unusable properties', async () => {
    expect(await invoke('Delete', { Action: 'Nonsense' })).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'physical-1' });
  });

  test('the response is sent again when the ResponseURL answers with an error', async () => {
    const api = await createRestApi(rest, 'response-retry', { stages: ['prod'] });
    server.statusQueue.push(500);
    expect((await invoke('Create', restDeploy(api.id))).Status).toBe('SUCCESS');
    expect(logged()).toContain('CloudFormation response was not accepted');
  });
});
