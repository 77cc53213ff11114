/**
 * The check/deploy custom resource (functions/redeploy/) with MOCKED API Gateway
 * clients, kept only for what moto's API Gateway cannot stand in for:
 * - HTTP CreateDeployment (moto does not implement it: a stage without AutoDeploy);
 * - paging of GetResources and GetRoutes (moto ignores limit/position/NextToken);
 * - API Gateway's throttling, conflict and access errors, and an unexpected exception;
 * - a call that never answers (the deadline before the Lambda timeout).
 * Every other behaviour runs against moto with the built bundle: redeploy.int.test.ts.
 */
import { mockClient } from 'aws-sdk-client-mock';
import {
  APIGatewayClient,
  ConflictException,
  CreateDeploymentCommand as CreateRestDeploymentCommand,
  GetResourcesCommand,
  GetStageCommand as GetRestStageCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-api-gateway';
import {
  AccessDeniedException,
  ApiGatewayV2Client,
  CreateDeploymentCommand as CreateHttpDeploymentCommand,
  GetApiCommand,
  GetRoutesCommand,
  GetStageCommand as GetHttpStageCommand,
} from '@aws-sdk/client-apigatewayv2';
import { handler, SAFETY_MARGIN_MS, summarize, type ResponseBody } from '../../functions/redeploy/handler';
import { captureStdout, cfnEvent, lambdaContext, startResponseServer, type Props, type ResponseServer } from './cfn';

process.env.AWS_REGION ??= 'us-east-1';

const restMock = mockClient(APIGatewayClient);
const httpMock = mockClient(ApiGatewayV2Client);
let server: ResponseServer;

beforeAll(async () => {
  server = await startResponseServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  restMock.reset();
  httpMock.reset();
  server.reset();
  captureStdout();
});

afterEach(() => {
  jest.restoreAllMocks();
});

const event = (requestType: 'Create' | 'Update', props: Props, old?: Props) => cfnEvent(server.url, requestType, props, old);

function only(): ResponseBody {
  expect(server.received).toHaveLength(1);
  return server.received[0]!.body;
}

const restDeploy: Props = { Action: 'Deploy', ApiType: 'REST', ApiId: 'a1b2c3d4e5', StageName: 'prod', Triggers: { Revision: '1', Methods: ['m1', 'm2'] } };
const httpDeploy: Props = { Action: 'Deploy', ApiType: 'HTTP', ApiId: 'h1t2t3p4a5', StageName: '$default', Triggers: { Revision: '1' } };
const restCheck: Props = {
  Action: 'Check',
  ApiType: 'REST',
  ApiId: 'a1b2c3d4e5',
  StageName: 'prod',
  RestRootResourceId: 'root000001',
  ExistingProxyResourceId: '',
  PolicyPath: '/cors/shop-api',
};
const httpCheck: Props = { Action: 'Check', ApiType: 'HTTP', ApiId: 'h1t2t3p4a5', StageName: '$default', RestRootResourceId: '', ExistingProxyResourceId: '' };

describe('API Gateway errors moto does not produce', () => {
  beforeEach(() => {
    restMock.on(GetRestStageCommand).resolves({ stageName: 'prod', deploymentId: 'old' });
  });

  test('throttling after the SDK retries becomes FAILED with the error as the reason', async () => {
    restMock.on(CreateRestDeploymentCommand).rejects(new TooManyRequestsException({ message: 'Too Many Requests', $metadata: {} }));
    await handler(event('Update', restDeploy), lambdaContext());
    expect(only()).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/^TooManyRequestsException: Too Many Requests/),
      PhysicalResourceId: 'physical-1',
    });
  });

  test('a conflict (another deployment under way) becomes FAILED with the error as the reason', async () => {
    restMock
      .on(CreateRestDeploymentCommand)
      .rejects(new ConflictException({ message: 'Unable to complete operation due to concurrent modification. Please try again later.', $metadata: {} }));
    await handler(event('Create', restDeploy), lambdaContext());
    expect(only()).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/^ConflictException: Unable to complete operation due to concurrent modification/),
    });
  });

  test('access denied names the parameters to check', async () => {
    httpMock.on(GetApiCommand).rejects(new AccessDeniedException({ message: 'User is not authorized', $metadata: { httpStatusCode: 403 } }));
    await handler(event('Create', httpCheck), lambdaContext());
    expect(only()).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/^Access denied by API Gateway: User is not authorized\. .*check those parameters/),
    });
  });

  test('an unexpected exception still answers FAILED', async () => {
    restMock.on(GetRestStageCommand).rejects(new TypeError('boom'));
    await handler(event('Create', restDeploy), lambdaContext());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^TypeError: boom/) });
  });

  test('work that hangs answers FAILED before the Lambda timeout', async () => {
    restMock.on(CreateRestDeploymentCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    await handler(event('Create', restDeploy), lambdaContext(SAFETY_MARGIN_MS + 1_000));
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/did not finish within 1 s.*Nothing was deleted/) });
  });
});

describe('paging, which moto ignores', () => {
  test('REST Check pages through GetResources', async () => {
    restMock.on(GetRestStageCommand).resolves({ stageName: 'prod' });
    restMock.on(GetResourcesCommand, { position: undefined }).resolves({ items: [{ id: 'root000001', path: '/' }], position: 'p2' });
    restMock.on(GetResourcesCommand, { position: 'p2' }).resolves({ items: [{ id: 'user000001', path: '/users', resourceMethods: { ANY: {} } }] });
    await handler(event('Create', restCheck), lambdaContext());
    expect(only()).toMatchObject({ Status: 'SUCCESS', Data: { ShadowingRoutes: 'ANY /users' } });
    expect(restMock.commandCalls(GetResourcesCommand)[0]!.args[0].input).toMatchObject({ restApiId: 'a1b2c3d4e5', embed: ['methods'] });
  });

  test('HTTP Check pages through GetRoutes', async () => {
    httpMock.on(GetApiCommand).resolves({ ApiId: 'h1t2t3p4a5', ProtocolType: 'HTTP' });
    httpMock.on(GetHttpStageCommand).resolves({ StageName: '$default', AutoDeploy: true });
    httpMock.on(GetRoutesCommand, { NextToken: undefined }).resolves({ Items: [{ RouteKey: 'ANY /users' }], NextToken: 't2' });
    httpMock.on(GetRoutesCommand, { NextToken: 't2' }).resolves({ Items: [{ RouteKey: 'OPTIONS /' }] });
    await handler(event('Create', httpCheck), lambdaContext());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('already has the route(s) "OPTIONS /"') });
  });
});

describe('HTTP CreateDeployment, which moto does not implement', () => {
  test('a stage without AutoDeploy is deployed, with only a description', async () => {
    httpMock.on(GetApiCommand).resolves({ ApiId: 'h1t2t3p4a5', ProtocolType: 'HTTP' });
    httpMock.on(GetHttpStageCommand).resolves({ StageName: 'live', AutoDeploy: false });
    httpMock.on(CreateHttpDeploymentCommand).resolves({ DeploymentId: 'd-77' });
    await handler(event('Create', { ...httpDeploy, StageName: 'live' }), lambdaContext());
    expect(only()).toMatchObject({ Status: 'SUCCESS', Data: { DeploymentId: 'd-77' }, PhysicalResourceId: 'apigw-cors:deploy:HTTP:h1t2t3p4a5:live' });
    const input = httpMock.commandCalls(CreateHttpDeploymentCommand)[0]!.args[0].input;
    expect(input).toEqual({ ApiId: 'h1t2t3p4a5', StageName: 'live', Description: 'apigw-cors-preflight stack shop-cors: OPTIONS routes (Create)' });
    expect(restMock.calls()).toHaveLength(0);
  });
});

test('summarize keeps outputs short', () => {
  expect(summarize([])).toBe('none');
  const many = Array.from({ length: 200 }, (_, i) => `ANY /path-number-${String(i).padStart(3, '0')}`);
  const text = summarize(many);
  expect(text.length).toBeLessThan(1_100);
  expect(text).toMatch(/\(\+\d+ more\)$/);
});
