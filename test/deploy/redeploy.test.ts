/**
 * The check/deploy custom resource (functions/redeploy/handler.ts) against mocked
 * API Gateway clients and a local HTTP server standing in for CloudFormation's
 * pre-signed ResponseURL.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  APIGatewayClient,
  CreateDeploymentCommand as CreateRestDeploymentCommand,
  GetResourcesCommand,
  GetStageCommand as GetRestStageCommand,
  NotFoundException as RestNotFound,
  TooManyRequestsException,
} from '@aws-sdk/client-api-gateway';
import {
  ApiGatewayV2Client,
  CreateDeploymentCommand as CreateHttpDeploymentCommand,
  GetApiCommand,
  GetRoutesCommand,
  GetStageCommand as GetHttpStageCommand,
  NotFoundException as HttpNotFound,
} from '@aws-sdk/client-apigatewayv2';
import { handler, SAFETY_MARGIN_MS, summarize, type ResponseBody } from '../../functions/redeploy/handler';

process.env.AWS_REGION ??= 'us-east-1';

const restMock = mockClient(APIGatewayClient);
const httpMock = mockClient(ApiGatewayV2Client);

interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
}

let server: Server;
let baseUrl = '';
let received: Received[] = [];
/** Status codes the fake ResponseURL answers with, in order (then 200). */
let statusQueue: number[] = [];
/** What the handler logged (stdout), captured to keep the test output readable. */
let logged = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statusQueue.shift() ?? 200;
      if (status === 200) received.push({ method: req.method ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ResponseBody });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  restMock.reset();
  httpMock.reset();
  received = [];
  statusQueue = [];
  logged = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged += String(chunk);
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});

const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/shop-cors/0a1b2c3d-0000-1111-2222-333344445555';

function context(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'redeploy',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:redeploy',
    memoryLimitInMB: '128',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/shop-cors-redeploy',
    logStreamName: '2026/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

type Props = Record<string, string | object>;

function event(requestType: 'Create' | 'Update' | 'Delete', props: Props, old?: Props): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:redeploy',
    ResponseURL: `${baseUrl}/cfn-response?X-Amz-Signature=abc`,
    StackId: STACK_ID,
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'RestStageDeployment',
    ResourceType: 'Custom::StageDeployment',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:redeploy', ...props },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') {
    return { ...common, RequestType: 'Update', PhysicalResourceId: 'physical-1', OldResourceProperties: { ServiceToken: common.ServiceToken, ...(old ?? props) } };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: 'physical-1' };
}

const restDeploy: Props = { Action: 'Deploy', ApiType: 'REST', ApiId: 'a1b2c3d4e5', StageName: 'prod', Triggers: { Revision: '1', Methods: ['m1', 'm2'] } };
const httpDeploy: Props = { Action: 'Deploy', ApiType: 'HTTP', ApiId: 'h1t2t3p4a5', StageName: '$default', Triggers: { Revision: '1' } };
const restCheck: Props = { Action: 'Check', ApiType: 'REST', ApiId: 'a1b2c3d4e5', StageName: 'prod', RestRootResourceId: 'root000001', ExistingProxyResourceId: '', PolicyPath: '/cors/shop-api' };
const httpCheck: Props = { Action: 'Check', ApiType: 'HTTP', ApiId: 'h1t2t3p4a5', StageName: '$default', RestRootResourceId: '', ExistingProxyResourceId: '' };

function only(): ResponseBody {
  expect(received).toHaveLength(1);
  return received[0]!.body;
}

const restNotFound = (message: string) => new RestNotFound({ message, $metadata: {} });
const httpNotFound = (message: string) => new HttpNotFound({ message, $metadata: {} });

describe('REST Deploy', () => {
  beforeEach(() => {
    restMock.on(GetRestStageCommand).resolves({ stageName: 'prod', deploymentId: 'old' });
    restMock.on(CreateRestDeploymentCommand).resolves({ id: 'dep123' });
  });

  test('Create deploys the existing stage and answers SUCCESS to the ResponseURL', async () => {
    await handler(event('Create', restDeploy), context());
    const body = only();
    expect(received[0]!.method).toBe('PUT');
    expect(received[0]!.headers['content-type']).toBe('');
    expect(body).toMatchObject({
      Status: 'SUCCESS',
      StackId: STACK_ID,
      RequestId: 'request-Create',
      LogicalResourceId: 'RestStageDeployment',
      PhysicalResourceId: 'apigw-cors:deploy:REST:a1b2c3d4e5:prod',
      Data: { DeploymentId: 'dep123' },
    });
    const calls = restMock.commandCalls(CreateRestDeploymentCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({ restApiId: 'a1b2c3d4e5', stageName: 'prod' });
    expect(calls[0]!.args[0].input.description).toContain('shop-cors');
    // Only stageName and description: no stage settings are overwritten.
    expect(Object.keys(calls[0]!.args[0].input).sort()).toEqual(['description', 'restApiId', 'stageName']);
    expect(httpMock.calls()).toHaveLength(0);
    // The pre-signed ResponseURL is a credential: it is never logged.
    expect(logged).toContain('"requestType":"Create"');
    expect(logged).not.toContain('X-Amz-Signature');
  });

  test('Update (routes changed) redeploys again with a stable physical id', async () => {
    await handler(event('Update', restDeploy, { ...restDeploy, Triggers: { Revision: '0' } }), context());
    expect(only()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'apigw-cors:deploy:REST:a1b2c3d4e5:prod' });
    expect(restMock.commandCalls(CreateRestDeploymentCommand)).toHaveLength(1);
  });

  test('a missing stage fails with a clear reason and is never created by CreateDeployment', async () => {
    restMock.on(GetRestStageCommand).rejects(restNotFound('Invalid stage identifier specified'));
    await handler(event('Create', restDeploy), context());
    const body = only();
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(/stage "prod" was not found/);
    expect(body.Reason).toMatch(/never creates stages/);
    expect(body.Reason).toContain('log stream 2026/01/01/[$LATEST]abcdef');
    expect(restMock.commandCalls(CreateRestDeploymentCommand)).toHaveLength(0);
  });

  test('an API Gateway error becomes FAILED with the error as the reason', async () => {
    restMock.on(CreateRestDeploymentCommand).rejects(new TooManyRequestsException({ message: 'Too Many Requests', $metadata: {} }));
    await handler(event('Update', restDeploy), context());
    const body = only();
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(/^TooManyRequestsException: Too Many Requests/);
    expect(body.PhysicalResourceId).toBe('physical-1');
  });

  test('an unexpected exception still answers FAILED', async () => {
    restMock.on(GetRestStageCommand).rejects(new TypeError('boom'));
    await handler(event('Create', restDeploy), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^TypeError: boom/) });
  });

  test('work that hangs answers FAILED before the Lambda timeout', async () => {
    restMock.on(CreateRestDeploymentCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    await handler(event('Create', restDeploy), context(SAFETY_MARGIN_MS + 1_000));
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/did not finish within 1 s.*Nothing was deleted/) });
  });

  test('invalid properties answer FAILED', async () => {
    await handler(event('Create', { ...restDeploy, ApiType: 'WEBSOCKET' }), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/ApiType must be "REST" or "HTTP"/) });
    expect(restMock.calls()).toHaveLength(0);
  });

  test('the response is retried when the ResponseURL fails', async () => {
    statusQueue = [500];
    await handler(event('Create', restDeploy), context());
    expect(only().Status).toBe('SUCCESS');
  });
});

describe('Delete', () => {
  test.each([
    ['REST Deploy', restDeploy],
    ['HTTP Deploy', httpDeploy],
    ['REST Check', restCheck],
    ['HTTP Check', httpCheck],
  ])('%s: does not touch the API, answers SUCCESS with the same physical id', async (_name, props) => {
    await handler(event('Delete', props), context());
    expect(only()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'physical-1' });
    expect(restMock.calls()).toHaveLength(0);
    expect(httpMock.calls()).toHaveLength(0);
  });

  test('even with unusable properties', async () => {
    await handler(event('Delete', { Action: 'Nonsense' }), context());
    expect(only()).toMatchObject({ Status: 'SUCCESS' });
  });
});

describe('HTTP Deploy', () => {
  test('a CorsConfiguration fails the deploy with a clear reason', async () => {
    httpMock.on(GetApiCommand).resolves({ ApiId: 'h1t2t3p4a5', ProtocolType: 'HTTP', CorsConfiguration: { AllowOrigins: ['*'] } });
    httpMock.on(GetHttpStageCommand).resolves({ StageName: '$default', AutoDeploy: false });
    await handler(event('Update', httpDeploy), context());
    const body = only();
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(/HTTP API h1t2t3p4a5 has a CorsConfiguration/);
    expect(body.Reason).toMatch(/discards the CORS headers/);
    expect(body.Reason).toMatch(/Remove the API's CorsConfiguration/);
    expect(httpMock.commandCalls(CreateHttpDeploymentCommand)).toHaveLength(0);
  });

  test('a stage with AutoDeploy is not deployed again', async () => {
    httpMock.on(GetApiCommand).resolves({ ApiId: 'h1t2t3p4a5', ProtocolType: 'HTTP' });
    httpMock.on(GetHttpStageCommand).resolves({ StageName: '$default', AutoDeploy: true });
    await handler(event('Create', httpDeploy), context());
    expect(only()).toMatchObject({ Status: 'SUCCESS', Data: { DeploymentId: 'AutoDeploy' } });
    expect(httpMock.commandCalls(CreateHttpDeploymentCommand)).toHaveLength(0);
  });

  test('a stage without AutoDeploy is deployed', async () => {
    httpMock.on(GetApiCommand).resolves({ ApiId: 'h1t2t3p4a5', ProtocolType: 'HTTP' });
    httpMock.on(GetHttpStageCommand).resolves({ StageName: 'live', AutoDeploy: false });
    httpMock.on(CreateHttpDeploymentCommand).resolves({ DeploymentId: 'd-77' });
    await handler(event('Create', { ...httpDeploy, StageName: 'live' }), context());
    expect(only()).toMatchObject({ Status: 'SUCCESS', Data: { DeploymentId: 'd-77' }, PhysicalResourceId: 'apigw-cors:deploy:HTTP:h1t2t3p4a5:live' });
    expect(httpMock.commandCalls(CreateHttpDeploymentCommand)[0]!.args[0].input).toMatchObject({ ApiId: 'h1t2t3p4a5', StageName: 'live' });
    expect(restMock.calls()).toHaveLength(0);
  });

  test('a missing API fails with a hint about ApiType', async () => {
    httpMock.on(GetApiCommand).rejects(httpNotFound('Invalid API identifier specified'));
    await handler(event('Create', httpDeploy), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/HTTP API h1t2t3p4a5 was not found.*ApiType=REST/) });
  });
});

describe('REST Check', () => {
  const root = { id: 'root000001', path: '/', resourceMethods: { GET: {} } };
  const proxy = { id: 'prox000001', parentId: 'root000001', pathPart: '{proxy+}', path: '/{proxy+}', resourceMethods: { ANY: {} } };
  const users = { id: 'user000001', parentId: 'root000001', pathPart: 'users', path: '/users', resourceMethods: { ANY: {}, GET: {} } };
  const orders = { id: 'ordr000001', parentId: 'root000001', pathPart: 'orders', path: '/orders', resourceMethods: { OPTIONS: {}, POST: {} } };
  const items = { id: 'item000001', parentId: 'root000001', pathPart: 'items', path: '/items', resourceMethods: { GET: {} } };

  beforeEach(() => {
    restMock.on(GetRestStageCommand).resolves({ stageName: 'prod' });
  });

  test('passes and reports existing OPTIONS/ANY methods that shadow the proxy', async () => {
    restMock.on(GetResourcesCommand).resolves({ items: [root, users, orders, items] });
    await handler(event('Create', restCheck), context());
    expect(only()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'apigw-cors:check:REST:a1b2c3d4e5:prod', Data: { ShadowingRoutes: 'ANY /users, OPTIONS /orders' } });
    expect(restMock.commandCalls(GetResourcesCommand)[0]!.args[0].input).toMatchObject({ restApiId: 'a1b2c3d4e5', embed: ['methods'] });
    expect(restMock.commandCalls(CreateRestDeploymentCommand)).toHaveLength(0);
  });

  test('pages through GetResources', async () => {
    restMock.on(GetResourcesCommand, { position: undefined }).resolves({ items: [root], position: 'p2' });
    restMock.on(GetResourcesCommand, { position: 'p2' }).resolves({ items: [users] });
    await handler(event('Create', restCheck), context());
    expect(only()).toMatchObject({ Status: 'SUCCESS', Data: { ShadowingRoutes: 'ANY /users' } });
  });

  test('a wrong root resource id fails and names the right one', async () => {
    restMock.on(GetResourcesCommand).resolves({ items: [root] });
    await handler(event('Create', { ...restCheck, RestRootResourceId: 'zzzzzzzzzz' }), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/not the root resource.*"root000001"/) });
  });

  test('an existing /{proxy+} without ExistingProxyResourceId fails on create with the id to pass', async () => {
    restMock.on(GetResourcesCommand).resolves({ items: [root, proxy] });
    await handler(event('Create', restCheck), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/ExistingProxyResourceId=prox000001/) });
  });

  test('an existing /{proxy+} given as ExistingProxyResourceId passes (its ANY method is no conflict)', async () => {
    restMock.on(GetResourcesCommand).resolves({ items: [root, proxy] });
    await handler(event('Create', { ...restCheck, ExistingProxyResourceId: 'prox000001' }), context());
    expect(only()).toMatchObject({ Status: 'SUCCESS', Data: { ShadowingRoutes: 'none' } });
  });

  test('ExistingProxyResourceId must be the root /{proxy+}', async () => {
    restMock.on(GetResourcesCommand).resolves({ items: [root, users] });
    await handler(event('Create', { ...restCheck, ExistingProxyResourceId: 'user000001' }), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/is the resource "\/users", not "\/\{proxy\+\}"/) });
  });

  test('an existing OPTIONS method on the root fails on create', async () => {
    restMock.on(GetResourcesCommand).resolves({ items: [{ ...root, resourceMethods: { OPTIONS: {} } }] });
    await handler(event('Create', restCheck), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/Resource "\/" .*already has an OPTIONS method/) });
  });

  test('on update of the same API our own OPTIONS methods and proxy are no conflict', async () => {
    restMock.on(GetResourcesCommand).resolves({ items: [{ ...root, resourceMethods: { OPTIONS: {} } }, { ...proxy, resourceMethods: { OPTIONS: {} } }] });
    await handler(event('Update', { ...restCheck, StageName: 'prod' }, { ...restCheck, StageName: 'old' }), context());
    expect(only()).toMatchObject({ Status: 'SUCCESS', Data: { ShadowingRoutes: 'none' } });
  });

  test.each(['/aws/cors', '/SSM-policies/x', '/awsome'])('PolicyPath %s in the reserved namespace fails before the API is read', async (path) => {
    await handler(event('Create', { ...restCheck, PolicyPath: path }), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/must not begin with "aws" or "ssm" \(reserved by AWS\)/) });
    expect(restMock.calls()).toHaveLength(0);
  });

  test('moving the stack to another API checks conflicts again', async () => {
    restMock.on(GetResourcesCommand).resolves({ items: [{ ...root, resourceMethods: { OPTIONS: {} } }] });
    await handler(event('Update', restCheck, { ...restCheck, ApiId: 'other00000' }), context());
    expect(only().Status).toBe('FAILED');
  });
});

describe('HTTP Check', () => {
  beforeEach(() => {
    httpMock.on(GetApiCommand).resolves({ ApiId: 'h1t2t3p4a5', ProtocolType: 'HTTP' });
    httpMock.on(GetHttpStageCommand).resolves({ StageName: '$default', AutoDeploy: true });
  });

  test('passes and reports ANY/OPTIONS routes on more specific paths', async () => {
    httpMock.on(GetRoutesCommand).resolves({
      Items: [{ RouteKey: 'ANY /{proxy+}' }, { RouteKey: 'ANY /users' }, { RouteKey: 'GET /orders' }, { RouteKey: 'OPTIONS /orders/{id}' }, { RouteKey: '$default' }],
    });
    await handler(event('Create', httpCheck), context());
    expect(only()).toMatchObject({ Status: 'SUCCESS', Data: { ShadowingRoutes: 'ANY /users, OPTIONS /orders/{id}' } });
  });

  test('a CorsConfiguration fails before any route is added', async () => {
    httpMock.on(GetApiCommand).resolves({ ApiId: 'h1t2t3p4a5', ProtocolType: 'HTTP', CorsConfiguration: { AllowOrigins: ['https://app.example.com'] } });
    await handler(event('Create', httpCheck), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/has a CorsConfiguration/) });
    expect(httpMock.commandCalls(GetRoutesCommand)).toHaveLength(0);
  });

  test('a WebSocket API is refused', async () => {
    httpMock.on(GetApiCommand).resolves({ ApiId: 'h1t2t3p4a5', ProtocolType: 'WEBSOCKET' });
    await handler(event('Create', httpCheck), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/is a WEBSOCKET API/) });
  });

  test('existing OPTIONS routes fail on create', async () => {
    httpMock.on(GetRoutesCommand).resolves({ Items: [{ RouteKey: 'OPTIONS /' }] });
    await handler(event('Create', httpCheck), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/already has the route\(s\) "OPTIONS \/"/) });
  });

  test('a missing stage fails', async () => {
    httpMock.on(GetHttpStageCommand).rejects(httpNotFound('Invalid stage identifier specified'));
    await handler(event('Create', httpCheck), context());
    expect(only()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/Stage "\$default" of HTTP API h1t2t3p4a5 was not found/) });
  });
});

test('summarize keeps outputs short', () => {
  expect(summarize([])).toBe('none');
  const many = Array.from({ length: 200 }, (_, i) => `ANY /path-number-${String(i).padStart(3, '0')}`);
  const text = summarize(many);
  expect(text.length).toBeLessThan(1_100);
  expect(text).toMatch(/\(\+\d+ more\)$/);
});
