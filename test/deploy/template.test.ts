/**
 * template.yaml: cfn-lint is clean, and the SAM-transformed template creates, for each
 * kind of API, exactly the routes, permissions and IAM the issue asks for. The SAM
 * translator leaves conditions to CloudFormation, so the test evaluates the template's
 * own Conditions (and Rules) for each parameter set instead of assuming the result.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  arnLike,
  failedRules,
  inCI,
  materialize,
  mustRunPythonTests,
  parameterProblem,
  rawTemplate,
  resolveValue,
  ROOT,
  routesHash,
  TEMPLATE,
  transformTemplate,
  type JsonObject,
  type Template,
} from './support';
import { compilerMetricFields } from '../../functions/compiler/metrics';
import { defaultSnapshotKey } from '../../functions/core/snapshot';

const describePython = mustRunPythonTests() ? describe : describe.skip;
jest.setTimeout(120_000);

const REST_NEW = { ApiType: 'REST', ApiId: 'a1b2c3d4e5', RestRootResourceId: 'r00tr00t00', StageName: 'prod', PolicyPath: '/cors/shop-api' };
const REST_EXISTING = { ...REST_NEW, ExistingProxyResourceId: 'pr0xy00001' };
const REST_GATEWAY = { ...REST_NEW, EnableGatewayResponses: 'true', GatewayResponseAllowOrigin: 'https://app.example.com' };
const REST_GATEWAY_STAR = { ...REST_NEW, EnableGatewayResponses: 'true', GatewayResponseAllowOrigin: '*' };
const HTTP = { ApiType: 'HTTP', ApiId: 'h1t2t3p4a5', StageName: '$default', PolicyPath: '/cors/shop-api' };
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ops-alerts';
const HTTP_ALARMS = {
  ...HTTP,
  AlarmTopicArn: TOPIC,
  MetricsNamespace: 'Shop/Cors',
  AlarmRefreshFailureMinutes: '3',
  AlarmPolicyAgeSeconds: '900',
  AlarmDenialRatePercent: '25',
};

// PolicyMode defaults to snapshot: the sets above are snapshot-mode stacks; these are direct-mode ones.
const REST_DIRECT = { ...REST_NEW, PolicyMode: 'direct' };
const HTTP_DIRECT = { ...HTTP, PolicyMode: 'direct' };
const HTTP_ALARMS_DIRECT = { ...HTTP_ALARMS, PolicyMode: 'direct' };
// Snapshot mode with a bucket the stack does not own, and a key of the user's choosing.
const HTTP_OWN_BUCKET = { ...HTTP, SnapshotBucketName: 'shop-config.eu', SnapshotKey: 'cors/shop-api.json', SnapshotSchedule: 'rate(1 hour)' };

const SETS = {
  REST_NEW,
  REST_EXISTING,
  REST_GATEWAY,
  REST_GATEWAY_STAR,
  HTTP,
  HTTP_ALARMS,
  REST_DIRECT,
  HTTP_DIRECT,
  HTTP_ALARMS_DIRECT,
  HTTP_OWN_BUCKET,
} as const;
type SetName = keyof typeof SETS;

const FORBIDDEN_TYPES = [
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGatewayV2::Deployment',
  'AWS::ApiGatewayV2::Stage',
  'AWS::ApiGatewayV2::Api',
  'AWS::Serverless::Api',
  'AWS::Serverless::HttpApi',
];

const ACCOUNT_PREFIX = 'arn:aws:execute-api:us-east-1:123456789012';

/** The properties a stack gives the redeploy custom resource: `action` on the API `apiType` `apiId`, with `more`. */
const redeployCall = (action: 'Check' | 'Deploy', apiType: 'REST' | 'HTTP', apiId: string, more: Record<string, string>) => ({
  ServiceToken: '<RedeployFunction.Arn>',
  Action: action,
  ApiType: apiType,
  ApiId: apiId,
  ...more,
});

describePython('template.yaml', () => {
  let raw: Template;
  const transformed = {} as Record<SetName, Template>;

  beforeAll(() => {
    raw = rawTemplate();
    for (const [name, params] of Object.entries(SETS)) transformed[name as SetName] = transformTemplate(params);
  });

  const stack = (name: SetName) => materialize(transformed[name], SETS[name]);
  const ofType = (name: SetName, type: string) => Object.entries(stack(name).resources).filter(([, r]) => r.Type === type);

  test('cfn-lint reports nothing, including informational rules', () => {
    const out = spawnSync('cfn-lint', ['--include-checks', 'I', '--', TEMPLATE], { cwd: ROOT, encoding: 'utf8' });
    if (out.error && !inCI()) {
      console.warn(`cfn-lint not runnable here (${out.error.message}); skipped`);
      return;
    }
    expect(out.error).toBeUndefined();
    expect(`${out.stdout}${out.stderr}`).toBe('');
    expect(out.status).toBe(0);
  });

  describe('parameters', () => {
    test('every parameter has a description and validation', () => {
      for (const [name, p] of Object.entries(raw.Parameters)) {
        expect([name, typeof p.Description]).toEqual([name, 'string']);
        const validated = p.AllowedValues !== undefined || p.AllowedPattern !== undefined || p.MinValue !== undefined;
        expect([name, validated]).toEqual([name, true]);
      }
      expect(Object.keys(raw.Parameters).sort()).toEqual(
        [
          'AlarmDenialRatePercent',
          'AlarmPolicyAgeSeconds',
          'AlarmSnapshotAgeSeconds',
          'PolicyMode',
          'Runtime',
          'SnapshotBucketName',
          'SnapshotKey',
          'SnapshotSchedule',
          'AlarmRefreshFailureMinutes',
          'AlarmTopicArn',
          'MetricsNamespace',
          'ApiId',
          'ApiType',
          'EnableGatewayResponses',
          'ExistingProxyResourceId',
          'GatewayResponseAllowOrigin',
          'LogLevel',
          'LogRetentionDays',
          'PolicyPath',
          'PolicyTtlSeconds',
          'RestRootResourceId',
          'StageName',
        ].sort(),
      );
    });

    test.each([
      ['ApiType', 'REST', true],
      ['ApiType', 'WEBSOCKET', false],
      ['ApiId', 'a1b2c3d4e5', true],
      ['ApiId', 'A1B2C3D4E5', false],
      ['ApiId', 'a1b2c3', false],
      ['StageName', 'prod', true],
      ['StageName', '$default', true],
      ['StageName', 'my stage', false],
      ['PolicyPath', '/cors/shop-api', true],
      ['PolicyPath', '/cors', true],
      ['PolicyPath', 'cors/shop-api', false],
      ['PolicyPath', '/cors/shop-api/', false],
      ['PolicyPath', '/cors//shop-api', false],
      ['PolicyPath', '/cors/{proxy+}', false],
      ['PolicyPath', '/', false],
      ['PolicyPath', `/${Array.from({ length: 15 }, (_, i) => `l${i}`).join('/')}`, false],
      ['PolicyTtlSeconds', '60', true],
      ['PolicyTtlSeconds', '5', true],
      ['PolicyTtlSeconds', '86400', true],
      ['PolicyTtlSeconds', '4', false],
      ['PolicyTtlSeconds', '86401', false],
      ['LogRetentionDays', '30', true],
      ['LogRetentionDays', '31', false],
      ['EnableGatewayResponses', 'yes', false],
      ['GatewayResponseAllowOrigin', '', true],
      ['GatewayResponseAllowOrigin', '*', true],
      ['GatewayResponseAllowOrigin', 'https://app.example.com', true],
      ['GatewayResponseAllowOrigin', 'https://app.example.com:8443', true],
      // never reflect, never trust null or plain http, no paths, no patterns, no lists
      ['GatewayResponseAllowOrigin', 'method.request.header.Origin', false],
      ['GatewayResponseAllowOrigin', 'null', false],
      ['GatewayResponseAllowOrigin', 'http://app.example.com', false],
      ['GatewayResponseAllowOrigin', 'https://app.example.com/', false],
      ['GatewayResponseAllowOrigin', 'https://*.example.com', false],
      ['GatewayResponseAllowOrigin', 'https://a.example.com,https://b.example.com', false],
      ['GatewayResponseAllowOrigin', 'https://App.Example.com', false],
      ['GatewayResponseAllowOrigin', "https://a.example.com'", false],
      ['AlarmTopicArn', '', true],
      ['AlarmTopicArn', TOPIC, true],
      ['AlarmTopicArn', 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops', true],
      ['AlarmTopicArn', 'ops-alerts', false],
      ['AlarmTopicArn', 'arn:aws:sqs:us-east-1:123456789012:queue', false],
      ['MetricsNamespace', 'ApigwCors', true],
      ['MetricsNamespace', 'Shop/Cors-prod', true],
      ['MetricsNamespace', 'AWS/Lambda', false],
      ['MetricsNamespace', '', false],
      ['AlarmRefreshFailureMinutes', '0', false],
      ['AlarmPolicyAgeSeconds', '30', false],
      ['AlarmDenialRatePercent', '101', false],
      ['PolicyMode', 'snapshot', true],
      ['PolicyMode', 'direct', true],
      ['PolicyMode', 'Snapshot', false],
      ['Runtime', 'nodejs24.x', true],
      ['Runtime', 'nodejs22.x', true],
      ['Runtime', 'nodejs20.x', false],
      ['SnapshotBucketName', '', true],
      ['SnapshotBucketName', 'shop-config.eu', true],
      ['SnapshotBucketName', 'Shop_Config', false],
      ['SnapshotBucketName', 'arn:aws:s3:::shop-config', false],
      ['SnapshotKey', '', true],
      ['SnapshotKey', 'cors/shop-api.json', true],
      // every grant names exactly this key: no IAM wildcards, no empty segments
      ['SnapshotKey', 'cors/*', false],
      ['SnapshotKey', 'cors/shop?.json', false],
      ['SnapshotKey', '/cors/shop-api.json', false],
      ['SnapshotKey', 'cors//shop-api.json', false],
      ['SnapshotSchedule', 'rate(5 minutes)', true],
      ['SnapshotSchedule', 'rate(1 minute)', true],
      ['SnapshotSchedule', 'rate(1 hour)', true],
      ['SnapshotSchedule', 'cron(0/10 * * * ? *)', true],
      ['SnapshotSchedule', 'rate(1 minutes)', false],
      ['SnapshotSchedule', 'rate(2 hour)', false],
      ['SnapshotSchedule', 'rate(10 minutes)', true],
      ['SnapshotSchedule', 'rate(0 minutes)', false],
      ['SnapshotSchedule', 'every 5 minutes', false],
      ['AlarmSnapshotAgeSeconds', '900', true],
      ['AlarmSnapshotAgeSeconds', '60', false],
    ])('%s=%j valid: %s', (name, value, ok) => {
      expect(parameterProblem(raw, name, value)).toEqual(ok ? undefined : expect.any(String));
    });

    test('Rules accept the supported combinations and refuse the rest', () => {
      for (const set of Object.values(SETS)) expect(failedRules(raw, set)).toEqual([]);
      expect(failedRules(raw, { ...REST_NEW, RestRootResourceId: '' })).toEqual([expect.stringMatching(/^RestNeedsRootResourceId/)]);
      expect(failedRules(raw, { ...REST_NEW, StageName: '$default' })).toEqual([expect.stringMatching(/^RestNeedsRootResourceId.*\$default/)]);
      expect(failedRules(raw, { ...HTTP, EnableGatewayResponses: 'true', GatewayResponseAllowOrigin: '*' })).toEqual([
        expect.stringMatching(/^HttpHasNoRestOptions/),
      ]);
      expect(failedRules(raw, { ...HTTP, RestRootResourceId: 'r00tr00t00' })).toEqual([expect.stringMatching(/^HttpHasNoRestOptions/)]);
      expect(failedRules(raw, { ...REST_NEW, EnableGatewayResponses: 'true' })).toEqual([expect.stringMatching(/^GatewayResponsesNeedAnOrigin/)]);
      // Snapshot settings with direct mode would be silently ignored: refused instead.
      expect(failedRules(raw, { ...HTTP_DIRECT, SnapshotBucketName: 'shop-config.eu' })).toEqual([expect.stringMatching(/^DirectModeHasNoSnapshotSettings/)]);
      expect(failedRules(raw, { ...HTTP_DIRECT, SnapshotKey: 'cors/x.json' })).toEqual([expect.stringMatching(/^DirectModeHasNoSnapshotSettings/)]);
    });
  });

  test.each(Object.keys(SETS) as SetName[])('%s: no Deployment, Stage or API of the existing API is part of the stack', (name) => {
    const types = Object.values(transformed[name].Resources).map((r) => r.Type);
    for (const forbidden of FORBIDDEN_TYPES) expect(types).not.toContain(forbidden);
  });

  describe('conditions', () => {
    const conditionOf = (id: string) => transformed.REST_NEW.Resources[id]?.Condition;

    test('each route resource carries the condition of its API type', () => {
      expect(conditionOf('RestProxyResource')).toBe('CreateProxyResource');
      for (const id of ['RestProxyOptionsMethod', 'RestRootOptionsMethod', 'RestStageDeployment']) expect(conditionOf(id)).toBe('IsRest');
      for (const id of ['RestGatewayResponse4xx', 'RestGatewayResponse5xx']) expect(conditionOf(id)).toBe('CreateGatewayResponses');
      for (const id of ['HttpPreflightIntegration', 'HttpProxyOptionsRoute', 'HttpRootOptionsRoute', 'HttpStageDeployment'])
        expect(conditionOf(id)).toBe('IsHttp');
      for (const id of ['PreflightFunction', 'PreflightInvokePermission', 'ApiPreflightCheck', 'RedeployFunction']) expect(conditionOf(id)).toBeUndefined();
    });

    test.each([
      ['REST_NEW', { IsRest: true, IsHttp: false, CreateProxyResource: true, CreateGatewayResponses: false }],
      ['REST_EXISTING', { IsRest: true, IsHttp: false, CreateProxyResource: false, CreateGatewayResponses: false }],
      ['REST_GATEWAY', { IsRest: true, IsHttp: false, CreateProxyResource: true, CreateGatewayResponses: true, GatewayResponsesWithCredentials: true }],
      ['REST_GATEWAY_STAR', { IsRest: true, CreateGatewayResponses: true, GatewayResponsesWithCredentials: false }],
      ['HTTP', { IsRest: false, IsHttp: true, CreateProxyResource: false, CreateGatewayResponses: false }],
    ] as [SetName, Record<string, boolean>][])('%s evaluates to %j', (name, expected) => {
      expect(stack(name).conditions).toMatchObject(expected);
    });

    test.each([
      ['REST_NEW', ['ApiPreflightCheck', 'RestProxyResource', 'RestProxyOptionsMethod', 'RestRootOptionsMethod', 'RestStageDeployment']],
      ['REST_EXISTING', ['ApiPreflightCheck', 'RestProxyOptionsMethod', 'RestRootOptionsMethod', 'RestStageDeployment']],
      [
        'REST_GATEWAY',
        [
          'ApiPreflightCheck',
          'RestGatewayResponse4xx',
          'RestGatewayResponse5xx',
          'RestProxyResource',
          'RestProxyOptionsMethod',
          'RestRootOptionsMethod',
          'RestStageDeployment',
        ],
      ],
      ['HTTP', ['ApiPreflightCheck', 'HttpPreflightIntegration', 'HttpProxyOptionsRoute', 'HttpRootOptionsRoute', 'HttpStageDeployment']],
    ] as [SetName, string[]][])('%s creates exactly these API-side resources', (name, ids) => {
      const apiSide = Object.entries(stack(name).resources)
        .filter(([, r]) => r.Type.startsWith('AWS::ApiGateway') || r.Type === 'Custom::ApiPreflightCheck' || r.Type === 'Custom::StageDeployment')
        .map(([id]) => id);
      expect(apiSide.sort()).toEqual([...ids].sort());
    });
  });

  describe('REST routes', () => {
    test.each(['REST_NEW', 'REST_EXISTING'] as SetName[])('%s: OPTIONS on {proxy+} and on the root, no auth, Lambda proxy with POST', (name) => {
      const { resources } = stack(name);
      const methods = ofType(name, 'AWS::ApiGateway::Method');
      expect(methods.map(([id]) => id).sort()).toEqual(['RestProxyOptionsMethod', 'RestRootOptionsMethod']);
      for (const [, m] of methods) {
        expect(m.Properties).toMatchObject({
          RestApiId: 'a1b2c3d4e5',
          HttpMethod: 'OPTIONS',
          AuthorizationType: 'NONE',
          ApiKeyRequired: false,
          Integration: {
            Type: 'AWS_PROXY',
            IntegrationHttpMethod: 'POST',
            Uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/<PreflightFunction.Arn>/invocations',
          },
        });
        expect(m.Properties).not.toHaveProperty('AuthorizerId');
        expect(m.DependsOn).toBe('ApiPreflightCheck');
      }
      expect(resources.RestRootOptionsMethod!.Properties.ResourceId).toBe('r00tr00t00');
      if (name === 'REST_NEW') {
        expect(resources.RestProxyResource!.Properties).toEqual({ RestApiId: 'a1b2c3d4e5', ParentId: 'r00tr00t00', PathPart: '{proxy+}' });
        expect(resources.RestProxyOptionsMethod!.Properties.ResourceId).toBe('<RestProxyResource>');
      } else {
        expect(resources.RestProxyResource).toBeUndefined();
        expect(resources.RestProxyOptionsMethod!.Properties.ResourceId).toBe('pr0xy00001');
      }
    });

    test('the stage is redeployed by the custom resource after the methods, on every change to them', () => {
      const d = stack('REST_NEW').resources.RestStageDeployment!;
      expect(d.Type).toBe('Custom::StageDeployment');
      expect(d.DependsOn).toBe('PreflightInvokePermission');
      expect(d.Properties).toMatchObject(redeployCall('Deploy', 'REST', 'a1b2c3d4e5', { StageName: 'prod' }));
      // The triggers reference the methods (so it runs after them) and mirror their configuration.
      expect(d.Properties.Triggers).toEqual({
        Revision: '1',
        Methods: ['<RestProxyOptionsMethod>', '<RestRootOptionsMethod>'],
        ProxyResourceId: '<RestProxyResource>',
        RootResourceId: 'r00tr00t00',
        IntegrationFunction: '<PreflightFunction.Arn>',
        GatewayResponses: 'disabled',
      });
      expect(stack('REST_EXISTING').resources.RestStageDeployment!.Properties.Triggers).toMatchObject({ ProxyResourceId: 'pr0xy00001' });
      expect(stack('REST_GATEWAY').resources.RestStageDeployment!.Properties.Triggers).toMatchObject({
        GatewayResponses: ['<RestGatewayResponse4xx>', '<RestGatewayResponse5xx>', 'https://app.example.com'],
      });
    });

    test('the check runs before anything is added to the API', () => {
      const check = stack('REST_NEW').resources.ApiPreflightCheck!;
      expect(check.Properties).toMatchObject(
        redeployCall('Check', 'REST', 'a1b2c3d4e5', { RestRootResourceId: 'r00tr00t00', ExistingProxyResourceId: '', PolicyPath: '/cors/shop-api' }),
      );
      for (const [, r] of Object.entries(stack('REST_GATEWAY').resources).filter(([, r]) => r.Type.startsWith('AWS::ApiGateway::'))) {
        expect(r.DependsOn).toBe('ApiPreflightCheck');
      }
    });

    test.each([
      ['REST_GATEWAY', "'https://app.example.com'", true],
      ['REST_GATEWAY_STAR', "'*'", false],
    ] as [SetName, string, boolean][])('%s: Gateway Responses use one static origin, never the request Origin', (name, origin, credentials) => {
      const responses = ofType(name, 'AWS::ApiGateway::GatewayResponse');
      expect(responses.map(([, r]) => r.Properties.ResponseType).sort()).toEqual(['DEFAULT_4XX', 'DEFAULT_5XX']);
      for (const [, r] of responses) {
        const headers = r.Properties.ResponseParameters as Record<string, string>;
        expect(headers['gatewayresponse.header.Access-Control-Allow-Origin']).toBe(origin);
        expect(headers['gatewayresponse.header.Vary']).toBe("'Origin'");
        expect(headers['gatewayresponse.header.Access-Control-Allow-Credentials']).toBe(credentials ? "'true'" : undefined);
        for (const v of Object.values(headers)) expect(v).toMatch(/^'[^']*'$/); // static values only, no method.request.* mapping
      }
    });
  });

  describe('route revision', () => {
    test('Mappings.Build.Revision changes whenever the OPTIONS methods, routes or their integration change', () => {
      const revision = raw.Mappings!.Build!.Revision! as { Routes: string; RoutesHash: string };
      const actual = routesHash(raw);
      if (revision.RoutesHash !== actual) {
        throw new Error(
          `The API-side resources (OPTIONS methods/routes, integration, proxy resource, Gateway Responses) changed, but Mappings.Build.Revision ` +
            `still records them as revision ${revision.Routes}. Without a new revision an in-place change does not redeploy the stage and does not go live: ` +
            `in template.yaml set Routes to '${Number(revision.Routes) + 1}' and RoutesHash to '${actual}'.`,
        );
      }
      expect(revision.RoutesHash).toBe(actual);
    });

    test('the hash sees a change to a method and ignores resources outside the API', () => {
      const edited = (id: string, change: (p: JsonObject) => void): Template => {
        const copy = JSON.parse(JSON.stringify(raw)) as Template;
        change(copy.Resources[id]!.Properties);
        return copy;
      };
      const base = routesHash(raw);
      expect(routesHash(edited('RestRootOptionsMethod', (p) => (p.AuthorizationType = 'AWS_IAM')))).not.toBe(base);
      expect(routesHash(edited('HttpProxyOptionsRoute', (p) => (p.RouteKey = 'OPTIONS /api/{proxy+}')))).not.toBe(base);
      expect(routesHash(edited('PreflightFunction', (p) => (p.MemorySize = 256)))).toBe(base);
    });
  });

  describe('HTTP routes', () => {
    test('payload 2.0 Lambda proxy integration with OPTIONS /{proxy+} and OPTIONS /, no auth', () => {
      const { resources } = stack('HTTP');
      expect(resources.HttpPreflightIntegration!.Properties).toMatchObject({
        ApiId: 'h1t2t3p4a5',
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: '<PreflightFunction.Arn>',
        PayloadFormatVersion: '2.0',
      });
      const routes = ofType('HTTP', 'AWS::ApiGatewayV2::Route');
      expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(['OPTIONS /', 'OPTIONS /{proxy+}']);
      for (const [, r] of routes) {
        expect(r.Properties).toMatchObject({ ApiId: 'h1t2t3p4a5', AuthorizationType: 'NONE', Target: 'integrations/<HttpPreflightIntegration>' });
        expect(r.Properties).not.toHaveProperty('AuthorizerId');
        expect(r.DependsOn).toBe('ApiPreflightCheck');
      }
      expect(ofType('HTTP', 'AWS::ApiGateway::Method')).toEqual([]);
      expect(ofType('HTTP', 'AWS::ApiGateway::GatewayResponse')).toEqual([]);
    });

    test('the custom resource deploys a stage without AutoDeploy after the routes', () => {
      const d = stack('HTTP').resources.HttpStageDeployment!;
      expect(d.Properties).toMatchObject(redeployCall('Deploy', 'HTTP', 'h1t2t3p4a5', { StageName: '$default' }));
      expect(d.Properties.Triggers).toMatchObject({ Routes: ['<HttpProxyOptionsRoute>', '<HttpRootOptionsRoute>'], Integration: '<HttpPreflightIntegration>' });
    });
  });

  describe('invoke permission', () => {
    test.each(['REST_NEW', 'HTTP'] as SetName[])('%s: API Gateway may invoke the function for OPTIONS only, root included', (name) => {
      // (snapshot mode adds two for EventBridge, tested with the rules)
      const perms = ofType(name, 'AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com');
      expect(perms).toHaveLength(1);
      const p = perms[0]![1].Properties;
      const api = SETS[name].ApiId;
      expect(p).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', FunctionName: '<PreflightFunction.Arn>' });
      const source = p.SourceArn as string;
      expect(source).toBe(`${ACCOUNT_PREFIX}:${api}/*/OPTIONS/*`);
      for (const arn of [
        `${api}/prod/OPTIONS/`,
        `${api}/prod/OPTIONS/{proxy+}`,
        `${api}/$default/OPTIONS/`,
        `${api}/$default/OPTIONS/{proxy+}`,
        `${api}/test-invoke-stage/OPTIONS/{proxy+}`,
      ]) {
        expect([arn, arnLike(source, `${ACCOUNT_PREFIX}:${arn}`)]).toEqual([arn, true]);
      }
      for (const arn of [`${api}/prod/GET/`, `${api}/prod/POST/{proxy+}`, `${api}/prod/ANY/users`, `otherapi00/prod/OPTIONS/`]) {
        expect([arn, arnLike(source, `${ACCOUNT_PREFIX}:${arn}`)]).toEqual([arn, false]);
      }
    });
  });

  describe('functions', () => {
    const fn = (name: SetName, id: string) => stack(name).resources[id]!;

    test('the preflight function: runtime, arm64, 128 MB, a timeout fitting the 2 s load budget, JSON logs', () => {
      const f = fn('REST_NEW', 'PreflightFunction');
      expect(f.Type).toBe('AWS::Lambda::Function');
      expect(f.Metadata).toMatchObject({ BuildMethod: 'makefile' });
      expect(f.Properties).toMatchObject({
        Handler: 'index.handler',
        Architectures: ['arm64'],
        MemorySize: 128,
        LoggingConfig: { LogFormat: 'JSON', LogGroup: '<PreflightLogGroup>' },
      });
      expect(f.Properties.Runtime).toBe('nodejs24.x');
      const vars = (f.Properties.Environment as { Variables: Record<string, string> }).Variables;
      const budgetS = Number(vars.CORS_POLICY_LOAD_BUDGET_MS) / 1000;
      expect(f.Properties.Timeout).toBeGreaterThanOrEqual(budgetS + 2);
      expect(f.Properties.Timeout).toBeLessThanOrEqual(10);
      const direct = {
        CORS_POLICY_PATH: '/cors/shop-api',
        CORS_POLICY_TTL_SECONDS: '60',
        CORS_POLICY_LOAD_BUDGET_MS: '2000',
        CORS_DEBUG: 'false',
        CORS_METRICS_NAMESPACE: 'ApigwCors',
        LOG_LEVEL: 'INFO',
        AWS_ENDPOINT_URL_SSM: '',
      };
      expect(vars).toEqual({
        ...direct,
        CORS_SNAPSHOT_BUCKET: '<SnapshotBucket>',
        CORS_SNAPSHOT_KEY: 'cors-snapshots/cors/shop-api.json',
        CORS_SNAPSHOT_MAX_AGE_SECONDS: '900',
        AWS_ENDPOINT_URL_S3: '',
      });
      // Direct mode: exactly today's environment, so the function lists the path itself.
      expect((fn('REST_DIRECT', 'PreflightFunction').Properties.Environment as { Variables: Record<string, string> }).Variables).toEqual(direct);
      expect(f.Properties).not.toHaveProperty('Layers');
    });

    test('every function logs to its own log group with retention', () => {
      const { resources } = stack('HTTP');
      for (const [fnId, groupId] of [
        ['PreflightFunction', 'PreflightLogGroup'],
        ['RedeployFunction', 'RedeployLogGroup'],
        ['CompilerFunction', 'CompilerLogGroup'],
      ] as const) {
        expect(resources[fnId]!.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', LogGroup: `<${groupId}>` });
        expect(resources[groupId]!.Type).toBe('AWS::Logs::LogGroup');
        expect(resources[groupId]!.Properties.RetentionInDays).toBe('30');
      }
      expect(materialize(transformed.HTTP, { ...HTTP, LogRetentionDays: '7' }).resources.PreflightLogGroup!.Properties.RetentionInDays).toBe('7');
    });

    test('the layer: makefile build, nodejs22.x/24.x, arm64 and x86_64', () => {
      const layers = ofType('REST_NEW', 'AWS::Lambda::LayerVersion');
      expect(layers).toHaveLength(1);
      const [, layer] = layers[0]!;
      expect(layer.Metadata).toMatchObject({ BuildMethod: 'makefile' });
      expect(layer.Properties).toMatchObject({ CompatibleRuntimes: ['nodejs22.x', 'nodejs24.x'], CompatibleArchitectures: ['arm64', 'x86_64'] });
      expect(transformed.REST_NEW.Outputs.CorsLayerVersionArn!.Value).toEqual({ Ref: layers[0]![0] });
    });

    test('the Makefile has a build-<LogicalId> target calling scripts/build.mjs for every makefile-built resource', () => {
      const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');
      const expected: Record<string, string> = {
        PreflightFunction: 'preflight',
        CorsLayer: 'layer',
        RedeployFunction: 'redeploy',
        CompilerFunction: 'compiler',
      };
      const built = Object.entries(raw.Resources)
        .filter(([, r]) => r.Metadata?.BuildMethod === 'makefile')
        .map(([id]) => id);
      expect(built.sort()).toEqual(Object.keys(expected).sort());
      for (const id of built) {
        const recipe = new RegExp(`^build-${id}:[^\\n]*\\n\\t\\$\\(BUILD\\) --only ${expected[id]} --outdir "\\$\\(ARTIFACTS_DIR\\)"$`, 'm');
        expect([id, recipe.test(makefile)]).toEqual([id, true]);
      }
      expect(makefile).toMatch(/^BUILD := \$\(NODE\) \$\(ROOT\)\/scripts\/build\.mjs$/m);
    });

    test('env.json only sets variables the template declares', () => {
      const env = JSON.parse(readFileSync(join(ROOT, 'env.json'), 'utf8')) as Record<string, Record<string, string>>;
      for (const [fnId, vars] of Object.entries(env)) {
        const declared = (raw.Resources[fnId]?.Properties.Environment as { Variables?: JsonObject } | undefined)?.Variables;
        expect([fnId, declared !== undefined]).toEqual([fnId, true]);
        for (const key of Object.keys(vars)) expect([fnId, key, key in declared!]).toEqual([fnId, key, true]);
      }
      expect(env.PreflightFunction?.CORS_POLICY_PATH).toBe('/cors/demo-api');
    });
  });

  describe('IAM', () => {
    interface Statement {
      Sid?: string;
      Effect: string;
      Action: string | string[];
      Resource: string | string[];
    }
    const statementsOf = (name: SetName, roleId: string): Statement[] => {
      const role = stack(name).resources[roleId]!;
      expect(role.Type).toBe('AWS::IAM::Role');
      return (role.Properties.Policies as unknown as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
    };
    const readerStatements = (name: SetName): Statement[] => {
      const policy = stack(name).resources.PolicyReaderPolicy!;
      expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
      return (policy.Properties.PolicyDocument as unknown as { Statement: Statement[] }).Statement;
    };
    const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
    const byAction = (statements: Statement[], action: string) => statements.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource));
    const PATH_ARNS = ['arn:aws:ssm:us-east-1:123456789012:parameter/cors/shop-api', 'arn:aws:ssm:us-east-1:123456789012:parameter/cors/shop-api/*'];
    const HISTORY_ARNS = ['arn:aws:ssm:us-east-1:123456789012:parameter/cors/shop-api/*'];

    test('roles per mode and one managed policy; every statement Allow with explicit resources, no "*"', () => {
      for (const name of Object.keys(SETS) as SetName[]) {
        const { resources, conditions } = stack(name);
        const iam = Object.entries(resources)
          .filter(([, r]) => r.Type.startsWith('AWS::IAM::'))
          .map(([id, r]) => `${id}:${r.Type}`)
          .sort();
        const roles = conditions.IsSnapshotMode ? ['CompilerRole', 'PreflightRole', 'RedeployRole'] : ['PreflightRole', 'RedeployRole'];
        expect([name, iam]).toEqual([name, ['PolicyReaderPolicy:AWS::IAM::ManagedPolicy', ...roles.map((r) => `${r}:AWS::IAM::Role`)].sort()]);
        const all = [...roles.flatMap((r) => statementsOf(name, r)), ...readerStatements(name)];
        for (const s of all) {
          expect(s.Effect).toBe('Allow');
          for (const r of list(s.Resource)) expect([s.Sid, r]).not.toEqual([s.Sid, expect.stringMatching(/^\*$|parameter\/\*$|:::[^/]*\/\*$/)]);
          for (const a of list(s.Action)) expect(a).not.toMatch(/\*/);
        }
        // Only the preflight role gets the managed policy; the others have their own inline grants.
        expect(resources.PreflightRole!.Properties.ManagedPolicyArns).toEqual(['<PolicyReaderPolicy>']);
        expect(resources.RedeployRole!.Properties).not.toHaveProperty('ManagedPolicyArns');
        if (conditions.IsSnapshotMode) expect(resources.CompilerRole!.Properties).not.toHaveProperty('ManagedPolicyArns');
      }
    });

    test('the preflight function writes only its own log group; its reads are the managed policy the layer users attach', () => {
      const statements = statementsOf('REST_NEW', 'PreflightRole');
      expect(statements.flatMap((s) => list(s.Action)).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(byAction(statements, 'logs:PutLogEvents')).toEqual(['arn:aws:logs:us-east-1:123456789012:log-group:<PreflightLogGroup>:*']);
      expect(transformed.REST_NEW.Outputs.PolicyReaderPolicyArn!.Value).toEqual({ Ref: 'PolicyReaderPolicy' });
    });

    test('direct mode: the readers may only GetParametersByPath on PolicyPath and below and GetParameterHistory under it (no S3, no kms)', () => {
      const statements = readerStatements('REST_DIRECT');
      expect(statements.flatMap((s) => list(s.Action)).sort()).toEqual(['ssm:GetParameterHistory', 'ssm:GetParametersByPath']);
      expect(byAction(statements, 'ssm:GetParametersByPath')).toEqual(PATH_ARNS);
      expect(byAction(statements, 'ssm:GetParameterHistory')).toEqual(HISTORY_ARNS);
      // A different path yields a different grant, never a wider one.
      const other = materialize(transformed.HTTP_DIRECT, { ...HTTP_DIRECT, PolicyPath: '/teams/a/cors' }).resources.PolicyReaderPolicy!;
      expect(JSON.stringify(other.Properties)).toContain('parameter/teams/a/cors/*');
      expect(JSON.stringify(other.Properties)).not.toContain('shop-api');
    });

    test('snapshot mode, stack-owned bucket: the readers may GetObject the snapshot key only, list its bucket (a missing snapshot is then a 404), and read the path as the fallback', () => {
      const statements = readerStatements('REST_NEW');
      expect(statements.flatMap((s) => list(s.Action)).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 'ssm:GetParameterHistory', 'ssm:GetParametersByPath']);
      expect(byAction(statements, 's3:GetObject')).toEqual(['arn:aws:s3:::<SnapshotBucket>/cors-snapshots/cors/shop-api.json']);
      expect(byAction(statements, 's3:ListBucket')).toEqual(['<SnapshotBucket.Arn>']);
      expect(byAction(statements, 'ssm:GetParametersByPath')).toEqual(PATH_ARNS);
      expect(byAction(statements, 'ssm:GetParameterHistory')).toEqual(HISTORY_ARNS);
    });

    test('snapshot mode, existing bucket: GetObject on the chosen key of that bucket; no ListBucket (it would reveal its other keys)', () => {
      const statements = readerStatements('HTTP_OWN_BUCKET');
      expect(byAction(statements, 's3:GetObject')).toEqual(['arn:aws:s3:::shop-config.eu/cors/shop-api.json']);
      expect(byAction(statements, 's3:ListBucket')).toEqual([]);
    });

    test('the compiler lists and reads history under the path only, and reads/writes only the snapshot key; it deletes it only in its own bucket', () => {
      const own = statementsOf('HTTP', 'CompilerRole');
      expect(own.flatMap((s) => list(s.Action)).sort()).toEqual(
        [
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          's3:DeleteObject',
          's3:GetObject',
          's3:ListBucket',
          's3:PutObject',
          'sqs:SendMessage',
          'ssm:GetParameterHistory',
          'ssm:GetParametersByPath',
        ].sort(),
      );
      expect(byAction(own, 'ssm:GetParametersByPath')).toEqual(PATH_ARNS);
      expect(byAction(own, 'ssm:GetParameterHistory')).toEqual(HISTORY_ARNS);
      for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'])
        expect([action, byAction(own, action)]).toEqual([action, ['arn:aws:s3:::<SnapshotBucket>/cors-snapshots/cors/shop-api.json']]);
      expect(byAction(own, 's3:ListBucket')).toEqual(['arn:aws:s3:::<SnapshotBucket>']);
      expect(byAction(own, 'logs:PutLogEvents')).toEqual(['arn:aws:logs:us-east-1:123456789012:log-group:<CompilerLogGroup>:*']);
      // The function's own dead-letter queue (failed asynchronous runs), the one the rules use.
      expect(byAction(own, 'sqs:SendMessage')).toEqual(['<SnapshotTriggerDeadLetterQueue.Arn>']);

      const shared = statementsOf('HTTP_OWN_BUCKET', 'CompilerRole');
      expect(
        shared
          .flatMap((s) => list(s.Action))
          .filter((a) => a.startsWith('s3:'))
          .sort(),
      ).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
      expect(byAction(shared, 's3:PutObject')).toEqual(['arn:aws:s3:::shop-config.eu/cors/shop-api.json']);
      // The first run must tell "no snapshot yet" (404) from "denied" (403): only the compiler gets ListBucket on a shared bucket.
      expect(byAction(shared, 's3:ListBucket')).toEqual(['arn:aws:s3:::shop-config.eu']);
    });

    test.each([
      ['REST_NEW', 'restapis/a1b2c3d4e5', ['/stages/prod', '/resources', '/resources/*']],
      ['HTTP', 'apis/h1t2t3p4a5', ['', '/stages/$default', '/routes']],
    ] as [SetName, string, string[]][])('%s: the custom resource may only read that API and POST its deployments', (name, api, reads) => {
      const statements = statementsOf(name, 'RedeployRole');
      const base = `arn:aws:apigateway:us-east-1::/${api}`;
      expect(byAction(statements, 'apigateway:POST')).toEqual([`${base}/deployments`]);
      expect(byAction(statements, 'apigateway:GET')).toEqual(reads.map((r) => `${base}${r}`));
      const actions = statements.flatMap((s) => list(s.Action)).sort();
      expect(actions).toEqual(['apigateway:GET', 'apigateway:POST', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    });
  });

  describe('alarms (opt-in)', () => {
    const ALARMS = ['DenialRateAlarm', 'InvalidPolicyParametersAlarm', 'PolicyAgeAlarm', 'PolicyRefreshFailingAlarm'];
    const DIMENSIONS = [
      { Name: 'service', Value: 'cors-preflight' },
      { Name: 'function_name', Value: '<PreflightFunction>' },
    ];
    // The compiler's metrics carry the service dimension only (functions/compiler/metrics.ts).
    const COMPILER = [{ Name: 'service', Value: 'cors-compiler' }];
    /** An alarm on `metric` in the configured namespace, over `dimensions`, by `statistic`, with `more`. */
    const shopCorsAlarm = (metric: string, dimensions: typeof DIMENSIONS, statistic: 'Sum' | 'Maximum', more: Record<string, unknown>) => ({
      Namespace: 'Shop/Cors',
      MetricName: metric,
      Dimensions: dimensions,
      Statistic: statistic,
      ...more,
    });

    test.each(['REST_NEW', 'REST_GATEWAY', 'HTTP'] as SetName[])('%s without AlarmTopicArn: no alarm and nothing else for them', (name) => {
      expect(stack(name).conditions.CreateAlarms).toBe(false);
      expect(ofType(name, 'AWS::CloudWatch::Alarm')).toEqual([]);
      expect(ofType(name, 'AWS::SNS::Topic')).toEqual([]);
    });

    const SNAPSHOT_ALARMS = ['SnapshotAgeAlarm', 'SnapshotCompileFailuresAlarm', 'SnapshotTriggerDeadLetterAlarm'];

    test.each([
      ['HTTP_ALARMS', [...ALARMS, ...SNAPSHOT_ALARMS]],
      ['HTTP_ALARMS_DIRECT', ALARMS],
    ] as [SetName, string[]][])('%s: with AlarmTopicArn, these alarms, each notifying the topic when it fires and when it recovers', (name, expected) => {
      const alarms = ofType(name, 'AWS::CloudWatch::Alarm');
      expect(alarms.map(([id]) => id).sort()).toEqual([...expected].sort());
      for (const [id, a] of alarms) {
        expect([id, a.Condition]).toEqual([id, SNAPSHOT_ALARMS.includes(id) ? 'CreateSnapshotAlarms' : 'CreateAlarms']);
        expect(a.Properties).toMatchObject({
          AlarmActions: [TOPIC],
          OKActions: [TOPIC],
          TreatMissingData: 'notBreaching',
          ComparisonOperator: 'GreaterThanThreshold',
        });
        expect(String(a.Properties.AlarmDescription)).toContain('docs/operate.md');
      }
      // The topic is referenced, never created or subscribed by this stack.
      expect(ofType('HTTP_ALARMS', 'AWS::SNS::Topic')).toEqual([]);
    });

    test("each alarm watches the preflight function's metrics in the configured namespace, with the configured bounds", () => {
      const { resources } = stack('HTTP_ALARMS');
      expect(resources.PolicyRefreshFailingAlarm!.Properties).toMatchObject(
        shopCorsAlarm('PolicyRefreshFailures', DIMENSIONS, 'Sum', { Period: 60, EvaluationPeriods: '3', DatapointsToAlarm: '3', Threshold: 0 }),
      );
      expect(resources.PolicyAgeAlarm!.Properties).toMatchObject(shopCorsAlarm('PolicyAgeSeconds', DIMENSIONS, 'Maximum', { Threshold: '900' }));
      // Snapshot mode: the compiler judges the parameters for the whole fleet.
      expect(resources.InvalidPolicyParametersAlarm!.Properties).toMatchObject(shopCorsAlarm('InvalidPolicyParameters', COMPILER, 'Maximum', { Threshold: 0 }));
      expect(stack('HTTP_ALARMS_DIRECT').resources.InvalidPolicyParametersAlarm!.Properties).toMatchObject({
        MetricName: 'InvalidPolicyParameters',
        Dimensions: DIMENSIONS,
        Statistic: 'Maximum',
        Threshold: 0,
      });
      const rate = resources.DenialRateAlarm!.Properties;
      expect(rate).toMatchObject({ Threshold: '25', EvaluationPeriods: 2, DatapointsToAlarm: 2 });
      const queries = rate.Metrics as Array<{
        Id: string;
        ReturnData: boolean;
        Expression?: string;
        MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown }; Stat: string };
      }>;
      expect(queries.filter((q) => q.ReturnData).map((q) => q.Id)).toEqual(['rate']);
      for (const [id, name] of [
        ['allowed', 'PreflightsAllowed'],
        ['denied', 'PreflightsDenied'],
      ]) {
        expect(queries.find((q) => q.Id === id)!.MetricStat).toMatchObject({
          Metric: { Namespace: 'Shop/Cors', MetricName: name, Dimensions: DIMENSIONS },
          Stat: 'Sum',
        });
      }
      const expression = queries.find((q) => q.Id === 'rate')!.Expression!;
      expect(expression).toMatch(/^IF\(.*>= 10, 100 \* FILL\(denied, 0\) \/ \(FILL\(allowed, 0\) \+ FILL\(denied, 0\)\), 0\)$/);
    });

    test('snapshot alarms: snapshot age above AlarmSnapshotAgeSeconds (the bound the instances log), compiler failures, dead-lettered triggers', () => {
      const { resources } = stack('HTTP_ALARMS');
      expect(resources.SnapshotAgeAlarm!.Properties).toMatchObject(shopCorsAlarm('SnapshotAgeSeconds', DIMENSIONS, 'Maximum', { Threshold: '900' }));
      const vars = (resources.PreflightFunction!.Properties.Environment as { Variables: Record<string, string> }).Variables;
      expect(vars.CORS_SNAPSHOT_MAX_AGE_SECONDS).toBe('900');
      expect(materialize(transformed.HTTP_ALARMS, { ...HTTP_ALARMS, AlarmSnapshotAgeSeconds: '3600' }).resources.SnapshotAgeAlarm!.Properties.Threshold).toBe(
        '3600',
      );
      expect(resources.SnapshotCompileFailuresAlarm!.Properties).toMatchObject(shopCorsAlarm('SnapshotCompileFailures', COMPILER, 'Sum', { Threshold: 0 }));
      expect(resources.SnapshotTriggerDeadLetterAlarm!.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: '<SnapshotTriggerDeadLetterQueue.QueueName>' }],
      });
      const compiler = (resources.CompilerFunction!.Properties.Environment as { Variables: Record<string, string> }).Variables;
      expect(compiler.CORS_METRICS_NAMESPACE).toBe('Shop/Cors');
    });

    test("the compiler alarms watch exactly the names and dimensions the compiler's EMF lines carry", () => {
      const fields = compilerMetricFields('Shop/Cors', { ok: false, invalidParameters: 1, bytes: 10, changes: 0 }, 0);
      const emf = (fields._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> })
        .CloudWatchMetrics[0]!;
      const { resources } = stack('HTTP_ALARMS');
      for (const id of ['SnapshotCompileFailuresAlarm', 'InvalidPolicyParametersAlarm']) {
        const p = resources[id]!.Properties as { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> };
        expect([id, p.Namespace]).toEqual([id, emf.Namespace]);
        expect(emf.Metrics.map((m) => m.Name)).toContain(p.MetricName);
        // CloudWatch matches a metric only on its exact dimension set.
        expect([id, p.Dimensions.map((d) => d.Name)]).toEqual([id, emf.Dimensions[0]]);
        expect([id, p.Dimensions.map((d) => d.Value)]).toEqual([id, emf.Dimensions[0]!.map((name) => String(fields[name]))]);
      }
    });

    test('the function writes its metrics to the namespace the alarms watch', () => {
      const vars = (stack('HTTP_ALARMS').resources.PreflightFunction!.Properties.Environment as { Variables: Record<string, string> }).Variables;
      expect(vars.CORS_METRICS_NAMESPACE).toBe('Shop/Cors');
    });
  });

  describe('outputs', () => {
    test('function ARN, layer version ARN, shadowing routes and next steps', () => {
      const o = transformed.REST_NEW.Outputs;
      expect(o.PreflightFunctionArn!.Value).toEqual({ 'Fn::GetAtt': ['PreflightFunction', 'Arn'] });
      expect(o.ShadowingRoutes!.Value).toEqual({ 'Fn::GetAtt': ['ApiPreflightCheck', 'ShadowingRoutes'] });
      const { scope } = stack('REST_NEW');
      const restSteps = String(resolveValue(o.NextSteps!.Value, scope));
      expect(restSteps).toContain('/cors/shop-api/');
      expect(restSteps).toMatch(/ShadowingRoutes/);
      expect(restSteps).toMatch(/EnableGatewayResponses/);
      expect(restSteps).toMatch(/CorsLayerVersionArn/);
      const httpSteps = String(resolveValue(transformed.HTTP.Outputs.NextSteps!.Value, stack('HTTP').scope));
      expect(httpSteps).toMatch(/CorsConfiguration/);
      // Both end with the verify command for this API's stage URL and policy path.
      expect(restSteps).toMatch(/ cors-policy verify --url https:\/\/\S+\.execute-api\.us-east-1\.amazonaws\.com\/prod --path \/cors\/shop-api$/);
      expect(httpSteps).toMatch(/ cors-policy verify --url https:\/\/h1t2t3p4a5\.execute-api\.us-east-1\.amazonaws\.com --path \S+$/);
      expect(restSteps.length).toBeLessThan(1_500);
      for (const [id, out] of Object.entries(o)) expect([id, typeof out.Description]).toEqual([id, 'string']);
    });
  });

  describe('runtime (one place)', () => {
    test.each(Object.keys(SETS) as SetName[])('%s: every function runs nodejs24.x by default', (name) => {
      const functions = ofType(name, 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThanOrEqual(2);
      for (const [id, f] of functions) expect([id, f.Properties.Runtime]).toEqual([id, 'nodejs24.x']);
    });

    test('Runtime=nodejs22.x moves every function; the template names a runtime in Globals only', () => {
      const { resources } = materialize(transformed.HTTP, { ...HTTP, Runtime: 'nodejs22.x' });
      const runtimes = Object.values(resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => r.Properties.Runtime);
      expect(new Set(runtimes)).toEqual(new Set(['nodejs22.x']));
      const text = readFileSync(TEMPLATE, 'utf8');
      expect(text.match(/^\s+Runtime: .*$/gm)).toEqual(['    Runtime: !Ref Runtime']);
      // The layer serves both allowed runtimes.
      const [, layer] = ofType('HTTP', 'AWS::Lambda::LayerVersion')[0]!;
      expect(layer.Properties.CompatibleRuntimes).toEqual(expect.arrayContaining(raw.Parameters.Runtime!.AllowedValues!));
    });
  });

  describe('snapshot mode', () => {
    const SNAPSHOT_RESOURCES = [
      'CompilerFunction',
      'CompilerFunctionEventInvokeConfig',
      'CompilerLogGroup',
      'CompilerRole',
      'PolicyChangeRule',
      'PolicyChangeRulePermission',
      'PolicySnapshot',
      'SnapshotScheduleRule',
      'SnapshotScheduleRulePermission',
      'SnapshotTriggerDeadLetterQueue',
      'SnapshotTriggerDeadLetterQueuePolicy',
    ];
    const vars = (name: SetName, id: string) => (stack(name).resources[id]!.Properties.Environment as { Variables: Record<string, string> }).Variables;

    test.each([
      ['HTTP', [...SNAPSHOT_RESOURCES, 'SnapshotBucket', 'SnapshotBucketPolicy']],
      ['REST_NEW', [...SNAPSHOT_RESOURCES, 'SnapshotBucket', 'SnapshotBucketPolicy']],
      ['HTTP_OWN_BUCKET', SNAPSHOT_RESOURCES],
      ['HTTP_DIRECT', []],
      ['REST_DIRECT', []],
    ] as [SetName, string[]][])('%s: the snapshot resources are %j', (name, expected) => {
      const { resources } = stack(name);
      const all = Object.keys(transformed[name].Resources);
      const snapshotSide = all.filter(
        (id) => /^(Compiler|PolicyChange|PolicySnapshot|Snapshot)/.test(id) && !id.endsWith('Alarm') && id !== 'SnapshotBeforeTraffic',
      ); // the gate exists in both modes (free, no properties)
      expect(snapshotSide.filter((id) => id in resources).sort()).toEqual([...expected].sort());
      // Direct mode is today's stack plus the managed policy: nothing in S3, EventBridge or SQS.
      if (expected.length === 0) {
        const types = Object.values(resources).map((r) => r.Type);
        for (const t of types) expect(t).not.toMatch(/^AWS::(S3|Events|SQS)::|^Custom::PolicySnapshot$/);
      }
    });

    test('the stack-owned bucket is private, encrypted, TLS-only, and deleted with the stack', () => {
      const { resources } = stack('HTTP');
      const bucket = resources.SnapshotBucket!;
      expect(bucket).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      expect(bucket.Properties).not.toHaveProperty('BucketName'); // generated: never collides
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      expect(bucket.Properties).not.toHaveProperty('VersioningConfiguration'); // one key, emptied on delete: no versions left behind
      const statements = (resources.SnapshotBucketPolicy!.Properties.PolicyDocument as { Statement: JsonObject[] }).Statement;
      expect(statements).toEqual([
        expect.objectContaining({
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: ['<SnapshotBucket.Arn>', '<SnapshotBucket.Arn>/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]);
      // The custom resource's Delete empties the key of a bucket the stack owns, and only then.
      expect(vars('HTTP', 'CompilerFunction').CORS_SNAPSHOT_DELETE_ON_STACK_DELETE).toBe('true');
      expect(vars('HTTP_OWN_BUCKET', 'CompilerFunction').CORS_SNAPSHOT_DELETE_ON_STACK_DELETE).toBe('false');
    });

    test('the compiler: makefile build, one run at a time, its own log group, the contract environment', () => {
      const f = stack('HTTP').resources.CompilerFunction!;
      expect(f.Metadata).toMatchObject({ BuildMethod: 'makefile' });
      expect(f.Properties).toMatchObject({
        Handler: 'index.handler',
        ReservedConcurrentExecutions: 1,
        Architectures: ['arm64'],
        Role: '<CompilerRole.Arn>',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: '<CompilerLogGroup>', ApplicationLogLevel: 'INFO' },
      });
      expect(f.Properties.Timeout).toBeLessThan(stack('HTTP').resources.PolicySnapshot!.Properties.ServiceTimeout as number);
      expect(stack('HTTP').resources.CompilerLogGroup!.Properties).toEqual({ LogGroupName: '/aws/lambda/cors-stack-compiler', RetentionInDays: '30' });
      expect(vars('HTTP', 'CompilerFunction')).toEqual({
        CORS_POLICY_PATH: '/cors/shop-api',
        CORS_SNAPSHOT_BUCKET: '<SnapshotBucket>',
        CORS_SNAPSHOT_KEY: 'cors-snapshots/cors/shop-api.json',
        CORS_SNAPSHOT_DELETE_ON_STACK_DELETE: 'true',
        CORS_METRICS_NAMESPACE: 'ApigwCors',
        LOG_LEVEL: 'INFO',
        AWS_ENDPOINT_URL_SSM: '',
        AWS_ENDPOINT_URL_S3: '',
      });
      expect(f.Properties.DeadLetterConfig).toEqual({ TargetArn: '<SnapshotTriggerDeadLetterQueue.Arn>' });
      // Stale queued triggers are dropped: the schedule has run since.
      expect(stack('HTTP').resources.CompilerFunctionEventInvokeConfig!.Properties).toMatchObject({ MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 1 });
    });

    test('compiler and instances agree on bucket and key; the default key is the one functions/core/snapshot.ts derives', () => {
      for (const [name, path] of [
        ['HTTP', '/cors/shop-api'],
        ['HTTP', '/teams/a/cors'],
      ] as [SetName, string][]) {
        const { resources } = materialize(transformed[name], { ...SETS[name], PolicyPath: path });
        const compiler = (resources.CompilerFunction!.Properties.Environment as { Variables: Record<string, string> }).Variables;
        const preflight = (resources.PreflightFunction!.Properties.Environment as { Variables: Record<string, string> }).Variables;
        expect(compiler.CORS_SNAPSHOT_KEY).toBe(defaultSnapshotKey(path));
        expect(preflight.CORS_SNAPSHOT_KEY).toBe(compiler.CORS_SNAPSHOT_KEY);
        expect(preflight.CORS_SNAPSHOT_BUCKET).toBe(compiler.CORS_SNAPSHOT_BUCKET);
        expect(resources.PolicySnapshot!.Properties).toMatchObject({
          Bucket: compiler.CORS_SNAPSHOT_BUCKET,
          Key: compiler.CORS_SNAPSHOT_KEY,
          PolicyPath: path,
        });
      }
      expect(vars('HTTP_OWN_BUCKET', 'PreflightFunction')).toMatchObject({ CORS_SNAPSHOT_BUCKET: 'shop-config.eu', CORS_SNAPSHOT_KEY: 'cors/shop-api.json' });
      expect(vars('HTTP_OWN_BUCKET', 'CompilerFunction')).toMatchObject({ CORS_SNAPSHOT_BUCKET: 'shop-config.eu', CORS_SNAPSHOT_KEY: 'cors/shop-api.json' });
    });

    test('the change rule: Parameter Store Change events of aws.ssm whose name starts with PolicyPath + "/", retried, dead-lettered', () => {
      const { resources } = stack('HTTP');
      const rule = resources.PolicyChangeRule!;
      expect(rule.Properties.EventPattern).toEqual({
        source: ['aws.ssm'],
        'detail-type': ['Parameter Store Change'],
        detail: { name: [{ prefix: '/cors/shop-api/' }] },
      });
      expect(rule.Properties.State).toBe('ENABLED');
      expect(rule.Properties.Targets).toEqual([
        {
          Id: 'compiler',
          Arn: '<CompilerFunction.Arn>',
          RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
          DeadLetterConfig: { Arn: '<SnapshotTriggerDeadLetterQueue.Arn>' },
        },
      ]);
      expect(resources.PolicyChangeRulePermission!.Properties).toEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: '<CompilerFunction.Arn>',
        Principal: 'events.amazonaws.com',
        SourceArn: '<PolicyChangeRule.Arn>',
      });
      const other = materialize(transformed.HTTP, { ...HTTP, PolicyPath: '/teams/a/cors' }).resources.PolicyChangeRule!;
      expect(other.Properties.EventPattern).toMatchObject({ detail: { name: [{ prefix: '/teams/a/cors/' }] } });
    });

    test('the schedule: SnapshotSchedule (default every 5 minutes) with the same dead-letter queue; only the two rules may send to it', () => {
      const { resources } = stack('HTTP');
      expect(resources.SnapshotScheduleRule!.Properties).toMatchObject({
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [{ Id: 'compiler', Arn: '<CompilerFunction.Arn>', DeadLetterConfig: { Arn: '<SnapshotTriggerDeadLetterQueue.Arn>' } }],
      });
      expect(stack('HTTP_OWN_BUCKET').resources.SnapshotScheduleRule!.Properties.ScheduleExpression).toBe('rate(1 hour)');
      expect(resources.SnapshotScheduleRulePermission!.Properties).toMatchObject({
        Principal: 'events.amazonaws.com',
        SourceArn: '<SnapshotScheduleRule.Arn>',
      });
      expect(resources.SnapshotTriggerDeadLetterQueue!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
      const [statement] = (resources.SnapshotTriggerDeadLetterQueuePolicy!.Properties.PolicyDocument as { Statement: JsonObject[] }).Statement;
      expect(statement).toEqual({
        Sid: 'OnlyThisStacksRules',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: '<SnapshotTriggerDeadLetterQueue.Arn>',
        Condition: { ArnEquals: { 'aws:SourceArn': ['<PolicyChangeRule.Arn>', '<SnapshotScheduleRule.Arn>'] } },
      });
    });

    test('the deploy-time run: the compiler compiles before the preflight function (and so any route) exists; triggers start after it', () => {
      const { resources, scope } = stack('HTTP');
      expect(resources.PolicySnapshot!).toMatchObject({ Type: 'Custom::PolicySnapshot', Condition: 'IsSnapshotMode' });
      expect(resources.PolicySnapshot!.Properties).toMatchObject({ ServiceToken: '<CompilerFunction.Arn>' });
      // Preflight function -> gate -> PolicySnapshot; every route references the function.
      expect(resources.PreflightFunction!.DependsOn).toBe('SnapshotBeforeTraffic');
      const gate = transformed.HTTP.Resources.SnapshotBeforeTraffic!;
      expect(gate.Type).toBe('AWS::CloudFormation::WaitConditionHandle');
      expect(gate.Condition).toBeUndefined();
      expect(resolveValue(gate.Metadata!.Snapshot!, scope)).toBe('<PolicySnapshot>');
      expect(resolveValue(gate.Metadata!.Snapshot!, stack('HTTP_DIRECT').scope)).toBe('direct mode');
      expect(JSON.stringify(resources.HttpPreflightIntegration!.Properties)).toContain('<PreflightFunction.Arn>');
      // Rules are created after the first run and deleted before its Delete empties the key.
      for (const id of ['PolicyChangeRule', 'SnapshotScheduleRule']) expect([id, resources[id]!.DependsOn]).toEqual([id, 'PolicySnapshot']);
    });
  });

  test('descriptions stay within their limits with the longest PolicyPath and stack name allowed', () => {
    // 14 levels, 900 characters: what the parameter's pattern and MaxLength let through.
    const longest = `/${Array.from({ length: 14 }, (_, i) => `${i}`.padEnd(63, 'x')).join('/')}`.slice(0, 900).replace(/\/$/, 'y');
    expect(parameterProblem(raw, 'PolicyPath', longest)).toBeUndefined();
    const LIMITS: Record<string, [string, number]> = {
      'AWS::Lambda::Function': ['Description', 256],
      'AWS::Lambda::LayerVersion': ['Description', 256],
      'AWS::Events::Rule': ['Description', 512],
      'AWS::IAM::Role': ['Description', 1000],
      'AWS::IAM::ManagedPolicy': ['Description', 1000],
      'AWS::CloudWatch::Alarm': ['AlarmDescription', 1024],
    };
    for (const name of ['HTTP_ALARMS', 'HTTP_ALARMS_DIRECT'] as SetName[]) {
      const { resources } = materialize(transformed[name], { ...SETS[name], PolicyPath: longest });
      for (const [id, r] of Object.entries(resources)) {
        const limit = LIMITS[r.Type];
        if (!limit) continue;
        const text = String(r.Properties[limit[0]] ?? '');
        // The evaluator's stack name is 10 characters; CloudFormation allows 128.
        const length = text.length + (text.split('cors-stack').length - 1) * (128 - 'cors-stack'.length);
        expect([id, length <= limit[1]]).toEqual([id, true]);
      }
    }
  });

  describe('outputs and exports', () => {
    test('the layer version ARN and the reader policy are exported; the layer environment lists what its functions need', () => {
      const o = transformed.HTTP.Outputs;
      const exportName = (id: string) => resolveValue((o[id] as unknown as { Export: { Name: JsonObject } }).Export.Name, stack('HTTP').scope);
      expect(exportName('CorsLayerVersionArn')).toBe('cors-stack-CorsLayerVersionArn');
      expect(exportName('PolicyReaderPolicyArn')).toBe('cors-stack-PolicyReaderPolicyArn');
      const env = String(resolveValue(o.LayerFunctionEnvironment!.Value, stack('HTTP').scope));
      expect(env).toBe(
        'CORS_POLICY_PATH=/cors/shop-api CORS_POLICY_TTL_SECONDS=60 CORS_SNAPSHOT_BUCKET=<SnapshotBucket> CORS_SNAPSHOT_KEY=cors-snapshots/cors/shop-api.json CORS_SNAPSHOT_MAX_AGE_SECONDS=900',
      );
      // The same variables, with the same values, as the preflight function.
      const preflight = (stack('HTTP').resources.PreflightFunction!.Properties.Environment as { Variables: Record<string, string> }).Variables;
      for (const pair of env.split(' ')) {
        const [k, v] = pair.split('=');
        expect([k, preflight[k!]]).toEqual([k, v]);
      }
      expect(String(resolveValue(transformed.HTTP_DIRECT.Outputs.LayerFunctionEnvironment!.Value, stack('HTTP_DIRECT').scope))).toBe(
        'CORS_POLICY_PATH=/cors/shop-api CORS_POLICY_TTL_SECONDS=60',
      );
      for (const id of ['SnapshotBucketName', 'SnapshotKey', 'CompilerFunctionName']) expect([id, o[id]!.Condition]).toEqual([id, 'IsSnapshotMode']);
    });
  });
});
