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

const SETS = { REST_NEW, REST_EXISTING, REST_GATEWAY, REST_GATEWAY_STAR, HTTP, HTTP_ALARMS } as const;
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
        .filter(([, r]) => r.Type.startsWith('AWS::ApiGateway') || r.Type.startsWith('Custom::'))
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
      expect(d.Properties).toMatchObject({ ServiceToken: '<RedeployFunction.Arn>', Action: 'Deploy', ApiType: 'REST', ApiId: 'a1b2c3d4e5', StageName: 'prod' });
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
      expect(check.Properties).toMatchObject({
        ServiceToken: '<RedeployFunction.Arn>',
        Action: 'Check',
        ApiType: 'REST',
        ApiId: 'a1b2c3d4e5',
        RestRootResourceId: 'r00tr00t00',
        ExistingProxyResourceId: '',
        PolicyPath: '/cors/shop-api',
      });
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
      expect(d.Properties).toMatchObject({
        ServiceToken: '<RedeployFunction.Arn>',
        Action: 'Deploy',
        ApiType: 'HTTP',
        ApiId: 'h1t2t3p4a5',
        StageName: '$default',
      });
      expect(d.Properties.Triggers).toMatchObject({ Routes: ['<HttpProxyOptionsRoute>', '<HttpRootOptionsRoute>'], Integration: '<HttpPreflightIntegration>' });
    });
  });

  describe('invoke permission', () => {
    test.each(['REST_NEW', 'HTTP'] as SetName[])('%s: API Gateway may invoke the function for OPTIONS only, root included', (name) => {
      const perms = ofType(name, 'AWS::Lambda::Permission');
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
      expect(['nodejs22.x', 'nodejs24.x']).toContain(f.Properties.Runtime);
      const vars = (f.Properties.Environment as { Variables: Record<string, string> }).Variables;
      const budgetS = Number(vars.CORS_POLICY_LOAD_BUDGET_MS) / 1000;
      expect(f.Properties.Timeout).toBeGreaterThanOrEqual(budgetS + 2);
      expect(f.Properties.Timeout).toBeLessThanOrEqual(10);
      expect(vars).toEqual({
        CORS_POLICY_PATH: '/cors/shop-api',
        CORS_POLICY_TTL_SECONDS: '60',
        CORS_POLICY_LOAD_BUDGET_MS: '2000',
        CORS_DEBUG: 'false',
        CORS_METRICS_NAMESPACE: 'ApigwCors',
        LOG_LEVEL: 'INFO',
        AWS_ENDPOINT_URL_SSM: '',
      });
      expect(f.Properties).not.toHaveProperty('Layers');
    });

    test('both functions log to their own log group with retention', () => {
      const { resources } = stack('HTTP');
      for (const [fnId, groupId] of [
        ['PreflightFunction', 'PreflightLogGroup'],
        ['RedeployFunction', 'RedeployLogGroup'],
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
      const expected: Record<string, string> = { PreflightFunction: 'preflight', CorsLayer: 'layer', RedeployFunction: 'redeploy' };
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
      Effect: string;
      Action: string | string[];
      Resource: string | string[];
    }
    const statementsOf = (name: SetName, roleId: string): Statement[] => {
      const role = stack(name).resources[roleId]!;
      expect(role.Type).toBe('AWS::IAM::Role');
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
      return (role.Properties.Policies as unknown as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
    };
    const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

    test('only IAM roles, no stand-alone policies; every statement Allow with explicit resources, no "*"', () => {
      for (const name of Object.keys(SETS) as SetName[]) {
        const iamTypes = Object.values(stack(name).resources)
          .map((r) => r.Type)
          .filter((t) => t.startsWith('AWS::IAM::'));
        expect(iamTypes).toEqual(['AWS::IAM::Role', 'AWS::IAM::Role']);
        for (const roleId of ['PreflightRole', 'RedeployRole']) {
          for (const s of statementsOf(name, roleId)) {
            expect(s.Effect).toBe('Allow');
            for (const r of list(s.Resource)) expect(r).not.toBe('*');
            for (const a of list(s.Action)) expect(a).not.toMatch(/\*/);
          }
        }
      }
    });

    test('the preflight function may only GetParametersByPath on PolicyPath and below, and GetParameterHistory of the parameters under it (no parameter/*, no kms)', () => {
      const statements = statementsOf('REST_NEW', 'PreflightRole');
      const ssm = statements.filter((s) => list(s.Action).some((a) => a.startsWith('ssm:')));
      expect(ssm).toHaveLength(2);
      expect(list(ssm[0]!.Action)).toEqual(['ssm:GetParametersByPath']);
      expect(list(ssm[0]!.Resource)).toEqual([
        'arn:aws:ssm:us-east-1:123456789012:parameter/cors/shop-api',
        'arn:aws:ssm:us-east-1:123456789012:parameter/cors/shop-api/*',
      ]);
      expect(list(ssm[1]!.Action)).toEqual(['ssm:GetParameterHistory']);
      expect(list(ssm[1]!.Resource)).toEqual(['arn:aws:ssm:us-east-1:123456789012:parameter/cors/shop-api/*']);
      const all = statements.flatMap((s) => list(s.Resource));
      expect(all.filter((r) => /parameter\/\*$/.test(r))).toEqual([]);
      expect(
        statements
          .flatMap((s) => list(s.Action))
          .filter((a) => !a.startsWith('ssm:'))
          .sort(),
      ).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(statements.find((s) => list(s.Action).includes('logs:PutLogEvents'))!.Resource).toBe(
        'arn:aws:logs:us-east-1:123456789012:log-group:<PreflightLogGroup>:*',
      );
      // A different path yields a different grant, never a wider one.
      const other = materialize(transformed.HTTP, { ...HTTP, PolicyPath: '/teams/a/cors' }).resources.PreflightRole!;
      expect(JSON.stringify(other.Properties)).toContain('parameter/teams/a/cors/*');
    });

    test.each([
      ['REST_NEW', 'restapis/a1b2c3d4e5', ['/stages/prod', '/resources', '/resources/*']],
      ['HTTP', 'apis/h1t2t3p4a5', ['', '/stages/$default', '/routes']],
    ] as [SetName, string, string[]][])('%s: the custom resource may only read that API and POST its deployments', (name, api, reads) => {
      const statements = statementsOf(name, 'RedeployRole');
      const base = `arn:aws:apigateway:us-east-1::/${api}`;
      const byAction = (action: string) => statements.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource));
      expect(byAction('apigateway:POST')).toEqual([`${base}/deployments`]);
      expect(byAction('apigateway:GET')).toEqual(reads.map((r) => `${base}${r}`));
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

    test.each(['REST_NEW', 'REST_GATEWAY', 'HTTP'] as SetName[])('%s without AlarmTopicArn: no alarm and nothing else for them', (name) => {
      expect(stack(name).conditions.CreateAlarms).toBe(false);
      expect(ofType(name, 'AWS::CloudWatch::Alarm')).toEqual([]);
      expect(ofType(name, 'AWS::SNS::Topic')).toEqual([]);
    });

    test('with AlarmTopicArn: the four alarms, each notifying the topic when it fires and when it recovers', () => {
      const alarms = ofType('HTTP_ALARMS', 'AWS::CloudWatch::Alarm');
      expect(alarms.map(([id]) => id).sort()).toEqual(ALARMS);
      for (const [id, a] of alarms) {
        expect([id, a.Condition]).toEqual([id, 'CreateAlarms']);
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
      expect(resources.PolicyRefreshFailingAlarm!.Properties).toMatchObject({
        Namespace: 'Shop/Cors',
        MetricName: 'PolicyRefreshFailures',
        Dimensions: DIMENSIONS,
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: '3',
        DatapointsToAlarm: '3',
        Threshold: 0,
      });
      expect(resources.PolicyAgeAlarm!.Properties).toMatchObject({
        Namespace: 'Shop/Cors',
        MetricName: 'PolicyAgeSeconds',
        Dimensions: DIMENSIONS,
        Statistic: 'Maximum',
        Threshold: '900',
      });
      expect(resources.InvalidPolicyParametersAlarm!.Properties).toMatchObject({
        Namespace: 'Shop/Cors',
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
});
