/**
 * HTTP API (v2) side of the custom resource: Check before the OPTIONS routes are
 * added, Deploy after (nothing to do for a stage with AutoDeploy).
 */
import {
  ApiGatewayV2Client,
  CreateDeploymentCommand,
  GetApiCommand,
  GetRoutesCommand,
  GetStageCommand,
  type GetApiCommandOutput,
} from '@aws-sdk/client-apigatewayv2';
import { OWN_HTTP_ROUTE_KEYS, httpShadowing, listHttpRoutes } from '../aws/api-gateway';
import { DeployError, isNotFound, summarize, type Data, type Properties } from './properties';

export const CORS_CONFIGURATION_MESSAGE =
  'has a CorsConfiguration. With it, API Gateway answers every preflight itself and discards the CORS headers ' +
  "returned by integrations, so this product's function would never be used. Remove the API's CorsConfiguration " +
  '(in the stack or console that owns the API) and deploy this stack again.';

let client: ApiGatewayV2Client | undefined;
// Created on first use, as in rest.ts.
const http = (): ApiGatewayV2Client => (client ??= new ApiGatewayV2Client({ maxAttempts: 6 }));

async function requireApi(p: Properties): Promise<GetApiCommandOutput> {
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

async function requireStage(p: Properties): Promise<{ autoDeploy: boolean }> {
  try {
    const stage = await http().send(new GetStageCommand({ ApiId: p.ApiId, StageName: p.StageName }));
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

/** @param newInstall - as for REST: only a new install conflicts with existing OPTIONS routes. */
export async function checkHttp(p: Properties, newInstall: boolean): Promise<Data> {
  await requireApi(p);
  await requireStage(p);
  const routes = await listHttpRoutes(p.ApiId, (input) => http().send(new GetRoutesCommand(input)));
  if (newInstall) {
    const taken = routes.filter((r) => r.RouteKey && OWN_HTTP_ROUTE_KEYS.includes(r.RouteKey));
    if (taken.length > 0) {
      throw new DeployError(
        `HTTP API ${p.ApiId} already has the route(s) ${taken.map((r) => `"${r.RouteKey}"`).join(', ')}. ` +
          'Remove them first: this stack adds its own OPTIONS routes there.',
      );
    }
  }
  return { ShadowingRoutes: summarize(httpShadowing(routes)) };
}

export async function deployHttp(p: Properties, description: string): Promise<Data> {
  await requireApi(p); // a CorsConfiguration added later still fails the deploy
  const { autoDeploy } = await requireStage(p);
  if (autoDeploy) return { DeploymentId: 'AutoDeploy' };
  const out = await http().send(new CreateDeploymentCommand({ ApiId: p.ApiId, StageName: p.StageName, Description: description }));
  return { DeploymentId: out.DeploymentId ?? '' };
}
