// Building API Gateway APIs in moto with the real SDK, for the integration tests of
// the check/deploy custom resource and of `cors-policy discover` / `import`.
// moto 5.2.1 differs from AWS where noted in docs/deploy.md (8-letter HTTP API ids,
// no HTTP CreateDeployment, no paging, no conflict errors).
import {
  APIGatewayClient,
  CreateAuthorizerCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateStageCommand as CreateRestStageCommand,
  CreateDeploymentCommand as CreateRestDeploymentCommand,
  GetResourcesCommand,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
} from '@aws-sdk/client-api-gateway';
import {
  ApiGatewayV2Client,
  CreateApiCommand,
  CreateRouteCommand,
  CreateStageCommand as CreateHttpStageCommand,
  type Cors,
} from '@aws-sdk/client-apigatewayv2';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export function restClient(endpoint: string): APIGatewayClient {
  return new APIGatewayClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}

export function httpClient(endpoint: string): ApiGatewayV2Client {
  return new ApiGatewayV2Client({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}

/** Environment pointing both API Gateway clients of a process (or a child) at moto. */
export function apiGatewayEnv(endpoint: string): Record<string, string> {
  return { AWS_ENDPOINT_URL_API_GATEWAY: endpoint, AWS_ENDPOINT_URL_APIGATEWAYV2: endpoint };
}

/** One OPTIONS method answered by a MOCK integration, as the console's "Enable CORS" creates it. */
export interface MockCors {
  /** Header name -> the integration response's mapping value, e.g. `"'https://app.example.com'"`. */
  headers: Record<string, string>;
  statusCode?: string;
}

export interface RestMethodSpec {
  authorizationType?: string;
  /** For OPTIONS: a MOCK integration with these integration response values. */
  mock?: MockCors;
  /** Any other integration type (no responses). Default `AWS_PROXY`: a deployment needs every method integrated. */
  integrationType?: string;
}

export interface RestApiSpec {
  /** Resource path -> method -> spec; parents are created as needed. `/` is the root. */
  resources?: Record<string, Record<string, RestMethodSpec>>;
  stages?: string[];
  /** Adds a TOKEN authorizer, referenced by methods with authorizationType CUSTOM. */
  authorizer?: boolean;
}

export interface RestApi {
  id: string;
  rootId: string;
  /** Resource path -> id. */
  ids: Record<string, string>;
}

/**
 * A REST API with the given resources, methods, MOCK OPTIONS integrations and stages
 * (each deployed once). An API without methods gets `GET /`, since API Gateway (and
 * moto) refuse to deploy an API without methods.
 */
export async function createRestApi(client: APIGatewayClient, name: string, given: RestApiSpec = {}): Promise<RestApi> {
  const spec = given.stages?.length && !given.resources ? { ...given, resources: { '/': { GET: {} } } } : given;
  const api = await client.send(new CreateRestApiCommand({ name }));
  const restApiId = api.id!;
  const listed = await client.send(new GetResourcesCommand({ restApiId }));
  const rootId = listed.items!.find((r) => r.path === '/')!.id!;
  const ids: Record<string, string> = { '/': rootId };
  const ensure = async (path: string): Promise<string> => {
    if (ids[path]) return ids[path]!;
    const cut = path.lastIndexOf('/');
    const parentId = await ensure(cut === 0 ? '/' : path.slice(0, cut));
    const created = await client.send(new CreateResourceCommand({ restApiId, parentId, pathPart: path.slice(cut + 1) }));
    ids[path] = created.id!;
    return created.id!;
  };
  let authorizerId: string | undefined;
  if (spec.authorizer) {
    const created = await client.send(
      new CreateAuthorizerCommand({
        restApiId,
        name: 'token',
        type: 'TOKEN',
        identitySource: 'method.request.header.Authorization',
        authorizerUri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations',
      }),
    );
    authorizerId = created.id;
  }
  for (const [path, methods] of Object.entries(spec.resources ?? {})) {
    const resourceId = await ensure(path);
    for (const [httpMethod, m] of Object.entries(methods)) {
      const authorizationType = m.authorizationType ?? 'NONE';
      await client.send(
        new PutMethodCommand({ restApiId, resourceId, httpMethod, authorizationType, ...(authorizationType === 'CUSTOM' ? { authorizerId } : {}) }),
      );
      if (m.mock) {
        const statusCode = m.mock.statusCode ?? '200';
        const declared = Object.fromEntries(Object.keys(m.mock.headers).map((h) => [`method.response.header.${h}`, false]));
        await client.send(new PutMethodResponseCommand({ restApiId, resourceId, httpMethod, statusCode, responseParameters: declared }));
        await client.send(
          new PutIntegrationCommand({ restApiId, resourceId, httpMethod, type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 200}' } }),
        );
        const values = Object.fromEntries(Object.entries(m.mock.headers).map(([h, v]) => [`method.response.header.${h}`, v]));
        await client.send(new PutIntegrationResponseCommand({ restApiId, resourceId, httpMethod, statusCode, responseParameters: values }));
      } else {
        await client.send(
          new PutIntegrationCommand({
            restApiId,
            resourceId,
            httpMethod,
            type: (m.integrationType ?? 'AWS_PROXY') as 'AWS_PROXY',
            integrationHttpMethod: 'POST',
            uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:app/invocations',
          }),
        );
      }
    }
  }
  for (const stageName of spec.stages ?? []) {
    const deployment = await client.send(new CreateRestDeploymentCommand({ restApiId }));
    await client.send(new CreateRestStageCommand({ restApiId, stageName, deploymentId: deployment.id! }));
  }
  return { id: restApiId, rootId, ids };
}

export interface HttpApiSpec {
  cors?: Cors;
  routes?: Array<string | { key: string; authorizationType?: 'JWT' | 'CUSTOM' | 'AWS_IAM' }>;
  /** Stage name -> AutoDeploy. */
  stages?: Record<string, boolean>;
  protocol?: 'HTTP' | 'WEBSOCKET';
}

/** An HTTP API (ids are 8 letters in moto, 10 characters in AWS). */
export async function createHttpApi(client: ApiGatewayV2Client, name: string, spec: HttpApiSpec = {}): Promise<string> {
  const protocol = spec.protocol ?? 'HTTP';
  const api = await client.send(
    new CreateApiCommand({
      Name: name,
      ProtocolType: protocol,
      ...(protocol === 'WEBSOCKET' ? { RouteSelectionExpression: '$request.body.action' } : {}),
      ...(spec.cors ? { CorsConfiguration: spec.cors } : {}),
    }),
  );
  const ApiId = api.ApiId!;
  for (const route of spec.routes ?? []) {
    const r = typeof route === 'string' ? { key: route } : route;
    await client.send(
      new CreateRouteCommand({ ApiId, RouteKey: r.key, ...(r.authorizationType ? { AuthorizationType: r.authorizationType, AuthorizerId: 'authz001' } : {}) }),
    );
  }
  for (const [StageName, AutoDeploy] of Object.entries(spec.stages ?? {})) await client.send(new CreateHttpStageCommand({ ApiId, StageName, AutoDeploy }));
  return ApiId;
}
