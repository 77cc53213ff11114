import {
  APIGatewayClient,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  GetStagesCommand as GetRestStagesCommand,
  type GetRestApiCommandOutput,
  type Resource as RestResource,
} from '@aws-sdk/client-api-gateway';
import {
  ApiGatewayV2Client,
  GetApiCommand,
  GetRoutesCommand,
  GetStagesCommand as GetHttpStagesCommand,
  type GetApiCommandOutput,
  type Route as HttpRoute,
} from '@aws-sdk/client-apigatewayv2';
import { listHttpRoutes, listRestResources } from '../aws/api-gateway';
import { AwsError, oneLine } from './errors';
import { callWithDeadline, clientConfig, type AwsClientOptions } from './ssm';

/**
 * The API Gateway reads of `discover` and `import` (REST and HTTP APIs), each
 * failure turned into an {@link AwsError} with one readable line, as ssm.ts does
 * for Parameter Store. Endpoints come from AWS_ENDPOINT_URL_API_GATEWAY (REST),
 * AWS_ENDPOINT_URL_APIGATEWAYV2 (HTTP) or AWS_ENDPOINT_URL.
 */
export interface ApiGatewayClients {
  readonly rest: APIGatewayClient;
  readonly http: ApiGatewayV2Client;
}

export function createApiGatewayClients(options: AwsClientOptions = {}): ApiGatewayClients {
  const config = clientConfig(options);
  return { rest: new APIGatewayClient(config), http: new ApiGatewayV2Client(config) };
}

const HINTS: Record<string, string> = {
  AccessDeniedException: 'the credentials in use may not read this API; discover and import need apigateway:GET on it',
  TooManyRequestsException: 'API Gateway is throttling this account and region; the SDK already retried, so wait and run the command again',
  UnrecognizedClientException: 'the access key is not valid; check AWS_PROFILE or the credentials in use',
  ExpiredTokenException: 'the session credentials have expired; log in again (e.g. aws sso login)',
  CredentialsProviderError: 'no AWS credentials found; set AWS_PROFILE or pass --profile, or export credentials',
  ECONNREFUSED: 'nothing is listening at the endpoint; check AWS_ENDPOINT_URL_API_GATEWAY / AWS_ENDPOINT_URL_APIGATEWAYV2 / AWS_ENDPOINT_URL',
  ENOTFOUND: 'the endpoint host name does not resolve; check the region and the endpoint variables',
  TimeoutError: 'the endpoint did not answer in time; check the network, the region and the endpoint variables',
  RegionMissing: 'no AWS region configured; set AWS_REGION, use a profile with a region, or pass --region',
};

export function describeApiGatewayError(err: unknown, operation: string, target: string): AwsError {
  const e = err as { name?: string; code?: string; message?: string; errors?: unknown[]; $metadata?: { httpStatusCode?: number } };
  const inner = Array.isArray(e?.errors) && e.errors.length > 0 ? (e.errors[0] as { code?: string; message?: string }) : undefined;
  let code = inner?.code ?? e?.code ?? e?.name ?? 'Error';
  const message = e?.message || inner?.message || String(err);
  if (/region is missing/i.test(message)) code = 'RegionMissing';
  const hint = HINTS[code];
  const status = e?.$metadata?.httpStatusCode ? ` [HTTP ${e.$metadata.httpStatusCode}]` : '';
  return new AwsError(oneLine(`${operation} ${target} failed: ${code}: ${message}${status}${hint ? ` - ${hint}` : ''}`), code, { cause: err });
}

function call<T>(operation: string, target: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return callWithDeadline(describeApiGatewayError, operation, target, fn);
}

const isNotFound = (err: unknown): boolean => err instanceof AwsError && err.code === 'NotFoundException';

export type FoundApi =
  | { readonly type: 'REST'; readonly id: string; readonly name: string; readonly api: GetRestApiCommandOutput }
  | { readonly type: 'HTTP'; readonly id: string; readonly name: string; readonly api: GetApiCommandOutput };

/**
 * The REST or HTTP API with this id (an id names one or the other). Not found, or a
 * WebSocket API, is an AwsError with code `NotFound` or `Unsupported` (exit 2).
 */
export async function findApi(clients: ApiGatewayClients, apiId: string): Promise<FoundApi> {
  const [rest, http] = await Promise.allSettled([
    call('GetRestApi', apiId, (abortSignal) => clients.rest.send(new GetRestApiCommand({ restApiId: apiId }), { abortSignal })),
    call('GetApi', apiId, (abortSignal) => clients.http.send(new GetApiCommand({ ApiId: apiId }), { abortSignal })),
  ]);
  if (rest.status === 'fulfilled') return { type: 'REST', id: apiId, name: rest.value.name ?? '', api: rest.value };
  if (http.status === 'fulfilled') {
    if (http.value.ProtocolType && http.value.ProtocolType !== 'HTTP') {
      throw new AwsError(`API ${apiId} is a ${http.value.ProtocolType} API; this product serves REST and HTTP APIs only`, 'Unsupported');
    }
    return { type: 'HTTP', id: apiId, name: http.value.Name ?? '', api: http.value };
  }
  if (isNotFound(rest.reason) && isNotFound(http.reason)) {
    throw new AwsError(
      `no REST or HTTP API with id "${apiId}" in this account and region (${process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "the profile's region"}); check --api-id and --region`,
      'NotFound',
    );
  }
  throw isNotFound(rest.reason) ? http.reason : rest.reason;
}

/**
 * Every resource with its methods embedded. An OPTIONS method listed without its
 * integration is read with GetMethod, so that discover and import always see
 * whether it is a MOCK and what it answers.
 */
export async function restResources(clients: ApiGatewayClients, apiId: string): Promise<RestResource[]> {
  const resources = await listRestResources(apiId, (input) =>
    call('GetResources', apiId, (abortSignal) => clients.rest.send(new GetResourcesCommand(input), { abortSignal })),
  );
  for (const r of resources) {
    const options = r.resourceMethods?.OPTIONS;
    if (!options || options.methodIntegration || !r.id) continue;
    const target = `OPTIONS ${r.path ?? r.id}`;
    r.resourceMethods!.OPTIONS = await call('GetMethod', target, (abortSignal) =>
      clients.rest.send(new GetMethodCommand({ restApiId: apiId, resourceId: r.id!, httpMethod: 'OPTIONS' }), { abortSignal }),
    );
  }
  return resources;
}

export function httpRoutes(clients: ApiGatewayClients, apiId: string): Promise<HttpRoute[]> {
  return listHttpRoutes(apiId, (input) => call('GetRoutes', apiId, (abortSignal) => clients.http.send(new GetRoutesCommand(input), { abortSignal })));
}

export interface StageInfo {
  readonly name: string;
  /** HTTP only; null for REST, whose stages are always deployed explicitly. */
  readonly autoDeploy: boolean | null;
}

export async function stagesOf(clients: ApiGatewayClients, found: FoundApi): Promise<StageInfo[]> {
  if (found.type === 'REST') {
    const out = await call('GetStages', found.id, (abortSignal) => clients.rest.send(new GetRestStagesCommand({ restApiId: found.id }), { abortSignal }));
    return (out.item ?? []).map((s) => ({ name: s.stageName ?? '', autoDeploy: null })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  const stages: StageInfo[] = [];
  let token: string | undefined;
  do {
    const page = await call('GetStages', found.id, (abortSignal) =>
      clients.http.send(new GetHttpStagesCommand({ ApiId: found.id, NextToken: token }), { abortSignal }),
    );
    for (const s of page.Items ?? []) stages.push({ name: s.StageName ?? '', autoDeploy: s.AutoDeploy === true });
    token = page.NextToken;
  } while (token);
  return stages.sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function destroyClients(clients: ApiGatewayClients): void {
  clients.rest.destroy();
  clients.http.destroy();
}
