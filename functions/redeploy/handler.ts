/**
 * CloudFormation custom resource for template.yaml. It lets the stack add OPTIONS
 * routes to an API Gateway API that another stack owns without ever owning (or
 * deleting) that API's stages.
 *
 * Action "Check" (runs before any route is added):
 *   REST: the stage exists, RestRootResourceId is "/", ExistingProxyResourceId (if
 *   given) is "/{proxy+}", no second "/{proxy+}" would be created, and neither
 *   resource already has an OPTIONS method.
 *   HTTP: the API is an HTTP API without CorsConfiguration, the stage exists, and the
 *   OPTIONS routes do not exist yet.
 *   Both report existing OPTIONS/ANY methods or routes on more specific paths
 *   (they answer preflights instead of this product) as the ShadowingRoutes attribute.
 * Action "Deploy" (runs after the routes were added or changed):
 *   REST: CreateDeployment for the existing stage (never creates a stage).
 *   HTTP: fails when a CorsConfiguration appeared; a stage without AutoDeploy is
 *   deployed, one with AutoDeploy has already picked the routes up.
 * Delete never touches the API: see docs/deploy.md ("Rollback and removal").
 *
 * Every invocation ends with exactly one response to CloudFormation's ResponseURL,
 * SUCCESS or FAILED with a reason, also on exceptions and before the Lambda timeout,
 * so that a stack never waits for a custom resource that will not answer.
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  APIGatewayClient,
  CreateDeploymentCommand as CreateRestDeploymentCommand,
  GetResourcesCommand,
  GetStageCommand as GetRestStageCommand,
  type Resource as RestResource,
} from '@aws-sdk/client-api-gateway';
import {
  ApiGatewayV2Client,
  CreateDeploymentCommand as CreateHttpDeploymentCommand,
  GetApiCommand,
  GetRoutesCommand,
  GetStageCommand as GetHttpStageCommand,
  type GetApiCommandOutput,
  type Route as HttpRoute,
} from '@aws-sdk/client-apigatewayv2';

import { parameterNameProblem } from '../core/parameter-name';

export type Action = 'Check' | 'Deploy';
export type ApiType = 'REST' | 'HTTP';

/** The custom resource's properties (CloudFormation passes every scalar as a string). */
export interface Properties {
  Action: Action;
  ApiType: ApiType;
  ApiId: string;
  StageName: string;
  RestRootResourceId: string;
  ExistingProxyResourceId: string;
  /** Check only: the stack's PolicyPath, validated where the parameter's pattern cannot. */
  PolicyPath: string;
}

export type Data = Record<string, string>;

/** A failure whose message is the reason shown in the CloudFormation events. */
export class DeployError extends Error {
  override name = 'DeployError';
}

/** Time kept back from the Lambda timeout to send FAILED when the work hangs. */
export const SAFETY_MARGIN_MS = 5_000;
/** CloudFormation rejects response bodies over 4096 bytes. */
const MAX_REASON_CHARS = 1_500;
const MAX_SHADOWING_CHARS = 1_000;

export const CORS_CONFIGURATION_MESSAGE =
  'has a CorsConfiguration. With it, API Gateway answers every preflight itself and discards the CORS headers ' +
  "returned by integrations, so this product's function would never be used. Remove the API's CorsConfiguration " +
  '(in the stack or console that owns the API) and deploy this stack again.';

let restClient: APIGatewayClient | undefined;
let httpClient: ApiGatewayV2Client | undefined;
const rest = (): APIGatewayClient => (restClient ??= new APIGatewayClient({ maxAttempts: 6 }));
const http = (): ApiGatewayV2Client => (httpClient ??= new ApiGatewayV2Client({ maxAttempts: 6 }));

function log(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ timestamp: new Date().toISOString(), level, service: 'apigw-cors-redeploy', message, ...fields })}\n`);
}

// ------------------------------------------------------------------ properties

export function parseProperties(raw: Record<string, unknown> | undefined): Properties {
  const str = (key: string): string => {
    const v = raw?.[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new DeployError(`Property ${key} must be a string.`);
    return v;
  };
  const action = str('Action');
  const apiType = str('ApiType');
  if (action !== 'Check' && action !== 'Deploy') throw new DeployError(`Property Action must be "Check" or "Deploy", not "${action}".`);
  if (apiType !== 'REST' && apiType !== 'HTTP') throw new DeployError(`Property ApiType must be "REST" or "HTTP", not "${apiType}".`);
  const props: Properties = {
    Action: action,
    ApiType: apiType,
    ApiId: str('ApiId'),
    StageName: str('StageName'),
    RestRootResourceId: str('RestRootResourceId'),
    ExistingProxyResourceId: str('ExistingProxyResourceId'),
    PolicyPath: str('PolicyPath'),
  };
  if (!props.ApiId) throw new DeployError('Property ApiId is required.');
  if (!props.StageName) throw new DeployError('Property StageName is required.');
  if (apiType === 'REST' && action === 'Check' && !props.RestRootResourceId) {
    throw new DeployError('RestRootResourceId is required for a REST API (the id of its "/" resource).');
  }
  if (action === 'Check' && props.PolicyPath) {
    // The same naming rules the preflight function applies to CORS_POLICY_PATH.
    const problem = parameterNameProblem(props.PolicyPath, 'path');
    if (problem) throw new DeployError(`PolicyPath "${props.PolicyPath}" ${problem}; choose another path such as /cors/my-api.`);
  }
  return props;
}

export function physicalIdFor(p: Properties): string {
  return `apigw-cors:${p.Action.toLowerCase()}:${p.ApiType}:${p.ApiId}:${p.StageName}`;
}

// ------------------------------------------------------------------- helpers

function errorName(err: unknown): string {
  return (err as { name?: string } | null)?.name ?? '';
}

function isNotFound(err: unknown): boolean {
  return errorName(err) === 'NotFoundException';
}

function stackNameOf(stackId: string): string {
  return /:stack\/([^/]+)\//.exec(stackId)?.[1] ?? stackId;
}

/** "OPTIONS /a, ANY /b (+3 more)", short enough for a stack output. */
export function summarize(entries: string[]): string {
  if (entries.length === 0) return 'none';
  const sorted = [...entries].sort();
  let out = '';
  let shown = 0;
  for (const e of sorted) {
    const next = out ? `${out}, ${e}` : e;
    if (next.length > MAX_SHADOWING_CHARS) break;
    out = next;
    shown++;
  }
  return shown < sorted.length ? `${out} (+${sorted.length - shown} more)` : out;
}

// ---------------------------------------------------------------------- REST

async function requireRestStage(p: Properties): Promise<void> {
  try {
    await rest().send(new GetRestStageCommand({ restApiId: p.ApiId, stageName: p.StageName }));
  } catch (err) {
    if (isNotFound(err)) {
      throw new DeployError(
        `REST API ${p.ApiId} or its stage "${p.StageName}" was not found in this account and region (${(err as Error).message}). ` +
          'Check ApiId and StageName (for an HTTP API set ApiType=HTTP). The stage must already exist: this stack never creates stages.',
      );
    }
    throw err;
  }
}

async function listRestResources(apiId: string): Promise<RestResource[]> {
  const items: RestResource[] = [];
  let position: string | undefined;
  do {
    const page = await rest().send(new GetResourcesCommand({ restApiId: apiId, limit: 500, embed: ['methods'], position }));
    items.push(...(page.items ?? []));
    position = page.position;
  } while (position);
  return items;
}

const methodsOf = (r: RestResource): string[] => Object.keys(r.resourceMethods ?? {});

async function checkRest(p: Properties, newInstall: boolean): Promise<Data> {
  await requireRestStage(p);
  const resources = await listRestResources(p.ApiId);
  const root = resources.find((r) => r.path === '/');
  if (!root || root.id !== p.RestRootResourceId) {
    throw new DeployError(
      `RestRootResourceId "${p.RestRootResourceId}" is not the root resource of REST API ${p.ApiId}` +
        (root?.id ? `; its "/" resource has id "${root.id}".` : '.'),
    );
  }
  const existingProxy = resources.find((r) => r.path === '/{proxy+}');
  let proxy: RestResource | undefined;
  if (p.ExistingProxyResourceId) {
    proxy = resources.find((r) => r.id === p.ExistingProxyResourceId);
    if (!proxy) throw new DeployError(`ExistingProxyResourceId "${p.ExistingProxyResourceId}" is not a resource of REST API ${p.ApiId}.`);
    if (proxy.path !== '/{proxy+}') {
      throw new DeployError(
        `ExistingProxyResourceId "${p.ExistingProxyResourceId}" is the resource "${proxy.path}", not "/{proxy+}" directly under the root` +
          (existingProxy?.id ? ` (that one has id "${existingProxy.id}").` : '; leave ExistingProxyResourceId empty to create it.'),
      );
    }
  } else if (newInstall && existingProxy) {
    throw new DeployError(
      `REST API ${p.ApiId} already has a "/{proxy+}" resource (id "${existingProxy.id}") and API Gateway refuses a second one. ` +
        `Deploy again with ExistingProxyResourceId=${existingProxy.id}.`,
    );
  }
  if (newInstall) {
    for (const r of [root, proxy]) {
      if (r && methodsOf(r).includes('OPTIONS')) {
        throw new DeployError(
          `Resource "${r.path}" (id "${r.id}") of REST API ${p.ApiId} already has an OPTIONS method (for example from the console's ` +
            '"Enable CORS" or another stack). Remove that method first: this stack adds its own OPTIONS method there.',
        );
      }
    }
  }
  const shadowing = resources
    .filter((r) => r.path !== '/' && r.path !== '/{proxy+}')
    .flatMap((r) => methodsOf(r).filter((m) => m === 'OPTIONS' || m === 'ANY').map((m) => `${m} ${r.path}`));
  return { ShadowingRoutes: summarize(shadowing) };
}

async function deployRest(p: Properties, description: string): Promise<Data> {
  // CreateDeployment with a stageName that does not exist would CREATE that stage,
  // which this stack would then silently own: refuse instead.
  await requireRestStage(p);
  const out = await rest().send(new CreateRestDeploymentCommand({ restApiId: p.ApiId, stageName: p.StageName, description }));
  return { DeploymentId: out.id ?? '' };
}

// ---------------------------------------------------------------------- HTTP

async function requireHttpApi(p: Properties): Promise<GetApiCommandOutput> {
  let api: GetApiCommandOutput;
  try {
    api = await http().send(new GetApiCommand({ ApiId: p.ApiId }));
  } catch (err) {
    if (isNotFound(err)) {
      throw new DeployError(
        `HTTP API ${p.ApiId} was not found in this account and region (${(err as Error).message}). Check ApiId (for a REST API set ApiType=REST).`,
      );
    }
    throw err;
  }
  if (api.ProtocolType && api.ProtocolType !== 'HTTP') {
    throw new DeployError(`API ${p.ApiId} is a ${api.ProtocolType} API; ApiType=HTTP needs an HTTP API.`);
  }
  if (api.CorsConfiguration) throw new DeployError(`HTTP API ${p.ApiId} ${CORS_CONFIGURATION_MESSAGE}`);
  return api;
}

async function requireHttpStage(p: Properties): Promise<{ autoDeploy: boolean }> {
  try {
    const stage = await http().send(new GetHttpStageCommand({ ApiId: p.ApiId, StageName: p.StageName }));
    return { autoDeploy: stage.AutoDeploy === true };
  } catch (err) {
    if (isNotFound(err)) {
      throw new DeployError(
        `Stage "${p.StageName}" of HTTP API ${p.ApiId} was not found (${(err as Error).message}). The stage must already exist: this stack never creates stages.`,
      );
    }
    throw err;
  }
}

async function listHttpRoutes(apiId: string): Promise<HttpRoute[]> {
  const items: HttpRoute[] = [];
  let token: string | undefined;
  do {
    const page = await http().send(new GetRoutesCommand({ ApiId: apiId, MaxResults: '500', NextToken: token }));
    items.push(...(page.Items ?? []));
    token = page.NextToken;
  } while (token);
  return items;
}

const OUR_ROUTE_KEYS = ['OPTIONS /{proxy+}', 'OPTIONS /'];

async function checkHttp(p: Properties, newInstall: boolean): Promise<Data> {
  await requireHttpApi(p);
  await requireHttpStage(p);
  const routes = await listHttpRoutes(p.ApiId);
  if (newInstall) {
    const taken = routes.filter((r) => r.RouteKey && OUR_ROUTE_KEYS.includes(r.RouteKey));
    if (taken.length > 0) {
      throw new DeployError(
        `HTTP API ${p.ApiId} already has the route(s) ${taken.map((r) => `"${r.RouteKey}"`).join(', ')}. ` +
          'Remove them first: this stack adds its own OPTIONS routes there.',
      );
    }
  }
  const shadowing = routes
    .map((r) => r.RouteKey ?? '')
    .filter((key) => /^(OPTIONS|ANY) \//.test(key) && !OUR_ROUTE_KEYS.includes(key) && key !== 'ANY /' && key !== 'ANY /{proxy+}');
  return { ShadowingRoutes: summarize(shadowing) };
}

async function deployHttp(p: Properties, description: string): Promise<Data> {
  await requireHttpApi(p); // a CorsConfiguration added later still fails the deploy
  const { autoDeploy } = await requireHttpStage(p);
  if (autoDeploy) return { DeploymentId: 'AutoDeploy' };
  const out = await http().send(new CreateHttpDeploymentCommand({ ApiId: p.ApiId, StageName: p.StageName, Description: description }));
  return { DeploymentId: out.DeploymentId ?? '' };
}

// ------------------------------------------------------------------ dispatch

/** Does the work of one Create or Update; throws on failure. */
export async function run(event: CloudFormationCustomResourceEvent, p: Properties): Promise<Data> {
  if (p.Action === 'Check') {
    // Conflicts with existing OPTIONS methods/routes matter only when the routes are
    // about to be created: on a first install or when the stack moves to another API.
    const old = event.RequestType === 'Update' ? (event.OldResourceProperties as Record<string, unknown>) : undefined;
    const newInstall = event.RequestType === 'Create' || old?.ApiId !== p.ApiId || old?.ApiType !== p.ApiType;
    return p.ApiType === 'REST' ? checkRest(p, newInstall) : checkHttp(p, newInstall);
  }
  const description = `apigw-cors-preflight stack ${stackNameOf(event.StackId)}: OPTIONS routes (${event.RequestType})`;
  return p.ApiType === 'REST' ? deployRest(p, description) : deployHttp(p, description);
}

class DeadlineError extends Error {}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function reasonFor(err: unknown, context: Context): string {
  let text: string;
  if (err instanceof DeployError) text = err.message;
  else if (err instanceof DeadlineError) {
    text = `The API Gateway calls ${err.message} (throttling or a network problem). Nothing was deleted; deploy again.`;
  } else if (errorName(err) === 'AccessDeniedException' || (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 403) {
    text = `Access denied by API Gateway: ${(err as Error).message}. The function's role may only read and deploy API ApiId/StageName; check those parameters.`;
  } else {
    text = `${errorName(err) || 'Error'}: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (text.length > MAX_REASON_CHARS) text = `${text.slice(0, MAX_REASON_CHARS)}...`;
  return `${text} (log stream ${context.logStreamName})`;
}

// ------------------------------------------------------------------ response

export interface ResponseBody {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho: boolean;
  Data?: Data;
}

function put(url: string, body: string, timeoutMs: number): Promise<number> {
  const target = new URL(url);
  const request = target.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      // The ResponseURL is a pre-signed S3 URL signed without a content type.
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** PUTs the response to CloudFormation, retrying a few times; never throws. */
export async function sendResponse(url: string, body: ResponseBody, attempts = 4): Promise<boolean> {
  const json = JSON.stringify(body);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const status = await put(url, json, 10_000);
      if (status >= 200 && status < 300) return true;
      log('WARN', 'CloudFormation response was not accepted', { status, attempt });
    } catch (err) {
      log('WARN', 'could not send the CloudFormation response', { error: String(err), attempt });
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
  }
  log('ERROR', 'gave up sending the CloudFormation response', { status: body.Status });
  return false;
}

// ------------------------------------------------------------------- handler

export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, NoEcho: false };
  const previousId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;
  log('INFO', 'request', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, properties: event.ResourceProperties });

  if (event.RequestType === 'Delete') {
    // Never touch the API on delete: it and its stages belong to someone else. The
    // stage keeps serving its current deployment until the owner deploys again.
    await sendResponse(event.ResponseURL, { ...base, Status: 'SUCCESS', PhysicalResourceId: previousId ?? `${event.LogicalResourceId}-deleted` });
    return;
  }

  let physicalId = previousId ?? `${event.LogicalResourceId}-${event.RequestId}`;
  try {
    const props = parseProperties(event.ResourceProperties as Record<string, unknown>);
    if (event.RequestType === 'Create') physicalId = physicalIdFor(props);
    const budget = Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
    const data = await withDeadline(run(event, props), budget);
    log('INFO', 'done', { data });
    await sendResponse(event.ResponseURL, { ...base, Status: 'SUCCESS', PhysicalResourceId: physicalIdFor(props), Data: data });
  } catch (err) {
    log('ERROR', 'failed', { error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
    await sendResponse(event.ResponseURL, { ...base, Status: 'FAILED', Reason: reasonFor(err, context), PhysicalResourceId: physicalId });
  }
}
